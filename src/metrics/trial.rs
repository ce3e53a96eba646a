//! The trial group: the metrics of MODEL.md §3 at the primary visit, one
//! record per replicate.

use super::online::{Count, Moments, PairMoments};
use super::{Estimate, Group, Metric, Metrics};
use crate::analysis::mmrm::Structure;
use crate::analysis::{Analysed, FitDiagnostics, MmrmOutcome, TestResult};
use crate::scenario::Hypothesis;
use serde::{Deserialize, Serialize};

/// What the metrics are judged against: fixed for a design point.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// Direction `s` (MODEL.md §0).
    pub s: f64,
    /// Significance level.
    pub alpha: f64,
    /// What each trial sets out to show: under non-inferiority and
    /// equivalence the Gelman–Carlin errors and the MCID claims are not
    /// applicable (see [`TrialAccumulator`]).
    pub hypothesis: Hypothesis,
    /// Population truth `theta(t*)`.
    pub theta: f64,
    /// Whether `theta_j(t*)` varies between settings (decided exactly, see
    /// `Heterogeneity::effect_varies`).
    /// When it does not, every `theta_j(t*)` is `theta`.
    pub theta_varies: bool,
    /// Visit months.
    pub months: Vec<f64>,
    /// `theta(t)` per visit.
    pub theta_by_visit: Vec<f64>,
    /// MCID, if any.
    pub mcid: Option<f64>,
    /// Whether replication trials are simulated.
    pub replication: bool,
    /// Randomised patients per arm, `[control, treatment]`.
    pub n_arm: [usize; 2],
    /// What safety metrics are judged against, with `[safety]`.
    pub safety: Option<super::SafetyTruth>,
    /// The true responder rates, with `[responder_endpoint]`.
    pub responder: Option<super::ResponderTruth>,
}

/// What one replicate contributes at the primary visit.
#[derive(Debug, Clone, Copy)]
pub struct PrimaryRecord {
    /// The analysis at `t*`.
    pub analysed: Analysed,
    /// The trial's own `theta_j(t*)`.
    pub theta_trial: f64,
    /// The trial's own `theta_j(t_V)` (last visit).
    pub theta_trial_last: f64,
    /// Patients observed at `t*`, `[control, treatment]`.
    pub completers: [usize; 2],
    /// Whether the replication trial was significant and favourable (when simulated).
    pub replication: Option<bool>,
    /// How the trial's fit went.
    pub diagnostics: FitDiagnostics,
}

/// Whether a result is significant at `alpha`, and whether it is favourable.
/// Under non-inferiority and equivalence "significant" is the trial's claim,
/// and the claim is the favourable outcome whatever the estimate's sign (a
/// one-sided test has only the one favourable side, as with `sided =
/// "one"`): such a trial is "positive" — published, replicated — when it
/// makes its claim.
#[inline]
pub fn judge(result: &Option<TestResult>, truth: &Truth) -> (bool, bool) {
    match result {
        Some(r) if r.significant => (
            true,
            !truth.hypothesis.is_superiority() || truth.s * r.estimate > 0.0,
        ),
        _ => (false, false),
    }
}

/// Running primary-visit metrics of one design point.
///
/// Under non-inferiority and equivalence (MODEL.md §2) `power` is the
/// probability of the claim and `power_favourable` equals it (the claim is
/// one-sided); type S and M (against `theta` and `theta_j`), `mcid_claim`,
/// `claim_true` and `durable` are not applicable — they judge a
/// significant difference from 0 in the favourable direction, which these
/// trials do not claim — and are reported undefined (`n` 0); every other
/// metric (bias, RMSE, coverage of the 1 − 2·alpha interval, `true_mcid`,
/// replication of the claim, …) is defined as for superiority.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrialAccumulator {
    power: Count,
    power_favourable: Count,
    not_estimable: Count,
    type_s: Count,
    type_m: Moments,
    type_s_trial: Count,
    type_m_trial: PairMoments,
    error: Moments,
    squared_error: Moments,
    coverage: Count,
    coverage_trial: Count,
    mcid_claim: Count,
    true_mcid: Count,
    claim_true: Count,
    durable: Count,
    replication_same: Count,
    completers: [Moments; 2],
    dropout: [Moments; 2],
    /// Half-widths of the reported intervals (absent from shard files of
    /// earlier versions, hence the default).
    #[serde(default)]
    ci_halfwidth: Moments,
    /// MMRM trials only: fallbacks and failures (absent otherwise, so other
    /// methods' shard files and summaries are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mmrm: Option<MmrmCounts>,
}

/// How an MMRM design point's fits went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct MmrmCounts {
    fallback: Count,
    failed: Count,
}

impl TrialAccumulator {
    /// The current estimate of power (0 when empty).
    pub fn power_estimate(&self) -> f64 {
        if self.power.n == 0 {
            0.0
        } else {
            self.power.hits as f64 / self.power.n as f64
        }
    }
}

impl Group for TrialAccumulator {
    type Record = PrimaryRecord;
    type Truth = Truth;
    type Output = Metrics;

    fn add(&mut self, rec: &PrimaryRecord, truth: &Truth) {
        let (sig, fav) = judge(&rec.analysed.result, truth);
        self.power.add(sig);
        self.power_favourable.add(sig && fav);
        self.not_estimable.add(rec.analysed.result.is_none());
        if let Some(outcome) = rec.diagnostics.mmrm {
            let counts = self.mmrm.get_or_insert_default();
            counts.fallback.add(matches!(
                outcome,
                MmrmOutcome::Fitted(s) if s != Structure::Unstructured
            ));
            counts.failed.add(outcome == MmrmOutcome::Failed);
        }
        for arm in 0..2 {
            let n = truth.n_arm[arm] as f64;
            self.completers[arm].add(rec.completers[arm] as f64);
            self.dropout[arm].add((n - rec.completers[arm] as f64) / n);
        }
        let superiority = truth.hypothesis.is_superiority();
        if let Some(m) = truth.mcid {
            let reaches = |x: f64| truth.s * x >= m;
            self.true_mcid.add(reaches(rec.theta_trial));
            if sig && fav && superiority {
                self.durable.add(reaches(rec.theta_trial_last));
            }
        }
        if let (Some(rep), true) = (rec.replication, sig && fav) {
            self.replication_same.add(rep);
        }
        let Some(r) = rec.analysed.result else {
            if truth.mcid.is_some() && superiority {
                self.mcid_claim.add(false);
            }
            return;
        };
        self.ci_halfwidth.add(0.5 * (r.ci_high - r.ci_low));
        let err = r.estimate - truth.theta;
        self.error.add(err);
        self.squared_error.add(err * err);
        self.coverage
            .add(r.ci_low <= truth.theta && truth.theta <= r.ci_high);
        self.coverage_trial
            .add(r.ci_low <= rec.theta_trial && rec.theta_trial <= r.ci_high);
        if let (Some(m), true) = (truth.mcid, superiority) {
            let claim = sig && fav && truth.s * r.estimate >= m;
            self.mcid_claim.add(claim);
            if claim {
                self.claim_true.add(truth.s * rec.theta_trial >= m);
            }
        }
        if sig && superiority {
            if truth.theta != 0.0 {
                self.type_s.add(r.estimate * truth.theta <= 0.0);
                self.type_m.add(r.estimate.abs());
            }
            // sign(0) differs from any estimate's sign: a significant trial
            // from a setting with no effect is a sign error too (undefined
            // only when theta_j is 0 in every setting; see `finish`).
            self.type_s_trial.add(r.estimate * rec.theta_trial <= 0.0);
            self.type_m_trial
                .add(r.estimate.abs(), rec.theta_trial.abs());
        }
    }

    fn merge(&mut self, o: &Self) {
        self.power.merge(&o.power);
        self.power_favourable.merge(&o.power_favourable);
        self.not_estimable.merge(&o.not_estimable);
        match (&mut self.mmrm, &o.mmrm) {
            (Some(a), Some(b)) => {
                a.fallback.merge(&b.fallback);
                a.failed.merge(&b.failed);
            }
            (None, Some(b)) => self.mmrm = Some(b.clone()),
            _ => {}
        }
        self.type_s.merge(&o.type_s);
        self.type_m.merge(&o.type_m);
        self.type_s_trial.merge(&o.type_s_trial);
        self.type_m_trial.merge(&o.type_m_trial);
        self.error.merge(&o.error);
        self.squared_error.merge(&o.squared_error);
        self.coverage.merge(&o.coverage);
        self.coverage_trial.merge(&o.coverage_trial);
        self.mcid_claim.merge(&o.mcid_claim);
        self.true_mcid.merge(&o.true_mcid);
        self.claim_true.merge(&o.claim_true);
        self.durable.merge(&o.durable);
        self.replication_same.merge(&o.replication_same);
        self.ci_halfwidth.merge(&o.ci_halfwidth);
        for arm in 0..2 {
            self.completers[arm].merge(&o.completers[arm]);
            self.dropout[arm].merge(&o.dropout[arm]);
        }
    }

    fn finish(&self, truth: &Truth) -> Metrics {
        let abs_theta = truth.theta.abs();
        let superiority = truth.hypothesis.is_superiority();
        let type_s = if truth.theta != 0.0 && superiority {
            self.type_s.estimate()
        } else {
            Estimate::UNDEFINED
        };
        let type_m = if truth.theta != 0.0 && superiority {
            self.type_m.mean_estimate(0.0, 1.0 / abs_theta)
        } else {
            Estimate::UNDEFINED
        };
        let rmse = self.squared_error.root_mean_estimate();
        let mcid_of = |c: &Count, applies: bool| {
            if truth.mcid.is_some() && applies {
                c.estimate()
            } else {
                Estimate::UNDEFINED
            }
        };
        // The claim-based MCID metrics need a superiority claim; the share
        // of settings with an important benefit does not.
        let mcid = |c: &Count| mcid_of(c, superiority);
        let (replication_same, replication_new) = if truth.replication {
            (
                self.replication_same.estimate(),
                self.power_favourable.estimate(),
            )
        } else {
            (Estimate::UNDEFINED, Estimate::UNDEFINED)
        };
        // Against theta_j that is 0 in every setting, a sign error is as
        // undefined as `type_s` against theta = 0 (MODEL.md §3: the two are
        // equal when theta_j does not vary). Where theta_j varies, a
        // significant trial from a setting whose own theta_j is 0 counts as a
        // sign error (see `add_primary`).
        let type_s_trial = if superiority && (truth.theta_varies || truth.theta != 0.0) {
            self.type_s_trial.estimate()
        } else {
            Estimate::UNDEFINED
        };
        let mut metrics = vec![
            (Metric::Power, self.power.estimate()),
            (Metric::PowerFavourable, self.power_favourable.estimate()),
            (Metric::TypeS, type_s),
            (Metric::TypeM, type_m),
            (Metric::TypeSTrial, type_s_trial),
            // Empty (undefined) where not applicable: `add` skips it.
            (Metric::TypeMTrial, self.type_m_trial.ratio()),
            (Metric::Bias, self.error.mean_estimate(0.0, 1.0)),
            (Metric::Rmse, rmse),
            (Metric::Coverage, self.coverage.estimate()),
            (Metric::CoverageTrial, self.coverage_trial.estimate()),
            (Metric::McidClaim, mcid(&self.mcid_claim)),
            (Metric::TrueMcid, mcid_of(&self.true_mcid, true)),
            (Metric::ClaimTrue, mcid(&self.claim_true)),
            (Metric::Durable, mcid(&self.durable)),
            (Metric::ReplicationSame, replication_same),
            (Metric::ReplicationNew, replication_new),
            (
                Metric::CompletersControl,
                self.completers[0].mean_estimate(0.0, 1.0),
            ),
            (
                Metric::CompletersTreatment,
                self.completers[1].mean_estimate(0.0, 1.0),
            ),
            (
                Metric::DropoutControl,
                self.dropout[0].mean_estimate(0.0, 1.0),
            ),
            (
                Metric::DropoutTreatment,
                self.dropout[1].mean_estimate(0.0, 1.0),
            ),
            (Metric::NotEstimable, self.not_estimable.estimate()),
            (
                Metric::CiHalfwidth,
                self.ci_halfwidth.mean_estimate(0.0, 1.0),
            ),
        ];
        if let Some(m) = &self.mmrm {
            metrics.push((Metric::MmrmFallback, m.fallback.estimate()));
            metrics.push((Metric::MmrmFailed, m.failed.estimate()));
        }
        Metrics(metrics)
    }
}
