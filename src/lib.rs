//! trialsim: a fast, honest Monte Carlo engine for small randomized clinical trials.
//!
//! The pipeline, one way:
//!
//! 1. [`scenario`]: a TOML scenario becomes a validated [`Scenario`] per design
//!    point of its `[sweep]` (a [`scenario::Study`]; MODEL.md §1–§3).
//! 2. [`simulate`]: one trial's patients, from random streams that are a pure
//!    function of (seed, replicate, trial, role, arm, patient) ([`rng`]).
//! 3. [`analysis`]: Welch on change or ANCOVA, with complete-case, LOCF or BOCF.
//! 4. [`metrics`]: power, Type S/M, coverage, bias, generalisation metrics, each
//!    with its Monte Carlo SE, folded by [`engine`] in a fixed order.
//! 5. [`output`]: `summary.json`, `summary.csv`, `scenario.resolved.toml`.
//!
//! [`engine::sizing`] searches a parameter for a target power by re-running the engine.
//!
//! # Examples
//!
//! ```
//! use trialsim::{engine, scenario::Study, Scenario};
//! let mut sc = Scenario::default_scenario();
//! sc.replicates = 200;
//! let result = engine::run(&Study::from(sc), &engine::RunOptions::default()).unwrap();
//! let power = result.design_points[0].metrics.get("power").unwrap();
//! assert!(power.estimate.unwrap() >= 0.0 && power.n == 200);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod error;
pub mod rng;

pub mod analysis;
pub mod engine;
pub mod meta;
pub mod metrics;
pub mod output;
pub mod scenario;
pub mod simulate;

pub use error::{Error, Result};
pub use scenario::Scenario;
