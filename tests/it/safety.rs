//! `[safety]`: the simulated serious- and mild-event metrics against their
//! exact values (each within 4 Monte Carlo SE, the SE written out), the
//! report's safety paragraph, and the promise that adding `[safety]` moves
//! no efficacy number.

use std::fs;
use std::path::Path;

use serde_json::Value;
use trialsim::analysis::binary::{Alternative, clopper_pearson_upper, fisher_power};
use trialsim::engine::{RunOptions, run};
use trialsim::metrics::{Estimate, Metric};
use trialsim::scenario::Study;

use crate::{ok, summary_without, trialsim, within_4se};

/// A bounded-scale trial with MAR dropout (the patient path), unequal
/// allocation (15 control, 30 treated) and a simulated literature.
const TRIAL: &str = r#"
name = "safety"
seed = 31
replicates = 20000
[outcome]
mu0 = 60.0
subject_sd = 16.0
residual_sd = 17.0
rho = 0.8
min = 0.0
max = 100.0
mcid = 10.0
[visits]
months = [1, 3, 6, 12]
primary = 12
[placebo]
peak = -13.0
onset_months = 1.5
[effect]
peak = -10.0
patient_sd = 8.0
[heterogeneity]
tau = 6.0
[dropout]
mechanism = "mar"
monthly_rate = 0.03
beta = 0.02
[design]
n_per_arm = 15
allocation = 2.0
[analysis]
method = "ancova"
"#;

const SAFETY: &str = r#"
[safety]
serious_treatment = 0.04
serious_control = 0.02
mild_treatment = 0.35
mild_control = 0.10
rule_out = 0.2
"#;

/// A literature of 8 trials of fixed sizes, every trial published.
const LITERATURE: &str = r#"
[meta_analysis]
trials = 8
sizes = [12, 15, 15, 20, 20, 30, 40, 10]
publish_nonsignificant = 1.0
"#;

fn study(text: &str) -> Study {
    Study::from_toml_str(text, "test").unwrap_or_else(|e| panic!("{e}"))
}

fn get(metrics: &trialsim::metrics::Metrics, name: Metric) -> Estimate {
    *metrics
        .get(name)
        .unwrap_or_else(|| panic!("{name} is reported"))
}

/// The Binomial(n, p) probabilities of 0..=n events.
fn binomial_pmf(n: u64, p: f64) -> Vec<f64> {
    use statrs::distribution::{Binomial, Discrete};
    let b = Binomial::new(p, n).unwrap();
    (0..=n).map(|x| b.pmf(x)).collect()
}

#[test]
fn a_trial_s_safety_metrics_match_their_exact_values_with_dropout() {
    let text = format!("{TRIAL}{SAFETY}");
    let study = study(&text);
    let result = run(&study, &RunOptions::default()).unwrap();
    let dp = &result.design_points[0];
    let m = &dp.metrics;
    let r = 20000.0;
    let (n_c, n_t) = (15u64, 30u64);
    assert_eq!(dp.truth.n_arm, [n_c as usize, n_t as usize]);
    let p = 0.04;

    // Every randomised patient counts, dropouts included: P(at least one
    // serious event among 30 treated) = 1 − 0.96^30 = 0.70614...,
    // SE = sqrt(q(1 − q)/R) = 0.00322.
    let any = 1.0 - (1.0f64 - p).powi(30);
    let se = (any * (1.0 - any) / r).sqrt();
    let est = get(m, Metric::SaeAnyTreatment);
    assert_eq!(est.n, 20000);
    within_4se("sae_any_treatment", est.estimate.unwrap(), any, se);

    // The observed rate x/n is unbiased: E = p, SE = sqrt(p(1 − p)/n/R).
    let se = (p * (1.0 - p) / n_t as f64 / r).sqrt();
    let est = get(m, Metric::SaeRateTreatment).estimate.unwrap();
    within_4se("sae_rate_treatment", est, p, se);

    // The mean Clopper–Pearson bound and P(bound < 0.2), exactly: sums
    // over the Binomial(30, 0.04) counts; SEs from their exact variances.
    let pmf = binomial_pmf(n_t, p);
    let upper: Vec<f64> = (0..=n_t)
        .map(|x| clopper_pearson_upper(x, n_t, 0.95))
        .collect();
    let mean: f64 = pmf.iter().zip(&upper).map(|(w, u)| w * u).sum();
    let var: f64 = pmf
        .iter()
        .zip(&upper)
        .map(|(w, u)| w * (u - mean).powi(2))
        .sum();
    let est = get(m, Metric::SaeUpper95Treatment).estimate.unwrap();
    within_4se("sae_upper95_treatment", est, mean, (var / r).sqrt());
    let ruled: f64 = pmf
        .iter()
        .zip(&upper)
        .filter(|(_, u)| **u < 0.2)
        .map(|(w, _)| w)
        .sum();
    let est = get(m, Metric::SaeRuledOut).estimate.unwrap();
    within_4se(
        "sae_ruled_out",
        est,
        ruled,
        (ruled * (1.0 - ruled) / r).sqrt(),
    );

    // Fisher's exact test of mild events, 35% of 30 vs 10% of 15: its exact
    // power by enumeration (checked against R's fisher.test in
    // analysis::binary's tests).
    let power = fisher_power(n_t, n_c, 0.35, 0.10, 0.05, Alternative::TwoSided);
    let est = get(m, Metric::MildAePower).estimate.unwrap();
    within_4se(
        "mild_ae_power",
        est,
        power,
        (power * (1.0 - power) / r).sqrt(),
    );
    // A trial reports no literature size.
    assert!(m.get(Metric::TreatedPatients).is_none());
}

#[test]
fn a_literature_sees_every_published_patient() {
    // No dropout, so every trial is estimable, and every trial published:
    // the 8 trials' treated arms hold
    // 2 × (12 + 15 + 15 + 20 + 20 + 30 + 40 + 10) = 324 patients, so
    // P(at least one serious event) = 1 − 0.99^324 = 0.96147...,
    // SE = sqrt(q(1 − q)/R) = 0.00272 at R = 5 000.
    let text = format!("{TRIAL}{SAFETY}{LITERATURE}")
        .replace("replicates = 20000", "replicates = 5000")
        .replace(
            "mechanism = \"mar\"\nmonthly_rate = 0.03\nbeta = 0.02",
            "mechanism = \"none\"",
        )
        .replace("serious_treatment = 0.04", "serious_treatment = 0.01");
    let result = run(&study(&text), &RunOptions::default()).unwrap();
    let meta = result.design_points[0].meta.as_ref().unwrap();
    let treated = get(meta, Metric::TreatedPatients);
    assert_eq!(treated.estimate, Some(324.0));
    let any = 1.0 - 0.99f64.powi(324);
    within_4se(
        "literature sae_any_treatment",
        get(meta, Metric::SaeAnyTreatment).estimate.unwrap(),
        any,
        (any * (1.0 - any) / 5000.0).sqrt(),
    );
}

#[test]
fn with_250_treated_patients_a_1_percent_rate_goes_unseen_in_8_percent_of_trials() {
    // 0.99^250 = 0.0810566..., SE = sqrt(q(1 − q)/R) = 0.00273 at R = 10 000.
    // The fast path (no bounds, MCAR dropout) draws the same adverse events.
    let text = format!(
        "{}\n[safety]\nserious_treatment = 0.01\n",
        TRIAL
            .replace("replicates = 20000", "replicates = 10000")
            .replace("min = 0.0\nmax = 100.0\n", "")
            .replace("mechanism = \"mar\"", "mechanism = \"mcar\"")
            .replace("beta = 0.02\n", "")
            .replace("n_per_arm = 15\nallocation = 2.0", "n_per_arm = 250")
            .replace(
                "method = \"ancova\"",
                "method = \"ancova\"\nfast_path = true\nby_visit = false"
            )
    );
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    fs::write(&scenario, &text).unwrap();
    let out = dir.path().join("out");
    let printed = ok(trialsim().arg("run").arg(&scenario).arg("--out").arg(&out));
    // The terminal summary lists the safety metrics too.
    let printed = String::from_utf8_lossy(&printed.stdout);
    assert!(
        printed.contains("  safety:\n    sae_any_treatment"),
        "{printed}"
    );
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let dp = &summary["design_points"][0];
    let unseen = 0.99f64.powi(250);
    let any = &dp["metrics"]["sae_any_treatment"];
    within_4se(
        "P(no serious event)",
        1.0 - any["estimate"].as_f64().unwrap(),
        unseen,
        (unseen * (1.0 - unseen) / 10000.0).sqrt(),
    );
    assert_eq!(
        dp["truth"]["safety"]["sae_any_treatment"].as_f64(),
        Some(1.0 - unseen)
    );
    assert_eq!(dp["truth"]["safety"]["rule_of_three"].as_f64(), Some(0.012));
    // The report says it in words.
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for words in [
        "with 250 treated patients and a true serious-event rate of 1%",
        "so the rate goes unseen in the other",
        "(exactly 0.99^250 = 8.1%)",
        "the rule of three, 3/250 = 1.2%",
    ] {
        assert!(html.contains(words), "the report lacks {words:?}");
    }
}

/// The metrics `[safety]` adds.
fn is_safety(name: &str) -> bool {
    name.starts_with("sae_") || name == "mild_ae_power" || name == "treated_patients"
}

/// `summary.json` as a value, without the safety metrics and truth: what
/// must not move when `[safety]` is added.
fn efficacy(study: &Study) -> Value {
    summary_without(study, 2, "safety", is_safety).1
}

#[test]
fn adding_safety_moves_no_efficacy_number() {
    let fast = TRIAL
        .replace("min = 0.0\nmax = 100.0\n", "")
        .replace("mechanism = \"mar\"", "mechanism = \"mcar\"")
        .replace("beta = 0.02\n", "")
        .replace(
            "method = \"ancova\"",
            "method = \"ancova\"\nfast_path = true\nby_visit = false",
        );
    for (what, base) in [
        ("patients and literature", format!("{TRIAL}{LITERATURE}")),
        ("fast path", fast),
    ] {
        let without = efficacy(&study(&base));
        let with = efficacy(&study(&format!("{base}{SAFETY}")));
        assert!(without == with, "{what}: an efficacy number moved");
        assert!(
            without["design_points"][0]["by_visit"]
                .as_array()
                .is_some_and(|v| !v.is_empty())
                || what == "fast path",
            "{what}: by_visit is compared too"
        );
    }
}

#[test]
fn safety_results_are_bit_identical_for_any_threads_and_shards() {
    let text = format!("{TRIAL}{SAFETY}{LITERATURE}");
    let s = study(&text);
    let summary = |threads: usize| summary_without(&s, threads, "safety", is_safety).0;
    let one = summary(1);
    assert!(one.contains("\"sae_any_treatment\""));
    assert_eq!(one, summary(2));
    assert_eq!(one, summary(5));

    // Two shards merged give the unsharded files byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    fs::write(&scenario, &text).unwrap();
    let run_cli = |extra: &[&str], out: &Path| {
        ok(trialsim()
            .args(["run", "--quiet", "--replicates", "1100"])
            .args(extra)
            .arg(&scenario)
            .arg("--out")
            .arg(out));
    };
    let whole = dir.path().join("whole");
    run_cli(&[], &whole);
    let shards = dir.path().join("shards");
    run_cli(&["--shard=1/2", "--threads", "1"], &shards);
    run_cli(&["--shard=2/2", "--threads", "2"], &shards);
    let merged = dir.path().join("merged");
    ok(trialsim()
        .arg("merge")
        .arg(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet"));
    for name in ["summary.json", "summary.csv"] {
        assert!(
            fs::read(whole.join(name)).unwrap() == fs::read(merged.join(name)).unwrap(),
            "{name} differs between the sharded and the unsharded run"
        );
    }
}
