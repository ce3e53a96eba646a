//! Meta-analysis: pooling against metafor, `pool` and `retro` on the command
//! line, and the simulated literature (MODEL.md §4).

use crate::reference::assert_close;
use std::fs;
use trialsim::meta::pooling::{Criticals, Estimator, egger_t, p_values, pool};

use crate::trialsim;

/// BCG vaccine trials (metafor's `dat.bcg` = metadat `dat.colditz1994`;
/// Colditz et al. 1994, JAMA 271:698): tpos, tneg, cpos, cneg.
const BCG: [(f64, f64, f64, f64); 13] = [
    (4.0, 119.0, 11.0, 128.0),
    (6.0, 300.0, 29.0, 274.0),
    (3.0, 228.0, 11.0, 209.0),
    (62.0, 13536.0, 248.0, 12619.0),
    (33.0, 5036.0, 47.0, 5761.0),
    (180.0, 1361.0, 372.0, 1079.0),
    (8.0, 2537.0, 10.0, 619.0),
    (505.0, 87886.0, 499.0, 87892.0),
    (29.0, 7470.0, 45.0, 7232.0),
    (17.0, 1699.0, 65.0, 1600.0),
    (186.0, 50448.0, 141.0, 27197.0),
    (5.0, 2493.0, 3.0, 2338.0),
    (27.0, 16886.0, 29.0, 17825.0),
];

/// Log risk ratios and their variances (metafor `escalc(measure = "RR")`).
fn bcg() -> (Vec<f64>, Vec<f64>) {
    BCG.iter()
        .map(|&(a, b, c, d)| {
            (
                ((a / (a + b)) / (c / (c + d))).ln(),
                1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d),
            )
        })
        .unzip()
}

fn bcg_csv() -> String {
    let (y, v) = bcg();
    let mut s = "study,yi,vi\n".to_string();
    for (i, (y, v)) in y.iter().zip(&v).enumerate() {
        s.push_str(&format!("trial {},{y},{v}\n", i + 1));
    }
    s
}

#[test]
fn bcg_matches_metafor_printed_values() {
    // metafor 4.7-4 documentation (rma.uni Examples; tests
    // test_misc_metan_vs_rma.uni_with_dat.bcg.r): DL mu −0.7141, tau² 0.3088;
    // REML mu −0.7145 (SE 0.1798), tau² 0.3132, Q(12) = 152.2330; REML with
    // test = "knha": SE 0.1808, CI [−1.1084, −0.3206]. Printed to 4 decimals:
    // agreement to 1e-4.
    let (y, v) = bcg();
    let crit = Criticals::new(13, 0.95);
    let close4 = |what: &str, got: f64, want: f64| {
        assert!(
            (got - want).abs() <= 1e-4,
            "{what}: {got} vs metafor {want}"
        );
    };
    let dl = pool(&y, &v, Estimator::Dl, &crit);
    close4("DL mu", dl.mu, -0.7141);
    close4("DL tau2", dl.tau2, 0.3088);
    let reml = pool(&y, &v, Estimator::Reml, &crit);
    assert!(reml.converged);
    close4("REML mu", reml.mu, -0.7145);
    close4("REML se", reml.se, 0.1798);
    close4("REML tau2", reml.tau2, 0.3132);
    close4("Q", reml.q, 152.2330);
    close4("HKSJ se", reml.se_hksj, 0.1808);
    close4("HKSJ ci_low", reml.ci_low_hksj, -1.1084);
    close4("HKSJ ci_high", reml.ci_high_hksj, -0.3206);
    close4("REML ci_low", reml.ci_low, -1.0669);
    close4("REML ci_high", reml.ci_high, -0.3622);
    // metafor's tau²-based I² is 92.22% for REML; the Q-based I² is 92.12% (DL's 92.1173).
    let i2_tau = 100.0 * reml.i2_tau;
    assert!(
        (i2_tau - 92.22).abs() <= 0.005,
        "I2 (tau-based) {i2_tau}: printed 92.22%"
    );
    assert!((100.0 * reml.i2 - 92.1173).abs() <= 1e-4);
}

#[test]
fn bcg_matches_full_precision_reference() {
    // Full precision, Python 3.11 (numpy, scipy 1.17; tests/reference/meta_bcg.py): DL and PM agree with
    // statsmodels 0.15 combine_effects to 1e-16; REML by Fisher scoring and a
    // separate fixed-point iteration agree to 1e-13. Tolerance 1e-6 relative.
    let (y, v) = bcg();
    let crit = Criticals::new(13, 0.95);
    let dl = pool(&y, &v, Estimator::Dl, &crit);
    assert_close("DL tau2", dl.tau2, 0.3087602628623764);
    assert_close("DL mu", dl.mu, -0.7141172220732271);
    assert_close("DL se", dl.se, 0.1787420895354032);
    assert_close("DL se_hksj", dl.se_hksj, 0.18069662833554748);
    assert_close("DL pi_low", dl.pi_low, -1.998838495752119);
    assert_close("DL pi_high", dl.pi_high, 0.5706040516056646);
    let pm = pool(&y, &v, Estimator::Pm, &crit);
    assert_close("PM tau2", pm.tau2, 0.3180684522050243);
    assert_close("PM mu", pm.mu, -0.7149681534934444);
    assert_close("PM se", pm.se, 0.18089219153762356);
    assert_close("PM se_hksj", pm.se_hksj, 0.18089219153762356);
    let reml = pool(&y, &v, Estimator::Reml, &crit);
    assert_close("REML tau2", reml.tau2, 0.3132432581364794);
    assert_close("REML mu", reml.mu, -0.714532342158139);
    assert_close("REML se", reml.se, 0.1797815161052054);
    assert_close("REML se_hksj", reml.se_hksj, 0.1807917440928479);
    assert_close("REML HKSJ ci_low", reml.ci_low_hksj, -1.1084437136855503);
    assert_close("REML pi_low", reml.pi_low, -2.008375906922574);
    assert_close("REML pi_high", reml.pi_high, 0.5793112226062961);
    assert_close("Q", reml.q, 152.2330080823734);
    assert_close("I2", reml.i2, 0.9211734685456207);
    let p = p_values(&reml);
    assert_close("HKSJ p", p.p_hksj, 0.0019200150960573031);
    // Egger's classic test (metafor regtest(model = "lm"): t = −1.4013, df 11, p = 0.1887).
    assert_close("Egger t", egger_t(&y, &v), -1.4012820022893333);
    assert_close("Egger p", p.egger_p, 0.18870699508197875);
}

#[test]
fn small_data_set_matches_reference() {
    // yi = [0.10, 0.30, 0.35, 0.65, 0.45], vi = [0.03, 0.03, 0.05, 0.01, 0.05];
    // same Python reference as above.
    let y = [0.10, 0.30, 0.35, 0.65, 0.45];
    let v = [0.03, 0.03, 0.05, 0.01, 0.05];
    let crit = Criticals::new(5, 0.95);
    let cases = [
        (
            Estimator::Dl,
            0.03497754491017964,
            0.3921926462290813,
            0.11429593318213184,
            0.09869817086794301,
            -0.3053448852792043,
        ),
        (
            Estimator::Pm,
            0.021455769593962296,
            0.40176385039877366,
            0.10068275626796253,
            0.10068275626796253,
            -0.1638956096895689,
        ),
        (
            Estimator::Reml,
            0.03164331443778011,
            0.3940018618123382,
            0.11114200337741288,
            0.0991192046645544,
            -0.27352229584342513,
        ),
    ];
    for (est, tau2, mu, se, se_hksj, pi_low) in cases {
        let p = pool(&y, &v, est, &crit);
        let name = est.name();
        assert_close(&format!("{name} tau2"), p.tau2, tau2);
        assert_close(&format!("{name} mu"), p.mu, mu);
        assert_close(&format!("{name} se"), p.se, se);
        assert_close(&format!("{name} se_hksj"), p.se_hksj, se_hksj);
        assert_close(&format!("{name} pi_low"), p.pi_low, pi_low);
        assert_close(&format!("{name} Q"), p.q, 9.0247311827957);
    }
    assert_close("Egger t", egger_t(&y, &v), -1.7949373311885577);
}

#[test]
fn homogeneous_data_give_tau2_zero_for_every_estimator() {
    let y = [0.2, 0.21, 0.19, 0.2];
    let v = [0.04, 0.05, 0.03, 0.06];
    let crit = Criticals::new(4, 0.95);
    for est in [Estimator::Dl, Estimator::Pm, Estimator::Reml] {
        let p = pool(&y, &v, est, &crit);
        assert_eq!(p.tau2, 0.0, "{est:?}");
        assert!(p.converged);
        assert_eq!(p.i2, 0.0);
    }
}

#[test]
fn pool_command_reads_vi_or_sei_and_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bcg.csv");
    fs::write(&path, bcg_csv()).unwrap();
    let out = crate::ok(
        trialsim()
            .arg("pool")
            .arg(&path)
            .args(["--method", "dl", "--json"]),
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "k",
        "method",
        "mu",
        "se",
        "ci_low",
        "ci_high",
        "z_or_t",
        "p_value",
        "tau2",
        "i2",
        "i2_tau",
        "q",
        "q_p_value",
        "pi_low",
        "pi_high",
    ] {
        assert!(j.get(key).is_some(), "{key}");
    }
    assert_eq!(j["k"], 13);
    // Under DerSimonian–Laird the tau²-based I² is the Q-based one
    // algebraically (tau² = (Q − (K−1)) / c and s² = (K−1) / c).
    assert_close(
        "DL i2_tau",
        j["i2_tau"].as_f64().unwrap(),
        j["i2"].as_f64().unwrap(),
    );
    assert_close("DL mu", j["mu"].as_f64().unwrap(), -0.7141172220732271);
    assert_close(
        "DL z",
        j["z_or_t"].as_f64().unwrap(),
        -0.7141172220732271 / 0.1787420895354032,
    );

    // The same data as standard errors, with a BOM, CRLF and reordered columns.
    let (y, v) = bcg();
    let mut sei = "\u{feff}yi,sei,study\r\n".to_string();
    for (i, (y, v)) in y.iter().zip(&v).enumerate() {
        sei.push_str(&format!("{y},{},t{i}\r\n", v.sqrt()));
    }
    let path2 = dir.path().join("bcg_sei.csv");
    fs::write(&path2, sei).unwrap();
    let out = crate::ok(
        trialsim()
            .arg("pool")
            .arg(&path2)
            .args(["--hksj", "--json"]),
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["method"], "reml+hksj");
    assert_close(
        "REML HKSJ se",
        j["se"].as_f64().unwrap(),
        0.1807917440928479,
    );
    assert_close(
        "REML HKSJ p",
        j["p_value"].as_f64().unwrap(),
        0.0019200150960573031,
    );

    // The readable table.
    let out = trialsim().arg("pool").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("mu = -0.7145 (SE 0.1798), 95% CI [-1.0669, -0.3622]"),
        "{text}"
    );
}

#[test]
fn pooling_at_the_input_limits_gives_finite_results() {
    // Found in review: values accepted by the reader could overflow the
    // pooling and print nulls. At the limits (|yi| = 1e50, vi in
    // [1e-50, 1e50]) every reported number is finite.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge.csv");
    fs::write(
        &path,
        "study,yi,vi\na,1e50,1e-50\nb,-1e50,1e50\nc,3e49,1e-50\nd,0,1\n",
    )
    .unwrap();
    for method in ["dl", "pm", "reml"] {
        for hksj in [false, true] {
            let mut cmd = trialsim();
            cmd.arg("pool")
                .arg(&path)
                .args(["--json", "--method", method]);
            if hksj {
                cmd.arg("--hksj");
            }
            let out = crate::ok(&mut cmd);
            let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            for (key, value) in j.as_object().unwrap() {
                assert!(!value.is_null(), "{method} hksj={hksj}: {key} is null");
            }
        }
    }
}

#[test]
fn bad_pool_inputs_exit_2_naming_row_and_column() {
    // tests/corpus/pool: missing columns, non-numeric or non-positive
    // variances, NaN, duplicate or empty studies, too few studies.
    let n = crate::cli::check_corpus("tests/corpus/pool", "csv", &["pool"]);
    assert!(n >= 10, "{n} bad effect files");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.csv");
    // A ragged row and a missing file.
    fs::write(&path, "study,yi,vi\na,1,0.1\nb,2\n").unwrap();
    let out = trialsim().arg("pool").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 2 (line 3)"));
    let out = trialsim()
        .args(["pool", "/nonexistent.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = trialsim()
        .arg("pool")
        .arg(&path)
        .args(["--level", "1.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn retro_command_gives_gelman_carlin_values() {
    let out = trialsim()
        .args(["retro", "--effect", "2", "--se", "8.1", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(format!("{:.4}", j["power"].as_f64().unwrap()), "0.0570");
    assert_eq!(format!("{:.3}", j["type_s"].as_f64().unwrap()), "0.240");
    assert_eq!(
        format!("{:.2}", j["exaggeration"].as_f64().unwrap()),
        "9.54"
    );
    let out = trialsim()
        .args(["retro", "--effect", "-0.1", "--se", "3.3"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("exaggeration  77.1567"));
    for (args, want) in [
        (
            vec!["retro", "--effect", "0", "--se", "1"],
            "error: --effect = 0: must be a finite non-zero number (Type S and M are undefined at 0)\n",
        ),
        (
            vec!["retro", "--effect", "1", "--se", "-1"],
            "error: --se = -1: must be a finite number > 0\n",
        ),
        (
            vec!["retro", "--effect", "1", "--se", "1", "--alpha", "2"],
            "error: --alpha = 2: must be in (0, 1)\n",
        ),
    ] {
        let out = trialsim().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), want);
    }
}

/// A literature of K small trials: outcome SD 22 (subject 16, residual 15),
/// one visit, Welch on change, 15 patients per arm.
fn literature(extra: &str, meta: &str, replicates: u64) -> trialsim::engine::RunResult {
    let text = format!(
        r#"
name = "lit"
seed = 3
replicates = {replicates}
[outcome]
mu0 = 50.0
subject_sd = 16.0
residual_sd = 15.0
rho = 0.8
[visits]
months = [6]
primary = 6
[effect]
{extra}
[design]
n_per_arm = 15
[analysis]
method = "welch_change"
by_visit = false
[meta_analysis]
{meta}
"#
    );
    let study = trialsim::scenario::Study::from_toml_str(&text, "test").unwrap();
    trialsim::engine::run(&study, &Default::default()).unwrap()
}

fn meta_metric(r: &trialsim::engine::RunResult, name: &str) -> (f64, f64) {
    let e = r.design_points[0]
        .meta
        .as_ref()
        .unwrap()
        .get(trialsim::metrics::Metric::from_name(name).expect("a metric name"))
        .unwrap();
    (e.estimate.unwrap(), e.mc_se.unwrap())
}

#[test]
fn dl_normal_ci_undercovers_and_hksj_holds_with_five_trials() {
    // K = 5, tau = 6, 15 per arm, R = 20 000. The DL normal CI is known to
    // undercover with few trials (IntHout et al. 2014); HKSJ is near nominal.
    let r = literature(
        "peak = -10.0\n[heterogeneity]\ntau = 6.0",
        "trials = 5\nsizes = [15]\nestimator = \"dl\"",
        20000,
    );
    let (dl, _) = meta_metric(&r, "coverage");
    let (hksj, _) = meta_metric(&r, "coverage_hksj");
    assert!(dl <= 0.935, "DL normal coverage {dl}");
    assert!((0.935..=0.965).contains(&hksj), "HKSJ coverage {hksj}");
    let (trials, _) = meta_metric(&r, "trials_run");
    assert_eq!(
        trials, 5.0,
        "every trial is published at publish_nonsignificant = 1"
    );
    // The truth behind tau2_bias: Var(theta_j) = tau² = 36 (no factors, g = 1).
    let (tau2, se) = meta_metric(&r, "tau2");
    let (bias, _) = meta_metric(&r, "tau2_bias");
    assert_close("tau2_bias = tau2 − 36", bias, tau2 - 36.0);
    assert!(se > 0.0);
}

#[test]
fn findings_quote_the_coverage_of_the_interval_the_meta_analysis_uses() {
    // Found in review: with hartung_knapp = true the report quoted the
    // normal CI's coverage.
    for (hksj, metric) in [(true, "coverage_hksj"), (false, "coverage")] {
        let text = format!(
            "name = \"lit\"\nreplicates = 300\n[outcome]\nmu0 = 50.0\nsubject_sd = 16.0\nresidual_sd = 15.0\nrho = 0.8\n[visits]\nmonths = [6]\nprimary = 6\n[effect]\npeak = -10.0\n[design]\nn_per_arm = 15\n[analysis]\nmethod = \"welch_change\"\nby_visit = false\n[meta_analysis]\ntrials = 4\nsizes = [15]\nhartung_knapp = {hksj}\n"
        );
        let study = trialsim::scenario::Study::from_toml_str(&text, "test").unwrap();
        let r = trialsim::engine::run(&study, &Default::default()).unwrap();
        let findings = trialsim::output::report::findings(&study, &r, 0).join("\n");
        let sentence = findings
            .lines()
            .find(|l| l.contains("covers the true average effect"))
            .unwrap_or_else(|| panic!("{findings}"));
        assert!(
            sentence.contains(&format!("data-metric=\"{metric}\"")),
            "{sentence}"
        );
        assert_eq!(sentence.contains("Hartung–Knapp"), hksj, "{sentence}");
    }
}

#[test]
fn publication_bias_biases_the_pool_and_egger_notices() {
    // Null effect; trials that are not significant and favourable are published
    // with probability 0.2. Under a null, selection on p is the same at every
    // trial size, so Egger's test (which needs the standardised effect to vary
    // with precision) has little power with a few similar trials: it needs
    // many trials of widely varying size, as here (K = 30, sizes up to ~500).
    let sizes = "size_median = 15\nsize_p95 = 500";
    let biased = literature(
        "peak = 0.0",
        &format!("trials = 30\n{sizes}\nestimator = \"dl\"\npublish_nonsignificant = 0.2"),
        10000,
    );
    let fair = literature(
        "peak = 0.0",
        &format!("trials = 30\n{sizes}\nestimator = \"dl\"\npublish_nonsignificant = 1.0"),
        10000,
    );
    // Pain: lower is better, so a favourable bias is negative.
    let (bias, se) = meta_metric(&biased, "bias");
    assert!(bias < -4.0 * se, "pooled bias {bias} ± {se}");
    let (fair_bias, fair_se) = meta_metric(&fair, "bias");
    assert!(
        fair_bias.abs() <= 4.0 * fair_se,
        "unbiased without selection: {fair_bias} ± {fair_se}"
    );
    let (e1, s1) = meta_metric(&biased, "egger_detects");
    let (e0, s0) = meta_metric(&fair, "egger_detects");
    let se_diff = (s1 * s1 + s0 * s0).sqrt();
    assert!(
        e1 - e0 > 3.0 * se_diff,
        "Egger {e1} vs {e0} (SE of the difference {se_diff})"
    );
    let (runs, _) = meta_metric(&biased, "trials_run");
    assert!(runs > 30.0, "unpublished trials were run: {runs}");
}

/// `pool` against R's metafor (`rma`, `predict(pi.type = "Riley")`) on four
/// published data sets, every model (EE, DL, PM, REML), test (z, knha,
/// adhoc) and level (95%, 90%): tests/reference/pool/expected.csv, made by
/// tests/reference/metafor_pool.R (metafor 3.8-1, iterations to 1e-12).
/// Every number to 1e-8 relative (1e-9 absolute near zero); the largest
/// difference seen is 1.2e-10.
#[test]
fn pool_matches_metafor_on_four_published_data_sets() {
    use trialsim::meta::Estimator;
    use trialsim::meta::table::{Model, Test, pool_report, read_effects};
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pool");
    let expected = fs::read_to_string(folder.join("expected.csv")).unwrap();
    let mut lines = expected.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut failures = Vec::new();
    let mut rows = 0;
    let mut worst = (0.0f64, String::new());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let get = |name: &str| cells[header.iter().position(|h| *h == name).unwrap()];
        let num = |name: &str| get(name).parse::<f64>().ok();
        let set = get("set");
        let text = fs::read_to_string(folder.join(format!("{set}.csv"))).unwrap();
        let studies = read_effects(&text, set).unwrap();
        let model = match get("method") {
            "EE" => Model::Fixed,
            "DL" => Model::Random(Estimator::Dl),
            "PM" => Model::Random(Estimator::Pm),
            _ => Model::Random(Estimator::Reml),
        };
        let test = match get("test") {
            "z" => Test::Wald,
            "knha" => Test::Hksj,
            _ => Test::HksjAdhoc,
        };
        let level = num("level").unwrap();
        let (r, _) = pool_report(&studies, model, test, level).unwrap();
        let fixed_model = model == Model::Fixed;
        let rel = 1e-8;
        let i2 = if fixed_model { r.i2 } else { r.i2_tau };
        let mut check = |what: &str, got: Option<f64>, want: Option<f64>| {
            let ok = match (got, want) {
                (Some(g), Some(w)) => {
                    let err = (g - w).abs() / w.abs().max(1e-3);
                    if err > worst.0 {
                        worst = (err, format!("{set} {line}: {what}"));
                    }
                    (g - w).abs() <= rel * w.abs() || (g - w).abs() <= 1e-9
                }
                (None, None) => true,
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{set} {} {} {level}: {what} = {got:?}, metafor {want:?}",
                    get("method"),
                    get("test")
                ));
            }
        };
        check("mu", Some(r.mu), num("mu"));
        check("se", Some(r.se), num("se"));
        check("ci_low", Some(r.ci_low), num("ci_lb"));
        check("ci_high", Some(r.ci_high), num("ci_ub"));
        check("z_or_t", r.z_or_t, num("zval"));
        check("p_value", Some(r.p_value), num("pval"));
        check("tau2", Some(r.tau2), num("tau2"));
        check("I2", Some(100.0 * i2), num("I2"));
        check("Q", Some(r.q), num("QE"));
        check("Q p", Some(r.q_p_value), num("QEp"));
        check("pi_low", r.pi_low, num("pi_lb"));
        check("pi_high", r.pi_high, num("pi_ub"));
        if fixed_model && test == Test::Wald {
            check("fixed.mu", Some(r.fixed.mu), num("mu"));
            check("fixed.se", Some(r.fixed.se), num("se"));
            check("fixed.ci_low", Some(r.fixed.ci_low), num("ci_lb"));
            check("fixed.ci_high", Some(r.fixed.ci_high), num("ci_ub"));
            check("fixed.z", Some(r.fixed.z), num("zval"));
            check("fixed.p", Some(r.fixed.p_value), num("pval"));
        }
        rows += 1;
    }
    eprintln!("largest relative difference {:.2e} at {}", worst.0, worst.1);
    assert_eq!(rows, 96);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `pool` on CSV text with flags; returns (exit code, stdout, stderr).
fn pool_text(csv: &str, flags: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("effects.csv");
    fs::write(&path, csv).unwrap();
    let out = trialsim()
        .arg("pool")
        .arg(&path)
        .args(flags)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// #16 item 2: the prediction interval follows `--level` and says its
/// level; with k = 2 it is null and the text says it needs k >= 3.
#[test]
fn the_prediction_interval_follows_the_level() {
    let (code, text, _) = pool_text(&bcg_csv(), &["--level", "0.9"]);
    assert_eq!(code, Some(0));
    assert!(text.contains("  90% prediction interval ["), "{text}");
    let (_, json, _) = pool_text(&bcg_csv(), &["--level", "0.9", "--json"]);
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["pi_level"], 0.9);
    let two = "study,yi,vi\na,0.1,0.04\nb,0.5,0.09\n";
    let (code, json, _) = pool_text(two, &["--json"]);
    assert_eq!(code, Some(0));
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(j["pi_low"].is_null() && j["pi_high"].is_null(), "{j}");
    let (_, text, _) = pool_text(two, &[]);
    assert!(
        text.contains("prediction interval: needs at least 3 studies"),
        "{text}"
    );
}

/// #16 items 1 and 6: `--method fe` pools with the common-effect model alone
/// (no prediction interval, and the text says why); the fixed effect is in
/// every JSON; `--hksj-adhoc` is never narrower than the normal interval.
#[test]
fn fixed_effect_and_the_adhoc_interval() {
    let (code, json, _) = pool_text(&bcg_csv(), &["--method", "fe", "--json"]);
    assert_eq!(code, Some(0));
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["method"], "fe");
    assert_eq!(j["tau2"], 0.0);
    assert!(j["pi_low"].is_null());
    assert_eq!(j["mu"], j["fixed"]["mu"]);
    let (_, text, _) = pool_text(&bcg_csv(), &["--method", "fe"]);
    assert!(
        text.contains("prediction interval: none for the fixed-effect model"),
        "{text}"
    );
    // Homogeneous studies: the untruncated HKSJ factor is below 1.
    let calm = "study,yi,vi\na,0.30,0.04\nb,0.31,0.04\nc,0.29,0.05\nd,0.30,0.03\n";
    let width = |flags: &[&str]| {
        let (_, json, _) = pool_text(calm, &[flags, &["--json"]].concat());
        let j: serde_json::Value = serde_json::from_str(&json).unwrap();
        (
            j["se"].as_f64().unwrap(),
            j["method"].as_str().unwrap().to_string(),
        )
    };
    let (wald, _) = width(&[]);
    let (hksj, _) = width(&["--hksj"]);
    let (adhoc, method) = width(&["--hksj-adhoc"]);
    assert_eq!(method, "reml+hksj-adhoc");
    assert!(
        hksj < wald,
        "untruncated HKSJ SE {hksj} below the Wald SE {wald}"
    );
    assert_eq!(adhoc, wald, "the ad hoc factor is bounded below by 1");
}

/// #16 item 3: identical estimates with `--hksj`: the SE is 0 and t is
/// infinite; p = 0, t null in JSON and "inf" in the text, with a warning.
#[test]
fn identical_estimates_with_hksj_give_p_zero_and_a_warning() {
    let same = "study,yi,vi\na,0.3,0.04\nb,0.3,0.09\nc,0.3,0.05\nd,0.3,0.02\n";
    let (code, json, stderr) = pool_text(same, &["--hksj", "--json"]);
    assert_eq!(code, Some(0));
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(j["z_or_t"].is_null(), "{j}");
    assert_eq!(j["p_value"], 0.0);
    assert_eq!(j["se"], 0.0);
    assert_eq!(
        stderr,
        "warning: every study has the same estimate, so the Knapp–Hartung SE is 0 and t is infinite: p = 0 says only that the estimates agree exactly\n"
    );
    let (_, text, _) = pool_text(same, &["--hksj"]);
    assert!(text.contains("t(3) = inf, p < 0.0001"), "{text}");
}

/// #16 item 4: variances 1e-50 and 1e50 in one file, with Q above K − 1:
/// the DerSimonian–Laird denominator `Σw − Σw²/Σw` cancels to 0 as written
/// (v0.2.0 printed null estimates with exit 0). By hand, w = (1e50, 1, 1,
/// 1e-50): Q = 0² + 1² + 2² + 1e-50 = 5, the denominator is
/// Σ_{i≠j} w_i w_j / Σw = 4 (to 1e-50), so tau² = (5 − 3)/4 = 0.5; then
/// w* = (2, 2/3, 2/3, ~0) and mu = (0 + 2/3 + 4/3)/(10/3) = 0.6.
#[test]
fn extreme_variances_pool_to_the_values_by_hand() {
    let csv = "study,yi,vi\na,0,1e-50\nb,1,1\nc,2,1\nd,-1,1e50\n";
    let (code, json, _) = pool_text(csv, &["--method", "dl", "--json"]);
    assert_eq!(code, Some(0));
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!((j["tau2"].as_f64().unwrap() - 0.5).abs() < 1e-12, "{j}");
    assert!((j["mu"].as_f64().unwrap() - 0.6).abs() < 1e-12, "{j}");
    assert!((j["i2_tau"].as_f64().unwrap() - 0.4).abs() < 1e-12, "{j}");
    for key in [
        "se", "ci_low", "ci_high", "z_or_t", "p_value", "pi_low", "pi_high",
    ] {
        assert!(j[key].is_f64(), "{key} is {}", j[key]);
    }
}

/// Found in review: distinct estimates with huge variances make Q* tiny in
/// absolute terms; that is not "identical estimates" (no warning, SE > 0).
#[test]
fn distinct_estimates_with_huge_variances_are_not_called_identical() {
    let csv = "study,yi,vi\na,1,1e17\nb,2,1e17\nc,3,1e17\n";
    let (code, json, stderr) = pool_text(csv, &["--hksj", "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(stderr, "");
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    // Q* = (1 + 0 + 1)/1e17, factor Q*/(k − 1) = 1e-17, Wald SE sqrt(1e17/3):
    // HKSJ SE = sqrt(1e-17 · 1e17 / 3) = sqrt(1/3).
    let se = j["se"].as_f64().unwrap();
    assert!((se - (1.0f64 / 3.0).sqrt()).abs() < 1e-9, "{j}");
}
