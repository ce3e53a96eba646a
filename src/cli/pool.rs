//! `trialsim pool`: pools real trial results (columns `study,yi,vi` or `study,yi,sei`).

use super::Method;
use super::common::{print, read_text, to_json};
use std::path::Path;
use trialsim::Result;
use trialsim::meta::Estimator;
use trialsim::meta::table::{Model, Test, pool_report, read_effects, text_report};

/// Runs the command.
pub fn pool(effects: &Path, method: Method, test: Test, level: f64, json: bool) -> Result<()> {
    let text = read_text(effects)?;
    let studies = read_effects(&text, &effects.display().to_string())?;
    let model = match method {
        Method::Fe => Model::Fixed,
        Method::Dl => Model::Random(Estimator::Dl),
        Method::Pm => Model::Random(Estimator::Pm),
        Method::Reml => Model::Random(Estimator::Reml),
    };
    let (report, _) = pool_report(&studies, model, test, level)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if json {
        print(&format!("{}\n", to_json(&report)?))
    } else {
        print(&text_report(&studies, &report, level))
    }
}
