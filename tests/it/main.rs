//! Integration tests, one binary: reference values, calibration within Monte
//! Carlo error, reproducibility, and the command line.

mod calibration;
mod cli;
mod determinism;
mod extremes;
mod interrupt;
mod meta;
mod properties;
mod reference;
mod report;
mod shards;
mod sweeps;
