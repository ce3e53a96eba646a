//! Fuzz target: scenario text → validation → one simulated replicate.
//!
//! Any input must either be rejected with an error or run; a panic, an
//! abort or a hang is a bug. Scenarios are capped in size so that a run is
//! quick (the cap is the fuzzer's, not trialsim's).

#![no_main]

use libfuzzer_sys::fuzz_target;
use trialsim::engine::Simulator;
use trialsim::scenario::{Study, TrialSizes};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(study) = Study::from_toml_str(text, "fuzz") else {
        return;
    };
    for point in study.points.iter().take(4) {
        let sc = &point.scenario;
        let patients = sc.design.n_control + sc.design.n_treatment;
        if patients > 5_000 || sc.visits.months.len() > 60 {
            continue;
        }
        // A literature of small, few trials that publishes often stays quick.
        let small_literature = sc.meta.as_ref().is_none_or(|m| {
            let sizes_ok = match &m.sizes {
                TrialSizes::List(list) => list.iter().all(|&n| n <= 200),
                TrialSizes::Lognormal { mu, sigma } => *mu <= 5.0 && *sigma <= 1.0,
            };
            m.trials <= 20 && m.publish_nonsignificant >= 0.2 && sizes_ok
        });
        let sim = Simulator::new(sc, study.seed);
        let trial = sim.one_trial(0);
        if let Some(r) = trial.analysed.result {
            assert!(r.ci_low <= r.estimate && r.estimate <= r.ci_high);
            let _ = r.p_value();
        }
        if small_literature {
            let _ = sim.literature_detail(0);
        }
        let _ = sim.estimate_sample(2);
    }
});
