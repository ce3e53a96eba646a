//! `trialsim size`: the smallest value of a parameter that reaches a target power.

use super::SizeArgs;
use super::common::{Figures, load, print, reserved_flags, run_options, warn, write_outputs};
use super::progress;
use std::path::PathBuf;
use trialsim::engine::sizing::{self, PowerJson, SizeAnswer};
use trialsim::output;
use trialsim::{Error, Result};

/// Runs the command.
pub fn size(args: SizeArgs) -> Result<()> {
    reserved_flags(&args.common)?;
    let study = load(&args.scenario, args.common.quiet)?;
    let c = &args.common;
    let out = c
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}_size", study.name)));
    output::files::check_overwrite(&out, &study.name, c.seed.unwrap_or(study.seed), c.force)?;
    let opts = sizing::SizeOptions {
        param: args.param.clone(),
        target_power: args.target_power,
        min: args.min,
        max: args.max,
        max_type_m: args.max_type_m,
    };
    let bar = progress::Bar::new(c.quiet);
    let found = sizing::size(&study, &opts, &run_options(c), &|done, total| {
        bar.update(done, total);
        true
    });
    bar.finish();
    let (answer, result) = found?;
    let marks = output::plots::SizeMarks {
        param: answer.param.clone(),
        value: answer.value,
        target_power: args.target_power,
        max_type_m: args.max_type_m,
    };
    let figures = Figures {
        size: Some(marks),
        ..Figures::of(c)
    };
    write_outputs(&out, &study, &result, c.force, figures)?;
    warn(&result, c.quiet);
    if !c.quiet {
        for w in &answer.warnings {
            eprintln!("warning: {w}");
        }
    }
    if args.json {
        let json =
            serde_json::to_string_pretty(&answer).map_err(|e| Error::Internal(e.to_string()))?;
        print(&format!("{json}\n"))
    } else if c.quiet {
        Ok(())
    } else {
        print(&format!(
            "{}wrote {}\n",
            text_answer(&answer, args.target_power, args.max_type_m),
            out.display()
        ))
    }
}

/// The readable answer `size` prints without `--json`.
pub fn text_answer(a: &SizeAnswer, target: f64, max_type_m: Option<f64>) -> String {
    let limit = max_type_m.map_or(String::new(), |m| format!(" with type M <= {m}"));
    let mut out = format!(
        "smallest {} reaching power {target}{limit}: {}\n  power at {} = {:.4} ± {:.4} (MC SE)\n",
        a.param, a.value, a.value, a.power.estimate, a.power.mc_se
    );
    if let (Some(v), Some(p)) = (a.value_below, a.power_below) {
        out.push_str(&format!(
            "  power at {v} = {:.4} ± {:.4} (MC SE)\n",
            p.estimate, p.mc_se
        ));
    }
    if max_type_m.is_some() {
        let show = |e: &Option<PowerJson>| {
            e.map_or("undefined (no significant trial)".to_string(), |e| {
                format!("{:.3} ± {:.3} (MC SE)", e.estimate, e.mc_se)
            })
        };
        out.push_str(&format!("  type M at {} = {}\n", a.value, show(&a.type_m)));
        if let Some(v) = a.value_below {
            out.push_str(&format!("  type M at {v} = {}\n", show(&a.type_m_below)));
        }
        match a.binding.flatten() {
            Some("type_m") => out.push_str(&format!(
                "  binding: type M ({} = {} reaches the power but exaggerates more)\n",
                a.param,
                a.value - 1
            )),
            Some(_) => out.push_str("  binding: power (the value below misses the target power)\n"),
            None => {
                out.push_str("  binding: neither (the answer is the smallest value searched)\n")
            }
        }
    }
    if a.within_mc_error {
        out.push_str(
            "  within Monte Carlo error of a limit: the answer is uncertain; use more replicates or --precision\n",
        );
    }
    out
}
