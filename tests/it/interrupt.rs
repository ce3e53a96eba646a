//! Ctrl-C: `run` stops within a second, says what was done, exits 130 and
//! leaves the output folder as it was before the run.

use std::fs;
use std::time::{Duration, Instant};

#[test]
fn sigint_stops_the_run_and_leaves_the_output_folder_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A previous run of the same scenario: its files must survive the interruption.
    let first = std::process::Command::new(assert_cmd::cargo::cargo_bin("trialsim"))
        .args(["run", "--replicates", "300", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(first.status.success());
    let before = fs::read(out.join("summary.json")).unwrap();

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("trialsim"))
        .args(["run", "--replicates", "5000000", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the long run is still going"
    );
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(sent.elapsed() < Duration::from_secs(5), "did not stop");
        std::thread::sleep(Duration::from_millis(10));
    };
    let waited = sent.elapsed();
    assert!(waited < Duration::from_secs(1), "stopped after {waited:?}");
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.starts_with("error: interrupted: ") && stderr.contains(" trials done"),
        "{stderr}"
    );
    assert_eq!(
        fs::read(out.join("summary.json")).unwrap(),
        before,
        "old results kept"
    );
    let leftovers: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out")
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}
