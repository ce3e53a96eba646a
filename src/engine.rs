//! The runner: replicates in parallel, folded in a fixed order.
//!
//! Replicates are grouped in blocks of [`BLOCK`] (a constant, never derived
//! from the thread count). Each block folds its replicates in index order
//! into one [`Accumulator`]; blocks are merged in block order. Blocks are
//! processed [`CHUNK_BLOCKS`] at a time, so memory does not grow with R.
//! The result is therefore bit-identical for any `--threads`. This is the
//! only module that uses rayon.

use crate::analysis::{Analysed, analyse};
use crate::error::{Error, Result};
use crate::metrics::{Accumulator, Metrics, PrimaryRecord, Truth, VisitMetrics, judge};
use crate::rng::Key;
use crate::scenario::Scenario;
use crate::simulate::{Plan, Setting, TrialData, simulate_trial};
use rayon::prelude::*;
use std::num::NonZeroUsize;

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
}

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
    /// Visit months.
    pub months: Vec<f64>,
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
}

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
        Simulator {
            sc,
            plan: Plan::new(sc),
            key: Key::new(seed),
            truth: Truth {
                s: sc.outcome.s,
                alpha: sc.analysis.alpha,
                theta: sc.theta(sc.visits.primary_month()),
                months: months.clone(),
                theta_by_visit: months.iter().map(|&t| sc.theta(t)).collect(),
                mcid: sc.outcome.mcid,
                replication: sc.analysis.replication,
                n_arm: [sc.design.n_control, sc.design.n_treatment],
            },
        }
    }

    /// The truth metrics are judged against.
    pub fn truth(&self) -> &Truth {
        &self.truth
    }

    /// Simulates and analyses replicate `replicate`'s first trial, as `run` does.
    pub fn one_trial(&self, replicate: u64) -> OneTrial {
        let mut data = TrialData::default();
        let (setting, analysed) = self.trial_into(replicate, &mut data);
        OneTrial {
            data,
            setting,
            analysed,
        }
    }

    /// Like [`Simulator::one_trial`], reusing `data`'s buffers (no allocation once warm).
    pub fn trial_into(&self, replicate: u64, data: &mut TrialData) -> (Setting, Analysed) {
        let setting = Setting::draw(self.sc, self.key, replicate);
        simulate_trial(self.sc, &self.plan, self.key, replicate, 0, &setting, data);
        let analysed = analyse(
            data,
            self.sc.visits.primary,
            &self.sc.analysis,
            self.sc.outcome.s,
        );
        (setting, analysed)
    }

    /// Simulates replicate `replicate` and folds it into `acc`.
    fn replicate(&self, replicate: u64, data: &mut TrialData, acc: &mut Accumulator) {
        let sc = self.sc;
        let primary = sc.visits.primary;
        let s = sc.outcome.s;
        let setting = Setting::draw(sc, self.key, replicate);
        simulate_trial(sc, &self.plan, self.key, replicate, 0, &setting, data);
        let analysed = analyse(data, primary, &sc.analysis, s);
        let mut completers = [0usize; 2];
        for (arm, c) in completers.iter_mut().enumerate() {
            *c = data
                .arm(arm)
                .filter(|&i| data.observed[i] > primary)
                .count();
        }
        if sc.analysis.by_visit {
            for k in 0..sc.visits.months.len() {
                let a = if k == primary {
                    analysed
                } else {
                    analyse(data, k, &sc.analysis, s)
                };
                acc.add_visit(k, &a, &self.truth);
            }
        }
        let replication = sc.analysis.replication.then(|| {
            simulate_trial(sc, &self.plan, self.key, replicate, 1, &setting, data);
            let again = analyse(data, primary, &sc.analysis, s);
            let (sig, fav) = judge(&again.result, &self.truth);
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

    /// Folds replicates `range` in index order.
    fn block(&self, range: std::ops::Range<u64>) -> Accumulator {
        let by_visit = if self.sc.analysis.by_visit {
            self.sc.visits.months.len()
        } else {
            0
        };
        let mut acc = Accumulator::new(by_visit);
        let mut data = TrialData::default();
        for r in range {
            self.replicate(r, &mut data, &mut acc);
        }
        acc
    }

    /// Runs replicates `0..replicates` and returns the merged accumulator.
    pub fn accumulate(&self, replicates: u64) -> Accumulator {
        let blocks = replicates.div_ceil(BLOCK);
        let mut total: Option<Accumulator> = None;
        let mut start = 0;
        while start < blocks {
            let end = (start + CHUNK_BLOCKS).min(blocks);
            let parts: Vec<Accumulator> = (start..end)
                .into_par_iter()
                .map(|b| self.block(b * BLOCK..((b + 1) * BLOCK).min(replicates)))
                .collect();
            for part in parts {
                match total.as_mut() {
                    None => total = Some(part),
                    Some(t) => t.merge(&part),
                }
            }
            start = end;
        }
        total.unwrap_or_else(|| Accumulator::new(0))
    }
}

/// Runs every design point of a scenario.
///
/// # Errors
/// [`Error::Internal`] if the thread pool cannot be built.
pub fn run(sc: &Scenario, opts: &RunOptions) -> Result<RunResult> {
    let seed = opts.seed.unwrap_or(sc.seed);
    let replicates = opts.replicates.unwrap_or(sc.replicates);
    if replicates == 0 {
        return Err(Error::invalid("--replicates", 0, "must be at least 1"));
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = opts.threads {
        builder = builder.num_threads(t.get());
    }
    let pool = builder
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?;
    let sim = Simulator::new(sc, seed);
    let acc = pool.install(|| sim.accumulate(replicates));
    let (metrics, by_visit) = acc.finish(sim.truth());
    Ok(RunResult {
        scenario: sc.name.clone(),
        seed,
        replicates,
        months: sc.visits.months.clone(),
        design_points: vec![DesignPointResult {
            params: Vec::new(),
            truth: sim.truth().clone(),
            month: sc.visits.primary_month(),
            metrics,
            by_visit,
        }],
    })
}
