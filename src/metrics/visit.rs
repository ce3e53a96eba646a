//! The per-visit group: power, favourable power and the estimates at every
//! visit (when `analysis.by_visit`), one record per (replicate, visit).

use super::online::{Count, Moments};
use super::trial::{Truth, judge};
use super::{Group, Metric, Metrics};
use crate::analysis::Analysed;
use serde::{Deserialize, Serialize};

/// One visit's running metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitAccumulator {
    power: Count,
    power_favourable: Count,
    estimate: Moments,
}

/// Results at one visit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitMetrics {
    /// Visit month.
    pub month: f64,
    /// `theta(t)` at this visit.
    pub theta: f64,
    /// `power`, `power_favourable`, `mean_estimate`, `bias`.
    pub metrics: Metrics,
}

/// Running per-visit metrics: one slot per visit (none when by-visit
/// results are off).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VisitsAccumulator(Vec<VisitAccumulator>);

impl VisitsAccumulator {
    /// Empty slots for `visits` visits.
    pub fn new(visits: usize) -> Self {
        VisitsAccumulator(vec![VisitAccumulator::default(); visits])
    }
}

/// One replicate's analysis at visit index `.0`.
pub type VisitRecord = (usize, Analysed);

impl Group for VisitsAccumulator {
    type Record = VisitRecord;
    type Truth = Truth;
    type Output = Vec<VisitMetrics>;

    fn add(&mut self, &(k, analysed): &VisitRecord, truth: &Truth) {
        let (sig, fav) = judge(&analysed.result, truth);
        let v = &mut self.0[k];
        v.power.add(sig);
        v.power_favourable.add(sig && fav);
        if let Some(r) = analysed.result {
            v.estimate.add(r.estimate);
        }
    }

    fn merge(&mut self, o: &Self) {
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            a.power.merge(&b.power);
            a.power_favourable.merge(&b.power_favourable);
            a.estimate.merge(&b.estimate);
        }
    }

    fn finish(&self, truth: &Truth) -> Vec<VisitMetrics> {
        self.0
            .iter()
            .zip(&truth.months)
            .zip(&truth.theta_by_visit)
            .map(|((v, &month), &theta)| VisitMetrics {
                month,
                theta,
                metrics: Metrics(vec![
                    (Metric::Power, v.power.estimate()),
                    (Metric::PowerFavourable, v.power_favourable.estimate()),
                    (Metric::MeanEstimate, v.estimate.mean_estimate(0.0, 1.0)),
                    (Metric::Bias, v.estimate.mean_estimate(theta, 1.0)),
                ]),
            })
            .collect()
    }
}
