//! The runner: blocks of replicates, on a thread pool or one after
//! another, folded in a fixed order.
//!
//! Owns: running a study (blocks, scheduling, precision, shards, sizing,
//! the focus sample the figures draw). May not: write files, touch the
//! terminal (progress is a callback), or know threads outside
//! [`schedule`].
//!
//! Replicates are grouped in blocks of [`BLOCK`] (a constant, never derived
//! from the thread count). Each block folds its replicates in index order
//! into one [`Accumulator`]; blocks are merged in block order. Blocks are
//! processed [`CHUNK_BLOCKS`] at a time, so memory does not grow with R.
//! The result is therefore bit-identical for any `--threads`, and without
//! the `parallel` feature ([`schedule`], the only code that knows threads).

pub mod focus;
mod literature;
mod point;
pub mod precision;
pub mod resume;
pub mod schedule;
pub mod shard;
pub mod sizing;
pub mod stepper;
mod sweep;
pub mod truth;

use crate::error::{Error, Message, Result, Setting};
use crate::metrics::{
    Accumulator, FactorMetrics, ForkingStep, Group, Groups, Metrics, Truth, VisitMetrics,
};
use crate::scenario::{Scenario, Study};
pub use focus::{FocusSample, ForestChoice, ForestLiterature, focus_sample, forest_out_of_range};
pub use literature::{
    LiteratureDetail, LiteratureSubgroups, LiteratureTrial, META_FIRST_TRIAL,
    META_MAX_RUNS_PER_TRIAL,
};
pub use point::{OneTrial, Simulator};
use precision::replicates_for;
pub use precision::{DEFAULT_MAX_REPLICATES, PRECISION_MIN_REPLICATES, agresti_coull_se};
use schedule::Workers;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
pub use stepper::Stepper;

/// Replicates per block: the unit of ordered folding (and of future shards).
pub const BLOCK: u64 = 250;
/// Blocks in flight at once.
pub const CHUNK_BLOCKS: u64 = 64;

/// The replicates of R's whole blocks.
pub fn whole_blocks(replicates: u64) -> u64 {
    replicates / BLOCK * BLOCK
}

/// How to run: the command-line flags that override the scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides `replicates`.
    pub replicates: Option<u64>,
    /// Overrides `seed`.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<NonZeroUsize>,
    /// Target Monte Carlo SE of power at every design point (`--precision`):
    /// replicates are added in whole blocks until it is reached.
    pub precision: Option<f64>,
    /// Ceiling on replicates per design point with `precision` (default 1 000 000).
    pub max_replicates: Option<u64>,
    /// Set to stop the run early (Ctrl-C): workers check it between replicates.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Progress callback: `(trials done, trials planned)`; returning `false` stops the run.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) -> bool + Sync);

/// Results of one design point.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignPointResult {
    /// The swept keys' values (empty without a sweep).
    pub params: Vec<(String, toml::Value)>,
    /// The population truth and what it is judged against.
    pub truth: Truth,
    /// Primary visit month `t*`.
    pub month: f64,
    /// Metrics of MODEL.md §3.
    pub metrics: Metrics,
    /// Per-visit results (empty when `analysis.by_visit = false`).
    pub by_visit: Vec<VisitMetrics>,
    /// The forking-paths rates by number of paths (empty without
    /// `[forking_paths]`).
    pub forking: Vec<ForkingStep>,
    /// Meta-analysis metrics (MODEL.md §4), when the scenario has `[meta_analysis]`.
    pub meta: Option<Metrics>,
    /// Per factor of `meta_analysis.subgroups`, the subgroup metrics of the
    /// simulated literatures and how often each level is named best (empty
    /// without).
    pub subgroups: Vec<FactorMetrics>,
    /// Replicates simulated at this design point.
    pub replicates: u64,
    /// `"patients"` or `"sufficient"` (the exact fast path).
    pub path: &'static str,
    /// Warnings about metrics too imprecise to read, each saying what to do.
    pub warnings: Vec<Message>,
}

/// Results of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Replicates simulated per design point.
    pub replicates: u64,
    /// One entry per design point.
    pub design_points: Vec<DesignPointResult>,
    /// What `run --add-replicates` extends (`state.json`): set by a run of
    /// one study, absent from `size`'s results.
    pub state: Option<resume::RunState>,
}

/// What a design point's simulated literature depends on: its scenario with
/// the single trial's arm sizes blanked (`None` without `[meta_analysis]`).
fn meta_key(sc: &Scenario) -> Option<Scenario> {
    sc.meta.as_ref()?;
    let mut key = sc.clone();
    key.design.n_control = 0;
    key.design.n_treatment = 0;
    key.resolved.design.n_per_arm = 0;
    Some(key)
}

/// Runs every design point of a study.
///
/// # Errors
/// [`Error::Internal`] if the thread pool cannot be built.
pub fn run(study: &Study, opts: &RunOptions) -> Result<RunResult> {
    run_with_progress(study, opts, &|_, _| true)
}

/// [`run`] with a progress callback (trials done, trials planned); the callback
/// returning `false` interrupts the run.
///
/// # Errors
/// [`Error::Internal`] if the thread pool cannot be built;
/// [`Error::Interrupted`] when the callback stops the run; [`Error::Setting`]
/// for a bad precision target.
pub fn run_with_progress(
    study: &Study,
    opts: &RunOptions,
    progress: Progress,
) -> Result<RunResult> {
    run_on(&Workers::new(opts.threads)?, study, opts, progress)
}

/// [`run_with_progress`] on the given workers (`opts.threads` is then
/// unused): [`Workers::Sequential`] runs exactly what a build without the
/// `parallel` feature runs.
///
/// # Errors
/// As [`run_with_progress`].
pub fn run_on(
    workers: &Workers,
    study: &Study,
    opts: &RunOptions,
    progress: Progress,
) -> Result<RunResult> {
    let seed = opts.seed.unwrap_or(study.seed);
    let mut replicates = opts.replicates.unwrap_or(study.replicates);
    if replicates == 0 {
        return Err(Error::setting(Setting::Replicates, 0, "must be at least 1"));
    }
    let max_replicates = opts.max_replicates.unwrap_or(DEFAULT_MAX_REPLICATES);
    if let Some(se) = opts.precision {
        precision::check(se, max_replicates)?;
        replicates = PRECISION_MIN_REPLICATES;
    }
    let (sims, meta_source) = simulators(study, seed);
    let sims: Vec<Simulator> = sims
        .into_iter()
        .map(|s| s.with_cancel(opts.cancel.clone()))
        .collect();
    let mut accs: Vec<Option<Accumulator>> = vec![None; sims.len()];
    let points = sims.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut current = 0u64;
    let mut whole;
    loop {
        let planned = points * replicates;
        let kept = sweep::extend_all(workers, &sims, &mut accs, current, replicates, &|n| {
            let d = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            progress(d, planned)
        });
        let Some(kept) = kept else {
            return Err(Error::Interrupted(format!(
                "{} of {} trials done",
                done.load(std::sync::atomic::Ordering::Relaxed),
                planned
            )));
        };
        whole = kept;
        current = replicates;
        let Some(target) = opts.precision else { break };
        let needed = replicates_for(&accs, replicates, target);
        if needed == 0 || replicates >= max_replicates {
            break;
        }
        let next = needed.div_ceil(BLOCK) * BLOCK;
        replicates = next.max(replicates + BLOCK).min(max_replicates);
    }
    let state = resume::RunState::new(study, seed, replicates, whole_state(whole, &accs))?;
    let mut result = finish_run(
        study,
        &sims,
        &meta_source,
        accs,
        seed,
        replicates,
        opts.precision,
    );
    result.state = Some(state);
    Ok(result)
}

/// What [`sweep::extend_all`] kept of an accumulator at the last whole
/// block.
pub(crate) enum Kept {
    /// The run ended on a whole block: the final accumulator is that state.
    Final,
    /// The accumulator before the partial last block.
    Before(Option<Box<Accumulator>>),
}

/// Each design point's accumulator at its last whole block.
pub(crate) fn whole_state(
    kept: Vec<Kept>,
    accs: &[Option<Accumulator>],
) -> Vec<Option<Accumulator>> {
    kept.into_iter()
        .zip(accs)
        .map(|(k, acc)| match k {
            Kept::Final => acc.clone(),
            Kept::Before(before) => before.map(|b| *b),
        })
        .collect()
}

/// One simulator per design point. A design point whose simulated literature
/// is identical to an earlier point's (same scenario but for the single
/// trial's arm sizes, which the literature does not use) reuses that point's
/// meta results: with common random numbers they would come out bit-identical
/// anyway. Returns the simulators and, per point, the point it takes meta from.
pub(crate) fn simulators(study: &Study, seed: u64) -> (Vec<Simulator<'_>>, Vec<Option<usize>>) {
    // Each point's key once (a scenario clone each), then compared pairwise.
    let keys: Vec<Option<Scenario>> = study.points.iter().map(|p| meta_key(&p.scenario)).collect();
    let meta_source: Vec<Option<usize>> = (0..keys.len())
        .map(|j| {
            let key = keys[j].as_ref()?;
            (0..j).find(|&i| keys[i].as_ref() == Some(key))
        })
        .collect();
    let sims = study
        .points
        .iter()
        .zip(&meta_source)
        .map(|(p, source)| {
            let sim = Simulator::new(&p.scenario, seed);
            if source.is_some() {
                sim.without_meta()
            } else {
                sim
            }
        })
        .collect();
    (sims, meta_source)
}

/// Turns the accumulators of every design point into the run's results.
pub(crate) fn finish_run(
    study: &Study,
    sims: &[Simulator],
    meta_source: &[Option<usize>],
    accs: Vec<Option<Accumulator>>,
    seed: u64,
    replicates: u64,
    precision: Option<f64>,
) -> RunResult {
    // Each point's own literature metrics and subgroup metrics.
    let (own_meta, own_subgroups): (Vec<Option<Metrics>>, Vec<Vec<FactorMetrics>>) = sims
        .iter()
        .zip(&accs)
        .map(|(sim, acc)| {
            match acc
                .as_ref()
                .and_then(|a| a.meta.as_ref())
                .zip(sim.meta_truth())
            {
                Some((m, t)) => (Some(m.finish(t)), m.subgroup_metrics(t)),
                None => (None, Vec::new()),
            }
        })
        .unzip();
    let design_points = sims
        .iter()
        .zip(accs)
        .zip(&study.points)
        .enumerate()
        .map(|(j, ((sim, acc), point))| {
            let acc = acc.unwrap_or_else(|| Accumulator::new(0, Groups::default()));
            let (metrics, by_visit) = acc.finish(sim.truth());
            let meta = own_meta[meta_source[j].unwrap_or(j)].clone();
            let subgroups = own_subgroups[meta_source[j].unwrap_or(j)].clone();
            let warnings =
                crate::metrics::warnings(&metrics, replicates, precision, &point.scenario);
            DesignPointResult {
                params: point.params.clone(),
                truth: sim.truth().clone(),
                month: point.scenario.visits.primary_month(),
                metrics,
                by_visit,
                forking: acc.forking_steps(),
                meta,
                subgroups,
                replicates,
                path: sim.path(),
                warnings,
            }
        })
        .collect();
    RunResult {
        scenario: study.name.clone(),
        seed,
        replicates,
        design_points,
        state: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A start inside a block would fold that block's first replicates twice:
    /// refused in release builds too.
    #[test]
    #[should_panic(expected = "block boundary")]
    fn extending_from_inside_a_block_is_refused() {
        let mut sc = Scenario::default_scenario();
        sc.replicates = 10;
        let sims = [Simulator::new(&sc, 1)];
        let mut accs = [None];
        sweep::extend_all(&Workers::Sequential, &sims, &mut accs, 1, 2, &|_| true);
    }
}
