//! `trialsim size`: the smallest (or largest) value of a parameter that meets
//! every requirement, at one design or at each value of a second parameter.

use super::SizeArgs;
use super::common::{Figures, print, run_options, study_of, warn, write_outputs};
use super::progress;
use std::path::PathBuf;
use trialsim::engine::sizing;
use trialsim::output;
use trialsim::{Error, Result};

/// Runs the command.
pub fn size(args: SizeArgs) -> Result<()> {
    let study = study_of(
        args.scenario.as_deref(),
        args.common.preset.as_deref(),
        args.common.quiet,
    )?;
    let c = &args.common;
    let out = c
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}_size", study.name)));
    output::files::check_overwrite(&out, &study.name, c.seed.unwrap_or(study.seed), c.force)?;
    let opts = sizing::SizeOptions {
        param: args.param.clone(),
        target_power: args.target_power,
        max_type_m: args.max_type_m,
        require: args.require.clone(),
        min: args.min,
        max: args.max,
        direction: args.direction,
    };
    // Before the run: a size without a target is refused at once.
    sizing::requirements(&opts)?;
    let bar = progress::Bar::new(c.quiet);
    let on_progress = |done, total| {
        bar.update(done, total);
        true
    };
    if args.protocol && args.over.is_some() {
        return Err(Error::Usage(
            "--protocol justifies one design; run it without --over (at the design chosen)"
                .to_string(),
        ));
    }
    if let Some((key, values)) = &args.over {
        let found = sizing::size_over(&study, &opts, key, values, &run_options(c), &on_progress);
        bar.finish();
        let (answer, result) = found?;
        let figures = Figures {
            size: Some(output::plots::SizeFigure::Over(answer.clone())),
            ..Figures::of(c)
        };
        write_outputs(&out, &study, &result, c.force, figures)?;
        warn(&result, c.quiet);
        if !c.quiet {
            for w in &answer.warnings {
                eprintln!("warning: {w}");
            }
            for row in &answer.rows {
                for w in row.answer.iter().flat_map(|a| &a.warnings) {
                    eprintln!("warning ({key} = {}): {w}", row.over_value);
                }
            }
        }
        return show(&answer, || answer.text(), &args, &out);
    }
    let found = sizing::size(&study, &opts, &run_options(c), &on_progress);
    bar.finish();
    let (answer, result) = found?;
    let limit = |m: trialsim::metrics::Metric| {
        answer
            .requirements
            .iter()
            .find(|r| r.requirement.metric == m)
            .map(|r| r.requirement.limit)
    };
    let protocol = if args.protocol {
        let sensitivity =
            sizing::sensitivity(&study, &opts, &answer, &run_options(c), &on_progress);
        bar.finish();
        let at_answer =
            trialsim::scenario::Study::from(study.patched(&answer.param, answer.value.toml())?);
        Some(output::protocol::protocol(
            &at_answer,
            &answer,
            &sensitivity?,
            (result.seed, result.replicates),
            &answer.settings(),
            trialsim::Naming::Flags,
        ))
    } else {
        None
    };
    let marks = output::plots::SizeMarks {
        param: answer.param.clone(),
        value: answer.value.as_f64(),
        label: answer.value.to_string(),
        target_power: limit(trialsim::metrics::Metric::Power),
        max_type_m: limit(trialsim::metrics::Metric::TypeM),
    };
    let figures = Figures {
        size: Some(output::plots::SizeFigure::Curve(marks)),
        protocol: protocol.clone(),
        ..Figures::of(c)
    };
    write_outputs(&out, &study, &result, c.force, figures)?;
    warn(&result, c.quiet);
    if !c.quiet {
        for w in &answer.warnings {
            eprintln!("warning: {w}");
        }
    }
    let text = || {
        let paragraph = protocol.map_or(String::new(), |p| format!("\n{}\n", p.text));
        format!("{}{paragraph}", answer.text(trialsim::Naming::Flags))
    };
    show(&answer, text, &args, &out)
}

/// Prints an answer: as JSON with `--json`, else its text and where the
/// outputs went (nothing with `--quiet`).
fn show<T: serde::Serialize>(
    answer: &T,
    text: impl FnOnce() -> String,
    args: &SizeArgs,
    out: &std::path::Path,
) -> Result<()> {
    if args.json {
        let json =
            serde_json::to_string_pretty(answer).map_err(|e| Error::Internal(e.to_string()))?;
        print(&format!("{json}\n"))
    } else if args.common.quiet {
        Ok(())
    } else {
        print(&format!("{}wrote {}\n", text(), out.display()))
    }
}
