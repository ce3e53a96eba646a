//! Extreme but valid parameters: results stay finite, and what cannot be
//! estimated is counted as `not_estimable`, never a panic or a NaN.

use trialsim::engine::{RunOptions, run};
use trialsim::scenario::Study;

fn run_text(text: &str, replicates: u64) -> trialsim::engine::RunResult {
    let study = Study::from_toml_str(text, "extreme").unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        replicates: Some(replicates),
        ..Default::default()
    };
    run(&study, &opts).unwrap()
}

fn base(outcome: &str, visits: &str, extra: &str) -> String {
    format!(
        "name = \"x\"\n[outcome]\n{outcome}\n[visits]\n{visits}\n[effect]\npeak = -5.0\n{extra}\n[analysis]\nmethod = \"ancova\"\n"
    )
}

fn all_finite(r: &trialsim::engine::RunResult) {
    for dp in &r.design_points {
        for (name, e) in dp
            .metrics
            .0
            .iter()
            .chain(dp.by_visit.iter().flat_map(|v| v.metrics.0.iter()))
        {
            if let Some(x) = e.estimate {
                assert!(x.is_finite(), "{name} = {x}");
            }
            if let Some(se) = e.mc_se {
                assert!(se.is_finite() && se >= 0.0, "{name} mc_se = {se}");
            }
        }
    }
}

fn metric(r: &trialsim::engine::RunResult, name: &str) -> f64 {
    r.design_points[0]
        .metrics
        .get(name)
        .unwrap()
        .estimate
        .unwrap()
}

#[test]
fn two_patients_per_arm_and_one_visit() {
    let r = run_text(
        &base(
            "mu0 = 50.0\nsubject_sd = 10.0\nresidual_sd = 10.0\nrho = 0.5",
            "months = [6]\nprimary = 6",
            "[design]\nn_per_arm = 2\n[dropout]\nmechanism = \"mcar\"\nmonthly_rate = 0.05",
        ),
        2000,
    );
    all_finite(&r);
    // ANCOVA with 4 patients has 1 df; dropout often leaves an arm with < 2.
    let ne = metric(&r, "not_estimable");
    assert!(ne > 0.1 && ne < 1.0, "not_estimable {ne}");
}

#[test]
fn nearly_everyone_drops_out() {
    let r = run_text(
        &base(
            "mu0 = 50.0\nsubject_sd = 10.0\nresidual_sd = 10.0\nrho = 0.5",
            "months = [1, 6, 12]\nprimary = 12",
            "[design]\nn_per_arm = 20\n[dropout]\nmechanism = \"mar\"\nmonthly_rate = 0.99\nbeta = 0.05",
        ),
        500,
    );
    all_finite(&r);
    assert_eq!(metric(&r, "not_estimable"), 1.0);
    assert_eq!(metric(&r, "power"), 0.0);
    assert!(
        r.design_points[0]
            .metrics
            .get("bias")
            .unwrap()
            .estimate
            .is_none()
    );
}

#[test]
fn zero_variances_are_not_estimable() {
    let r = run_text(
        &base(
            "mu0 = 50.0\nsubject_sd = 0.0\nresidual_sd = 0.0\nrho = 0.0",
            "months = [3]\nprimary = 3",
            "[design]\nn_per_arm = 10",
        ),
        300,
    );
    all_finite(&r);
    assert_eq!(metric(&r, "not_estimable"), 1.0);
}

#[test]
fn heterogeneity_far_larger_than_the_effect() {
    let r = run_text(
        &base(
            "mu0 = 50.0\nsubject_sd = 10.0\nresidual_sd = 10.0\nrho = 0.5",
            "months = [3]\nprimary = 3",
            "[heterogeneity]\ntau = 1000.0\n[design]\nn_per_arm = 10",
        ),
        2000,
    );
    all_finite(&r);
    // Nearly every trial is significant, half of them the wrong way round.
    assert!(metric(&r, "power") > 0.9);
    let type_s = metric(&r, "type_s");
    assert!((0.4..0.6).contains(&type_s), "type S {type_s}");
}

#[test]
fn a_million_patients_per_arm_in_one_replicate() {
    let r = run_text(
        &base(
            "mu0 = 50.0\nsubject_sd = 10.0\nresidual_sd = 10.0\nrho = 0.5\nmin = 0.0\nmax = 100.0",
            "months = [1, 3]\nprimary = 3",
            "[design]\nn_per_arm = 1000000",
        ),
        1,
    );
    all_finite(&r);
    assert_eq!(metric(&r, "power"), 1.0);
}
