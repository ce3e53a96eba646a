//! `trialsim validate`: checks a scenario and prints it fully resolved.

use super::common::{load, print};
use std::path::Path;
use trialsim::Result;

/// Runs the command.
pub fn validate(scenario: &Path) -> Result<()> {
    let study = load(scenario, false)?;
    print(&study.resolved_toml(study.seed, study.replicates)?)
}
