//! The responder analysis of one trial (`[responder_endpoint]`): who
//! responds at the primary visit, and the risk difference of the arms.
//!
//! - A patient responds when the improvement from baseline `s·(Y_t* − Y_0)`
//!   is at least `min_points` and at least `min_percent`% of the room for
//!   improvement `s·(best − Y_0)`, on the measured values (after clamping
//!   and rounding), as an analyst would. Comparisons allow 1e-9 of the
//!   scale's magnitude, so that a decimal `resolution` (0.1) does not turn
//!   an improvement of exactly 2.0 into 1.9999999999999996.
//! - A patient missing at the primary visit is a non-responder
//!   (`missing_as_nonresponse = true`, the composite estimand: every
//!   randomised patient is in the denominator) or left out (complete case).
//! - The estimate is the risk difference, treatment − control, with
//!   Newcombe's hybrid score interval; significance is Fisher's exact test,
//!   two-sided as R's `fisher.test`, or one-sided in the favourable
//!   direction (more responders on treatment) with `sided = "one"`, where
//!   the interval is the two-sided `1 − 2·alpha` one (as for the
//!   continuous analysis). The test and the interval are different
//!   procedures and can disagree at the margin: a significant Fisher test
//!   beside an interval that touches 0, or the reverse.

use super::binary::{Alternative, fisher_exact, newcombe_interval};
use crate::scenario::{Analysis, Responder, Sided};
use crate::simulate::{CONTROL, TREATMENT, TrialData};

/// One trial's responders, per arm `[control, treatment]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponderCounts {
    /// Patients in the denominator: every randomised patient with
    /// `missing_as_nonresponse`, else those observed at the primary visit.
    pub n: [u64; 2],
    /// Responders.
    pub responders: [u64; 2],
}

impl ResponderCounts {
    /// The observed responder rate of `arm`, if it has anyone.
    pub fn rate(&self, arm: usize) -> Option<f64> {
        (self.n[arm] > 0).then(|| self.responders[arm] as f64 / self.n[arm] as f64)
    }
}

/// Whether a patient with measured baseline `y0` and primary value `yt`
/// responds; `s` is the scale's direction (−1 when lower is better).
pub fn responds(r: &Responder, s: f64, y0: f64, yt: f64) -> bool {
    let improvement = s * (yt - y0);
    let room = s * (r.best - y0);
    let tolerance = 1e-9 * y0.abs().max(r.best.abs()).max(1.0);
    improvement >= r.min_points - tolerance
        && improvement >= r.min_percent / 100.0 * room - tolerance
}

/// Counts each arm's responders at visit `primary` of a simulated trial.
pub fn count_responders(
    data: &TrialData,
    primary: usize,
    r: &Responder,
    s: f64,
) -> ResponderCounts {
    let mut counts = ResponderCounts::default();
    for arm in [CONTROL, TREATMENT] {
        for i in data.arm(arm) {
            let observed = data.observed[i] > primary;
            if observed || r.missing_as_nonresponse {
                counts.n[arm] += 1;
            }
            if observed && responds(r, s, data.baseline[i], data.value(i, primary)) {
                counts.responders[arm] += 1;
            }
        }
    }
    counts
}

/// The responder analysis of one trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponderResult {
    /// Risk difference, treatment − control.
    pub difference: f64,
    /// Newcombe's interval for it, at `1 − alpha` (two-sided) or
    /// `1 − 2·alpha` (one-sided).
    pub ci: (f64, f64),
    /// Fisher's exact p-value.
    pub p: f64,
    /// Whether `p ≤ alpha`.
    pub significant: bool,
}

/// Analyses a trial's responder counts; `None` when an arm has nobody in
/// its denominator (everyone missing, complete case).
pub fn analyse_responders(c: &ResponderCounts, a: &Analysis) -> Option<ResponderResult> {
    let [nc, nt] = c.n;
    let [xc, xt] = c.responders;
    if nc == 0 || nt == 0 {
        return None;
    }
    let (alternative, level) = match a.sided {
        Sided::Two => (Alternative::TwoSided, 1.0 - a.alpha),
        Sided::One => (Alternative::Greater, 1.0 - 2.0 * a.alpha),
    };
    let p = fisher_exact(xt, nt, xc, nc, alternative);
    Some(ResponderResult {
        difference: xt as f64 / nt as f64 - xc as f64 / nc as f64,
        ci: newcombe_interval(xt, nt, xc, nc, level),
        p,
        // An exact test rejects at p ≤ alpha (a p-value can equal alpha).
        significant: p <= a.alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(min_points: f64, min_percent: f64) -> Responder {
        Responder {
            min_points,
            min_percent,
            missing_as_nonresponse: true,
            best: 0.0,
        }
    }

    #[test]
    fn omeract_oarsi_high_improvement_on_a_0_100_pain_scale() {
        // ≥ 20 points and ≥ 50% of the baseline (lower is better, best 0).
        let r = criterion(20.0, 50.0);
        assert!(responds(&r, -1.0, 60.0, 30.0)); // 30 points, 50%
        assert!(!responds(&r, -1.0, 60.0, 31.0)); // 29 points, 48%
        assert!(!responds(&r, -1.0, 30.0, 12.0)); // 18 points, 60%
        assert!(responds(&r, -1.0, 30.0, 10.0)); // 20 points, 67%
        // A decimal resolution: 5.3 → 3.3 is an improvement of 2.
        assert!(responds(&criterion(2.0, 0.0), -1.0, 5.3, 3.3));
        // Higher is better, best 100: room = 100 − baseline.
        let up = Responder {
            best: 100.0,
            ..criterion(0.0, 50.0)
        };
        assert!(responds(&up, 1.0, 60.0, 80.0));
        assert!(!responds(&up, 1.0, 60.0, 79.0));
    }
}
