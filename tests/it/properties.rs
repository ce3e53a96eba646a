//! Property tests (proptest): any valid scenario drawn from wide ranges
//! validates, round-trips through `scenario.resolved.toml`, and runs a few
//! replicates with metrics that are finite or explicitly absent, proportions
//! in [0, 1], `mc_se >= 0`, and CIs that contain their estimate; invalid
//! values give an error naming their path, never a panic.

use proptest::prelude::*;
use trialsim::engine::{RunOptions, Simulator, run};
use trialsim::scenario::{Scenario, Study};

/// Metrics that are proportions.
const PROPORTIONS: [&str; 17] = [
    "power",
    "power_favourable",
    "type_s",
    "type_s_trial",
    "coverage",
    "coverage_trial",
    "mcid_claim",
    "true_mcid",
    "claim_true",
    "durable",
    "replication_same",
    "replication_new",
    "dropout_control",
    "dropout_treatment",
    "not_estimable",
    "significant",
    "egger_detects",
];

fn num(x: f64) -> String {
    format!("{x:?}")
}

prop_compose! {
    fn outcome()(
        lower in any::<bool>(),
        mu0 in 0.0..100.0f64,
        subject_sd in 0.0..30.0f64,
        residual_sd in 0.0..30.0f64,
        rho in 0.0..0.99f64,
        bounds in proptest::option::of((1.0..60.0f64, 1.0..60.0f64)),
        resolution in prop_oneof![Just(0.0), Just(0.5), Just(1.0)],
        mcid in proptest::option::of(1.0..20.0f64),
        inclusion in any::<bool>(),
    ) -> String {
        let mut t = format!(
            "[outcome]\nlower_is_better = {lower}\nmu0 = {}\nsubject_sd = {}\nresidual_sd = {}\nrho = {}\nresolution = {}\n",
            num(mu0), num(subject_sd), num(residual_sd), num(rho), num(resolution)
        );
        if let Some((a, b)) = bounds {
            t += &format!("min = {}\nmax = {}\n", num(mu0 - a), num(mu0 + b));
        }
        if let Some(m) = mcid {
            t += &format!("mcid = {}\n", num(m));
        }
        if inclusion && subject_sd + residual_sd > 1.0 {
            // At the screened mean: half the population is admitted.
            t += &format!("inclusion = {}\n", num(mu0));
        }
        t
    }
}

prop_compose! {
    fn visits()(steps in proptest::collection::vec(0.5..12.0f64, 1..5), pick in any::<prop::sample::Index>()) -> String {
        let mut months = Vec::new();
        let mut t = 0.0;
        for s in steps {
            t += s;
            months.push(t);
        }
        let primary = months[pick.index(months.len())];
        format!(
            "[visits]\nmonths = [{}]\nprimary = {}\n",
            months.iter().map(|m| num(*m)).collect::<Vec<_>>().join(", "),
            num(primary)
        )
    }
}

prop_compose! {
    fn curve()(
        peak in -30.0..30.0f64,
        exponential in any::<bool>(),
        onset in 0.0..6.0f64,
        plateau in 0.0..12.0f64,
        half_life in proptest::option::of(1.0..24.0f64),
    ) -> String {
        let mut t = format!(
            "peak = {}\nonset = \"{}\"\nonset_months = {}\nplateau_until = {}\n",
            num(peak),
            if exponential { "exponential" } else { "linear" },
            num(onset),
            num(plateau)
        );
        if let Some(h) = half_life {
            t += &format!("half_life_months = {}\n", num(h));
        }
        t
    }
}

prop_compose! {
    fn rest()(
        placebo in proptest::option::of((curve(), 0.0..10.0f64)),
        effect in curve(),
        patient_sd in 0.0..10.0f64,
        responders in 0.0..=1.0f64,
        tau in 0.0..10.0f64,
        factor in proptest::option::of(proptest::collection::vec((0.1..1.0f64, -5.0..5.0f64, -5.0..5.0f64), 1..4)),
        small in proptest::option::of((2u64..40, -5.0..5.0f64)),
        dropout in proptest::option::of((0usize..4, 0.0..0.5f64, 0.5..2.0f64, -0.1..0.1f64)),
        n in 2u64..30,
        allocation in prop_oneof![Just(1.0), Just(1.5), Just(2.0), Just(3.0)],
        method in prop_oneof![Just("welch_change"), Just("ancova")],
        missing in prop_oneof![Just("complete_case"), Just("locf"), Just("bocf")],
        alpha in 0.01..0.2f64,
        one_sided in any::<bool>(),
        by_visit in any::<bool>(),
        replication in any::<bool>(),
        meta in proptest::option::of((2u64..6, proptest::collection::vec(2u64..20, 1..4), 0usize..3, any::<bool>(), 0.3..=1.0f64)),
    ) -> String {
        let mut t = String::new();
        if let Some((c, ptau)) = placebo {
            t += &format!("[placebo]\n{c}tau = {}\n", num(ptau));
        }
        t += &format!(
            "[effect]\n{effect}patient_sd = {}\nresponder_fraction = {}\n",
            num(patient_sd),
            num(responders)
        );
        t += &format!("[heterogeneity]\ntau = {}\n", num(tau));
        if let Some((below, bias)) = small {
            t += &format!("small_study = {{ below = {below}, bias = {} }}\n", num(bias));
        }
        if let Some(levels) = factor {
            t += "[[heterogeneity.factors]]\nname = \"f\"\nlevels = [\n";
            for (i, (w, shift, bias)) in levels.iter().enumerate() {
                t += &format!(
                    "  {{ name = \"l{i}\", weight = {}, shift = {}, bias = {} }},\n",
                    num(*w), num(*shift), num(*bias)
                );
            }
            t += "]\n";
        }
        if let Some((m, rate, or, beta)) = dropout {
            let mech = ["none", "mcar", "mar", "mnar"][m];
            t += &format!(
                "[dropout]\nmechanism = \"{mech}\"\nmonthly_rate = {}\narm_odds_ratio = {}\nbeta = {}\n",
                num(rate), num(or), num(beta)
            );
        }
        t += &format!("[design]\nn_per_arm = {n}\nallocation = {}\n", num(allocation));
        t += &format!(
            "[analysis]\nmethod = \"{method}\"\nmissing = \"{missing}\"\nalpha = {}\nsided = \"{}\"\nby_visit = {by_visit}\nreplication = {replication}\n",
            num(alpha),
            if one_sided { "one" } else { "two" }
        );
        if let Some((k, sizes, est, hksj, publish)) = meta {
            t += &format!(
                "[meta_analysis]\ntrials = {k}\nsizes = [{}]\nestimator = \"{}\"\nhartung_knapp = {hksj}\npublish_nonsignificant = {}\n",
                sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                ["dl", "pm", "reml"][est],
                num(publish)
            );
        }
        t
    }
}

prop_compose! {
    fn scenario_text()(o in outcome(), v in visits(), r in rest(), seed in 0u64..1000) -> String {
        format!("name = \"prop\"\nseed = {seed}\nreplicates = 12\n{o}{v}{r}")
    }
}

fn check_metric(
    name: &trialsim::metrics::Metric,
    e: &trialsim::metrics::Estimate,
) -> Result<(), TestCaseError> {
    match (e.estimate, e.mc_se) {
        (None, None) => prop_assert_eq!(e.n, 0, "{} undefined but n = {}", name, e.n),
        (Some(x), se) => {
            prop_assert!(x.is_finite(), "{} = {}", name, x);
            if let Some(se) = se {
                prop_assert!(se.is_finite() && se >= 0.0, "{} mc_se = {}", name, se);
            }
            if PROPORTIONS.contains(&name.name()) {
                prop_assert!((0.0..=1.0).contains(&x), "{} = {} outside [0, 1]", name, x);
            }
        }
        (None, Some(_)) => prop_assert!(false, "{} has an SE but no estimate", name),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn valid_scenarios_run_with_sane_metrics(text in scenario_text()) {
        let study = Study::from_toml_str(&text, "prop").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let sc = &study.points[0].scenario;
        // Round trip through scenario.resolved.toml.
        let resolved = study.resolved_toml(study.seed, study.replicates).unwrap();
        let again = Study::from_toml_str(&resolved, "resolved").map_err(|e| TestCaseError::fail(format!("{e}\n{resolved}")))?;
        prop_assert_eq!(&again.points[0].scenario, sc);
        prop_assert_eq!(again.resolved_toml(again.seed, again.replicates).unwrap(), resolved);

        let opts = RunOptions { threads: std::num::NonZeroUsize::new(1), ..Default::default() };
        let result = run(&study, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let dp = &result.design_points[0];
        for (name, e) in &dp.metrics.0 {
            check_metric(name, e)?;
        }
        for v in &dp.by_visit {
            for (name, e) in &v.metrics.0 {
                check_metric(name, e)?;
            }
        }
        if let Some(meta) = &dp.meta {
            for (name, e) in &meta.0 {
                check_metric(name, e)?;
            }
        }
        // Every estimable trial's CI contains its estimate.
        let sim = Simulator::new(sc, study.seed);
        for r in 0..5 {
            if let Some(t) = sim.one_trial(r).analysed.result {
                prop_assert!(t.ci_low <= t.estimate && t.estimate <= t.ci_high, "{:?}", t);
                prop_assert!(t.se > 0.0 && t.df > 0.0);
            }
        }
    }

    #[test]
    fn invalid_values_name_their_path(
        case in 0usize..10,
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), Just(1.5), Just(-1e300)],
    ) {
        let (path, line, key) = [
            ("outcome.rho", "rho = 0.5", "rho"),
            ("outcome.subject_sd", "subject_sd = 5.0", "subject_sd"),
            ("outcome.residual_sd", "residual_sd = 5.0", "residual_sd"),
            ("dropout.monthly_rate", "monthly_rate = 0.01", "monthly_rate"),
            ("effect.responder_fraction", "responder_fraction = 1.0", "responder_fraction"),
            ("analysis.alpha", "alpha = 0.05", "alpha"),
            ("heterogeneity.tau", "tau = 1.0", "tau"),
            ("effect.patient_sd", "patient_sd = 1.0", "patient_sd"),
            ("placebo.tau", "tau = 1.25", "tau"),
            ("dropout.arm_odds_ratio", "arm_odds_ratio = 1.0", "arm_odds_ratio"),
        ][case];
        // Values some keys accept: skip those (1.5 is a fine SD or tau).
        let accepted = match key {
            "subject_sd" | "residual_sd" | "tau" | "patient_sd" | "arm_odds_ratio" => bad == 1.5,
            _ => false,
        };
        prop_assume!(!accepted);
        let base = "name = \"bad\"\n[outcome]\nmu0 = 50.0\nsubject_sd = 5.0\nresidual_sd = 5.0\nrho = 0.5\n[visits]\nmonths = [3]\nprimary = 3\n[placebo]\npeak = -1.0\ntau = 1.25\n[effect]\npeak = -5.0\npatient_sd = 1.0\nresponder_fraction = 1.0\n[heterogeneity]\ntau = 1.0\n[dropout]\nmechanism = \"mcar\"\nmonthly_rate = 0.01\narm_odds_ratio = 1.0\n[design]\nn_per_arm = 10\n[analysis]\nmethod = \"ancova\"\nalpha = 0.05\n";
        let value = if bad.is_nan() { "nan".to_string() } else if bad.is_infinite() { "inf".to_string() } else { format!("{bad:?}") };
        let text = base.replacen(line, &format!("{key} = {value}"), 1);
        prop_assert_ne!(&text, base);
        let err = Scenario::from_toml_str(&text, "bad").expect_err("invalid value accepted");
        let msg = err.to_string();
        prop_assert!(msg.starts_with(&format!("{path} = ")), "{} for {} = {}", msg, path, value);
        prop_assert!(err.is_user_error());
    }
}
