//! The command line: every command's happy path, and the bad-input corpus
//! (exit code 2 and exactly one expected line on stderr, never a panic).

use std::fs;
use std::io::Write as _;
use std::path::Path;

use crate::trialsim;

/// A small valid scenario that the bad inputs below patch.
const BASE: &str = r#"name = "base"
seed = 5
replicates = 100

[outcome]
mu0 = 60.0
subject_sd = 16.0
residual_sd = 17.0
rho = 0.8
min = 0.0
max = 100.0
mcid = 10.0

[visits]
months = [1, 3, 6, 12]
primary = 12

[placebo]
peak = -13.0
onset_months = 1.5
half_life_months = 10.0

[effect]
peak = -10.0
onset = "exponential"
onset_months = 2.5
patient_sd = 8.0

[heterogeneity]
tau = 8.0
small_study = { below = 20, bias = -5.0 }

[[heterogeneity.factors]]
name = "cell_source"
levels = [
  { name = "adipose", weight = 0.5, shift = -2.0 },
  { name = "bone_marrow", weight = 0.5, shift = 2.0 },
]

[dropout]
mechanism = "mar"
monthly_rate = 0.007
beta = 0.02

[design]
n_per_arm = 15

[analysis]
method = "ancova"
"#;

fn patched(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "the corpus patch {from:?} must apply");
    BASE.replacen(from, to, 1)
}

/// Runs `validate` on scenario text and returns (exit code, stderr).
fn validate_text(text: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    fs::write(&path, text).unwrap();
    let out = trialsim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&*path.to_string_lossy(), "FILE");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn the_base_scenario_is_valid() {
    let (code, stderr) = validate_text(BASE.as_bytes());
    assert_eq!(code, 0, "{stderr}");
}

/// Words of Rust and its parsers that a user's message must not contain.
const JARGON: [&str; 10] = [
    "u64",
    "i64",
    "f64",
    "usize",
    "NonZero",
    "invalid digit",
    "non-zero type",
    "invalid type",
    "unknown variant",
    "expected a sequence",
];

/// Why an error message on stderr is not in the user's words: Rust type or
/// parser words, or more than one line (a usage line after it is allowed
/// for command-line errors). `None` when it is fine.
pub fn not_in_the_users_words(stderr: &str) -> Option<String> {
    if let Some(word) = JARGON.iter().find(|w| stderr.contains(*w)) {
        return Some(format!("names {word:?}"));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    match lines.as_slice() {
        [one] if one.starts_with("error: ") => None,
        [one, usage] if one.starts_with("error: ") && usage.starts_with("Usage: ") => None,
        _ => Some(format!("is {} lines, not one error line", lines.len())),
    }
}

/// Runs every file of a corpus folder through `trialsim ARGS FILE` and checks
/// exit code 2 and the exact stderr line in the file's `.stderr` sibling
/// (`FILE` stands for the input's path).
pub fn check_corpus(folder: &str, extension: &str, args: &[&str]) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    inputs.sort();
    let mut failures = Vec::new();
    for input in &inputs {
        let want = fs::read_to_string(input.with_extension("stderr")).unwrap();
        let out = trialsim().args(args).arg(input).output().unwrap();
        let stderr =
            String::from_utf8_lossy(&out.stderr).replace(&*input.to_string_lossy(), "FILE");
        if let Some(why) = not_in_the_users_words(&stderr) {
            failures.push(format!("{}: {why}: {stderr:?}", input.display()));
        }
        if out.status.code() != Some(2) || stderr != want {
            failures.push(format!(
                "{}: want exit 2 and {want:?}\n got exit {:?} and {stderr:?}",
                input.display(),
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    inputs.len()
}

#[test]
fn bad_scenarios_exit_2_with_one_clear_line() {
    // tests/corpus/scenarios: types, ranges, NaN/inf, missing and unknown keys
    // (with "did you mean"), sweeps invalid at one design point, reserved
    // keys, meta-analysis settings, TOML syntax and encodings.
    let n = check_corpus("tests/corpus/scenarios", "toml", &["validate"]);
    assert!(n >= 50, "{n} bad scenarios");
}

#[test]
fn encodings_and_paths() {
    // Non-UTF-8 bytes.
    let mut bytes = BASE.as_bytes().to_vec();
    bytes.insert(10, 0xff);
    let (code, stderr) = validate_text(&bytes);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: FILE: not valid UTF-8 text (invalid byte at offset 10); save the file as UTF-8\n"
    );
    // NUL byte inside a string: TOML rejects control characters.
    let (code, stderr) = validate_text(patched("\"base\"", "\"ba\0se\"").as_bytes());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with("error: FILE: invalid TOML:") && stderr.lines().count() == 1,
        "{stderr}"
    );
    // A UTF-8 BOM and CRLF line ends are valid.
    let crlf = format!("\u{feff}{}", BASE.replace('\n', "\r\n"));
    let (code, stderr) = validate_text(crlf.as_bytes());
    assert_eq!(code, 0, "{stderr}");

    // A missing file and a folder.
    let out = trialsim()
        .args(["validate", "/nonexistent/s.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: /nonexistent/s.toml: No such file or directory (os error 2)\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = trialsim().arg("run").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).ends_with(": is a folder; give a file\n"));
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        vec!["run", "--replicates", "0"],
        vec!["run", "--threads", "0"],
        vec!["run", "--seed", "-4"],
        vec!["run", "--frobnicate"],
        vec!["dataset"],
        vec!["nosuchcommand"],
    ] {
        let out = trialsim().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    fs::write(&sc, BASE).unwrap();
    let out = trialsim()
        .arg("dataset")
        .arg(&sc)
        .args(["--replicate", "0", "--design-point", "3", "--out"])
        .arg(dir.path().join("d.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --design-point = 3: must be in [0, 0] (the scenario has 1 design point)\n"
    );
}

/// Every metric of MODEL.md §3.
const METRICS: [&str; 21] = [
    "power",
    "power_favourable",
    "type_s",
    "type_m",
    "type_s_trial",
    "type_m_trial",
    "bias",
    "rmse",
    "coverage",
    "coverage_trial",
    "mcid_claim",
    "true_mcid",
    "claim_true",
    "durable",
    "replication_same",
    "replication_new",
    "completers_control",
    "completers_treatment",
    "dropout_control",
    "dropout_treatment",
    "not_estimable",
];

#[test]
fn run_without_a_file_writes_the_default_scenario_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::ok(trialsim().arg("run").current_dir(dir.path()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("R = 10 000 per design point"), "{stdout}");
    assert!(stdout.contains("design.n_per_arm  power"), "{stdout}");
    let folder = dir.path().join("outputs/msc_knee_oa");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["schema"], "trialsim.summary/1");
    assert_eq!(summary["replicates"], 10000);
    let points = summary["design_points"].as_array().unwrap();
    assert_eq!(points.len(), 9, "the default sweep over design.n_per_arm");
    for dp in points {
        assert_eq!(dp["path"], "patients");
        assert_eq!(dp["truth"]["month"], 12.0);
        assert!(dp["truth"]["theta_by_visit"]["24"].is_f64());
        assert!(dp["params"]["design.n_per_arm"].is_u64());
        for name in METRICS {
            let m = &dp["metrics"][name];
            // The default scenario defines every metric.
            assert!(m["estimate"].is_f64(), "{name}: {m}");
            assert!(m["mc_se"].as_f64().unwrap() >= 0.0, "{name}");
            assert!(m["n"].as_u64().unwrap() > 0, "{name}");
        }
        assert_eq!(dp["by_visit"].as_array().unwrap().len(), 5);
        assert!(dp["by_visit"][0]["metrics"]["power"]["estimate"].is_f64());
    }
    let csv = fs::read_to_string(folder.join("summary.csv")).unwrap();
    assert!(
        csv.starts_with("design.n_per_arm,group,month,metric,estimate,mc_se,n\n10,trial,12,power,")
    );
    assert!(csv.contains("\n600,by_visit,24,power,"));
    // The resolved scenario reproduces the run.
    let resolved = folder.join("scenario.resolved.toml");
    let again = trialsim().arg("validate").arg(&resolved).output().unwrap();
    assert!(again.status.success());
    // `validate` prints the resolved scenario, then only `#` comment lines
    // (what the variance settings imply).
    let printed = String::from_utf8_lossy(&again.stdout);
    let rest = printed
        .strip_prefix(&fs::read_to_string(&resolved).unwrap())
        .expect("validate prints the resolved file first");
    assert!(
        rest.lines().all(|l| l.is_empty() || l.starts_with('#')),
        "{rest}"
    );
    // No staging folder is left behind.
    let names: Vec<String> = fs::read_dir(dir.path().join("outputs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["msc_knee_oa".to_string()]);
}

fn write_base(dir: &Path) -> std::path::PathBuf {
    let sc = dir.join("s.toml");
    fs::write(&sc, BASE).unwrap();
    sc
}

#[test]
fn run_refuses_to_overwrite_other_results_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write_base(dir.path());
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        trialsim()
            .arg("run")
            .arg(&sc)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&[]).status.success());
    // The same scenario and seed replaces its own results.
    assert!(run(&[]).status.success());
    // Another seed is refused, and the folder is left as it was.
    let before = fs::read_to_string(out.join("summary.json")).unwrap();
    let refused = run(&["--seed", "99"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("use --force"));
    // Refused before the run starts (found in review: only after it): R =
    // 10⁹ would take hours.
    let started = std::time::Instant::now();
    let refused = run(&["--seed", "99", "--replicates", "1000000000"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        started.elapsed().as_secs() < 60,
        "refused only after running"
    );
    assert_eq!(
        before,
        fs::read_to_string(out.join("summary.json")).unwrap()
    );
    assert!(run(&["--seed", "99", "--force"]).status.success());
    assert_ne!(
        before,
        fs::read_to_string(out.join("summary.json")).unwrap()
    );
    // A folder with other content is refused; a file is refused.
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("notes.txt"), "mine").unwrap();
    let r = trialsim()
        .arg("run")
        .arg(&sc)
        .arg("--out")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(fs::read_to_string(other.join("notes.txt")).unwrap(), "mine");
    let r = trialsim()
        .arg("run")
        .arg(&sc)
        .arg("--out")
        .arg(&sc)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn dataset_writes_the_trial_that_run_simulated() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write_base(dir.path());
    let csv_path = dir.path().join("d.csv");
    let out = crate::ok(
        trialsim()
            .arg("dataset")
            .arg(&sc)
            .args(["--replicate", "0", "--out"])
            .arg(&csv_path),
    );
    let analysis: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "estimate",
        "se",
        "df",
        "t",
        "p_value",
        "ci_low",
        "ci_high",
        "n_treatment",
        "n_control",
        "not_estimable",
    ] {
        assert!(analysis.get(key).is_some(), "{key}");
    }
    let csv = fs::read_to_string(&csv_path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("patient,arm,month,value"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 30 * 5);
    assert!(rows[0].starts_with("1,control,0,"));
    assert!(rows.last().unwrap().starts_with("30,treatment,12,"));
    // Dropout is monotone: after a patient's first blank value, all are blank.
    for patient in rows.chunks(5) {
        let blank: Vec<bool> = patient.iter().map(|r| r.ends_with(',')).collect();
        assert!(!blank[0], "baseline always measured: {patient:?}");
        assert!(blank.windows(2).all(|w| w[1] || !w[0]), "{patient:?}");
    }

    // Re-analysing the CSV's completers gives the printed analysis: the
    // dataset is exactly the analysed trial. With R = 1, run's bias is that
    // trial's estimate minus theta.
    let run_dir = dir.path().join("r");
    let r = trialsim()
        .arg("run")
        .arg(&sc)
        .args(["--replicates", "1", "--quiet", "--out"])
        .arg(&run_dir)
        .output()
        .unwrap();
    assert!(r.status.success());
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(run_dir.join("summary.json")).unwrap()).unwrap();
    let dp = &summary["design_points"][0];
    let bias = dp["metrics"]["bias"]["estimate"].as_f64().unwrap();
    let theta = dp["truth"]["theta"].as_f64().unwrap();
    let estimate = analysis["estimate"].as_f64().unwrap();
    assert!(
        (bias + theta - estimate).abs() < 1e-9,
        "{bias} + {theta} vs {estimate}"
    );
}

#[test]
fn an_unreadable_scenario_is_a_clear_error() {
    // Root reads any file, so the check only means something for other users.
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        eprintln!("skipping: running as root, which can read any file");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let sc = write_base(dir.path());
    fs::set_permissions(&sc, fs::Permissions::from_mode(0o000)).unwrap();
    let out = trialsim().arg("validate").arg(&sc).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).ends_with(": Permission denied (os error 13)\n"));
}

#[test]
fn bench_prints_the_ratio_to_the_limit() {
    let out = crate::ok(trialsim().args(["bench", "--replicates", "500"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("542 normals and 420 uniforms per trial"),
        "{text}"
    );
    assert!(text.contains("ratio to limit"), "{text}");
    assert!(text.contains("ratio to +streams"), "{text}");
    // One row on 1 thread for the bench and one for the large-n row, which
    // gets as many patient-visits (500 × 60 / 3000 = 10, at least a block).
    assert!(
        text.lines().filter(|l| l.starts_with("1 ")).count() == 2,
        "{text}"
    );
    assert!(
        text.contains("large n: the same scenario at 1500 per arm"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("1        250      ")),
        "{text}"
    );
}

/// `bench --mmrm` times the three fits on one core and, with R and nlme
/// installed (.ci/run installs them), nlme::gls on the same trials: its arm
/// effects agree with the exact fit's (nlme converges to about 1e-5 SE;
/// 1e-3 would be another trial). Without R it says nlme was skipped, and
/// under CI=true that is a failure.
#[test]
fn bench_mmrm_times_the_fits_beside_nlme() {
    let out = crate::ok(trialsim().args(["bench", "--mmrm", "--replicates", "4"]));
    let text = String::from_utf8_lossy(&out.stdout);
    for row in [
        "exact fit (closed form), common",
        "general optimiser, common",
        "optimiser, by_arm (whole chain)",
    ] {
        assert!(text.lines().any(|l| l.starts_with(row)), "{row}: {text}");
    }
    assert!(
        text.contains("4 trials of 30 + 30 patients and 5 visits"),
        "{text}"
    );
    if text.contains("nlme::gls: skipped") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "nlme skipped under CI=true (.ci/run must install r-base-core and r-cran-nlme): {text}"
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the nlme half of bench_mmrm_times_the_fits_beside_nlme (no R with nlme)"
        );
        return;
    }
    assert!(text.contains("first 4 trials, 0 failed"), "{text}");
    assert!(text.contains("ratio to nlme::gls: exact fit"), "{text}");
    let difference: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("nlme's arm effects differ from the exact fit's by at most "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no comparison with nlme: {text}"));
    assert!(difference < 1e-3, "{text}");
}

/// `bench --mmrm` on a scenario with more visits than an MMRM allows (one
/// analysed by ANCOVA, so validation let it through) is bad input: exit 2
/// naming the field, not a fit that runs out of memory.
#[test]
fn bench_mmrm_refuses_more_visits_than_an_mmrm_allows() {
    let dir = tempfile::tempdir().unwrap();
    let text = include_str!("../../configs/bench_mmrm.toml")
        .replace("method = \"mmrm\"", "method = \"ancova\"")
        .replace(
            "months = [1, 3, 6, 12, 24]",
            "months = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24]",
        );
    let path = dir.path().join("many.toml");
    fs::write(&path, text).unwrap();
    let out = trialsim()
        .args(["bench", "--mmrm", "--replicates", "2"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: visits.months = 13 visits: bench --mmrm fits an MMRM, which allows at most 12 visits\n"
    );
}

#[test]
fn the_output_folder_is_never_the_current_folder_or_one_holding_it() {
    // Found in review: `--out .` failed with "Device or resource busy"; and
    // with --force, a folder holding the current one would have been replaced.
    let dir = tempfile::tempdir().unwrap();
    let sc = write_base(dir.path());
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    fs::write(work.join("notes.txt"), "mine").unwrap();
    for (out, force) in [(".", false), ("..", true)] {
        let mut cmd = trialsim();
        cmd.current_dir(&work)
            .arg("run")
            .arg(&sc)
            .args(["--replicates", "10", "--out", out]);
        if force {
            cmd.arg("--force");
        }
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            format!(
                "error: --out {out}: is the current folder or holds it; choose a folder of its own for the outputs\n"
            )
        );
    }
    assert_eq!(fs::read_to_string(work.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn a_seed_is_one_a_toml_file_can_hold() {
    // Found in review: a seed above 2^63 - 1 was accepted, and the
    // scenario.resolved.toml that records it could not be read back.
    let dir = tempfile::tempdir().unwrap();
    let sc = write_base(dir.path());
    let out = trialsim()
        .arg("run")
        .arg(&sc)
        .args([
            "--seed",
            "9223372036854775808",
            "--replicates",
            "20",
            "--out",
        ])
        .arg(dir.path().join("too_big"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(
            "error: --seed = 9223372036854775808: must be a whole number in [0, 2^63 - 1]\n"
        ),
        "{err}"
    );
    assert!(!dir.path().join("too_big").exists());
    let largest = dir.path().join("largest");
    crate::ok(
        trialsim()
            .arg("run")
            .arg(&sc)
            .args([
                "--seed",
                "9223372036854775807",
                "--replicates",
                "20",
                "--quiet",
                "--out",
            ])
            .arg(&largest),
    );
    crate::ok(
        trialsim()
            .arg("run")
            .arg(largest.join("scenario.resolved.toml"))
            .args(["--quiet", "--out"])
            .arg(dir.path().join("again")),
    );
    assert_eq!(
        fs::read(largest.join("summary.json")).unwrap(),
        fs::read(dir.path().join("again/summary.json")).unwrap()
    );
}

#[test]
fn bad_run_and_size_flags_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write_base(dir.path());
    for (args, want) in [
        (
            vec!["run", "--precision", "0"],
            "error: --precision = 0: must be in (0, 0.5)\n",
        ),
        (
            vec!["run", "--precision", "0.01", "--max-replicates", "100"],
            "error: --max-replicates = 100: must be at least 2000 with --precision\n",
        ),
        (
            vec!["size", "--target-power", "0.8", "--max-type-m", "0.5"],
            "error: --max-type-m = 0.5: must be a finite ratio >= 1\n",
        ),
    ] {
        let (cmd, rest) = args.split_first().unwrap();
        let out = trialsim()
            .arg(cmd)
            .arg(&sc)
            .args(rest)
            .arg("--out")
            .arg(dir.path().join("o"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), want);
    }
}

/// `--precision` chooses R itself: a `--replicates` beside it was silently
/// ignored; now the combination is refused.
#[test]
fn precision_with_replicates_is_refused() {
    let out = assert_cmd::Command::cargo_bin("trialsim")
        .unwrap()
        .args([
            "run",
            "--precision",
            "0.01",
            "--replicates",
            "500",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--precision") && stderr.contains("--replicates"),
        "{stderr}"
    );
}

/// An output that cannot be written is not the user's input: exit 1 (not
/// 2), naming the path, and nothing left behind.
#[test]
fn an_output_that_cannot_be_written_exits_1() {
    // `/dev/null` is a file, so no folder can be made inside it.
    let out = assert_cmd::Command::cargo_bin("trialsim")
        .unwrap()
        .args([
            "run",
            "--replicates",
            "250",
            "--quiet",
            "--out",
            "/dev/null/out",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: /dev/null"), "{stderr}");
}

/// Command-line mistakes (#15 item 8): one line in the user's words, then
/// the usage line of the command typed; no tip to pass `-- -1`, no
/// suggestion that is not a close spelling, no Rust number types.
#[test]
fn command_line_mistakes_are_one_line_and_the_usage() {
    let cases: [(&str, &str); 16] = [
        (
            "run --replicates abc",
            "--replicates = abc: must be a whole number >= 1",
        ),
        (
            "run --replicates -1",
            "--replicates = -1: must be a whole number >= 1",
        ),
        (
            "run --seed -1",
            "--seed = -1: must be a whole number in [0, 2^63 - 1]",
        ),
        (
            "run --threads 0",
            "--threads = 0: must be a whole number >= 1",
        ),
        (
            "run --threads x",
            "--threads = x: must be a whole number >= 1",
        ),
        ("run --precision x", "--precision = x: must be a number"),
        ("run --replicates", "--replicates needs a value"),
        ("run --seed --quiet", "--seed needs a value"),
        (
            "run --frobnicate",
            "unknown flag --frobnicate; see --help for the flags",
        ),
        (
            "run --replicate 10",
            "unknown flag --replicate; did you mean --replicates?",
        ),
        ("run a.toml b.toml", "unexpected extra argument b.toml"),
        (
            "run --shard 0/3",
            "--shard = 0/3: must be I/N with 1 <= I <= N, e.g. 2/8",
        ),
        (
            "pool --method foo x.csv",
            "--method = foo: must be one of fe, dl, pm, reml",
        ),
        ("retro --effect x --se 1", "--effect = x: must be a number"),
        ("validate", "missing the scenario file"),
        (
            "nonsense",
            "unknown command nonsense; the commands are run, validate, dataset, size, pool, merge, presets, bench, retro",
        ),
    ];
    let mut failures = Vec::new();
    for (args, want) in cases {
        let out = trialsim().args(args.split(' ')).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let command = args.split(' ').next().filter(|c| *c != "nonsense");
        let usage = match command {
            Some(c) => format!("Usage: trialsim {c} "),
            None => "Usage: trialsim ".to_string(),
        };
        let lines: Vec<&str> = stderr.lines().collect();
        let ok = out.status.code() == Some(2)
            && lines.len() == 2
            && lines[0] == format!("error: {want}")
            && lines[1].starts_with(&usage)
            && not_in_the_users_words(&stderr).is_none();
        if !ok {
            failures.push(format!(
                "trialsim {args}: want exit 2, \"error: {want}\" and {usage:?}…\n got exit {:?} and {stderr:?}",
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// #15 item 2: `mechanism = "none"` needs no rate; a key without effect
/// under the chosen option is optional and, when given, reported unused.
#[test]
fn dropout_none_needs_no_rate_and_unused_keys_are_warned() {
    let none = patched(
        "mechanism = \"mar\"\nmonthly_rate = 0.007\nbeta = 0.02",
        "mechanism = \"none\"",
    );
    let (code, stderr) = validate_text(none.as_bytes());
    assert_eq!((code, stderr.as_str()), (0, ""));

    let with_rate = patched(
        "mechanism = \"mar\"\nmonthly_rate = 0.007\nbeta = 0.02",
        "mechanism = \"none\"\nmonthly_rate = 0.05",
    );
    let (code, stderr) = validate_text(with_rate.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        "warning: dropout.monthly_rate is unused: dropout.mechanism = \"none\" has no dropout\n"
    );

    let mcar_beta = patched("mechanism = \"mar\"", "mechanism = \"mcar\"");
    let (code, stderr) = validate_text(mcar_beta.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        "warning: dropout.beta is unused: dropout.mechanism = \"mcar\" does not depend on the outcome (beta acts under \"mar\" and \"mnar\")\n"
    );

    let mcar_no_rate = patched(
        "mechanism = \"mar\"\nmonthly_rate = 0.007\nbeta = 0.02",
        "mechanism = \"mcar\"",
    );
    let (code, stderr) = validate_text(mcar_no_rate.as_bytes());
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: dropout.monthly_rate: required key is missing: mechanism = \"mcar\" needs a monthly dropout probability in [0, 1)\n"
    );
}

/// #15 item 3: the sign trap. A harmful effect is a legitimate scenario,
/// accepted with a warning naming `effect.peak`, its sign and the scale's
/// direction, in both directions, by `validate` and by `run`.
#[test]
fn a_harmful_effect_is_accepted_with_a_warning() {
    let worse_pain = patched("peak = -10.0", "peak = 10.0");
    let (code, stderr) = validate_text(worse_pain.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        "warning: effect.peak = 10 is positive and outcome.lower_is_better = true: the therapy makes patients worse (higher is worse on this scale); write a negative peak for a benefit\n"
    );
    let worse_function = patched("mu0 = 60.0", "mu0 = 60.0\nlower_is_better = false");
    let (code, stderr) = validate_text(worse_function.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        "warning: effect.peak = -10 is negative and outcome.lower_is_better = false: the therapy makes patients worse (lower is worse on this scale); write a positive peak for a benefit\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("harm.toml");
    fs::write(&sc, &worse_pain).unwrap();
    let out = trialsim()
        .arg("run")
        .arg(&sc)
        .args(["--replicates", "20", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("warning: effect.peak = 10 is positive and outcome.lower_is_better = true"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// #15 item 4: `validate` prints what the variance settings imply, as TOML
/// comments after the resolved scenario (so its output still loads).
#[test]
fn validate_prints_what_the_variance_settings_imply() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    fs::write(&path, BASE).unwrap();
    let stdout = |out: std::process::Output| String::from_utf8(out.stdout).unwrap();
    let first = stdout(crate::ok(trialsim().arg("validate").arg(&path)));
    // BASE: subject_sd 16, residual_sd 17, rho 0.8, primary month 12:
    // SD sqrt(16² + 17²) = 23.345; correlation (256 + 289·0.8^12)/545 = 0.5061;
    // change SD sqrt(2·289·(1 − 0.8^12)) = 23.201.
    for line in [
        "#   SD at baseline                                  23.35",
        "#   SD at month 12 (primary), control arm           23.35",
        "#   correlation of baseline and month 12             0.51",
        "#   SD of the change to month 12                    23.20",
    ] {
        assert!(first.contains(line), "{line:?} not in\n{first}");
    }
    fs::write(&path, &first).unwrap();
    let again = stdout(crate::ok(trialsim().arg("validate").arg(&path)));
    assert_eq!(again, first);
}
