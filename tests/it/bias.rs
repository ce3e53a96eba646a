//! `pool --bias` and `pool --retro` (issue #22) against R: trim-and-fill
//! against metafor 3.8-1's `trimfill(rma(yi, vi, method = …))`, PET and
//! PEESE against `lm(yi ~ sei, weights = 1/vi)` and `lm(yi ~ vi, weights =
//! 1/vi)`, on the published data sets of tests/reference/pool; the values
//! in tests/reference/bias/expected.csv were made by make.R beside them.

use serde_json::Value;

use crate::{ok, trialsim};

fn pool_json(set: &str, args: &[&str]) -> Value {
    let path = format!(
        "{}/tests/reference/pool/{set}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = ok(trialsim().arg("pool").arg(path).args(args).arg("--json"));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-9),
        "{what}: {got} vs R {want}"
    );
}

/// Acceptance 1 (trim-and-fill, PET, PEESE): every data set under every
/// model — including dat.hackshaw1998 (7 studies filled on the left) and
/// dat.normand1999 (none under the random-effects models) — matches R:
/// k0 and the side exactly, the estimates to 1e-8 relative.
#[test]
fn trim_and_fill_pet_and_peese_match_r() {
    let text = include_str!("../reference/bias/expected.csv");
    let mut rows = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let (set, method) = (f[0], f[1]);
        let flag = match method {
            "EE" => "fe",
            "DL" => "dl",
            "PM" => "pm",
            _ => "reml",
        };
        let j = pool_json(set, &["--method", flag, "--bias"]);
        let what = format!("{set} {method}");
        let t = &j["trim_and_fill"];
        assert_eq!(
            t["k0"].as_u64().unwrap(),
            f[2].parse::<u64>().unwrap(),
            "{what} k0"
        );
        assert_eq!(t["side"].as_str().unwrap(), f[3], "{what} side");
        for (key, i) in [("mu", 4), ("se", 5), ("ci_low", 6), ("ci_high", 7)] {
            close(
                &format!("{what} trim-and-fill {key}"),
                t[key].as_f64().unwrap(),
                num(i),
                1e-8,
            );
        }
        for (name, base) in [("pet", 8), ("peese", 11)] {
            for (key, i) in [("mu", base), ("se", base + 1), ("p_value", base + 2)] {
                close(
                    &format!("{what} {name} {key}"),
                    j[name][key].as_f64().unwrap(),
                    num(i),
                    1e-8,
                );
            }
        }
        // PET-PEESE: PEESE when PET's intercept is significant one-sided
        // (greater) at 1 − level = 0.05, else PET.
        let pet_mu = num(8);
        let one_sided = if pet_mu > 0.0 {
            num(10) / 2.0
        } else {
            1.0 - num(10) / 2.0
        };
        let chosen = if one_sided < 0.05 { "peese" } else { "pet" };
        assert_eq!(j["pet_peese"]["chosen"], chosen, "{what}");
        assert_eq!(j["pet_peese"]["mu"], j[chosen]["mu"], "{what}");
        rows += 1;
    }
    assert_eq!(rows, 16);
}

/// Acceptance 3: each study's values under `pool --retro` are those of
/// `trialsim retro` run on that study alone, at the pooled estimate and
/// at `--effect`.
#[test]
fn pool_retro_is_retro_on_each_study() {
    for effect in [None, Some("0.2")] {
        let mut args = vec!["--retro"];
        if let Some(e) = effect {
            args.extend(["--effect", e]);
        }
        let j = pool_json("hackshaw1998", &args);
        let d = j["retro_effect"].as_f64().unwrap();
        match effect {
            None => assert_eq!(d, j["mu"].as_f64().unwrap()),
            Some(e) => assert_eq!(d, e.parse::<f64>().unwrap()),
        }
        let csv = include_str!("../reference/pool/hackshaw1998.csv");
        let studies = j["studies"].as_array().unwrap();
        assert_eq!(studies.len(), csv.lines().count() - 1);
        for (s, line) in studies.iter().zip(csv.lines().skip(1)) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(s["study"], f[0]);
            let se = f[2].parse::<f64>().unwrap().sqrt();
            let out = ok(trialsim().args([
                "retro",
                "--effect",
                &d.to_string(),
                "--se",
                &se.to_string(),
                "--alpha",
                "0.050000000000000044",
                "--json",
            ]));
            let r: Value = serde_json::from_slice(&out.stdout).unwrap();
            for (mine, theirs) in [
                ("power", "power"),
                ("type_s", "type_s"),
                ("type_m", "exaggeration"),
            ] {
                close(
                    &format!("{} {mine}", f[0]),
                    s[mine].as_f64().unwrap(),
                    r[theirs].as_f64().unwrap(),
                    1e-12,
                );
            }
        }
    }
}

/// Acceptance 4 (pool side): without the new flags the JSON has exactly
/// the fields it had; the text gains its sections only with them.
#[test]
fn pool_without_the_new_flags_is_unchanged() {
    let j = pool_json("bcg", &[]);
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    for new in [
        "trim_and_fill",
        "pet",
        "peese",
        "pet_peese",
        "studies",
        "retro_effect",
    ] {
        assert!(!keys.contains(&new), "{new} without its flag");
    }
    let path = format!(
        "{}/tests/reference/pool/bcg.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let plain = ok(trialsim().arg("pool").arg(&path));
    let both = ok(trialsim()
        .arg("pool")
        .arg(&path)
        .args(["--bias", "--retro"]));
    let (plain, both) = (
        String::from_utf8_lossy(&plain.stdout).to_string(),
        String::from_utf8_lossy(&both.stdout).to_string(),
    );
    assert!(both.starts_with(&plain), "the sections follow the table");
    for want in [
        "publication bias",
        "trim-and-fill (L0, reml): 1 study filled on the right",
        "PET-PEESE: PET",
        "6 of the 13 studies had 80% power",
    ] {
        assert!(both.contains(want), "{want:?} in {both}");
    }
}

/// Acceptance 2: a literature of 8 small trials of a null therapy, a
/// non-significant trial published with probability 0.1: the naive pooled
/// estimate is biased in the favourable direction (lower is better:
/// negative) beyond 4 MC SE, and every correction reports its bias, RMSE
/// and coverage with MC SE, and how often it failed.
#[test]
fn corrections_are_judged_on_simulated_literatures() {
    let text = r#"
name = "pb"
seed = 3
replicates = 1000
[outcome]
mu0 = 60.0
subject_sd = 16.0
residual_sd = 17.0
rho = 0.8
[visits]
months = [3, 12]
primary = 12
[effect]
peak = 0.0
[design]
n_per_arm = 20
[analysis]
method = "ancova"
by_visit = false
[meta_analysis]
trials = 8
size_median = 15
size_p95 = 40
estimator = "reml"
hartung_knapp = true
publish_nonsignificant = 0.1
"#;
    let study = trialsim::scenario::Study::from_toml_str(text, "test").unwrap();
    let result = trialsim::engine::run(&study, &trialsim::engine::RunOptions::default()).unwrap();
    let meta = result.design_points[0].meta.as_ref().unwrap();
    let get = |name: &str| {
        *meta
            .get(trialsim::metrics::Metric::from_name(name).unwrap())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let naive = get("meta_bias_naive");
    let (b, se) = (naive.estimate.unwrap(), naive.mc_se.unwrap());
    assert!(b + 4.0 * se < 0.0, "naive bias {b} ± {se} not favourable");
    // The naive bias is the literature's own bias metric.
    assert_eq!(get("bias").estimate, naive.estimate);
    // Each correction is judged on the literatures where it could be
    // computed, and says how often it could not. The selection model fails
    // where delta is not identified: every published trial of the
    // literature significant, or none (about 0.8^8 ≈ 17% of these
    // literatures publish no significant trial).
    for correction in ["naive", "trimfill", "pet_peese", "selection"] {
        let failed = match correction {
            "naive" => 0.0,
            _ => {
                let f = get(&format!("meta_failed_{correction}"));
                assert_eq!(f.n, 1000, "{correction}");
                f.estimate.unwrap()
            }
        };
        assert!(failed < 0.3, "{correction} failed in {failed}");
        for stat in ["bias", "rmse", "coverage"] {
            let e = get(&format!("meta_{stat}_{correction}"));
            assert!(
                e.estimate.is_some()
                    && e.mc_se.is_some()
                    && e.n == (1000.0 * (1.0 - failed)).round() as u64,
                "meta_{stat}_{correction}: {e:?}"
            );
        }
    }
    // The terminal summary tabulates them and the report compares them in
    // words, naming which does best.
    let summary = trialsim::output::text_summary(&result);
    for row in ["naive", "trimfill", "pet_peese", "selection"] {
        assert!(
            summary.contains(&format!("\n    {row:<12} ")),
            "{row} row in {summary}"
        );
    }
    let findings = trialsim::output::report::findings(&study, &result, 0).join("\n");
    for want in [
        "How the corrections for publication bias a reviewer would try fare",
        "the selection model",
        "Least biased here:",
        "it could not be for the selection model in",
    ] {
        assert!(findings.contains(want), "{want:?} in {findings}");
    }
    // Without selective publication there is nothing to correct: no
    // correction metrics.
    let text = text.replace(
        "publish_nonsignificant = 0.1",
        "publish_nonsignificant = 1.0",
    );
    let study = trialsim::scenario::Study::from_toml_str(&text, "test").unwrap();
    let result = trialsim::engine::run(&study, &trialsim::engine::RunOptions::default()).unwrap();
    let meta = result.design_points[0].meta.as_ref().unwrap();
    assert!(meta.get(trialsim::metrics::Metric::MetaBiasNaive).is_none());
}

/// Acceptance 1 (selection model): the step-function selection model's
/// estimate and delta equal metafor's `selmodel(rma(...), type = "stepfun",
/// steps = 0.025)` to 1e-4 relative (its SE and the likelihood-ratio p
/// too), common-effect and REML models, where delta is identified
/// (tests/reference/bias/selection.R → selection.csv); where it is not
/// (bcg: every large study significant), `converged` says so.
#[test]
fn the_selection_model_matches_metafor() {
    let text = include_str!("../reference/bias/selection.csv");
    let mut rows = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let flag = if f[1] == "EE" { "fe" } else { "reml" };
        let j = pool_json(f[0], &["--method", flag, "--bias"]);
        let s = &j["selection"];
        let what = format!("{} {}", f[0], f[1]);
        for (key, i) in [("mu", 2), ("se", 3), ("delta", 4), ("lrt_p", 5)] {
            close(
                &format!("{what} selection {key}"),
                s[key].as_f64().unwrap(),
                num(i),
                1e-4,
            );
        }
        assert_eq!(s["converged"], true, "{what}");
        rows += 1;
    }
    assert_eq!(rows, 4);
    let bcg = pool_json("bcg", &["--bias"]);
    assert_eq!(bcg["selection"]["converged"], false);
}

/// Bad `--retro` input exits 2 with one line naming the flag.
#[test]
fn bad_retro_flags_exit_2_naming_the_flag() {
    let path = format!(
        "{}/tests/reference/pool/bcg.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    for (args, want) in [
        (
            vec!["--retro", "--effect", "0"],
            "error: --effect = 0: must be a finite non-zero number",
        ),
        (
            vec!["--retro", "--effect", "abc"],
            "error: --effect = abc: must be a number",
        ),
        (vec!["--effect", "0.3"], "--retro"),
    ] {
        let out = trialsim()
            .arg("pool")
            .arg(&path)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(want),
            "{args:?}: {stderr}"
        );
        assert!(
            crate::cli::not_in_the_users_words(&stderr).is_none(),
            "{args:?}: {stderr}"
        );
    }
}
