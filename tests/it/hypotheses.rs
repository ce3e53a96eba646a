//! Non-inferiority and equivalence (issue #20): claim rates against the
//! analytic and exact values within 4 Monte Carlo SE, every method and
//! missing-data rule, the metrics that do not apply, and what the user
//! reads.
//!
//! References: tests/reference/hypotheses/claims.csv, made by make.R
//! beside it (R 4.2.2): `nct` is the textbook value for the pooled t-test
//! (non-inferiority from the noncentral t, TOST by quadrature over the
//! pooled variance); `welch` the exact value for Welch's test by 2-D
//! quadrature over the two arms' variances. The two differ by < 2e-4 here.

use std::fs;
use trialsim::Scenario;
use trialsim::engine::{RunOptions, run};
use trialsim::metrics::{Estimate, Metric};
use trialsim::scenario::Study;

use crate::{ok, trialsim, within_4se};

const REPLICATES: u64 = 40_000;
/// Replicates of the acceptance test's claim rates (MC SE 0.0016 at 0.5).
const CLAIM_REPLICATES: u64 = 100_000;

/// The exact two-sample design of the acceptance criteria — the
/// calibration's power design at 64 per arm: SD of the change 14.142
/// (residual SD 10 at two independent times), higher is better, the effect
/// `peak` in full at the primary visit — tested against `margin`, with
/// `extra` appended (in `[analysis]` unless it opens a table).
fn design(hypothesis: &str, margin: f64, peak: f64, method: &str, extra: &str) -> String {
    let base = crate::calibration::power_design(64, REPLICATES);
    let default_peak = format!("peak = {}\n", 0.5 * 2f64.sqrt() * 10.0);
    assert!(base.contains(&default_peak) && base.contains("method = \"welch_change\"\n"));
    base.replace(&default_peak, &format!("peak = {peak}\n"))
        .replace(
            "method = \"welch_change\"\n",
            &format!(
                "method = \"{method}\"\nalpha = 0.025\nhypothesis = \"{hypothesis}\"\nmargin = {margin}\n"
            ),
        )
        + extra
}

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml_str(text, "test").unwrap_or_else(|e| panic!("{e}"))
}

fn metrics(text: &str) -> trialsim::metrics::Metrics {
    let result = run(&Study::from(scenario(text)), &RunOptions::default()).unwrap();
    result.design_points[0].metrics.clone()
}

fn get(m: &trialsim::metrics::Metrics, name: Metric) -> Estimate {
    *m.get(name).unwrap()
}

/// One row of claims.csv.
struct Claim {
    hypothesis: String,
    theta: f64,
    margin: f64,
    nct: f64,
    welch: f64,
}

fn claims() -> Vec<Claim> {
    let text = include_str!("../reference/hypotheses/claims.csv");
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let x = |i: usize| f[i].parse::<f64>().unwrap();
            assert_eq!((x(1), x(5)), (64.0, 0.025), "{line}");
            Claim {
                hypothesis: f[0].to_string(),
                theta: x(3),
                margin: x(4),
                nct: x(6),
                welch: x(7),
            }
        })
        .collect()
}

/// Acceptance 1 and 2: for each reference row, the claim rate of Welch's
/// test is within 4 MC SE of the analytic value (the noncentral t for
/// non-inferiority, TOST's by quadrature) and of the exact Welch value;
/// at the margin it is at most alpha within 4 MC SE.
#[test]
fn claim_rates_match_the_analytic_values() {
    let rows = claims();
    assert_eq!(rows.len(), 10);
    for c in &rows {
        let text = design(&c.hypothesis, c.margin, c.theta, "welch_change", "").replace(
            &format!("replicates = {REPLICATES}"),
            &format!("replicates = {CLAIM_REPLICATES}"),
        );
        let m = metrics(&text);
        let power = get(&m, Metric::Power);
        let p = power.estimate.unwrap();
        let r = CLAIM_REPLICATES as f64;
        assert_eq!(power.n, CLAIM_REPLICATES);
        let what = format!("{} margin {} at {}", c.hypothesis, c.margin, c.theta);
        // The binomial MC SE of the reference probability.
        let se = (c.nct * (1.0 - c.nct) / r).sqrt();
        within_4se(&format!("{what} vs nct"), p, c.nct, se);
        let se_w = (c.welch * (1.0 - c.welch) / r).sqrt();
        within_4se(&format!("{what} vs welch"), p, c.welch, se_w);
        // Pooled and Welch agree at 64 per arm with equal variances.
        assert!((c.nct - c.welch).abs() < 2e-4, "{what}");
        if c.theta.abs() >= c.margin {
            let alpha_se = (0.025f64 * 0.975 / r).sqrt();
            assert!(p <= 0.025 + 4.0 * alpha_se, "{what}: {p} > alpha");
        }
        // The claim is one-sided: the favourable power is the claim rate.
        assert_eq!(get(&m, Metric::PowerFavourable).estimate, Some(p));
    }
}

/// Every method and missing-data rule tests the margin. With the true
/// effect at the non-inferiority margin and MCAR dropout, the analyses of
/// the observed data hold their level: the claim rate is alpha within 4 MC
/// SE (complete-case ANCOVA and Welch are exact t-tests here, the MMRM's
/// Satterthwaite test nearly so). LOCF and BOCF carry values from before
/// the effect was full (or no effect at all) into the analysis: they pull
/// the estimate towards no difference, which for a non-inferiority claim
/// is anti-conservative — the known reason regulators distrust single
/// imputation in non-inferiority trials — and the simulation shows it.
#[test]
fn every_method_holds_its_level_at_the_margin() {
    let dropout = "[dropout]\nmechanism = \"mcar\"\nmonthly_rate = 0.03\n";
    let cases = [
        ("ancova", "complete_case"),
        ("welch_change", "complete_case"),
        ("mmrm", "complete_case"),
        ("welch_change", "locf"),
        ("ancova", "bocf"),
    ];
    let se = (0.025f64 * 0.975 / REPLICATES as f64).sqrt();
    for (method, missing) in cases {
        let mut text = design("noninferiority", 5.0, -5.0, method, dropout);
        text = text.replace(
            "by_visit = false\n",
            &format!("by_visit = false\nmissing = \"{missing}\"\n"),
        );
        if method == "mmrm" {
            text = text.replace(&format!("missing = \"{missing}\"\n"), "");
        }
        let p = get(&metrics(&text), Metric::Power).estimate.unwrap();
        if missing == "complete_case" {
            within_4se(&format!("{method} {missing} at the margin"), p, 0.025, se);
        } else {
            assert!(
                p > 0.025 + 4.0 * se,
                "{method} {missing}: {p} is not above alpha"
            );
        }
    }
}

/// The metrics that judge a significant difference from 0 are not
/// applicable (undefined, n 0) under non-inferiority and equivalence;
/// the others are defined; superiority keeps them all.
#[test]
fn metrics_that_assume_superiority_are_not_applicable() {
    let extra = "replication = true\n";
    for hypothesis in ["noninferiority", "equivalence"] {
        let text = design(hypothesis, 8.0, 3.0, "ancova", extra)
            .replace("rho = 0.0", "rho = 0.0\nmcid = 2.0")
            .replace("replicates = 40000", "replicates = 2000");
        let m = metrics(&text);
        for name in [
            Metric::TypeS,
            Metric::TypeM,
            Metric::TypeSTrial,
            Metric::TypeMTrial,
            Metric::McidClaim,
            Metric::ClaimTrue,
            Metric::Durable,
        ] {
            assert_eq!(get(&m, name), Estimate::UNDEFINED, "{hypothesis} {name}");
        }
        for name in [
            Metric::Power,
            Metric::Bias,
            Metric::Coverage,
            Metric::TrueMcid,
            Metric::ReplicationSame,
            Metric::ReplicationNew,
            Metric::CiHalfwidth,
        ] {
            assert!(get(&m, name).estimate.is_some(), "{hypothesis} {name}");
        }
    }
}

/// Coverage is judged on the 1 − 2·alpha interval the claim rests on.
#[test]
fn the_interval_is_the_one_the_claim_rests_on() {
    let text = design("equivalence", 8.0, 2.0, "welch_change", "");
    let coverage = get(&metrics(&text), Metric::Coverage).estimate.unwrap();
    let se = (0.95f64 * 0.05 / REPLICATES as f64).sqrt();
    within_4se("coverage of the 95% interval", coverage, 0.95, se);
}

/// A simulated literature of non-inferiority trials publishes the trials
/// that make their claim (publication of the others switched off), and
/// pools their differences as before.
#[test]
fn a_literature_publishes_the_trials_that_claim() {
    let trial = design("noninferiority", 5.0, -2.0, "welch_change", "");
    let power = get(&metrics(&trial), Metric::Power);
    let (p, se_p) = (power.estimate.unwrap(), power.mc_se.unwrap());
    let meta = "[meta_analysis]\ntrials = 5\nsizes = [64]\npublish_nonsignificant = 0.0\n";
    let text = trial.replace("replicates = 40000", "replicates = 400") + meta;
    let study = Study::from(scenario(&text));
    let result = run(&study, &RunOptions::default()).unwrap();
    let dp = &result.design_points[0];
    let meta = dp.meta.as_ref().unwrap();
    // Trials run until K = 5 claims: negative binomial, mean K / P(claim);
    // the SE adds the delta-method SE of K / p to the mean's.
    let runs = meta.get(Metric::TrialsRun).unwrap();
    let (r, se) = (runs.estimate.unwrap(), runs.mc_se.unwrap());
    let se = (se * se + (5.0 * se_p / (p * p)).powi(2)).sqrt();
    within_4se("trials run per 5 published", r, 5.0 / p, se);
    assert_eq!(
        meta.get(Metric::NotEstimable).and_then(|e| e.estimate),
        Some(0.0)
    );
}

/// What the user reads: the summary names the hypothesis, the report says
/// what a claim is and that at the margin power is the type I error, a
/// `sided` set explicitly is warned about, and `size --protocol` states the
/// hypothesis and the margin.
#[test]
fn the_user_reads_the_hypothesis_and_the_margin() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ni.toml");
    let text = design(
        "noninferiority",
        5.0,
        -5.0,
        "welch_change",
        "sided = \"two\"\n",
    )
    .replace("replicates = 40000", "replicates = 2000");
    fs::write(&file, &text).unwrap();
    let out = dir.path().join("out");
    let o = ok(trialsim().arg("run").arg(&file).arg("--out").arg(&out));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stdout.contains("hypothesis: non-inferiority, margin 5, one-sided alpha 0.025"),
        "{stdout}"
    );
    assert!(!stdout.contains("type_m"), "{stdout}");
    assert!(
        stderr.contains("analysis.sided is unused: hypothesis = \"noninferiority\""),
        "{stderr}"
    );
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    for want in [
        "a one-sided test of non-inferiority at alpha = 0.025 with margin 5",
        "when the lower bound of its 95% confidence interval lies above −5",
        "of trials show non-inferiority (margin 5) at month 3 (one-sided alpha 0.025)",
        "that rate is the type I error",
        "non-inferiority shown (margin 5)",
    ] {
        assert!(report.contains(want), "report lacks {want:?}");
    }
    // size: the n for 80% power at a true effect of 0, with the protocol.
    let at_zero = text.replace("peak = -5", "peak = 0");
    fs::write(&file, at_zero).unwrap();
    let sized = dir.path().join("size");
    let o = ok(trialsim()
        .arg("size")
        .arg(&file)
        .args([
            "--target-power",
            "0.8",
            "--protocol",
            "--max",
            "300",
            "--out",
        ])
        .arg(&sized));
    let protocol = fs::read_to_string(sized.join("protocol.txt")).unwrap();
    assert!(
        protocol.contains("a one-sided test of non-inferiority at alpha = 0.025 with margin 5"),
        "{protocol}"
    );
    assert!(protocol.contains("analysis.hypothesis = \"noninferiority\""));
    assert!(protocol.contains("analysis.margin = 5"), "{protocol}");
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(printed.contains(&protocol), "the paragraph is printed too");
}

/// The margin is a key like any other: a sweep over it gives one design
/// point per margin on the same simulated trials (common random numbers),
/// so the claim rate rises with the margin, step by step.
#[test]
fn a_sweep_over_the_margin_shares_its_trials() {
    let text = design("noninferiority", 5.0, 0.0, "ancova", "")
        .replace("replicates = 40000", "replicates = 2000")
        + "[sweep]\n\"analysis.margin\" = [2, 4, 6, 8]\n";
    let result = run(
        &Study::from_toml_str(&text, "sweep").unwrap(),
        &RunOptions::default(),
    )
    .unwrap();
    let power: Vec<f64> = result
        .design_points
        .iter()
        .map(|d| get(&d.metrics, Metric::Power).estimate.unwrap())
        .collect();
    assert_eq!(power.len(), 4);
    assert!(power.windows(2).all(|w| w[0] <= w[1]), "{power:?}");
    // The estimates do not depend on the margin: the same trials.
    let bias: Vec<_> = result
        .design_points
        .iter()
        .map(|d| get(&d.metrics, Metric::Bias).estimate)
        .collect();
    assert!(bias.iter().all(|b| *b == bias[0]), "{bias:?}");
}
