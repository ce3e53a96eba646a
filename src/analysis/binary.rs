//! Exact inference on binary outcomes (issue #18): the one-sided
//! Clopper–Pearson upper bound of a rate, Fisher's exact test of two arms'
//! event rates (p-values as R's `fisher.test`), and its exact power by
//! enumeration. The safety and responder endpoints stand on these.

use statrs::distribution::{Beta, Binomial, ContinuousCDF, Discrete, Hypergeometric};

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
    let low = events.saturating_sub(n2);
    let high = events.min(n1);
    let law = Hypergeometric::new(total, events, n1).expect("a valid table");
    let p = match alternative {
        Alternative::Greater => (x1..=high).map(|x| law.pmf(x)).sum::<f64>(),
        Alternative::Less => (low..=x1).map(|x| law.pmf(x)).sum::<f64>(),
        Alternative::TwoSided => {
            let observed = law.pmf(x1) * (1.0 + 1e-7);
            (low..=high)
                .map(|x| law.pmf(x))
                .filter(|&d| d <= observed)
                .sum::<f64>()
        }
    };
    p.min(1.0)
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
