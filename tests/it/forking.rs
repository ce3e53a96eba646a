//! Forking paths (issue #21): how often a null therapy yields a "finding"
//! when any analysis may be reported, what Holm's step-down gives, and what
//! reporting each trial's best path does to a meta-analysis.

use serde_json::Value;
use trialsim::engine::{RunOptions, run};
use trialsim::metrics::{Estimate, Metric, Metrics};
use trialsim::scenario::Study;

use crate::within_4se;

/// A trial like the MSC literature's (bounded pain scale, MAR dropout,
/// five visits) with no treatment effect at all, analysed by ANCOVA at
/// month 12; `forking` is appended as the scenario's last sections.
fn null_trial(replicates: u64, forking: &str) -> String {
    format!(
        r#"
name = "forking"
seed = 23
replicates = {replicates}
[outcome]
mu0 = 60.0
subject_sd = 16.0
residual_sd = 17.0
rho = 0.8
min = 0.0
max = 100.0
[visits]
months = [1, 3, 6, 12, 24]
primary = 12
[placebo]
peak = -13.0
onset_months = 1.5
[effect]
peak = 0.0
[dropout]
mechanism = "mar"
monthly_rate = 0.02
beta = 0.02
[design]
n_per_arm = 20
[analysis]
method = "ancova"
by_visit = false
{forking}
"#
    )
}

const FIVE_BY_TWO_BY_TWO: &str = r#"
[forking_paths]
visits = "all"
methods = ["ancova", "welch_change"]
missing = ["complete_case", "locf"]
"#;

fn metrics(text: &str) -> Metrics {
    let study = Study::from_toml_str(text, "test").unwrap_or_else(|e| panic!("{e}"));
    let result = run(&study, &RunOptions::default()).unwrap();
    result.design_points[0].metrics.clone()
}

fn get(m: &Metrics, name: Metric) -> Estimate {
    *m.get(name).unwrap_or_else(|| panic!("{name} missing"))
}

/// Acceptance 1: 5 visits × 2 methods × 2 missing-data rules on a null
/// therapy: reporting whichever path is significant and favourable gives a
/// false-positive rate above twice alpha (beyond 4 MC SE), while Holm's
/// step-down over the 20 paths stays at most alpha within 4 MC SE.
#[test]
fn a_null_therapy_looks_effective_far_more_often_than_alpha() {
    let m = metrics(&null_trial(10_000, FIVE_BY_TWO_BY_TWO));
    assert_eq!(get(&m, Metric::ForkingPaths).estimate, Some(20.0));
    let any = get(&m, Metric::ForkingAnySignificant);
    let (p, se) = (any.estimate.unwrap(), any.mc_se.unwrap());
    assert_eq!(any.n, 10_000);
    assert!(
        p - 4.0 * se > 2.0 * 0.05,
        "forking_any_significant {p} ± {se} does not exceed 2 alpha"
    );
    let holm = get(&m, Metric::HolmAnySignificant);
    let (h, se_h) = (holm.estimate.unwrap(), holm.mc_se.unwrap());
    // The binomial SE at alpha itself, the rate Holm may not exceed.
    let se_alpha = (0.05f64 * 0.95 / 10_000.0).sqrt();
    assert!(h <= 0.05 + 4.0 * se_alpha, "holm {h} ± {se_h} above alpha");
    // No effect at any visit: the exaggeration ratio is undefined.
    assert_eq!(get(&m, Metric::ForkingTypeM), Estimate::UNDEFINED);
}

/// Acceptance 2: with the primary analysis as the one path, the "any path"
/// rate is exactly `power_favourable` (same trials, same test), for each
/// method and missing-data rule.
#[test]
fn one_path_is_the_primary_analysis() {
    for (method, missing) in [
        ("ancova", "complete_case"),
        ("welch_change", "locf"),
        ("ancova", "bocf"),
        ("mmrm", "complete_case"),
    ] {
        let text = null_trial(2000, "")
            .replace("peak = 0.0", "peak = -8.0")
            .replace(
                "method = \"ancova\"",
                &format!("method = \"{method}\"\nmissing = \"{missing}\""),
            )
            .replace(
                &format!("method = \"mmrm\"\nmissing = \"{missing}\""),
                "method = \"mmrm\"",
            )
            + &format!(
                "[forking_paths]\nvisits = [12]\nmethods = [\"{method}\"]\nmissing = [\"{missing}\"]\n"
            );
        let m = metrics(&text);
        assert_eq!(get(&m, Metric::ForkingPaths).estimate, Some(1.0));
        assert_eq!(
            get(&m, Metric::ForkingAnySignificant),
            get(&m, Metric::PowerFavourable),
            "{method} {missing}"
        );
        // Where no trial is significant the wrong way, the one path's
        // exaggeration ratio is type M (a mean of ratios to one truth).
        if get(&m, Metric::Power) == get(&m, Metric::PowerFavourable) {
            let (a, b) = (
                get(&m, Metric::ForkingTypeM).estimate.unwrap(),
                get(&m, Metric::TypeM).estimate.unwrap(),
            );
            assert!((a - b).abs() <= 1e-12 * b, "{method} {missing}: {a} vs {b}");
        }
    }
}

/// Acceptance 3: when each published trial reports its most significant
/// path, the pooled estimate of a null therapy is biased in the favourable
/// direction (lower is better: negative), beyond 4 MC SE; reporting the
/// primary analysis (every trial published) it is unbiased within 4 MC SE.
#[test]
fn reporting_the_best_path_biases_the_literature() {
    let meta = |report: &str| {
        format!(
            "{FIVE_BY_TWO_BY_TWO}[meta_analysis]\ntrials = 8\nsizes = [20]\npublish_nonsignificant = 1.0\nreport = \"{report}\"\n"
        )
    };
    let run_meta = |report: &str| {
        let text = null_trial(1000, &meta(report));
        let study = Study::from_toml_str(&text, "test").unwrap_or_else(|e| panic!("{e}"));
        let result = run(&study, &RunOptions::default()).unwrap();
        let meta = result.design_points[0].meta.clone().unwrap();
        *meta.get(Metric::Bias).unwrap()
    };
    let best = run_meta("best");
    let (b, se) = (best.estimate.unwrap(), best.mc_se.unwrap());
    assert!(b + 4.0 * se < 0.0, "best: bias {b} ± {se} not favourable");
    let primary = run_meta("primary");
    within_4se(
        "primary: pooled bias",
        primary.estimate.unwrap(),
        0.0,
        primary.mc_se.unwrap(),
    );
}

/// Acceptance 4: adding `[forking_paths]` adds its metrics and moves no
/// other number (the paths are analysed on the same patients after the
/// primary analysis and draw nothing).
#[test]
fn forking_paths_move_no_other_number() {
    let json = |text: &str| -> Value {
        let study = Study::from_toml_str(text, "test").unwrap();
        let opts = RunOptions {
            replicates: Some(600),
            ..Default::default()
        };
        let result = run(&study, &opts).unwrap();
        serde_json::from_str(&trialsim::output::summary_json(
            &result,
            trialsim::Naming::Flags,
        ))
        .unwrap()
    };
    let meta = "[meta_analysis]\ntrials = 4\nsizes = [15, 30]\npublish_nonsignificant = 0.5\n";
    let without = json(&null_trial(600, meta).replace("peak = 0.0", "peak = -6.0"));
    let mut with = json(
        &null_trial(600, &format!("{FIVE_BY_TWO_BY_TWO}{meta}"))
            .replace("peak = 0.0", "peak = -6.0"),
    );
    let dp = &mut with["design_points"][0];
    assert_eq!(dp["forking_by_paths"].as_array().unwrap().len(), 20);
    dp.as_object_mut().unwrap().remove("forking_by_paths");
    let names = [
        "forking_paths",
        "forking_any_significant",
        "forking_type_m",
        "holm_any_significant",
    ];
    for name in names {
        assert!(dp["metrics"].get(name).is_some(), "{name}");
    }
    dp["metrics"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !names.contains(&k.as_str()));
    assert_eq!(with, without);
}

/// The rates by number of paths end at the headline metrics, grow with
/// the paths (each adds a chance), and Holm's never exceeds the raw rate.
#[test]
fn the_rate_grows_with_the_paths_and_holm_stays_below() {
    let study = Study::from_toml_str(&null_trial(2000, FIVE_BY_TWO_BY_TWO), "test").unwrap();
    let result = run(&study, &RunOptions::default()).unwrap();
    let dp = &result.design_points[0];
    let steps = &dp.forking;
    assert_eq!(steps.len(), 20);
    let rate =
        |s: &trialsim::metrics::ForkingStep, m: Metric| s.metrics.get(m).unwrap().estimate.unwrap();
    for (k, w) in steps.windows(2).enumerate() {
        assert_eq!(w[0].paths, k + 1);
        let (a, b) = (
            rate(&w[0], Metric::ForkingAnySignificant),
            rate(&w[1], Metric::ForkingAnySignificant),
        );
        assert!(a <= b, "{k}: {a} > {b}");
    }
    for s in steps {
        assert!(rate(s, Metric::HolmAnySignificant) <= rate(s, Metric::ForkingAnySignificant));
    }
    let last = steps.last().unwrap();
    for m in [Metric::ForkingAnySignificant, Metric::HolmAnySignificant] {
        assert_eq!(last.metrics.get(m), dp.metrics.get(m));
    }
}

/// What the user reads: the terminal summary lists the forking metrics,
/// the report says how often a path is a "finding" and what Holm leaves,
/// describes the paths, and carries the figure.
#[test]
fn the_report_tells_the_forking_paths() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forking.toml");
    std::fs::write(&file, null_trial(1000, FIVE_BY_TWO_BY_TWO)).unwrap();
    let out = dir.path().join("out");
    let o = crate::ok(
        crate::trialsim()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    for want in [
        "forking paths (any analysis may be reported):",
        "forking_paths                  20.000",
        "holm_any_significant",
    ] {
        assert!(stdout.contains(want), "{want:?} in {stdout}");
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    for want in [
        "each trial is also analysed in 20 ways on the same patients",
        "If any of the 20 analyses listed under forking paths could be reported (5 visits × 4 method and missing-data rule combinations)",
        "every one is a false positive",
        "Holm's step-down over all of them brings that to",
        "The garden of forking paths",
    ] {
        assert!(report.contains(want), "report lacks {want:?}");
    }
    for ext in ["png", "svg"] {
        assert!(
            out.join("plots")
                .join(format!("forking_paths.{ext}"))
                .is_file()
        );
    }
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let steps = json["design_points"][0]["forking_by_paths"]
        .as_array()
        .unwrap();
    assert_eq!(steps.len(), 20);
    assert_eq!(steps[0]["paths"], 1);
}

/// Same seed, same bits, whatever the threads: the paths' accumulators
/// fold in replicate order like every other group (600 replicates span
/// three blocks).
#[test]
fn forking_results_do_not_depend_on_the_threads() {
    let text = null_trial(600, FIVE_BY_TWO_BY_TWO)
        + "[meta_analysis]\ntrials = 4\nsizes = [20]\nreport = \"best\"\n";
    let study = Study::from_toml_str(&text, "test").unwrap();
    let json = |threads: usize| {
        let opts = RunOptions {
            threads: std::num::NonZeroUsize::new(threads),
            ..Default::default()
        };
        let result = run(&study, &opts).unwrap();
        trialsim::output::summary_json(&result, trialsim::Naming::Flags)
    };
    assert_eq!(json(1), json(2));
    assert_eq!(json(1), json(8));
}
