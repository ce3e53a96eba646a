//! Shared formatting for every output: month labels, grouped thousands and
//! the forest plot's literature in words
//! ("estimate ± MC SE" is [`crate::metrics::Estimate::plus_minus`],
//! which the engine's messages use too).

/// A month as a JSON key or CSV cell: `12` for whole months, `1.5` otherwise.
pub fn month_label(m: f64) -> String {
    if m.fract() == 0.0 && m.abs() < 1e15 {
        format!("{}", m as i64)
    } else {
        format!("{m}")
    }
}

/// A duration in months, in words: `1 month`, `2.5 months`.
pub fn months(m: f64) -> String {
    let label = month_label(m);
    if m == 1.0 {
        format!("{label} month")
    } else {
        format!("{label} months")
    }
}

/// What a trial claims under its hypothesis, as a verb phrase after
/// "trials …": "reach significance", "show non-inferiority (margin 5)",
/// "show equivalence (within ±5)".
pub fn claim_words(h: crate::scenario::Hypothesis) -> String {
    use crate::scenario::Hypothesis;
    match h {
        Hypothesis::Superiority => "reach significance".to_string(),
        Hypothesis::NonInferiority { margin } => {
            format!("show non-inferiority (margin {margin})")
        }
        Hypothesis::Equivalence { margin } => format!("show equivalence (within ±{margin})"),
    }
}

/// The test each trial makes under a non-inferiority or equivalence
/// hypothesis, in words, with the interval rule it amounts to (`s` the
/// direction of MODEL.md §0); `None` for superiority.
pub fn margin_test_words(h: crate::scenario::Hypothesis, alpha: f64, s: f64) -> Option<String> {
    use crate::scenario::Hypothesis;
    let level = format!("{}%", ((1.0 - 2.0 * alpha) * 1e8).round() / 1e6);
    match h {
        Hypothesis::Superiority => None,
        Hypothesis::NonInferiority { margin } => {
            let (bound, side, limit) = if s < 0.0 {
                ("upper", "below", format!("+{margin}"))
            } else {
                ("lower", "above", format!("−{margin}"))
            };
            Some(format!(
                "a one-sided test of non-inferiority at alpha = {alpha} with margin {margin}: \
                 a trial claims that the treatment is worse than control by less than {margin} points \
                 when the {bound} bound of its {level} confidence interval lies {side} {limit}"
            ))
        }
        Hypothesis::Equivalence { margin } => Some(format!(
            "two one-sided tests of equivalence (TOST), each at alpha = {alpha}, with margin {margin}: \
             a trial claims equivalence when its {level} confidence interval lies within ±{margin}"
        )),
    }
}

/// `10 000`: digits grouped by thin spaces.
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Which literature the forest plot draws and why, in words (its note and
/// the report's caption).
pub fn forest_literature(literature: &crate::engine::ForestLiterature) -> String {
    match literature.choice {
        crate::engine::ForestChoice::Median => format!(
            "the typical simulated literature, replicate {} (its pooled estimate is the median of the first {} that could be pooled)",
            literature.replicate,
            group_thousands(literature.among)
        ),
        crate::engine::ForestChoice::Replicate(k) => {
            format!("the simulated literature of replicate {k}, as asked")
        }
    }
}

/// The publication-bias corrections a reviewer would try, in words, with
/// the suffix of their metrics (`meta_bias_<suffix>`, …).
pub(crate) const CORRECTIONS: [(&str, &str); 4] = [
    ("naive pooling", "naive"),
    ("trim-and-fill", "trimfill"),
    ("PET-PEESE", "pet_peese"),
    ("the selection model", "selection"),
];

/// Decimals that show `se` to its first significant digit: at least
/// `least`, at most 4 (so "2.476 ± 0.004", not "2.48 ± 0.00").
pub fn se_decimals(se: f64, least: usize) -> usize {
    if se > 0.0 && se.is_finite() {
        ((-se.log10().floor()).max(0.0) as usize).clamp(least, 4)
    } else {
        least
    }
}

/// `x ± se` to the decimal of the SE's first significant digit (at least
/// `least` decimals), with `unit` after each.
pub fn with_se(x: f64, se: f64, least: usize, unit: &str) -> String {
    let d = se_decimals(se, least);
    format!("{x:.d$}{unit} ± {se:.d$}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_thousands() {
        assert_eq!(month_label(12.0), "12");
        assert_eq!(month_label(1.5), "1.5");
        let grouped = group_thousands(1_234_567);
        let groups: Vec<&str> = grouped.split(|c: char| !c.is_ascii_digit()).collect();
        assert_eq!(groups, ["1", "234", "567"]);
        assert_eq!(group_thousands(999), "999");
        assert_eq!(months(1.0), "1 month");
        assert_eq!(months(2.5), "2.5 months");
        assert_eq!(months(12.0), "12 months");
    }
}
