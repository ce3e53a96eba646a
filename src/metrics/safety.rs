//! The safety group (`[safety]`): what a trial, or a whole simulated
//! literature, can say about harms, one record per replicate.
//!
//! The serious-event metrics read the treatment arm alone, as a safety
//! section does ("no serious adverse event among the 250 treated
//! patients"); the mild-event test compares the arms.

use super::online::{Count, Moments};
use super::{Group, Metric, Metrics};
use crate::analysis::binary::{Alternative, clopper_pearson_upper, fisher_exact};
use crate::simulate::safety::SafetyCounts;
use crate::simulate::{CONTROL, TREATMENT};
use serde::{Deserialize, Serialize};

/// The confidence level of the upper bound on the serious-event rate: the
/// one-sided 95% bound that the rule of three (3/n) approximates.
pub const UPPER_LEVEL: f64 = 0.95;

/// What safety metrics are judged against: fixed for a design point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SafetyTruth {
    /// Level of Fisher's exact test of the mild events (`analysis.alpha`).
    pub alpha: f64,
    /// The serious-event rate a trial should rule out (`safety.rule_out`).
    pub rule_out: f64,
    /// Whether the literature's size is reported (`treated_patients`): in
    /// the literature group, where trial sizes vary.
    pub literature: bool,
    /// True probability that a treated patient has at least one serious event.
    pub serious_treatment: f64,
}

impl SafetyTruth {
    /// The exact probability that `n` treated patients include at least
    /// one with a serious event: `1 − (1 − p)^n`.
    pub fn any_serious(&self, n: usize) -> f64 {
        1.0 - (1.0 - self.serious_treatment).powf(n as f64)
    }
}

/// Running safety metrics of one design point (a trial, or a literature's
/// published trials taken together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SafetyAccumulator {
    any: Count,
    rate: Moments,
    upper: Moments,
    ruled_out: Count,
    mild_significant: Count,
    treated: Moments,
}

impl Group for SafetyAccumulator {
    type Record = SafetyCounts;
    type Truth = SafetyTruth;
    type Output = Metrics;

    fn add(&mut self, counts: &SafetyCounts, truth: &SafetyTruth) {
        let (x, n) = (counts.serious[TREATMENT], counts.n[TREATMENT]);
        self.treated.add(n as f64);
        // Over every replicate: a literature with no published treated
        // patient has seen no event and ruled nothing out. The rate and
        // its bound exist only where there are patients.
        self.any.add(x > 0);
        if n > 0 {
            self.rate.add(x as f64 / n as f64);
            let upper = clopper_pearson_upper(x, n, UPPER_LEVEL);
            self.upper.add(upper);
            self.ruled_out.add(upper < truth.rule_out);
        } else {
            self.ruled_out.add(false);
        }
        let p = fisher_exact(
            counts.mild[TREATMENT],
            counts.n[TREATMENT],
            counts.mild[CONTROL],
            counts.n[CONTROL],
            Alternative::TwoSided,
        );
        self.mild_significant.add(p <= truth.alpha);
    }

    fn merge(&mut self, o: &SafetyAccumulator) {
        self.any.merge(&o.any);
        self.rate.merge(&o.rate);
        self.upper.merge(&o.upper);
        self.ruled_out.merge(&o.ruled_out);
        self.mild_significant.merge(&o.mild_significant);
        self.treated.merge(&o.treated);
    }

    fn finish(&self, truth: &SafetyTruth) -> Metrics {
        let mut metrics = vec![
            (Metric::SaeAnyTreatment, self.any.estimate()),
            (Metric::SaeRateTreatment, self.rate.mean_estimate(0.0, 1.0)),
            (
                Metric::SaeUpper95Treatment,
                self.upper.mean_estimate(0.0, 1.0),
            ),
            (Metric::SaeRuledOut, self.ruled_out.estimate()),
            (Metric::MildAePower, self.mild_significant.estimate()),
        ];
        if truth.literature {
            metrics.push((
                Metric::TreatedPatients,
                self.treated.mean_estimate(0.0, 1.0),
            ));
        }
        Metrics(metrics)
    }
}
