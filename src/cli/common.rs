//! What every command shares: printing, reading the user's files, the
//! Ctrl-C flag, run options from flags, writing a run's folder, warnings.

use super::CommonArgs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use trialsim::engine;
use trialsim::output;
use trialsim::scenario::Study;
use trialsim::{Error, Naming, Result};

/// Prints to stdout; a closed pipe (`trialsim … | head`) counts as success.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Internal(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Reads a UTF-8 text file, with clear errors for folders and other encodings.
pub fn read_text(path: &Path) -> Result<String> {
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

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| Error::Internal(e.to_string()))
}

/// Reads and validates a scenario file, and prints its warnings (keys
/// without effect, a harmful effect) on stderr unless `quiet`.
pub fn load(path: &Path, quiet: bool) -> Result<Study> {
    let text = read_text(path)?;
    let study = Study::from_toml_str(&text, &path.display().to_string())?;
    if !quiet {
        for w in &study.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(study)
}

/// The Ctrl-C flag: set by the SIGINT handler, read by the engine's workers.
pub fn interrupt_flag() -> Arc<AtomicBool> {
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

pub fn run_options(c: &CommonArgs) -> engine::RunOptions {
    engine::RunOptions {
        replicates: c.replicates,
        seed: c.seed,
        threads: c.threads,
        precision: c.precision,
        max_replicates: Some(c.max_replicates),
        cancel: Some(interrupt_flag()),
    }
}

/// What the figures of a run's outputs need besides the results.
pub struct Figures {
    /// The literature the forest plot draws.
    pub forest: engine::ForestChoice,
    /// Worker threads for the focus sample (`None`: every core).
    pub threads: Option<std::num::NonZeroUsize>,
    /// What `size` found, for its figure.
    pub size: Option<output::plots::SizeFigure>,
    /// `size --protocol`'s justification.
    pub protocol: Option<output::protocol::Protocol>,
}

impl Figures {
    /// For `run` and `size` (without `size`'s marks).
    pub fn of(c: &super::CommonArgs) -> Self {
        Figures {
            forest: c.forest,
            threads: c.threads,
            size: None,
            protocol: None,
        }
    }
}

/// Writes a run's outputs through the staging folder; a Ctrl-C before the
/// folder is moved into place leaves the output folder as it was.
pub fn write_outputs(
    out: &Path,
    study: &Study,
    result: &engine::RunResult,
    force: bool,
    figures: Figures,
) -> Result<()> {
    let flag = interrupt_flag();
    let stopped = || {
        flag.load(Ordering::SeqCst)
            .then(|| Error::Interrupted("before the outputs were written".to_string()))
    };
    if let Some(e) = stopped() {
        return Err(e);
    }
    let workers = engine::schedule::Workers::new(figures.threads)?;
    let sample = engine::focus_sample(study, result, figures.forest, &workers)?;
    // Each file goes to the staging folder as it is made; the folder
    // replaces `out` only once all are written.
    let mut staging = output::files::Staging::begin(out, (&result.scenario, result.seed), force)?;
    output::run_files(
        study,
        result,
        &sample,
        Naming::Flags,
        figures.size,
        figures.protocol.as_ref(),
        &mut |f| staging.write(&f),
    )?;
    staging.commit(|| stopped().map_or(Ok(()), Err))
}

/// Prints each design point's warnings to stderr.
pub fn warn(result: &engine::RunResult, quiet: bool) {
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
            eprintln!("warning{at}: {}", w.render(Naming::Flags));
        }
    }
}

/// The study a command runs: the scenario file, the teaching preset
/// `--preset`, or the default scenario (neither). Warnings about the file
/// are printed unless `quiet`.
///
/// # Errors
/// A file and a preset both given, an unknown preset, or the file's errors.
pub fn study_of(scenario: Option<&Path>, preset: Option<&str>, quiet: bool) -> Result<Study> {
    match (scenario, preset) {
        (Some(path), Some(name)) => Err(Error::Usage(format!(
            "--preset {name} and the scenario file {}: give one or the other",
            path.display()
        ))),
        (Some(path), None) => load(path, quiet),
        (None, Some(name)) => trialsim::scenario::presets::preset(name)?.study(),
        (None, None) => Ok(Study::default_study()),
    }
}

/// `trialsim presets [NAME] [--table]`: the list of presets, one preset's
/// file, or the README's teaching table from a run of every preset.
///
/// # Errors
/// An unknown preset; a run that fails; a closed stdout.
pub fn presets(name: Option<&str>, table: bool) -> Result<()> {
    use trialsim::scenario::presets::{self, PRESETS};
    if table {
        let results = PRESETS
            .iter()
            .map(|p| engine::run(&p.study()?, &engine::RunOptions::default()))
            .collect::<Result<Vec<_>>>()?;
        let rows: Vec<_> = PRESETS.iter().zip(&results).collect();
        return print(&super::teaching::table(&rows));
    }
    match name {
        None => print(&presets::listing()),
        Some(name) => print(presets::preset(name)?.text),
    }
}
