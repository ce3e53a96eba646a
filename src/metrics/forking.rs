//! The forking-paths group (`[forking_paths]`): every analysis a trialist
//! could have reported, run on the same simulated patients, and what a
//! reader faces when whichever is significant gets reported.
//!
//! - `forking_paths`: how many distinct paths (a constant, MC SE 0).
//! - `forking_any_significant`: P(some path is significant with its
//!   estimate favourable), over all R (a non-estimable path is not
//!   significant): under a null therapy, the false-positive rate.
//! - `forking_type_m`: given such a path, |estimate| / |theta(t)| of the
//!   most significant one ([`most_significant`]), the truth at that path's
//!   visit; replicates whose path's truth is 0 do not count, so it is
//!   undefined under a null therapy. Not applicable (undefined) under
//!   non-inferiority and equivalence, as `type_m`.
//! - `holm_any_significant`: the same event after Holm's (1979) step-down
//!   over every path's p-value: sorted ascending, the i-th smallest
//!   (1-based) of m is rejected while p < alpha / (m − i + 1); a rejection
//!   counts only with a favourable estimate. A non-estimable path has p = 1.
//!   Holm controls the family-wise error rate whatever the paths'
//!   dependence, so under a null therapy this is at most alpha.

use super::online::{Count, Moments};
use super::trial::{Truth, judge};
use super::{Estimate, Group, Metric, Metrics};
use crate::analysis::{PathOutcome, most_significant};
use serde::{Deserialize, Serialize};

/// Running forking-paths metrics of one design point, for every number of
/// paths `k` = 1 … m (the first `k` paths in the order of `[forking_paths]`:
/// methods, then rules, then visits), so the false-positive rate can be
/// drawn against the number of paths; the metrics are those of all m.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ForkingAccumulator {
    /// `any[k − 1]`: some of the first `k` paths significant and favourable.
    any: Vec<Count>,
    /// `holm[k − 1]`: Holm over the first `k` paths rejects favourably.
    holm: Vec<Count>,
    type_m: Moments,
}

/// `forking_any_significant` and `holm_any_significant` over the first
/// `paths` paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForkingStep {
    /// How many paths (the first ones, in the order of `[forking_paths]`).
    pub paths: usize,
    /// `forking_any_significant` and `holm_any_significant` over them.
    pub metrics: Metrics,
}

impl ForkingAccumulator {
    /// An empty group for `paths` paths.
    pub fn new(paths: usize) -> Self {
        ForkingAccumulator {
            any: vec![Count::default(); paths],
            holm: vec![Count::default(); paths],
            type_m: Moments::default(),
        }
    }

    /// The two rates for every number of paths, 1 … m.
    pub fn steps(&self) -> Vec<ForkingStep> {
        self.any
            .iter()
            .zip(&self.holm)
            .enumerate()
            .map(|(k, (any, holm))| ForkingStep {
                paths: k + 1,
                metrics: Metrics(vec![
                    (Metric::ForkingAnySignificant, any.estimate()),
                    (Metric::HolmAnySignificant, holm.estimate()),
                ]),
            })
            .collect()
    }
}

/// Whether Holm's step-down over `sorted` (p-values ascending, each with
/// whether its estimate is favourable) at level `alpha` rejects a path with
/// a favourable estimate.
fn holm_rejects_favourably(sorted: &[(f64, bool)], alpha: f64) -> bool {
    let m = sorted.len();
    sorted
        .iter()
        .enumerate()
        .take_while(|&(i, &(p, _))| p < alpha / (m - i) as f64)
        .any(|(_, &(_, favourable))| favourable)
}

impl Group for ForkingAccumulator {
    type Record = Vec<PathOutcome>;
    type Truth = Truth;
    type Output = Metrics;

    fn add(&mut self, paths: &Vec<PathOutcome>, truth: &Truth) {
        // The paths are few (tens): a sorted insertion per path and a
        // step-down per number of paths cost little beside analysing them.
        let mut sorted: Vec<(f64, bool)> = Vec::with_capacity(paths.len());
        let mut any = false;
        for (k, path) in paths.iter().enumerate() {
            let (sig, fav) = judge(&path.analysed.result, truth);
            any |= sig && fav;
            self.any[k].add(any);
            let entry = match path.analysed.result {
                Some(r) => (
                    r.p_value(),
                    !truth.hypothesis.is_superiority() || truth.s * r.estimate > 0.0,
                ),
                None => (1.0, false),
            };
            // After equal p-values: ties keep the paths' order.
            let at = sorted.partition_point(|e| e.0 <= entry.0);
            sorted.insert(at, entry);
            self.holm[k].add(holm_rejects_favourably(&sorted, truth.alpha));
        }
        if any && truth.hypothesis.is_superiority() {
            let best = most_significant(paths.iter().map(|p| &p.analysed.result));
            if let Some(r) = best.and_then(|i| paths[i].analysed.result.map(|r| (i, r))) {
                let theta = truth.theta_by_visit[paths[r.0].visit];
                if theta != 0.0 {
                    self.type_m.add(r.1.estimate.abs() / theta.abs());
                }
            }
        }
    }

    fn merge(&mut self, o: &Self) {
        for (a, b) in self.any.iter_mut().zip(&o.any) {
            a.merge(b);
        }
        for (a, b) in self.holm.iter_mut().zip(&o.holm) {
            a.merge(b);
        }
        self.type_m.merge(&o.type_m);
    }

    fn finish(&self, truth: &Truth) -> Metrics {
        let type_m = if truth.hypothesis.is_superiority() {
            self.type_m.mean_estimate(0.0, 1.0)
        } else {
            Estimate::UNDEFINED
        };
        let all = |c: &[Count]| c.last().map_or(Estimate::UNDEFINED, Count::estimate);
        Metrics(vec![
            (
                Metric::ForkingPaths,
                Estimate {
                    estimate: Some(self.any.len() as f64),
                    mc_se: Some(0.0),
                    n: self.any.last().map_or(0, |c| c.n),
                },
            ),
            (Metric::ForkingAnySignificant, all(&self.any)),
            (Metric::ForkingTypeM, type_m),
            (Metric::HolmAnySignificant, all(&self.holm)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holm's step-down at alpha 0.05: with three paths the sorted
    /// p-values are held against 0.05/3, 0.05/2 and 0.05, in turn, until
    /// the first that is not below its threshold.
    #[test]
    fn holm_steps_down_until_the_first_acceptance() {
        let f = |ps: &[(f64, bool)]| holm_rejects_favourably(ps, 0.05);
        // All three rejected; only the last favourable.
        assert!(f(&[(0.01, false), (0.02, false), (0.03, true)]));
        // 0.02 ≥ 0.05 / 3 stops at the first: nothing rejected.
        assert!(!f(&[(0.02, true), (0.021, true), (0.03, true)]));
        // The first rejected (0.01 < 0.0167), the second not (0.03 ≥ 0.025):
        // the favourable third is never reached.
        assert!(!f(&[(0.01, false), (0.03, true), (0.04, true)]));
        assert!(f(&[(0.01, true), (0.03, true), (0.04, true)]));
        // One path: Holm is the test at alpha.
        assert!(f(&[(0.049, true)]) && !f(&[(0.05, true)]));
    }
}
