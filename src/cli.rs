//! Command-line interface (clap derive). Binary only: the library has no CLI types.

use clap::{Args, Parser, Subcommand};
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// Fast, honest Monte Carlo simulation of small randomized clinical trials.
#[derive(Debug, Parser)]
#[command(name = "trialsim", version, about, propagate_version = true)]
pub struct Cli {
    /// The command to run; none = `run` of the default scenario.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands of INTERFACE.md.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate every design point of a scenario (the embedded default without a file).
    Run(RunArgs),
    /// Check a scenario and print it fully resolved (defaults filled in).
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Write one simulated trial's patient-level data and print its analysis as JSON.
    Dataset {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Replicate index (0-based), as in `run`.
        #[arg(long)]
        replicate: u64,
        /// Design point index (0-based), as in `summary.json`.
        #[arg(long, default_value_t = 0)]
        design_point: usize,
        /// Seed (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Flags of `run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (TOML); omit for the default scenario (configs/msc_knee_oa.toml).
    pub scenario: Option<PathBuf>,
    /// Output folder [default: outputs/<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of replicates R (overrides the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub replicates: Option<u64>,
    /// Seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long)]
    pub threads: Option<NonZeroUsize>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
    /// Replace an output folder that holds another scenario's or seed's results.
    #[arg(long)]
    pub force: bool,
}
