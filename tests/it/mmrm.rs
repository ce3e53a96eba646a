//! MMRM (issue #27): the exact fit for monotone dropout against the
//! general REML optimiser, on simulated trials with MAR dropout.

use trialsim::analysis::mmrm::{Covariance, MmrmData, Structure, fit, fit_exact, fit_structure};
use trialsim::engine::Simulator;
use trialsim::scenario::Study;

/// The MAR scenario of the reference data sets, with `n` per arm.
fn mar(n: usize) -> Study {
    let text = include_str!("../reference/mmrm/mar.toml")
        .replace("n_per_arm = 40", &format!("n_per_arm = {n}"));
    Study::from_toml_str(&text, "mar").unwrap()
}

/// #27 acceptance 2: over 100 simulated trials with dropout, the closed
/// form and the Newton optimiser agree to 1e-6 on every visit's estimate,
/// SE and df (the df reach that only at an exact optimum), and the
/// optimiser reports convergence.
#[test]
fn the_exact_fit_is_the_optimisers_optimum() {
    let study = mar(30);
    let sim = Simulator::new(&study.points[0].scenario, 2027);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    let mut fitted = 0;
    for r in 0..100 {
        let trial = sim.one_trial(r);
        assert!(
            trial.data.observed.iter().any(|&m| m < 5),
            "replicate {r} has dropout"
        );
        let d = MmrmData::new(&trial.data, Covariance::Common);
        let general = fit_structure(&d, Structure::Unstructured);
        let (Some(exact), Some(general)) = (fit_exact(&d), general) else {
            panic!("replicate {r}: a fit failed");
        };
        assert!(general.converged, "replicate {r}: {general:?}");
        assert!(general.iterations > 0 && exact.iterations == 0);
        for j in 0..5 {
            let at = format!("replicate {r}, visit {j}");
            assert!(
                close(exact.estimate[j], general.estimate[j]),
                "{at}: estimate {} vs {}",
                exact.estimate[j],
                general.estimate[j]
            );
            assert!(
                close(exact.se[j], general.se[j]),
                "{at}: SE {} vs {}",
                exact.se[j],
                general.se[j]
            );
            assert!(
                close(exact.df[j], general.df[j]),
                "{at}: df {} vs {}",
                exact.df[j],
                general.df[j]
            );
        }
        fitted += 1;
    }
    assert_eq!(fitted, 100);
}

/// The bias at the primary visit of the MAR scenario `text` with its
/// `method = "ancova"` line replaced by `analysis` (R = 4 000), with its MC
/// SE (the SD of the estimates over √R, written out by the run), and the
/// share of MMRM fits that fell back.
fn bias(text: &str, analysis: &str) -> (f64, f64, Option<f64>) {
    use trialsim::engine::{RunOptions, run};
    use trialsim::metrics::Metric;
    let opts = RunOptions {
        replicates: Some(4000),
        ..Default::default()
    };
    let text = text.replace("method = \"ancova\"", analysis);
    let result = run(&Study::from_toml_str(&text, "mar").unwrap(), &opts).unwrap();
    let m = &result.design_points[0].metrics;
    let b = m.get(Metric::Bias).unwrap();
    let fallback = m.get(Metric::MmrmFallback).and_then(|e| e.estimate);
    (b.estimate.unwrap(), b.mc_se.unwrap(), fallback)
}

/// #27 acceptance 4 (common covariance): under MAR dropout with patients
/// who respond alike (`patient_sd = 0`), complete-case ANCOVA is biased at
/// the primary visit and MMRM is not: |bias| within 4 MC SE of 0.
#[test]
fn mmrm_is_unbiased_under_mar_where_complete_case_is_not() {
    let text = include_str!("../reference/mmrm/mar.toml");
    let (cc, cc_se, _) = bias(text, "method = \"ancova\"");
    let (mmrm, mmrm_se, _) = bias(text, "method = \"mmrm\"");
    assert!(cc.abs() > 4.0 * cc_se, "complete case: {cc} ± {cc_se}");
    assert!(mmrm.abs() < 4.0 * mmrm_se, "MMRM: {mmrm} ± {mmrm_se}");
}

/// #27 acceptance 4 (one covariance per arm): with patient-level response
/// heterogeneity (`patient_sd = 6`) the treatment arm has its own
/// covariance, so one common matrix is misspecified and biased under MAR,
/// and complete case more so; `by_arm` is unbiased (|bias| within 4 MC
/// SE). 100 per arm, where every by_arm fit is unstructured: at 40 per arm
/// 15% fall back to the heterogeneous AR(1), which is misspecified too.
#[test]
fn by_arm_is_unbiased_with_patient_heterogeneity_where_common_is_not() {
    let text = include_str!("../reference/mmrm/mar.toml")
        .replace("n_per_arm = 40", "n_per_arm = 100")
        .replace(
            "half_life_months = 8.3",
            "half_life_months = 8.3\npatient_sd = 6.0",
        );
    let (cc, cc_se, _) = bias(&text, "method = \"ancova\"");
    let (common, common_se, _) = bias(&text, "method = \"mmrm\"");
    let (by_arm, by_arm_se, fallback) =
        bias(&text, "method = \"mmrm\"\nmmrm_covariance = \"by_arm\"");
    assert!(fallback.unwrap() < 0.01, "{fallback:?}");
    assert!(cc.abs() > 4.0 * cc_se, "complete case: {cc} ± {cc_se}");
    assert!(
        common.abs() > 4.0 * common_se,
        "common: {common} ± {common_se}"
    );
    assert!(
        by_arm.abs() < 4.0 * by_arm_se,
        "by_arm: {by_arm} ± {by_arm_se}"
    );
}

/// MMRM needs no missing-data rule: a sweep over ANCOVA and MMRM with
/// `missing = "locf"` runs, and MMRM's numbers do not depend on the rule.
#[test]
fn a_sweep_over_methods_with_locf_is_legal_and_mmrm_ignores_the_rule() {
    use trialsim::engine::{RunOptions, run};
    let opts = RunOptions {
        replicates: Some(300),
        ..Default::default()
    };
    let base =
        include_str!("../reference/mmrm/mar.toml").replace("n_per_arm = 40", "n_per_arm = 20");
    let swept = format!(
        "{}\n[sweep]\n\"analysis.method\" = [\"ancova\", \"mmrm\"]\n",
        base.replace(
            "method = \"ancova\"",
            "method = \"ancova\"\nmissing = \"locf\""
        )
    );
    let study = Study::from_toml_str(&swept, "swept").unwrap();
    let result = run(&study, &opts).unwrap();
    assert_eq!(result.design_points.len(), 2);
    let plain = Study::from_toml_str(
        &base.replace("method = \"ancova\"", "method = \"mmrm\""),
        "plain",
    )
    .unwrap();
    let alone = run(&plain, &opts).unwrap();
    assert_eq!(
        serde_json::to_string(&result.design_points[1].metrics).unwrap(),
        serde_json::to_string(&alone.design_points[0].metrics).unwrap(),
        "same trials (common random numbers), same MMRM numbers, whatever the missing-data rule"
    );
}

/// When the unstructured fit cannot be had (sparse late visits in small
/// trials with heavy dropout), the fit falls back down the chain and the
/// design point counts it: `mmrm_fallback` and `mmrm_failed` are reported
/// for an MMRM point (and only there), and a failed fit is not estimable.
#[test]
fn fallbacks_are_used_and_counted() {
    use trialsim::engine::{RunOptions, run};
    use trialsim::metrics::Metric;
    let study = mar(15);
    let sim = Simulator::new(&study.points[0].scenario, 5);
    let mut fell_back = 0;
    for r in 0..200 {
        let trial = sim.one_trial(r);
        let d = MmrmData::new(&trial.data, Covariance::Common);
        match (fit_exact(&d), fit(&d)) {
            // Unstructured has an optimum: the fit is the closed form, and
            // the optimiser, where it converges, finds the same.
            (Some(exact), Some(f)) => {
                assert_eq!(f, exact, "replicate {r}");
                if let Some(u) = fit_structure(&d, Structure::Unstructured).filter(|u| u.converged)
                {
                    for j in 0..u.estimate.len() {
                        assert!(
                            (u.estimate[j] - f.estimate[j]).abs() < 1e-6 * u.se[j],
                            "replicate {r}"
                        );
                    }
                }
            }
            (None, Some(f)) => {
                assert!(f.converged && f.structure != Structure::Unstructured);
                fell_back += 1;
            }
            (Some(_), None) => panic!("replicate {r}: the closed form exists but is not the fit"),
            (None, None) => {}
        }
    }
    // About 22% fall back in this scenario (R = 20 000: 22.4% ± 0.3%); 10
    // of 200 is 5%, over 5 binomial SEs (√(0.22·0.78/200) = 2.9%) below.
    assert!(fell_back > 10, "{fell_back} of 200 fell back");

    let opts = RunOptions {
        replicates: Some(500),
        ..Default::default()
    };
    let text =
        include_str!("../reference/mmrm/mar.toml").replace("n_per_arm = 40", "n_per_arm = 15");
    let ancova = run(&Study::from_toml_str(&text, "a").unwrap(), &opts).unwrap();
    assert!(
        ancova.design_points[0]
            .metrics
            .get(Metric::MmrmFallback)
            .is_none()
    );
    let text = text.replace("method = \"ancova\"", "method = \"mmrm\"");
    let study = Study::from_toml_str(&text, "m").unwrap();
    let mmrm = run(&study, &opts).unwrap();
    // The report says so.
    let said = "the unstructured covariance of the MMRM could not be fitted";
    let findings = trialsim::output::report::findings(&study, &mmrm, 0);
    assert!(findings.iter().any(|f| f.contains(said)), "{findings:?}");
    let m = &mmrm.design_points[0].metrics;
    let share = |metric| m.get(metric).and_then(|e| e.estimate).unwrap();
    // 22% expected; at R = 500 its MC SE is √(0.22·0.78/500) = 1.9%, so
    // 5% is 9 MC SEs below.
    assert!(share(Metric::MmrmFallback) > 0.05, "{m:?}");
    assert!(share(Metric::NotEstimable) >= share(Metric::MmrmFailed));
}

/// `dataset` keeps its top-level fields and, for an MMRM, adds `fit`: the
/// structure used, whether it is a fallback, iterations and convergence
/// (the exact fit takes none); an ANCOVA has no `fit`.
#[test]
fn dataset_reports_the_mmrm_fit() {
    let dir = tempfile::tempdir().unwrap();
    let json_of = |method: &str| {
        let text = include_str!("../reference/mmrm/mar.toml")
            .replace("method = \"ancova\"", &format!("method = \"{method}\""));
        let sc = dir.path().join(format!("{method}.toml"));
        std::fs::write(&sc, text).unwrap();
        let out = crate::ok(
            crate::trialsim()
                .arg("dataset")
                .arg(&sc)
                .args(["--replicate", "2", "--out"])
                .arg(dir.path().join(format!("{method}.csv"))),
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let mmrm = json_of("mmrm");
    for key in ["estimate", "se", "df", "p_value"] {
        assert!(mmrm[key].is_f64(), "{key}: {mmrm}");
    }
    assert_eq!(mmrm["fit"]["structure"], "unstructured");
    assert_eq!(mmrm["fit"]["fallback"], false);
    assert_eq!(mmrm["fit"]["iterations"], 0);
    assert_eq!(mmrm["fit"]["converged"], true);
    assert!(json_of("ancova").get("fit").is_none());
}

/// Keys the MMRM makes moot are warned about (once, naming the key and
/// why), as are MMRM keys under another method; a sweep over methods, where
/// the key acts at some point, is not warned about.
#[test]
fn moot_keys_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let base = include_str!("../reference/mmrm/mar.toml");
    let stderr_of = |name: &str, text: String| {
        let sc = dir.path().join(name);
        std::fs::write(&sc, text).unwrap();
        let out = crate::ok(crate::trialsim().arg("validate").arg(&sc));
        String::from_utf8(out.stderr).unwrap()
    };
    let mmrm_locf = base.replace(
        "method = \"ancova\"",
        "method = \"mmrm\"\nmissing = \"locf\"\nfast_path = true",
    );
    assert_eq!(
        stderr_of("a.toml", mmrm_locf.clone()),
        "warning: analysis.missing is unused: analysis.method = \"mmrm\" imputes nothing\n\
         warning: analysis.fast_path is unused: analysis.method = \"mmrm\" fits every visit of every patient\n"
    );
    assert_eq!(
        stderr_of(
            "b.toml",
            base.replace(
                "method = \"ancova\"",
                "method = \"ancova\"\nmmrm_covariance = \"by_arm\""
            )
        ),
        "warning: analysis.mmrm_covariance is unused: it applies to analysis.method = \"mmrm\" only\n"
    );
    let swept = format!(
        "{}\n[sweep]\n\"analysis.method\" = [\"ancova\", \"mmrm\"]\n",
        mmrm_locf.replace("fast_path = true\n", "")
    );
    assert_eq!(stderr_of("c.toml", swept), "");
}
