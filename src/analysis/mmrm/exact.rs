//! The exact REML fit for one covariance matrix under monotone dropout
//! (T. W. Anderson, JASA 1957; for the MMRM, Y. Tang, Statistics in
//! Medicine 2017).
//!
//! Reparameterise Σ by the sequential regressions of each visit j on the
//! earlier ones: coefficients φ_j and residual variance s_j (ψ). The
//! likelihood factors over the visits, and so does REML's: the mean
//! parameters of visit j's regression given the earlier visits are the
//! unit-triangular transform α_j = β_j − Σ_l φ_jl β_l of β (Jacobian 1),
//! so log|XᵀV⁻¹X| = Σ_j (log|Z_jᵀZ_j| − Q log s_j) with Z_j the covariates
//! of the n_j patients seen at visit j, and
//!
//! ℓ(ψ) = Σ_j [−½ (n_j − Q) log s_j − RSS_j(φ_j) / (2 s_j)] + const,
//!
//! RSS_j the residual sum of squares of visit j on Z_j and the earlier
//! visits. Each term is maximised by ordinary least squares with the REML
//! divisor n_j − Q (the covariates' count, not the regression's
//! n_j − Q − j). The information in ψ is block diagonal at the optimum:
//! Ỹ_jᵀỸ_j / s_j for φ_j (Ỹ_j the earlier visits residualised on Z_j) and
//! (n_j − Q) / 2 for λ_j = log s_j (ψ is the modified Cholesky
//! parameterisation, `cholesky.rs`). The Satterthwaite df of each contrast
//! follow from it and the gradient of the contrast's variance carried to ψ,
//! with no Newton step and no Σ-element Hessian (the same df as the
//! general fit's: df does not depend on the parameterisation at an
//! optimum).

use super::reml::{Need, evaluate, variance_gradient};
use super::{MmrmData, MmrmFit, Structure, cholesky};
use nalgebra::{Cholesky, DMatrix, DVector};

/// Visit j's regression on the covariates and the earlier visits.
struct Regression {
    /// Coefficients on the earlier visits, φ_j.
    phi: DVector<f64>,
    /// Residual variance s_j (REML divisor).
    variance: f64,
    /// Residual degrees of freedom of s_j, n_j − (number of covariates).
    df: f64,
    /// (Ỹ_jᵀỸ_j)⁻¹, the earlier visits' block of the inverse Gram matrix.
    inverse: DMatrix<f64>,
}

/// The exact fit with one covariance matrix (see the module docs); `None`
/// with one per arm (no closed form while the baseline slopes are shared)
/// or where a visit's regression is singular or fits exactly (the
/// unstructured likelihood then has no unique maximum).
pub fn fit_exact(d: &MmrmData) -> Option<MmrmFit> {
    if d.covariances != 1 || d.visits == 0 {
        return None;
    }
    let (sigma, regressions) = sequential(d, 0, &[0, 1, 2])?;
    let ev = evaluate(d, &d.elements(std::slice::from_ref(&sigma)), Need::Fit)?;
    // ψ = (φ_0, λ_0, φ_1, λ_1, …), λ_j = log s_j: the information is
    // Ỹ_jᵀỸ_j / s_j for φ_j and (n_j − Q) / 2 for λ_j.
    let psi: Vec<f64> = regressions
        .iter()
        .flat_map(|r| r.phi.iter().copied().chain([r.variance.ln()]))
        .collect();
    let ds = cholesky::first(&psi, &sigma);
    let (mut estimate, mut se, mut df) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..d.visits {
        let (beta, v) = ev.contrast(j);
        let g = variance_gradient(d, &ev, j);
        let grad = DVector::from_fn(ds.len(), |i, _| {
            let mut sum = 0.0;
            for b in 0..d.visits {
                for a in 0..=b {
                    sum += ds[i][(a, b)] * g[d.index(0, a, b)];
                }
            }
            sum
        });
        // ∇vᵀ I⁻¹ ∇v, I block diagonal in ψ.
        let mut spread = 0.0;
        for (i, r) in regressions.iter().enumerate() {
            let g_phi = grad.rows(cholesky::index(i, 0), i);
            let g_lambda = grad[cholesky::index(i, i)];
            spread += r.variance * (g_phi.transpose() * &r.inverse * g_phi)[(0, 0)]
                + 2.0 * g_lambda * g_lambda / r.df;
        }
        estimate.push(beta);
        se.push(v.sqrt());
        df.push(2.0 * v * v / spread);
    }
    Some(MmrmFit {
        estimate,
        se,
        df,
        log_likelihood: ev.log_likelihood,
        sigma: vec![sigma],
        structure: Structure::Unstructured,
        iterations: 0,
        converged: true,
    })
}

/// One arm's own closed form for each covariance matrix of a `by_arm`
/// fit, as modified Cholesky parameters ([`super::cholesky`]): the
/// sequential regressions within the arm on an intercept and the baseline
/// (as if each arm had its own baseline slopes, the one freedom the
/// `by_arm` model does not have), REML divisor n_j − 2. It starts the
/// general fit close to its optimum; `None` when an arm has a visit whose
/// regression leaves no residual (fewer than j + 3 patients at the j-th
/// visit, counting from 0): with 3 to j + 2 patients there the `by_arm`
/// unstructured likelihood grows without bound, and the fit falls back.
pub(super) fn by_arm_start(d: &MmrmData) -> Option<Vec<f64>> {
    let mut psi = Vec::with_capacity(d.parameters());
    for cov in 0..d.covariances {
        let (_, regressions) = sequential(d, cov, &[0, 2])?;
        for r in regressions {
            psi.extend(r.phi.iter());
            psi.push(r.variance.ln());
        }
    }
    Some(psi)
}

/// Σ from the sequential regressions of each visit on the covariates
/// `covariates` (indices into z) and the earlier visits, over the groups of
/// covariance matrix `cov`, with each regression; the residual variance
/// takes the REML divisor n_j − (number of covariates). `None` when a
/// regression is singular or leaves no residual.
fn sequential(
    d: &MmrmData,
    cov: usize,
    covariates: &[usize],
) -> Option<(DMatrix<f64>, Vec<Regression>)> {
    let t = d.visits;
    let q = covariates.len();
    let mut sigma = DMatrix::<f64>::zeros(t, t);
    let mut regressions = Vec::with_capacity(t);
    for j in 0..t {
        // Σ w wᵀ and Σ w y_j over the patients seen at visit j, w = (z, y_<j).
        let size = q + j;
        let mut gram = DMatrix::<f64>::zeros(size, size);
        let mut rhs = DVector::<f64>::zeros(size);
        let (mut yy, mut n) = (0.0, 0.0);
        for g in d.groups.iter().filter(|g| g.cov == cov && g.m > j) {
            n += g.n;
            yy += g.y[(j, j)];
            for (a, &ca) in covariates.iter().enumerate() {
                for (b, &cb) in covariates.iter().enumerate() {
                    gram[(a, b)] += g.s[(ca, cb)];
                }
                for l in 0..j {
                    gram[(a, q + l)] += g.c[(ca, l)];
                    gram[(q + l, a)] += g.c[(ca, l)];
                }
                rhs[a] += g.c[(ca, j)];
            }
            for l in 0..j {
                for k in 0..j {
                    gram[(q + l, q + k)] += g.y[(l, k)];
                }
                rhs[q + l] += g.y[(l, j)];
            }
        }
        // The regression needs a residual degree of freedom: more patients
        // than coefficients (else it fits exactly, up to rounding).
        if n <= size as f64 {
            return None;
        }
        let chol = Cholesky::new(gram)?;
        let coef = chol.solve(&rhs);
        let variance = (yy - rhs.dot(&coef)) / (n - q as f64);
        // A residual at rounding level is none: the regression fits exactly.
        if !(variance.is_finite() && variance > 1e-10 * yy / n) {
            return None;
        }
        let phi = coef.rows(q, j).into_owned();
        let earlier = sigma.view((0, 0), (j, j)).into_owned();
        let cross = &earlier * &phi;
        for l in 0..j {
            sigma[(l, j)] = cross[l];
            sigma[(j, l)] = cross[l];
        }
        sigma[(j, j)] = variance + phi.dot(&cross);
        regressions.push(Regression {
            phi,
            variance,
            df: n - q as f64,
            inverse: chol.inverse().view((q, q), (j, j)).into_owned(),
        });
    }
    Some((sigma, regressions))
}

/// Σ's elements at the REML optimum for one covariance matrix.
#[cfg(test)]
pub(super) fn closed_form(d: &MmrmData) -> Option<Vec<f64>> {
    let (sigma, _) = sequential(d, 0, &[0, 1, 2])?;
    Some(d.elements(&[sigma]))
}
