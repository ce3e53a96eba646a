//! A design point's simulated literature (MODEL.md §4): trials one after
//! another, each with its own protocol draw, size and small-study bias,
//! until K are published, then pooled.

use super::point::{Scratch, Simulator};
use crate::analysis;
use crate::meta::pool;
use crate::meta::pooling::Test;
use crate::meta::subgroups::{NotIdentified, SubgroupFit, subgroups};
use crate::metrics::{MetaRecord, SubgroupRecord, SubgroupTruth, judge};
use crate::rng::Role;
use crate::scenario::{MAX_ARM, Meta, Report, Scenario, TrialSizes};
use crate::simulate::safety::{SafetyCounts, draw_safety};
use crate::simulate::{Setting, TrialId, simulate_trial};
use rand::RngExt;
use rand_distr::StandardNormal;

/// One estimable trial of a simulated literature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiteratureTrial {
    /// Its reported estimate: at the primary visit, or its most
    /// significant path's with `meta_analysis.report = "best"`.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Its CI.
    pub ci_low: f64,
    /// Its CI.
    pub ci_high: f64,
    /// Control-arm size.
    pub n_control: usize,
    /// Treatment-arm size.
    pub n_treatment: usize,
    /// Whether it was published (pooled).
    pub published: bool,
}

/// One simulated literature as the figures draw it.
#[derive(Debug, Clone)]
pub struct LiteratureDetail {
    /// Its estimable trials, published or not.
    pub trials: Vec<LiteratureTrial>,
    /// Its pooled result.
    pub record: MetaRecord,
    /// Per factor of `meta_analysis.subgroups`, its subgroup analysis
    /// (empty when the literature could not be pooled).
    pub subgroups: Vec<LiteratureSubgroups>,
}

/// Trial index of the first trial of a simulated literature (0 is the trial
/// analysed, 1 its same-setting replication).
pub const META_FIRST_TRIAL: u64 = 2;
/// A meta-replicate gives up after this many trials per published trial.
pub const META_MAX_RUNS_PER_TRIAL: usize = 1000;

impl Simulator<'_> {
    /// The trials of meta-replicate `replicate`'s literature, published or
    /// not, the pooled result and, pooled, its subgroup analyses (for the
    /// forest, funnel and subgroup figures).
    pub fn literature_detail(&self, replicate: u64) -> Option<LiteratureDetail> {
        let meta = self.sc.meta.as_ref()?;
        self.meta_truth.as_ref()?;
        let mut scratch = Scratch::default();
        let mut trials = Vec::new();
        let record = self.literature(meta, replicate, &mut scratch, Some(&mut trials));
        let subgroups = match record.pooled {
            Some(_) => meta
                .subgroups
                .iter()
                .zip(&scratch.published_levels)
                .map(|(&f, of)| {
                    let levels = &self.sc.heterogeneity.factors[f].levels;
                    let name = |j: usize| levels[j].name.clone();
                    LiteratureSubgroups::fit(
                        &scratch.y,
                        &scratch.v,
                        of,
                        levels.len(),
                        name,
                        meta,
                        self.sc,
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        Some(LiteratureDetail {
            trials,
            record,
            subgroups,
        })
    }

    /// Simulates the literature of meta-replicate `replicate`: trials one after
    /// another, each with its own setting and size, until K are published
    /// (MODEL.md §4), then pools them. `y`/`v` receive the published results.
    pub(super) fn literature(
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
        scratch
            .published_levels
            .resize(meta.subgroups.len(), Vec::new());
        scratch.published_levels.iter_mut().for_each(Vec::clear);
        let limit = META_MAX_RUNS_PER_TRIAL * meta.trials;
        let mut runs = 0;
        let mut harms = sc.safety.as_ref().map(|_| SafetyCounts::default());
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
            let setting = if meta.subgroups.is_empty() {
                Setting::draw(sc, self.key, replicate, trial)
            } else {
                Setting::draw_with_levels(sc, self.key, replicate, trial, &mut scratch.levels)
            };
            let id = TrialId {
                replicate,
                trial,
                n: [n_control, n_treatment],
            };
            simulate_trial(sc, &self.plan, self.key, id, &setting, &mut scratch.data);
            let mut analysed = analysis::analyse_trial(
                &scratch.data,
                sc.visits.primary,
                false,
                &sc.analysis,
                sc.outcome.s,
                &mut scratch.analysis,
            )
            .primary;
            // `report = "best"`: the trial reports its most significant path
            // (its primary analysis when no path looks like a benefit).
            if let (Report::Best, Some(paths)) = (meta.report, &sc.forking) {
                let out = scratch.analyse_paths(sc, paths);
                if let Some(i) = analysis::most_significant(out.iter().map(|p| &p.analysed.result))
                {
                    analysed = out[i].analysed;
                }
            }
            runs += 1;
            if let Some(r) = analysed.result {
                let (sig, fav) = judge(&analysed.result, &self.truth);
                let published = (sig && fav) || publish_u < meta.publish_nonsignificant;
                if published {
                    scratch.y.push(r.estimate);
                    scratch.v.push(r.se * r.se);
                    for (out, &f) in scratch.published_levels.iter_mut().zip(&meta.subgroups) {
                        out.push(scratch.levels[f]);
                    }
                    if let (Some(total), Some(safety)) = (harms.as_mut(), &sc.safety) {
                        let counts = draw_safety(safety, self.key, replicate, trial, id.n);
                        *total = total.plus(counts);
                    }
                }
                if let Some(d) = detail.as_mut() {
                    d.push(LiteratureTrial {
                        estimate: r.estimate,
                        se: r.se,
                        ci_low: r.ci_low,
                        ci_high: r.ci_high,
                        n_control,
                        n_treatment,
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
        // With selective publication, the corrections a reviewer would try.
        let corrections = (meta.publish_nonsignificant < 1.0)
            .then_some(pooled)
            .flatten()
            .map(|_| {
                crate::meta::bias::corrections(
                    &scratch.y,
                    &scratch.v,
                    meta.estimator,
                    &truth.crit,
                    sc.analysis.alpha,
                    sc.outcome.s,
                )
            });
        let subgroups = match pooled {
            Some(_) => truth
                .subgroups
                .iter()
                .zip(&scratch.published_levels)
                .map(|(t, of)| subgroup_record(&scratch.y, &scratch.v, of, t, meta, sc))
                .collect(),
            None => Vec::new(),
        };
        MetaRecord {
            pooled,
            trials_run: runs,
            safety: harms,
            corrections,
            subgroups,
        }
    }
}

/// A pooled literature's subgroup analysis by one factor: the levels
/// present among its published trials, and their fit.
#[derive(Debug, Clone, PartialEq)]
pub struct LiteratureSubgroups {
    /// Each published trial's level (an index into the factor's levels).
    pub of: Vec<usize>,
    /// The published trials per level of the factor (in its order).
    pub counts: Vec<usize>,
    /// The levels present (indices into the factor's levels); the fit's
    /// levels are these, in this order.
    pub present: Vec<usize>,
    /// The fit, or why the levels present allow none.
    pub fit: Result<SubgroupFit, NotIdentified>,
}

impl LiteratureSubgroups {
    /// Analyses the published trials `(y, v)` by the factor whose `levels`
    /// levels they are in (`of`: each trial's level; `name`: a level's
    /// name), as the literature is pooled: its estimator and HKSJ setting,
    /// at 1 − alpha.
    pub fn fit(
        y: &[f64],
        v: &[f64],
        of: &[usize],
        levels: usize,
        name: impl Fn(usize) -> String,
        meta: &Meta,
        sc: &Scenario,
    ) -> Self {
        let mut counts = vec![0usize; levels];
        for &j in of {
            counts[j] += 1;
        }
        // The present levels, numbered compactly in the factor's order.
        let present: Vec<usize> = (0..levels).filter(|&j| counts[j] > 0).collect();
        let compact: Vec<usize> = of
            .iter()
            .map(|j| present.binary_search(j).expect("present"))
            .collect();
        let names: Vec<String> = present.iter().map(|&j| name(j)).collect();
        let test = if meta.hartung_knapp {
            Test::Hksj
        } else {
            Test::Wald
        };
        let fit = subgroups(
            y,
            v,
            &compact,
            &names,
            Some(meta.estimator),
            test,
            1.0 - sc.analysis.alpha,
        );
        LiteratureSubgroups {
            of: of.to_vec(),
            counts,
            present,
            fit,
        }
    }

    /// The level a review names best: the most favourable estimate (`s` the
    /// outcome's direction) among the levels present, as an index into the
    /// fit's levels; `None` when the analysis could not be made.
    pub fn best_fitted(&self, s: f64) -> Option<usize> {
        let fit = self.fit.as_ref().ok()?;
        (0..fit.levels.len())
            .max_by(|&a, &b| (s * fit.levels[a].mu).total_cmp(&(s * fit.levels[b].mu)))
    }

    /// [`Self::best_fitted`] as an index into the factor's levels.
    pub fn named_best(&self, s: f64) -> Option<usize> {
        self.best_fitted(s).map(|c| self.present[c])
    }
}

/// One pooled literature's subgroup analysis by one factor
/// ([`crate::metrics::subgroups`] says what each part means).
fn subgroup_record(
    y: &[f64],
    v: &[f64],
    of: &[usize],
    truth: &SubgroupTruth,
    meta: &Meta,
    sc: &Scenario,
) -> SubgroupRecord {
    let analysis =
        LiteratureSubgroups::fit(y, v, of, truth.shifts.len(), |j| j.to_string(), meta, sc);
    // Levels no trial can draw (weight 0) are not missing.
    let levels_missing = analysis
        .counts
        .iter()
        .zip(&truth.drawn)
        .any(|(&c, &drawn)| drawn && c < 2);
    let (Ok(fit), Some(best_compact)) = (&analysis.fit, analysis.best_fitted(sc.outcome.s)) else {
        return SubgroupRecord {
            significant: false,
            best: None,
            levels_missing,
            difference: None,
        };
    };
    let present = &analysis.present;
    // Best versus the rest; the true difference with the same weights.
    let best = present[best_compact];
    let (estimated, _) = fit.versus_rest(best_compact);
    let (rest_truth, _) = fit.rest(best_compact, |c| truth.shifts[present[c]]);
    let true_difference = truth.shifts[best] - rest_truth;
    SubgroupRecord {
        significant: fit.p_value < sc.analysis.alpha,
        best: Some(best),
        levels_missing,
        difference: Some((estimated.abs(), true_difference.abs())),
    }
}
