//! The `trialsim` binary: parse → dispatch → map errors to exit codes.

mod cli;

use clap::Parser;
use cli::{Cli, Command, CommonArgs, RunArgs, SizeArgs};
use cli::{bench, progress};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use trialsim::engine::{self, sizing};
use trialsim::error::EXIT_OK;
use trialsim::output::{self, dataset};
use trialsim::scenario::Study;
use trialsim::{Error, Result};

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

/// Reads a UTF-8 text file, with clear errors for folders and other encodings.
fn read_text(path: &Path) -> Result<String> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "{}: is a folder; give a file",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::Usage(format!(
            "{}: not valid UTF-8 text (invalid byte at offset {}); save the file as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| Error::Internal(e.to_string()))
}

fn load(path: &Path) -> Result<Study> {
    let text = read_text(path)?;
    Study::from_toml_str(&text, &path.display().to_string())
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli
        .command
        .unwrap_or_else(|| Command::Run(RunArgs::default()))
    {
        Command::Run(args) => run(args),
        Command::Presets => Err(Error::NotSupported {
            field: "presets".into(),
        }),
        Command::Size(args) => size(args),
        Command::Pool {
            effects,
            method,
            hksj,
            level,
            json,
        } => {
            let text = read_text(&effects)?;
            let studies =
                trialsim::meta::table::read_effects(&text, &effects.display().to_string())?;
            let estimator = match method {
                cli::Method::Dl => trialsim::meta::Estimator::Dl,
                cli::Method::Pm => trialsim::meta::Estimator::Pm,
                cli::Method::Reml => trialsim::meta::Estimator::Reml,
            };
            let (report, _) = trialsim::meta::table::pool_report(&studies, estimator, hksj, level)?;
            if json {
                print(&format!("{}\n", to_json(&report)?))
            } else {
                print(&trialsim::meta::table::text_report(
                    &studies, &report, level,
                ))
            }
        }
        Command::Merge {
            shards,
            out,
            force,
            quiet,
        } => {
            let files = read_shards(&shards)?;
            let (study, result) = engine::shard::merge(files)?;
            write_outputs(&out, &study, &result, force)?;
            warn(&result, quiet);
            if quiet {
                Ok(())
            } else {
                print(&format!(
                    "{}\nwrote {}\n",
                    output::text_summary(&result).trim_end(),
                    out.display()
                ))
            }
        }
        Command::Bench {
            scenario,
            replicates,
        } => {
            let study = match scenario {
                Some(path) => load(&path)?,
                None => {
                    Study::from_toml_str(trialsim::scenario::BENCH_SCENARIO, "configs/bench.toml")?
                }
            };
            let r = replicates.unwrap_or(study.replicates);
            let all = std::thread::available_parallelism().map_or(1, |n| n.get());
            let mut threads = vec![1];
            if all > 1 {
                threads.push(all);
            }
            let mut measured = Vec::new();
            for t in threads {
                measured.push(bench::measure(&study, r, t)?);
            }
            print(&bench::report(&study, &measured))
        }
        Command::Retro {
            effect,
            se,
            alpha,
            json,
        } => {
            let r = trialsim::meta::retro::retrodesign(effect, se, alpha)?;
            if json {
                print(&format!("{}\n", to_json(&r)?))
            } else {
                print(&format!(
                    "effect {effect}, SE {se}, alpha {alpha} (two-sided; Gelman & Carlin 2014)\n  power         {:.4}\n  type S        {:.4}\n  exaggeration  {:.4}\n",
                    r.power, r.type_s, r.exaggeration
                ))
            }
        }
        Command::Validate { scenario } => {
            let study = load(&scenario)?;
            print(&study.resolved_toml(study.seed, study.replicates))
        }
        Command::Dataset {
            scenario,
            replicate,
            design_point,
            seed,
            out,
        } => {
            let study = load(&scenario)?;
            let count = study.points.len();
            let point = study.points.get(design_point).ok_or_else(|| {
                Error::invalid(
                    "--design-point",
                    design_point,
                    format!(
                        "must be in [0, {}] (the scenario has {count} design point{})",
                        count - 1,
                        if count == 1 { "" } else { "s" }
                    ),
                )
            })?;
            let sc = &point.scenario;
            let sim = engine::Simulator::new(sc, seed.unwrap_or(study.seed));
            if sim.path() == "sufficient" {
                // `dataset` always simulates patients; `run` did not here.
                eprintln!(
                    "note: `run` takes design point {design_point} on the exact fast path (analysis.fast_path = true) and simulates no patients; this is replicate {replicate}'s patient-level trial from the same model, with the patient path's random streams"
                );
            }
            let trial = sim.one_trial(replicate);
            let csv = dataset::dataset_csv(&trial, &sc.visits.months)?;
            output::files::write_atomic(&out, &csv)?;
            let json = to_json(&dataset::analysis_json(&trial.analysed))?;
            print(&format!("{json}\n"))
        }
    }
}

/// Reads every shard file in the given folders (`shard-*.json`, in name
/// order) or files.
fn read_shards(paths: &[PathBuf]) -> Result<Vec<(PathBuf, engine::shard::ShardFile)>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| Error::read(path, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
                })
                .collect();
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: holds no shard-I-of-N.json files",
                    path.display()
                )));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::read(&f, e))?;
            let shard = engine::shard::parse_shard(&text, &f)?;
            Ok((f, shard))
        })
        .collect()
}

/// The Ctrl-C flag: set by the SIGINT handler, read by the engine's workers.
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let set = flag.clone();
        // If a handler cannot be installed, Ctrl-C keeps its default effect
        // (the process ends; the staging folder is all it can leave behind).
        let _ = ctrlc::set_handler(move || set.store(true, Ordering::SeqCst));
        flag
    })
    .clone()
}

fn run_options(c: &CommonArgs) -> engine::RunOptions {
    engine::RunOptions {
        replicates: c.replicates,
        seed: c.seed,
        threads: c.threads,
        precision: c.precision,
        max_replicates: Some(c.max_replicates),
        cancel: Some(interrupt_flag()),
    }
}

/// Writes a run's outputs through the staging folder; a Ctrl-C before the
/// folder is moved into place leaves the output folder as it was.
fn write_outputs(out: &Path, study: &Study, result: &engine::RunResult, force: bool) -> Result<()> {
    let flag = interrupt_flag();
    let stopped = || {
        flag.load(Ordering::SeqCst)
            .then(|| Error::Interrupted("before the outputs were written".to_string()))
    };
    if let Some(e) = stopped() {
        return Err(e);
    }
    let sample = engine::focus_sample(study, result);
    let files = output::run_files(study, result, &sample)?;
    output::files::write_folder(out, &files, (&result.scenario, result.seed), force, || {
        stopped().map_or(Ok(()), Err)
    })
}

/// Prints each design point's warnings to stderr.
fn warn(result: &engine::RunResult, quiet: bool) {
    if quiet {
        return;
    }
    for (j, dp) in result.design_points.iter().enumerate() {
        for w in &dp.warnings {
            let at = if result.design_points.len() > 1 {
                format!(" (design point {j})")
            } else {
                String::new()
            };
            eprintln!("warning{at}: {w}");
        }
    }
}

/// Rejects flags reserved for a later version (INTERFACE.md).
fn reserved_flags(c: &CommonArgs) -> Result<()> {
    match c.preset {
        Some(_) => Err(Error::NotSupported {
            field: "--preset".into(),
        }),
        None => Ok(()),
    }
}

fn run(args: RunArgs) -> Result<()> {
    reserved_flags(&args.common)?;
    let study = match &args.scenario {
        Some(path) => load(path)?,
        None => Study::default_study(),
    };
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
    output::files::check_overwrite(&out, &study.name, c.seed.unwrap_or(study.seed), c.force)?;
    let bar = progress::Bar::new(c.quiet);
    let started = std::time::Instant::now();
    let result = engine::run_with_progress(&study, &run_options(c), &|done, total| {
        bar.update(done, total);
        true
    });
    bar.finish();
    let result = result?;
    let seconds = started.elapsed().as_secs_f64();
    write_outputs(&out, &study, &result, c.force)?;
    warn(&result, c.quiet);
    if !c.quiet {
        let trials = result
            .design_points
            .iter()
            .map(|d| d.replicates as f64)
            .sum::<f64>();
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

fn size(args: SizeArgs) -> Result<()> {
    reserved_flags(&args.common)?;
    let study = load(&args.scenario)?;
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
            sizing::text_answer(&answer, args.target_power),
            out.display()
        ))
    }
}
