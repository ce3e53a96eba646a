//! The per-trial values the report's figures show, simulated here so that
//! `output` renders from values in memory and never runs a trial itself.

use super::point::Scratch;
use super::schedule::Workers;
use super::{LiteratureSubgroups, LiteratureTrial, RunResult, Simulator};
use crate::error::{Error, Result, Setting};
use crate::metrics::MetaRecord;
use crate::scenario::Study;

/// Replicates whose estimates the distribution figure shows.
pub const ESTIMATE_SAMPLE: u64 = 2000;
/// Simulated literatures whose trials the funnel plot shows.
pub const FUNNEL_LITERATURES: u64 = 25;

/// Simulated literatures among which the forest plot's median one is chosen.
pub const FOREST_LITERATURES: u64 = 2000;

/// Which simulated literature the forest plot draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForestChoice {
    /// The typical one: of the first [`FOREST_LITERATURES`] literatures of
    /// the focus design point (or all, if fewer) that could be pooled, the
    /// one whose pooled estimate is the median (the lower median for an
    /// even count; of equal estimates, the earliest replicate).
    #[default]
    Median,
    /// The literature of this replicate (0-based, as `dataset --replicate`).
    Replicate(u64),
}

/// The literature the forest plot draws, and why it is that one.
#[derive(Debug, Clone)]
pub struct ForestLiterature {
    /// Its replicate (0-based).
    pub replicate: u64,
    /// How it was chosen.
    pub choice: ForestChoice,
    /// With [`ForestChoice::Median`], how many pooled literatures the
    /// median was taken over.
    pub among: u64,
    /// Its trials, published or not.
    pub trials: Vec<LiteratureTrial>,
    /// Its pooled result.
    pub record: MetaRecord,
    /// Per factor of `meta_analysis.subgroups`, its subgroup analysis.
    pub subgroups: Vec<LiteratureSubgroups>,
}

/// The trials of the focus design point that the figures draw one by one.
#[derive(Debug, Clone)]
pub struct FocusSample {
    /// The design point the figures of single trials show
    /// ([`Study::focus_point`], within the run's design points).
    pub focus: usize,
    /// Primary-visit estimates of its first replicates (at most
    /// [`ESTIMATE_SAMPLE`]), with whether each was significant.
    pub estimates: Vec<(f64, bool)>,
    /// The simulated literature the forest plot draws (see [`ForestChoice`]).
    pub literature: Option<ForestLiterature>,
    /// The trials of its first [`FUNNEL_LITERATURES`] simulated literatures.
    pub funnel: Vec<LiteratureTrial>,
}

/// Simulates the focus design point's sample: exactly the trials `run`
/// simulated for its replicates (same seed, same streams); `workers` share
/// the search for the median literature.
///
/// # Errors
/// [`Error::Setting`] when `forest` names a replicate the run does not have.
pub fn focus_sample(
    study: &Study,
    result: &RunResult,
    forest: ForestChoice,
    workers: &Workers,
) -> Result<FocusSample> {
    let focus = study
        .focus_point()
        .min(result.design_points.len().saturating_sub(1));
    let sim = Simulator::new(&study.points[focus].scenario, result.seed);
    let replicates = result
        .design_points
        .get(focus)
        .map_or(0, |dp| dp.replicates);
    let estimates = sim.estimate_sample(ESTIMATE_SAMPLE.min(replicates));
    let literature = match forest {
        ForestChoice::Replicate(k) if k >= replicates => {
            return Err(forest_out_of_range(k, replicates));
        }
        ForestChoice::Replicate(k) => Some((k, 0)),
        ForestChoice::Median => {
            median_literature(&sim, FOREST_LITERATURES.min(replicates), workers)
        }
    }
    .and_then(|(k, among)| {
        sim.literature_detail(k).map(|d| ForestLiterature {
            replicate: k,
            choice: forest,
            among,
            trials: d.trials,
            record: d.record,
            subgroups: d.subgroups,
        })
    });
    let funnel = (0..FUNNEL_LITERATURES)
        .filter_map(|r| sim.literature_detail(r))
        .flat_map(|d| d.trials)
        .collect();
    Ok(FocusSample {
        focus,
        estimates,
        literature,
        funnel,
    })
}

/// The error for a forest replicate `k` a run of `replicates` lacks.
pub fn forest_out_of_range(k: u64, replicates: u64) -> Error {
    Error::setting(
        Setting::Forest,
        k,
        format!(
            "the run has replicates 0 to {}; give one of them, or median",
            replicates.saturating_sub(1)
        ),
    )
}

/// Of the first `n` literatures, the replicate whose pooled estimate is the
/// (lower) median, and how many could be pooled; `None` when none could.
fn median_literature(sim: &Simulator, n: u64, workers: &Workers) -> Option<(u64, u64)> {
    let meta = sim.sc.meta.as_ref()?;
    sim.meta_truth()?;
    const CHUNK: u64 = 100;
    let mut pooled: Vec<(f64, u64)> = workers
        .map_blocks(0..n.div_ceil(CHUNK), |b| {
            let mut scratch = Scratch::default();
            (b * CHUNK..((b + 1) * CHUNK).min(n))
                .filter_map(|r| {
                    let record = sim.literature(meta, r, &mut scratch, None);
                    record.pooled.map(|p| (p.mu, r))
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
    if pooled.is_empty() {
        return None;
    }
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let among = pooled.len() as u64;
    Some((pooled[(pooled.len() - 1) / 2].1, among))
}
