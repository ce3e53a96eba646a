//! Meta-analysis (MODEL.md §4): pooling of trial results, the pooled-results
//! reader for `trialsim pool`, and the Gelman–Carlin retrospective design.
//!
//! Owns: arithmetic on (estimate, variance) pairs and its reader from text.
//! May not: simulate trials, accumulate metrics, read files or print.

pub mod bias;
pub mod pooling;
pub mod retro;
pub mod selection;
pub mod subgroups;
pub mod table;

pub use pooling::{Criticals, Estimator, Pooled, pool};
