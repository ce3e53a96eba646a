//! The `trialsim` binary: parse → dispatch to one file per command under
//! `cli/` → map errors to exit codes.

mod cli;

use clap::Parser;
use cli::{Cli, Command, RunArgs};
use std::process::ExitCode;
use trialsim::error::EXIT_OK;
use trialsim::{Error, Naming, Result};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints usage errors to stderr with exit code 2, help and version with 0.
        Err(e) => e.exit(),
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("error: {}", e.render(Naming::Flags));
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli
        .command
        .unwrap_or_else(|| Command::Run(RunArgs::default()))
    {
        Command::Run(args) => cli::run::run(args),
        Command::Presets => Err(Error::NotSupported {
            field: "presets".into(),
        }),
        Command::Size(args) => cli::size::size(args),
        Command::Pool {
            effects,
            method,
            hksj,
            level,
            json,
        } => cli::pool::pool(&effects, method, hksj, level, json),
        Command::Merge {
            shards,
            out,
            force,
            quiet,
        } => cli::merge::merge(&shards, &out, force, quiet),
        Command::Bench {
            scenario,
            replicates,
        } => cli::bench::command(scenario.as_deref(), replicates),
        Command::Retro {
            effect,
            se,
            alpha,
            json,
        } => cli::retro::retro(effect, se, alpha, json),
        Command::Validate { scenario } => cli::validate::validate(&scenario),
        Command::Dataset {
            scenario,
            replicate,
            design_point,
            seed,
            out,
        } => cli::dataset::dataset(&scenario, replicate, design_point, seed, &out),
    }
}
