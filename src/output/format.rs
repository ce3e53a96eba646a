//! Shared formatting of numbers for every output: month labels, grouped
//! thousands and "estimate ± MC SE".

use crate::metrics::Estimate;

/// A month as a JSON key or CSV cell: `12` for whole months, `1.5` otherwise.
pub fn month_label(m: f64) -> String {
    if m.fract() == 0.0 && m.abs() < 1e15 {
        format!("{}", m as i64)
    } else {
        format!("{m}")
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

/// `0.262 ± 0.004` with `decimals` digits, `0.262` without an MC SE, and
/// `undefined` for a metric without an estimate.
pub fn plus_minus(e: Option<&Estimate>, decimals: usize) -> String {
    match e.map(|e| (e.estimate, e.mc_se)) {
        Some((Some(x), Some(se))) => format!("{x:.decimals$} ± {se:.decimals$}"),
        Some((Some(x), None)) => format!("{x:.decimals$}"),
        _ => "undefined".to_string(),
    }
}
