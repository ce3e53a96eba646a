//! `trialsim validate`: checks a scenario and prints it fully resolved,
//! followed by what its variance settings imply (as TOML comments, so the
//! output still loads as a scenario).

use super::common::{load, print};
use std::path::Path;
use trialsim::Result;
use trialsim::scenario::{Scenario, implied::Spread};

/// Runs the command.
pub fn validate(scenario: &Path) -> Result<()> {
    let study = load(scenario, false)?;
    let base = &study.points[study.focus_point()].scenario;
    print(&format!(
        "{}\n{}",
        study.resolved_toml(study.seed, study.replicates)?,
        implied_comment(base)
    ))
}

/// What the variance settings imply, as `#` lines.
fn implied_comment(sc: &Scenario) -> String {
    let implied = sc.implied();
    let month = trialsim::output::format::month_label(implied.month);
    let o = &sc.outcome;
    let mut out = format!(
        "# What the variance settings imply, in outcome units, within one trial\n\
         # (subject_sd = {}, residual_sd = {}, rho = {} per month; clamping to\n\
         # the scale's bounds left out). Compare them with a published table.\n",
        o.subject_sd, o.residual_sd, o.rho
    );
    let mut block = |title: &str, s: &Spread| {
        out.push_str(&format!("# {title}\n"));
        let mut line = |what: &str, value: f64| {
            out.push_str(&format!("#   {what:<44} {value:>8.2}\n"));
        };
        line("mean at baseline", s.mean_baseline);
        line("SD at baseline", s.sd_baseline);
        line(
            &format!("SD at month {month} (primary), control arm"),
            s.sd_primary,
        );
        line(
            &format!("correlation of baseline and month {month}"),
            s.correlation,
        );
        line(&format!("SD of the change to month {month}"), s.sd_change);
        if (s.sd_primary_treated - s.sd_primary).abs() > 1e-9 {
            line(
                &format!("SD at month {month}, treated arm"),
                s.sd_primary_treated,
            );
        }
    };
    block("Screened population:", &implied.screened);
    if let (Some(e), Some(cut)) = (&implied.enrolled, o.inclusion) {
        let side = if o.s < 0.0 { ">=" } else { "<=" };
        block(
            &format!(
                "Enrolled patients (baseline {side} outcome.inclusion = {cut}: {:.1}% of those screened):",
                100.0 * implied.admitted
            ),
            e,
        );
    }
    // The formulas leave clamping out: say when that matters.
    let shown = implied.enrolled.unwrap_or(implied.screened);
    let (lo, hi) = (
        shown.mean_baseline - shown.sd_baseline,
        shown.mean_baseline + shown.sd_baseline,
    );
    if o.min.is_some_and(|m| lo < m) || o.max.is_some_and(|m| hi > m) {
        out.push_str(&format!(
            "# note: mean ± 1 SD at baseline ({lo:.1} to {hi:.1}) reaches beyond the scale [{}, {}]:\n\
             # the simulated values are clamped there, so their spread is narrower than shown.\n",
            o.min.map_or("-inf".to_string(), |m| m.to_string()),
            o.max.map_or("inf".to_string(), |m| m.to_string()),
        ));
    }
    out
}
