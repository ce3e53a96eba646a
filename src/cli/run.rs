//! `trialsim run`: every design point of a scenario, or one shard of it.

use super::RunArgs;
use super::common::{Figures, print, run_options, study_of, warn, write_outputs};
use super::progress;
use std::path::{Path, PathBuf};
use trialsim::engine;
use trialsim::output;
use trialsim::scenario::Study;
use trialsim::{Error, Message, Result, Setting};

/// Runs the command.
pub fn run(args: RunArgs) -> Result<()> {
    let study = study_of(
        args.scenario.as_deref(),
        args.common.preset.as_deref(),
        args.common.quiet,
    )?;
    let c = &args.common;
    if let Some(shard) = args.shard {
        let out = c
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-shards", study.name)));
        if out.exists() && !out.is_dir() {
            return Err(Error::Usage(format!(
                "--out {}: exists and is not a folder; choose another output folder",
                out.display()
            )));
        }
        let bar = progress::Bar::new(c.quiet);
        let file = engine::shard::run_shard(&study, &run_options(c), shard, &|d, t| {
            bar.update(d, t);
            true
        });
        bar.finish();
        let file = file?;
        std::fs::create_dir_all(&out).map_err(|e| Error::write(&out, e))?;
        let path = out.join(shard.file_name());
        let compact = serde_json::to_string(&file).map_err(|e| Error::Internal(e.to_string()))?;
        output::files::write_atomic(&path, &compact)?;
        if !c.quiet {
            print(&format!("wrote shard {shard} to {}\n", path.display()))?;
        }
        return Ok(());
    }
    let out = c
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(&study.name));
    // Before the run, so that a long run does not end in a refusal.
    let state = match args.add_replicates {
        Some(add) => Some(saved_state(&out, add, &args, &study)?),
        None => None,
    };
    output::files::check_overwrite(&out, &study.name, c.seed.unwrap_or(study.seed), c.force)?;
    if let (engine::ForestChoice::Replicate(k), None) = (c.forest, c.precision) {
        let replicates = c.replicates.unwrap_or(study.replicates);
        if k >= replicates {
            return Err(engine::forest_out_of_range(k, replicates));
        }
    }
    let bar = progress::Bar::new(c.quiet);
    let started = std::time::Instant::now();
    let on_progress = |done, total| {
        bar.update(done, total);
        true
    };
    let result = match (state, args.add_replicates) {
        (Some(state), Some(add)) => {
            engine::resume::add_replicates(&study, &run_options(c), state, add, &on_progress)
        }
        _ => engine::run_with_progress(&study, &run_options(c), &on_progress),
    };
    bar.finish();
    let result = result?;
    let seconds = started.elapsed().as_secs_f64();
    write_outputs(&out, &study, &result, c.force, Figures::of(c))?;
    warn(&result, c.quiet);
    if !c.quiet {
        let trials = result
            .design_points
            .iter()
            .map(|d| d.replicates as f64)
            .sum::<f64>();
        print(&format!(
            "{}\nwrote {}  ({:.2} s, {})\n",
            output::text_summary(&result).trim_end(),
            out.display(),
            seconds,
            progress::rate(trials / seconds.max(1e-9))
        ))?;
    }
    Ok(())
}

/// The state of the run in `out` that `--add-replicates` extends.
fn saved_state(
    out: &Path,
    add: u64,
    args: &RunArgs,
    study: &Study,
) -> Result<engine::resume::RunState> {
    let c = &args.common;
    let clash = if args.shard.is_some() {
        Some(Setting::Shard)
    } else if c.replicates.is_some() {
        Some(Setting::Replicates)
    } else if c.precision.is_some() {
        Some(Setting::Precision)
    } else {
        None
    };
    if let Some(other) = clash {
        return Err(Error::setting(
            Setting::AddReplicates,
            add,
            Message::from("cannot be combined with ")
                .setting(other)
                .then(": it adds N replicates to the run in the output folder"),
        ));
    }
    let path = out.join(engine::resume::STATE_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        Error::Setting(Message::from(Setting::AddReplicates).then(format!(
            ": {} holds no {} of a run to extend; run the scenario there first",
            out.display(),
            engine::resume::STATE_FILE
        )))
    })?;
    let state = engine::resume::parse_state(&text, &path)?;
    engine::resume::check_state(study, &run_options(c), &state)?;
    Ok(state)
}
