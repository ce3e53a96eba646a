//! Extreme but valid parameters: results stay finite, and what cannot be
//! estimated is counted as `not_estimable`, never a panic or a NaN.

use trialsim::engine::{RunOptions, run};
use trialsim::metrics::Metric;
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
        .get(Metric::from_name(name).expect("a metric name"))
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
            .get(Metric::Bias)
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

#[test]
fn r_nan_meta_bias_from_a_degenerate_clamped_trial() {
    // Found by proptest: a scale only 2 points wide clamps nearly every value
    // to a bound; a trial's ANCOVA then fit rounding noise (SE 2e-15), and the
    // pooled estimate overflowed to NaN. Such a trial is not estimable now.
    let r = run_text(
        "name = \"x\"\nseed = 537\n[outcome]\nmu0 = 54.009042201413756\nsubject_sd = 27.6\nresidual_sd = 12.4\nrho = 0.76\nmin = 53.009042201413756\nmax = 55.009042201413756\ninclusion = 54.009042201413756\n[visits]\nmonths = [0.5]\nprimary = 0.5\n[placebo]\npeak = 27.2\nonset_months = 4.3\n[effect]\npeak = 0.0\nresponder_fraction = 0.0\n[design]\nn_per_arm = 2\nallocation = 1.5\n[analysis]\nmethod = \"ancova\"\nalpha = 0.01\nby_visit = false\n[meta_analysis]\ntrials = 2\nsizes = [10]\nestimator = \"dl\"\npublish_nonsignificant = 0.3\n",
        12,
    );
    all_finite(&r);
    // Every meta metric is either defined (some meta-replicate counts towards
    // it) and finite, or undefined as a whole: no estimate, no SE, n = 0.
    for (name, e) in &r.design_points[0].meta.as_ref().unwrap().0 {
        assert_eq!(e.estimate.is_some(), e.n > 0, "meta {name}: {e:?}");
        if let Some(x) = e.estimate {
            assert!(x.is_finite(), "meta {name} = {x}");
        } else {
            assert_eq!(e.mc_se, None, "meta {name}: {e:?}");
        }
    }
    let bias = r.design_points[0]
        .meta
        .as_ref()
        .unwrap()
        .get(Metric::Bias)
        .unwrap();
    assert!(bias.estimate.is_some_and(f64::is_finite), "{bias:?}");
}

#[test]
fn r_welch_df_overflow_with_huge_variances() {
    // Found in review: SDs near 1e100 overflowed Welch's df (inf/inf) and the
    // t quantile panicked. The df are now computed from ratios.
    let r = run_text(
        &base(
            "mu0 = 50.0\nsubject_sd = 1e100\nresidual_sd = 1e100\nrho = 0.5",
            "months = [3]\nprimary = 3",
            "[design]\nn_per_arm = 10",
        )
        .replace("method = \"ancova\"", "method = \"welch_change\""),
        200,
    );
    all_finite(&r);
    assert_eq!(metric(&r, "not_estimable"), 0.0);
}

#[test]
fn type_s_trial_is_undefined_when_no_setting_has_an_effect() {
    // Found in review: with theta = 0 and no heterogeneity every theta_j is
    // 0, and MODEL.md §3 makes type_s_trial equal to type_s there, which is
    // undefined (null, null, 0) — not 1.
    // Also with heterogeneity that nobody feels: no responders, so theta_j
    // = 0 whatever tau and the factor shifts are.
    for effect in [
        "peak = 0.0",
        "peak = -5.0\nresponder_fraction = 0.0\n[heterogeneity]\ntau = 3.0\n[[heterogeneity.factors]]\nname = \"p\"\nlevels = [{ name = \"a\", weight = 0.3, shift = 0.1 }, { name = \"b\", weight = 0.7, shift = 2.0 }]",
    ] {
        let r = run_text(
            &base(
                "mu0 = 50.0\nsubject_sd = 10.0\nresidual_sd = 10.0\nrho = 0.5",
                "months = [3]\nprimary = 3",
                "[design]\nn_per_arm = 20",
            )
            .replace("peak = -5.0", effect),
            2000,
        );
        let m = &r.design_points[0].metrics;
        assert!(metric(&r, "power") > 0.0, "some false positives to judge");
        for name in ["type_s", "type_s_trial", "type_m", "type_m_trial"] {
            let e = m
                .get(Metric::from_name(name).expect("a metric name"))
                .unwrap();
            assert_eq!(
                (e.estimate, e.mc_se, e.n),
                (None, None, 0),
                "{effect}: {name}: {e:?}"
            );
        }
    }
}

#[test]
fn r_type_s_trial_counts_settings_without_an_effect() {
    // Found in review: a protocol level that cancels the effect gives
    // theta_j = 0 exactly; its significant trials are sign errors against
    // their own setting and must be counted, like type_m_trial does.
    let r = run_text(
        &base(
            "mu0 = 50.0\nsubject_sd = 10.0\nresidual_sd = 10.0\nrho = 0.5",
            "months = [3]\nprimary = 3",
            "[heterogeneity]\n[[heterogeneity.factors]]\nname = \"protocol\"\nlevels = [{ name = \"works\", weight = 0.5 }, { name = \"null\", weight = 0.5, shift = 5.0 }]\n[design]\nn_per_arm = 20",
        ),
        2000,
    );
    let m = &r.design_points[0].metrics;
    let s = m.get(Metric::TypeSTrial).unwrap();
    assert_eq!(s.n, m.get(Metric::TypeMTrial).unwrap().n);
    assert!(
        s.estimate.unwrap() > 0.02,
        "false positives from null settings: {s:?}"
    );
}

/// #15 item 5: a design point where no trial can be analysed says so, on
/// stderr and in `summary.json`, instead of exiting 0 in silence.
#[test]
fn no_estimable_trial_is_a_warning_on_stderr_and_in_the_summary() {
    let text = base(
        "mu0 = 50.0\nsubject_sd = 0.0\nresidual_sd = 0.0\nrho = 0.0",
        "months = [3]\nprimary = 3",
        "[design]\nn_per_arm = 10",
    );
    let r = run_text(&text, 300);
    let warnings: Vec<String> = r.design_points[0]
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect();
    assert_eq!(
        warnings,
        [
            "no trial could be analysed: all 300 are not estimable (at the primary visit an arm has fewer than 2 patients observed, or no variance, e.g. subject_sd = residual_sd = 0); every metric but power is empty"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("zero.toml");
    std::fs::write(&sc, &text).unwrap();
    let out = crate::trialsim()
        .arg("run")
        .arg(&sc)
        .args(["--replicates", "300", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("warning: no trial could be analysed: all 300 are not estimable")
    );
    let summary = std::fs::read_to_string(dir.path().join("o/summary.json")).unwrap();
    assert!(summary.contains("\"no trial could be analysed: all 300 are not estimable"));
}

/// #15 item 5: a conditional metric whose condition no trial met (zero
/// denominator) is named, with the other metrics sharing its condition.
#[test]
fn a_metric_with_a_zero_denominator_is_a_warning() {
    // A null effect, 40 trials of 2 + 2 patients, alpha = 0.001: with this
    // seed no trial is significant (P(any) <= 40 · 0.001 = 0.04).
    let r = run_text(
        "name = \"x\"\n[outcome]\nmu0 = 50.0\nsubject_sd = 5.0\nresidual_sd = 5.0\nrho = 0.5\n\
         [visits]\nmonths = [3]\nprimary = 3\n[effect]\npeak = 0.0\n[design]\nn_per_arm = 2\n\
         [analysis]\nmethod = \"ancova\"\nalpha = 0.001\n",
        40,
    );
    assert_eq!(metric(&r, "power"), 0.0);
    let warnings: Vec<String> = r.design_points[0]
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect();
    assert_eq!(
        warnings,
        [
            "type_s, type_m, type_s_trial and type_m_trial are undefined: none of the 40 trials is among the significant trials; raise replicates or the design's power"
        ]
    );
}

/// Found building #19: against a true effect of 0, type S and M are
/// undefined however many trials are significant; the warning said "none of
/// the trials is among the significant trials" when 5% of them were.
#[test]
fn a_null_effect_with_significant_trials_is_not_a_zero_denominator() {
    let r = run_text(
        "name = \"x\"\n[outcome]\nmu0 = 50.0\nsubject_sd = 5.0\nresidual_sd = 5.0\nrho = 0.5\n\
         [visits]\nmonths = [3]\nprimary = 3\n[effect]\npeak = 0.0\n[design]\nn_per_arm = 20\n\
         [analysis]\nmethod = \"ancova\"\n",
        2000,
    );
    assert!(metric(&r, "power") > 0.0);
    let warnings: Vec<String> = r.design_points[0]
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect();
    assert!(
        warnings.iter().all(|w| !w.contains("is among the")),
        "{warnings:?}"
    );
}
