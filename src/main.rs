//! The `trialsim` binary: parse → dispatch to one file per command under
//! `cli/` → map errors to exit codes.

mod cli;

use clap::Parser;
use cli::{Cli, Command, RunArgs};
use std::process::ExitCode;
use trialsim::error::EXIT_OK;
use trialsim::{Naming, Result};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        // Help and version go to stdout with exit code 0, as clap prints them.
        Err(e) if !e.use_stderr() => e.exit(),
        // A mistake: one line in the user's words and the usage line, exit 2.
        Err(e) => {
            eprint!("{}", cli::usage::explain(&e, &argv));
            return ExitCode::from(trialsim::error::EXIT_BAD_INPUT);
        }
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
        Command::Presets { name, table } => cli::common::presets(name.as_deref(), table),
        Command::Size(args) => cli::size::size(args),
        Command::Pool {
            effects,
            method,
            hksj,
            hksj_adhoc,
            level,
            json,
            bias,
            retro,
            effect,
            by,
        } => {
            let test = match (hksj, hksj_adhoc) {
                (_, true) => trialsim::meta::table::Test::HksjAdhoc,
                (true, false) => trialsim::meta::table::Test::Hksj,
                (false, false) => trialsim::meta::table::Test::Wald,
            };
            let extras = cli::pool::Extras {
                bias,
                retro: retro.then_some(effect),
                by,
            };
            cli::pool::pool(&effects, method, test, level, json, extras)
        }
        Command::Merge {
            shards,
            out,
            force,
            quiet,
            forest,
        } => cli::merge::merge(&shards, &out, force, quiet, forest),
        Command::Bench {
            scenario,
            replicates,
            mmrm: false,
        } => cli::bench::command(scenario.as_deref(), replicates),
        Command::Bench {
            scenario,
            replicates,
            mmrm: true,
        } => cli::bench_mmrm::command(scenario.as_deref(), replicates),
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
