//! The general REML fit: a covariance structure's parameters φ, Σ's
//! elements θ(φ), and Newton–Raphson on φ.
//!
//! **Optimiser.** Newton–Raphson with the observed information, damped
//! towards Fisher scoring where it is not positive definite
//! (Levenberg–Marquardt), halving a step until Σ stays positive definite
//! and ℓ does not fall. It stops when the Newton decrement gᵀI⁻¹g (twice
//! the predicted gain in ℓ) falls below 1e-20, or where rounding stops it
//! falling.

use super::reml::{Evaluation, Need, diagonal_start, evaluate, variance_gradient};
use super::{MmrmData, MmrmFit, cholesky, exact};
use nalgebra::{Cholesky, DMatrix, DVector};

/// A within-patient covariance structure: how Σ's elements θ follow from
/// the structure's parameters φ (for each covariance matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// Every element free, parameterised by the modified Cholesky factor:
    /// φ = each visit's regression on the earlier visits and its log
    /// residual variance (`cholesky.rs`).
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
pub(super) struct Map<'a> {
    pub d: &'a MmrmData,
    pub structure: Structure,
}

/// An element of θ with its first and second derivatives in φ:
/// (value, [(index, ∂)], [(index, index, ∂²)]).
type Element = (f64, Vec<(usize, f64)>, Vec<(usize, usize, f64)>);

impl Map<'_> {
    fn parameters(&self) -> usize {
        self.d.covariances * self.structure.size(self.d.visits)
    }

    /// Σ_cov[a, b] with its derivatives in the block's parameters (the
    /// structures whose elements are maps of their own).
    fn element(&self, phi: &[f64], (cov, a, b): (usize, usize, usize)) -> Element {
        let t = self.d.visits;
        let base = cov * self.structure.size(t);
        match self.structure {
            Structure::Unstructured => unreachable!("unstructured maps whole matrices"),
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

    /// The parameters of covariance matrix `cov`.
    fn block<'p>(&self, phi: &'p [f64], cov: usize) -> &'p [f64] {
        let size = self.structure.size(self.d.visits);
        &phi[cov * size..(cov + 1) * size]
    }

    /// θ(φ).
    pub fn theta(&self, phi: &[f64]) -> Vec<f64> {
        if self.structure == Structure::Unstructured {
            let sigmas: Vec<DMatrix<f64>> = (0..self.d.covariances)
                .map(|cov| cholesky::sigma(self.block(phi, cov), self.d.visits))
                .collect();
            return self.d.elements(&sigmas);
        }
        (0..self.d.parameters())
            .map(|k| self.element(phi, self.d.element(k)).0)
            .collect()
    }

    /// J (K × P) and Σ_k g_k ∇²θ_k (P × P).
    pub fn derivatives(&self, phi: &[f64], g: &DVector<f64>) -> (DMatrix<f64>, DMatrix<f64>) {
        let p = self.parameters();
        let mut jac = DMatrix::zeros(self.d.parameters(), p);
        let mut curvature = DMatrix::zeros(p, p);
        if self.structure == Structure::Unstructured {
            let (t, size) = (self.d.visits, cholesky::size(self.d.visits));
            for cov in 0..self.d.covariances {
                let psi = self.block(phi, cov);
                let sigma = cholesky::sigma(psi, t);
                let ds = cholesky::first(psi, &sigma);
                for (i, d) in ds.iter().enumerate() {
                    for b in 0..t {
                        for a in 0..=b {
                            jac[(self.d.index(cov, a, b), cov * size + i)] = d[(a, b)];
                        }
                    }
                }
                let w = DMatrix::from_fn(t, t, |a, b| g[self.d.index(cov, a, b)]);
                curvature
                    .view_mut((cov * size, cov * size), (size, size))
                    .copy_from(&cholesky::curvature(psi, &sigma, &ds, &w));
            }
            return (jac, curvature);
        }
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
    pub fn start(&self, diagonal: &[f64]) -> Vec<f64> {
        let t = self.d.visits;
        let mut phi = Vec::with_capacity(self.parameters());
        for cov in 0..self.d.covariances {
            let var = |j: usize| diagonal[self.d.index(cov, j, j)];
            match self.structure {
                Structure::Unstructured => {
                    // No visit regressed on another: φ = 0, λ_j = log var_j.
                    for j in 0..t {
                        phi.extend(std::iter::repeat_n(0.0, j));
                        phi.push(var(j).ln());
                    }
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

/// Fits one structure by Newton–Raphson on its parameters. Unstructured
/// with one covariance per arm starts from each arm's own closed form and
/// is not tried where that does not exist (see [`super::fit`]); every
/// other fit starts from a diagonal Σ of each visit's residual variance.
pub fn fit_structure(d: &MmrmData, structure: Structure) -> Option<MmrmFit> {
    if d.visits == 0 {
        return None;
    }
    let map = Map { d, structure };
    let phi = match structure {
        Structure::Unstructured if d.covariances > 1 => exact::by_arm_start(d)?,
        _ => map.start(&diagonal_start(d)?),
    };
    newton(&map, phi)
}

/// An evaluation carried to a structure's parameters φ.
pub(super) struct InParameters {
    pub ev: Evaluation,
    /// ∂ℓ/∂φ.
    pub gradient: DVector<f64>,
    /// −∂²ℓ/∂φ∂φᵀ.
    pub observed: DMatrix<f64>,
    /// Fisher's information in φ.
    pub expected: DMatrix<f64>,
    /// ∂θ/∂φ.
    pub jac: DMatrix<f64>,
}

impl Map<'_> {
    /// ℓ, its derivatives and the informations at φ.
    pub fn at(&self, phi: &[f64]) -> Option<InParameters> {
        let ev = evaluate(self.d, &self.theta(phi), Need::Derivatives)?;
        let (jac, curvature) = self.derivatives(phi, &ev.gradient);
        Some(InParameters {
            gradient: jac.transpose() * &ev.gradient,
            observed: jac.transpose() * &ev.observed * &jac - curvature,
            expected: jac.transpose() * &ev.expected * &jac,
            ev,
            jac,
        })
    }
}

/// Newton–Raphson on φ with the observed information (damped towards
/// Fisher scoring where that is not positive definite), halving steps that leave a covariance
/// matrix not positive definite or lower ℓ.
fn newton(map: &Map, mut phi: Vec<f64>) -> Option<MmrmFit> {
    const MAX_ITERATIONS: u32 = 100;
    let d = map.d;
    let mut here = map.at(&phi)?;
    let mut iterations = 0;
    let mut converged = false;
    let mut previous = f64::INFINITY;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let InParameters {
            ev,
            gradient,
            observed,
            expected,
            ..
        } = &here;
        let step = damped_step(observed, expected, gradient)?;
        let decrement = gradient.dot(&step);
        // Converged at 1e-20, or where rounding stops the decrement falling
        // (below 1e-12 and less than tenfold below the last: Newton's steps
        // at least square it until then).
        if decrement < 1e-20 || (decrement < 1e-12 && decrement > 0.1 * previous) {
            converged = true;
            break;
        }
        previous = decrement;
        let mut scale = 1.0;
        let mut next = None;
        for _ in 0..40 {
            let trial: Vec<f64> = phi
                .iter()
                .zip(step.iter())
                .map(|(t, s)| t + scale * s)
                .collect();
            let gains = evaluate(d, &map.theta(&trial), Need::Likelihood).is_some_and(|e| {
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
        here = map.at(&phi)?;
    }
    summarise(map, &phi, &here, iterations, converged)
}

/// The Newton step I⁻¹g with the observed information I where it is
/// positive definite; else with I + μF (F Fisher's information) for the
/// smallest μ in 10⁻³, 10⁻², …, 10³ that makes it so, and with F alone
/// beyond that (Levenberg–Marquardt with Fisher's scaling: between Newton's
/// step and scoring's).
fn damped_step(
    observed: &DMatrix<f64>,
    expected: &DMatrix<f64>,
    gradient: &DVector<f64>,
) -> Option<DVector<f64>> {
    if let Some(c) = Cholesky::new(observed.clone()) {
        return Some(c.solve(gradient));
    }
    (-3..=3)
        .map(|e| 10f64.powi(e))
        .find_map(|mu| Cholesky::new(observed + expected * mu))
        .or_else(|| Cholesky::new(expected.clone()))
        .map(|c| c.solve(gradient))
}

/// The fit's results at φ: estimates and SEs from the evaluation, df from
/// the observed information in φ.
fn summarise(
    map: &Map,
    phi: &[f64],
    here: &InParameters,
    iterations: u32,
    converged: bool,
) -> Option<MmrmFit> {
    let d = map.d;
    let info = Cholesky::new(here.observed.clone())?;
    let (mut estimate, mut se, mut df) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..d.visits {
        let (beta, v) = here.ev.contrast(j);
        let grad = here.jac.transpose() * variance_gradient(d, &here.ev, j);
        estimate.push(beta);
        se.push(v.sqrt());
        df.push(2.0 * v * v / grad.dot(&info.solve(&grad)));
    }
    Some(MmrmFit {
        estimate,
        se,
        df,
        log_likelihood: here.ev.log_likelihood,
        sigma: d.sigmas(&map.theta(phi)),
        structure: map.structure,
        iterations,
        converged,
    })
}
