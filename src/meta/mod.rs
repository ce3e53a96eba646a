//! Meta-analysis (MODEL.md §4): pooling of trial results, the pooled-results
//! reader for `trialsim pool`, and the Gelman–Carlin retrospective design.

pub mod pooling;
pub mod retro;
pub mod table;

pub use pooling::{Criticals, Estimator, Pooled, pool};
