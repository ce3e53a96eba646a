//! Sweeps, `size`, `--precision` and progress output (issue: sweeps and sizing).

use std::fs;
use std::path::Path;

use crate::trialsim;

/// The two-sample design of the engine's power test (d = 0.5), 30 per arm.
fn power_design(replicates: u64) -> String {
    crate::calibration::power_design(30, replicates)
}

/// Runs scenario text quietly and returns the rows of its summary.csv.
fn run_rows(text: &str) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    fs::write(&sc, text).unwrap();
    crate::ok(
        trialsim()
            .arg("run")
            .arg(&sc)
            .args(["--quiet", "--out"])
            .arg(dir.path().join("o")),
    );
    csv_rows(&fs::read_to_string(dir.path().join("o/summary.csv")).unwrap())
}

/// Runs `size --json` on `sc` with `flags` into `out` and returns its answer.
fn size_answer(sc: &Path, flags: &[&str], out: &Path) -> serde_json::Value {
    let output = crate::ok(
        trialsim()
            .arg("size")
            .arg(sc)
            .args(flags)
            .args(["--json", "--out"])
            .arg(out),
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The values `size` evaluated, as its summary.json in `out` lists them.
fn size_values(out: &Path) -> Vec<i64> {
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    summary["design_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["params"]["design.n_per_arm"].as_i64().unwrap())
        .collect()
}

#[test]
fn size_finds_the_analytic_sample_size() {
    // Two-sample t-test, d = 0.5, alpha 0.05 two-sided, power 0.8: 64 per arm
    // (noncentral t: power 0.7948 at 63, 0.8015 at 64; scipy 1.17.1). Test: ±2.
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("d05.toml");
    fs::write(&sc, power_design(20000)).unwrap();
    let answer = size_answer(
        &sc,
        &["--target-power", "0.8", "--min", "10", "--max", "200"],
        &dir.path().join("size"),
    );
    assert_eq!(answer["param"], "design.n_per_arm");
    let value = answer["value"].as_i64().unwrap();
    assert!((62..=66).contains(&value), "size answer {value}");
    assert_eq!(answer["value_below"].as_i64(), Some(value - 1));
    let p = answer["power"]["estimate"].as_f64().unwrap();
    let below = answer["power_below"]["estimate"].as_f64().unwrap();
    assert!(p >= 0.8 && below < 0.8, "{answer}");
    assert!(answer["power"]["mc_se"].as_f64().unwrap() > 0.0);
    assert!(answer["within_mc_error"].is_boolean());
    // The evaluated values are written like a run, one design point each, in order.
    let values = size_values(&dir.path().join("size"));
    assert!(values.windows(2).all(|w| w[0] < w[1]), "{values:?}");
    assert!(values.contains(&value) && values.contains(&200));
}

#[test]
fn size_says_when_no_value_reaches_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("d05.toml");
    fs::write(&sc, power_design(2000)).unwrap();
    let out = trialsim()
        .arg("size")
        .arg(&sc)
        .args([
            "--target-power",
            "0.8",
            "--min",
            "5",
            "--max",
            "20",
            "--out",
        ])
        .arg(dir.path().join("size"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: no value of design.n_per_arm in [5, 20] meets power >= 0.8: power at the upper bound 20 is 0."
        ),
        "{stderr}"
    );
    assert!(
        !dir.path().join("size").exists(),
        "nothing written on exit 3"
    );
    for (flags, want) in [
        (
            vec!["--target-power", "1.5"],
            "error: --target-power = 1.5: must be in (0, 1)\n",
        ),
        (
            vec!["--target-power", "0.8", "--min", "50", "--max", "10"],
            "error: --min = 50: must not exceed --max = 10\n",
        ),
        (
            vec!["--target-power", "0.8", "--param", "design.n_per_arms"],
            "error: --param design.n_per_arms: unknown key; did you mean `design.n_per_arm`?\n",
        ),
        (
            vec!["--target-power", "0.8", "--param", "design.allocation"],
            "error: --param design.allocation: give the range to search with --min and --max\n",
        ),
        (
            // No valid value in [1, 1]: the value's own error, said once.
            vec!["--target-power", "0.8", "--min", "1", "--max", "1"],
            "error: design.n_per_arm = 1: must be a whole number in [2, 10000000]\n",
        ),
    ] {
        let out = trialsim()
            .arg("size")
            .arg(&sc)
            .args(&flags)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), want);
    }
}

#[test]
fn size_searches_only_valid_values_from_min_to_max() {
    // Found in review: an answer at --min still evaluated --min - 1 (outside
    // the range, and written to the outputs), and with allocation 0.5 the
    // default --min 2 (one treated patient) ended the search with exit 2.
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("half.toml");
    let text = power_design(400).replace("n_per_arm = 30", "n_per_arm = 30\nallocation = 0.5");
    fs::write(&sc, text).unwrap();
    for (min, want) in [(None, 3), (Some("12"), 12)] {
        let out_dir = dir.path().join(format!("size{want}"));
        let mut flags = vec!["--target-power", "0.001", "--max", "40", "--quiet"];
        if let Some(min) = min {
            flags.extend(["--min", min]);
        }
        let answer = size_answer(&sc, &flags, &out_dir);
        assert_eq!(answer["value"].as_i64(), Some(want), "{answer}");
        assert!(answer["value_below"].is_null(), "{answer}");
        let values = size_values(&out_dir);
        assert!(
            values.iter().all(|&v| (want..=40).contains(&v)),
            "{values:?}"
        );
    }
    // The only valid value is --max (found in review: the search fell back
    // to the invalid --min).
    let answer = size_answer(
        &sc,
        &[
            "--target-power",
            "0.001",
            "--min",
            "1",
            "--max",
            "3",
            "--quiet",
        ],
        &dir.path().join("only_max"),
    );
    assert_eq!(answer["value"].as_i64(), Some(3), "{answer}");
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn power_rises_smoothly_along_n_with_common_random_numbers() {
    // Non-null effect, MCAR dropout (not outcome-dependent), no small-study bias.
    let text = power_design(4000)
        + "[dropout]\nmechanism = \"mcar\"\nmonthly_rate = 0.02\n[sweep]\n\"design.n_per_arm\" = [10, 15, 20, 30, 50, 80]\n";
    let rows = run_rows(&text);
    assert_eq!(rows[0][0], "design.n_per_arm");
    let power: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r[1] == "trial" && r[3] == "power")
        .map(|r| (r[4].parse().unwrap(), r[5].parse().unwrap()))
        .collect();
    assert_eq!(power.len(), 6);
    for w in power.windows(2) {
        let ((p0, _), (p1, se1)) = (w[0], w[1]);
        assert!(
            p1 >= p0 - 2.0 * se1,
            "power fell from {p0} to {p1} (2 SE = {})",
            2.0 * se1
        );
    }
}

#[test]
fn missing_data_methods_side_by_side_under_mnar() {
    // Patients doing worse leave (MNAR); the sweep puts each method's bias in one CSV.
    let text = power_design(3000).replace("lower_is_better = false", "lower_is_better = true")
        + "[dropout]\nmechanism = \"mnar\"\nmonthly_rate = 0.1\nbeta = 0.2\n[sweep]\n\"analysis.missing\" = [\"complete_case\", \"locf\", \"bocf\"]\n";
    let rows = run_rows(&text);
    assert_eq!(rows[0][0], "analysis.missing");
    let bias: Vec<(String, f64, f64)> = rows
        .iter()
        .filter(|r| r[1] == "trial" && r[3] == "bias")
        .map(|r| (r[0].clone(), r[4].parse().unwrap(), r[5].parse().unwrap()))
        .collect();
    let methods: Vec<&str> = bias.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(methods, ["complete_case", "locf", "bocf"]);
    // BOCF replaces every dropout's change by 0, pulling the estimate towards
    // 0 (the effect is +7.07): its bias is the most negative, and clearly so.
    let (cc, bocf) = (&bias[0], &bias[2]);
    assert!(
        bocf.1 < cc.1 - 4.0 * (bocf.2.powi(2) + cc.2.powi(2)).sqrt(),
        "{bias:?}"
    );
}

#[test]
fn precision_stops_at_the_target_and_is_reproducible() {
    let text = power_design(1000) + "[sweep]\n\"design.n_per_arm\" = [10, 30, 60]\n";
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    fs::write(&sc, text).unwrap();
    let run = |out: &str| {
        crate::ok(
            trialsim()
                .arg("run")
                .arg(&sc)
                .args(["--precision", "0.005", "--quiet", "--out"])
                .arg(dir.path().join(out)),
        );
        fs::read_to_string(dir.path().join(out).join("summary.json")).unwrap()
    };
    let (a, b) = (run("a"), run("b"));
    assert_eq!(a, b, "same seed and SE give the same bytes");
    let summary: serde_json::Value = serde_json::from_str(&a).unwrap();
    let r = summary["replicates"].as_u64().unwrap();
    assert!(r >= 2000);
    for dp in summary["design_points"].as_array().unwrap() {
        let se = dp["metrics"]["power"]["mc_se"].as_f64().unwrap();
        assert!(se <= 0.005, "power MC SE {se}");
        assert_eq!(dp["replicates"].as_u64(), Some(r));
    }
    // The worst design point (power nearest 0.5) needs about 0.25/0.005² = 10 000.
    assert!((9000..=11000).contains(&r), "R = {r}");
}

#[test]
fn progress_never_reaches_pipes_or_ci_logs() {
    let dir = tempfile::tempdir().unwrap();
    // A run of several seconds: the default scenario (a sweep of 9 design points).
    let piped = trialsim()
        .args(["run", "--out"])
        .arg(dir.path().join("a"))
        .env_remove("CI")
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(
        String::from_utf8_lossy(&piped.stderr),
        "",
        "stderr is a pipe: no bar"
    );

    // On a terminal (a pty from util-linux `script`), the bar shows unless CI is set.
    let bin = assert_cmd::cargo::cargo_bin("trialsim");
    let on_tty = |ci: bool, out: &str| {
        let cmd = format!(
            "{} run --replicates 20000 --out {}",
            bin.display(),
            dir.path().join(out).display()
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]);
        if ci {
            c.env("CI", "true");
        } else {
            c.env_remove("CI");
        }
        let o = c.output().expect("script (util-linux) runs");
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let ci = on_tty(true, "b");
    assert!(!ci.contains("trials ("), "no progress under CI:\n{ci}");
    let interactive = on_tty(false, "c");
    assert!(
        interactive.contains("trials ("),
        "a terminal shows progress:\n{interactive}"
    );
}

/// #15 item 1: `scenario.resolved.toml` of a sweep shows the file's own
/// value of a swept key (not the first swept value), and running it again
/// gives the same design points.
#[test]
fn the_resolved_file_of_a_sweep_shows_the_base_value() {
    use trialsim::scenario::Study;
    let text = format!(
        "{}\n[sweep]\n\"design.n_per_arm\" = [10, 20]\n",
        power_design(100).replace("n_per_arm = 30", "n_per_arm = 15")
    );
    assert!(text.contains("n_per_arm = 15"));
    let study = Study::from_toml_str(&text, "s.toml").unwrap();
    let resolved = study.resolved_toml(study.seed, study.replicates).unwrap();
    let design = resolved.split("[design]").nth(1).unwrap();
    assert!(
        design.trim_start().starts_with("n_per_arm = 15"),
        "{resolved}"
    );
    let again = Study::from_toml_str(&resolved, "resolved").unwrap();
    assert_eq!(again.points, study.points);
    assert_eq!(again.focus_point(), study.focus_point());
}

/// #17 item 1: with `--max-type-m`, the answer shows the exaggeration ratio
/// at the answer and below it, and which constraint was binding.
#[test]
fn size_with_max_type_m_shows_the_ratio_and_the_binding_constraint() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("d05.toml");
    fs::write(&sc, power_design(2000)).unwrap();
    let plain = size_answer(
        &sc,
        &["--target-power", "0.8", "--min", "10", "--max", "200"],
        &dir.path().join("plain"),
    );
    assert!(plain.get("type_m").is_none() && plain.get("binding").is_none());
    // At 80% power the ratio is about 1.1; a limit of 1.05 binds.
    let a = size_answer(
        &sc,
        &[
            "--target-power",
            "0.8",
            "--max-type-m",
            "1.05",
            "--min",
            "10",
            "--max",
            "200",
        ],
        &dir.path().join("m"),
    );
    for key in ["type_m", "type_m_below"] {
        assert!(a[key]["estimate"].as_f64().unwrap() >= 1.0, "{a}");
        assert!(a[key]["mc_se"].as_f64().unwrap() > 0.0, "{a}");
    }
    assert!(a["type_m"]["estimate"].as_f64().unwrap() <= 1.05, "{a}");
    assert_eq!(a["binding"], "type_m", "{a}");
    assert!(a["power_below"]["estimate"].as_f64().unwrap() >= 0.8, "{a}");
    assert!(
        a["type_m_below"]["estimate"].as_f64().unwrap() > 1.05,
        "{a}"
    );
    assert!(
        a["value"].as_i64() > plain["value"].as_i64(),
        "{a}\n{plain}"
    );
    // The text says the same.
    let out = crate::ok(
        trialsim()
            .arg("size")
            .arg(&sc)
            .args(["--target-power", "0.8", "--max-type-m", "1.05"])
            .args(["--min", "10", "--max", "200", "--out"])
            .arg(dir.path().join("t")),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("smallest design.n_per_arm with power >= 0.8 and type_m <= 1.05: "),
        "{text}"
    );
    assert!(
        text.contains("  binding: type_m (design.n_per_arm = "),
        "{text}"
    );
}

/// #17 item 2: with `--precision`, every value `size` evaluates runs the
/// same R, p(1 − p)/se² at the target power in whole blocks:
/// 0.8 · 0.2 / 0.008² = 2500.
#[test]
fn size_with_precision_runs_every_value_at_one_r() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("d05.toml");
    fs::write(&sc, power_design(100)).unwrap();
    let out = dir.path().join("p");
    size_answer(
        &sc,
        &[
            "--target-power",
            "0.8",
            "--precision",
            "0.008",
            "--min",
            "10",
            "--max",
            "200",
        ],
        &out,
    );
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let rs: Vec<u64> = summary["design_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["replicates"].as_u64().unwrap())
        .collect();
    assert!(rs.len() > 3 && rs.iter().all(|&r| r == 2500), "{rs:?}");
}

/// A required key the file sets only in its `[sweep]` still loads (found
/// in review: the base check first rejected it); the base takes the first
/// swept value.
#[test]
fn a_required_key_set_only_in_the_sweep_is_accepted() {
    use trialsim::scenario::Study;
    let text = format!(
        "{}\n[sweep]\n\"design.n_per_arm\" = [10, 20]\n",
        power_design(100).replace("n_per_arm = 30\n", "")
    );
    assert!(!text.contains("n_per_arm = 30"));
    let study = Study::from_toml_str(&text, "s.toml").unwrap();
    assert_eq!(study.points.len(), 2);
    let resolved = study.resolved_toml(study.seed, study.replicates).unwrap();
    let again = Study::from_toml_str(&resolved, "resolved").unwrap();
    assert_eq!(again.points, study.points);
}
