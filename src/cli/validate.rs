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
    out
}
