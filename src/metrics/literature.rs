//! The literature group: metrics of the simulated meta-analyses (MODEL.md
//! §4), one record per meta-replicate.

use super::online::{Count, Moments};
use super::{Estimate, Group, Metric, Metrics, SafetyAccumulator};
use serde::{Deserialize, Serialize};

/// What meta-analysis metrics are judged against (MODEL.md §4).
#[derive(Debug, Clone, PartialEq)]
pub struct MetaTruth {
    /// Direction `s`.
    pub s: f64,
    /// Population truth `theta(t*)`.
    pub theta: f64,
    /// True between-trial variance `Var(theta_j(t*))` (bias `B_j` excluded).
    pub tau2: f64,
    /// MCID, if any.
    pub mcid: Option<f64>,
    /// Whether significance uses the HKSJ CI.
    pub hartung_knapp: bool,
    /// Critical values for K trials at level `1 − alpha`.
    pub crit: crate::meta::Criticals,
    /// What the literature's safety metrics are judged against, with `[safety]`.
    pub safety: Option<super::SafetyTruth>,
    /// Per factor of `meta_analysis.subgroups`, what its subgroup metrics
    /// are judged against.
    pub subgroups: Vec<super::SubgroupTruth>,
}

/// What one meta-replicate contributes.
#[derive(Debug, Clone)]
pub struct MetaRecord {
    /// The pooled result, `None` when K trials could not be published.
    pub pooled: Option<crate::meta::Pooled>,
    /// Trials simulated to get K published.
    pub trials_run: usize,
    /// The published trials' adverse events added up, with `[safety]`.
    pub safety: Option<crate::simulate::safety::SafetyCounts>,
    /// The publication-bias corrections of the pooled literature (with
    /// `publish_nonsignificant < 1`; `None` when it could not be pooled).
    pub corrections: Option<crate::meta::bias::Corrections>,
    /// Per factor of `meta_analysis.subgroups`, the pooled literature's
    /// subgroup analysis (empty when it could not be pooled).
    pub subgroups: Vec<super::SubgroupRecord>,
}

/// How one estimator of the true mean effect fares over the literatures:
/// its errors, whether its interval covers, and how often it failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct EstimatorRecord {
    error: Moments,
    squared_error: Moments,
    coverage: Count,
    failed: Count,
}

impl EstimatorRecord {
    fn add(&mut self, c: Option<crate::meta::bias::Corrected>, theta: f64) {
        self.failed.add(c.is_none());
        if let Some(c) = c {
            let e = c.mu - theta;
            self.error.add(e);
            self.squared_error.add(e * e);
            self.coverage.add(c.ci_low <= theta && theta <= c.ci_high);
        }
    }

    fn merge(&mut self, o: &Self) {
        self.error.merge(&o.error);
        self.squared_error.merge(&o.squared_error);
        self.coverage.merge(&o.coverage);
        self.failed.merge(&o.failed);
    }

    /// Bias, RMSE (delta-method SE) and coverage.
    fn finish(&self) -> [Estimate; 3] {
        [
            self.error.mean_estimate(0.0, 1.0),
            self.squared_error.root_mean_estimate(),
            self.coverage.estimate(),
        ]
    }
}

/// The naive pooled estimate and the publication-bias corrections
/// (issue #22), over the literatures that could be pooled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct CorrectionsAccumulator {
    naive: EstimatorRecord,
    trimfill: EstimatorRecord,
    pet_peese: EstimatorRecord,
    selection: EstimatorRecord,
}

/// Running meta-analysis metrics of one design point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetaAccumulator {
    significant: Count,
    coverage: Count,
    coverage_hksj: Count,
    error: Moments,
    i2: Moments,
    i2_tau: Moments,
    tau2: Moments,
    tau2_error: Moments,
    pi_excludes_zero: Count,
    significant_pi_includes_zero: Count,
    beyond_mcid: Count,
    type_s: Count,
    type_m: Moments,
    egger_detects: Count,
    trials_run: Moments,
    nonconverged: Count,
    not_estimable: Count,
    /// The published literature's adverse events, with `[safety]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    safety: Option<SafetyAccumulator>,
    /// The corrections for publication bias, with
    /// `publish_nonsignificant < 1` (absent otherwise, so other scenarios'
    /// states are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    corrections: Option<CorrectionsAccumulator>,
    /// Per factor of `meta_analysis.subgroups` (absent without, so other
    /// scenarios' states are unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    subgroups: Vec<super::SubgroupAccumulator>,
}

impl MetaAccumulator {
    /// An empty accumulator, following adverse events if `safety`, the
    /// publication-bias corrections if `corrections`, and the subgroup
    /// analyses of `subgroups` factors.
    pub fn new(safety: bool, corrections: bool, subgroups: usize) -> Self {
        MetaAccumulator {
            safety: safety.then(SafetyAccumulator::default),
            corrections: corrections.then(CorrectionsAccumulator::default),
            subgroups: vec![super::SubgroupAccumulator::default(); subgroups],
            ..MetaAccumulator::default()
        }
    }

    /// Per factor of `meta_analysis.subgroups`, its name and subgroup
    /// metrics (empty without).
    pub fn subgroup_metrics(&self, truth: &MetaTruth) -> Vec<super::FactorMetrics> {
        self.subgroups
            .iter()
            .zip(&truth.subgroups)
            .map(|(acc, t)| acc.finish(t))
            .collect()
    }
}

impl Group for MetaAccumulator {
    type Record = MetaRecord;
    type Truth = MetaTruth;
    type Output = Metrics;

    fn add(&mut self, rec: &MetaRecord, truth: &MetaTruth) {
        self.trials_run.add(rec.trials_run as f64);
        // Whether or not K trials were published and pooled: their harms
        // are what the literature reports.
        if let (Some(acc), Some(counts), Some(t)) = (&mut self.safety, &rec.safety, &truth.safety) {
            acc.add(counts, t);
        }
        self.not_estimable.add(rec.pooled.is_none());
        if let (Some(acc), Some(p), Some(c)) = (&mut self.corrections, rec.pooled, rec.corrections)
        {
            let (lo, hi) = if truth.hartung_knapp {
                (p.ci_low_hksj, p.ci_high_hksj)
            } else {
                (p.ci_low, p.ci_high)
            };
            let naive = crate::meta::bias::Corrected {
                mu: p.mu,
                ci_low: lo,
                ci_high: hi,
            };
            acc.naive.add(Some(naive), truth.theta);
            acc.trimfill.add(c.trimfill, truth.theta);
            acc.pet_peese.add(c.pet_peese, truth.theta);
            acc.selection.add(c.selection, truth.theta);
        }
        for ((acc, r), t) in self
            .subgroups
            .iter_mut()
            .zip(&rec.subgroups)
            .zip(&truth.subgroups)
        {
            acc.add(r, t);
        }
        let Some(p) = rec.pooled else {
            self.significant.add(false);
            return;
        };
        let (lo, hi) = if truth.hartung_knapp {
            (p.ci_low_hksj, p.ci_high_hksj)
        } else {
            (p.ci_low, p.ci_high)
        };
        let sig = lo > 0.0 || hi < 0.0;
        self.significant.add(sig);
        self.coverage
            .add(p.ci_low <= truth.theta && truth.theta <= p.ci_high);
        self.coverage_hksj
            .add(p.ci_low_hksj <= truth.theta && truth.theta <= p.ci_high_hksj);
        self.error.add(p.mu - truth.theta);
        self.i2.add(p.i2);
        self.i2_tau.add(p.i2_tau);
        self.tau2.add(p.tau2);
        self.tau2_error.add(p.tau2 - truth.tau2);
        self.nonconverged.add(!p.converged);
        if p.k >= 3 {
            let excludes = p.pi_low > 0.0 || p.pi_high < 0.0;
            self.pi_excludes_zero.add(excludes);
            self.significant_pi_includes_zero.add(sig && !excludes);
            if p.egger_t.is_finite() {
                self.egger_detects.add(p.egger_t.abs() > truth.crit.t_egger);
            }
        }
        if let Some(m) = truth.mcid {
            self.beyond_mcid.add(truth.s * p.mu >= m);
        }
        if sig && truth.theta != 0.0 {
            self.type_s.add(p.mu * truth.theta <= 0.0);
            self.type_m.add(p.mu.abs());
        }
    }

    fn merge(&mut self, o: &MetaAccumulator) {
        self.significant.merge(&o.significant);
        self.coverage.merge(&o.coverage);
        self.coverage_hksj.merge(&o.coverage_hksj);
        self.error.merge(&o.error);
        self.i2.merge(&o.i2);
        self.i2_tau.merge(&o.i2_tau);
        self.tau2.merge(&o.tau2);
        self.tau2_error.merge(&o.tau2_error);
        self.pi_excludes_zero.merge(&o.pi_excludes_zero);
        self.significant_pi_includes_zero
            .merge(&o.significant_pi_includes_zero);
        self.beyond_mcid.merge(&o.beyond_mcid);
        self.type_s.merge(&o.type_s);
        self.type_m.merge(&o.type_m);
        self.egger_detects.merge(&o.egger_detects);
        self.trials_run.merge(&o.trials_run);
        self.nonconverged.merge(&o.nonconverged);
        self.not_estimable.merge(&o.not_estimable);
        if let (Some(a), Some(b)) = (self.safety.as_mut(), o.safety.as_ref()) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (self.corrections.as_mut(), o.corrections.as_ref()) {
            a.naive.merge(&b.naive);
            a.trimfill.merge(&b.trimfill);
            a.pet_peese.merge(&b.pet_peese);
            a.selection.merge(&b.selection);
        }
        for (a, b) in self.subgroups.iter_mut().zip(&o.subgroups) {
            a.merge(b);
        }
    }

    /// The meta metrics of MODEL.md §4, in a fixed order.
    fn finish(&self, truth: &MetaTruth) -> Metrics {
        let defined = |ok: bool, e: Estimate| if ok { e } else { Estimate::UNDEFINED };
        let nonzero = truth.theta != 0.0;
        let mut metrics = Metrics(vec![
            (Metric::Significant, self.significant.estimate()),
            (Metric::Coverage, self.coverage.estimate()),
            (Metric::CoverageHksj, self.coverage_hksj.estimate()),
            (Metric::Bias, self.error.mean_estimate(0.0, 1.0)),
            (Metric::I2, self.i2.mean_estimate(0.0, 1.0)),
            (Metric::I2Tau, self.i2_tau.mean_estimate(0.0, 1.0)),
            (Metric::Tau2, self.tau2.mean_estimate(0.0, 1.0)),
            (Metric::Tau2Bias, self.tau2_error.mean_estimate(0.0, 1.0)),
            (Metric::PiExcludesZero, self.pi_excludes_zero.estimate()),
            (
                Metric::SignificantPiIncludesZero,
                self.significant_pi_includes_zero.estimate(),
            ),
            (
                Metric::BeyondMcid,
                defined(truth.mcid.is_some(), self.beyond_mcid.estimate()),
            ),
            (Metric::TypeS, defined(nonzero, self.type_s.estimate())),
            (
                Metric::TypeM,
                defined(
                    nonzero,
                    self.type_m
                        .mean_estimate(0.0, 1.0 / truth.theta.abs().max(f64::MIN_POSITIVE)),
                ),
            ),
            (Metric::EggerDetects, self.egger_detects.estimate()),
            (Metric::TrialsRun, self.trials_run.mean_estimate(0.0, 1.0)),
            (Metric::Nonconverged, self.nonconverged.estimate()),
            (Metric::NotEstimable, self.not_estimable.estimate()),
        ]);
        if let (Some(acc), Some(t)) = (&self.safety, &truth.safety) {
            metrics.0.extend(acc.finish(t).0);
        }
        if let Some(c) = &self.corrections {
            let [b, r, cov] = c.naive.finish();
            metrics.0.extend([
                (Metric::MetaBiasNaive, b),
                (Metric::MetaRmseNaive, r),
                (Metric::MetaCoverageNaive, cov),
            ]);
            for (record, [bias, rmse, coverage, failed]) in [
                (
                    &c.trimfill,
                    [
                        Metric::MetaBiasTrimfill,
                        Metric::MetaRmseTrimfill,
                        Metric::MetaCoverageTrimfill,
                        Metric::MetaFailedTrimfill,
                    ],
                ),
                (
                    &c.pet_peese,
                    [
                        Metric::MetaBiasPetPeese,
                        Metric::MetaRmsePetPeese,
                        Metric::MetaCoveragePetPeese,
                        Metric::MetaFailedPetPeese,
                    ],
                ),
                (
                    &c.selection,
                    [
                        Metric::MetaBiasSelection,
                        Metric::MetaRmseSelection,
                        Metric::MetaCoverageSelection,
                        Metric::MetaFailedSelection,
                    ],
                ),
            ] {
                let [b, r, cov] = record.finish();
                metrics.0.extend([
                    (bias, b),
                    (rmse, r),
                    (coverage, cov),
                    (failed, record.failed.estimate()),
                ]);
            }
        }
        metrics
    }
}
