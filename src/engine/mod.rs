//! The runner: replicates in parallel, folded in a fixed order.
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
pub mod schedule;
pub mod shard;
pub mod sizing;

use crate::analysis::{self, Analysed, TrialAnalysis, Workspace, analyse_sums};
use crate::error::{Error, Result};
use crate::meta::{Criticals, pool};
use crate::metrics::{
    Accumulator, Group, MetaRecord, MetaTruth, Metrics, PrimaryRecord, Truth, VisitMetrics, judge,
};
use crate::rng::{Key, Role};
use crate::scenario::{MAX_ARM, Meta, Scenario, Study, TrialSizes};
use crate::simulate::{Plan, Setting, TrialData, TrialId, simulate_trial};
pub use focus::{FocusSample, focus_sample};
use rand::RngExt;
use rand_distr::StandardNormal;
use schedule::Workers;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Replicates per block: the unit of ordered folding (and of future shards).
pub const BLOCK: u64 = 250;
/// Blocks in flight at once.
pub const CHUNK_BLOCKS: u64 = 64;

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

/// Replicates judged before `--precision` may stop (MODEL.md §3 needs enough
/// trials for a binomial SE to be trusted).
pub const PRECISION_MIN_REPLICATES: u64 = 2000;
/// Default ceiling with `--precision`.
pub const DEFAULT_MAX_REPLICATES: u64 = 1_000_000;

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
    /// Meta-analysis metrics (MODEL.md §4), when the scenario has `[meta_analysis]`.
    pub meta: Option<Metrics>,
    /// Replicates simulated at this design point.
    pub replicates: u64,
    /// `"patients"` or `"sufficient"` (the exact fast path).
    pub path: &'static str,
    /// Warnings about metrics too imprecise to read, each saying what to do.
    pub warnings: Vec<String>,
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
}

/// Everything a replicate needs, computed once per design point.
#[derive(Debug)]
pub struct Simulator<'a> {
    sc: &'a Scenario,
    plan: Plan,
    key: Key,
    truth: Truth,
    meta_truth: Option<MetaTruth>,
    cancel: Option<Arc<AtomicBool>>,
    /// The exact sufficient-statistics path, when requested and allowed.
    fast: Option<crate::simulate::sufficient::FastPlan>,
    /// Scratch buffers (and their cached t quantiles) handed from block to
    /// block, so that quantiles are computed once per run rather than per block.
    scratch: std::sync::Mutex<Vec<Scratch>>,
}

/// One estimable trial of a simulated literature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiteratureTrial {
    /// Its estimate at the primary visit.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Its CI.
    pub ci_low: f64,
    /// Its CI.
    pub ci_high: f64,
    /// Control-arm size.
    pub n_control: usize,
    /// Whether it was published (pooled).
    pub published: bool,
}

/// Buffers one worker reuses across the replicates of a block.
#[derive(Debug, Default)]
struct Scratch {
    data: TrialData,
    y: Vec<f64>,
    v: Vec<f64>,
    analysis: Workspace,
}

/// Trial index of the first trial of a simulated literature (0 is the trial
/// analysed, 1 its same-setting replication).
pub const META_FIRST_TRIAL: u64 = 2;
/// A meta-replicate gives up after this many trials per published trial.
pub const META_MAX_RUNS_PER_TRIAL: usize = 1000;

/// One replicate's first trial and its analysis at the primary visit.
#[derive(Debug, Clone)]
pub struct OneTrial {
    /// The patient-level data.
    pub data: TrialData,
    /// The trial's setting.
    pub setting: Setting,
    /// Its analysis at the primary visit.
    pub analysed: Analysed,
}

impl<'a> Simulator<'a> {
    /// Prepares the simulation of a scenario with a seed.
    pub fn new(sc: &'a Scenario, seed: u64) -> Self {
        let months = &sc.visits.months;
        // theta_j(t*) = D_j · responder_fraction · g(t*).
        let t = sc.visits.primary_month();
        let scale = sc.effect.responder_fraction * sc.effect.profile.at(t);
        Simulator {
            sc,
            plan: Plan::new(sc),
            key: Key::new(seed),
            truth: Truth {
                s: sc.outcome.s,
                alpha: sc.analysis.alpha,
                theta: sc.theta(t),
                theta_varies: scale != 0.0 && sc.heterogeneity.effect_varies(),
                months: months.clone(),
                theta_by_visit: months.iter().map(|&t| sc.theta(t)).collect(),
                mcid: sc.outcome.mcid,
                replication: sc.analysis.replication,
                n_arm: [sc.design.n_control, sc.design.n_treatment],
            },
            meta_truth: sc.meta.as_ref().map(|m| MetaTruth {
                s: sc.outcome.s,
                theta: sc.theta(t),
                tau2: sc.heterogeneity.effect_variance() * scale * scale,
                mcid: sc.outcome.mcid,
                hartung_knapp: m.hartung_knapp,
                crit: Criticals::new(m.trials, 1.0 - sc.analysis.alpha),
            }),
            cancel: None,
            fast: crate::simulate::sufficient::FastPlan::new(sc),
            scratch: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The same simulator, stopping early once `flag` is set.
    pub fn with_cancel(mut self, flag: Option<Arc<AtomicBool>>) -> Self {
        self.cancel = flag;
        self
    }

    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// The primary-visit estimates of the first `n` replicates' trials, with
    /// whether each was significant (for the distribution-of-estimates figure).
    pub fn estimate_sample(&self, n: u64) -> Vec<(f64, bool)> {
        let mut scratch = Scratch::default();
        (0..n)
            .filter_map(|r| {
                let (_, a) = self.trial_into(r, &mut scratch.data, &mut scratch.analysis);
                a.result.map(|t| (t.estimate, t.significant))
            })
            .collect()
    }

    /// The trials of meta-replicate `replicate`'s literature, published or not,
    /// and the pooled result (for the forest and funnel figures).
    pub fn literature_detail(&self, replicate: u64) -> Option<(Vec<LiteratureTrial>, MetaRecord)> {
        let meta = self.sc.meta.as_ref()?;
        self.meta_truth.as_ref()?;
        let mut scratch = Scratch::default();
        let mut trials = Vec::new();
        let record = self.literature(meta, replicate, &mut scratch, Some(&mut trials));
        Some((trials, record))
    }

    /// The same simulator without the simulated literature (its results are
    /// taken from another design point).
    fn without_meta(mut self) -> Self {
        self.meta_truth = None;
        self
    }

    /// What the meta-analysis metrics are judged against, if the scenario has one.
    pub fn meta_truth(&self) -> Option<&MetaTruth> {
        self.meta_truth.as_ref()
    }

    /// Simulates the literature of meta-replicate `replicate`: trials one after
    /// another, each with its own setting and size, until K are published
    /// (MODEL.md §4), then pools them. `y`/`v` receive the published results.
    fn literature(
        &self,
        meta: &Meta,
        replicate: u64,
        scratch: &mut Scratch,
        mut detail: Option<&mut Vec<LiteratureTrial>>,
    ) -> MetaRecord {
        let sc = self.sc;
        let truth = self
            .meta_truth
            .as_ref()
            .expect("meta truth exists with meta");
        scratch.y.clear();
        scratch.v.clear();
        let limit = META_MAX_RUNS_PER_TRIAL * meta.trials;
        let mut runs = 0;
        while scratch.y.len() < meta.trials && runs < limit {
            let trial = META_FIRST_TRIAL + runs as u64;
            let mut rng = self
                .key
                .prefix(replicate, trial, Role::Meta, 0)
                .lanes()
                .stream(0);
            let size_z: f64 = rng.sample(StandardNormal);
            let publish_u: f64 = rng.random();
            let n_control = match &meta.sizes {
                TrialSizes::List(list) => list[runs % list.len()],
                TrialSizes::Lognormal { mu, sigma } => {
                    ((mu + sigma * size_z).exp().round() as usize).clamp(2, MAX_ARM as usize)
                }
            };
            let n_treatment = ((sc.design.allocation * n_control as f64).round() as usize)
                .clamp(2, MAX_ARM as usize);
            let setting = Setting::draw(sc, self.key, replicate, trial);
            let id = TrialId {
                replicate,
                trial,
                n: [n_control, n_treatment],
            };
            simulate_trial(sc, &self.plan, self.key, id, &setting, &mut scratch.data);
            let analysed = analysis::analyse_trial(
                &scratch.data,
                sc.visits.primary,
                false,
                &sc.analysis,
                sc.outcome.s,
                &mut scratch.analysis,
            )
            .primary;
            runs += 1;
            if let Some(r) = analysed.result {
                let (sig, fav) = judge(&analysed.result, &self.truth);
                let published = (sig && fav) || publish_u < meta.publish_nonsignificant;
                if published {
                    scratch.y.push(r.estimate);
                    scratch.v.push(r.se * r.se);
                }
                if let Some(d) = detail.as_mut() {
                    d.push(LiteratureTrial {
                        estimate: r.estimate,
                        se: r.se,
                        ci_low: r.ci_low,
                        ci_high: r.ci_high,
                        n_control,
                        published,
                    });
                }
            }
        }
        // A pooled result that is not finite (e.g. a weight that overflows)
        // counts as not estimable rather than poisoning the metrics with NaN.
        let pooled = (scratch.y.len() == meta.trials)
            .then(|| pool(&scratch.y, &scratch.v, meta.estimator, &truth.crit))
            .filter(|p| p.mu.is_finite() && p.se.is_finite() && p.tau2.is_finite());
        MetaRecord {
            pooled,
            trials_run: runs,
        }
    }

    /// The truth metrics are judged against.
    pub fn truth(&self) -> &Truth {
        &self.truth
    }

    /// `"sufficient"` when the exact fast path is used, else `"patients"`.
    pub fn path(&self) -> &'static str {
        if self.fast.is_some() {
            "sufficient"
        } else {
            "patients"
        }
    }

    /// The primary analysis of the first `n` replicates' trials, by the path
    /// `run` uses (for comparing the paths).
    pub fn primary_results(&self, n: u64) -> Vec<Analysed> {
        let mut scratch = Scratch::default();
        (0..n)
            .map(|r| {
                let setting = Setting::draw(self.sc, self.key, r, 0);
                self.analyse_trial(r, 0, &setting, &mut scratch, false)
                    .0
                    .primary
            })
            .collect()
    }

    /// Simulates and analyses trial `trial` of a replicate by the
    /// scenario's path, at the primary visit and, with `every_visit` (patient
    /// path only), at every visit; returns the analysis and the completers
    /// per arm. On the patient path `scratch.data` then holds the patients.
    fn analyse_trial<'s>(
        &self,
        replicate: u64,
        trial: u64,
        setting: &Setting,
        scratch: &'s mut Scratch,
        every_visit: bool,
    ) -> (TrialAnalysis<'s>, [usize; 2]) {
        let sc = self.sc;
        let id = self.id(replicate, trial);
        if let Some(fast) = &self.fast {
            let [c, t] = fast.draw(sc, self.key, id, setting);
            let primary = analyse_sums(&c, &t, &sc.analysis, sc.outcome.s, &mut scratch.analysis);
            let a = TrialAnalysis {
                primary,
                visits: &[],
                diagnostics: analysis::FitDiagnostics::CLOSED_FORM,
            };
            return (a, [c.n, t.n]);
        }
        let Scratch { data, analysis, .. } = scratch;
        simulate_trial(sc, &self.plan, self.key, id, setting, data);
        let primary = sc.visits.primary;
        let a = analysis::analyse_trial(
            data,
            primary,
            every_visit,
            &sc.analysis,
            sc.outcome.s,
            analysis,
        );
        let mut completers = [0usize; 2];
        for (arm, c) in completers.iter_mut().enumerate() {
            *c = data
                .arm(arm)
                .filter(|&i| data.observed[i] > primary)
                .count();
        }
        (a, completers)
    }

    /// Simulates and analyses replicate `replicate`'s first trial, as `run` does.
    pub fn one_trial(&self, replicate: u64) -> OneTrial {
        let mut data = TrialData::default();
        let (setting, analysed) = self.trial_into(replicate, &mut data, &mut Workspace::default());
        OneTrial {
            data,
            setting,
            analysed,
        }
    }

    /// Like [`Simulator::one_trial`], reusing `data`'s buffers and the
    /// analysis workspace `ws` (no allocation and no quantile once warm), as
    /// the engine's own loop does.
    pub fn trial_into(
        &self,
        replicate: u64,
        data: &mut TrialData,
        ws: &mut Workspace,
    ) -> (Setting, Analysed) {
        let setting = Setting::draw(self.sc, self.key, replicate, 0);
        simulate_trial(
            self.sc,
            &self.plan,
            self.key,
            self.id(replicate, 0),
            &setting,
            data,
        );
        let analysed = analysis::analyse_trial(
            data,
            self.sc.visits.primary,
            false,
            &self.sc.analysis,
            self.sc.outcome.s,
            ws,
        )
        .primary;
        (setting, analysed)
    }

    /// Trial `trial` of a replicate at the design's arm sizes.
    fn id(&self, replicate: u64, trial: u64) -> TrialId {
        TrialId {
            replicate,
            trial,
            n: [self.sc.design.n_control, self.sc.design.n_treatment],
        }
    }

    /// Simulates replicate `replicate` and folds it into `acc`.
    fn replicate(&self, replicate: u64, scratch: &mut Scratch, acc: &mut Accumulator) {
        let sc = self.sc;
        if let (Some(meta), Some(meta_acc), Some(_)) =
            (&sc.meta, acc.meta.as_mut(), &self.meta_truth)
        {
            let record = self.literature(meta, replicate, scratch, None);
            meta_acc.add(&record, self.meta_truth.as_ref().expect("with meta"));
        }
        let setting = Setting::draw(sc, self.key, replicate, 0);
        let (trial, completers) =
            self.analyse_trial(replicate, 0, &setting, scratch, sc.analysis.by_visit);
        let analysed = trial.primary;
        for (k, a) in trial.visits.iter().enumerate() {
            acc.add_visit(k, a, &self.truth);
        }
        let replication = sc.analysis.replication.then(|| {
            let (again, _) = self.analyse_trial(replicate, 1, &setting, scratch, false);
            let (sig, fav) = judge(&again.primary.result, &self.truth);
            sig && fav
        });
        let last = *sc
            .visits
            .months
            .last()
            .expect("validated: at least one visit");
        acc.add_primary(
            &PrimaryRecord {
                analysed,
                theta_trial: setting.theta(sc, sc.visits.primary_month()),
                theta_trial_last: setting.theta(sc, last),
                completers,
                replication,
            },
            &self.truth,
        );
    }

    /// Folds replicates `range` in index order (the scratch only holds buffers
    /// and cached quantiles: results do not depend on it).
    fn block(&self, range: std::ops::Range<u64>, scratch: &mut Scratch) -> Accumulator {
        let by_visit = if self.sc.analysis.by_visit {
            self.sc.visits.months.len()
        } else {
            0
        };
        let mut acc = Accumulator::new(by_visit, self.meta_truth.is_some());
        for r in range {
            if self.cancelled() {
                break;
            }
            self.replicate(r, scratch, &mut acc);
        }
        acc
    }

    /// Runs replicates `0..replicates` and returns the merged accumulator.
    pub fn accumulate(&self, replicates: u64) -> Accumulator {
        let mut total = None;
        self.extend(&Workers::default(), &mut total, 0, replicates, &|_| true);
        total.unwrap_or_else(|| Accumulator::new(0, false))
    }

    /// Folds replicates `from..to` into `total` (`from` a multiple of [`BLOCK`]),
    /// block by block in index order, so extending a run gives the same bits as
    /// running it whole. `chunk_done(n)` is told after each chunk of `n`
    /// replicates; returning `false` stops early (and returns `false`).
    pub fn extend(
        &self,
        workers: &Workers,
        total: &mut Option<Accumulator>,
        from: u64,
        to: u64,
        chunk_done: &dyn Fn(u64) -> bool,
    ) -> bool {
        // A start inside a block would fold that block's first replicates twice.
        assert!(
            from.is_multiple_of(BLOCK),
            "extend must start at a block boundary (a multiple of {BLOCK}), not {from}"
        );
        self.for_each_chunk(
            workers,
            from / BLOCK..to.div_ceil(BLOCK),
            to,
            chunk_done,
            |parts| {
                for part in parts {
                    match total.as_mut() {
                        None => *total = Some(part),
                        Some(t) => t.merge(&part),
                    }
                }
            },
        )
    }

    /// The accumulators of blocks `blocks` (of a run of `to` replicates), one
    /// per block in order, for a shard; `None` if `chunk_done` stopped the run.
    pub fn block_accumulators(
        &self,
        workers: &Workers,
        blocks: std::ops::Range<u64>,
        to: u64,
        chunk_done: &dyn Fn(u64) -> bool,
    ) -> Option<Vec<Accumulator>> {
        let mut out = Vec::with_capacity((blocks.end - blocks.start) as usize);
        self.for_each_chunk(workers, blocks, to, chunk_done, |parts| out.extend(parts))
            .then_some(out)
    }

    /// Simulates `blocks` in parallel, [`CHUNK_BLOCKS`] at a time, handing each
    /// chunk's block accumulators (in block order) to `sink`.
    fn for_each_chunk(
        &self,
        workers: &Workers,
        blocks: std::ops::Range<u64>,
        to: u64,
        chunk_done: &dyn Fn(u64) -> bool,
        mut sink: impl FnMut(Vec<Accumulator>),
    ) -> bool {
        let mut start = blocks.start;
        while start < blocks.end {
            let end = (start + CHUNK_BLOCKS).min(blocks.end);
            let parts: Vec<Accumulator> = workers.map_blocks(start..end, |b| {
                let mut scratch = self
                    .scratch
                    .lock()
                    .ok()
                    .and_then(|mut pool| pool.pop())
                    .unwrap_or_default();
                let acc = self.block(b * BLOCK..((b + 1) * BLOCK).min(to), &mut scratch);
                if let Ok(mut pool) = self.scratch.lock() {
                    pool.push(scratch);
                }
                acc
            });
            if self.cancelled() {
                // Blocks cut short are incomplete: fold none of this chunk.
                return false;
            }
            sink(parts);
            let done = (end * BLOCK).min(to) - (start * BLOCK);
            start = end;
            if !chunk_done(done) {
                return false;
            }
        }
        true
    }
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

/// Agresti–Coull shrunken SE of a proportion (z = 2): `p~ = (x + 2)/(n + 4)`,
/// `sqrt(p~(1 − p~)/(n + 4))`. Unlike the plain binomial SE it is not 0 at
/// p = 0 or 1, so a power near 0 or 1 cannot stop a precision run early.
pub fn agresti_coull_se(p: f64, n: u64) -> f64 {
    let n = n as f64;
    let shrunk = (p * n + 2.0) / (n + 4.0);
    (shrunk * (1.0 - shrunk) / (n + 4.0)).sqrt()
}

/// Replicates needed for an SE of `target` at the shrunken proportion.
fn replicates_needed(p: f64, n: u64, target: f64) -> u64 {
    let nf = n as f64;
    let shrunk = (p * nf + 2.0) / (nf + 4.0);
    (shrunk * (1.0 - shrunk) / (target * target) - 4.0)
        .ceil()
        .max(0.0) as u64
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
/// [`Error::Interrupted`] when the callback stops the run; [`Error::Invalid`]
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
        return Err(Error::invalid("--replicates", 0, "must be at least 1"));
    }
    let max_replicates = opts.max_replicates.unwrap_or(DEFAULT_MAX_REPLICATES);
    if let Some(se) = opts.precision {
        if !(se > 0.0 && se < 0.5) {
            return Err(Error::invalid("--precision", se, "must be in (0, 0.5)"));
        }
        if max_replicates < PRECISION_MIN_REPLICATES {
            return Err(Error::invalid(
                "--max-replicates",
                max_replicates,
                format!("must be at least {PRECISION_MIN_REPLICATES} with --precision"),
            ));
        }
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
    loop {
        let planned = points * replicates;
        for (sim, acc) in sims.iter().zip(accs.iter_mut()) {
            let completed = sim.extend(workers, acc, current, replicates, &|n| {
                let d = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
                progress(d, planned)
            });
            if !completed {
                return Err(Error::Interrupted(format!(
                    "{} of {} trials done",
                    done.load(std::sync::atomic::Ordering::Relaxed),
                    planned
                )));
            }
        }
        current = replicates;
        let Some(target) = opts.precision else { break };
        // The largest R any design point needs for its power SE to reach the target.
        let needed = accs
            .iter()
            .filter_map(|a| a.as_ref())
            .map(|a| {
                let p = a.power_estimate();
                let se =
                    agresti_coull_se(p, replicates).max((p * (1.0 - p) / replicates as f64).sqrt());
                if se <= target {
                    0
                } else {
                    replicates_needed(p, replicates, target)
                }
            })
            .max()
            .unwrap_or(0);
        if needed == 0 || replicates >= max_replicates {
            break;
        }
        let next = needed.div_ceil(BLOCK) * BLOCK;
        replicates = next.max(replicates + BLOCK).min(max_replicates);
    }
    Ok(finish_run(
        study,
        &sims,
        &meta_source,
        accs,
        seed,
        replicates,
        opts.precision,
    ))
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
    let own_meta: Vec<Option<Metrics>> = sims
        .iter()
        .zip(&accs)
        .map(|(sim, acc)| {
            acc.as_ref()
                .and_then(|a| a.meta.as_ref())
                .zip(sim.meta_truth())
                .map(|(m, t)| m.finish(t))
        })
        .collect();
    let design_points = sims
        .iter()
        .zip(accs)
        .zip(&study.points)
        .enumerate()
        .map(|(j, ((sim, acc), point))| {
            let acc = acc.unwrap_or_else(|| Accumulator::new(0, false));
            let (metrics, by_visit) = acc.finish(sim.truth());
            let meta = own_meta[meta_source[j].unwrap_or(j)].clone();
            let warnings = crate::metrics::warnings(&metrics, replicates, precision);
            DesignPointResult {
                params: point.params.clone(),
                truth: sim.truth().clone(),
                month: point.scenario.visits.primary_month(),
                metrics,
                by_visit,
                meta,
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
        let sim = Simulator::new(&sc, 1);
        let mut total = None;
        sim.extend(&Workers::Sequential, &mut total, 1, 2, &|_| true);
    }
}
