//! Critical values of Student's t: computed once per integer df and
//! refined for Welch's non-integer df (the cache the `Workspace` carries).

use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

/// Critical values of t by integer degrees of freedom, computed once each:
/// an inverse t CDF costs about 1.3 µs, more than half of a small trial.
/// Non-integer df (Welch) start from the cached values at the integers
/// around them and take one Halley step (see `CritCache::get`).
#[derive(Debug, Clone, Default)]
pub struct CritCache {
    level: f64,
    values: Vec<f64>,
}

/// Largest integer df cached; beyond it the quantile is computed each time.
const MAX_CACHED_DF: usize = 100_000;

/// Smallest non-integer df refined from the cache; below it the quantile's
/// curvature in df is too strong for one step, and [`quantile`] computes it.
const MIN_REFINED_DF: f64 = 20.0;

/// Tail probability below which a non-integer df gets the full [`quantile`]
/// rather than one step from the cache (alpha below about 2e-6).
const MIN_REFINED_TAIL: f64 = 1e-6;

impl CritCache {
    /// The quantile `t_{df}^{-1}(level)`.
    ///
    /// Integer df: [`quantile`], once per df. Other df in
    /// [`MIN_REFINED_DF`, `MAX_CACHED_DF`) with a tail of at least
    /// [`MIN_REFINED_TAIL`]: interpolate the cached quantiles at the
    /// neighbouring integers linearly in 1/df, then one Halley step, whose
    /// error is of the order of the cube of the starting error: within 1e-9
    /// relative of the full inversion (tested), for one tail probability and
    /// one density instead of an iterative inversion — Welch's df are never
    /// integers, so this is paid per trial.
    pub(super) fn get(&mut self, df: f64, level: f64) -> f64 {
        if self.level != level {
            self.level = level;
            self.values.clear();
        }
        let whole = df.fract() == 0.0 && df >= 1.0 && df <= MAX_CACHED_DF as f64;
        if whole {
            return self.cached(df as usize, level);
        }
        let refined = (MIN_REFINED_DF..MAX_CACHED_DF as f64).contains(&df)
            && level.min(1.0 - level) >= MIN_REFINED_TAIL;
        if !refined {
            return quantile(df, level);
        }
        let (lo, hi) = (df.floor(), df.ceil());
        let (t_lo, t_hi) = (
            self.cached(lo as usize, level),
            self.cached(hi as usize, level),
        );
        let w = (1.0 / df - 1.0 / hi) / (1.0 / lo - 1.0 / hi);
        halley(t_hi + w * (t_lo - t_hi), df, level).0
    }

    fn cached(&mut self, df: usize, level: f64) -> f64 {
        if self.values.len() <= df {
            self.values.resize(df + 1, f64::NAN);
        }
        if self.values[df].is_nan() {
            self.values[df] = quantile(df as f64, level);
        }
        self.values[df]
    }
}

/// One Halley step from `t` towards `t_{df}^{-1}(level)`, and the step
/// taken. It solves on the smaller tail — `S(t) = 1 − level` above the
/// median, `F(t) = level` below — so that a level near 1 loses no digits to
/// `F(t) − level`.
fn halley(t: f64, df: f64, level: f64) -> (f64, f64) {
    let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0 and finite");
    let density = dist.pdf(t);
    // g(t) = S(t) − (1 − level), decreasing; or F(t) − level, increasing.
    let (g, sign) = if level > 0.5 {
        (dist.sf(t) - (1.0 - level), -1.0)
    } else {
        (dist.cdf(t) - level, 1.0)
    };
    let d1 = sign * density;
    // The density's derivative is −(df + 1) t / (df + t²) times the density.
    let d2 = -d1 * (df + 1.0) * t / (df + t * t);
    let step = 2.0 * g * d1 / (2.0 * d1 * d1 - g * d2);
    (t - step, step)
}

/// `t_{df}^{-1}(level)` to about 1e-10 relative or better (tested against
/// scipy). Up to 10⁵ df: statrs's inverse CDF, then Halley steps on statrs's
/// tail probability until they stop mattering (at most 10) — statrs's
/// inversion drifts above about 10⁴ df (4e-6 relative at 10⁵ against scipy)
/// and does not return from about 1.5·10⁷ df, while its tail probability
/// stays accurate to that range. Above 10⁵ df: the Cornish–Fisher expansion
/// in 1/df around the normal quantile (Abramowitz & Stegun 26.7.5), whose
/// first omitted term is below 1e-20 there.
pub(super) fn quantile(df: f64, level: f64) -> f64 {
    if df > MAX_CACHED_DF as f64 {
        return cornish_fisher(df, level);
    }
    let mut t = StudentsT::new(0.0, 1.0, df)
        .expect("df > 0 and finite")
        .inverse_cdf(level);
    for _ in 0..10 {
        let (next, step) = halley(t, df, level);
        if !next.is_finite() {
            break;
        }
        t = next;
        if step.abs() <= 4.0 * f64::EPSILON * t.abs() {
            break;
        }
    }
    t
}

/// The Cornish–Fisher expansion of Student's t quantile in powers of 1/df
/// (Abramowitz & Stegun 26.7.5, four terms).
fn cornish_fisher(df: f64, level: f64) -> f64 {
    let z = statrs::distribution::Normal::standard().inverse_cdf(level);
    let z2 = z * z;
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_scipy() {
        // scipy 1.17.1, `scipy.stats.t.ppf(level, df)`, printed with repr.
        let reference = [
            (1.5, 0.9, 2.1963984175655376),
            (1.5, 0.975, 6.016663104427929),
            (1.5, 0.995, 17.820310514462804),
            (4.5, 0.9, 1.5008853175085577),
            (4.5, 0.975, 2.6589123472044034),
            (4.5, 0.995, 4.272823993011293),
            (7.3, 0.9, 1.4089223177480423),
            (7.3, 0.975, 2.345066736547703),
            (7.3, 0.995, 3.451031655622185),
            (30.0, 0.9, 1.3104150253913955),
            (30.0, 0.975, 2.0422724563012378),
            (30.0, 0.995, 2.7499956535672254),
            (100.5, 0.9, 1.29003207221386),
            (100.5, 0.975, 1.9838506553357993),
            (100.5, 0.995, 2.625636965379534),
            (1234.5, 0.9, 1.2822377116633759),
            (1234.5, 0.975, 1.9618874833313453),
            (1234.5, 0.995, 2.579817729733322),
            (30000.0, 0.9, 1.2815797856711708),
            (30000.0, 0.975, 1.9600430633839347),
            (30000.0, 0.995, 2.5759931982857065),
            (100000.0, 0.9, 1.2815600314493614),
            (100000.0, 0.975, 1.9599877075346095),
            (100000.0, 0.995, 2.575878469908375),
            (250000.5, 0.9, 1.2815549518860307),
            (250000.5, 0.975, 1.9599734736511565),
            (250000.5, 0.995, 2.575848969841319),
            // Extreme levels, and df up to the largest a design allows.
            (1.0, 0.9999999999, 3183098598.467148),
            (1.11, 0.9999999999, 372378998.6389403),
            (20.5, 0.9999999999, 11.541182306943131),
            (20.5, 0.99999999995, 11.995008750090276),
            (57.3, 0.9999999999, 7.712723994217792),
            (1000000.0, 0.95, 1.6448551507220404),
            (1000000.0, 0.975, 1.959966356814107),
            (2000000.0, 0.95, 1.6448543888364011),
            (10000000.0, 0.975, 1.959964221767205),
            (10000000.0, 0.95, 1.6448537793284017),
            (20000000.0, 0.975, 1.959964103153622),
            (19999997.0, 0.95, 1.644853703139945),
            (5000000.0, 0.9995, 3.290528677439104),
        ];
        for (df, level, expected) in reference {
            // Cold and through a warm cache (integer df cached, others refined).
            let mut cache = CritCache::default();
            for got in [
                quantile(df, level),
                cache.get(df, level),
                cache.get(df, level),
            ] {
                let error = ((got - expected) / expected).abs();
                assert!(error < 1e-9, "df {df}, level {level}: {got} vs {expected}");
            }
        }
    }

    #[test]
    fn refined_non_integer_quantiles_match_the_full_inversion() {
        let mut cache = CritCache::default();
        for level in [0.9, 0.95, 0.975, 0.995, 0.9995, 0.99995, 0.1, 0.025] {
            let mut worst: f64 = 0.0;
            let mut df: f64 = 1.05;
            while df < 2e5 {
                for x in [df, df.floor() + 0.5, df.floor() + 0.999, df.floor() + 0.001] {
                    let exact = quantile(x, level);
                    worst = worst.max(((cache.get(x, level) - exact) / exact).abs());
                }
                df *= 1.07;
            }
            assert!(worst < 1e-10, "level {level}: relative error {worst:e}");
        }
    }
}
