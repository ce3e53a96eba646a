//! The command line: every command's happy path, and the bad-input corpus
//! (exit code 2 and exactly one expected line on stderr, never a panic).

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn trialsim() -> Command {
    Command::cargo_bin("trialsim").unwrap()
}

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

#[test]
fn bad_scenarios_exit_2_with_one_clear_line() {
    let cases: Vec<(String, &str)> = vec![
        (
            patched("monthly_rate = 0.007", "monthly_rate = 1.3"),
            "dropout.monthly_rate = 1.3: must be in [0, 1)",
        ),
        (
            patched("monthly_rate = 0.007", "monthly_rate = -0.1"),
            "dropout.monthly_rate = -0.1: must be in [0, 1)",
        ),
        (
            patched("monthly_rate = 0.007", "monthly_rate = nan"),
            "dropout.monthly_rate = NaN: must be in [0, 1)",
        ),
        (
            patched("subject_sd = 16.0", "subject_sd = -1.0"),
            "outcome.subject_sd = -1: must be a finite number >= 0",
        ),
        (
            patched("residual_sd = 17.0", "residual_sd = inf"),
            "outcome.residual_sd = inf: must be a finite number >= 0",
        ),
        (
            patched("rho = 0.8", "rho = 1.0"),
            "outcome.rho = 1: must be in [0, 1)",
        ),
        (
            patched("rho = 0.8", "rho = -0.2"),
            "outcome.rho = -0.2: must be in [0, 1)",
        ),
        (
            patched("months = [1, 3, 6, 12]", "months = []"),
            "visits.months = []: must list at least one visit month",
        ),
        (
            patched("months = [1, 3, 6, 12]", "months = [1, 6, 3, 12]"),
            "visits.months[2] = 3: visit months must be strictly increasing (previous is 6)",
        ),
        (
            patched("months = [1, 3, 6, 12]", "months = [0, 3, 6, 12]"),
            "visits.months[0] = 0: must be > 0 (month 0 is the baseline)",
        ),
        (
            patched("primary = 12", "primary = 9"),
            "visits.primary = 9: must be one of visits.months = [1.0, 3.0, 6.0, 12.0]",
        ),
        (
            patched("n_per_arm = 15", "n_per_arm = 1"),
            "design.n_per_arm = 1: must be an integer in [2, 10000000]",
        ),
        (
            patched("n_per_arm = 15", "n_per_arm = -3"),
            "design.n_per_arm: invalid value: integer `-3`, expected u64",
        ),
        (
            patched("n_per_arm = 15", "n_per_arm = \"15\""),
            "design.n_per_arm: invalid type: string \"15\", expected u64",
        ),
        (
            patched("n_per_arm = 15", "n_per_arm = 15.5"),
            "design.n_per_arm: invalid type: floating point `15.5`, expected u64",
        ),
        (
            patched("replicates = 100", "replicates = 0"),
            "replicates = 0: must be at least 1",
        ),
        (
            patched("mu0 = 60.0", "mu0 = \"sixty\""),
            "outcome.mu0: invalid type: string \"sixty\", expected f64",
        ),
        (
            patched("mu0 = 60.0", "mu0 = inf"),
            "outcome.mu0 = inf: must be a finite number",
        ),
        (
            patched("method = \"ancova\"", "method = \"ancova\"\nalpha = 1.5"),
            "analysis.alpha = 1.5: must be in (0, 0.5)",
        ),
        (
            patched("method = \"ancova\"", "method = \"ancova\"\nalpha = 0"),
            "analysis.alpha = 0: must be in (0, 0.5)",
        ),
        (
            patched("method = \"ancova\"", "method = \"anova\""),
            "analysis.method: unknown variant `anova`, expected one of `welch_change`, `ancova`, `mmrm`",
        ),
        (
            patched("method = \"ancova\"", "method = \"mmrm\""),
            "analysis.method = \"mmrm\": not supported yet (reserved for a later version of trialsim)",
        ),
        (
            patched(
                "method = \"ancova\"",
                "method = \"ancova\"\nfast_path = true",
            ),
            "analysis.fast_path = true: not supported yet (reserved for a later version of trialsim)",
        ),
        (
            format!("{BASE}\n[sweep]\n\"design.n_per_arm\" = [10, 1, 20]\n"),
            "sweep design point 1 (design.n_per_arm = 1): design.n_per_arm = 1: must be an integer in [2, 10000000]",
        ),
        (
            format!(
                "{BASE}\n[sweep]\n\"design.n_per_arm\" = [10, 20]\n\"analysis.missing\" = [\"locf\", \"lofc\"]\n"
            ),
            "sweep design point 1 (design.n_per_arm = 10, analysis.missing = \"lofc\"): analysis.missing: unknown variant `lofc`, expected one of `complete_case`, `locf`, `bocf`",
        ),
        (
            format!("{BASE}\n[sweep]\n\"design.n_per_arms\" = [10, 20]\n"),
            "sweep.\"design.n_per_arms\": unknown key; did you mean `design.n_per_arm`?",
        ),
        (
            format!("{BASE}\n[sweep]\n\"design.n_per_arm\" = 10\n"),
            "sweep.\"design.n_per_arm\" = 10: must be a list of values, e.g. [10, 20, 40]",
        ),
        (
            format!("{BASE}\n[sweep]\n\"seed\" = [1, 2]\n"),
            "sweep.\"seed\" = seed: name, seed, replicates and sections cannot be swept",
        ),
        (
            format!("{BASE}\n[sweep]\n\"heterogeneity.factors[5].levels[0].shift\" = [1.0]\n"),
            "sweep.\"heterogeneity.factors[5].levels[0].shift\": factors[5] does not exist in the scenario",
        ),
        (
            format!("{BASE}\n[safety]\nae_rate = 0.2\n"),
            "safety: not supported yet (reserved for a later version of trialsim)",
        ),
        (
            format!("{BASE}\n[responder_endpoint]\nthreshold = 20\n"),
            "responder_endpoint: not supported yet (reserved for a later version of trialsim)",
        ),
        (
            format!("{BASE}\n[meta_analysis]\ntrials = 1\nsizes = [10]\n"),
            "meta_analysis.trials = 1: must be an integer in [2, 1000]",
        ),
        (
            format!("{BASE}\n[meta_analysis]\ntrials = 8\n"),
            "meta_analysis.sizes = (none or both forms): give either sizes = [control-arm sizes] or both size_median and size_p95",
        ),
        (
            format!("{BASE}\n[meta_analysis]\ntrials = 8\nsizes = [10, 1]\n"),
            "meta_analysis.sizes[1] = 1: must be an integer in [2, 10000000]",
        ),
        (
            format!("{BASE}\n[meta_analysis]\ntrials = 8\nsize_median = 15\nsize_p95 = 10\n"),
            "meta_analysis.size_p95 = 10: must be a number in [size_median = 15, 10000000]",
        ),
        (
            format!(
                "{BASE}\n[meta_analysis]\ntrials = 8\nsizes = [10]\npublish_nonsignificant = 1.2\n"
            ),
            "meta_analysis.publish_nonsignificant = 1.2: must be in [0, 1]",
        ),
        (
            format!("{BASE}\n[meta_analysis]\ntrials = 8\nsizes = [10]\nestimator = \"sj\"\n"),
            "meta_analysis.estimator: unknown variant `sj`, expected one of `dl`, `pm`, `reml`",
        ),
        (
            format!("{BASE}\n[meta_analysis]\ntrials = 8\nsizes = [10]\nhartung_knap = true\n"),
            "meta_analysis.hartung_knap: unknown key; did you mean `hartung_knapp`?",
        ),
        (
            patched("monthly_rate = 0.007", "monthly_rte = 0.007"),
            "dropout.monthly_rte: unknown key; did you mean `monthly_rate`?",
        ),
        (
            patched("seed = 5", "seeed = 5"),
            "seeed: unknown key; did you mean `seed`?",
        ),
        (
            patched("[outcome]", "[outcome]\nlower_is_beter = true"),
            "outcome.lower_is_beter: unknown key; did you mean `lower_is_better`?",
        ),
        (
            patched("[design]", "[design]\ncolour = 3"),
            "design.colour: unknown key; expected one of: n_per_arm, allocation",
        ),
        (
            patched("weight = 0.5, shift = -2.0", "wieght = 0.5, shift = -2.0"),
            "heterogeneity.factors[0].levels[0].wieght: unknown key; did you mean `weight`?",
        ),
        (
            patched("weight = 0.5, shift = -2.0", "weight = 0.0, shift = -2.0").replacen(
                "weight = 0.5, shift = 2.0",
                "weight = 0.0, shift = 2.0",
                1,
            ),
            "heterogeneity.factors[0].levels = weights summing to 0: at least one weight must be > 0 (weights are normalised to probabilities)",
        ),
        (
            patched("weight = 0.5, shift = -2.0", "weight = -0.5, shift = -2.0"),
            "heterogeneity.factors[0].levels[0].weight = -0.5: must be a finite number >= 0",
        ),
        (
            patched("name = \"bone_marrow\"", "name = \"adipose\""),
            "heterogeneity.factors[0].levels[1].name = \"adipose\": level names must be unique within a factor",
        ),
        (
            patched(
                "patient_sd = 8.0",
                "patient_sd = 8.0\nresponder_fraction = 1.5",
            ),
            "effect.responder_fraction = 1.5: must be in [0, 1]",
        ),
        (
            patched("half_life_months = 10.0", "half_life_months = 0.0"),
            "placebo.half_life_months = 0: must be > 0 (omit it, or write inf, for no decay)",
        ),
        (
            patched("onset = \"exponential\"", "onset = \"sigmoid\""),
            "effect.onset: unknown variant `sigmoid`, expected `linear` or `exponential`",
        ),
        (
            patched("mu0 = 60.0\n", ""),
            "outcome.mu0: required key is missing",
        ),
        (
            patched("[analysis]\nmethod = \"ancova\"\n", ""),
            "analysis: required key is missing",
        ),
        (
            patched("name = \"base\"", "name = \"my trial\""),
            "name = \"my trial\": must be non-empty and use only letters, digits, - and _",
        ),
        (
            patched("mcid = 10.0", "mcid = -10.0"),
            "outcome.mcid = -10: must be positive (a magnitude in scale points; the direction comes from lower_is_better)",
        ),
        (
            patched("mcid = 10.0", "mcid = 10.0\ninclusion = 120.0"),
            "outcome.inclusion = 120: admits 0.508% of the screened population; must admit at least 1%",
        ),
        (
            patched("beta = 0.02", "beta = 0.02\narm_odds_ratio = 0.0"),
            "dropout.arm_odds_ratio = 0: must be a finite number > 0",
        ),
        (
            patched("mechanism = \"mar\"", "mechanism = \"random\""),
            "dropout.mechanism: unknown variant `random`, expected one of `none`, `mcar`, `mar`, `mnar`",
        ),
        (
            patched("n_per_arm = 15", "n_per_arm = 15\nallocation = 0.05"),
            "design.allocation = 0.05: gives a treatment arm of 1 patients with n_per_arm = 15; it must have 2 to 10000000",
        ),
        (
            patched("min = 0.0", "min = 70.0"),
            "outcome.min = 70: must not exceed outcome.mu0 = 60",
        ),
        (
            patched("max = 100.0", "max = 50.0"),
            "outcome.max = 50: must not be below outcome.mu0 = 60",
        ),
        (
            patched("mcid = 10.0", "mcid = 10.0\nresolution = -1.0"),
            "outcome.resolution = -1: must be a finite number >= 0",
        ),
        (
            patched("bias = -5.0 }", "bias = \"big\" }"),
            "heterogeneity.small_study.bias: invalid type: string \"big\", expected f64",
        ),
        (
            patched("below = 20", "below = -1"),
            "heterogeneity.small_study.below: invalid value: integer `-1`, expected u64",
        ),
        (
            patched("tau = 8.0", "tau = -8.0"),
            "heterogeneity.tau = -8: must be a finite number >= 0",
        ),
        (
            patched("months = [1, 3, 6, 12]", "months = \"monthly\""),
            "visits.months: invalid type: string \"monthly\", expected a sequence",
        ),
        (
            patched("rho = 0.8", "rho = "),
            "FILE: invalid TOML: string values must be quoted, expected literal string at line 9, column 7",
        ),
        (
            patched("[effect]", "[effect"),
            "FILE: invalid TOML: unclosed table, expected `]` at line 23, column 8",
        ),
        ("".to_string(), "name: required key is missing"),
    ];
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for (text, want) in &cases {
        let (code, stderr) = validate_text(text.as_bytes());
        let want_line = format!("error: {want}\n");
        if code != 2 || stderr != want_line {
            failures.push(format!(
                "want exit 2 and {want_line:?}\n got exit {code} and {stderr:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
    let out = trialsim()
        .arg("run")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        fs::read_to_string(&resolved).unwrap()
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
    let out = trialsim()
        .arg("dataset")
        .arg(&sc)
        .args(["--replicate", "0", "--out"])
        .arg(&csv_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
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
