//! MMRM: a mixed model for repeated measures, fitted by REML (MODEL.md §2).
//!
//! The model: patient i's post-baseline values y_i (the visits observed,
//! 0..m_i; dropout is monotone) are normal with mean
//! `mu_j + beta_j·arm_i + gamma_j·(baseline_i − mean baseline)` at visit j
//! and an unstructured covariance Σ over the visits (one Σ for both arms,
//! `common`, or one per arm, `by_arm`). Nothing is imputed: every observed
//! value enters. The treatment effect at visit j is `beta_j`.
//!
//! **The fit works on sufficient statistics.** Patients who share a dropout
//! pattern (the first m visits observed) and a covariance matrix share
//! `V = Σ[..m, ..m]`, so the REML log-likelihood, its gradient and its
//! Hessian need only, per such group, the count n, `S = Σ z zᵀ`,
//! `C = Σ z yᵀ` and `Y = Σ y yᵀ`, with `z = (1, arm, centred baseline)`.
//! With X the design and P = V⁻¹ − V⁻¹X(XᵀV⁻¹X)⁻¹XᵀV⁻¹ (Harville 1977):
//!
//! - ℓ = −½ [log|V| + log|XᵀV⁻¹X| + yᵀPy];
//! - ∂ℓ/∂θ_k = −½ [tr(P V_k) − yᵀP V_k P y];
//! - −∂²ℓ/∂θ_k∂θ_l = −½ tr(P V_k P V_l) + yᵀP V_k P V_l P y (observed
//!   information; its expectation is +½ tr(P V_k P V_l), Fisher's);
//!
//! where θ are the distinct elements of Σ (V is linear in them, so V_kl = 0)
//! and V_k = ∂V/∂θ_k. Each trace reduces to sums over the groups of small
//! products of V⁻¹'s columns with the group's statistics.
//!
//! **Optimiser.** Newton–Raphson on θ with the observed information (Fisher
//! scoring where it is not positive definite), halving a step until Σ stays
//! positive definite and ℓ does not fall; from a diagonal Σ of each visit's
//! residual variance. It stops when the Newton decrement gᵀI⁻¹g, the
//! predicted gain in ℓ, falls below 1e-20 (or stalls at rounding).
//!
//! **Degrees of freedom.** Satterthwaite (1946) for the contrast c = beta_j,
//! with φ(θ) = cᵀ(XᵀV⁻¹X)⁻¹c its variance: df = 2φ² / (∇φᵀ I⁻¹ ∇φ), I
//! the **observed** information (the Hessian of −ℓ, as the R package mmrm
//! uses). At the optimum it does not matter that θ are Σ's elements rather
//! than a Cholesky factor: both the gradient of φ and the information
//! transform with the same Jacobian, so df is invariant.

use crate::simulate::{CONTROL, TrialData};
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

/// Covariates per visit: intercept, arm, centred baseline.
const Q: usize = 3;
/// Index of the arm among the covariates.
const ARM: usize = 1;

pub use crate::scenario::Covariance;

/// The patients sharing a dropout pattern and a covariance matrix.
#[derive(Debug, Clone)]
struct Group {
    /// Visits observed: the first `m`.
    m: usize,
    /// Which covariance matrix (0, or the arm with `by_arm`).
    cov: usize,
    /// Patients.
    n: f64,
    /// Σ z zᵀ (Q × Q).
    s: DMatrix<f64>,
    /// Σ z yᵀ (Q × m).
    c: DMatrix<f64>,
    /// Σ y yᵀ (m × m).
    y: DMatrix<f64>,
}

/// A trial's data as the MMRM fit needs them.
#[derive(Debug, Clone)]
pub struct MmrmData {
    visits: usize,
    /// The visits' times (months).
    months: Vec<f64>,
    covariances: usize,
    groups: Vec<Group>,
}

impl MmrmData {
    /// The sufficient statistics of `data` (every observed value, nothing
    /// imputed); patients observed at no visit contribute nothing.
    pub fn new(data: &TrialData, covariance: Covariance) -> Self {
        let visits = data.visits;
        let total = data.n[0] + data.n[1];
        let mean = data.baseline.iter().sum::<f64>() / total.max(1) as f64;
        let covariances = match covariance {
            Covariance::Common => 1,
            Covariance::ByArm => 2,
        };
        let mut groups: Vec<Group> = Vec::new();
        for i in 0..total {
            let m = data.observed[i];
            if m == 0 {
                continue;
            }
            let arm = usize::from(i >= data.n[CONTROL]);
            let cov = if covariances == 2 { arm } else { 0 };
            let g = match groups.iter().position(|g| g.m == m && g.cov == cov) {
                Some(g) => g,
                None => {
                    groups.push(Group {
                        m,
                        cov,
                        n: 0.0,
                        s: DMatrix::zeros(Q, Q),
                        c: DMatrix::zeros(Q, m),
                        y: DMatrix::zeros(m, m),
                    });
                    groups.len() - 1
                }
            };
            let z = DVector::from_column_slice(&[1.0, arm as f64, data.baseline[i] - mean]);
            let y = DVector::from_fn(m, |k, _| data.value(i, k));
            let g = &mut groups[g];
            g.n += 1.0;
            g.s.ger(1.0, &z, &z, 1.0);
            g.c.ger(1.0, &z, &y, 1.0);
            g.y.ger(1.0, &y, &y, 1.0);
        }
        groups.sort_by_key(|g| (g.cov, g.m));
        MmrmData {
            visits,
            months: data.months.clone(),
            covariances,
            groups,
        }
    }

    /// Number of covariance parameters.
    fn parameters(&self) -> usize {
        self.covariances * self.visits * (self.visits + 1) / 2
    }

    /// The parameter index of Σ_cov[a, b] (a ≤ b).
    fn index(&self, cov: usize, a: usize, b: usize) -> usize {
        let t = self.visits;
        let (a, b) = (a.min(b), a.max(b));
        cov * t * (t + 1) / 2 + a * t - a * (a + 1) / 2 + b
    }

    /// (cov, a, b) of parameter k.
    fn element(&self, k: usize) -> (usize, usize, usize) {
        let t = self.visits;
        let per = t * (t + 1) / 2;
        let (cov, mut r) = (k / per, k % per);
        let mut a = 0;
        while r >= t - a {
            r -= t - a;
            a += 1;
        }
        (cov, a, a + r)
    }

    /// The covariance matrices of θ.
    fn sigmas(&self, theta: &[f64]) -> Vec<DMatrix<f64>> {
        let t = self.visits;
        (0..self.covariances)
            .map(|cov| DMatrix::from_fn(t, t, |a, b| theta[self.index(cov, a, b)]))
            .collect()
    }
}

/// The REML fit of one trial.
#[derive(Debug, Clone, PartialEq)]
pub struct MmrmFit {
    /// Treatment effect per visit, treatment minus control.
    pub estimate: Vec<f64>,
    /// Its standard error per visit.
    pub se: Vec<f64>,
    /// Satterthwaite degrees of freedom per visit.
    pub df: Vec<f64>,
    /// The REML log-likelihood at the fit (without the constant).
    pub log_likelihood: f64,
    /// The covariance matrices fitted (one, or control's and treatment's).
    pub sigma: Vec<DMatrix<f64>>,
    /// The covariance structure fitted.
    pub structure: Structure,
    /// Newton iterations.
    pub iterations: u32,
    /// Whether the fit converged.
    pub converged: bool,
}

/// Everything one evaluation of the REML criterion gives.
struct Evaluation {
    log_likelihood: f64,
    gradient: DVector<f64>,
    observed: DMatrix<f64>,
    expected: DMatrix<f64>,
    /// (XᵀV⁻¹X)⁻¹.
    m_inv: DMatrix<f64>,
    /// M⁻¹ A_k for every parameter k (A_k = XᵀV⁻¹V_kV⁻¹X).
    m_inv_a: Vec<DMatrix<f64>>,
    beta: DVector<f64>,
}

/// Per-group quantities at θ.
struct AtGroup {
    w: DMatrix<f64>,
    r: DMatrix<f64>,
    e: DMatrix<f64>,
}

/// The index of covariate c at visit j in β.
fn at(j: usize, c: usize) -> usize {
    j * Q + c
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

/// `target += left ⊗ s` on the (visit, covariate) indices of β, for a
/// group's `left` over its first m visits: M = Σ_g W_g ⊗ S_g and
/// A_k = Σ_g G_gk ⊗ S_g are both built this way.
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

/// Evaluates ℓ and, with `derivatives`, its gradient and information at
/// θ; `None` when a covariance matrix or XᵀV⁻¹X is not positive definite.
fn evaluate(d: &MmrmData, theta: &[f64], derivatives: bool) -> Option<Evaluation> {
    let t = d.visits;
    let p = t * Q;
    let sigmas = d.sigmas(theta);
    let mut m = DMatrix::<f64>::zeros(p, p);
    let mut h = DVector::<f64>::zeros(p);
    let mut log_det_v = 0.0;
    let mut ws: Vec<DMatrix<f64>> = Vec::with_capacity(d.groups.len());
    for g in &d.groups {
        let v = sigmas[g.cov].view((0, 0), (g.m, g.m)).into_owned();
        let chol = Cholesky::new(v)?;
        log_det_v += g.n * log_det(&chol);
        let w = chol.inverse();
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
    let log_det_m = log_det(&chol_m);
    let beta = chol_m.solve(&h);
    let m_inv = chol_m.inverse();
    let b = DMatrix::from_fn(Q, t, |c, j| beta[at(j, c)]);
    let mut quadratic = 0.0;
    let groups: Vec<AtGroup> = d
        .groups
        .iter()
        .zip(ws)
        .map(|(g, w)| {
            let bm = b.columns(0, g.m).into_owned();
            let cb = g.c.transpose() * &bm;
            let r = &g.y - &cb - cb.transpose() + bm.transpose() * &g.s * &bm;
            let e = g.c.transpose() - bm.transpose() * &g.s;
            quadratic += (&w * &r).trace();
            AtGroup { w, r, e }
        })
        .collect();
    let log_likelihood = -0.5 * (log_det_v + log_det_m + quadratic);
    let k_total = d.parameters();
    if !derivatives {
        return Some(Evaluation {
            log_likelihood,
            gradient: DVector::zeros(0),
            observed: DMatrix::zeros(0, 0),
            expected: DMatrix::zeros(0, 0),
            m_inv,
            m_inv_a: Vec::new(),
            beta,
        });
    }
    // Q_g[j, j'] = Σ_{c,c'} M⁻¹[(j,c),(j',c')] S_g[c', c]: tr(M⁻¹(X ⊗ S_g)) = tr(X Q_g).
    let qs: Vec<DMatrix<f64>> = d
        .groups
        .iter()
        .map(|g| {
            DMatrix::from_fn(g.m, g.m, |j, k| {
                let mut sum = 0.0;
                for c in 0..Q {
                    for e in 0..Q {
                        sum += m_inv[(at(j, c), at(k, e))] * g.s[(e, c)];
                    }
                }
                sum
            })
        })
        .collect();
    // G_gk = W D_k W for every group and parameter (None where D_k misses the group).
    let elements: Vec<(usize, usize, usize)> = (0..k_total).map(|k| d.element(k)).collect();
    let g_of = |gi: usize, k: usize| -> Option<DMatrix<f64>> {
        let g = &d.groups[gi];
        let (cov, a, b2) = elements[k];
        if cov != g.cov || b2 >= g.m {
            return None;
        }
        let w = &groups[gi].w;
        let (wa, wb) = (w.column(a), w.column(b2));
        let mut out = wa * wb.transpose();
        if a != b2 {
            out += wb * wa.transpose();
        }
        Some(out)
    };
    let gs: Vec<Vec<Option<DMatrix<f64>>>> = (0..d.groups.len())
        .map(|gi| (0..k_total).map(|k| g_of(gi, k)).collect())
        .collect();
    // tr(X D_k) for a matrix X: X[a,b] + X[b,a], or X[a,a].
    let tr_d = |x: &DMatrix<f64>, k: usize| {
        let (_, a, b2) = elements[k];
        if a == b2 {
            x[(a, a)]
        } else {
            x[(a, b2)] + x[(b2, a)]
        }
    };
    let mut gradient = DVector::zeros(k_total);
    let mut a_mats: Vec<DMatrix<f64>> = Vec::with_capacity(k_total);
    let mut e_vecs: Vec<DVector<f64>> = Vec::with_capacity(k_total);
    for k in 0..k_total {
        let mut a_k = DMatrix::<f64>::zeros(p, p);
        let mut e_k = DVector::<f64>::zeros(p);
        let mut tr_wd = 0.0;
        let mut tr_mia = 0.0;
        let mut tr_gr = 0.0;
        for (gi, g) in d.groups.iter().enumerate() {
            let Some(gk) = &gs[gi][k] else { continue };
            let at_g = &groups[gi];
            tr_wd += g.n * tr_d(&at_g.w, k);
            tr_mia += (gk * &qs[gi]).trace();
            tr_gr += (gk * &at_g.r).trace();
            let ge = gk * &at_g.e;
            for j in 0..g.m {
                for c in 0..Q {
                    e_k[at(j, c)] += ge[(j, c)];
                }
            }
            add_kronecker(&mut a_k, gk, &g.s);
        }
        gradient[k] = -0.5 * (tr_wd - tr_mia - tr_gr);
        a_mats.push(a_k);
        e_vecs.push(e_k);
    }
    let m_inv_a: Vec<DMatrix<f64>> = a_mats.iter().map(|a| &m_inv * a).collect();
    let m_inv_e: Vec<DVector<f64>> = e_vecs.iter().map(|e| &m_inv * e).collect();
    let m_inv_a_t: Vec<DMatrix<f64>> = m_inv_a.iter().map(|a| a.transpose()).collect();
    // W Q_g and W R_g, once per group.
    let wq: Vec<DMatrix<f64>> = groups.iter().zip(&qs).map(|(g, q)| &g.w * q).collect();
    let wr: Vec<DMatrix<f64>> = groups.iter().map(|g| &g.w * &g.r).collect();
    let mut observed = DMatrix::zeros(k_total, k_total);
    let mut expected = DMatrix::zeros(k_total, k_total);
    for k in 0..k_total {
        for l in k..k_total {
            let mut tr_gd = 0.0;
            let mut tr_mib = 0.0;
            let mut tr_gdwr = 0.0;
            for (gi, g) in d.groups.iter().enumerate() {
                let (Some(gk), Some(gl)) = (&gs[gi][k], &gs[gi][l]) else {
                    continue;
                };
                tr_gd += g.n * tr_d(gk, l);
                // tr(M⁻¹ B_lk), B_lk = Σ (G_l D_k W) ⊗ S: tr(G_l D_k W Q).
                tr_mib += tr_d_between(gl, &wq[gi], elements[k]);
                tr_gdwr += tr_d_between(gk, &wr[gi], elements[l]);
            }
            // tr(M⁻¹A_k M⁻¹A_l): the elementwise product with the transpose.
            let tr_mama = m_inv_a[k].dot(&m_inv_a_t[l]);
            let bracket = tr_gd - 2.0 * tr_mib + tr_mama;
            let quad = tr_gdwr - e_vecs[k].dot(&m_inv_e[l]);
            observed[(k, l)] = -0.5 * bracket + quad;
            observed[(l, k)] = observed[(k, l)];
            expected[(k, l)] = 0.5 * bracket;
            expected[(l, k)] = expected[(k, l)];
        }
    }
    Some(Evaluation {
        log_likelihood,
        gradient,
        observed,
        expected,
        m_inv,
        m_inv_a,
        beta,
    })
}

/// tr(G D Y) for the direction D of `element` (a, b): G[:, a]·Y[b, :] +
/// G[:, b]·Y[a, :] (one term when a = b).
fn tr_d_between(g: &DMatrix<f64>, y: &DMatrix<f64>, (_, a, b): (usize, usize, usize)) -> f64 {
    let one = |a: usize, b: usize| g.column(a).dot(&y.row(b).transpose());
    if a == b {
        one(a, a)
    } else {
        one(a, b) + one(b, a)
    }
}

/// The starting value: a diagonal Σ (each covariance alike) of each
/// visit's residual variance from its own regression on the covariates,
/// over both arms.
fn start(d: &MmrmData) -> Option<Vec<f64>> {
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

/// A within-patient covariance structure: how Σ's elements θ follow from
/// the structure's parameters φ (for each covariance matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// Every element free: φ = θ.
    Unstructured,
    /// Heterogeneous continuous-time AR(1): Σ_jk = σ_j σ_k ρ^|t_j − t_k|
    /// (visits need not be equally spaced); φ = (log σ_1, …, log σ_T,
    /// logit ρ), ρ in (0, 1).
    HeterogeneousAr1,
    /// Compound symmetry: Σ_jj = a + b, Σ_jk = b; φ = (a, b).
    CompoundSymmetry,
}

impl Structure {
    /// The order the fit tries them in: each is the fallback of the one
    /// before when that one cannot be fitted or does not converge.
    pub const CHAIN: [Structure; 3] = [
        Structure::Unstructured,
        Structure::HeterogeneousAr1,
        Structure::CompoundSymmetry,
    ];

    /// Its name, in words.
    pub fn name(self) -> &'static str {
        match self {
            Structure::Unstructured => "unstructured",
            Structure::HeterogeneousAr1 => "heterogeneous AR(1)",
            Structure::CompoundSymmetry => "compound symmetry",
        }
    }

    /// Parameters per covariance matrix over `t` visits.
    fn size(self, t: usize) -> usize {
        match self {
            Structure::Unstructured => t * (t + 1) / 2,
            Structure::HeterogeneousAr1 => t + 1,
            Structure::CompoundSymmetry => 2,
        }
    }
}

/// θ(φ), its Jacobian J = ∂θ/∂φ, and Σ_k g_k ∂²θ_k/∂φ∂φᵀ for a given g.
struct Map<'a> {
    d: &'a MmrmData,
    structure: Structure,
}

impl Map<'_> {
    fn parameters(&self) -> usize {
        self.d.covariances * self.structure.size(self.d.visits)
    }

    /// (cov, a, b) → the block's parameters and the element's value with
    /// its first and second derivatives in them: (value, [(index, ∂)],
    /// [(index, index, ∂²)]).
    #[allow(clippy::type_complexity)]
    fn element(
        &self,
        phi: &[f64],
        (cov, a, b): (usize, usize, usize),
    ) -> (f64, Vec<(usize, f64)>, Vec<(usize, usize, f64)>) {
        let t = self.d.visits;
        let base = cov * self.structure.size(t);
        match self.structure {
            Structure::Unstructured => {
                let k = self.d.index(cov, a, b);
                (phi[k], vec![(k, 1.0)], Vec::new())
            }
            Structure::HeterogeneousAr1 => {
                let z = phi[base + t];
                let rho = 1.0 / (1.0 + (-z).exp());
                let gap = (self.d.months[a] - self.d.months[b]).abs();
                let v = (phi[base + a] + phi[base + b]).exp() * rho.powf(gap);
                let dz = gap * (1.0 - rho);
                let dzz = gap * gap * (1.0 - rho).powi(2) - gap * rho * (1.0 - rho);
                let (la, lb, iz) = (base + a, base + b, base + t);
                // On the diagonal la = lb: the entries add up to ∂ = 2v, ∂² = 4v.
                let first = vec![(la, v), (lb, v), (iz, v * dz)];
                let second = vec![
                    (la, la, v),
                    (la, lb, v),
                    (lb, la, v),
                    (lb, lb, v),
                    (la, iz, v * dz),
                    (iz, la, v * dz),
                    (lb, iz, v * dz),
                    (iz, lb, v * dz),
                    (iz, iz, v * dzz),
                ];
                (v, first, second)
            }
            Structure::CompoundSymmetry => {
                let (ia, ib) = (base, base + 1);
                if a == b {
                    (phi[ia] + phi[ib], vec![(ia, 1.0), (ib, 1.0)], Vec::new())
                } else {
                    (phi[ib], vec![(ib, 1.0)], Vec::new())
                }
            }
        }
    }

    /// θ(φ).
    fn theta(&self, phi: &[f64]) -> Vec<f64> {
        (0..self.d.parameters())
            .map(|k| self.element(phi, self.d.element(k)).0)
            .collect()
    }

    /// J (K × P) and Σ_k g_k ∇²θ_k (P × P).
    fn derivatives(&self, phi: &[f64], g: &DVector<f64>) -> (DMatrix<f64>, DMatrix<f64>) {
        let p = self.parameters();
        let mut jac = DMatrix::zeros(self.d.parameters(), p);
        let mut curvature = DMatrix::zeros(p, p);
        for k in 0..self.d.parameters() {
            let (_, first, second) = self.element(phi, self.d.element(k));
            for (i, v) in first {
                jac[(k, i)] += v;
            }
            for (i, j, v) in second {
                curvature[(i, j)] += g[k] * v;
            }
        }
        (jac, curvature)
    }

    /// A starting φ from a diagonal θ (each visit's residual variance).
    fn start(&self, diagonal: &[f64]) -> Vec<f64> {
        let t = self.d.visits;
        let mut phi = Vec::with_capacity(self.parameters());
        for cov in 0..self.d.covariances {
            let var = |j: usize| diagonal[self.d.index(cov, j, j)];
            match self.structure {
                Structure::Unstructured => {
                    let per = t * (t + 1) / 2;
                    phi.extend_from_slice(&diagonal[cov * per..(cov + 1) * per]);
                }
                Structure::HeterogeneousAr1 => {
                    phi.extend((0..t).map(|j| 0.5 * var(j).ln()));
                    phi.push(0.0);
                }
                Structure::CompoundSymmetry => {
                    let mean = (0..t).map(var).sum::<f64>() / t as f64;
                    phi.extend([0.5 * mean, 0.5 * mean]);
                }
            }
        }
        phi
    }
}

/// Fits the MMRM by REML: unstructured first, then down [`Structure::CHAIN`]
/// until a structure converges; `None` when none does (too few patients,
/// or no positive-definite optimum).
pub fn fit(d: &MmrmData) -> Option<MmrmFit> {
    Structure::CHAIN
        .into_iter()
        .filter_map(|s| fit_structure(d, s))
        .find(|f| f.converged)
}

/// Fits one structure by Newton–Raphson on its parameters.
pub fn fit_structure(d: &MmrmData, structure: Structure) -> Option<MmrmFit> {
    let map = Map { d, structure };
    let diagonal = start(d)?;
    let phi = match structure {
        // One matrix per arm starts from the exact common fit, both arms
        // alike (close to the optimum, so few Newton steps).
        Structure::Unstructured if d.covariances > 1 => {
            let common = MmrmData {
                covariances: 1,
                groups: d
                    .groups
                    .iter()
                    .map(|g| Group {
                        cov: 0,
                        ..g.clone()
                    })
                    .collect(),
                ..d.clone()
            };
            match closed_form(&common) {
                Some(one) => (0..d.covariances)
                    .flat_map(|_| one.iter().copied())
                    .collect(),
                None => diagonal,
            }
        }
        _ => map.start(&diagonal),
    };
    newton(&map, phi)
}

/// An evaluation carried to a structure's parameters φ.
struct InParameters {
    ev: Evaluation,
    /// ∂ℓ/∂φ.
    gradient: DVector<f64>,
    /// −∂²ℓ/∂φ∂φᵀ.
    observed: DMatrix<f64>,
    /// Fisher's information in φ.
    expected: DMatrix<f64>,
    /// ∂θ/∂φ.
    jac: DMatrix<f64>,
}

/// Newton–Raphson on φ with the observed information (Fisher scoring where
/// that is not positive definite), halving steps that leave a covariance
/// matrix not positive definite or lower ℓ.
fn newton(map: &Map, mut phi: Vec<f64>) -> Option<MmrmFit> {
    const MAX_ITERATIONS: u32 = 100;
    let d = map.d;
    let at = |phi: &[f64]| -> Option<InParameters> {
        let ev = evaluate(d, &map.theta(phi), true)?;
        let (jac, curvature) = map.derivatives(phi, &ev.gradient);
        Some(InParameters {
            gradient: jac.transpose() * &ev.gradient,
            observed: jac.transpose() * &ev.observed * &jac - curvature,
            expected: jac.transpose() * &ev.expected * &jac,
            ev,
            jac,
        })
    };
    let mut here = at(&phi)?;
    let mut iterations = 0;
    let mut converged = false;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let InParameters {
            ev,
            gradient,
            observed,
            expected,
            ..
        } = &here;
        let step = Cholesky::new(observed.clone())
            .map(|c| c.solve(gradient))
            .or_else(|| Cholesky::new(expected.clone()).map(|c| c.solve(gradient)))?;
        let decrement = gradient.dot(&step);
        if decrement < 1e-20 {
            converged = true;
            break;
        }
        let mut scale = 1.0;
        let mut next = None;
        for _ in 0..40 {
            let trial: Vec<f64> = phi
                .iter()
                .zip(step.iter())
                .map(|(t, s)| t + scale * s)
                .collect();
            let gains = evaluate(d, &map.theta(&trial), false).is_some_and(|e| {
                e.log_likelihood >= ev.log_likelihood - 1e-12 * ev.log_likelihood.abs()
            });
            if gains {
                next = Some(trial);
                break;
            }
            scale *= 0.5;
        }
        let Some(next) = next else {
            // No step gains: at the optimum to rounding.
            converged = decrement < 1e-8;
            break;
        };
        phi = next;
        here = at(&phi)?;
    }
    let InParameters {
        ev, observed, jac, ..
    } = &here;
    summarise(
        d,
        &map.theta(&phi),
        ev,
        observed,
        jac,
        iterations,
        converged,
        map.structure,
    )
}

/// The fit's results at θ from its evaluation `ev`, the information in the
/// structure's parameters and the Jacobian J = ∂θ/∂φ.
#[allow(clippy::too_many_arguments)]
fn summarise(
    d: &MmrmData,
    theta: &[f64],
    ev: &Evaluation,
    information: &DMatrix<f64>,
    jac: &DMatrix<f64>,
    iterations: u32,
    converged: bool,
    structure: Structure,
) -> Option<MmrmFit> {
    let info = Cholesky::new(information.clone())?;
    let t = d.visits;
    let mut estimate = Vec::with_capacity(t);
    let mut se = Vec::with_capacity(t);
    let mut df = Vec::with_capacity(t);
    for j in 0..t {
        let c = at(j, ARM);
        let phi = ev.m_inv[(c, c)];
        // ∂φ/∂θ_k = cᵀ M⁻¹ A_k M⁻¹ c = (M⁻¹A_k M⁻¹)[c, c], then to the
        // structure's parameters.
        let grad_theta = DVector::from_fn(d.parameters(), |k, _| {
            ev.m_inv_a[k].row(c).dot(&ev.m_inv.column(c).transpose())
        });
        let grad = jac.transpose() * grad_theta;
        let spread = grad.dot(&info.solve(&grad));
        estimate.push(ev.beta[c]);
        se.push(phi.sqrt());
        df.push(2.0 * phi * phi / spread);
    }
    Some(MmrmFit {
        estimate,
        se,
        df,
        log_likelihood: ev.log_likelihood,
        sigma: d.sigmas(theta),
        structure,
        iterations,
        converged,
    })
}

/// The exact fit for one covariance matrix and monotone dropout, without
/// iterating (T. W. Anderson, JASA 1957; for the MMRM, Y. Tang, Statistics
/// in Medicine 2017): the likelihood factors into regressions of each visit
/// on the covariates and the earlier visits, over the patients observed
/// there. Each regression is ordinary least squares; its residual variance
/// takes the REML divisor n_j − 3 (the covariates' count, not the
/// regression's n_j − 3 − j). Σ and the visit means follow from the
/// regression coefficients; the SEs and df come from the same evaluation
/// as the general fit's. `None` with one covariance per arm (no closed
/// form while the baseline slopes are shared) or when a regression cannot
/// be solved.
pub fn fit_exact(d: &MmrmData) -> Option<MmrmFit> {
    let theta = closed_form(d)?;
    let ev = evaluate(d, &theta, true)?;
    let identity = DMatrix::identity(d.parameters(), d.parameters());
    summarise(
        d,
        &theta,
        &ev,
        &ev.observed,
        &identity,
        0,
        true,
        Structure::Unstructured,
    )
}

/// Σ's elements at the REML optimum for one covariance matrix (see
/// [`fit_exact`]).
fn closed_form(d: &MmrmData) -> Option<Vec<f64>> {
    if d.covariances != 1 {
        return None;
    }
    let t = d.visits;
    let mut sigma = DMatrix::<f64>::zeros(t, t);
    for j in 0..t {
        // Σ w wᵀ and Σ w y_j over the patients seen at visit j, w = (z, y_<j).
        let size = Q + j;
        let mut gram = DMatrix::<f64>::zeros(size, size);
        let mut rhs = DVector::<f64>::zeros(size);
        let (mut yy, mut n) = (0.0, 0.0);
        for g in d.groups.iter().filter(|g| g.m > j) {
            n += g.n;
            yy += g.y[(j, j)];
            let mut block = gram.view_mut((0, 0), (Q, Q));
            block += &g.s;
            for l in 0..j {
                for c in 0..Q {
                    gram[(c, Q + l)] += g.c[(c, l)];
                    gram[(Q + l, c)] += g.c[(c, l)];
                }
                for k in 0..j {
                    gram[(Q + l, Q + k)] += g.y[(l, k)];
                }
                rhs[Q + l] += g.y[(l, j)];
            }
            for c in 0..Q {
                rhs[c] += g.c[(c, j)];
            }
        }
        let coef = Cholesky::new(gram)?.solve(&rhs);
        let variance = (yy - rhs.dot(&coef)) / (n - Q as f64);
        if !(variance.is_finite() && variance > 0.0) {
            return None;
        }
        let phi = coef.rows(Q, j).into_owned();
        let earlier = sigma.view((0, 0), (j, j)).into_owned();
        let cross = &earlier * &phi;
        for l in 0..j {
            sigma[(l, j)] = cross[l];
            sigma[(j, l)] = cross[l];
        }
        sigma[(j, j)] = variance + phi.dot(&cross);
    }
    Some(
        (0..d.parameters())
            .map(|k| {
                let (_, a, b) = d.element(k);
                sigma[(a, b)]
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finite differences of ℓ agree with the analytic gradient, and of the
    /// gradient with the observed information.
    #[test]
    fn derivatives_match_finite_differences() {
        let data = example(true);
        for cov in [Covariance::Common, Covariance::ByArm] {
            let d = MmrmData::new(&data, cov);
            let mut theta = start(&d).unwrap();
            // Away from the diagonal start: some correlation.
            for k in 0..d.parameters() {
                let (_, a, b) = d.element(k);
                if a != b {
                    let (va, vb) = (theta[d.index(0, a, a)], theta[d.index(0, b, b)]);
                    theta[k] = 0.3 * (va * vb).sqrt();
                }
            }
            let ev = evaluate(&d, &theta, true).unwrap();
            for k in 0..d.parameters() {
                let h = 1e-5 * theta[d.index(d.element(k).0, d.element(k).1, d.element(k).1)];
                let mut up = theta.clone();
                up[k] += h;
                let mut down = theta.clone();
                down[k] -= h;
                let (eu, ed) = (
                    evaluate(&d, &up, true).unwrap(),
                    evaluate(&d, &down, true).unwrap(),
                );
                let g = (eu.log_likelihood - ed.log_likelihood) / (2.0 * h);
                assert!(
                    (g - ev.gradient[k]).abs() < 1e-6 * (1.0 + g.abs()),
                    "{cov:?} gradient {k}: {g} vs {}",
                    ev.gradient[k]
                );
                for l in 0..d.parameters() {
                    let hess = -(eu.gradient[l] - ed.gradient[l]) / (2.0 * h);
                    assert!(
                        (hess - ev.observed[(k, l)]).abs() < 1e-5 * (1.0 + hess.abs()),
                        "{cov:?} information ({k}, {l}): {hess} vs {}",
                        ev.observed[(k, l)]
                    );
                }
            }
        }
    }

    /// The structured fallbacks' gradient and information in their own
    /// parameters agree with finite differences of ℓ and of the gradient.
    #[test]
    fn structured_derivatives_match_finite_differences() {
        let data = example(true).with_months(&[1.0, 3.0, 6.0]);
        for cov in [Covariance::Common, Covariance::ByArm] {
            let d = MmrmData::new(&data, cov);
            for structure in [Structure::HeterogeneousAr1, Structure::CompoundSymmetry] {
                let map = Map { d: &d, structure };
                let phi = map.start(&start(&d).unwrap());
                let phi: Vec<f64> = phi
                    .iter()
                    .enumerate()
                    .map(|(i, p)| p + 0.05 * (i as f64 + 1.0).sin())
                    .collect();
                let value = |phi: &[f64]| {
                    let ev = evaluate(&d, &map.theta(phi), true).unwrap();
                    let (jac, curvature) = map.derivatives(phi, &ev.gradient);
                    let g = jac.transpose() * &ev.gradient;
                    let info = jac.transpose() * &ev.observed * &jac - curvature;
                    (ev.log_likelihood, g, info)
                };
                let (_, g, info) = value(&phi);
                for k in 0..phi.len() {
                    let h = 1e-6 * phi[k].abs().max(1.0);
                    let (mut up, mut down) = (phi.clone(), phi.clone());
                    up[k] += h;
                    down[k] -= h;
                    let ((lu, gu, _), (ld, gd, _)) = (value(&up), value(&down));
                    let fd = (lu - ld) / (2.0 * h);
                    assert!(
                        (fd - g[k]).abs() < 1e-5 * (1.0 + fd.abs()),
                        "{structure:?} {cov:?} gradient {k}: {fd} vs {}",
                        g[k]
                    );
                    for l in 0..phi.len() {
                        let fd = -(gu[l] - gd[l]) / (2.0 * h);
                        assert!(
                            (fd - info[(k, l)]).abs() < 1e-4 * (1.0 + fd.abs()),
                            "{structure:?} {cov:?} information ({k}, {l}): {fd} vs {}",
                            info[(k, l)]
                        );
                    }
                }
            }
        }
    }

    /// #27 acceptance 1: on complete data with one covariance, MMRM is
    /// ANCOVA at every visit (identical regressors: GLS = OLS): the same
    /// estimate and SE to 1e-8, df = n − 3 and the same p-value.
    #[test]
    fn complete_data_common_covariance_is_ancova() {
        use crate::analysis::analyse;
        use crate::scenario::{Analysis, Method, Missing, Sided};
        let data = example(false);
        let d = MmrmData::new(&data, Covariance::Common);
        let f = fit(&d).unwrap();
        assert!(f.converged, "{f:?}");
        let settings = Analysis {
            method: Method::Ancova,
            missing: Missing::CompleteCase,
            alpha: 0.05,
            sided: Sided::Two,
            by_visit: true,
            replication: false,
            fast_path: false,
        };
        for k in 0..3 {
            let a = analyse(&data, k, &settings, -1.0).result.unwrap();
            let close = |x: f64, y: f64, tol: f64| (x - y).abs() <= tol * y.abs().max(1.0);
            assert!(
                close(f.estimate[k], a.estimate, 1e-8),
                "{} vs {}",
                f.estimate[k],
                a.estimate
            );
            assert!(close(f.se[k], a.se, 1e-8), "{} vs {}", f.se[k], a.se);
            assert!(close(f.df[k], 13.0, 1e-6), "df {}", f.df[k]);
        }
    }

    /// A small trial with dropout: 3 visits, 8 patients per arm.
    fn example(dropout: bool) -> TrialData {
        let n = 8;
        let mut baseline = Vec::new();
        let mut values = Vec::new();
        let mut observed = Vec::new();
        for i in 0..2 * n {
            let x = i as f64;
            let b = 50.0 + (x * 7.3).sin() * 9.0;
            baseline.push(b);
            let arm = if i >= n { -5.0 } else { 0.0 };
            let mut prev = 0.0;
            for k in 0..3 {
                let noise = ((x + 1.0) * (k as f64 + 2.0) * 1.7).sin() * 6.0 + 0.6 * prev;
                prev = noise;
                values.push(0.7 * b + arm * (k as f64 + 1.0) / 3.0 + noise);
            }
            observed.push(if dropout { 3 - (i % 5).min(2) } else { 3 });
        }
        TrialData::new(3, [n, n], baseline, values, observed)
    }
}
