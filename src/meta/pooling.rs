//! Inverse-variance pooling of K estimates `(y_k, v_k)` (MODEL.md §4).
//!
//! - Fixed effect: `mu = Σ w y / Σ w`, `w = 1/v`; Cochran's Q about it.
//! - Random effects with tau² by DerSimonian & Laird (1986), Paule & Mandel
//!   (1982; the generalised Q equals K − 1) and REML (Fisher scoring, as
//!   metafor's `rma.uni`), all truncated at 0. Iterative estimators that do
//!   not converge fall back to DL and say so (`converged = false`).
//! - CIs: normal (Wald) and Hartung–Knapp–Sidik–Jonkman with t on K − 1 df
//!   (Hartung & Knapp 2001; Sidik & Jonkman 2002). The HKSJ factor
//!   `Q*/(K − 1)` is *not* truncated: when the estimates agree more closely
//!   than their variances predict it is below 1 and the HKSJ interval is
//!   narrower than the normal one (metafor's `test = "knha"`). The truncated
//!   variant bounds the factor below by 1 (Knapp & Hartung 2003; metafor's
//!   `test = "adhoc"`): its SE is `max(se, se_hksj)`.
//! - `I² = max(0, (Q − (K−1))/Q)` (Higgins & Thompson 2002) and metafor's
//!   tau²-based `I²` (`i2_tau`); the prediction interval
//!   `mu ± t_{K−2} sqrt(tau² + SE²)` (Higgins, Thompson & Spiegelhalter 2009).
//! - Egger's regression test (Egger et al. 1997): OLS of `y/se` on `1/se`,
//!   the intercept tested with t on K − 2 df.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

pub use crate::scenario::Estimator;

/// The interval and test reported for the pooled estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// Normal (Wald) interval and z test.
    Wald,
    /// Hartung–Knapp–Sidik–Jonkman, untruncated, t on K − 1 df (metafor's `test = "knha"`).
    Hksj,
    /// HKSJ with its factor bounded below by 1 (metafor's `test = "adhoc"`).
    HksjAdhoc,
}

impl Test {
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Test::Wald => "",
            Test::Hksj => "+hksj",
            Test::HksjAdhoc => "+hksj-adhoc",
        }
    }
}

/// Critical values for a given K and level, computed once (quantiles are costly).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criticals {
    /// Number of studies.
    pub k: usize,
    /// Normal quantile for the CI, `z_{1 − (1 − level)/2}`.
    pub z: f64,
    /// t quantile on K − 1 df for the HKSJ CI.
    pub t_hksj: f64,
    /// t quantile on K − 2 df for the prediction interval (NaN when K < 3):
    /// 95% (MODEL.md §4) unless [`Criticals::with_pi_level`] says otherwise.
    pub t_pi: f64,
    /// t quantile on K − 2 df at which Egger's test detects (two-sided p < `egger_alpha`).
    pub t_egger: f64,
    /// t quantile on K − 2 df at the CI level (PET-PEESE's interval).
    pub t_regression: f64,
}

/// Two-sided p-value below which Egger's test "detects" asymmetry (MODEL.md §4).
pub const EGGER_ALPHA: f64 = 0.10;

impl Criticals {
    /// Critical values for K studies and a CI level in (0, 1).
    pub fn new(k: usize, level: f64) -> Self {
        let tail = 1.0 - (1.0 - level) / 2.0;
        Criticals {
            k,
            z: Normal::standard().inverse_cdf(tail),
            t_hksj: t_quantile(k as f64 - 1.0, tail),
            t_pi: t_quantile(k as f64 - 2.0, 0.975),
            t_egger: t_quantile(k as f64 - 2.0, 1.0 - EGGER_ALPHA / 2.0),
            t_regression: t_quantile(k as f64 - 2.0, tail),
        }
    }

    /// The same with the prediction interval at `level` instead of 95%
    /// (`pool --level`; the simulated literature keeps 95%).
    pub fn with_pi_level(self, level: f64) -> Self {
        Criticals {
            t_pi: t_quantile(self.k as f64 - 2.0, 1.0 - (1.0 - level) / 2.0),
            ..self
        }
    }
}

/// The `p` quantile of t on `df` degrees of freedom (NaN below 1 df).
fn t_quantile(df: f64, p: f64) -> f64 {
    if df >= 1.0 {
        StudentsT::new(0.0, 1.0, df)
            .expect("df >= 1")
            .inverse_cdf(p)
    } else {
        f64::NAN
    }
}

/// The pooled result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pooled {
    /// Number of studies.
    pub k: usize,
    /// Pooled estimate (random effects; fixed effect when tau² = 0).
    pub mu: f64,
    /// Its normal-theory SE, `sqrt(1 / Σ w*)`.
    pub se: f64,
    /// Normal CI.
    pub ci_low: f64,
    /// Normal CI.
    pub ci_high: f64,
    /// HKSJ SE (untruncated).
    pub se_hksj: f64,
    /// HKSJ CI (t on K − 1 df).
    pub ci_low_hksj: f64,
    /// HKSJ CI.
    pub ci_high_hksj: f64,
    /// Estimated between-trial variance.
    pub tau2: f64,
    /// Cochran's Q about the fixed-effect estimate.
    pub q: f64,
    /// `max(0, (Q − (K−1))/Q)`.
    pub i2: f64,
    /// metafor's `tau² / (tau² + s²)`, `s²` the typical within-study variance.
    pub i2_tau: f64,
    /// 95% prediction interval (NaN when K < 3).
    pub pi_low: f64,
    /// 95% prediction interval (NaN when K < 3).
    pub pi_high: f64,
    /// Whether the tau² estimator converged (false: DL was used instead).
    pub converged: bool,
    /// Egger's intercept t statistic (NaN when K < 3 or undefined).
    pub egger_t: f64,
}

/// Most iterations of PM and REML.
pub(crate) const MAX_ITER: usize = 1000;
/// Convergence tolerance on tau², relative to tau² plus the mean within-study
/// variance.
pub(crate) const TOL: f64 = 1e-12;

/// The scale of tau²'s convergence tolerance: the mean within-study
/// variance, so that the estimate does not depend on the units of the data.
fn variance_scale(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The common-effect (fixed-effect, inverse-variance) estimate and its SE.
pub fn common_effect(y: &[f64], v: &[f64]) -> (f64, f64) {
    let (mu, sw) = weighted(y, v, 0.0);
    (mu, (1.0 / sw).sqrt())
}

/// `(Σw)² − Σw²` for `w = 1/v` (`Σ_{i≠j} w_i w_j`): the DL denominator and
/// the "typical" within-study variance rest on it. Written this way it
/// cancels when one study holds nearly all the weight (variances 1e50 and
/// 1e-50 in one file give exactly 0); then, and only then (so that results
/// elsewhere stay bit-identical), it is summed from positive terms,
/// `2 Σ_i w_i Σ_{j<i} w_j`, which cannot cancel.
fn cross_weight(v: &[f64], naive: f64, sw: f64) -> f64 {
    if naive > 1e-6 * sw * sw {
        return naive;
    }
    let mut before = 0.0;
    let mut sum = 0.0;
    for &vi in v {
        let w = 1.0 / vi;
        sum += w * before;
        before += w;
    }
    2.0 * sum
}

/// Weighted mean and sum of weights for `w = 1/(v + tau2)`.
pub(crate) fn weighted(y: &[f64], v: &[f64], tau2: f64) -> (f64, f64) {
    let (mut sw, mut swy) = (0.0, 0.0);
    for (&yi, &vi) in y.iter().zip(v) {
        let w = 1.0 / (vi + tau2);
        sw += w;
        swy += w * yi;
    }
    (swy / sw, sw)
}

/// Cochran's Q (generalised: at `tau2`) about the weighted mean.
fn q_at(y: &[f64], v: &[f64], tau2: f64) -> f64 {
    let (mu, _) = weighted(y, v, tau2);
    y.iter()
        .zip(v)
        .map(|(&yi, &vi)| (yi - mu).powi(2) / (vi + tau2))
        .sum()
}

/// DerSimonian–Laird tau².
pub fn tau2_dl(y: &[f64], v: &[f64]) -> f64 {
    let k = y.len() as f64;
    let (sw, sw2) = v.iter().fold((0.0, 0.0), |(a, b), &vi| {
        let w = 1.0 / vi;
        (a + w, b + w * w)
    });
    let q = q_at(y, v, 0.0);
    let naive = sw - sw2 / sw;
    let denominator = if naive > 1e-6 * sw {
        naive
    } else {
        cross_weight(v, 0.0, sw) / sw
    };
    ((q - (k - 1.0)) / denominator).max(0.0)
}

/// Paule–Mandel tau²: the root of `Q(tau²) = K − 1` (0 if `Q(0) ≤ K − 1`),
/// by bracketing and bisection. `None` if no bracket is found.
pub fn tau2_pm(y: &[f64], v: &[f64]) -> Option<f64> {
    let target = y.len() as f64 - 1.0;
    if q_at(y, v, 0.0) <= target {
        return Some(0.0);
    }
    // Q(tau²) decreases to 0 as tau² grows: double an upper bound until it brackets.
    let spread = {
        let m = y.iter().sum::<f64>() / y.len() as f64;
        y.iter()
            .map(|x| (x - m).powi(2))
            .sum::<f64>()
            .max(f64::MIN_POSITIVE)
    };
    decreasing_root(|t| q_at(y, v, t), target, spread, variance_scale(v))
}

/// The REML log-likelihood of tau² (up to a constant).
fn reml_loglik(y: &[f64], v: &[f64], t: f64) -> f64 {
    let (mu, sw) = weighted(y, v, t);
    let mut l = -0.5 * sw.ln();
    for (&yi, &vi) in y.iter().zip(v) {
        l -= 0.5 * ((vi + t).ln() + (yi - mu).powi(2) / (vi + t));
    }
    l
}

/// REML tau²: Fisher scoring with step halving, truncated at 0, started at DL
/// (metafor's `rma.uni` starts at the Hedges estimator; where scoring
/// converges both reach the same maximum), or 0 where the likelihood is
/// higher there than where scoring stops (scoring can stop at an interior
/// local maximum). metafor's `ll0check` does the same, with a warning, when
/// the likelihood at 0 is higher by more than its `tol`
/// (`.Machine$double.eps^0.25`, about 1.2e-4); here any excess counts.
/// Where scoring does not converge in 1000 steps (it converges only
/// linearly on a flat likelihood), the maximum of the likelihood over a
/// grid, refined by golden-section search. `None` if neither finds it.
pub fn tau2_reml(y: &[f64], v: &[f64]) -> Option<f64> {
    match reml_scoring(y, v) {
        Some(t) if t > 0.0 && reml_loglik(y, v, 0.0) > reml_loglik(y, v, t) => Some(0.0),
        Some(t) => Some(t),
        None => reml_search(y, v),
    }
}

/// `tau2 + step` truncated at 0, the step halved (up to 60 times) while
/// the log-likelihood there is lower than at `tau2`: one damped Fisher
/// scoring step (shared with the subgroup analysis).
pub(crate) fn damped_step(tau2: f64, mut step: f64, loglik: impl Fn(f64) -> f64) -> f64 {
    let mut next = (tau2 + step).max(0.0);
    let here = loglik(tau2);
    let mut halvings = 0;
    while loglik(next) < here - 1e-14 * here.abs() && halvings < 60 {
        step *= 0.5;
        next = (tau2 + step).max(0.0);
        halvings += 1;
    }
    next
}

/// The root of a function `q` decreasing in tau² at `target`, tau² > 0:
/// `hi` doubled until `q(hi) ≤ target`, then bisection to the tolerance
/// relative to `scale + tau²`. `None` if no bracket or no convergence.
pub(crate) fn decreasing_root(
    q: impl Fn(f64) -> f64,
    target: f64,
    mut hi: f64,
    scale: f64,
) -> Option<f64> {
    let mut tries = 0;
    while q(hi) > target {
        hi *= 2.0;
        tries += 1;
        if tries > 200 || !hi.is_finite() {
            return None;
        }
    }
    let mut lo = 0.0;
    for _ in 0..MAX_ITER {
        let mid = 0.5 * (lo + hi);
        if q(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= TOL * (scale + hi) {
            return Some(0.5 * (lo + hi));
        }
    }
    None
}

/// REML tau² by Fisher scoring; `None` if it does not converge.
fn reml_scoring(y: &[f64], v: &[f64]) -> Option<f64> {
    let loglik = |t: f64| reml_loglik(y, v, t);
    let scale = variance_scale(v);
    let mut tau2 = tau2_dl(y, v);
    for _ in 0..MAX_ITER {
        let (mu, sw) = weighted(y, v, tau2);
        let (mut sw2, mut sw3, mut sw2r) = (0.0, 0.0, 0.0);
        for (&yi, &vi) in y.iter().zip(v) {
            let w = 1.0 / (vi + tau2);
            sw2 += w * w;
            sw3 += w * w * w;
            sw2r += w * w * (yi - mu).powi(2);
        }
        // Score and expected information of the REML log-likelihood in tau².
        let score = 0.5 * (sw2r - sw + sw2 / sw);
        let info = 0.5 * (sw2 - 2.0 * sw3 / sw + (sw2 / sw).powi(2));
        if info.is_nan() || info <= 0.0 || !score.is_finite() {
            return None;
        }
        let next = damped_step(tau2, score / info, loglik);
        if (next - tau2).abs() <= TOL * (scale + tau2) {
            return Some(next);
        }
        tau2 = next;
    }
    None
}

/// Grid points of [`reml_search`], denser towards 0.
const GRID: usize = 400;

/// The REML tau² as the largest log-likelihood over a grid on [0, U], refined
/// by golden-section search between the best point's neighbours. U is ten
/// times the spread of the estimates plus their largest variance, far beyond
/// any maximum: the likelihood falls like `−(K − 1)/2 · ln tau²` there. The
/// grid (quadratic spacing, step U/400² at 0) finds the global maximum of a
/// flat or multimodal likelihood where scoring stalls, unless a maximum is
/// narrower than the grid's step. `None` when the likelihood or U is not
/// finite (U overflows for estimates spread beyond about 1e153; the reader
/// of `pool` accepts none).
fn reml_search(y: &[f64], v: &[f64]) -> Option<f64> {
    let loglik = |t: f64| reml_loglik(y, v, t);
    let k = y.len() as f64;
    let mean = y.iter().sum::<f64>() / k;
    let spread = y.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
    let upper = 10.0 * (spread + v.iter().copied().fold(0.0, f64::max));
    if !upper.is_finite() || upper <= 0.0 {
        return None;
    }
    let at = |i: usize| upper * (i as f64 / GRID as f64).powi(2);
    let best = (0..=GRID)
        .map(|i| (i, loglik(at(i))))
        .filter(|(_, l)| l.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))?
        .0;
    // Golden-section search for the maximum between the neighbours.
    let (mut a, mut b) = (at(best.saturating_sub(1)), at((best + 1).min(GRID)));
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
    let (mut lc, mut ld) = (loglik(c), loglik(d));
    let scale = variance_scale(v);
    for _ in 0..MAX_ITER {
        if b - a <= TOL * (scale + b) {
            break;
        }
        if lc >= ld {
            (b, d, ld) = (d, c, lc);
            c = b - r * (b - a);
            lc = loglik(c);
        } else {
            (a, c, lc) = (c, d, ld);
            d = a + r * (b - a);
            ld = loglik(d);
        }
    }
    // The maximum on the boundary: 0 itself.
    let t = 0.5 * (a + b);
    Some(if loglik(0.0) >= loglik(t) { 0.0 } else { t })
}

/// Egger's regression of the standardised effect `y/√v` on the precision
/// `1/√v` (ordinary least squares): the funnel's asymmetry line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EggerLine {
    /// Intercept: 0 for a symmetric funnel.
    pub intercept: f64,
    /// Slope: the effect the line implies at infinite precision.
    pub slope: f64,
    /// Standard error of the intercept (residual variance on k − 2 df).
    pub se_intercept: f64,
}

/// Fits [`EggerLine`]; `None` with fewer than 3 studies or precisions that
/// do not vary.
pub fn egger_line(y: &[f64], v: &[f64]) -> Option<EggerLine> {
    let k = y.len();
    if k < 3 {
        return None;
    }
    let n = k as f64;
    let (mut sx, mut sy) = (0.0, 0.0);
    for (&yi, &vi) in y.iter().zip(v) {
        let se = vi.sqrt();
        sx += 1.0 / se;
        sy += yi / se;
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (&yi, &vi) in y.iter().zip(v) {
        let se = vi.sqrt();
        let (dx, dy) = (1.0 / se - mx, yi / se - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let rss = (syy - slope * sxy).max(0.0);
    let sigma2 = rss / (n - 2.0);
    Some(EggerLine {
        intercept: my - slope * mx,
        slope,
        se_intercept: (sigma2 * (1.0 / n + mx * mx / sxx)).sqrt(),
    })
}

/// Egger's regression test: the t statistic of the intercept of `y/se ~ 1/se` (K ≥ 3).
pub fn egger_t(y: &[f64], v: &[f64]) -> f64 {
    egger_line(y, v).map_or(f64::NAN, |e| e.intercept / e.se_intercept)
}

/// tau² by `estimator`, and whether it converged: where PM or REML does
/// not, DerSimonian–Laird's (MODEL.md §4).
pub fn tau2(y: &[f64], v: &[f64], estimator: Estimator) -> (f64, bool) {
    match estimator {
        Estimator::Dl => (tau2_dl(y, v), true),
        Estimator::Pm => tau2_pm(y, v).map_or((tau2_dl(y, v), false), |t| (t, true)),
        Estimator::Reml => tau2_reml(y, v).map_or((tau2_dl(y, v), false), |t| (t, true)),
    }
}

/// Pools `(y, v)` with the given estimator; `crit` must be for `y.len()` studies.
///
/// # Panics
/// If `y` and `v` differ in length or `crit.k != y.len()` (callers validate).
pub fn pool(y: &[f64], v: &[f64], estimator: Estimator, crit: &Criticals) -> Pooled {
    assert_eq!(y.len(), v.len());
    assert_eq!(crit.k, y.len());
    let k = y.len();
    let kf = k as f64;
    let (tau2, converged) = tau2(y, v, estimator);
    let (mu, sw) = weighted(y, v, tau2);
    let se = (1.0 / sw).sqrt();
    let q = q_at(y, v, 0.0);
    let i2 = if q > 0.0 {
        ((q - (kf - 1.0)) / q).max(0.0)
    } else {
        0.0
    };
    let (sw0, sw02) = v.iter().fold((0.0, 0.0), |(a, b), &vi| {
        (a + 1.0 / vi, b + 1.0 / (vi * vi))
    });
    let s2 = (kf - 1.0) * sw0 / cross_weight(v, sw0 * sw0 - sw02, sw0);
    let i2_tau = if tau2 > 0.0 { tau2 / (tau2 + s2) } else { 0.0 };
    let q_star: f64 = y
        .iter()
        .zip(v)
        .map(|(&yi, &vi)| (yi - mu).powi(2) / (vi + tau2))
        .sum();
    let se_hksj = (q_star / (kf - 1.0) / sw).sqrt();
    let half_pi = crit.t_pi * (tau2 + se * se).sqrt();
    Pooled {
        k,
        mu,
        se,
        ci_low: mu - crit.z * se,
        ci_high: mu + crit.z * se,
        se_hksj,
        ci_low_hksj: mu - crit.t_hksj * se_hksj,
        ci_high_hksj: mu + crit.t_hksj * se_hksj,
        tau2,
        q,
        i2,
        i2_tau,
        pi_low: mu - half_pi,
        pi_high: mu + half_pi,
        converged,
        egger_t: egger_t(y, v),
    }
}

/// p-values of a pooled result, for reporting (the simulation compares against
/// critical values instead).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PValues {
    /// Two-sided normal p of `mu / se`.
    pub p: f64,
    /// Two-sided p of `mu / se_hksj` on t with K − 1 df.
    pub p_hksj: f64,
    /// p of Q on chi-square with K − 1 df.
    pub q_p: f64,
    /// Two-sided p of Egger's intercept on t with K − 2 df (NaN when K < 3).
    pub egger_p: f64,
}

/// Computes the p-values of a pooled result.
pub fn p_values(p: &Pooled) -> PValues {
    let df = p.k as f64 - 1.0;
    let two_t = |t: f64, df: f64| {
        if df >= 1.0 && t.is_finite() {
            2.0 * StudentsT::new(0.0, 1.0, df).expect("df >= 1").sf(t.abs())
        } else {
            f64::NAN
        }
    };
    PValues {
        p: 2.0 * Normal::standard().sf((p.mu / p.se).abs()),
        p_hksj: two_t(p.mu / p.se_hksj, df),
        q_p: ChiSquared::new(df).map_or(f64::NAN, |c| c.sf(p.q)),
        egger_p: two_t(p.egger_t, df - 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small heterogeneous data set (tests/it/meta.rs checks its pooling
    /// against a Python reference): REML's maximum is interior.
    const SMALL_Y: [f64; 5] = [0.10, 0.30, 0.35, 0.65, 0.45];
    const SMALL_V: [f64; 5] = [0.03, 0.03, 0.05, 0.01, 0.05];

    /// Found in review: scoring, started at DL (18.9), stalls near a local
    /// maximum at 2.01 and does not converge in 1000 steps. The global
    /// maximum is at 0: numpy on a grid of 200 001 points on [1e-6, 1e4]
    /// finds log-likelihoods of −11.140197839 at 0 and −11.140230737 at the
    /// local maximum 2.0105.
    const STALL_Y: [f64; 5] = [
        -8.81239169,
        15.17351715,
        10.22358787,
        7.04900797,
        4.59238982,
    ];
    const STALL_V: [f64; 5] = [
        57.55758925,
        37.49391083,
        27.72525098,
        8.73198497,
        58.51823967,
    ];

    #[test]
    fn the_grid_search_finds_what_scoring_finds() {
        let (y, v) = (SMALL_Y, SMALL_V);
        let scoring = reml_scoring(&y, &v).unwrap();
        assert!(scoring > 0.0, "an interior maximum");
        let search = reml_search(&y, &v).unwrap();
        assert!(
            (search - scoring).abs() <= 1e-6 * scoring,
            "{search} vs {scoring}"
        );
    }

    #[test]
    fn a_flat_likelihood_that_stalls_scoring_is_maximised_at_zero() {
        // It made the result DL's 18.9.
        assert_eq!(reml_scoring(&STALL_Y, &STALL_V), None);
        assert_eq!(tau2_reml(&STALL_Y, &STALL_V), Some(0.0));
    }

    #[test]
    fn a_local_maximum_below_the_boundary_gives_way_to_zero() {
        // Found in review: scoring from DL stops at the interior local
        // maximum 7.856 (numpy on the grid above: log-likelihood
        // −4.808181), below the value at 0 (−4.797130).
        let y = [1.13, 2.57, -8.20];
        let v = [1.52, 1.95, 20.24];
        let local = reml_scoring(&y, &v).unwrap();
        assert!((local - 7.856).abs() < 1e-3, "{local}");
        assert_eq!(tau2_reml(&y, &v), Some(0.0));
    }

    #[test]
    fn estimates_do_not_depend_on_the_units() {
        // Found in review: an absolute tolerance made tau² depend on the
        // units (on the stalling data, 2.016 at a scale of 1e-4 instead of
        // 0). Scaling yi by s and vi by s² must scale tau² by s².
        let (y, v) = (SMALL_Y, SMALL_V);
        for s in [1e-8, 1e-4, 1e4] {
            let ys: Vec<f64> = y.iter().map(|x| x * s).collect();
            let vs: Vec<f64> = v.iter().map(|x| x * s * s).collect();
            for (name, f) in [
                ("reml", tau2_reml as fn(&[f64], &[f64]) -> Option<f64>),
                ("pm", tau2_pm),
            ] {
                let (a, b) = (f(&y, &v).unwrap(), f(&ys, &vs).unwrap() / (s * s));
                assert!((a - b).abs() <= 1e-9 * a, "{name} at scale {s}: {b} vs {a}");
            }
        }
        let (y, v) = (STALL_Y, STALL_V);
        for s in [1e-8, 1e-4, 1e4] {
            let ys: Vec<f64> = y.iter().map(|x| x * s).collect();
            let vs: Vec<f64> = v.iter().map(|x| x * s * s).collect();
            assert_eq!(tau2_reml(&ys, &vs), Some(0.0), "scale {s}");
        }
    }
}
