//! Scale-out: `run --shard I/N` simulates the replicate blocks of shard I of N
//! and writes a shard file; `merge` folds the shards' blocks in block order —
//! exactly the fold of an unsharded run — into the same outputs.
//!
//! A run of R replicates has `B = ceil(R / BLOCK)` blocks; shard I (1-based)
//! owns blocks `[(I−1)·B/N, I·B/N)`. A shard file keeps one accumulator per
//! block (so its size grows with its share of R), which lets `merge` replay
//! the unsharded fold bit for bit: `summary.json` is byte-identical.

use crate::engine::schedule::Workers;
use crate::engine::{BLOCK, Progress, RunOptions, RunResult, finish_run, simulators};
use crate::error::{Error, Message, Result, Setting};
use crate::metrics::Accumulator;
use crate::scenario::Study;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Schema tag of shard files.
pub const SHARD_SCHEMA: &str = "trialsim.shard/1";

/// Shard I of N (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// I, from 1.
    pub index: u64,
    /// N.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bad = || {
            Error::setting(
                Setting::Shard,
                text,
                "must be I/N with 1 <= I <= N, e.g. 2/8",
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The blocks this shard owns out of `total` blocks.
    pub fn blocks(&self, total: u64) -> std::ops::Range<u64> {
        let share = |i: u64| (u128::from(i) * u128::from(total) / u128::from(self.count)) as u64;
        share(self.index - 1)..share(self.index)
    }

    /// The shard file's name, `shard-I-of-N.json`.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

/// What one shard writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// [`SHARD_SCHEMA`].
    pub schema: String,
    /// trialsim version that wrote it.
    pub version: String,
    /// The resolved scenario (with the run's seed and R).
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Replicates per design point of the whole run.
    pub replicates: u64,
    /// Which shard.
    pub shard: Shard,
    /// First block owned.
    pub first_block: u64,
    /// Per design point, one accumulator per owned block, in block order.
    pub blocks: Vec<Vec<Accumulator>>,
}

/// Runs shard `shard` of a study.
///
/// # Errors
/// [`Error::Setting`] with a precision target (the number of replicates must be
/// known before the blocks are split), [`Error::Interrupted`], or a thread-pool failure.
pub fn run_shard(
    study: &Study,
    opts: &RunOptions,
    shard: Shard,
    progress: Progress,
) -> Result<ShardFile> {
    if opts.precision.is_some() {
        return Err(Error::setting(
            Setting::Precision,
            opts.precision.unwrap_or_default(),
            Message::from("cannot be combined with ")
                .setting(Setting::Shard)
                .then(": shards need a fixed ")
                .setting(Setting::Replicates),
        ));
    }
    let seed = opts.seed.unwrap_or(study.seed);
    let replicates = opts.replicates.unwrap_or(study.replicates);
    let range = shard.blocks(replicates.div_ceil(BLOCK));
    let workers = Workers::new(opts.threads)?;
    let (sims, _) = simulators(study, seed);
    let sims: Vec<_> = sims
        .into_iter()
        .map(|s| s.with_cancel(opts.cancel.clone()))
        .collect();
    let planned = sims.len() as u64 * ((range.end * BLOCK).min(replicates) - range.start * BLOCK);
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut blocks: Vec<Vec<Accumulator>> = sims.iter().map(|_| Vec::new()).collect();
    let finished = super::sweep::for_each_block(
        &workers,
        &sims,
        range.clone(),
        replicates,
        &|n| {
            let d = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            progress(d, planned)
        },
        |p, _, acc| blocks[p].push(acc),
    );
    if !finished {
        return Err(Error::Interrupted(format!(
            "shard {shard}: stopped before its blocks were done"
        )));
    }
    Ok(ShardFile {
        schema: SHARD_SCHEMA.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: study.resolved_toml(seed, replicates)?,
        seed,
        replicates,
        shard,
        first_block: range.start,
        blocks,
    })
}

/// Parses one shard file's text; `origin` names it in errors.
///
/// # Errors
/// [`Error::Usage`] naming `origin` when the text is not a shard file of
/// this schema.
pub fn parse_shard(text: &str, origin: &Path) -> Result<ShardFile> {
    let shard: ShardFile = serde_json::from_str(text).map_err(|e| {
        Error::Usage(format!(
            "{}: not a trialsim shard file: {e}",
            origin.display()
        ))
    })?;
    if shard.schema != SHARD_SCHEMA {
        return Err(Error::Usage(format!(
            "{}: schema {:?}; this trialsim reads {SHARD_SCHEMA}",
            origin.display(),
            shard.schema
        )));
    }
    Ok(shard)
}

/// Merges shards into the result of the unsharded run.
///
/// # Errors
/// [`Error::Usage`] when the shards are of different runs, missing or duplicated.
pub fn merge(mut shards: Vec<(PathBuf, ShardFile)>) -> Result<(Study, RunResult)> {
    let Some((first_path, first)) = shards.first().cloned() else {
        return Err(Error::Usage("merge needs at least one shard".to_string()));
    };
    let describe = |p: &Path| p.display().to_string();
    for (path, s) in &shards {
        if s.scenario != first.scenario
            || s.seed != first.seed
            || s.replicates != first.replicates
            || s.shard.count != first.shard.count
            || s.version != first.version
        {
            return Err(Error::Usage(format!(
                "{} is from a different run than {} (scenario, seed, replicates, shard count or version differ)",
                describe(path),
                describe(&first_path)
            )));
        }
    }
    shards.sort_by_key(|(_, s)| s.shard.index);
    let count = first.shard.count;
    if let Some(w) = shards.windows(2).find(|w| w[0].1.shard == w[1].1.shard) {
        return Err(Error::Usage(format!(
            "shard {} appears twice ({} and {})",
            w[1].1.shard,
            describe(&w[0].0),
            describe(&w[1].0)
        )));
    }
    if let Some(missing) = (1..=count).find(|i| !shards.iter().any(|(_, s)| s.shard.index == *i)) {
        return Err(Error::Usage(format!("shard {missing}/{count} is missing")));
    }
    let study = Study::from_toml_str(&first.scenario, &describe(&first_path))?;
    let (sims, meta_source) = simulators(&study, first.seed);
    let total_blocks = first.replicates.div_ceil(BLOCK);
    let mut accs: Vec<Option<Accumulator>> = vec![None; sims.len()];
    // The state `run --add-replicates` extends: each point's accumulator
    // before a partial last block.
    let partial = !first.replicates.is_multiple_of(BLOCK);
    let mut before: Vec<Option<Accumulator>> = vec![None; sims.len()];
    for (path, s) in &shards {
        let range = s.shard.blocks(total_blocks);
        if s.first_block != range.start
            || s.blocks.len() != sims.len()
            || s.blocks
                .iter()
                .any(|b| b.len() as u64 != range.end - range.start)
        {
            return Err(Error::Usage(format!(
                "{}: its blocks do not match shard {} of this run",
                describe(path),
                s.shard
            )));
        }
        for ((total, blocks), before) in accs.iter_mut().zip(&s.blocks).zip(&mut before) {
            for (i, block) in blocks.iter().enumerate() {
                if partial && range.start + i as u64 + 1 == total_blocks {
                    *before = total.clone();
                }
                match total.as_mut() {
                    None => *total = Some(block.clone()),
                    Some(t) => t.merge(block),
                }
            }
        }
    }
    let whole = if partial { before } else { accs.clone() };
    let state = crate::engine::resume::RunState::new(&study, first.seed, first.replicates, whole)?;
    let mut result = finish_run(
        &study,
        &sims,
        &meta_source,
        accs,
        first.seed,
        first.replicates,
        None,
    );
    result.state = Some(state);
    Ok((study, result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_blocks() {
        for total in [0u64, 1, 7, 40, 1001] {
            for count in 1..=9 {
                let mut next = 0;
                for index in 1..=count {
                    let r = Shard { index, count }.blocks(total);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!(
            "2/8".parse::<Shard>().ok(),
            Some(Shard { index: 2, count: 8 })
        );
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }
}
