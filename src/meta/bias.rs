//! Publication-bias corrections on (estimate, variance) pairs (issue #22):
//! trim-and-fill and PET-PEESE, as `pool --bias` reports them, and all
//! three corrections of a simulated literature (the selection model is in
//! `selection.rs`).
//!
//! - **Trim-and-fill** (Duval & Tweedie 2000), metafor's `trimfill` with
//!   its defaults: the L0 estimator of the number of missing studies,
//!   iterated under the pooling model in use; the side from the sign of the
//!   slope of a meta-regression of the estimates on their SEs under the
//!   same model (negative: studies are missing on the right, else on the
//!   left); the filled studies mirror the k0 most extreme ones about the
//!   trimmed estimate; the result is the model refitted to all studies and
//!   the filled ones, with a Wald interval (as metafor's refit).
//! - **PET** and **PEESE** (Stanley & Doucouliagos 2014): the intercept of
//!   the weighted least-squares regression of the estimates on their SEs
//!   (PET) or variances (PEESE), weights 1/v, its SE with the residual
//!   variance factor and a two-sided t test on k − 2 df — R's
//!   `lm(yi ~ sei, weights = 1/vi)`. **PET-PEESE**: PEESE when PET's
//!   intercept is significant one-sided in the favourable direction at
//!   `alpha`, else PET.
//!
//! It knows no trials, only numbers (the `meta` layer).

use super::pooling::{tau2, weighted};
use crate::scenario::Estimator;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Most iterations of trim-and-fill (metafor's `maxiter`).
const MAX_TRIM_ITER: usize = 100;

/// An intercept of PET or PEESE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Intercept {
    /// The intercept: the effect of a study with SE (or variance) 0.
    pub mu: f64,
    /// Its SE (residual-variance factor included, as `lm`).
    pub se: f64,
    /// Two-sided p of `mu / se` on t with k − 2 df.
    pub p_value: f64,
}

/// PET-PEESE's conditional estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PetPeese {
    /// The chosen intercept.
    pub mu: f64,
    /// Its SE.
    pub se: f64,
    /// `"pet"` or `"peese"`.
    pub chosen: &'static str,
}

/// Which side trim-and-fill filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Studies missing below the pooled estimate.
    Left,
    /// Studies missing above it.
    Right,
}

/// The trim-and-fill result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrimFill {
    /// Estimated number of missing studies.
    pub k0: usize,
    /// The side they were filled on.
    pub side: Side,
    /// The pooled estimate with the filled studies.
    pub mu: f64,
    /// Its SE.
    pub se: f64,
    /// Wald CI at the level asked for.
    pub ci_low: f64,
    /// Wald CI.
    pub ci_high: f64,
    /// The filled studies, `(estimate, variance)` (for the funnel plot).
    #[serde(skip)]
    pub filled: Vec<(f64, f64)>,
}

/// The weighted least-squares fit of `y` on `(1, x)` with weights `w`:
/// coefficients, and `(X'WX)⁻¹` (2 × 2, symmetric: `[a, b, d]` for
/// `[[a, b], [b, d]]`).
fn wls(y: &[f64], x: &[f64], w: &[f64]) -> Option<([f64; 2], [f64; 3])> {
    let (mut s0, mut s1, mut s2, mut t0, mut t1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for ((&yi, &xi), &wi) in y.iter().zip(x).zip(w) {
        s0 += wi;
        s1 += wi * xi;
        s2 += wi * xi * xi;
        t0 += wi * yi;
        t1 += wi * xi * yi;
    }
    let det = s0 * s2 - s1 * s1;
    if !(det.is_finite() && det > 0.0) {
        return None;
    }
    let inv = [s2 / det, -s1 / det, s0 / det];
    let b = [inv[0] * t0 + inv[1] * t1, inv[1] * t0 + inv[2] * t1];
    Some((b, inv))
}

/// The intercept of `lm(y ~ x, weights = 1/v)` with its `lm` SE and
/// two-sided t-test p on k − 2 df; `None` with fewer than 3 studies or a
/// degenerate fit.
fn lm_intercept(y: &[f64], x: &[f64], v: &[f64]) -> Option<Intercept> {
    let k = y.len();
    if k < 3 {
        return None;
    }
    let w: Vec<f64> = v.iter().map(|&vi| 1.0 / vi).collect();
    let (b, inv) = wls(y, x, &w)?;
    let rss: f64 = y
        .iter()
        .zip(x)
        .zip(&w)
        .map(|((&yi, &xi), &wi)| wi * (yi - b[0] - b[1] * xi).powi(2))
        .sum();
    let df = (k - 2) as f64;
    let se = (rss / df * inv[0]).sqrt();
    let p_value = if se > 0.0 {
        2.0 * StudentsT::new(0.0, 1.0, df).ok()?.sf((b[0] / se).abs())
    } else if b[0] == 0.0 {
        1.0
    } else {
        0.0
    };
    Some(Intercept {
        mu: b[0],
        se,
        p_value,
    })
    .filter(|i| i.mu.is_finite() && i.se.is_finite())
}

/// The PET-PEESE line of `(y, v)` for a funnel plot: `(intercept, slope,
/// peese)`, the estimate at SE `se` being `intercept + slope · se` (PET)
/// or `intercept + slope · se²` (PEESE), chosen as [`pet_peese`] does.
pub fn pet_peese_line(y: &[f64], v: &[f64], alpha: f64, s: f64) -> Option<(f64, f64, bool)> {
    let se: Vec<f64> = v.iter().map(|x| x.sqrt()).collect();
    let (a, b) = (pet(y, v)?, peese(y, v)?);
    let w: Vec<f64> = v.iter().map(|&vi| 1.0 / vi).collect();
    let peese_chosen = pet_peese(&a, &b, alpha, s, y.len()).chosen == "peese";
    let x = if peese_chosen { v } else { &se[..] };
    let (coef, _) = wls(y, x, &w)?;
    Some((coef[0], coef[1], peese_chosen))
}

/// PET: the intercept of the estimates regressed on their SEs, weights 1/v.
pub fn pet(y: &[f64], v: &[f64]) -> Option<Intercept> {
    let se: Vec<f64> = v.iter().map(|x| x.sqrt()).collect();
    lm_intercept(y, &se, v)
}

/// PEESE: the intercept of the estimates regressed on their variances,
/// weights 1/v.
pub fn peese(y: &[f64], v: &[f64]) -> Option<Intercept> {
    lm_intercept(y, v, v)
}

/// PET-PEESE: PEESE when PET's intercept is significant at `alpha`
/// one-sided in the direction `s` (+1: greater, −1: less), else PET.
pub fn pet_peese(pet: &Intercept, peese: &Intercept, alpha: f64, s: f64, k: usize) -> PetPeese {
    let one_sided = if pet.se > 0.0 && k > 2 {
        StudentsT::new(0.0, 1.0, (k - 2) as f64)
            .map(|t| t.sf(s * pet.mu / pet.se))
            .unwrap_or(1.0)
    } else if s * pet.mu > 0.0 {
        0.0
    } else {
        1.0
    };
    if one_sided < alpha {
        PetPeese {
            mu: peese.mu,
            se: peese.se,
            chosen: "peese",
        }
    } else {
        PetPeese {
            mu: pet.mu,
            se: pet.se,
            chosen: "pet",
        }
    }
}

/// The model fitted: the common-effect model (`None`) or random effects
/// with a tau² estimator (DL where PM or REML does not converge, as
/// `pool`). Returns `(mu, se)`.
fn fit(y: &[f64], v: &[f64], model: Option<Estimator>) -> (f64, f64) {
    let tau2 = model.map_or(0.0, |e| tau2(y, v, e).0);
    let (mu, sw) = weighted(y, v, tau2);
    (mu, (1.0 / sw).sqrt())
}

/// The meta-regression of `y` on `(1, x)` at between-study variance `tau2`:
/// residual Q, `tr(P)`, `tr(PP)`, `Σ (w r)²` and the slope, with
/// `w = 1/(v + tau2)` and `P = W − WX(X'WX)⁻¹X'W` (all in O(k)).
struct RegressionAt {
    q: f64,
    tr_p: f64,
    tr_pp: f64,
    pr2: f64,
    slope: f64,
}

fn regression_at(y: &[f64], x: &[f64], v: &[f64], tau2: f64) -> Option<RegressionAt> {
    let w: Vec<f64> = v.iter().map(|&vi| 1.0 / (vi + tau2)).collect();
    let (b, inv) = wls(y, x, &w)?;
    let (mut q, mut pr2, mut sw, mut sw2) = (0.0, 0.0, 0.0, 0.0);
    // B = X'W²X and C = X'W³X, 2 × 2 symmetric.
    let (mut b0, mut b1, mut b2, mut c0, mut c1, mut c2) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for ((&yi, &xi), &wi) in y.iter().zip(x).zip(&w) {
        let r = yi - b[0] - b[1] * xi;
        q += wi * r * r;
        pr2 += (wi * r).powi(2);
        sw += wi;
        sw2 += wi * wi;
        let (w2, w3) = (wi * wi, wi * wi * wi);
        b0 += w2;
        b1 += w2 * xi;
        b2 += w2 * xi * xi;
        c0 += w3;
        c1 += w3 * xi;
        c2 += w3 * xi * xi;
    }
    // M = (X'WX)⁻¹ B; tr(P) = Σw − tr(M); tr(PP) = Σw² − 2 tr(A⁻¹C) + tr(M²).
    let m = [
        inv[0] * b0 + inv[1] * b1,
        inv[0] * b1 + inv[1] * b2,
        inv[1] * b0 + inv[2] * b1,
        inv[1] * b1 + inv[2] * b2,
    ];
    let tr_m = m[0] + m[3];
    let tr_m2 = m[0] * m[0] + 2.0 * m[1] * m[2] + m[3] * m[3];
    let tr_ac = inv[0] * c0 + 2.0 * inv[1] * c1 + inv[2] * c2;
    Some(RegressionAt {
        q,
        tr_p: sw - tr_m,
        tr_pp: sw2 - 2.0 * tr_ac + tr_m2,
        pr2,
        slope: b[1],
    })
}

/// The slope of the meta-regression of `y` on `x` under `model`: weighted
/// least squares (common effect), or with tau² estimated with the moderator
/// in the model — DL (`(Q_E − (k − 2)) / tr(P)` at 0), PM (the root of
/// `Q_E(tau²) = k − 2`) or REML (Fisher scoring, truncated at 0) — as
/// metafor's `rma(yi, vi, mods = x, method = …)`.
fn moderator_slope(y: &[f64], x: &[f64], v: &[f64], model: Option<Estimator>) -> Option<f64> {
    let k = y.len() as f64;
    let at0 = regression_at(y, x, v, 0.0)?;
    let dl = ((at0.q - (k - 2.0)) / at0.tr_p).max(0.0);
    let tau2 = match model {
        None => 0.0,
        Some(Estimator::Dl) => dl,
        Some(Estimator::Pm) => {
            if at0.q <= k - 2.0 {
                0.0
            } else {
                let q = |t: f64| regression_at(y, x, v, t).map_or(f64::NAN, |r| r.q);
                let mut hi = dl
                    .max(1e-8 * v.iter().sum::<f64>() / k)
                    .max(f64::MIN_POSITIVE);
                let mut tries = 0;
                while q(hi) > k - 2.0 && tries < 200 {
                    hi *= 2.0;
                    tries += 1;
                }
                let mut lo = 0.0;
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if q(mid) > k - 2.0 {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                0.5 * (lo + hi)
            }
        }
        Some(Estimator::Reml) => {
            let mut t = dl;
            for _ in 0..1000 {
                let r = regression_at(y, x, v, t)?;
                let step = (r.pr2 - r.tr_p) / r.tr_pp;
                let next = (t + step).max(0.0);
                if !next.is_finite() {
                    return None;
                }
                if (next - t).abs() <= 1e-12 * (1.0 + t) {
                    t = next;
                    break;
                }
                t = next;
            }
            t
        }
    };
    Some(regression_at(y, x, v, tau2)?.slope)
}

/// Trim-and-fill (module doc) under `model` (`None`: common effect), with
/// the Wald CI `mu ± z · se` (`z` the normal critical value of the CI's
/// level); `None` with fewer than 3 studies, or when the iteration does
/// not settle within 100 rounds (metafor stops there too).
pub fn trim_and_fill(y: &[f64], v: &[f64], model: Option<Estimator>, z: f64) -> Option<TrimFill> {
    let k = y.len();
    if k < 3 {
        return None;
    }
    let se: Vec<f64> = v.iter().map(|x| x.sqrt()).collect();
    let side = if moderator_slope(y, &se, v, model)? < 0.0 {
        Side::Right
    } else {
        Side::Left
    };
    let flip = if side == Side::Right { -1.0 } else { 1.0 };
    // Ascending on the side-adjusted scale, ties in input order.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| (flip * y[a]).total_cmp(&(flip * y[b])));
    let ys: Vec<f64> = order.iter().map(|&i| flip * y[i]).collect();
    let vs: Vec<f64> = order.iter().map(|&i| v[i]).collect();
    let kf = k as f64;
    let (mut k0, mut previous) = (0usize, usize::MAX);
    let mut beta = 0.0;
    let mut rounds = 0;
    while k0 != previous {
        rounds += 1;
        if rounds > MAX_TRIM_ITER {
            return None;
        }
        previous = k0;
        beta = fit(&ys[..k - k0], &vs[..k - k0], model).0;
        // Signed ranks of the centred values (ties: first come first).
        let centred: Vec<f64> = ys.iter().map(|&x| x - beta).collect();
        let mut by_size: Vec<usize> = (0..k).collect();
        by_size.sort_by(|&a, &b| centred[a].abs().total_cmp(&centred[b].abs()));
        let mut sr = 0.0;
        for (rank, &i) in by_size.iter().enumerate() {
            if centred[i] > 0.0 {
                sr += (rank + 1) as f64;
            }
        }
        let l0 = (4.0 * sr - kf * (kf + 1.0)) / (2.0 * kf - 1.0);
        // R's round() halves to even.
        k0 = l0.round_ties_even().max(0.0) as usize;
        if k0 >= k {
            return None;
        }
    }
    // The k0 most extreme studies mirrored about the trimmed estimate.
    let filled: Vec<(f64, f64)> = (k - k0..k)
        .map(|j| (flip * (2.0 * beta - ys[j]), vs[j]))
        .collect();
    let all_y: Vec<f64> = y
        .iter()
        .copied()
        .chain(filled.iter().map(|f| f.0))
        .collect();
    let all_v: Vec<f64> = v
        .iter()
        .copied()
        .chain(filled.iter().map(|f| f.1))
        .collect();
    let (mu, se) = fit(&all_y, &all_v, model);
    Some(TrimFill {
        k0,
        side,
        mu,
        se,
        ci_low: mu - z * se,
        ci_high: mu + z * se,
        filled,
    })
    .filter(|t| t.mu.is_finite() && t.se.is_finite())
}

/// A corrected estimate of the simulated literature with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Corrected {
    /// The estimate.
    pub mu: f64,
    /// Its interval at the CI level.
    pub ci_low: f64,
    /// Its interval.
    pub ci_high: f64,
}

/// The corrections of one simulated literature; `None` where one fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Corrections {
    /// Trim-and-fill under the pooling model, Wald interval.
    pub trimfill: Option<Corrected>,
    /// PET-PEESE (favourable direction `s`, level `alpha`), interval
    /// `mu ± t_{K−2} · se`.
    pub pet_peese: Option<Corrected>,
    /// The step-function selection model (random effects, cut in the
    /// favourable direction `s`), Wald interval; `None` also where delta is
    /// not identified (every published trial significant, or none).
    pub selection: Option<Corrected>,
}

/// The corrections of a simulated literature's published `(y, v)`: the
/// pooling model `estimator`, critical values `crit` for its K, PET's
/// one-sided test at `alpha` in the favourable direction `s`, the
/// selection model's cut in the direction `s`.
pub fn corrections(
    y: &[f64],
    v: &[f64],
    estimator: Estimator,
    crit: &super::Criticals,
    alpha: f64,
    s: f64,
) -> Corrections {
    let trimfill = trim_and_fill(y, v, Some(estimator), crit.z).map(|t| Corrected {
        mu: t.mu,
        ci_low: t.ci_low,
        ci_high: t.ci_high,
    });
    let pet_peese = pet(y, v).zip(peese(y, v)).map(|(a, b)| {
        let pp = pet_peese(&a, &b, alpha, s, y.len());
        Corrected {
            mu: pp.mu,
            ci_low: pp.mu - crit.t_regression * pp.se,
            ci_high: pp.mu + crit.t_regression * pp.se,
        }
    });
    let selection = super::selection::selection_estimate(y, v, s).map(|(mu, se)| Corrected {
        mu,
        ci_low: mu - crit.z * se,
        ci_high: mu + crit.z * se,
    });
    Corrections {
        trimfill: trimfill.filter(|c| c.mu.is_finite()),
        selection: selection.filter(|c| c.mu.is_finite() && c.ci_low.is_finite()),
        pet_peese: pet_peese.filter(|c| c.mu.is_finite() && c.ci_low.is_finite()),
    }
}
