//! Unit tests of the MMRM fit: derivatives against finite differences,
//! the closed form's df against the general evaluation's, and complete data
//! against ANCOVA.

use super::exact::closed_form;
use super::reml::{Need, diagonal_start, evaluate, variance_gradient};
use super::structure::Map;
use super::*;
/// Finite differences of ℓ agree with the analytic gradient, and of the
/// gradient with the observed information.
#[test]
fn derivatives_match_finite_differences() {
    let data = example(true);
    for cov in [Covariance::Common, Covariance::ByArm] {
        let d = MmrmData::new(&data, cov);
        let mut theta = diagonal_start(&d).unwrap();
        // Away from the diagonal start: some correlation.
        for k in 0..d.parameters() {
            let (_, a, b) = d.element(k);
            if a != b {
                let (va, vb) = (theta[d.index(0, a, a)], theta[d.index(0, b, b)]);
                theta[k] = 0.3 * (va * vb).sqrt();
            }
        }
        let ev = evaluate(&d, &theta, Need::Derivatives).unwrap();
        for k in 0..d.parameters() {
            let h = 1e-5 * theta[d.index(d.element(k).0, d.element(k).1, d.element(k).1)];
            let mut up = theta.clone();
            up[k] += h;
            let mut down = theta.clone();
            down[k] -= h;
            let (eu, ed) = (
                evaluate(&d, &up, Need::Derivatives).unwrap(),
                evaluate(&d, &down, Need::Derivatives).unwrap(),
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
            let phi = map.start(&diagonal_start(&d).unwrap());
            let phi: Vec<f64> = phi
                .iter()
                .enumerate()
                .map(|(i, p)| p + 0.05 * (i as f64 + 1.0).sin())
                .collect();
            let value = |phi: &[f64]| {
                let ev = evaluate(&d, &map.theta(phi), Need::Derivatives).unwrap();
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

/// The closed form's df, from the block-diagonal information in the
/// sequential regressions' parameters, equal the df from the observed
/// information in Σ's elements at the same point (the parameterisation
/// does not matter at an optimum), on data with dropout.
#[test]
fn closed_form_df_are_the_general_df_at_the_optimum() {
    // 11 patients at the last visit.
    let data = example_observed(|i| 3 - usize::from(i % 4 == 3) - usize::from(i % 6 == 5));
    let d = MmrmData::new(&data, Covariance::Common);
    let exact = fit_exact(&d).unwrap();
    let theta = closed_form(&d).unwrap();
    let ev = evaluate(&d, &theta, Need::Derivatives).unwrap();
    // The closed form is the optimum: the gradient vanishes.
    assert!(ev.gradient.amax() < 1e-9, "{}", ev.gradient);
    let info = nalgebra::Cholesky::new(ev.observed.clone()).unwrap();
    for j in 0..d.visits {
        let grad = variance_gradient(&d, &ev, j);
        let (_, v) = ev.contrast(j);
        let df = 2.0 * v * v / grad.dot(&info.solve(&grad));
        assert!(
            (exact.df[j] - df).abs() < 1e-9 * df,
            "visit {j}: {} vs {df}",
            exact.df[j]
        );
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
    let exact = fit_exact(&d).unwrap();
    let f = fit_structure(&d, Structure::Unstructured).unwrap();
    assert!(f.converged, "{f:?}");
    let settings = Analysis {
        method: Method::Ancova,
        missing: Missing::CompleteCase,
        alpha: 0.05,
        sided: Sided::Two,
        hypothesis: crate::scenario::Hypothesis::Superiority,
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
        for (x, y) in [
            (exact.estimate[k], a.estimate),
            (exact.se[k], a.se),
            (exact.df[k], 13.0),
        ] {
            assert!(close(x, y, 1e-8), "exact fit: {x} vs {y}");
        }
    }
}

/// A small trial with dropout: 3 visits, 8 patients per arm (only 4
/// patients at the last visit: no unstructured optimum).
fn example(dropout: bool) -> TrialData {
    example_observed(|i| if dropout { 3 - (i % 5).min(2) } else { 3 })
}

/// The small trial with patient i observed at the first `observed(i)` visits.
fn example_observed(observed: impl Fn(usize) -> usize) -> TrialData {
    let n = 8;
    let mut baseline = Vec::new();
    let mut values = Vec::new();
    let mut seen = Vec::new();
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
        seen.push(observed(i));
    }
    TrialData::new(3, [n, n], baseline, values, seen)
}
