//! The subgroup claims of simulated literatures (issue #26): for each
//! factor of `meta_analysis.subgroups`, how often a review's subgroup
//! analysis finds a difference, names the truly best level, and how much
//! it exaggerates the difference it claims.
//!
//! Each pooled literature is analysed by the factor's levels present in it
//! ([`crate::meta::subgroups`], with the literature's tau² estimator and
//! HKSJ setting, at level 1 − alpha). Choices where the issue is silent:
//! - a literature whose published trials show only one level, or one trial
//!   per level, cannot be tested: it counts as not significant (a review
//!   could not claim a difference) and names no best level;
//! - the level named best is the present level whose estimate is the most
//!   favourable (`s · mu_j` largest), single-trial levels included — as a
//!   reader of the forest would;
//! - the truly best level is the level with the most favourable shift of
//!   the true effect; where the best shifts tie (all 0, say) there is no
//!   best level and `subgroup_best_correct` is undefined;
//! - the best-versus-rest difference is the best level's estimate minus the
//!   other present levels' pooled (weights `1/se²`), and the true one the
//!   same weighting of the true shifts; `subgroup_diff_type_m` is
//!   E|estimated| / E|true| over the literatures that claim a best level
//!   (the ratio of means, as the trials' `type_m_trial`);
//! - per level, `subgroup_named_best` is the share of analysed literatures
//!   naming it best and `subgroup_claimed_best` the share that also find
//!   the difference significant ("adipose is best" in print); summed over
//!   the levels they give one minus the untestable share, and
//!   `subgroup_best_claimed`.

use super::online::{Count, PairMoments};
use super::{Estimate, Metric, Metrics};
use serde::{Deserialize, Serialize};

/// What a factor's subgroup metrics are judged against.
#[derive(Debug, Clone, PartialEq)]
pub struct SubgroupTruth {
    /// The factor's name.
    pub name: String,
    /// Its index in `heterogeneity.factors`.
    pub factor: usize,
    /// Its levels' names.
    pub levels: Vec<String>,
    /// Whether a trial can draw each level (its weight is above 0).
    pub drawn: Vec<bool>,
    /// Each level's true shift of the effect at `t*` (the level's `shift`
    /// times the responder fraction and the profile at `t*`).
    pub shifts: Vec<f64>,
    /// The truly best level (most favourable shift), `None` on a tie.
    pub best: Option<usize>,
}

impl SubgroupTruth {
    /// The truth of factor `factor` (an index into
    /// `heterogeneity.factors`) of scenario `sc`, at its primary visit.
    pub fn of(sc: &crate::scenario::Scenario, factor: usize) -> Self {
        let t = sc.visits.primary_month();
        let scale = sc.effect.responder_fraction * sc.effect.profile.at(t);
        let f = &sc.heterogeneity.factors[factor];
        let shifts = f.levels.iter().map(|l| l.shift * scale).collect();
        let names = f.levels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>();
        let drawn: Vec<bool> = f.levels.iter().map(|l| l.probability > 0.0).collect();
        Self::new(&f.name, factor, &names, shifts, &drawn, sc.outcome.s)
    }

    /// Whether the true effects of the levels trials draw differ at all.
    pub fn varies(&self) -> bool {
        let mut drawn = self.drawn();
        let first = drawn.next();
        drawn.any(|x| Some(x) != first)
    }

    /// The shifts of the levels a trial can draw (weight above 0).
    fn drawn(&self) -> impl Iterator<Item = f64> + '_ {
        self.shifts
            .iter()
            .zip(&self.drawn)
            .filter(|(_, d)| **d)
            .map(|(x, _)| *x)
    }

    /// The truth of factor `factor` with levels `levels` whose shifts are
    /// `shifts` (already at `t*`), direction `s`; `drawn[j]` says whether a
    /// trial can draw level `j` (weight above 0): a level no trial draws is
    /// never the best.
    ///
    /// # Panics
    /// If `levels`, `shifts` and `drawn` differ in length.
    pub fn new(
        name: &str,
        factor: usize,
        levels: &[&str],
        shifts: Vec<f64>,
        drawn: &[bool],
        s: f64,
    ) -> Self {
        assert_eq!(levels.len(), shifts.len(), "one shift per level");
        assert_eq!(levels.len(), drawn.len(), "one flag per level");
        let top = (0..shifts.len())
            .filter(|&j| drawn[j])
            .map(|j| s * shifts[j])
            .fold(f64::NEG_INFINITY, f64::max);
        let at_top: Vec<usize> = (0..shifts.len())
            .filter(|&j| drawn[j] && (s * shifts[j] - top).abs() <= 1e-12 * top.abs().max(1.0))
            .collect();
        SubgroupTruth {
            name: name.to_string(),
            factor,
            levels: levels.iter().map(|l| l.to_string()).collect(),
            drawn: drawn.to_vec(),
            best: (at_top.len() == 1).then(|| at_top[0]),
            shifts,
        }
    }
}

/// One literature's subgroup analysis by one factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubgroupRecord {
    /// The omnibus test of subgroup differences rejects at alpha.
    pub significant: bool,
    /// The level named best (index among the factor's levels), if the
    /// analysis could be made.
    pub best: Option<usize>,
    /// Some level of the factor has fewer than two published trials.
    pub levels_missing: bool,
    /// |estimated| and |true| best-versus-rest difference.
    pub difference: Option<(f64, f64)>,
}

/// Running subgroup metrics of one factor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubgroupAccumulator {
    significant: Count,
    best_correct: Count,
    claimed: Count,
    difference: PairMoments,
    levels_missing: Count,
    /// Per level (in the factor's order), how often it is named and
    /// claimed best.
    #[serde(default)]
    levels: Vec<LevelCounts>,
}

/// How often one level is named best, and claimed best.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct LevelCounts {
    named: Count,
    claimed: Count,
}

/// A factor's subgroup metrics, and how often each level is named best.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorMetrics {
    /// The factor's name.
    pub name: String,
    /// `subgroup_significant` … `subgroup_levels_missing`.
    pub metrics: Metrics,
    /// Whether the true effects of the levels trials draw differ
    /// ([`SubgroupTruth::varies`]).
    pub varies: bool,
    /// Per level, in the factor's order.
    pub levels: Vec<LevelMetrics>,
}

/// One level of a factor: its truth, and how often a review names it best.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelMetrics {
    /// The level's name.
    pub level: String,
    /// Its true shift of the effect at `t*`.
    pub true_shift: f64,
    /// Whether it is the truly best level.
    pub truly_best: bool,
    /// `subgroup_named_best` and `subgroup_claimed_best`.
    pub metrics: Metrics,
}

impl SubgroupAccumulator {
    /// Adds one pooled literature's analysis.
    pub fn add(&mut self, rec: &SubgroupRecord, truth: &SubgroupTruth) {
        self.significant.add(rec.significant);
        self.levels_missing.add(rec.levels_missing);
        let claimed = rec.significant && rec.best.is_some();
        self.claimed.add(claimed);
        if let (Some(named), Some(best)) = (rec.best, truth.best) {
            self.best_correct.add(named == best);
        }
        if claimed && let Some((estimated, true_difference)) = rec.difference {
            self.difference.add(estimated, true_difference);
        }
        self.levels.resize(
            truth.shifts.len().max(self.levels.len()),
            LevelCounts::default(),
        );
        for (j, level) in self.levels.iter_mut().enumerate() {
            let named = rec.best == Some(j);
            level.named.add(named);
            level.claimed.add(named && rec.significant);
        }
    }

    /// Merges another accumulator (of later replicates).
    pub fn merge(&mut self, o: &Self) {
        self.significant.merge(&o.significant);
        self.best_correct.merge(&o.best_correct);
        self.claimed.merge(&o.claimed);
        self.difference.merge(&o.difference);
        self.levels_missing.merge(&o.levels_missing);
        self.levels.resize(
            o.levels.len().max(self.levels.len()),
            LevelCounts::default(),
        );
        for (a, b) in self.levels.iter_mut().zip(&o.levels) {
            a.named.merge(&b.named);
            a.claimed.merge(&b.claimed);
        }
    }

    /// The factor's metrics, and its levels'.
    pub fn finish(&self, truth: &SubgroupTruth) -> FactorMetrics {
        // A state saved before level counts were kept has none.
        let counts: Vec<LevelCounts> = (0..truth.levels.len())
            .map(|j| {
                self.levels
                    .get(j)
                    .copied()
                    .filter(|c| c.named.n == self.significant.n)
                    .unwrap_or_default()
            })
            .collect();
        let levels = truth
            .levels
            .iter()
            .zip(&counts)
            .enumerate()
            .map(|(j, (level, counts))| LevelMetrics {
                level: level.clone(),
                true_shift: truth.shifts[j],
                truly_best: truth.best == Some(j),
                metrics: Metrics(vec![
                    (Metric::SubgroupNamedBest, counts.named.estimate()),
                    (Metric::SubgroupClaimedBest, counts.claimed.estimate()),
                ]),
            })
            .collect();
        FactorMetrics {
            name: truth.name.clone(),
            metrics: self.metrics(truth, &counts),
            varies: truth.varies(),
            levels,
        }
    }

    /// The factor's metrics (`counts`: its levels').
    fn metrics(&self, truth: &SubgroupTruth, counts: &[LevelCounts]) -> Metrics {
        // Of the literatures that claim a best level, those that claim the
        // wrong one: a proportion of the claiming literatures.
        let claimed_wrong = match truth.best {
            Some(best) if counts.iter().all(|c| c.claimed.n > 0) => {
                let n: u64 = counts.iter().map(|c| c.claimed.hits).sum();
                Count {
                    hits: n - counts[best].claimed.hits,
                    n,
                }
                .estimate()
            }
            _ => Estimate::UNDEFINED,
        };
        Metrics(vec![
            (Metric::SubgroupSignificant, self.significant.estimate()),
            (
                Metric::SubgroupBestCorrect,
                if truth.best.is_some() {
                    self.best_correct.estimate()
                } else {
                    Estimate::UNDEFINED
                },
            ),
            (Metric::SubgroupBestClaimed, self.claimed.estimate()),
            (Metric::SubgroupClaimedWrong, claimed_wrong),
            (
                Metric::SubgroupDiffTypeM,
                if truth.varies() {
                    self.difference.ratio()
                } else {
                    Estimate::UNDEFINED
                },
            ),
            (
                Metric::SubgroupLevelsMissing,
                self.levels_missing.estimate(),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The truly best level is the most favourable shift among the levels
    /// trials draw; a level of weight 0 is never best, and levels that are
    /// never drawn do not make the truth vary.
    #[test]
    fn a_level_no_trial_draws_is_never_best() {
        let levels = ["europe", "asia", "america"];
        // Lower is better (s = −1): asia's −9 would be best, were it drawn.
        let t = SubgroupTruth::new(
            "region",
            0,
            &levels,
            vec![-2.0, -9.0, 0.0],
            &[true, false, true],
            -1.0,
        );
        assert_eq!(t.best, Some(0));
        assert!(t.varies());
        let t = SubgroupTruth::new(
            "region",
            0,
            &levels,
            vec![0.0, -9.0, 0.0],
            &[true, false, true],
            -1.0,
        );
        assert_eq!(t.best, None);
        assert!(!t.varies());
        let t = SubgroupTruth::new("region", 0, &levels, vec![0.0, -9.0, 0.0], &[true; 3], -1.0);
        assert_eq!(t.best, Some(1));
    }
}
