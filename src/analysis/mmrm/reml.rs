//! The REML criterion of the MMRM and its derivatives, from the groups'
//! sufficient statistics.
//!
//! With X the design, V the block-diagonal covariance, M = XᵀV⁻¹X and
//! P = V⁻¹ − V⁻¹XM⁻¹XᵀV⁻¹ (Harville 1977):
//!
//! - ℓ = −½ [log|V| + log|M| + yᵀPy], yᵀPy = yᵀV⁻¹y − hᵀM⁻¹h, h = XᵀV⁻¹y;
//! - ∂ℓ/∂θ_k = −½ [tr(P V_k) − yᵀP V_k P y];
//! - −∂²ℓ/∂θ_k∂θ_l = −½ tr(P V_k P V_l) + yᵀP V_k P V_l P y (observed
//!   information; its expectation is +½ tr(P V_k P V_l), Fisher's);
//!
//! where θ are the distinct elements of Σ (V is linear in them, so V_kl = 0)
//! and V_k = ∂V/∂θ_k, which within a group is D_k = e_a e_bᵀ + e_b e_aᵀ
//! (e_a e_aᵀ on the diagonal). Per group, with W = V_g⁻¹, the traces reduce
//! to elements of W, W Q_g W and W R_g W (Q_g the group's share of M⁻¹,
//! R_g its residual cross-products); only tr(M⁻¹A_k M⁻¹A_l), with
//! A_k = Σ_g (W D_k W) ⊗ S_g, needs whole p × p products, done as two
//! matrix products over every k at once.

use super::{ARM, MmrmData, Q, at};
use nalgebra::{Cholesky, DMatrix, DMatrixView, DVector, Dyn};

/// What an evaluation computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// ℓ and β only (a line search).
    Likelihood,
    /// Also M⁻¹ (for SEs).
    Fit,
    /// Also the gradient and both informations.
    Derivatives,
}

/// One evaluation of the REML criterion at θ.
pub(super) struct Evaluation {
    pub log_likelihood: f64,
    /// ∂ℓ/∂θ (with [`Need::Derivatives`]).
    pub gradient: DVector<f64>,
    /// −∂²ℓ/∂θ∂θᵀ (with [`Need::Derivatives`]).
    pub observed: DMatrix<f64>,
    /// Fisher's information in θ (with [`Need::Derivatives`]).
    pub expected: DMatrix<f64>,
    /// M⁻¹ (unless [`Need::Likelihood`]).
    pub m_inv: DMatrix<f64>,
    /// The GLS estimate β at θ.
    pub beta: DVector<f64>,
    /// V_g⁻¹ per group.
    pub w: Vec<DMatrix<f64>>,
}

impl Evaluation {
    /// (estimate, variance) of the arm effect at visit j.
    pub fn contrast(&self, j: usize) -> (f64, f64) {
        let c = at(j, ARM);
        (self.beta[c], self.m_inv[(c, c)])
    }
}

/// log |A| from A's Cholesky factor.
fn log_det(chol: &Cholesky<f64, Dyn>) -> f64 {
    2.0 * chol
        .l_dirty()
        .diagonal()
        .iter()
        .map(|x| x.ln())
        .sum::<f64>()
}

/// The index pairs (p, q) of D_k's unit entries: both orders off the
/// diagonal, one on it.
fn pairs(a: usize, b: usize) -> ([(usize, usize); 2], usize) {
    ([(a, b), (b, a)], if a == b { 1 } else { 2 })
}

/// tr(X D_k) for the direction of (a, b).
fn tr_d(x: &DMatrix<f64>, (a, b): (usize, usize)) -> f64 {
    let (ps, count) = pairs(a, b);
    ps[..count].iter().map(|&(p, q)| x[(q, p)]).sum()
}

/// tr(D_l W D_k Y) for symmetric W and Y: Σ W[d, p] Y[q, c] over D_l's
/// (c, d) and D_k's (p, q).
fn tr_dwdy(w: &DMatrix<f64>, y: &DMatrix<f64>, k: (usize, usize), l: (usize, usize)) -> f64 {
    let ((pk, nk), (pl, nl)) = (pairs(k.0, k.1), pairs(l.0, l.1));
    let mut sum = 0.0;
    for &(c, d) in &pl[..nl] {
        for &(p, q) in &pk[..nk] {
            sum += w[(d, p)] * y[(q, c)];
        }
    }
    sum
}

/// (W D_k X)[j, c] for every j: the `(a, b)` direction's rows of X (m × Q)
/// spread by W's columns.
fn w_d(w: &DMatrix<f64>, x: &DMatrix<f64>, (a, b): (usize, usize), j: usize, c: usize) -> f64 {
    let (ps, count) = pairs(a, b);
    ps[..count]
        .iter()
        .map(|&(p, q)| w[(j, p)] * x[(q, c)])
        .sum()
}

/// `target += left ⊗ s` on the (visit, covariate) indices of β, for a
/// group's `left` over its first m visits.
fn add_kronecker(target: &mut DMatrix<f64>, left: &DMatrix<f64>, s: &DMatrix<f64>) {
    let m = left.nrows();
    for j in 0..m {
        for k in 0..m {
            for c in 0..Q {
                for e in 0..Q {
                    target[(at(j, c), at(k, e))] += left[(j, k)] * s[(c, e)];
                }
            }
        }
    }
}

/// Evaluates ℓ at θ and what `need` asks for; `None` when a covariance
/// matrix or M is not positive definite.
pub(super) fn evaluate(d: &MmrmData, theta: &[f64], need: Need) -> Option<Evaluation> {
    let t = d.visits;
    let p = t * Q;
    let sigmas = d.sigmas(theta);
    let mut m = DMatrix::<f64>::zeros(p, p);
    let mut h = DVector::<f64>::zeros(p);
    let (mut log_det_v, mut tr_wy) = (0.0, 0.0);
    let mut ws: Vec<DMatrix<f64>> = Vec::with_capacity(d.groups.len());
    for g in &d.groups {
        let chol = Cholesky::new(sigmas[g.cov].view((0, 0), (g.m, g.m)).into_owned())?;
        log_det_v += g.n * log_det(&chol);
        let w = chol.inverse();
        tr_wy += w.dot(&g.y);
        let cw = &g.c * &w;
        for j in 0..g.m {
            for c in 0..Q {
                h[at(j, c)] += cw[(c, j)];
            }
        }
        add_kronecker(&mut m, &w, &g.s);
        ws.push(w);
    }
    let chol_m = Cholesky::<f64, Dyn>::new(m)?;
    let beta = chol_m.solve(&h);
    let log_likelihood = -0.5 * (log_det_v + log_det(&chol_m) + tr_wy - h.dot(&beta));
    let mut ev = Evaluation {
        log_likelihood,
        gradient: DVector::zeros(0),
        observed: DMatrix::zeros(0, 0),
        expected: DMatrix::zeros(0, 0),
        m_inv: DMatrix::zeros(0, 0),
        beta,
        w: ws,
    };
    if need != Need::Likelihood {
        ev.m_inv = chol_m.inverse();
    }
    if need == Need::Derivatives {
        derivatives(d, &mut ev);
    }
    Some(ev)
}

/// A group's products at θ that the derivatives need.
struct AtGroup {
    /// W Q_g W, Q_g[j, k] = Σ_{c,e} M⁻¹[(j,c),(k,e)] S_g[e, c].
    wqw: DMatrix<f64>,
    /// W R_g W, R_g the residual cross-products Σ (y − Bᵀz)(y − Bᵀz)ᵀ.
    wrw: DMatrix<f64>,
    /// W E_g, E_g = Σ (y − Bᵀz) zᵀ (m × Q).
    we: DMatrix<f64>,
}

/// Fills the gradient and the observed and expected information.
fn derivatives(d: &MmrmData, ev: &mut Evaluation) {
    let t = d.visits;
    let p = t * Q;
    let k_total = d.parameters();
    let omega = &ev.m_inv;
    let b = DMatrix::from_fn(Q, t, |c, j| ev.beta[at(j, c)]);
    let at_groups: Vec<AtGroup> = d
        .groups
        .iter()
        .zip(&ev.w)
        .map(|(g, w)| {
            let bm = b.columns(0, g.m);
            let cb = g.c.transpose() * bm;
            let r = &g.y - &cb - cb.transpose() + bm.transpose() * &g.s * bm;
            let e = g.c.transpose() - bm.transpose() * &g.s;
            let q = DMatrix::from_fn(g.m, g.m, |j, k| {
                let mut sum = 0.0;
                for c in 0..Q {
                    for e in 0..Q {
                        sum += omega[(at(j, c), at(k, e))] * g.s[(e, c)];
                    }
                }
                sum
            });
            AtGroup {
                wqw: w * q * w,
                wrw: w * r * w,
                we: w * e,
            }
        })
        .collect();
    let elements: Vec<(usize, usize, usize)> = (0..k_total).map(|k| d.element(k)).collect();
    // Whether parameter k moves group g's V.
    let moves = |gi: usize, k: usize| {
        let (cov, _, b) = elements[k];
        cov == d.groups[gi].cov && b < d.groups[gi].m
    };
    let ab = |k: usize| (elements[k].1, elements[k].2);
    // A_k (p × p) side by side, and E's columns e_k = vec(Σ_g W D_k W E_g).
    let mut a = DMatrix::<f64>::zeros(p, p * k_total);
    let mut e = DMatrix::<f64>::zeros(p, k_total);
    let mut gradient = DVector::zeros(k_total);
    for k in 0..k_total {
        let mut a_k = a.columns_mut(k * p, p);
        let mut grad = 0.0;
        for (gi, g) in d.groups.iter().enumerate() {
            if !moves(gi, k) {
                continue;
            }
            let (w, at_g) = (&ev.w[gi], &at_groups[gi]);
            grad += g.n * tr_d(w, ab(k)) - tr_d(&at_g.wqw, ab(k)) - tr_d(&at_g.wrw, ab(k));
            // (W D_k W)[j, l] = Σ W[j, p] W[q, l] over D_k's (p, q).
            let (ps, count) = pairs(ab(k).0, ab(k).1);
            for j in 0..g.m {
                for l in 0..g.m {
                    let gjl: f64 = ps[..count]
                        .iter()
                        .map(|&(pp, qq)| w[(j, pp)] * w[(qq, l)])
                        .sum();
                    for c in 0..Q {
                        for f in 0..Q {
                            a_k[(at(j, c), at(l, f))] += gjl * g.s[(c, f)];
                        }
                    }
                }
                for c in 0..Q {
                    e[(at(j, c), k)] += w_d(w, &at_g.we, ab(k), j, c);
                }
            }
        }
        gradient[k] = -0.5 * grad;
    }
    // tr(M⁻¹A_k M⁻¹A_l) = vec(B_k)·vec(B_lᵀ), B_k = M⁻¹A_k: one product for
    // every B_k, one for every pair's trace.
    let bs = omega * &a;
    let mut bts = DMatrix::<f64>::zeros(p * p, k_total);
    for k in 0..k_total {
        let b_k = bs.columns(k * p, p);
        let mut col = bts.column_mut(k);
        for i in 0..p {
            for j in 0..p {
                // Column-major vec of B_kᵀ: element (i, j) of B_kᵀ is B_k[j, i].
                col[j * p + i] = b_k[(j, i)];
            }
        }
    }
    let vec_b = DMatrixView::from_slice(bs.as_slice(), p * p, k_total);
    let traces = vec_b.transpose() * &bts;
    let e_quad = e.transpose() * (omega * &e);
    let mut observed = DMatrix::zeros(k_total, k_total);
    let mut expected = DMatrix::zeros(k_total, k_total);
    for k in 0..k_total {
        for l in k..k_total {
            let (mut bracket, mut quad) = (traces[(k, l)], -e_quad[(k, l)]);
            for (gi, g) in d.groups.iter().enumerate() {
                if !(moves(gi, k) && moves(gi, l)) {
                    continue;
                }
                let (w, at_g) = (&ev.w[gi], &at_groups[gi]);
                bracket +=
                    g.n * tr_dwdy(w, w, ab(k), ab(l)) - 2.0 * tr_dwdy(w, &at_g.wqw, ab(k), ab(l));
                quad += tr_dwdy(w, &at_g.wrw, ab(l), ab(k));
            }
            observed[(k, l)] = -0.5 * bracket + quad;
            observed[(l, k)] = observed[(k, l)];
            expected[(k, l)] = 0.5 * bracket;
            expected[(l, k)] = expected[(k, l)];
        }
    }
    ev.gradient = gradient;
    ev.observed = observed;
    ev.expected = expected;
}

/// ∂v/∂θ for v = Var(β̂_j) of the arm effect at visit j: with u = M⁻¹c,
/// uᵀA_k u = Σ_g tr(D_k W T_g W), T_g = U_gᵀ S_g U_g and U_g (Q × m) the
/// group's visits' part of u. Needs M⁻¹ ([`Need::Fit`]).
pub(super) fn variance_gradient(d: &MmrmData, ev: &Evaluation, j: usize) -> DVector<f64> {
    let u = ev.m_inv.column(at(j, ARM));
    let mut out = DVector::zeros(d.parameters());
    for (g, w) in d.groups.iter().zip(&ev.w) {
        let u_g = DMatrix::from_fn(Q, g.m, |c, k| u[at(k, c)]);
        let z = w * (u_g.transpose() * &g.s * &u_g) * w;
        for a in 0..g.m {
            for b in a..g.m {
                out[d.index(g.cov, a, b)] += tr_d(&z, (a, b));
            }
        }
    }
    out
}

/// The starting value of the structured fits: a diagonal Σ (each
/// covariance alike) of each visit's residual variance from its own
/// regression on the covariates, over both arms.
pub(super) fn diagonal_start(d: &MmrmData) -> Option<Vec<f64>> {
    let mut theta = vec![0.0; d.parameters()];
    for j in 0..d.visits {
        let mut s = DMatrix::<f64>::zeros(Q, Q);
        let mut c = DVector::<f64>::zeros(Q);
        let (mut yy, mut n) = (0.0, 0.0);
        for g in d.groups.iter().filter(|g| g.m > j) {
            s += &g.s;
            c += g.c.column(j);
            yy += g.y[(j, j)];
            n += g.n;
        }
        let fit = Cholesky::new(s)?.solve(&c);
        let var = (yy - c.dot(&fit)) / (n - Q as f64);
        if !(var.is_finite() && var > 0.0) {
            return None;
        }
        for cov in 0..d.covariances {
            theta[d.index(cov, j, j)] = var;
        }
    }
    Some(theta)
}
