//! `[responder_endpoint]`: in a design where each patient's responder
//! status is Bernoulli with a known rate, the simulated truth equals that
//! rate, and power, coverage, Type S and M and the rates equal their exact
//! values by enumeration over both arms' binomial counts (each within 4
//! Monte Carlo SE, the SE written out); adding the endpoint moves no
//! efficacy number; threads do not change a byte.

use serde_json::Value;
use statrs::distribution::{Binomial, ContinuousCDF, Discrete, Normal};
use trialsim::analysis::binary::{Alternative, fisher_exact, newcombe_interval};
use trialsim::engine::truth::{TRUTH_PATIENTS, TRUTH_SETTINGS};
use trialsim::engine::{RunOptions, run};
use trialsim::metrics::Metric;
use trialsim::scenario::Study;

use crate::{summary_without, within_4se};

/// No heterogeneity, no patient-level response variation, no entry
/// criterion, bounds far from the data and no rounding: patients are
/// independent, and the improvement `Y_0 − Y_3` is normal with mean
/// `−P − D·[treated]` = 5 (control) or 13 (treated) and variance
/// `2·residual_sd²·(1 − rho³)` = 54.2, so a patient responds (improves by at
/// least 10 points) with probability Φ((mean − 10)/√54.2).
const BERNOULLI: &str = r#"
name = "responders"
seed = 41
replicates = 20000
[outcome]
mu0 = 50.0
subject_sd = 10.0
residual_sd = 10.0
rho = 0.9
min = -1000.0
max = 1000.0
[visits]
months = [3]
primary = 3
[placebo]
peak = -5.0
[effect]
peak = -8.0
[design]
n_per_arm = 25
[analysis]
method = "ancova"
by_visit = false
SIDED
[responder_endpoint]
min_points = 10.0
"#;

/// The exact responder probabilities `[control, treatment]` of [`BERNOULLI`].
fn exact_rates() -> [f64; 2] {
    let sd = (2.0 * 100.0 * (1.0 - 0.9f64.powi(3))).sqrt();
    let z = Normal::standard();
    [5.0, 13.0].map(|mean| z.cdf((mean - 10.0) / sd))
}

/// Power, coverage, Type S and Type M of the responder analysis, exactly:
/// sums over every pair of binomial counts of `n` patients per arm at the
/// rates `p`, judged against the true difference `d`.
fn enumerate(n: u64, p: [f64; 2], d: f64, alpha: f64, alternative: Alternative) -> [f64; 4] {
    let level = match alternative {
        Alternative::TwoSided => 1.0 - alpha,
        _ => 1.0 - 2.0 * alpha,
    };
    let [bc, bt] = p.map(|p| Binomial::new(p, n).unwrap());
    let (mut power, mut coverage, mut wrong, mut size) = (0.0, 0.0, 0.0, 0.0);
    for xt in 0..=n {
        for xc in 0..=n {
            let w = bt.pmf(xt) * bc.pmf(xc);
            let (lo, hi) = newcombe_interval(xt, n, xc, n, level);
            if lo <= d && d <= hi {
                coverage += w;
            }
            if fisher_exact(xt, n, xc, n, alternative) <= alpha {
                let diff = (xt as f64 - xc as f64) / n as f64;
                power += w;
                if diff * d <= 0.0 {
                    wrong += w;
                }
                size += w * diff.abs();
            }
        }
    }
    [power, coverage, wrong / power, size / power / d.abs()]
}

#[test]
fn bernoulli_responders_match_the_exact_fisher_power_and_newcombe_coverage() {
    let p = exact_rates();
    let r = 20000.0;
    for (sided, alternative) in [
        ("", Alternative::TwoSided),
        ("sided = \"one\"", Alternative::Greater),
    ] {
        let text = BERNOULLI.replace("SIDED", sided);
        let study = Study::from_toml_str(&text, "t").unwrap();
        let result = run(&study, &RunOptions::default()).unwrap();
        let dp = &result.design_points[0];
        let truth = dp.truth.responder.expect("a responder truth");

        // The truth simulation: 20 000 settings of 50 patients per arm, no
        // between-setting variation here, so SE = sqrt(p(1 − p)/1 000 000)
        // ≈ 0.0005 per rate.
        let patients = (TRUTH_SETTINGS * TRUTH_PATIENTS as u64) as f64;
        for (arm, (&got, &want)) in truth.rate.iter().zip(&p).enumerate() {
            let se = (want * (1.0 - want) / patients).sqrt();
            within_4se(&format!("true rate, arm {arm}"), got, want, se);
        }
        let se_d = ((p[0] * (1.0 - p[0]) + p[1] * (1.0 - p[1])) / patients).sqrt();
        assert!(
            (truth.mc_se - se_d).abs() < 0.1 * se_d,
            "reported truth SE {} vs {se_d}",
            truth.mc_se
        );

        let metric = |name: Metric| dp.metrics.get(name).unwrap().estimate.unwrap();
        // Observed rates: SE = sqrt(p(1 − p)/25/R) ≈ 0.0006.
        for (arm, name) in [
            (0, Metric::ResponderRateControl),
            (1, Metric::ResponderRateTreatment),
        ] {
            let se = (p[arm] * (1.0 - p[arm]) / 25.0 / r).sqrt();
            within_4se(&format!("{name}"), metric(name), p[arm], se);
        }
        // Against the reported (simulated) truth, as the engine judges.
        let [power, coverage, type_s, type_m] =
            enumerate(25, p, truth.difference(), 0.05, alternative);
        let binomial_se = |q: f64, n: f64| (q * (1.0 - q) / n).sqrt();
        within_4se(
            &format!("responder_power {alternative:?}"),
            metric(Metric::ResponderPower),
            power,
            binomial_se(power, r),
        );
        within_4se(
            &format!("responder_coverage {alternative:?}"),
            metric(Metric::ResponderCoverage),
            coverage,
            binomial_se(coverage, r),
        );
        // Conditional on significance: n = R · power trials.
        let significant = r * power;
        within_4se(
            &format!("responder_type_s {alternative:?}"),
            metric(Metric::ResponderTypeS),
            type_s,
            binomial_se(type_s, significant).max(1e-4),
        );
        let type_m_se = dp
            .metrics
            .get(Metric::ResponderTypeM)
            .unwrap()
            .mc_se
            .unwrap();
        within_4se(
            &format!("responder_type_m {alternative:?}"),
            metric(Metric::ResponderTypeM),
            type_m,
            type_m_se,
        );
    }
}

#[test]
fn dropouts_are_non_responders_in_the_composite_estimand() {
    // MCAR dropout of 5% a month: P(observed at month 3) = 0.95³, so the
    // composite rate is p·0.95³; left out instead, the truth is p itself
    // (on every randomised patient's outcome) and so is the observed rate.
    let p = exact_rates();
    let stay = 0.95f64.powi(3);
    let base = BERNOULLI.replace("SIDED", "").replace(
        "[design]",
        "[dropout]\nmechanism = \"mcar\"\nmonthly_rate = 0.05\n[design]",
    );
    let patients = (TRUTH_SETTINGS * TRUTH_PATIENTS as u64) as f64;
    for (missing, want) in [("true", p.map(|p| p * stay)), ("false", p)] {
        let text = base.replace(
            "min_points = 10.0",
            &format!("min_points = 10.0\nmissing_as_nonresponse = {missing}"),
        );
        let study = Study::from_toml_str(&text, "t").unwrap();
        let opts = RunOptions {
            replicates: Some(4000),
            ..Default::default()
        };
        let result = run(&study, &opts).unwrap();
        let dp = &result.design_points[0];
        let truth = dp.truth.responder.unwrap();
        for (arm, (&got, &want)) in truth.rate.iter().zip(&want).enumerate() {
            let se = (want * (1.0 - want) / patients).sqrt();
            within_4se(
                &format!("true rate, missing_as_nonresponse = {missing}, arm {arm}"),
                got,
                want,
                se,
            );
        }
        // The control arm's observed rate over 4 000 trials: per trial the
        // rate among the denominator (25, or the observed ~21.4); SE from
        // the metric itself.
        let e = dp.metrics.get(Metric::ResponderRateControl).unwrap();
        within_4se(
            &format!("responder_rate_control, missing_as_nonresponse = {missing}"),
            e.estimate.unwrap(),
            want[0],
            e.mc_se.unwrap(),
        );
    }
}

/// `summary.json`, and as a value without the responder metrics and truth.
fn efficacy(text: &str, threads: usize) -> (String, Value) {
    let study = Study::from_toml_str(text, "t").unwrap();
    summary_without(&study, threads, "responder", |k| {
        k.starts_with("responder_")
    })
}

#[test]
fn adding_a_responder_endpoint_moves_no_efficacy_number_and_threads_no_byte() {
    // The default scenario (bounded, rounded, MAR dropout, factors, a
    // literature), two design points of its sweep.
    let base = trialsim::scenario::DEFAULT_SCENARIO.replace(
        "\"design.n_per_arm\" = [10, 15, 20, 30, 50, 80, 150, 300, 600]",
        "\"design.n_per_arm\" = [15, 30]",
    );
    assert!(base.contains("[15, 30]"), "the default sweep was found");
    let with = format!("{base}\n[responder_endpoint]\nmin_points = 20.0\nmin_percent = 50.0\n");
    let (_, without) = efficacy(&base, 2);
    let (json, responders) = efficacy(&with, 2);
    assert!(json.contains("\"responder_power\""));
    assert!(without == responders, "an efficacy number moved");
    assert!(
        without["design_points"][0]["by_visit"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
            && without["design_points"][0]["meta"].is_object()
    );
    assert_eq!(json, efficacy(&with, 1).0);
    assert_eq!(json, efficacy(&with, 3).0);
}

#[test]
fn design_points_that_share_a_model_share_a_truth() {
    // The truth follows the model (here the effect), not the size.
    let base = BERNOULLI.replace("SIDED", "");
    let truth = |sweep: &str| {
        let text = format!("{base}[sweep]\n{sweep}\n");
        let study = Study::from_toml_str(&text, "t").unwrap();
        let opts = RunOptions {
            replicates: Some(50),
            ..Default::default()
        };
        let result = run(&study, &opts).unwrap();
        let [a, b] = [0, 1].map(|j| result.design_points[j].truth.responder.unwrap());
        (a, b)
    };
    let (a, b) = truth("\"design.n_per_arm\" = [25, 60]");
    assert_eq!(a, b);
    let (a, b) = truth("\"effect.peak\" = [-8.0, -12.0]");
    assert!(b.rate[1] > a.rate[1] + 0.1, "{a:?} vs {b:?}");
    assert_eq!(
        a.rate[0].to_bits(),
        b.rate[0].to_bits(),
        "control arm unchanged"
    );
}
