//! `trialsim pool`: pools real trial results (columns `study,yi,vi` or `study,yi,sei`).

use super::Method;
use super::common::{print, read_text, to_json};
use std::path::Path;
use trialsim::meta::Estimator;
use trialsim::meta::table::{
    Model, Test, bias_report, pool_report, read_column, read_effects, retro_report,
    subgroup_report, subgroup_retro, text_report,
};
use trialsim::{Error, Result};

/// What `pool` adds beside the pooled estimate.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// `--bias`: the publication-bias corrections.
    pub bias: bool,
    /// `--retro [--effect D]`: each study's design analysis, against `D`
    /// or (`None` inside) the pooled estimate.
    pub retro: Option<Option<f64>>,
    /// `--by COLUMN`: the subgroup analysis on that column.
    pub by: Option<String>,
}

/// Runs the command.
pub fn pool(
    effects: &Path,
    method: Method,
    test: Test,
    level: f64,
    json: bool,
    extras: Extras,
) -> Result<()> {
    let text = read_text(effects)?;
    let studies = read_effects(&text, &effects.display().to_string())?;
    let model = match method {
        Method::Fe => Model::Fixed,
        Method::Dl => Model::Random(Estimator::Dl),
        Method::Pm => Model::Random(Estimator::Pm),
        Method::Reml => Model::Random(Estimator::Reml),
    };
    let (mut report, _) = pool_report(&studies, model, test, level)?;
    if extras.bias {
        report.bias = Some(bias_report(&studies, model, level));
    }
    if let Some(effect) = extras.retro {
        report.retro = Some(retro_report(&studies, effect.unwrap_or(report.mu), level)?);
    }
    if let Some(column) = &extras.by {
        let labels = read_column(&text, &effects.display().to_string(), column)?;
        let mut subgroups = subgroup_report(&studies, &labels, column, model, test, level)
            .map_err(|e| match e {
                Error::Usage(m) => Error::Usage(format!("{}: {m}", effects.display())),
                other => other,
            })?;
        if extras.retro.is_some() {
            subgroups.retro = Some(subgroup_retro(&subgroups.fit, level)?);
        }
        report.subgroups = Some(subgroups);
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if json {
        print(&format!("{}\n", to_json(&report)?))
    } else {
        print(&text_report(&studies, &report, level))
    }
}
