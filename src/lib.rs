//! trialsim: a fast, honest Monte Carlo engine for small randomized clinical trials.
//!
//! The pipeline, one way (ARCHITECTURE.md has the map and its rules):
//!
//! 1. [`scenario`]: a TOML scenario's text becomes a validated [`Scenario`]
//!    per design point of its `[sweep]` (a [`scenario::Study`]; MODEL.md §1–§3).
//! 2. [`simulate`]: one trial's patients (or, on the exact fast path, its
//!    sufficient statistics), from random streams that are a pure function
//!    of (seed, replicate, trial, role, arm, patient) ([`rng`]).
//! 3. [`analysis`]: Welch on change or ANCOVA, with complete-case, LOCF or BOCF.
//! 4. [`meta`]: pooling of (estimate, variance) pairs, Egger, retrospective design.
//! 5. [`metrics`]: power, Type S/M, coverage, bias, generalisation and
//!    meta-analysis metrics, each with its Monte Carlo SE.
//! 6. [`engine`]: blocks of replicates folded in a fixed order (on a thread
//!    pool with the `parallel` feature, else one after another: the same
//!    bits), precision targets, shards, `size`'s search.
//! 7. [`output`]: `summary.json`, `summary.csv`, `scenario.resolved.toml`,
//!    figures and `report.html`, rendered in memory and written by
//!    [`output::files`] alone.
//!
//! Features (all on by default): `cli` (the binary), `parallel` (rayon),
//! `png` (PNG copies of the figures). Without them the library builds for
//! `wasm32-unknown-unknown`.
//!
//! # Examples
//!
//! ```
//! use trialsim::{engine, metrics::Metric, scenario::Study, Scenario};
//! let mut sc = Scenario::default_scenario();
//! sc.replicates = 200;
//! let result = engine::run(&Study::from(sc), &engine::RunOptions::default()).unwrap();
//! let power = result.design_points[0].metrics.get(Metric::Power).unwrap();
//! assert!(power.estimate.unwrap() >= 0.0 && power.n == 200);
//! ```

// Denied, not forbidden: `math` (native builds) defines the C math symbols
// so that every target computes the same bits, which takes `no_mangle`.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod error;
#[cfg(not(target_arch = "wasm32"))]
mod math;
pub mod rng;

pub mod analysis;
pub mod engine;
pub mod meta;
pub mod metrics;
pub mod output;
pub mod scenario;
pub mod simulate;

pub use error::{Error, Message, Naming, Result, Setting};
pub use scenario::Scenario;
