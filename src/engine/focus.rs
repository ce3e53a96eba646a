//! The per-trial values the report's figures show, simulated here so that
//! `output` renders from values in memory and never runs a trial itself.

use super::{LiteratureTrial, RunResult, Simulator};
use crate::metrics::MetaRecord;
use crate::scenario::Study;

/// Replicates whose estimates the distribution figure shows.
pub const ESTIMATE_SAMPLE: u64 = 2000;
/// Simulated literatures whose trials the funnel plot shows.
pub const FUNNEL_LITERATURES: u64 = 25;

/// The trials of the focus design point that the figures draw one by one.
#[derive(Debug, Clone)]
pub struct FocusSample {
    /// The design point the figures of single trials show
    /// ([`Study::focus_point`], within the run's design points).
    pub focus: usize,
    /// Primary-visit estimates of its first replicates (at most
    /// [`ESTIMATE_SAMPLE`]), with whether each was significant.
    pub estimates: Vec<(f64, bool)>,
    /// Its first simulated literature, published or not, and the pooled result.
    pub literature: Option<(Vec<LiteratureTrial>, MetaRecord)>,
    /// The trials of its first [`FUNNEL_LITERATURES`] simulated literatures.
    pub funnel: Vec<LiteratureTrial>,
}

/// Simulates the focus design point's sample: exactly the trials `run`
/// simulated for its first replicates (same seed, same streams).
pub fn focus_sample(study: &Study, result: &RunResult) -> FocusSample {
    let focus = study
        .focus_point()
        .min(result.design_points.len().saturating_sub(1));
    let sim = Simulator::new(&study.points[focus].scenario, result.seed);
    let replicates = result
        .design_points
        .get(focus)
        .map_or(0, |dp| dp.replicates);
    let estimates = sim.estimate_sample(ESTIMATE_SAMPLE.min(replicates));
    let literature = sim.literature_detail(0);
    let funnel = (0..FUNNEL_LITERATURES)
        .filter_map(|r| sim.literature_detail(r))
        .flat_map(|(trials, _)| trials)
        .collect();
    FocusSample {
        focus,
        estimates,
        literature,
        funnel,
    }
}
