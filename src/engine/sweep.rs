//! Every design point of a run at once: the work is the (design point,
//! block) pairs, scheduled together, so a sweep whose points each fit in
//! one block still keeps every core busy, and a machine with more cores
//! than a point has blocks does not idle (issue #25).
//!
//! The pairs run [`CHUNK_BLOCKS`] at a time, design point by design point
//! and block by block within a point; each chunk's accumulators come back
//! in that order and are handed on in it, so each point's blocks are folded
//! in block order exactly as when the points ran one after another: the
//! same bits, whatever the threads.

use super::point::Simulator;
use super::schedule::Workers;
use super::{BLOCK, CHUNK_BLOCKS, Kept};
use crate::metrics::Accumulator;
use std::ops::Range;

/// Simulates blocks `blocks` (of a run of `to` replicates) of every design
/// point of `sims`, handing each block's accumulator to `sink(point,
/// block, accumulator)` in (point, block) order. `chunk_done(n)` is told
/// after each chunk of `n` replicates; returning `false` stops the run, as
/// does a cancelled simulator (then `false`, and the chunk cut short is not
/// handed on).
pub(crate) fn for_each_block(
    workers: &Workers,
    sims: &[Simulator],
    blocks: Range<u64>,
    to: u64,
    chunk_done: &dyn Fn(u64) -> bool,
    mut sink: impl FnMut(usize, u64, Accumulator),
) -> bool {
    let per_point = blocks.end.saturating_sub(blocks.start);
    let tasks = sims.len() as u64 * per_point;
    // Task t is block `blocks.start + t % per_point` of point `t / per_point`.
    let task = |t: u64| ((t / per_point) as usize, blocks.start + t % per_point);
    let mut start = 0;
    while start < tasks {
        let end = (start + CHUNK_BLOCKS).min(tasks);
        let parts = workers.map_blocks(start..end, |t| {
            let (p, b) = task(t);
            sims[p].block_at(b, to)
        });
        if sims.iter().any(Simulator::cancelled) {
            return false;
        }
        let mut done = 0;
        for (t, part) in (start..end).zip(parts) {
            let (p, b) = task(t);
            done += ((b + 1) * BLOCK).min(to) - b * BLOCK;
            sink(p, b, part);
        }
        start = end;
        if !chunk_done(done) {
            return false;
        }
    }
    true
}

/// Folds replicates `from..to` (`from` a multiple of [`BLOCK`]) of every
/// design point into its accumulator in `accs`, keeping what each was
/// after its last whole block (the state `run --add-replicates` extends);
/// `None` when the run was stopped.
pub(crate) fn extend_all(
    workers: &Workers,
    sims: &[Simulator],
    accs: &mut [Option<Accumulator>],
    from: u64,
    to: u64,
    chunk_done: &dyn Fn(u64) -> bool,
) -> Option<Vec<Kept>> {
    // A start inside a block would fold that block's first replicates twice.
    assert!(
        from.is_multiple_of(BLOCK),
        "extend must start at a block boundary (a multiple of {BLOCK}), not {from}"
    );
    let whole = super::whole_blocks(to).max(from);
    let mut kept: Vec<Kept> = sims.iter().map(|_| Kept::Final).collect();
    let finished = for_each_block(
        workers,
        sims,
        from / BLOCK..to.div_ceil(BLOCK),
        to,
        chunk_done,
        |p, b, part| {
            // The partial last block: keep the accumulator before it.
            if whole < to && b * BLOCK == whole {
                kept[p] = Kept::Before(accs[p].clone().map(Box::new));
            }
            match accs[p].as_mut() {
                None => accs[p] = Some(part),
                Some(acc) => acc.merge(&part),
            }
        },
    );
    finished.then_some(kept)
}
