//! The teaching presets' headline numbers (issue #23): read from a run of
//! a preset, and read back from a row of the README's teaching table
//! (`trialsim presets --table` writes it; a test reruns the presets and
//! checks the README's numbers against them).

use crate::engine::RunResult;
use crate::metrics::{Estimate, Metric};
use crate::scenario::presets::{Group, Headline};

/// The value of headline `h` in `result`; `None` where the run has no such
/// number.
pub fn headline_value(result: &RunResult, h: &Headline) -> Option<Estimate> {
    let dp = result.design_points.get(h.point)?;
    let metric = Metric::from_name(h.metric)?;
    let metrics = match h.group {
        Group::Trial => &dp.metrics,
        Group::Meta => dp.meta.as_ref()?,
        Group::Visit(month) => &dp.by_visit.iter().find(|v| v.month == month)?.metrics,
    };
    metrics.get(metric).copied()
}

/// The numbers `x ± se` of a table row, in order (a percentage as a share).
pub fn row_numbers(row: &str) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let words: Vec<&str> = row.split_whitespace().collect();
    for w in words.windows(3) {
        if w[1] != "±" {
            continue;
        }
        let percent = w[0].ends_with('%');
        let x = w[0].trim_end_matches('%').parse::<f64>();
        let se = w[2].trim_end_matches([';', '|', '%']).parse::<f64>();
        if let (Ok(x), Ok(se)) = (x, se) {
            let scale = if percent { 0.01 } else { 1.0 };
            out.push((x * scale, se * scale));
        }
    }
    out
}
