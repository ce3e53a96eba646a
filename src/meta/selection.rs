//! Vevea and Hedges' (1995) step-function selection model with one cut
//! (issue #22), as metafor's `selmodel(type = "stepfun", steps = 0.025)`:
//! a study significant in the direction `s` at one-sided p ≤ 0.025 is
//! published with weight 1, any other with weight `delta`; the observed
//! estimates are normal with mean `mu` and variance `v + tau²` truncated by
//! that weight. Fitted by maximum likelihood (mu, tau² ≥ 0 — fixed at 0 for
//! the common-effect model — and delta > 0) whatever the pooling method.
//!
//! The log-likelihood's gradient and Hessian are analytic (below), so a fit
//! of eight studies is a handful of Newton steps — cheap enough to run on
//! every simulated literature. metafor maximises with `optim` and takes the
//! Hessian from `numDeriv`; both reach the same maximum (the test against
//! metafor agrees to 1e-4, the precision of its optimiser).
//!
//! It knows no trials, only numbers (the `meta` layer).

use super::pooling::{tau2_dl, weighted};
use nalgebra::{Matrix3, Vector3};
use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// The one-sided p-value at which the step-function selection model cuts:
/// significant in the favourable direction at 0.025 (two-sided 0.05).
pub const SELECTION_CUT: f64 = 0.025;

/// Most Newton steps of one fit.
const MAX_STEPS: usize = 200;

/// Vevea and Hedges' step-function selection model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Selection {
    /// The mean effect corrected for selection.
    pub mu: f64,
    /// Its SE, from the inverse of the observed information.
    pub se: f64,
    /// The relative chance of publication of a study that is not
    /// significant (one-sided p above the cut), significant ones at 1.
    pub delta: f64,
    /// p of the likelihood-ratio test of `delta = 1` (no selection), χ²₁.
    pub lrt_p: f64,
    /// Whether the maximisation converged (and `delta` is not running off
    /// to 0 or infinity, as it does when every study is significant or
    /// none is: then delta, and with it mu, is not identified).
    pub converged: bool,
}

/// The studies and the model's cut points.
struct Studies<'a> {
    y: &'a [f64],
    v: &'a [f64],
    /// The cut on the estimate's scale, `s · z_{1 − cut} · √v`.
    c: Vec<f64>,
    s: f64,
}

/// The log-likelihood with its gradient and Hessian in the natural
/// parameters (mu, tau², delta).
struct Derivatives {
    ll: f64,
    g: Vector3<f64>,
    h: Matrix3<f64>,
}

impl Studies<'_> {
    /// The log-likelihood and its first and second derivatives at (`mu`,
    /// `tau2`, `delta`). Per study, with `var = v + tau²`,
    /// `u = s (c − mu)/√var`, `P = 1 − Φ(u)` the chance of significance and
    /// `A = delta + (1 − delta) P` the normalising weight:
    /// `ll = [not significant] ln delta − ½ ln var − ½ (y − mu)²/var − ln A`.
    fn derivatives(&self, mu: f64, tau2: f64, delta: f64) -> Derivatives {
        let n = Normal::standard();
        let mut d = Derivatives {
            ll: 0.0,
            g: Vector3::zeros(),
            h: Matrix3::zeros(),
        };
        for ((&y, &v), &c) in self.y.iter().zip(self.v).zip(&self.c) {
            let var = v + tau2;
            let sd = var.sqrt();
            let r = y - mu;
            let significant = self.s * y >= self.s * c;
            // The normal part.
            d.ll += -0.5 * var.ln() - 0.5 * r * r / var;
            d.g[0] += r / var;
            d.g[1] += -0.5 / var + 0.5 * r * r / (var * var);
            d.h[(0, 0)] += -1.0 / var;
            d.h[(0, 1)] += -r / (var * var);
            d.h[(1, 1)] += 0.5 / (var * var) - r * r / (var * var * var);
            if !significant {
                d.ll += delta.ln();
                d.g[2] += 1.0 / delta;
                d.h[(2, 2)] += -1.0 / (delta * delta);
            }
            // −ln A through u(mu, tau²): derivatives of u, then of P.
            let u = self.s * (c - mu) / sd;
            let du = [-self.s / sd, -u / (2.0 * var)];
            let ddu = [
                [0.0, self.s / (2.0 * var * sd)],
                [self.s / (2.0 * var * sd), 3.0 * u / (4.0 * var * var)],
            ];
            let (p, phi) = (n.sf(u), n.pdf(u));
            let dp = [-phi * du[0], -phi * du[1]];
            let a = delta + (1.0 - delta) * p;
            d.ll -= a.ln();
            for i in 0..2 {
                d.g[i] -= (1.0 - delta) * dp[i] / a;
                for j in 0..2 {
                    let ddp = u * phi * du[i] * du[j] - phi * ddu[i][j];
                    d.h[(i, j)] += -(1.0 - delta) * ddp / a
                        + (1.0 - delta) * (1.0 - delta) * dp[i] * dp[j] / (a * a);
                }
                // ∂²(−ln A)/∂θ_i∂delta with ∂A/∂delta = 1 − P.
                d.h[(i, 2)] += dp[i] / a + (1.0 - delta) * dp[i] * (1.0 - p) / (a * a);
            }
            d.g[2] -= (1.0 - p) / a;
            d.h[(2, 2)] += (1.0 - p) * (1.0 - p) / (a * a);
        }
        d.h[(1, 0)] = d.h[(0, 1)];
        d.h[(2, 0)] = d.h[(0, 2)];
        d.h[(2, 1)] = d.h[(1, 2)];
        d
    }

    /// The log-likelihood, gradient and Hessian in the working parameters
    /// `x = (mu, t, ln delta)` with tau² = t² (smooth through 0), the
    /// parameters not `free` held where they are (zero gradient, unit
    /// curvature, so a Newton step leaves them alone).
    fn working(&self, x: &Vector3<f64>, free: [bool; 3]) -> Derivatives {
        let delta = x[2].exp();
        let d = self.derivatives(x[0], x[1] * x[1], delta);
        // d(natural)/d(working) and the second derivatives of the map.
        let jac = [1.0, 2.0 * x[1], delta];
        let curv = [0.0, 2.0, delta];
        let mut w = Derivatives {
            ll: d.ll,
            g: Vector3::zeros(),
            h: Matrix3::zeros(),
        };
        for i in 0..3 {
            if !free[i] {
                w.h[(i, i)] = -1.0;
                continue;
            }
            w.g[i] = jac[i] * d.g[i];
            for j in 0..3 {
                if free[j] {
                    w.h[(i, j)] = jac[i] * jac[j] * d.h[(i, j)];
                }
            }
            w.h[(i, i)] += curv[i] * d.g[i];
        }
        w
    }

    /// Maximises the log-likelihood over the `free` working parameters from
    /// `x` by Newton steps, damped (Levenberg–Marquardt) where the Hessian
    /// is not negative definite or a step does not raise the likelihood.
    /// `None` when it does not settle.
    fn maximise(&self, mut x: Vector3<f64>, free: [bool; 3]) -> Option<(Vector3<f64>, f64)> {
        let mut at = self.working(&x, free);
        let mut lambda = 1e-3;
        for _ in 0..MAX_STEPS {
            if !at.ll.is_finite() {
                return None;
            }
            if at.g.amax() < 1e-10 * (1.0 + at.ll.abs()) {
                return Some((x, at.ll));
            }
            let mut accepted = false;
            for _ in 0..40 {
                let mut m = -at.h;
                for i in 0..3 {
                    m[(i, i)] += lambda * (1.0 + m[(i, i)].abs());
                }
                if let Some(step) = m.cholesky().map(|ch| ch.solve(&at.g)) {
                    let trial = x + step;
                    let next = self.working(&trial, free);
                    // Within rounding of the maximum a step may not raise
                    // the likelihood visibly: accept it, and stop once the
                    // step is negligible.
                    if next.ll.is_finite() && next.ll >= at.ll - 1e-13 * (1.0 + at.ll.abs()) {
                        let negligible = step.amax() <= 1e-12 * (1.0 + x.amax());
                        x = trial;
                        at = next;
                        lambda = (lambda / 10.0).max(1e-12);
                        accepted = true;
                        if negligible {
                            return Some((x, at.ll));
                        }
                        break;
                    }
                }
                lambda *= 10.0;
            }
            if !accepted {
                return (at.g.amax() < 1e-5 * (1.0 + at.ll.abs())).then_some((x, at.ll));
            }
        }
        None
    }
}

/// A fitted model: its estimate and SE, the variance components and the
/// maximised log-likelihood (no likelihood-ratio test: the simulated
/// literatures need none).
struct Fit {
    mu: f64,
    se: f64,
    tau2: f64,
    delta: f64,
    ll: f64,
}

/// Fits the selection model to the `studies`: random effects if `random`,
/// else tau² = 0; `None` when the maximisation fails.
fn fit(studies: &Studies, random: bool) -> Option<Fit> {
    let (y, v) = (studies.y, studies.v);
    let k = y.len() as f64;
    let mean_v = v.iter().sum::<f64>() / k;
    // Start at the random-effects (DL) or common-effect fit, delta = 1.
    let tau0 = if random { tau2_dl(y, v) } else { 0.0 };
    let (mu0, _) = weighted(y, v, tau0);
    let t0 = if random {
        tau0.sqrt().max(1e-3 * mean_v.sqrt())
    } else {
        0.0
    };
    let (x, ll) = studies.maximise(Vector3::new(mu0, t0, 0.0), [true, random, true])?;
    let (mu, tau2, delta) = (x[0], x[1] * x[1], x[2].exp());
    // The SE of mu: inverse observed information in (mu, tau², delta), or
    // (mu, delta) when tau² is fixed or on its boundary.
    let d = studies.derivatives(mu, tau2, delta);
    let with_tau = random && tau2 > 1e-10 * mean_v;
    let mut info = -d.h;
    if !with_tau {
        info.row_mut(1).fill(0.0);
        info.column_mut(1).fill(0.0);
        info[(1, 1)] = 1.0;
    }
    let se = info
        .try_inverse()
        .map(|inv| inv[(0, 0)])
        .filter(|x| *x > 0.0)
        .map(f64::sqrt)
        .unwrap_or(f64::NAN);
    Some(Fit {
        mu,
        se,
        tau2,
        delta,
        ll,
    })
}

impl Fit {
    /// Whether delta is identified and the SE finite.
    fn converged(&self) -> bool {
        self.se.is_finite() && self.delta > 1e-6 && self.delta < 1e6
    }
}

/// The studies `(y, v)` with the cut in direction `s`.
fn studies<'a>(y: &'a [f64], v: &'a [f64], s: f64) -> Studies<'a> {
    let z = Normal::standard().inverse_cdf(1.0 - SELECTION_CUT);
    Studies {
        y,
        v,
        c: v.iter().map(|vi| s * z * vi.sqrt()).collect(),
        s,
    }
}

/// The selection model fitted to `(y, v)` in direction `s` (+1: greater),
/// random effects if `random`, with the likelihood-ratio test of delta = 1
/// (`pool --bias`). `None` with fewer than 3 studies.
pub fn selection_model(y: &[f64], v: &[f64], random: bool, s: f64) -> Option<Selection> {
    if y.len() < 3 {
        return None;
    }
    let studies = studies(y, v, s);
    let full = fit(&studies, random)?;
    // No selection: delta fixed at 1, from the same start.
    let start = Vector3::new(full.mu, full.tau2.sqrt(), 0.0);
    let (_, ll0) = studies.maximise(start, [true, random, false])?;
    let lrt = (2.0 * (full.ll - ll0)).max(0.0);
    let lrt_p = statrs::distribution::ChiSquared::new(1.0)
        .map(|chi| chi.sf(lrt))
        .unwrap_or(f64::NAN);
    Some(Selection {
        mu: full.mu,
        se: full.se,
        delta: full.delta,
        lrt_p,
        converged: full.converged(),
    })
}

/// The selection model's estimate of the mean effect with its SE for a
/// simulated literature (random effects, direction `s`), `None` where it
/// fails or delta is not identified (see [`Selection::converged`]).
pub fn selection_estimate(y: &[f64], v: &[f64], s: f64) -> Option<(f64, f64)> {
    if y.len() < 3 {
        return None;
    }
    fit(&studies(y, v, s), true)
        .filter(Fit::converged)
        .map(|f| (f.mu, f.se))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient and Hessian equal central differences of the
    /// log-likelihood (and of the gradient) to 1e-6 relative.
    #[test]
    fn the_derivatives_are_those_of_the_likelihood() {
        let y = [0.9, 0.1, 0.45, -0.2, 0.7, 0.05];
        let v = [0.1, 0.04, 0.09, 0.05, 0.2, 0.03];
        for s in [1.0, -1.0] {
            let st = studies(&y, &v, s);
            let p = [0.2, 0.05, 0.4];
            let at = |q: [f64; 3]| st.derivatives(q[0], q[1], q[2]);
            let d = at(p);
            for i in 0..3 {
                let h = 1e-6 * (1.0 + p[i].abs());
                let (mut up, mut down) = (p, p);
                up[i] += h;
                down[i] -= h;
                let (a, b) = (at(up), at(down));
                let g = (a.ll - b.ll) / (2.0 * h);
                assert!(
                    (g - d.g[i]).abs() < 1e-6 * (1.0 + g.abs()),
                    "g{i}: {g} vs {}",
                    d.g[i]
                );
                for j in 0..3 {
                    let hij = (a.g[j] - b.g[j]) / (2.0 * h);
                    assert!(
                        (hij - d.h[(i, j)]).abs() < 1e-5 * (1.0 + hij.abs()),
                        "h{i}{j}: {hij} vs {}",
                        d.h[(i, j)]
                    );
                }
            }
        }
    }
}
