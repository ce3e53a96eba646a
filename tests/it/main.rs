//! Integration tests, one binary: reference values, calibration within Monte
//! Carlo error, reproducibility, and the command line.

mod bias;
mod calibration;
mod cli;
mod configs;
mod designer;
mod determinism;
mod extremes;
mod fast;
mod forking;
mod hypotheses;
mod interrupt;
mod layout;
mod meta;
mod mmrm;
mod presets;
mod properties;
mod reference;
mod report;
mod responder;
mod safety;
mod shards;
mod subgroups;
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

/// `summary.json` of `study` at 1 100 replicates on `threads` threads, and
/// the same as a value without what an optional section adds: its `truth`
/// block `truth_block` and the metrics whose names `added` picks (under
/// `metrics` and `meta`). What must not move when the section is added.
pub fn summary_without(
    study: &trialsim::scenario::Study,
    threads: usize,
    truth_block: &str,
    added: impl Fn(&str) -> bool,
) -> (String, serde_json::Value) {
    let opts = trialsim::engine::RunOptions {
        replicates: Some(1100),
        threads: std::num::NonZeroUsize::new(threads),
        ..Default::default()
    };
    let result = trialsim::engine::run(study, &opts).unwrap();
    let json = trialsim::output::summary_json(&result, trialsim::Naming::Flags);
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for dp in v["design_points"].as_array_mut().unwrap() {
        dp["truth"].as_object_mut().unwrap().remove(truth_block);
        for group in ["metrics", "meta"] {
            if let Some(m) = dp[group].as_object_mut() {
                m.retain(|k, _| !added(k));
            }
        }
    }
    (json, v)
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
