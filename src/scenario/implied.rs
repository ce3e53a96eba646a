//! What the variance settings imply, in the outcome's units: the numbers a
//! designer checks against a published table (SD at baseline and at the
//! primary visit, their correlation, the SD of the change from baseline),
//! since `subject_sd`, `residual_sd` and `rho` are not reported as such.
//!
//! Within one trial (MODEL.md §1), for a control patient at month `t`:
//! `Var(Y_0) = Var(Y_t) = subject_sd² + residual_sd²`,
//! `Cov(Y_0, Y_t) = subject_sd² + residual_sd² · rho^t`, so
//! `Var(Y_t − Y_0) = 2 · residual_sd² · (1 − rho^t)`. A treated patient adds
//! `g(t)² · (π · patient_sd² + π(1 − π) · D²)` at month `t` (responders
//! `R ~ Bernoulli(π)`, `D` the mean peak effect). With an entry criterion,
//! the enrolled are those whose screening value `Y_0` lies beyond the cut:
//! `Y_0` is a truncated normal, and any `X` jointly normal with it keeps its
//! regression on `Y_0`, so `Var(X | enrolled) = Var(X) − Cov(X, Y_0)² /
//! Var(Y_0) · (1 − k)` and `Cov(X, Y_0 | enrolled) = k · Cov(X, Y_0)`, where
//! `k` is the truncated variance over the untruncated one. The cut is the
//! one the instrument applies: with `resolution = r` a value is admitted
//! when its rounded reading passes, i.e. the latent value passes the
//! nearest half-step. Clamping to the scale's bounds is left out (it narrows
//! the spread when many values lie beyond a bound); between-trial variation
//! (`tau`, protocol factors, `placebo.tau`) is not within a trial.

use super::Scenario;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// The four numbers of one population, in outcome units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Mean at baseline.
    pub mean_baseline: f64,
    /// SD at baseline.
    pub sd_baseline: f64,
    /// SD at the primary visit (control arm).
    pub sd_primary: f64,
    /// Correlation of baseline and primary visit (control arm).
    pub correlation: f64,
    /// SD of the change from baseline to the primary visit (control arm).
    pub sd_change: f64,
    /// SD at the primary visit in the treated arm (patient-level response
    /// added), equal to `sd_primary` when every patient responds alike.
    pub sd_primary_treated: f64,
}

/// What the variance settings imply: in the screened population, and among
/// the enrolled when there is an entry criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Implied {
    /// Month of the primary visit.
    pub month: f64,
    /// Before any entry criterion.
    pub screened: Spread,
    /// Among patients admitted by `outcome.inclusion`, if it is set.
    pub enrolled: Option<Spread>,
    /// Share of the screened population the entry criterion admits (1 without one).
    pub admitted: f64,
}

impl Scenario {
    /// What the variance settings imply at the primary visit (see the
    /// module's formulas).
    pub fn implied(&self) -> Implied {
        let o = &self.outcome;
        let t = self.visits.primary_month();
        let var0 = o.subject_sd.powi(2) + o.residual_sd.powi(2);
        let cov = o.subject_sd.powi(2) + o.residual_sd.powi(2) * o.rho.powf(t);
        let var_change = 2.0 * var0 - 2.0 * cov;
        let pi = self.effect.responder_fraction;
        let d = self.effect.peak + self.heterogeneity.mean_shift();
        let g = self.effect.profile.at(t);
        let response = g * g * (pi * self.effect.patient_sd.powi(2) + pi * (1.0 - pi) * d * d);
        let spread = |mean: f64, var0: f64, var_t: f64, cov: f64, var_change: f64| Spread {
            mean_baseline: mean,
            sd_baseline: var0.sqrt(),
            sd_primary: var_t.sqrt(),
            correlation: if var0 > 0.0 && var_t > 0.0 {
                cov / (var0 * var_t).sqrt()
            } else {
                f64::NAN
            },
            sd_change: var_change.max(0.0).sqrt(),
            sd_primary_treated: (var_t + response).sqrt(),
        };
        let screened = spread(o.mu0, var0, var0, cov, var_change);
        let n = Normal::standard();
        let sd0 = var0.sqrt();
        let z = |cut: f64| (latent_cut(o, cut) - o.mu0) / sd0;
        // Enrolled: Y_0 at least as bad as the cut (>= when lower is better).
        let admitted = match o.inclusion.filter(|_| var0 > 0.0) {
            None => 1.0,
            Some(cut) if o.s < 0.0 => n.sf(z(cut)),
            Some(cut) => n.cdf(z(cut)),
        };
        let enrolled = o.inclusion.filter(|_| var0 > 0.0).map(|cut| {
            let z = z(cut);
            let (shift, k) = if o.s < 0.0 {
                let lambda = n.pdf(z) / n.sf(z);
                (lambda, 1.0 + z * lambda - lambda * lambda)
            } else {
                let lambda = n.pdf(z) / n.cdf(z);
                (-lambda, 1.0 - z * lambda - lambda * lambda)
            };
            let kept = |var_x: f64, cov_x0: f64| var_x - cov_x0 * cov_x0 / var0 * (1.0 - k);
            spread(
                o.mu0 + shift * sd0,
                var0 * k,
                kept(var0, cov),
                k * cov,
                kept(var_change, cov - var0),
            )
        });
        Implied {
            month: t,
            screened,
            enrolled,
            admitted,
        }
    }
}

/// The latent value at which the instrument's reading crosses the entry
/// cut: with `resolution = r`, a reading passes `>= cut` when the latent
/// value is at least half a step below the first grid value at or above
/// the cut (mirrored for `<=`).
fn latent_cut(o: &super::Outcome, cut: f64) -> f64 {
    let r = o.resolution;
    if r <= 0.0 {
        cut
    } else if o.s < 0.0 {
        ((cut / r).ceil() - 0.5) * r
    } else {
        ((cut / r).floor() + 0.5) * r
    }
}
