//! Metrics over R replicates with their Monte Carlo standard errors (MODEL.md §3).
//!
//! Owns: accumulators (add / merge / finish), the truth they judge
//! against, metric names and warnings. May not: simulate, schedule, or
//! format for output.
//!
//! Accumulators are exact counts and Welford moments merged with Chan et al.'s
//! formula; the engine always merges them in replicate order, so results are
//! bit-identical however the work is split. Monte Carlo SEs follow Morris,
//! White & Crowther (2019): binomial `sqrt(p(1-p)/n)` for proportions,
//! `sd/sqrt(n)` for means, the delta method for ratios and roots.

pub mod forking;
pub mod literature;
pub mod names;
pub mod online;
pub mod responder;
pub mod safety;
pub mod subgroups;
pub mod trial;
pub mod visit;
pub mod warnings;

pub use forking::{ForkingAccumulator, ForkingStep};
pub use literature::{MetaAccumulator, MetaRecord, MetaTruth};
pub use names::Metric;
pub use responder::{ResponderAccumulator, ResponderRecord, ResponderTruth};
pub use safety::{SafetyAccumulator, SafetyTruth, UPPER_LEVEL};
pub use subgroups::{
    FactorMetrics, LevelMetrics, SubgroupAccumulator, SubgroupRecord, SubgroupTruth,
};
pub use trial::{PrimaryRecord, TrialAccumulator, Truth, judge};
pub use visit::{VisitMetrics, VisitsAccumulator};
pub use warnings::{MAX_POWER_SE, MIN_CONDITIONING, warnings};

use crate::analysis::Analysed;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A metric's value, its Monte Carlo SE and the number of replicates it counts.
/// Undefined metrics have `estimate: None, mc_se: None, n: 0`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate, or `None` when undefined.
    pub estimate: Option<f64>,
    /// Its Monte Carlo standard error, or `None` when undefined.
    pub mc_se: Option<f64>,
    /// Replicates the metric counts over.
    pub n: u64,
}

impl Estimate {
    /// `0.262 ± 0.004` with `decimals` digits, `0.262` without an MC SE;
    /// `None` when undefined (each output words that its own way). The one
    /// "estimate ± MC SE" format of every output and message.
    pub fn plus_minus(&self, decimals: usize) -> Option<String> {
        match (self.estimate, self.mc_se) {
            (Some(x), Some(se)) => Some(format!("{x:.decimals$} ± {se:.decimals$}")),
            (Some(x), None) => Some(format!("{x:.decimals$}")),
            _ => None,
        }
    }

    /// The undefined metric.
    pub const UNDEFINED: Estimate = Estimate {
        estimate: None,
        mc_se: None,
        n: 0,
    };
}

/// One group of metrics: what a replicate adds to it, how the runs of two
/// stretches of replicates merge (the later one into the earlier), and its
/// metrics at the end. Merging the groups of any split of the replicates
/// gives the sequential fold's metrics (counts exactly, moments to rounding:
/// `tests::merging_any_split_equals_the_sequential_fold`); the engine's fixed
/// blocks make the result bit-identical on top of that.
pub trait Group {
    /// What one replicate contributes.
    type Record;
    /// What the metrics are judged against, fixed for a design point.
    type Truth;
    /// The finished metrics.
    type Output;
    /// Adds one replicate.
    fn add(&mut self, record: &Self::Record, truth: &Self::Truth);
    /// Merges the group of the replicates that follow this one's.
    fn merge(&mut self, later: &Self);
    /// The metrics, each with its MC SE.
    fn finish(&self, truth: &Self::Truth) -> Self::Output;
}

/// Running metrics of one design point, composed of its groups
/// (serialisable, so shards can be merged; the trial group's fields sit at
/// the top level of the JSON, as before the groups existed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    /// Primary-visit metrics (MODEL.md §3).
    #[serde(flatten)]
    pub trial: TrialAccumulator,
    /// Per-visit metrics, when `analysis.by_visit`.
    pub visits: VisitsAccumulator,
    /// Meta-analysis metrics, when the scenario has `[meta_analysis]`.
    pub meta: Option<MetaAccumulator>,
    /// Safety metrics, when the scenario has `[safety]` (absent otherwise,
    /// so other scenarios' shard files are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety: Option<SafetyAccumulator>,
    /// Responder metrics, when the scenario has `[responder_endpoint]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder: Option<ResponderAccumulator>,
    /// Forking-paths metrics, when the scenario has `[forking_paths]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forking: Option<ForkingAccumulator>,
}

/// Which optional groups an [`Accumulator`] holds, after the scenario's
/// sections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Groups {
    /// `[meta_analysis]`: the literature group.
    pub meta: bool,
    /// `[safety]`: the safety group (in the literature group too, with both).
    pub safety: bool,
    /// `[responder_endpoint]`: the responder group.
    pub responder: bool,
    /// `[forking_paths]`: the forking-paths group, for this many paths.
    pub forking: Option<usize>,
    /// `publish_nonsignificant < 1`: the publication-bias corrections in
    /// the literature group.
    pub corrections: bool,
    /// `meta_analysis.subgroups`: the subgroup analyses of this many
    /// factors in the literature group.
    pub subgroups: usize,
}

impl Accumulator {
    /// An empty accumulator for `visits` per-visit slots (0 when by-visit is
    /// off), with the optional `groups`.
    pub fn new(visits: usize, groups: Groups) -> Self {
        Accumulator {
            trial: TrialAccumulator::default(),
            visits: VisitsAccumulator::new(visits),
            meta: groups
                .meta
                .then(|| MetaAccumulator::new(groups.safety, groups.corrections, groups.subgroups)),
            safety: groups.safety.then(SafetyAccumulator::default),
            responder: groups.responder.then(ResponderAccumulator::default),
            forking: groups.forking.map(ForkingAccumulator::new),
        }
    }

    /// The current estimate of power (0 when empty).
    pub fn power_estimate(&self) -> f64 {
        self.trial.power_estimate()
    }

    /// Adds one replicate's primary-visit result.
    pub fn add_primary(&mut self, rec: &PrimaryRecord, truth: &Truth) {
        self.trial.add(rec, truth);
    }

    /// Adds one replicate's analysis at visit index `k` (by-visit results).
    pub fn add_visit(&mut self, k: usize, analysed: &Analysed, truth: &Truth) {
        self.visits.add(&(k, *analysed), truth);
    }

    /// Merges the accumulator of the replicates that follow this one's.
    pub fn merge(&mut self, o: &Accumulator) {
        self.trial.merge(&o.trial);
        self.visits.merge(&o.visits);
        if let (Some(a), Some(b)) = (self.meta.as_mut(), o.meta.as_ref()) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (self.safety.as_mut(), o.safety.as_ref()) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (self.responder.as_mut(), o.responder.as_ref()) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (self.forking.as_mut(), o.forking.as_ref()) {
            a.merge(b);
        }
    }

    /// The forking-paths rates for every number of paths (empty without
    /// `[forking_paths]`).
    pub fn forking_steps(&self) -> Vec<ForkingStep> {
        self.forking
            .as_ref()
            .map_or_else(Vec::new, ForkingAccumulator::steps)
    }

    /// The metrics of MODEL.md §3 in a fixed order, the safety and the
    /// responder metrics after them, and the per-visit results.
    pub fn finish(&self, truth: &Truth) -> (Metrics, Vec<VisitMetrics>) {
        let mut metrics = self.trial.finish(truth);
        if let (Some(acc), Some(safety)) = (&self.safety, &truth.safety) {
            metrics.0.extend(acc.finish(safety).0);
        }
        if let (Some(acc), Some(responder)) = (&self.responder, &truth.responder) {
            metrics.0.extend(acc.finish(responder).0);
        }
        if let Some(acc) = &self.forking {
            metrics.0.extend(acc.finish(truth).0);
        }
        (metrics, self.visits.finish(truth))
    }
}

/// Named metrics in a fixed order (serialised as a JSON object).
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics(pub Vec<(Metric, Estimate)>);

impl Metrics {
    /// The value of `metric`, if this group reports it.
    pub fn get(&self, metric: Metric) -> Option<&Estimate> {
        self.0.iter().find(|(k, _)| *k == metric).map(|(_, e)| e)
    }
}

impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.name(), v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::TestResult;
    use crate::analysis::responder::{ResponderCounts, analyse_responders};
    use crate::meta::{Criticals, Estimator, pool};
    use crate::scenario::Sided;
    use crate::simulate::safety::SafetyCounts;

    /// Synthetic replicates that reach every branch of the three groups: not
    /// estimable, significant either way, MCID claims, replications, and
    /// literatures pooled or not.
    fn replicates(
        n: usize,
    ) -> Vec<(
        PrimaryRecord,
        [Analysed; 2],
        MetaRecord,
        SafetyCounts,
        ResponderRecord,
    )> {
        let mut x = 7u64;
        let mut u = move || {
            x = crate::rng::mix64(x.wrapping_add(0x9e37_79b9_7f4a_7c15));
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let crit = Criticals::new(4, 0.95);
        (0..n)
            .map(|i| {
                let mut analysed = |estimable: bool| {
                    let estimate = -3.0 + 12.0 * (u() - 0.5);
                    let se = 1.0 + u();
                    let t = estimate / se;
                    Analysed {
                        n_control: 18,
                        n_treatment: 19,
                        result: estimable.then_some(TestResult {
                            estimate,
                            se,
                            df: 35.0,
                            t,
                            crit: 2.03,
                            ci_low: estimate - 2.03 * se,
                            ci_high: estimate + 2.03 * se,
                            significant: t.abs() > 2.03,
                            sided: Sided::Two,
                            hypothesis: crate::scenario::Hypothesis::Superiority,
                            s: -1.0,
                        }),
                    }
                };
                let primary = analysed(i % 10 != 3);
                let visits = [analysed(i % 7 != 2), primary];
                let theta_trial = -3.0 + 4.0 * (u() - 0.5);
                let record = PrimaryRecord {
                    analysed: primary,
                    theta_trial,
                    theta_trial_last: 0.5 * theta_trial,
                    completers: [10 + (u() * 10.0) as usize, 10 + (u() * 10.0) as usize],
                    replication: Some(u() < 0.5),
                    diagnostics: crate::analysis::FitDiagnostics {
                        iterations: 3,
                        converged: i % 11 != 4,
                        mmrm: Some(match i % 11 {
                            4 => crate::analysis::MmrmOutcome::Failed,
                            2 | 7 => crate::analysis::MmrmOutcome::Fitted(
                                crate::analysis::mmrm::Structure::HeterogeneousAr1,
                            ),
                            _ => crate::analysis::MmrmOutcome::Fitted(
                                crate::analysis::mmrm::Structure::Unstructured,
                            ),
                        }),
                    },
                };
                let y: Vec<f64> = (0..4).map(|_| -3.0 + 6.0 * (u() - 0.5)).collect();
                let v: Vec<f64> = (0..4).map(|_| 0.5 + 2.0 * u()).collect();
                // Zero and full counts included.
                let mut events = |n: u64| match i % 9 {
                    0 => 0,
                    4 => n,
                    _ => (u() * (n + 1) as f64) as u64 % (n + 1),
                };
                let harms = SafetyCounts {
                    n: [20, 20],
                    serious: [events(20), events(20)],
                    mild: [events(20), events(20)],
                };
                let meta = MetaRecord {
                    pooled: (i % 13 != 5).then(|| pool(&y, &v, Estimator::Reml, &crit)),
                    trials_run: 4 + i % 3,
                    safety: Some(harms.plus(harms)),
                    corrections: (i % 13 != 5).then(|| {
                        crate::meta::bias::corrections(&y, &v, Estimator::Reml, &crit, 0.05, -1.0)
                    }),
                    subgroups: vec![SubgroupRecord {
                        significant: i % 4 == 1,
                        best: (i % 9 != 2).then_some(i % 3),
                        levels_missing: i % 5 == 0,
                        difference: Some((u() * 4.0, 1.0 + u())),
                    }],
                };
                // Responders: an arm left empty (complete case) now and then.
                let counts = ResponderCounts {
                    n: [if i % 10 == 3 { 0 } else { 20 }, 20],
                    responders: [if i % 10 == 3 { 0 } else { harms.mild[0] }, harms.mild[1]],
                };
                let responders = ResponderRecord {
                    counts,
                    result: analyse_responders(
                        &counts,
                        &crate::scenario::Analysis {
                            method: crate::scenario::Method::Ancova,
                            missing: crate::scenario::Missing::CompleteCase,
                            alpha: 0.05,
                            sided: Sided::Two,
                            hypothesis: crate::scenario::Hypothesis::Superiority,
                            by_visit: false,
                            replication: false,
                            fast_path: false,
                        },
                    ),
                };
                (record, visits, meta, harms, responders)
            })
            .collect()
    }

    /// Same names in the same order, equal counts, and values equal to
    /// rounding (Chan's merge of moments is not bit-for-bit Welford's).
    fn assert_close(a: &Metrics, b: &Metrics, what: &str) {
        assert_eq!(a.0.len(), b.0.len(), "{what}");
        let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(1.0),
            _ => false,
        };
        for ((na, ea), (nb, eb)) in a.0.iter().zip(&b.0) {
            assert_eq!(na, nb, "{what}");
            assert_eq!(ea.n, eb.n, "{what}: {na}");
            assert!(
                close(ea.estimate, eb.estimate) && close(ea.mc_se, eb.mc_se),
                "{what}: {na}: {ea:?} vs {eb:?}"
            );
        }
    }

    #[test]
    fn merging_any_split_equals_the_sequential_fold() {
        let truth = Truth {
            s: -1.0,
            alpha: 0.05,
            hypothesis: crate::scenario::Hypothesis::Superiority,
            theta: -3.0,
            theta_varies: true,
            months: vec![3.0, 6.0],
            theta_by_visit: vec![-1.5, -3.0],
            mcid: Some(2.0),
            replication: true,
            n_arm: [20, 20],
            safety: Some(SafetyTruth {
                alpha: 0.05,
                rule_out: 0.2,
                literature: false,
                serious_treatment: 0.2,
            }),
            responder: Some(ResponderTruth {
                rate: [0.3, 0.5],
                mc_se: 0.001,
            }),
        };
        let meta_truth = MetaTruth {
            s: -1.0,
            theta: -3.0,
            tau2: 1.0,
            mcid: Some(2.0),
            hartung_knapp: false,
            crit: Criticals::new(4, 0.95),
            safety: Some(SafetyTruth {
                alpha: 0.05,
                rule_out: 0.1,
                literature: true,
                serious_treatment: 0.2,
            }),
            subgroups: vec![SubgroupTruth::new(
                "source",
                0,
                &["a", "b", "c"],
                vec![-2.0, 0.0, 1.0],
                &[true; 3],
                -1.0,
            )],
        };
        let reps = replicates(40);
        let fold = |range: std::ops::Range<usize>| {
            let mut acc = Accumulator::new(
                2,
                Groups {
                    meta: true,
                    safety: true,
                    responder: true,
                    forking: None,
                    corrections: true,
                    subgroups: 1,
                },
            );
            for (record, visits, meta, harms, responders) in &reps[range] {
                if let (Some(s), Some(t)) = (acc.safety.as_mut(), &truth.safety) {
                    s.add(harms, t);
                }
                if let (Some(r), Some(t)) = (acc.responder.as_mut(), &truth.responder) {
                    r.add(responders, t);
                }
                acc.add_primary(record, &truth);
                for (k, a) in visits.iter().enumerate() {
                    acc.add_visit(k, a, &truth);
                }
                if let Some(m) = acc.meta.as_mut() {
                    m.add(meta, &meta_truth);
                }
            }
            acc
        };
        let finish = |acc: &Accumulator| {
            let (trial, visits) = acc.finish(&truth);
            let meta = acc.meta.as_ref().map(|m| m.finish(&meta_truth));
            (trial, visits, meta.expect("with meta"))
        };
        let whole = finish(&fold(0..reps.len()));
        assert!(whole.0.get(Metric::TypeM).is_some_and(|e| e.n > 0));
        for m in [
            Metric::SaeRuledOut,
            Metric::MildAePower,
            Metric::ResponderPower,
        ] {
            assert!(whole.0.get(m).is_some_and(|e| e.n == 40), "{m}");
        }
        // Four replicates have an empty arm: no interval, no rate.
        assert!(
            whole
                .0
                .get(Metric::ResponderCoverage)
                .is_some_and(|e| e.n == 36)
        );
        assert!(whole.0.get(Metric::ResponderTypeM).is_some_and(|e| e.n > 0));
        assert!(whole.2.get(Metric::TreatedPatients).is_some());
        assert!(
            whole
                .2
                .get(Metric::NotEstimable)
                .is_some_and(|e| e.estimate > Some(0.0))
        );
        let n = reps.len();
        let mut splits: Vec<Vec<usize>> = (0..=n).map(|k| vec![0, k, n]).collect();
        splits.extend((1..n).step_by(7).map(|k| vec![0, k, (k + 11).min(n), n]));
        for cuts in splits {
            let mut merged = fold(cuts[0]..cuts[1]);
            for w in cuts[1..].windows(2) {
                merged.merge(&fold(w[0]..w[1]));
            }
            let parts = finish(&merged);
            let what = format!("split {cuts:?}");
            assert_close(&whole.0, &parts.0, &what);
            for (a, b) in whole.1.iter().zip(&parts.1) {
                assert_close(&a.metrics, &b.metrics, &what);
            }
            assert_close(&whole.2, &parts.2, &what);
        }
    }

    #[test]
    fn estimates_read_with_their_mc_se() {
        let e = |estimate, mc_se| Estimate {
            estimate,
            mc_se,
            n: 10,
        };
        assert_eq!(
            e(Some(0.26249), Some(0.0041)).plus_minus(3).as_deref(),
            Some("0.262 ± 0.004")
        );
        assert_eq!(e(Some(1.5), None).plus_minus(2).as_deref(), Some("1.50"));
        assert_eq!(Estimate::UNDEFINED.plus_minus(3), None);
    }
}
