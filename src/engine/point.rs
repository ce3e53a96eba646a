//! One design point's simulator: everything a replicate needs, computed
//! once; a replicate (its trial, same-setting replication, visits and
//! literature) folded into the accumulator; blocks of replicates handed to
//! the scheduler.

use super::BLOCK;
use crate::analysis::responder::{analyse_responders, count_responders};
use crate::analysis::{
    self, Analysed, PathOutcome, TrialAnalysis, Workspace, analyse_paths, analyse_sums,
};
use crate::meta::Criticals;
use crate::metrics::{
    Accumulator, Group, Groups, MetaTruth, PrimaryRecord, ResponderRecord, SafetyTruth, Truth,
    judge,
};
use crate::rng::Key;
use crate::scenario::Scenario;
use crate::simulate::safety::draw_safety;
use crate::simulate::{Plan, Setting, TrialData, TrialId, simulate_trial};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Everything a replicate needs, computed once per design point.
#[derive(Debug)]
pub struct Simulator<'a> {
    pub(super) sc: &'a Scenario,
    pub(super) plan: Plan,
    pub(super) key: Key,
    pub(super) truth: Truth,
    pub(super) meta_truth: Option<MetaTruth>,
    pub(super) cancel: Option<Arc<AtomicBool>>,
    /// The exact sufficient-statistics path, when requested and allowed.
    pub(super) fast: Option<crate::simulate::sufficient::FastPlan>,
}

thread_local! {
    /// The worker's scratch buffers (and their cached t quantiles), handed
    /// from block to block and from design point to design point: they
    /// belong to the worker thread, not to a design point, so a sweep holds
    /// one trial's buffers per thread however many points it has (issue
    /// #25), and quantiles are computed once per thread rather than per
    /// block. Results do not depend on them.
    static SCRATCH: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

/// `f` with this thread's scratch buffers (fresh ones if a caller up the
/// stack holds them).
fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    let mut scratch = SCRATCH.take().unwrap_or_default();
    let out = f(&mut scratch);
    SCRATCH.set(Some(scratch));
    out
}

/// What a design point's safety metrics are judged against, with
/// `[safety]`; `literature` for the literature group's.
fn safety_truth(sc: &Scenario, literature: bool) -> Option<SafetyTruth> {
    sc.safety.as_ref().map(|s| SafetyTruth {
        alpha: sc.analysis.alpha,
        rule_out: s.rule_out,
        literature,
        serious_treatment: s.serious[crate::simulate::TREATMENT],
    })
}

/// Buffers one worker reuses across the replicates of a block.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) data: TrialData,
    pub(super) y: Vec<f64>,
    pub(super) v: Vec<f64>,
    pub(super) analysis: Workspace,
    /// The forking paths' analyses and their workspace (the primary
    /// analysis' visits stay in `analysis`).
    pub(super) paths: Vec<PathOutcome>,
    pub(super) paths_ws: Workspace,
    /// One trial's drawn protocol levels, and per subgroup factor the
    /// level of each published trial of a literature.
    pub(super) levels: Vec<usize>,
    pub(super) published_levels: Vec<Vec<usize>>,
}

impl Scratch {
    /// Every path of `paths` on the trial in `data` (scenario `sc`): the
    /// forking paths' analyses, in `paths`' order.
    pub(super) fn analyse_paths(
        &mut self,
        sc: &Scenario,
        paths: &crate::scenario::ForkingPaths,
    ) -> &Vec<PathOutcome> {
        analyse_paths(
            &self.data,
            sc.visits.primary,
            paths,
            &sc.analysis,
            sc.outcome.s,
            &mut self.paths_ws,
            &mut self.paths,
        );
        &self.paths
    }
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
    /// How the analysis' fit went.
    pub diagnostics: analysis::FitDiagnostics,
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
                hypothesis: sc.analysis.hypothesis,
                theta: sc.theta(t),
                theta_varies: scale != 0.0 && sc.heterogeneity.effect_varies(),
                months: months.clone(),
                theta_by_visit: months.iter().map(|&t| sc.theta(t)).collect(),
                mcid: sc.outcome.mcid,
                replication: sc.analysis.replication,
                n_arm: [sc.design.n_control, sc.design.n_treatment],
                safety: safety_truth(sc, false),
                responder: super::truth::responder_truth(sc),
            },
            meta_truth: sc.meta.as_ref().map(|m| MetaTruth {
                s: sc.outcome.s,
                theta: sc.theta(t),
                tau2: sc.heterogeneity.effect_variance() * scale * scale,
                mcid: sc.outcome.mcid,
                hartung_knapp: m.hartung_knapp,
                crit: Criticals::new(m.trials, 1.0 - sc.analysis.alpha),
                safety: safety_truth(sc, true),
                subgroups: m
                    .subgroups
                    .iter()
                    .map(|&f| crate::metrics::SubgroupTruth::of(sc, f))
                    .collect(),
            }),
            cancel: None,
            fast: crate::simulate::sufficient::FastPlan::new(sc),
        }
    }

    /// The same simulator, stopping early once `flag` is set.
    pub fn with_cancel(mut self, flag: Option<Arc<AtomicBool>>) -> Self {
        self.cancel = flag;
        self
    }

    /// Whether the run was asked to stop.
    pub(super) fn cancelled(&self) -> bool {
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
                let (_, a, _) = self.trial_into(r, &mut scratch.data, &mut scratch.analysis);
                a.result.map(|t| (t.estimate, t.significant))
            })
            .collect()
    }

    /// The same simulator without the simulated literature (its results are
    /// taken from another design point).
    pub(super) fn without_meta(mut self) -> Self {
        self.meta_truth = None;
        self
    }

    /// What the meta-analysis metrics are judged against, if the scenario has one.
    pub fn meta_truth(&self) -> Option<&MetaTruth> {
        self.meta_truth.as_ref()
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
        let (setting, analysed, diagnostics) =
            self.trial_into(replicate, &mut data, &mut Workspace::default());
        OneTrial {
            data,
            setting,
            analysed,
            diagnostics,
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
    ) -> (Setting, Analysed, analysis::FitDiagnostics) {
        let setting = Setting::draw(self.sc, self.key, replicate, 0);
        simulate_trial(
            self.sc,
            &self.plan,
            self.key,
            self.id(replicate, 0),
            &setting,
            data,
        );
        let a = analysis::analyse_trial(
            data,
            self.sc.visits.primary,
            false,
            &self.sc.analysis,
            self.sc.outcome.s,
            ws,
        );
        (setting, a.primary, a.diagnostics)
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
        let diagnostics = trial.diagnostics;
        for (k, a) in trial.visits.iter().enumerate() {
            acc.add_visit(k, a, &self.truth);
        }
        // Every path on the same patients, before a replication reuses them.
        if let (Some(paths), Some(forking)) = (&sc.forking, acc.forking.as_mut()) {
            forking.add(scratch.analyse_paths(sc, paths), &self.truth);
        }
        // The responders of this trial, before a replication reuses the buffers.
        let responders = sc.responder.as_ref().map(|r| {
            let counts = count_responders(&scratch.data, sc.visits.primary, r, sc.outcome.s);
            ResponderRecord {
                counts,
                result: analyse_responders(&counts, &sc.analysis),
            }
        });
        let replication = sc.analysis.replication.then(|| {
            let (again, _) = self.analyse_trial(replicate, 1, &setting, scratch, false);
            let (sig, fav) = judge(&again.primary.result, &self.truth);
            sig && fav
        });
        if let (Some(safety), Some(safety_acc), Some(safety_truth)) =
            (&sc.safety, acc.safety.as_mut(), &self.truth.safety)
        {
            let n = [sc.design.n_control, sc.design.n_treatment];
            let counts = draw_safety(safety, self.key, replicate, 0, n);
            safety_acc.add(&counts, safety_truth);
        }
        if let (Some(record), Some(acc), Some(truth)) =
            (responders, acc.responder.as_mut(), &self.truth.responder)
        {
            acc.add(&record, truth);
        }
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
                diagnostics,
            },
            &self.truth,
        );
    }

    /// Block `b` of a run of `to` replicates, folded in index order on this
    /// worker's scratch buffers.
    pub(super) fn block_at(&self, b: u64, to: u64) -> Accumulator {
        with_scratch(|scratch| self.block(b * BLOCK..((b + 1) * BLOCK).min(to), scratch))
    }

    /// Folds replicates `range` in index order (the scratch only holds buffers
    /// and cached quantiles: results do not depend on it).
    fn block(&self, range: std::ops::Range<u64>, scratch: &mut Scratch) -> Accumulator {
        let by_visit = if self.sc.analysis.by_visit {
            self.sc.visits.months.len()
        } else {
            0
        };
        let mut acc = Accumulator::new(
            by_visit,
            Groups {
                meta: self.meta_truth.is_some(),
                safety: self.sc.safety.is_some(),
                responder: self.truth.responder.is_some(),
                forking: self.sc.forking.as_ref().map(|f| f.len()),
                corrections: self
                    .sc
                    .meta
                    .as_ref()
                    .is_some_and(|m| m.publish_nonsignificant < 1.0),
                subgroups: self.sc.meta.as_ref().map_or(0, |m| m.subgroups.len()),
            },
        );
        for r in range {
            if self.cancelled() {
                break;
            }
            self.replicate(r, scratch, &mut acc);
        }
        acc
    }
}
