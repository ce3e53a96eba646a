//! Integration tests, one binary: reference values, calibration within Monte
//! Carlo error, reproducibility, and the command line.

mod calibration;
mod cli;
mod configs;
mod determinism;
mod extremes;
mod fast;
mod interrupt;
mod layout;
mod meta;
mod mmrm;
mod properties;
mod reference;
mod report;
mod responder;
mod safety;
mod shards;
mod sweeps;

/// Asserts |estimate − truth| ≤ 4·se (Monte Carlo SE) and says so in the
/// message.
pub fn within_4se(what: &str, estimate: f64, truth: f64, se: f64) {
    assert!(
        (estimate - truth).abs() <= 4.0 * se,
        "{what}: {estimate:.5} vs {truth:.5}, 4 SE = {:.5}",
        4.0 * se
    );
}

/// The `trialsim` binary under test.
pub fn trialsim() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("trialsim").unwrap()
}

/// Runs a command that must succeed (its stderr is the failure message) and returns its output.
pub fn ok(cmd: &mut assert_cmd::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
