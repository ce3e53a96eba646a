//! The designer's questions (#19): `size` over continuous parameters, in
//! either direction, against any requirement.

use std::fs;
use std::path::Path;

use crate::trialsim;

/// The exact two-sample design of the engine's power test (Welch on change,
/// change SD 10·√2, no decay, dropout or heterogeneity), n per arm.
fn design(n: u64, replicates: u64) -> String {
    crate::calibration::power_design(n, replicates)
}

/// `size --json` on scenario text; returns the answer.
fn size(dir: &Path, text: &str, flags: &[&str]) -> serde_json::Value {
    let sc = dir.join("s.toml");
    fs::write(&sc, text).unwrap();
    let out = crate::ok(
        trialsim()
            .arg("size")
            .arg(&sc)
            .args(flags)
            .args(["--json", "--quiet", "--force", "--out"])
            .arg(dir.join("o")),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A reference answer from tests/reference/size/size.csv (made by make.R
/// beside it, R 4.2.2).
fn reference(question: &str, n: u64) -> f64 {
    include_str!("../reference/size/size.csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[0] == question && f[1] == n.to_string())
        .map(|f| f[3].parse().unwrap())
        .unwrap_or_else(|| panic!("no reference for {question} at n = {n}"))
}

/// Checks a continuous answer against an analytic root within 4 MC SEs of
/// the answer: the interval spans the values whose metric is within 2 MC SE
/// of its limit, so a quarter of its width is the answer's MC SE.
fn within_4se_of_root(what: &str, answer: &serde_json::Value, exact: f64) {
    let value = answer["value"].as_f64().unwrap();
    let interval = answer["interval"].as_array().unwrap();
    let (a, b) = (interval[0].as_f64().unwrap(), interval[1].as_f64().unwrap());
    assert!(a <= value && value <= b, "{what}: {answer}");
    let se = (b - a) / 4.0;
    assert!(se > 0.0, "{what}: {answer}");
    crate::within_4se(what, value, exact, se);
}

#[test]
fn minimum_detectable_effect_matches_the_noncentral_t() {
    // #19 acceptance 1: 64 per arm, power 0.8 two-sided: 7.058 (noncentral
    // t, 126 df).
    let dir = tempfile::tempdir().unwrap();
    let exact = reference("mde", 64);
    assert!((exact - 7.058).abs() < 5e-4);
    let a = size(
        dir.path(),
        &design(64, 20000),
        &["--param", "effect.peak", "--target-power", "0.8"],
    );
    assert_eq!(a["param"], "effect.peak");
    let value = a["value"].as_f64().unwrap();
    assert!((value - exact).abs() <= 0.25, "{a}");
    within_4se_of_root("MDE at 64 per arm", &a, exact);
    // The answer meets the target; the other end of the last bracket does
    // not, and lies within the stopping rule's 0.4 MC SE of it.
    let p = a["power"]["estimate"].as_f64().unwrap();
    let below = a["power_below"]["estimate"].as_f64().unwrap();
    let se = a["power"]["mc_se"].as_f64().unwrap();
    assert!(p >= 0.8 && below < 0.8 && p - below <= 0.4 * se, "{a}");
    // Every evaluated value is in summary.json, signed, in increasing order.
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("o/summary.json")).unwrap())
            .unwrap();
    let peaks: Vec<f64> = summary["design_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["params"]["effect.peak"].as_f64().unwrap())
        .collect();
    assert!(peaks.windows(2).all(|w| w[0] < w[1]), "{peaks:?}");
    assert!(peaks.contains(&value) && peaks.contains(&0.0) && peaks.contains(&50.0));
}

#[test]
fn minimum_detectable_effect_takes_the_favourable_sign() {
    // Lower is better: the answer is the negative peak of the same magnitude.
    let dir = tempfile::tempdir().unwrap();
    let text = design(32, 20000)
        .replace("lower_is_better = false", "lower_is_better = true")
        .replace("peak = 7.0", "peak = -7.0");
    let a = size(
        dir.path(),
        &text,
        &["--param", "effect.peak", "--target-power", "0.8"],
    );
    let exact = -reference("mde", 32);
    assert!(a["value"].as_f64().unwrap() < 0.0, "{a}");
    within_4se_of_root("MDE at 32 per arm, lower is better", &a, exact);
}

#[test]
fn tolerable_heterogeneity_matches_the_noncentral_t() {
    // #19 acceptance 2: the largest tau at which P(significant and
    // favourable) is still 0.7, at 64 per arm (two-sided power grows with
    // tau, sign errors included, so the designer's metric is
    // power_favourable). Exact: estimate ~ N(theta, tau² + se²), see make.R.
    let dir = tempfile::tempdir().unwrap();
    let a = size(
        dir.path(),
        &design(64, 20000),
        &[
            "--param",
            "heterogeneity.tau",
            "--direction",
            "largest",
            "--require",
            "power_favourable>=0.7",
        ],
    );
    assert_eq!(a["direction"], "largest");
    within_4se_of_root("largest tau", &a, reference("tau", 64));
    let r = &a["requirements"][0];
    assert_eq!(
        (&r["metric"], &r["comparison"], r["limit"].as_f64()),
        (&"power_favourable".into(), &">=".into(), Some(0.7))
    );
    assert!(r["at_value"]["estimate"].as_f64().unwrap() >= 0.7, "{a}");
    assert!(r["at_neighbour"]["estimate"].as_f64().unwrap() < 0.7, "{a}");
    // The neighbour that fails is above the answer.
    assert!(a["value_below"].as_f64().unwrap() > a["value"].as_f64().unwrap());
}

#[test]
fn a_precision_target_finds_the_n_of_the_quadrature() {
    // E[half-width] of Welch's 95% interval (tests/reference/ci_halfwidth):
    // 5.0187 at 62 per arm, 4.9781 at 63. At R = 20 000 the MC SE of the
    // mean half-width is about 0.0023, so both are 8+ MC SEs from 5: the
    // smallest n with ci_halfwidth <= 5 is 63.
    let dir = tempfile::tempdir().unwrap();
    let a = size(
        dir.path(),
        &design(30, 20000),
        &[
            "--require",
            "ci_halfwidth<=5",
            "--min",
            "40",
            "--max",
            "100",
        ],
    );
    assert_eq!(a["value"].as_i64(), Some(63), "{a}");
    assert_eq!(a["value_below"].as_i64(), Some(62), "{a}");
    assert!(a.get("interval").is_none(), "integer search is exact: {a}");
    let r = &a["requirements"][0];
    assert!(r["at_value"]["estimate"].as_f64().unwrap() <= 5.0);
    assert!(r["at_neighbour"]["estimate"].as_f64().unwrap() > 5.0);
}

#[test]
fn size_flags_are_checked_in_the_users_words() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    fs::write(&sc, design(30, 200)).unwrap();
    for (flags, want) in [
        (
            vec![],
            "error: size needs a target: --target-power P, or --require 'METRIC>=X' (repeatable)\n",
        ),
        (
            vec!["--target-power", "0.8", "--param", "analysis.method"],
            "error: --param = analysis.method: must name a numeric parameter (analysis.method is \"welch_change\")\n",
        ),
        (
            vec!["--require", "sae_any_treatment<=0.5"],
            "error: --require = sae_any_treatment: is not reported for this scenario (safety metrics need [safety], responder metrics [responder_endpoint], literature metrics [meta_analysis])\n",
        ),
        (
            vec!["--target-power", "0.8", "--min", "2.5"],
            "error: --min = 2.5: must be a whole number: design.n_per_arm is an integer\n",
        ),
        (
            vec![
                "--target-power",
                "0.8",
                "--param",
                "effect.half_life_months",
            ],
            "error: --param effect.half_life_months: give the range to search with --min and --max\n",
        ),
        (
            vec![
                "--target-power",
                "0.8",
                "--param",
                "effect.peak",
                "--min",
                "-1",
            ],
            "error: --min = -1: must be at least 0: for effect.peak it bounds the magnitude of the effect (the sign follows lower_is_better)\n",
        ),
        (
            vec!["--target-power", "0.8", "--over", "design.n_per_arm=10,20"],
            "error: --over = design.n_per_arm: must name another parameter than --param\n",
        ),
        (
            vec![
                "--target-power",
                "0.8",
                "--param",
                "effect.peak",
                "--over",
                "design.n_per_arms=10",
            ],
            "error: --over design.n_per_arms: unknown key; did you mean `design.n_per_arm`?\n",
        ),
        (
            vec![
                "--target-power",
                "0.8",
                "--protocol",
                "--over",
                "design.n_per_arm=10",
                "--param",
                "effect.peak",
            ],
            "error: --protocol justifies one design; run it without --over (at the design chosen)\n",
        ),
    ] {
        let out = trialsim()
            .arg("size")
            .arg(&sc)
            .args(&flags)
            .arg("--out")
            .arg(dir.path().join("o"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), want, "{flags:?}");
        assert!(!dir.path().join("o").exists());
    }
    // Flags clap parses say the same, then the usage line.
    for (flags, want) in [
        (
            vec!["--target-power", "0.8", "--direction", "up"],
            "error: --direction = up: must be smallest or largest\nUsage: trialsim size ",
        ),
        (
            vec!["--target-power", "0.8", "--over", "design.n_per_arm=x"],
            "error: --over = design.n_per_arm=x: must be KEY=v1,v2,… with numbers, e.g. design.n_per_arm=10,20,40\nUsage: trialsim size ",
        ),
        (
            vec!["--require", "powr>=0.8"],
            "error: --require = powr>=0.8: unknown metric \"powr\"; did you mean power? (the metrics are the names in summary.csv)\nUsage: trialsim size ",
        ),
    ] {
        let out = trialsim()
            .arg("size")
            .arg(&sc)
            .args(&flags)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(want), "{stderr}");
    }
}

#[test]
fn no_detectable_effect_in_range_exits_3_naming_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    fs::write(&sc, design(10, 500)).unwrap();
    let out = trialsim()
        .arg("size")
        .arg(&sc)
        .args(["--param", "effect.peak", "--target-power", "0.8"])
        .args(["--max", "2", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: no value of effect.peak (magnitude in the favourable direction) in [0, 2] meets power >= 0.8: power at the largest magnitude, effect.peak = 2 is 0."
        ),
        "{stderr}"
    );
}

#[test]
fn over_n_gives_the_detectable_effect_curve_of_the_noncentral_t() {
    // #19 acceptance 2: `--over` answers at each n; each answer agrees with
    // the noncentral t's MDE (tests/reference/size) within 4 MC SE.
    let dir = tempfile::tempdir().unwrap();
    let a = size(
        dir.path(),
        &design(30, 20000),
        &[
            "--param",
            "effect.peak",
            "--target-power",
            "0.8",
            "--over",
            "design.n_per_arm=16,32,64",
        ],
    );
    assert_eq!(
        (&a["param"], &a["over"]),
        (&"effect.peak".into(), &"design.n_per_arm".into())
    );
    let rows = a["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (row, n) in rows.iter().zip([16, 32, 64]) {
        assert_eq!(row["over_value"].as_i64(), Some(n));
        within_4se_of_root(
            &format!("MDE at {n}"),
            &row["answer"],
            reference("mde", n as u64),
        );
    }
    // The same in size_over.json; the table has a row per n, in order.
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("o/size_over.json")).unwrap())
            .unwrap();
    assert_eq!(json, a);
    let csv = fs::read_to_string(dir.path().join("o/size_over.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "design.n_per_arm,effect.peak,interval_low,interval_high,within_mc_error,power,power_mc_se"
    );
    assert_eq!(lines.len(), 4);
    for (line, (row, n)) in lines[1..].iter().zip(rows.iter().zip([16, 32, 64])) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], n.to_string());
        assert_eq!(
            cells[1].parse::<f64>().unwrap(),
            row["answer"]["value"].as_f64().unwrap()
        );
    }
    assert!(dir.path().join("o/plots/size_over.svg").exists());
    // summary.json has every evaluated value with both parameters.
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("o/summary.json")).unwrap())
            .unwrap();
    let first = &summary["design_points"][0]["params"];
    assert_eq!(first["design.n_per_arm"].as_i64(), Some(16));
    assert!(first["effect.peak"].is_number());
}

#[test]
fn over_keeps_a_row_without_an_answer_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let a = size(
        dir.path(),
        &design(30, 1000),
        &[
            "--param",
            "effect.peak",
            "--target-power",
            "0.8",
            "--max",
            "15",
            "--over",
            "design.n_per_arm=8,64",
        ],
    );
    let rows = a["rows"].as_array().unwrap();
    assert!(rows[0]["answer"].is_null(), "{a}");
    assert!(
        rows[0]["not_found"]
            .as_str()
            .unwrap()
            .contains("power at the largest magnitude, effect.peak = 15 is"),
        "{a}"
    );
    assert!(rows[1]["answer"]["value"].as_f64().unwrap() < 15.0);
}

/// Runs `trialsim run` with `flags` (quietly) and returns its exit code and
/// stderr.
fn run_cli(flags: &[&str], out: &Path) -> (Option<i32>, String) {
    let o = trialsim()
        .arg("run")
        .args(flags)
        .args(["--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn added_replicates_give_the_bits_of_one_longer_run() {
    // #19 acceptance 3, on the default scenario (a sweep of 9 design points
    // with per-visit analyses and a simulated literature): 2000 + 2000 and
    // 1000 + 1234 (a partial last block recomputed) equal one run of 4000 and
    // of 2234, byte for byte, and so does the state they leave.
    let dir = tempfile::tempdir().unwrap();
    for (first, add) in [(2000u64, 2000u64), (1000, 1234)] {
        let grown = dir.path().join(format!("grown-{first}"));
        let whole = dir.path().join(format!("whole-{first}"));
        let r = first.to_string();
        assert_eq!(run_cli(&["--replicates", &r], &grown).0, Some(0));
        let n = add.to_string();
        assert_eq!(
            run_cli(&["--add-replicates", &n, "--threads", "1"], &grown).0,
            Some(0)
        );
        let total = (first + add).to_string();
        assert_eq!(run_cli(&["--replicates", &total], &whole).0, Some(0));
        for file in [
            "summary.json",
            "summary.csv",
            "state.json",
            "scenario.resolved.toml",
        ] {
            assert!(
                fs::read(grown.join(file)).unwrap() == fs::read(whole.join(file)).unwrap(),
                "{file} differs after {first} + {add}"
            );
        }
        let summary: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(grown.join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["replicates"].as_u64(), Some(first + add));
    }
}

#[test]
fn added_replicates_are_refused_for_another_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let sc = dir.path().join("s.toml");
    fs::write(&sc, design(20, 300)).unwrap();
    let scenario = sc.to_str().unwrap();
    assert_eq!(run_cli(&[scenario], &out).0, Some(0));
    let state = fs::read_to_string(out.join("state.json")).unwrap();
    let before = fs::read(out.join("summary.json")).unwrap();
    let tail = "; run afresh (without --add-replicates) or choose another output folder\n";
    // Another seed; another scenario (with the same name and seed).
    let (code, err) = run_cli(&[scenario, "--add-replicates", "10", "--seed", "5"], &out);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        format!(
            "error: --add-replicates: the output folder holds results with seed 11, not 5{tail}"
        )
    );
    fs::write(
        &sc,
        design(20, 300).replace("n_per_arm = 20", "n_per_arm = 21"),
    )
    .unwrap();
    let (code, err) = run_cli(&[scenario, "--add-replicates", "10"], &out);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        format!(
            "error: --add-replicates: the output folder holds results of another scenario than d05 (or of another version of its file){tail}"
        )
    );
    // Another version of trialsim.
    fs::write(&sc, design(20, 300)).unwrap();
    let version = format!("\"version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(state.contains(&version));
    fs::write(
        out.join("state.json"),
        state.replace(&version, "\"version\":\"0.0.1\""),
    )
    .unwrap();
    let (code, err) = run_cli(&[scenario, "--add-replicates", "10"], &out);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        format!(
            "error: --add-replicates: the output folder holds results of trialsim 0.0.1, and this is {}{tail}",
            env!("CARGO_PKG_VERSION")
        )
    );
    // No state, or R fixed beside it.
    let (code, err) = run_cli(
        &[scenario, "--add-replicates", "10"],
        &dir.path().join("none"),
    );
    assert_eq!(code, Some(2));
    assert!(
        err.ends_with(
            "none holds no state.json of a run to extend; run the scenario there first\n"
        ),
        "{err}"
    );
    let (code, err) = run_cli(
        &[scenario, "--add-replicates", "10", "--replicates", "5"],
        &out,
    );
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        "error: --add-replicates = 10: cannot be combined with --replicates: it adds N replicates to the run in the output folder\n"
    );
    // Nothing was touched.
    assert_eq!(fs::read(out.join("summary.json")).unwrap(), before);
}

#[test]
fn merged_shards_leave_the_state_of_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    fs::write(&sc, design(20, 1100)).unwrap();
    let scenario = sc.to_str().unwrap();
    let shards = dir.path().join("shards");
    for shard in ["1/2", "2/2"] {
        assert_eq!(run_cli(&[scenario, "--shard", shard], &shards).0, Some(0));
    }
    let merged = dir.path().join("merged");
    crate::ok(
        trialsim()
            .arg("merge")
            .arg(shards.join("shard-1-of-2.json"))
            .arg(shards.join("shard-2-of-2.json"))
            .args(["--quiet", "--out"])
            .arg(&merged),
    );
    let whole = dir.path().join("whole");
    assert_eq!(run_cli(&[scenario], &whole).0, Some(0));
    assert_eq!(
        fs::read(merged.join("state.json")).unwrap(),
        fs::read(whole.join("state.json")).unwrap()
    );
}

/// Whether two TOML values are equal as numbers (an integer in a file is
/// the same number as the float the resolved scenario states).
fn same(a: &toml::Value, b: &toml::Value) -> bool {
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    match (a, b) {
        (toml::Value::Array(x), toml::Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Flattens a TOML table into `dotted.key -> value`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            other => out.push((key, other.clone())),
        }
    }
}

#[test]
fn the_protocol_states_every_assumption_and_reruns_to_the_same_answer() {
    // #19 acceptance 4. A design with dropout, heterogeneity, an unequal
    // allocation and a precision requirement beside power.
    let dir = tempfile::tempdir().unwrap();
    let text = design(30, 2000)
        + "[dropout]\nmechanism = \"mcar\"\nmonthly_rate = 0.02\n\
           [heterogeneity]\ntau = 1.5\n";
    let text = text.replace("n_per_arm = 30", "n_per_arm = 30\nallocation = 1.5");
    let sc = dir.path().join("s.toml");
    fs::write(&sc, &text).unwrap();
    let out = dir.path().join("o");
    let printed = crate::ok(
        trialsim()
            .arg("size")
            .arg(&sc)
            .args(["--target-power", "0.8", "--require", "ci_halfwidth<=6"])
            .args(["--protocol", "--max", "300", "--out"])
            .arg(&out),
    );
    let printed = String::from_utf8_lossy(&printed.stdout).to_string();
    let text_file = fs::read_to_string(out.join("protocol.txt")).unwrap();
    assert!(printed.contains(&text_file), "the paragraph is printed too");
    let md = fs::read_to_string(out.join("protocol.md")).unwrap();
    // The report carries the same paragraph as a section.
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains(
        "<h2>Sample-size justification</h2>\n<h3>Design</h3>\n<p>A two-arm randomised trial"
    ));
    assert!(report.contains("<h3>Sensitivity</h3>"));
    let answer: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(answer["design_points"].as_array().unwrap().len() > 2);
    // Every assumption the file sets is stated, with its value.
    let stated: String = md
        .lines()
        .filter_map(|l| l.strip_prefix("- `")?.strip_suffix('`'))
        .map(|l| format!("{l}\n"))
        .collect();
    let stated_table: toml::Table = toml::from_str(&stated).unwrap();
    let mut stated_values = Vec::new();
    flatten("", &stated_table, &mut stated_values);
    let file: toml::Table = toml::from_str(&text).unwrap();
    let mut file_values = Vec::new();
    flatten("", &file, &mut file_values);
    for (key, value) in file_values {
        if ["name", "seed", "replicates"].contains(&key.as_str()) || key == "design.n_per_arm" {
            continue;
        }
        let got = stated_values.iter().find(|(k, _)| *k == key);
        assert!(
            got.is_some_and(|(_, v)| same(&value, v)),
            "{key} = {value} is not stated as such: {got:?}\n{md}"
        );
    }
    // The design is stated at the answer, with the result and its MC SE,
    // the sensitivity and how to rerun.
    for words in [
        "**Design.** A two-arm randomised trial",
        "**Target and result.** The smallest patients per arm (design.n_per_arm) at which power >= 0.8 and ci_halfwidth <= 6 holds is ",
        "(Monte Carlo SE)",
        "**Sensitivity.** Each assumption moved by −20% and +20% at the answer",
        "The most influential, searched again: with ",
        "seed 11",
    ] {
        assert!(md.contains(words), "missing {words:?}:\n{md}");
    }
    // Rerunning from the stated numbers gives the same answer.
    let command = md
        .lines()
        .find(|l| l.starts_with("trialsim size scenario.resolved.toml "))
        .unwrap();
    let flags: Vec<String> = command
        .split_whitespace()
        .skip(3)
        .map(|f| f.trim_matches('\'').to_string())
        .collect();
    let rerun_dir = dir.path().join("rerun");
    fs::create_dir(&rerun_dir).unwrap();
    let rerun = size(
        &rerun_dir,
        &format!("name = \"rerun\"\n{stated}"),
        &flags.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let again = dir.path().join("again");
    fs::create_dir(&again).unwrap();
    let first = size(
        &again,
        &text,
        &[
            "--target-power",
            "0.8",
            "--require",
            "ci_halfwidth<=6",
            "--max",
            "300",
            "--replicates",
            "2000",
        ],
    );
    assert_eq!(rerun["value"], first["value"], "{command}");
    assert_eq!(rerun["power"], first["power"]);
    assert!(
        md.contains(&format!("holds is {}.", first["value"])),
        "{md}"
    );
}
