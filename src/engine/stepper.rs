//! A run one step at a time, for a caller that must yield between steps:
//! the classroom page runs the engine in a Web Worker, a few blocks per
//! message, so that a slider moved mid-run cancels it at once (issue #24).
//!
//! Each step folds the next blocks of every design point onto its
//! accumulator, in (point, block) order on one thread: the blocks and their
//! fold order are exactly those of [`super::run`], so the finished results
//! equal a run's bit for bit, however the steps were cut (tested).

use super::schedule::Workers;
use super::{BLOCK, RunOptions, RunResult, finish_run, simulators, sweep};
use crate::error::{Error, Result, Setting};
use crate::metrics::Accumulator;
use crate::scenario::Study;

/// A run of a study advanced by [`Stepper::step`].
#[derive(Debug)]
pub struct Stepper {
    study: Study,
    seed: u64,
    replicates: u64,
    accs: Vec<Option<Accumulator>>,
    /// Replicates folded so far at every design point (a multiple of
    /// [`BLOCK`], or `replicates` when finished).
    folded: u64,
}

impl Stepper {
    /// A run of `study` with `opts`' seed and replicates (the scenario's
    /// when absent); nothing is simulated yet.
    ///
    /// # Errors
    /// [`Error::Setting`] for zero replicates or a precision target (a
    /// stepped run has a fixed number of replicates).
    pub fn new(study: Study, opts: &RunOptions) -> Result<Self> {
        let replicates = opts.replicates.unwrap_or(study.replicates);
        if replicates == 0 {
            return Err(Error::setting(Setting::Replicates, 0, "must be at least 1"));
        }
        if let Some(se) = opts.precision {
            return Err(Error::setting(
                Setting::Precision,
                se,
                "is not available in a run made step by step; give a number of replicates",
            ));
        }
        Ok(Stepper {
            seed: opts.seed.unwrap_or(study.seed),
            accs: vec![None; study.points.len()],
            study,
            replicates,
            folded: 0,
        })
    }

    /// The study being run.
    pub fn study(&self) -> &Study {
        &self.study
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Replicates per design point.
    pub fn replicates(&self) -> u64 {
        self.replicates
    }

    /// (trials done, trials planned) over every design point.
    pub fn progress(&self) -> (u64, u64) {
        let points = self.study.points.len() as u64;
        (points * self.folded, points * self.replicates)
    }

    /// Whether every replicate has been folded.
    pub fn finished(&self) -> bool {
        self.folded == self.replicates
    }

    /// The index of the next block to fold.
    pub fn next_block(&self) -> u64 {
        self.folded.div_ceil(BLOCK)
    }

    /// The run's blocks (of every design point), `replicates / BLOCK`
    /// rounded up.
    pub fn blocks(&self) -> u64 {
        self.replicates.div_ceil(BLOCK)
    }

    /// Simulates up to `blocks` more blocks of every design point (at least
    /// one while unfinished); returns whether the run is finished.
    pub fn step(&mut self, blocks: u64) -> bool {
        if self.finished() {
            return true;
        }
        let first = self.next_block();
        let parts = self.simulate(first..first + blocks.max(1));
        self.fold(parts)
            .expect("the blocks just simulated are the next ones")
    }

    /// Simulates blocks `range` of every design point (clipped to the
    /// run), without folding them: another worker's share of the run, to
    /// be handed to [`Stepper::fold`] in order. Returns (design point,
    /// block, accumulator) in (point, block) order.
    pub fn simulate(&self, range: std::ops::Range<u64>) -> Vec<(usize, u64, Accumulator)> {
        let range = range.start.min(self.blocks())..range.end.min(self.blocks());
        let (sims, _) = simulators(&self.study, self.seed);
        let mut parts = Vec::new();
        sweep::for_each_block(
            &Workers::Sequential,
            &sims,
            range,
            self.replicates,
            &|_| true,
            |p, b, acc| parts.push((p, b, acc)),
        );
        parts
    }

    /// Folds blocks from [`Stepper::simulate`] — the next blocks of every
    /// design point, as it returned them — onto the run; returns whether
    /// it is finished.
    ///
    /// # Errors
    /// [`Error::Internal`] when `parts` are not the next blocks of every
    /// design point (folding them would change the results).
    pub fn fold(&mut self, parts: Vec<(usize, u64, Accumulator)>) -> Result<bool> {
        let first = self.next_block();
        let points = self.accs.len();
        let count = parts.len() / points.max(1);
        let expected = (0..points).flat_map(|p| (first..first + count as u64).map(move |b| (p, b)));
        let in_order = parts.len() == points * count
            && first + count as u64 <= self.blocks()
            && parts.iter().map(|(p, b, _)| (*p, *b)).eq(expected);
        if !in_order {
            return Err(Error::Internal(format!(
                "blocks folded out of order: expected the blocks from block {first} on, of all {points} design points"
            )));
        }
        for (p, _, part) in parts {
            match self.accs[p].as_mut() {
                None => self.accs[p] = Some(part),
                Some(acc) => acc.merge(&part),
            }
        }
        self.folded = ((first + count as u64) * BLOCK).min(self.replicates);
        Ok(self.finished())
    }

    /// The results, as [`super::run`] gives them (without the state that
    /// `run --add-replicates` extends).
    ///
    /// # Errors
    /// [`Error::Internal`] when called before the run is finished.
    pub fn finish(self) -> Result<RunResult> {
        if !self.finished() {
            return Err(Error::Internal(format!(
                "a stepped run was finished after {} of {} replicates",
                self.folded, self.replicates
            )));
        }
        let (sims, meta_source) = simulators(&self.study, self.seed);
        Ok(finish_run(
            &self.study,
            &sims,
            &meta_source,
            self.accs,
            self.seed,
            self.replicates,
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However the steps are cut — one block at a time, three, or all at
    /// once, with a partial last block — the results are a run's.
    #[test]
    fn a_stepped_run_equals_a_run() {
        let text = crate::scenario::DEFAULT_SCENARIO.replace(
            "\"design.n_per_arm\" = [10, 15, 20, 30, 50, 80, 150, 300, 600]",
            "\"design.n_per_arm\" = [10, 15, 40]",
        );
        let study = Study::from_toml_str(&text, "test").unwrap();
        assert_eq!(study.points.len(), 3);
        let opts = RunOptions {
            replicates: Some(2 * BLOCK + 37),
            seed: Some(11),
            ..RunOptions::default()
        };
        let mut expected = super::super::run(&study, &opts).unwrap();
        expected.state = None;
        for blocks in [1, 3, 100] {
            let mut stepper = Stepper::new(study.clone(), &opts).unwrap();
            let mut steps = 0;
            while !stepper.step(blocks) {
                steps += 1;
                assert!(stepper.progress().0 < stepper.progress().1);
            }
            assert_eq!(
                stepper.progress(),
                (3 * (2 * BLOCK + 37), 3 * (2 * BLOCK + 37))
            );
            assert_eq!(steps, 3usize.div_ceil(blocks as usize) - 1);
            assert_eq!(
                stepper.finish().unwrap(),
                expected,
                "{blocks} blocks a step"
            );
        }
    }

    /// Blocks simulated elsewhere (by a second worker, as the page does)
    /// and folded in order give the run's results; out of order they are
    /// refused.
    #[test]
    fn blocks_simulated_apart_and_folded_in_order_equal_a_run() {
        let text = crate::scenario::DEFAULT_SCENARIO.replace(
            "\"design.n_per_arm\" = [10, 15, 20, 30, 50, 80, 150, 300, 600]",
            "\"design.n_per_arm\" = [10, 15]",
        );
        let study = Study::from_toml_str(&text, "test").unwrap();
        let opts = RunOptions {
            replicates: Some(4 * BLOCK + 1),
            seed: Some(5),
            ..RunOptions::default()
        };
        let mut expected = super::super::run(&study, &opts).unwrap();
        expected.state = None;
        let mut main = Stepper::new(study.clone(), &opts).unwrap();
        let other = Stepper::new(study, &opts).unwrap();
        assert_eq!(main.blocks(), 5);
        let late = other.simulate(2..4);
        assert!(main.fold(late.clone()).is_err(), "blocks 2-3 before 0-1");
        assert!(!main.fold(main.simulate(0..2)).unwrap());
        assert!(!main.fold(late).unwrap());
        assert!(main.fold(other.simulate(4..9)).unwrap());
        assert_eq!(main.finish().unwrap(), expected);
    }

    #[test]
    fn an_unfinished_run_is_not_finished() {
        let study = Study::from_toml_str(crate::scenario::BENCH_SCENARIO, "bench").unwrap();
        let opts = RunOptions {
            replicates: Some(3 * BLOCK),
            ..RunOptions::default()
        };
        let mut stepper = Stepper::new(study, &opts).unwrap();
        assert!(!stepper.step(1));
        assert!(stepper.finish().is_err());
    }
}
