//! `trialsim dataset`: the patient-level data of one simulated trial, and its analysis.

use super::common::{load, print, to_json};
use std::path::Path;
use trialsim::engine;
use trialsim::output::{self, dataset};
use trialsim::{Error, Result};

/// Runs the command.
pub fn dataset(
    scenario: &Path,
    replicate: u64,
    design_point: usize,
    seed: Option<u64>,
    out: &Path,
) -> Result<()> {
    let study = load(scenario, false)?;
    let count = study.points.len();
    let point = study.points.get(design_point).ok_or_else(|| {
        Error::invalid(
            "--design-point",
            design_point,
            format!(
                "must be in [0, {}] (the scenario has {count} design point{})",
                count - 1,
                if count == 1 { "" } else { "s" }
            ),
        )
    })?;
    let sc = &point.scenario;
    let sim = engine::Simulator::new(sc, seed.unwrap_or(study.seed));
    if sim.path() == "sufficient" {
        // `dataset` always simulates patients; `run` did not here.
        eprintln!(
            "note: `run` takes design point {design_point} on the exact fast path (analysis.fast_path = true) and simulates no patients; this is replicate {replicate}'s patient-level trial from the same model, with the patient path's random streams"
        );
    }
    let trial = sim.one_trial(replicate);
    let csv = dataset::dataset_csv(&trial, &sc.visits.months)?;
    output::files::write_atomic(out, &csv)?;
    let json = to_json(&dataset::analysis_json(&trial.analysed, &trial.diagnostics))?;
    print(&format!("{json}\n"))
}
