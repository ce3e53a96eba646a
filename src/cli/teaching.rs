//! `trialsim presets --table`: the README's teaching table — one row per
//! preset: the pitfall, the command that shows it, its headline numbers
//! from a run of the preset as shipped, and the figure to open.
//! `scripts/teaching-table.sh` puts it into the README between [`START`]
//! and [`END`].

use trialsim::engine::RunResult;
use trialsim::metrics::Estimate;
use trialsim::output::teaching::headline_value;
use trialsim::scenario::presets::{Headline, Preset};

/// The line before the table in the README.
pub const START: &str = "<!-- teaching-table: written by scripts/teaching-table.sh -->";
/// The line after it.
pub const END: &str = "<!-- /teaching-table -->";

/// A headline's text: `label x ± se`, a percentage or a number, to the
/// decimal of the SE's first significant digit.
fn shown(h: &Headline, e: &Estimate) -> String {
    let (scale, unit, least) = if h.percent {
        (100.0, "%", 1)
    } else {
        (1.0, "", 2)
    };
    let number = match (e.estimate, e.mc_se) {
        (Some(x), Some(se)) => {
            trialsim::output::format::with_se(scale * x, scale * se, least, unit)
        }
        (Some(x), None) => format!("{:.least$}{unit}", scale * x),
        (None, _) => "undefined".to_string(),
    };
    format!("{} {number}", h.label)
}

/// The table (Markdown, between its markers) for the presets and their
/// results, in order.
pub fn table(rows: &[(&Preset, &RunResult)]) -> String {
    let mut out = format!(
        "{START}\n\n| Pitfall | Command | Headline (± Monte Carlo SE) | Figure |\n|---|---|---|---|\n"
    );
    for (p, result) in rows {
        let numbers: Vec<String> = p
            .headline
            .iter()
            .map(|h| {
                headline_value(result, h)
                    .map_or_else(|| format!("{} missing", h.label), |e| shown(h, &e))
            })
            .collect();
        let figure = if p.figure.is_empty() {
            "—".to_string()
        } else {
            format!("`plots/{}.png`", p.figure)
        };
        out.push_str(&format!(
            "| {} | `trialsim run --preset {}` | {} | {figure} |\n",
            p.pitfall,
            p.name,
            numbers.join("; "),
        ));
    }
    out.push('\n');
    out.push_str(END);
    out.push('\n');
    out
}
