//! The dropout model of MODEL.md §1 where both paths read it: the log-odds
//! that a patient still in the trial leaves at a visit, before the part
//! that depends on the patient's own outcome (MAR, MNAR), which the patient
//! path adds per patient.

use super::CONTROL;
use crate::scenario::{Mechanism, Scenario};

/// `1 / (1 + exp(−x))`.
#[inline]
pub(crate) fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Log-odds of leaving at a visit `dt` months after the previous one, in
/// arm `arm`: `logit(q) + log(arm_odds_ratio)·[control] + beta·s·mu0`
/// (the last term for MAR and MNAR), with `q = 1 − (1 − monthly_rate)^dt`;
/// −inf when nobody can leave (mechanism `none`, or `q = 0`).
pub fn visit_logit(sc: &Scenario, arm: usize, dt: f64) -> f64 {
    let d = &sc.dropout;
    let q = 1.0 - (1.0 - d.monthly_rate).powf(dt);
    if d.mechanism == Mechanism::None || q <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let arm_term = if arm == CONTROL {
        d.arm_odds_ratio.ln()
    } else {
        0.0
    };
    // + beta · w(Z) with w(Z) = −s (Z − mu0): the constant part here.
    let centre = if matches!(d.mechanism, Mechanism::Mar | Mechanism::Mnar) {
        d.beta * sc.outcome.s * sc.outcome.mu0
    } else {
        0.0
    };
    (q / (1.0 - q)).ln() + arm_term + centre
}

/// Probability of leaving at that visit when it does not depend on the
/// patient's outcome (mechanism `none` or `mcar`): `logistic(visit_logit)`.
pub fn visit_probability(sc: &Scenario, arm: usize, dt: f64) -> f64 {
    logistic(visit_logit(sc, arm, dt))
}
