//! `trialsim pool`: pools real trial results (columns `study,yi,vi` or `study,yi,sei`).

use super::Method;
use super::common::{print, read_text, to_json};
use std::path::Path;
use trialsim::Result;

/// Runs the command.
pub fn pool(effects: &Path, method: Method, hksj: bool, level: f64, json: bool) -> Result<()> {
    let text = read_text(effects)?;
    let studies = trialsim::meta::table::read_effects(&text, &effects.display().to_string())?;
    let estimator = match method {
        Method::Dl => trialsim::meta::Estimator::Dl,
        Method::Pm => trialsim::meta::Estimator::Pm,
        Method::Reml => trialsim::meta::Estimator::Reml,
    };
    let (report, _) = trialsim::meta::table::pool_report(&studies, estimator, hksj, level)?;
    if json {
        print(&format!("{}\n", to_json(&report)?))
    } else {
        print(&trialsim::meta::table::text_report(
            &studies, &report, level,
        ))
    }
}
