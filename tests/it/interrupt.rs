//! Ctrl-C: `run` stops promptly, says what was done, exits 130 and leaves the
//! output folder as it was before the run.
//!
//! Promptness is judged by work, not by a tight wall-clock deadline, which a
//! loaded 2-core CI machine cannot promise: the interrupted run must report
//! fewer than a tenth of its planned trials done (50 million replicates per
//! design point, hours of work on 2 cores), and must exit within a generous 20 s of the signal. A run
//! that ignores Ctrl-C fails one or the other, however fast the machine.

use std::fs;
use std::time::{Duration, Instant};

/// Replicates per design point of the run to interrupt.
const REPLICATES: u64 = 50_000_000;

/// How long the child may take to install its handler, or to stop after the signal.
const GUARD: Duration = Duration::from_secs(20);

/// Whether process `pid` catches SIGINT: the `SigCgt` mask in
/// `/proc/PID/status` (Linux) has signal n at bit n − 1, SIGINT being 2.
fn catches_sigint(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1 << (2 - 1)) != 0)
}

/// `(N, M)` from the line `error: interrupted: N of M trials done`.
fn trials_done(line: &str) -> Option<(u64, u64)> {
    let counts = line
        .strip_prefix("error: interrupted: ")?
        .strip_suffix(" trials done")?;
    let (done, planned) = counts.split_once(" of ")?;
    Some((done.parse().ok()?, planned.parse().ok()?))
}

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
        .args(["run", "--replicates", &REPLICATES.to_string(), "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Signal only once the handler is in place (before it, SIGINT just kills
    // the process), and after the run has had time to get under way.
    let started = Instant::now();
    while !catches_sigint(child.id()) {
        if started.elapsed() > GUARD || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no SIGINT handler within {GUARD:?} (or the run ended)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
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
        if sent.elapsed() > GUARD {
            // Ctrl-C was ignored: end the run rather than leave it behind.
            let _ = child.kill();
            let _ = child.wait();
            panic!("did not stop within {GUARD:?} of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let waited = sent.elapsed();
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let (done, planned) = stderr
        .lines()
        .next()
        .and_then(trials_done)
        .unwrap_or_else(|| panic!("no 'error: interrupted: N of M trials done': {stderr}"));
    assert_eq!(planned % REPLICATES, 0, "planned {planned}");
    assert!(
        done < planned / 10,
        "stopped {waited:?} after SIGINT with {done} of {planned} trials done"
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
