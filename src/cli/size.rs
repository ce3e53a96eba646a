//! `trialsim size`: the smallest value of a parameter that reaches a target power.

use super::SizeArgs;
use super::common::{load, print, reserved_flags, run_options, warn, write_outputs};
use super::progress;
use std::path::PathBuf;
use trialsim::engine::sizing::{self, SizeAnswer};
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
    write_outputs(&out, &study, &result, c.force)?;
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
            text_answer(&answer, args.target_power),
            out.display()
        ))
    }
}

/// The readable answer `size` prints without `--json`.
pub fn text_answer(a: &SizeAnswer, target: f64) -> String {
    let mut out = format!(
        "smallest {} reaching power {target}: {}\n  power at {} = {:.4} ± {:.4} (MC SE)\n",
        a.param, a.value, a.value, a.power.estimate, a.power.mc_se
    );
    if let (Some(v), Some(p)) = (a.value_below, a.power_below) {
        out.push_str(&format!(
            "  power at {v} = {:.4} ± {:.4} (MC SE)\n",
            p.estimate, p.mc_se
        ));
    }
    if a.within_mc_error {
        out.push_str(
            "  within Monte Carlo error of the target: the answer is uncertain; use more replicates or --precision\n",
        );
    }
    out
}
