//! The `trialsim` binary: parse → dispatch → map errors to exit codes.

mod cli;

use clap::Parser;
use cli::{Cli, Command, RunArgs};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trialsim::error::EXIT_OK;
use trialsim::{Error, Result, Scenario, dataset, engine, output};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints usage errors to stderr with exit code 2, help and version with 0.
        Err(e) => e.exit(),
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints to stdout; a closed pipe (`trialsim … | head`) counts as success.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Internal(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

fn load(path: &Path) -> Result<Scenario> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "{}: is a folder; give a scenario file (TOML)",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Usage(format!(
            "{}: not valid UTF-8 text (invalid byte at offset {}); save the scenario as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    Scenario::from_toml_str(&text, &path.display().to_string())
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli
        .command
        .unwrap_or_else(|| Command::Run(RunArgs::default()))
    {
        Command::Run(args) => run(args),
        Command::Validate { scenario } => {
            let sc = load(&scenario)?;
            print(&sc.resolved_toml())
        }
        Command::Dataset {
            scenario,
            replicate,
            design_point,
            seed,
            out,
        } => {
            let sc = load(&scenario)?;
            if design_point != 0 {
                return Err(Error::invalid(
                    "--design-point",
                    design_point,
                    "must be 0 (the scenario has 1 design point)",
                ));
            }
            let sim = engine::Simulator::new(&sc, seed.unwrap_or(sc.seed));
            let trial = sim.one_trial(replicate);
            let csv = dataset::dataset_csv(&trial, &sc.visits.months)?;
            dataset::write_atomic(&out, &csv)?;
            let json = serde_json::to_string_pretty(&dataset::analysis_json(&trial.analysed))
                .map_err(|e| Error::Internal(e.to_string()))?;
            print(&format!("{json}\n"))
        }
    }
}

fn run(args: RunArgs) -> Result<()> {
    let sc = match &args.scenario {
        Some(path) => load(path)?,
        None => Scenario::default_scenario(),
    };
    let opts = engine::RunOptions {
        replicates: args.replicates,
        seed: args.seed,
        threads: args.threads,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(&sc.name));
    let started = std::time::Instant::now();
    let result = engine::run(&sc, &opts)?;
    let seconds = started.elapsed().as_secs_f64();
    output::write_run(&out, &sc, &result, args.force)?;
    if !args.quiet {
        let trials = result.replicates as f64 * result.design_points.len() as f64;
        print(&format!(
            "{}\nwrote {}  ({:.2} s, {:.0} trials/s)\n",
            output::text_summary(&result).trim_end(),
            out.display(),
            seconds,
            trials / seconds.max(1e-9)
        ))?;
    }
    Ok(())
}
