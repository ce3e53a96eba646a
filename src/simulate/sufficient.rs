//! The exact sufficient-statistics path (`analysis.fast_path = true`).
//!
//! When the model makes each arm's (baseline, primary-visit) pairs i.i.d.
//! bivariate normal given the trial's setting — no clamping or rounding, no
//! entry criterion, no responder mixture, dropout none or MCAR — the analysis
//! needs only each arm's completer count, means and scatter matrix, whose
//! joint law is exact: completers `m ~ Binomial(n, π)` with `π` the chance of
//! still being in the trial at `t*`; means `~ N(μ, Σ/m)`; scatter
//! `~ Wishart_2(m − 1, Σ)`, independent of the means, drawn by Bartlett's
//! decomposition (two chi-squares and a normal). A trial then costs the same
//! at n = 15 and n = 5 000.
//!
//! With `Y_0 = mu0 + u + e_0` and
//! `Y_t = mu0 + u + P_j(t) + a (D_j + b) g(t) + a B_j + e_t` (MODEL.md §1):
//! `Var Y_0 = σ_u² + σ_e²`, `Var Y_t = σ_u² + σ_e² + a (σ_b g)²` and
//! `Cov = σ_u² + σ_e² ρ^t`.
//!
//! The path does not share the patient-level streams (its draws have their
//! own role), it needs `analysis.by_visit = false` (only the primary visit
//! is summarised) and it analyses complete cases (with MCAR dropout, LOCF
//! and BOCF values are not normal). Where any condition fails the
//! patient-level path is used; `summary.json` reports the path per design point.

use crate::rng::{Key, Role};
use crate::scenario::{Mechanism, Missing, Scenario};
use crate::simulate::{ArmSums, Setting, TrialId, dropout};
use rand::RngExt;
use rand_distr::{Binomial, ChiSquared, Distribution, StandardNormal};

/// The law of one arm's (baseline, primary value) pair, less the setting's shifts.
#[derive(Debug, Clone, Copy)]
struct ArmLaw {
    /// Cholesky factor of Σ: `[[l11, 0], [l21, l22]]`.
    l11: f64,
    l21: f64,
    l22: f64,
    /// Probability of being observed at `t*`.
    observed: f64,
}

/// Precomputed laws of both arms.
#[derive(Debug, Clone)]
pub struct FastPlan {
    arms: [ArmLaw; 2],
    placebo_shape: f64,
    effect_shape: f64,
}

impl FastPlan {
    /// Whether the model allows the exact path for this scenario (see the module doc).
    pub fn eligible(sc: &Scenario) -> bool {
        let o = &sc.outcome;
        sc.analysis.fast_path
            && !matches!(sc.analysis.method, crate::scenario::Method::Mmrm(_))
            && !sc.analysis.by_visit
            && o.min.is_none()
            && o.max.is_none()
            && o.resolution == 0.0
            && o.inclusion.is_none()
            && sc.effect.responder_fraction == 1.0
            && matches!(sc.dropout.mechanism, Mechanism::None | Mechanism::Mcar)
            && (sc.dropout.mechanism == Mechanism::None
                || sc.analysis.missing == Missing::CompleteCase)
            && o.subject_sd.powi(2) + o.residual_sd.powi(2) > 0.0
            // A responder endpoint reads every patient's values (and needs
            // a bound, which the fast path already excludes).
            && sc.responder.is_none()
            // Forking paths analyse every visit of every patient.
            && sc.forking.is_none()
    }

    /// The plan, if the scenario is eligible.
    pub fn new(sc: &Scenario) -> Option<Self> {
        if !Self::eligible(sc) {
            return None;
        }
        let o = &sc.outcome;
        let t = sc.visits.primary_month();
        let g = sc.effect.profile.at(t);
        let base = o.subject_sd.powi(2) + o.residual_sd.powi(2);
        let cov = o.subject_sd.powi(2) + o.residual_sd.powi(2) * o.rho.powf(t);
        // Chance of staying to t*: the product over visits up to t* of 1 − p_k.
        let observed = |arm: usize| {
            let mut prev = 0.0;
            let mut stay = 1.0;
            for &m in &sc.visits.months[..=sc.visits.primary] {
                stay *= 1.0 - dropout::visit_probability(sc, arm, m - prev);
                prev = m;
            }
            stay
        };
        let law = |arm: usize| {
            let var_t = base
                + if arm == 1 {
                    (sc.effect.patient_sd * g).powi(2)
                } else {
                    0.0
                };
            let l11 = base.sqrt();
            let l21 = cov / l11;
            let l22 = (var_t - l21 * l21).max(0.0).sqrt();
            ArmLaw {
                l11,
                l21,
                l22,
                observed: observed(arm),
            }
        };
        Some(FastPlan {
            arms: [law(0), law(1)],
            placebo_shape: sc.placebo.profile.at(t),
            effect_shape: g,
        })
    }

    /// Draws both arms' sufficient statistics for one trial.
    pub fn draw(&self, sc: &Scenario, key: Key, id: TrialId, setting: &Setting) -> [ArmSums; 2] {
        let mu0 = sc.outcome.mu0;
        let placebo = (sc.placebo.peak + setting.nu) * self.placebo_shape;
        let shift = setting.d * self.effect_shape + setting.reporting_bias(sc, id.n[0]);
        [0usize, 1].map(|arm| {
            let law = &self.arms[arm];
            let mut rng = key
                .prefix(id.replicate, id.trial, Role::Sufficient, arm as u64)
                .lanes()
                .stream(0);
            let n = id.n[arm] as u64;
            let m = if law.observed >= 1.0 {
                n
            } else {
                Binomial::new(n, law.observed)
                    .map(|b| b.sample(&mut rng))
                    .unwrap_or(n)
            };
            let (z1, z2): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
            let (z3, u1, u2): (f64, f64, f64) = (
                rng.sample(StandardNormal),
                chi_squared(&mut rng, m as f64 - 1.0),
                chi_squared(&mut rng, m as f64 - 2.0),
            );
            if m < 2 {
                return ArmSums {
                    n: m as usize,
                    ..Default::default()
                };
            }
            let root = (m as f64).sqrt();
            let mean_x = mu0 + law.l11 * z1 / root;
            let mean_y = mu0
                + placebo
                + if arm == 1 { shift } else { 0.0 }
                + (law.l21 * z1 + law.l22 * z2) / root;
            // Bartlett: A = [[c1, 0], [z3, c2]], scatter = L A Aᵀ Lᵀ.
            let (c1, c2) = (u1.sqrt(), u2.sqrt());
            let b11 = law.l11 * c1;
            let b21 = law.l21 * c1 + law.l22 * z3;
            let b22 = law.l22 * c2;
            ArmSums {
                n: m as usize,
                mean_x,
                mean_y,
                sxx: b11 * b11,
                sxy: b11 * b21,
                syy: b21 * b21 + b22 * b22,
            }
        })
    }
}

/// A chi-square draw with `k` degrees of freedom (0 when `k < 1`: an arm with
/// one completer has no scatter).
fn chi_squared(rng: &mut crate::rng::Stream, k: f64) -> f64 {
    match ChiSquared::new(k) {
        Ok(c) if k >= 1.0 => c.sample(rng),
        _ => 0.0,
    }
}
