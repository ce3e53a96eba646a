//! The responder group (`[responder_endpoint]`): how the dichotomised
//! analysis of each trial behaves against the true responder rates.
//!
//! Denominators as for the continuous metrics (MODEL.md §3): power over
//! every replicate (a trial with an empty arm counting as not
//! significant), coverage and the rates over the analysable ones, Type S
//! and M over the significant ones.

use super::online::{Count, Moments};
use super::{Group, Metric, Metrics};
use crate::analysis::responder::{ResponderCounts, ResponderResult};
use crate::simulate::{CONTROL, TREATMENT};
use serde::{Deserialize, Serialize};

/// The true responder rates of a design point, `[control, treatment]`
/// (MODEL.md §3), from the truth simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponderTruth {
    /// True responder rate per arm.
    pub rate: [f64; 2],
    /// Monte Carlo SE of the true risk difference (it is simulated).
    pub mc_se: f64,
}

impl ResponderTruth {
    /// The true risk difference, treatment − control.
    pub fn difference(&self) -> f64 {
        self.rate[TREATMENT] - self.rate[CONTROL]
    }
}

/// One replicate's responder analysis: the counts, and the analysis when
/// both arms have someone in the denominator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponderRecord {
    /// Responders and denominators per arm.
    pub counts: ResponderCounts,
    /// Risk difference, interval and Fisher test.
    pub result: Option<ResponderResult>,
}

/// Running responder metrics of one design point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponderAccumulator {
    power: Count,
    type_s: Count,
    type_m: Moments,
    coverage: Count,
    rate: [Moments; 2],
}

impl Group for ResponderAccumulator {
    type Record = ResponderRecord;
    type Truth = ResponderTruth;
    type Output = Metrics;

    fn add(&mut self, rec: &ResponderRecord, truth: &ResponderTruth) {
        let Some(r) = rec.result else {
            self.power.add(false);
            return;
        };
        for arm in [CONTROL, TREATMENT] {
            if let Some(rate) = rec.counts.rate(arm) {
                self.rate[arm].add(rate);
            }
        }
        let d = truth.difference();
        self.power.add(r.significant);
        self.coverage.add(r.ci.0 <= d && d <= r.ci.1);
        if r.significant && d != 0.0 {
            self.type_s.add(r.difference * d <= 0.0);
            self.type_m.add(r.difference.abs());
        }
    }

    fn merge(&mut self, o: &ResponderAccumulator) {
        self.power.merge(&o.power);
        self.type_s.merge(&o.type_s);
        self.type_m.merge(&o.type_m);
        self.coverage.merge(&o.coverage);
        for arm in [CONTROL, TREATMENT] {
            self.rate[arm].merge(&o.rate[arm]);
        }
    }

    fn finish(&self, truth: &ResponderTruth) -> Metrics {
        let d = truth.difference().abs();
        // Undefined (n = 0) when the true difference is 0, as type_s/type_m.
        let type_m = if d > 0.0 {
            self.type_m.mean_estimate(0.0, 1.0 / d)
        } else {
            super::Estimate::UNDEFINED
        };
        Metrics(vec![
            (Metric::ResponderPower, self.power.estimate()),
            (Metric::ResponderTypeS, self.type_s.estimate()),
            (Metric::ResponderTypeM, type_m),
            (Metric::ResponderCoverage, self.coverage.estimate()),
            (
                Metric::ResponderRateControl,
                self.rate[CONTROL].mean_estimate(0.0, 1.0),
            ),
            (
                Metric::ResponderRateTreatment,
                self.rate[TREATMENT].mean_estimate(0.0, 1.0),
            ),
        ])
    }
}
