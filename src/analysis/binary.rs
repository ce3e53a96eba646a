//! Exact inference on binary outcomes (issue #18): the one-sided
//! Clopper–Pearson upper bound of a rate, Fisher's exact test of two arms'
//! event rates (p-values as R's `fisher.test`), and its exact power by
//! enumeration. The safety and responder endpoints stand on these.

use statrs::distribution::{Beta, Binomial, ContinuousCDF, Discrete, Normal};

/// Which way a one-sided test looks, in terms of the first arm's rate
/// against the second's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// The rates differ.
    TwoSided,
    /// The first arm's rate is higher.
    Greater,
    /// The first arm's rate is lower.
    Less,
}

/// The one-sided upper confidence bound at `level` (e.g. 0.95) of a rate
/// with `x` events among `n` (Clopper and Pearson 1934): the p at which
/// P(X ≤ x | n, p) = 1 − level, which is the `level` quantile of
/// Beta(x + 1, n − x); 1 when every patient had the event. With no events
/// it is 1 − (1 − level)^(1/n), which the rule of three approximates by
/// 3/n at 95%.
///
/// # Panics
/// If `x > n`, `n == 0` or `level` is not in (0, 1).
pub fn clopper_pearson_upper(x: u64, n: u64, level: f64) -> f64 {
    assert!(x <= n && n > 0 && level > 0.0 && level < 1.0);
    if x == n {
        return 1.0;
    }
    if x == 0 {
        return 1.0 - (1.0 - level).powf(1.0 / n as f64);
    }
    let beta = Beta::new(x as f64 + 1.0, (n - x) as f64).expect("positive shapes");
    // statrs's inverse of the regularised incomplete beta is good to about
    // 1e-11 relative (1 event in 1 000); two Newton steps on its CDF bring
    // it to rounding.
    let mut p = beta.inverse_cdf(level);
    for _ in 0..2 {
        let density = statrs::distribution::Continuous::pdf(&beta, p);
        if density > 0.0 {
            p = (p - (beta.cdf(p) - level) / density).clamp(0.0, 1.0);
        }
    }
    p
}

/// Fisher's exact test of `x1` events among `n1` against `x2` among `n2`,
/// conditional on the total events: the first arm's count is
/// hypergeometric. Two-sided as R's `fisher.test`: the probability of every
/// table no more likely than the one observed (within a relative 1e-7).
///
/// # Panics
/// If `x1 > n1` or `x2 > n2`.
pub fn fisher_exact(x1: u64, n1: u64, x2: u64, n2: u64, alternative: Alternative) -> f64 {
    assert!(x1 <= n1 && x2 <= n2);
    let (total, events) = (n1 + n2, x1 + x2);
    if total == 0 {
        return 1.0;
    }
    let (low, law) = hypergeometric(total, events, n1);
    let at = |x: u64| law[(x - low) as usize];
    let p = match alternative {
        Alternative::Greater => law[(x1 - low) as usize..].iter().sum::<f64>(),
        Alternative::Less => law[..=(x1 - low) as usize].iter().sum::<f64>(),
        Alternative::TwoSided => {
            let observed = at(x1) * (1.0 + 1e-7);
            law.iter().filter(|&&d| d <= observed).sum::<f64>()
        }
    };
    p.min(1.0)
}

/// The hypergeometric law of the first arm's events, given `events` among
/// `total` patients of whom `n1` are in the first arm: its lowest value and
/// the probabilities from there to the highest. Built by the ratio of
/// successive terms outward from the mode and normalised, as R's
/// `fisher.test` normalises its `dhyper` terms: statrs's `pmf` forms the
/// binomial coefficients themselves, which overflow past about 1 000
/// patients (infinity over infinity), and this is also cheaper than a
/// log-gamma per term.
fn hypergeometric(total: u64, events: u64, n1: u64) -> (u64, Vec<f64>) {
    let low = events.saturating_sub(total - n1);
    let high = events.min(n1);
    let (k, n, m) = (events as f64, n1 as f64, (total - events) as f64);
    // w(x + 1) / w(x): (K − x)(n1 − x) / ((x + 1)(N − K − n1 + x + 1)).
    let ratio = |x: f64| (k - x) * (n - x) / ((x + 1.0) * (m - n + x + 1.0));
    let mode = (((n + 1.0) * (k + 1.0) / (total as f64 + 2.0)).floor() as u64).clamp(low, high);
    let mut w = vec![0.0; (high - low + 1) as usize];
    w[(mode - low) as usize] = 1.0;
    for x in mode..high {
        let i = (x - low) as usize;
        w[i + 1] = w[i] * ratio(x as f64);
    }
    for x in (low..mode).rev() {
        let i = (x - low) as usize;
        w[i] = w[i + 1] / ratio(x as f64);
    }
    let sum: f64 = w.iter().sum();
    w.iter_mut().for_each(|d| *d /= sum);
    (low, w)
}

/// The two-sided Wilson score interval at `level` for a rate with `x`
/// events among `n` (Wilson 1927), as R's `prop.test(x, n, correct =
/// FALSE)`: the rates whose score test does not reject.
///
/// # Panics
/// If `x > n`, `n == 0` or `level` is not in (0, 1).
pub fn wilson_interval(x: u64, n: u64, level: f64) -> (f64, f64) {
    assert!(x <= n && n > 0 && level > 0.0 && level < 1.0);
    let z = Normal::standard().inverse_cdf(0.5 + level / 2.0);
    let (n, p) = (n as f64, x as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 and n events one end is exactly 0 or 1; rounding may miss it.
    let lower = if x == 0 { 0.0 } else { centre - half };
    let upper = if p == 1.0 { 1.0 } else { centre + half };
    (lower.max(0.0), upper.min(1.0))
}

/// Newcombe's hybrid score interval at `level` for the difference of rates
/// `x1/n1 − x2/n2` (Newcombe 1998, method 10): each rate's Wilson interval
/// `(l, u)`, combined as `d − sqrt((p1 − l1)² + (u2 − p2)²)` to
/// `d + sqrt((u1 − p1)² + (p2 − l2)²)`. It stays within [−1, 1] and is not
/// degenerate at 0 or n events.
///
/// # Panics
/// If `x1 > n1`, `x2 > n2`, an arm is empty or `level` is not in (0, 1).
pub fn newcombe_interval(x1: u64, n1: u64, x2: u64, n2: u64, level: f64) -> (f64, f64) {
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let (l1, u1) = wilson_interval(x1, n1, level);
    let (l2, u2) = wilson_interval(x2, n2, level);
    let d = p1 - p2;
    (
        d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt(),
        d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
    )
}

/// The exact power of [`fisher_exact`] at `alpha`: the probability, over
/// independent Binomial(n1, p1) and Binomial(n2, p2) event counts, that
/// its p-value is at most `alpha`. Enumerates every pair of counts (about
/// n1·n2·min(n1, n2) terms: for designs of up to a few hundred per arm).
///
/// # Panics
/// If a rate is not in [0, 1].
pub fn fisher_power(
    n1: u64,
    n2: u64,
    p1: f64,
    p2: f64,
    alpha: f64,
    alternative: Alternative,
) -> f64 {
    let (b1, b2) = (
        Binomial::new(p1, n1).expect("a rate in [0, 1]"),
        Binomial::new(p2, n2).expect("a rate in [0, 1]"),
    );
    let mut power = 0.0;
    for x1 in 0..=n1 {
        let w1 = b1.pmf(x1);
        for x2 in 0..=n2 {
            if fisher_exact(x1, n1, x2, n2, alternative) <= alpha {
                power += w1 * b2.pmf(x2);
            }
        }
    }
    power
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No events: the closed form; its 95% bound is close to the rule of
    /// three for large n.
    #[test]
    fn no_events_is_the_closed_form_near_three_over_n() {
        let u = clopper_pearson_upper(0, 1000, 0.95);
        assert!((u - (1.0 - 0.05f64.powf(1e-3))).abs() < 1e-15);
        assert!((u - 3.0 / 1000.0).abs() < 1e-5, "{u}");
    }

    /// A two-sided p-value is never below the smaller one-sided one.
    #[test]
    fn two_sided_p_is_at_least_the_smaller_one_sided_p() {
        for (x1, n1, x2, n2) in [(3, 10, 1, 10), (0, 5, 5, 5), (7, 20, 7, 20)] {
            let two = fisher_exact(x1, n1, x2, n2, Alternative::TwoSided);
            let one = fisher_exact(x1, n1, x2, n2, Alternative::Greater).min(fisher_exact(
                x1,
                n1,
                x2,
                n2,
                Alternative::Less,
            ));
            assert!(two >= one - 1e-15 && two <= 1.0, "{two} {one}");
        }
    }
}
