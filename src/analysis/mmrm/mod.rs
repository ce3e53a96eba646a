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
//! `C = Σ z yᵀ` and `Y = Σ y yᵀ`, with `z = (1, arm, centred baseline)`
//! and y centred on each visit's mean (`reml.rs`).
//!
//! **Which fit.** With one covariance matrix the REML optimum has a closed
//! form (`exact.rs`); with one per arm the optimiser (`structure.rs`) starts
//! from each arm's own closed form. Where the unstructured optimum does not
//! exist (a visit with too few patients for its regression on the earlier
//! ones to leave a residual) or the optimiser does not converge, the fit
//! falls back to a heterogeneous AR(1), then to compound symmetry
//! ([`fit`]).
//!
//! **Degrees of freedom.** Satterthwaite (1946) for the contrast c = beta_j,
//! with v(θ) = cᵀ(XᵀV⁻¹X)⁻¹c its variance: df = 2v² / (∇vᵀ I⁻¹ ∇v), I
//! the **observed** information (the Hessian of −ℓ, as the R package mmrm
//! uses). At an optimum df does not depend on how Σ is parameterised (the
//! gradient of v and the information transform with the same Jacobian),
//! which the closed form uses to get df cheaply.

mod cholesky;
mod exact;
mod reml;
mod structure;

pub use crate::scenario::Covariance;
pub use exact::fit_exact;
pub use structure::{Structure, fit_structure};

use crate::simulate::{CONTROL, TREATMENT, TrialData};
use nalgebra::{DMatrix, DVector};

/// Covariates per visit: intercept, arm, centred baseline.
const Q: usize = 3;
/// Index of the arm among the covariates.
const ARM: usize = 1;

/// The index of covariate c at visit j in β.
fn at(j: usize, c: usize) -> usize {
    j * Q + c
}

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
    ///
    /// The model covers the visits at which both arms have at least two
    /// patients: under monotone dropout, the first few visits. A later
    /// visit is not estimable by the usual rule, and its values do not
    /// enter the fit (with one unstructured Σ they would inform only that
    /// visit's own parameters, the likelihood factoring over the visits;
    /// with one per arm they would also inform the shared baseline slopes
    /// a little).
    pub fn new(data: &TrialData, covariance: Covariance) -> Self {
        let total = data.n[0] + data.n[1];
        let visits = (0..data.visits)
            .take_while(|&k| {
                [CONTROL, TREATMENT]
                    .iter()
                    .all(|&arm| data.arm(arm).filter(|&i| data.observed[i] > k).count() >= 2)
            })
            .count();
        let mean = data.baseline.iter().sum::<f64>() / total.max(1) as f64;
        let covariances = match covariance {
            Covariance::Common => 1,
            Covariance::ByArm => 2,
        };
        // Each visit's values are centred on their mean: the visit's
        // intercept absorbs the shift, so the fit's treatment effects and
        // covariances are unchanged, and ℓ's terms lose no digits to it.
        let centre: Vec<f64> = (0..visits)
            .map(|k| {
                let seen = (0..total).filter(|&i| data.observed[i] > k);
                let (sum, n) = seen.fold((0.0, 0.0), |(s, n), i| (s + data.value(i, k), n + 1.0));
                if n > 0.0 { sum / n } else { 0.0 }
            })
            .collect();
        let mut groups: Vec<Group> = Vec::new();
        for i in 0..total {
            let m = data.observed[i].min(visits);
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
            let y = DVector::from_fn(m, |k, _| data.value(i, k) - centre[k]);
            let g = &mut groups[g];
            g.n += 1.0;
            g.s.ger(1.0, &z, &z, 1.0);
            g.c.ger(1.0, &z, &y, 1.0);
            g.y.ger(1.0, &y, &y, 1.0);
        }
        groups.sort_by_key(|g| (g.cov, g.m));
        MmrmData {
            visits,
            months: data.months[..visits].to_vec(),
            covariances,
            groups,
        }
    }

    /// Number of covariance parameters θ (Σ's distinct elements).
    fn parameters(&self) -> usize {
        self.covariances * self.visits * (self.visits + 1) / 2
    }

    /// The parameter index of Σ_cov[a, b].
    fn index(&self, cov: usize, a: usize, b: usize) -> usize {
        let t = self.visits;
        let (a, b) = (a.min(b), a.max(b));
        cov * t * (t + 1) / 2 + a * t - a * (a + 1) / 2 + b
    }

    /// (cov, a, b) of parameter k, a ≤ b.
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

    /// θ of the covariance matrices.
    fn elements(&self, sigmas: &[DMatrix<f64>]) -> Vec<f64> {
        (0..self.parameters())
            .map(|k| {
                let (cov, a, b) = self.element(k);
                sigmas[cov][(a, b)]
            })
            .collect()
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
    /// Treatment effect per visit modelled (see [`MmrmData::new`]),
    /// treatment minus control.
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
    /// Newton iterations (0 for the closed form).
    pub iterations: u32,
    /// Whether the fit converged (always for the closed form).
    pub converged: bool,
}

/// Fits the MMRM by REML down [`Structure::CHAIN`], returning the first
/// structure that converges; `None` when none does.
///
/// Unstructured comes first: with one covariance matrix its closed form
/// ([`fit_exact`]); with one per arm the optimiser from each arm's own
/// closed form. Where that closed form does not exist, a visit's
/// regression on the covariates and the earlier visits fits exactly (too
/// few patients there), and the unstructured likelihood grows without bound
/// as that visit's residual variance shrinks: there is no optimum, and the
/// fit moves on to the heterogeneous AR(1), then to compound symmetry.
pub fn fit(d: &MmrmData) -> Option<MmrmFit> {
    if d.visits == 0 {
        return None;
    }
    let unstructured = if d.covariances == 1 {
        fit_exact(d)
    } else {
        fit_structure(d, Structure::Unstructured)
    };
    unstructured.filter(|f| f.converged).or_else(|| {
        Structure::CHAIN[1..]
            .iter()
            .filter_map(|&s| fit_structure(d, s))
            .find(|f| f.converged)
    })
}

#[cfg(test)]
mod tests;
