//! Command-line interface (clap derive). Binary only: the library has no CLI types.
//!
//! Owns: flags, per-command glue, the progress bar, `bench`. The only code
//! besides `output::files` that touches files, and the only code that
//! touches the terminal.

pub mod bench;
pub mod bench_mmrm;
pub mod common;
pub mod dataset;
pub mod merge;
pub mod pool;
pub mod progress;
pub mod retro;
pub mod run;
pub mod size;
pub mod teaching;
pub mod usage;
pub mod validate;

use clap::{Args, Parser, Subcommand};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use trialsim::engine::ForestChoice;

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
        #[arg(long, allow_hyphen_values = true, value_parser = whole_number(0, u64::MAX))]
        replicate: u64,
        /// Design point index (0-based), as in `summary.json`.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = index)]
        design_point: usize,
        /// Seed (overrides the scenario's), as in `run`.
        #[arg(long, allow_hyphen_values = true, value_parser = whole_number(0, MAX_SEED))]
        seed: Option<u64>,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Find the smallest value of an integer parameter whose power reaches a target.
    Size(SizeArgs),
    /// Pool trial results from a CSV (columns study,yi,vi or study,yi,sei).
    Pool {
        /// The effects CSV.
        effects: PathBuf,
        /// The model: fe (fixed/common effect) or a random-effects tau² estimator.
        #[arg(long, value_enum, default_value_t = Method::Reml)]
        method: Method,
        /// Hartung–Knapp–Sidik–Jonkman CI and test (t on k − 1 df), untruncated:
        /// narrower than the normal CI when the studies agree more than their
        /// variances predict.
        #[arg(long, conflicts_with = "hksj_adhoc")]
        hksj: bool,
        /// HKSJ with its factor bounded below by 1 (never narrower than the
        /// normal CI; metafor's test = "adhoc").
        #[arg(long)]
        hksj_adhoc: bool,
        /// Confidence level of the CI.
        #[arg(long, default_value_t = 0.95, allow_hyphen_values = true, value_parser = number)]
        level: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also correct for publication bias: trim-and-fill (under --method),
        /// PET, PEESE and PET-PEESE.
        #[arg(long)]
        bias: bool,
        /// Also give each study's power, type S and exaggeration ratio if
        /// the true effect were the pooled estimate (or --effect).
        #[arg(long)]
        retro: bool,
        /// The true effect --retro assumes (default: the pooled estimate).
        #[arg(long, requires = "retro", allow_hyphen_values = true, value_parser = number)]
        effect: Option<f64>,
        /// Also compare subgroups: a meta-regression on the levels of this
        /// column of the effects file (one tau² for all levels), with each
        /// level's estimate and the test of subgroup differences.
        #[arg(long, value_name = "COLUMN")]
        by: Option<String>,
    },
    /// Merge shard outputs into the files an unsharded run writes.
    Merge {
        /// Folders holding shard-I-of-N.json files (or the files themselves).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Replace an output folder that holds another scenario's or seed's results.
        #[arg(long)]
        force: bool,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
        /// The simulated meta-analysis the forest plot draws: `median` (the
        /// one whose pooled estimate is the median of the first 2000), or a
        /// replicate number K (0-based, as `dataset --replicate`).
        #[arg(long, default_value = "median", value_parser = forest)]
        forest: ForestChoice,
    },
    /// List the teaching presets, one per small-sample pitfall (run one with
    /// `trialsim run --preset NAME`); with NAME, print that preset's scenario file.
    Presets {
        /// A preset whose scenario file (TOML, with its comments) to print.
        name: Option<String>,
        /// Run every preset as shipped and print the README's teaching table
        /// (scripts/teaching-table.sh puts it into README.md).
        #[arg(long, conflicts_with = "name")]
        table: bool,
    },
    /// Measure throughput against the cost of the random draws alone (1 thread and all threads).
    Bench {
        /// Scenario file (TOML) [default: the embedded configs/bench.toml].
        scenario: Option<PathBuf>,
        /// Replicates per measurement [default: the scenario's].
        #[arg(long, allow_hyphen_values = true, value_parser = whole_number(1, u64::MAX))]
        replicates: Option<u64>,
        /// Time MMRM fits instead, on one core, beside R's nlme::gls
        /// [default scenario: the embedded configs/bench_mmrm.toml].
        #[arg(long)]
        mmrm: bool,
    },
    /// Gelman–Carlin retrospective design: power, Type S, exaggeration ratio.
    Retro {
        /// Assumed true effect D.
        #[arg(long, allow_hyphen_values = true, value_parser = number)]
        effect: f64,
        /// Standard error S of the estimate.
        #[arg(long, allow_hyphen_values = true, value_parser = number)]
        se: f64,
        /// Two-sided significance level.
        #[arg(long, default_value_t = 0.05, allow_hyphen_values = true, value_parser = number)]
        alpha: f64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Models of `pool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Fixed (common) effect, inverse variance.
    Fe,
    /// DerSimonian–Laird.
    Dl,
    /// Paule–Mandel.
    Pm,
    /// Restricted maximum likelihood.
    Reml,
}

/// Flags of `size`.
#[derive(Debug, Args)]
pub struct SizeArgs {
    /// Scenario file (TOML); omit it with --preset.
    #[arg(required_unless_present = "preset")]
    pub scenario: Option<PathBuf>,
    /// Target power, in (0, 1): shorthand for --require 'power>=P'.
    #[arg(long, allow_hyphen_values = true, value_parser = number)]
    pub target_power: Option<f64>,
    /// Dotted path of the parameter to search: an integer key (searched
    /// exactly) or a continuous one such as effect.peak, heterogeneity.tau,
    /// dropout.monthly_rate.
    #[arg(long, default_value = "design.n_per_arm")]
    pub param: String,
    /// Smallest value searched [default: 2 for integer keys; 0 for
    /// effect.peak (a magnitude), heterogeneity.tau, dropout.monthly_rate].
    #[arg(long, allow_hyphen_values = true, value_parser = number)]
    pub min: Option<f64>,
    /// Largest value searched [default: 1000 for integer keys; 5 total SDs
    /// for effect.peak and heterogeneity.tau; 0.5 for dropout.monthly_rate].
    #[arg(long, allow_hyphen_values = true, value_parser = number)]
    pub max: Option<f64>,
    /// Also require the exaggeration ratio to be at most this: shorthand
    /// for --require 'type_m<=M'.
    #[arg(long, allow_hyphen_values = true, value_parser = number)]
    pub max_type_m: Option<f64>,
    /// A requirement on any metric, e.g. 'power>=0.8', 'type_m<=1.25',
    /// 'ci_halfwidth<=5' (repeatable; every one must hold).
    #[arg(long, allow_hyphen_values = true, value_parser = requirement)]
    pub require: Vec<trialsim::engine::sizing::Requirement>,
    /// smallest (default): the smallest value meeting every requirement;
    /// largest: the largest value that still meets them (for keys where
    /// more is worse, such as heterogeneity.tau or dropout.monthly_rate).
    #[arg(long, default_value = "smallest", value_parser = direction)]
    pub direction: trialsim::engine::sizing::Direction,
    /// Answer at each value of a second parameter, KEY=v1,v2,… (e.g.
    /// design.n_per_arm=10,20,40,80 for the detectable effect against n):
    /// a table (size_over.csv, .json) and a figure (plots/size_over).
    #[arg(long, allow_hyphen_values = true, value_parser = over)]
    pub over: Option<(String, Vec<toml::Value>)>,
    /// Also write a sample-size justification for the protocol (printed,
    /// and written as protocol.txt, protocol.md and a report section):
    /// every assumption, the answer with its Monte Carlo SE, its
    /// sensitivity to ±20% in the two most influential assumptions, and how
    /// to rerun it.
    #[arg(long)]
    pub protocol: bool,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Flags shared by `run` and `size`.
#[derive(Debug, Args, Default)]
pub struct CommonArgs {
    /// Output folder [default: outputs/<scenario name> for run, outputs/<scenario name>_size for size].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of replicates R per design point (overrides the scenario's).
    #[arg(long, allow_hyphen_values = true, value_parser = whole_number(1, u64::MAX))]
    pub replicates: Option<u64>,
    /// Seed (overrides the scenario's): 0 to 2^63 − 1, the integers a TOML
    /// file can hold, so that `scenario.resolved.toml` can record it.
    #[arg(long, allow_hyphen_values = true, value_parser = whole_number(0, MAX_SEED))]
    pub seed: Option<u64>,
    /// Run a teaching preset instead of a scenario file (`trialsim presets`
    /// lists them).
    #[arg(long)]
    pub preset: Option<String>,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long, allow_hyphen_values = true, value_parser = threads)]
    pub threads: Option<NonZeroUsize>,
    /// Add replicates until the MC SE of power at every design point is at
    /// most this (it chooses R itself, from 2000 up to --max-replicates, so
    /// it cannot be combined with --replicates); `size` runs every value at
    /// the one R that gives this MC SE at the target power.
    #[arg(long, conflicts_with = "replicates", allow_hyphen_values = true, value_parser = number)]
    pub precision: Option<f64>,
    /// Ceiling on replicates per design point with --precision.
    #[arg(long, default_value_t = 1_000_000, allow_hyphen_values = true, value_parser = whole_number(1, u64::MAX))]
    pub max_replicates: u64,
    /// Print nothing but errors (no progress bar, no summary, no warnings).
    #[arg(long)]
    pub quiet: bool,
    /// Replace an output folder that holds another scenario's or seed's results.
    #[arg(long)]
    pub force: bool,
    /// The simulated meta-analysis the forest plot draws: `median` (the one
    /// whose pooled estimate is the median of the first 2000), or a
    /// replicate number K (0-based, as `dataset --replicate`).
    #[arg(long, default_value = "median", value_parser = forest)]
    pub forest: ForestChoice,
}

/// Flags of `run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (TOML); omit for the default scenario (configs/msc_knee_oa.toml).
    pub scenario: Option<PathBuf>,
    /// Run only shard I of N (1-based) and write `shard-I-of-N.json` into --out
    /// [default: outputs/<scenario name>-shards]; combine shards with `merge`.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<trialsim::engine::shard::Shard>,
    /// Extend the run in the output folder by N replicates per design point
    /// (from the state it keeps in state.json): the same results, bit for
    /// bit, as one run with R + N.
    #[arg(long, allow_hyphen_values = true, value_parser = whole_number(1, u64::MAX))]
    pub add_replicates: Option<u64>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Largest seed: 2^63 − 1, the largest integer a TOML file can hold, so
/// that `scenario.resolved.toml` can record it.
const MAX_SEED: u64 = i64::MAX as u64;

/// A whole number in [lo, hi], its error in words (clap's says "invalid
/// digit found in string").
fn whole_number(lo: u64, hi: u64) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |text: &str| {
        let range = if hi == u64::MAX {
            format!(">= {lo}")
        } else if hi == MAX_SEED {
            format!("in [{lo}, 2^63 - 1]")
        } else {
            format!("in [{lo}, {hi}]")
        };
        text.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| format!("must be a whole number {range}"))
    }
}

/// `median` or a replicate number, for `--forest`.
fn forest(text: &str) -> Result<ForestChoice, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("median") {
        return Ok(ForestChoice::Median);
    }
    text.parse::<u64>()
        .map(ForestChoice::Replicate)
        .map_err(|_| "must be median or a replicate number (0, 1, 2, ...)".to_string())
}

/// A number of worker threads, at least 1.
fn threads(text: &str) -> Result<NonZeroUsize, String> {
    text.trim()
        .parse::<NonZeroUsize>()
        .map_err(|_| "must be a whole number >= 1".to_string())
}

/// A 0-based index.
fn index(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .map_err(|_| "must be a whole number >= 0 (0 is the first)".to_string())
}

/// A number (decimal point, not comma).
fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| "must be a number".to_string())
}

/// `--require METRIC>=X`, its error naming the flag.
fn requirement(text: &str) -> Result<trialsim::engine::sizing::Requirement, String> {
    text.parse()
        .map_err(|e: trialsim::Error| e.render(trialsim::Naming::Flags))
}

/// `--over KEY=v1,v2,…`: a key and its numbers.
fn over(text: &str) -> Result<(String, Vec<toml::Value>), String> {
    let bad = || {
        format!("--over = {text}: must be KEY=v1,v2,… with numbers, e.g. design.n_per_arm=10,20,40")
    };
    let (key, values) = text.split_once('=').ok_or_else(bad)?;
    let values = values
        .split(',')
        .map(|v| {
            let v = v.trim();
            v.parse::<i64>()
                .map(toml::Value::Integer)
                .or_else(|_| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .map(toml::Value::Float)
                        .ok_or(())
                })
                .map_err(|_| bad())
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((key.trim().to_string(), values))
}

/// `--direction smallest|largest`, its error naming the flag.
fn direction(text: &str) -> Result<trialsim::engine::sizing::Direction, String> {
    text.parse()
        .map_err(|e: trialsim::Error| e.render(trialsim::Naming::Flags))
}

/// `--shard I/N`, its error naming the flag.
fn parse_shard(text: &str) -> Result<trialsim::engine::shard::Shard, String> {
    text.parse()
        .map_err(|e: trialsim::Error| e.render(trialsim::Naming::Flags))
}
