//! More replicates without starting again: `run --add-replicates N`.
//!
//! Every `run` leaves its accumulated state in the output folder as
//! [`STATE_FILE`]: per design point, the accumulator of its first
//! `W = floor(R / BLOCK)` whole blocks. Replicates are folded block by block
//! in index order (see [`crate::engine`]), so folding blocks `W, W + 1, …`
//! of a run of `R + N` onto that state gives exactly the bits of one run of
//! `R + N`; a partial last block of the first run is simulated again, so
//! neither R nor N need be a multiple of the block size.

use crate::engine::schedule::Workers;
use crate::engine::{Progress, RunOptions, RunResult, finish_run, simulators, whole_blocks};
use crate::error::{Error, Message, Result, Setting};
use crate::metrics::Accumulator;
use crate::scenario::Study;
use serde::{Deserialize, Serialize};

/// Schema tag of state files.
pub const STATE_SCHEMA: &str = "trialsim.state/1";
/// The state file's name in an output folder.
pub const STATE_FILE: &str = "state.json";

/// What a run leaves to be extended (`state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// [`STATE_SCHEMA`].
    pub schema: String,
    /// trialsim version that wrote it (an extension must be made by the same).
    pub version: String,
    /// The resolved scenario, with the run's seed and R.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Replicates per design point of the run.
    pub replicates: u64,
    /// Replicates folded into `accumulators`: the whole blocks of R,
    /// `floor(R / BLOCK) · BLOCK`.
    pub whole: u64,
    /// Per design point, the accumulator of its whole blocks (`null` when R
    /// is smaller than one block).
    pub accumulators: Vec<Option<Accumulator>>,
}

impl RunState {
    /// The state of a run of `study` with `seed` and `replicates` whose
    /// whole blocks folded to `accumulators`.
    ///
    /// # Errors
    /// When the resolved scenario cannot be written (never for a valid study).
    pub fn new(
        study: &Study,
        seed: u64,
        replicates: u64,
        accumulators: Vec<Option<Accumulator>>,
    ) -> Result<RunState> {
        Ok(RunState {
            schema: STATE_SCHEMA.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: study.resolved_toml(seed, replicates)?,
            seed,
            replicates,
            whole: whole_blocks(replicates),
            accumulators,
        })
    }
}

/// Parses a state file's text; `origin` names it in errors.
///
/// # Errors
/// [`Error::Usage`] naming `origin` when the text is not a state file of
/// this schema.
pub fn parse_state(text: &str, origin: &std::path::Path) -> Result<RunState> {
    let state: RunState = serde_json::from_str(text).map_err(|e| {
        Error::Usage(format!(
            "{}: not a trialsim state file: {e}",
            origin.display()
        ))
    })?;
    if state.schema != STATE_SCHEMA {
        return Err(Error::Usage(format!(
            "{}: schema {:?}; this trialsim reads {STATE_SCHEMA}",
            origin.display(),
            state.schema
        )));
    }
    Ok(state)
}

/// Checks that `state` is of a run of `study` with the seed of `opts` by
/// this version of trialsim.
///
/// # Errors
/// [`Error::Setting`] saying which differs.
pub fn check_state(study: &Study, opts: &RunOptions, state: &RunState) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::Setting(
            Message::from(Setting::AddReplicates)
                .then(format!(
                    ": the output folder holds {why}; run afresh (without "
                ))
                .setting(Setting::AddReplicates)
                .then(") or choose another output folder"),
        ))
    };
    let seed = opts.seed.unwrap_or(study.seed);
    if state.version != env!("CARGO_PKG_VERSION") {
        return refuse(format!(
            "results of trialsim {}, and this is {}",
            state.version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    if state.seed != seed {
        return refuse(format!("results with seed {}, not {seed}", state.seed));
    }
    if state.scenario != study.resolved_toml(seed, state.replicates)? {
        return refuse(format!(
            "results of another scenario than {} (or of another version of its file)",
            study.name
        ));
    }
    if state.accumulators.len() != study.points.len()
        || state.whole != whole_blocks(state.replicates)
    {
        return refuse("a state file that does not match its scenario".to_string());
    }
    Ok(())
}

/// Extends the run that left `state` by `add` replicates per design point:
/// the result is bit-identical to one run of `state.replicates + add`.
///
/// # Errors
/// [`Error::Setting`] when the state is of another scenario, seed or
/// trialsim version, or `add` is 0; [`Error::Interrupted`]; a thread-pool
/// failure.
pub fn add_replicates(
    study: &Study,
    opts: &RunOptions,
    state: RunState,
    add: u64,
    progress: Progress,
) -> Result<RunResult> {
    if add == 0 {
        return Err(Error::setting(
            Setting::AddReplicates,
            0,
            "must be at least 1",
        ));
    }
    check_state(study, opts, &state)?;
    let seed = state.seed;
    let (sims, meta_source) = simulators(study, seed);
    let total = state
        .replicates
        .checked_add(add)
        .ok_or_else(|| Error::setting(Setting::AddReplicates, add, "makes too many replicates"))?;
    let workers = Workers::new(opts.threads)?;
    let sims: Vec<_> = sims
        .into_iter()
        .map(|s| s.with_cancel(opts.cancel.clone()))
        .collect();
    let planned = sims.len() as u64 * (total - state.whole);
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut accs = state.accumulators;
    let kept = super::sweep::extend_all(&workers, &sims, &mut accs, state.whole, total, &|n| {
        let d = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        progress(d, planned)
    });
    let Some(whole) = kept else {
        return Err(Error::Interrupted(format!(
            "{} of {planned} trials done",
            done.load(std::sync::atomic::Ordering::Relaxed)
        )));
    };
    let state = RunState::new(study, seed, total, super::whole_state(whole, &accs))?;
    let mut result = finish_run(study, &sims, &meta_source, accs, seed, total, None);
    result.state = Some(state);
    Ok(result)
}
