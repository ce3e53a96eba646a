//! Subgroup claims (issue #26): `pool --by COLUMN` against R's metafor.

use std::fs;
use std::path::Path;
use trialsim::meta::Estimator;
use trialsim::meta::table::{Model, Test, read_column, read_effects, subgroup_report};

/// One CSV file as rows of named cells.
fn table(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

/// `pool --by` equals metafor 3.8-1 — `rma(yi, vi, mods = ~ factor(g))` for
/// the test of subgroup differences (QM or F, its df and p), tau² and QE,
/// `mods = ~ 0 + factor(g)` for each level's estimate, SE and CI — on the
/// BCG trials by allocation and the writing-to-learn trials
/// (Bangert-Drowns et al. 2004) by grade, for every model (EE, DL, PM,
/// REML) and test (z, knha, adhoc): tests/reference/subgroups/*.csv, made
/// by tests/reference/subgroups/make.R with tolerances of 1e-13. Every
/// number to 1e-6 relative (1e-9 absolute near zero).
#[test]
fn pool_by_matches_metafor_on_two_published_data_sets() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/subgroups");
    let omnibus = table(&folder.join("omnibus.csv"));
    let levels = table(&folder.join("levels.csv"));
    let mut failures = Vec::new();
    let mut worst = (0.0f64, String::new());
    let mut check = |what: String, got: f64, want: f64| {
        let err = (got - want).abs();
        let rel = err / want.abs().max(1e-300);
        if rel.min(err / 1e-3) > worst.0 {
            worst = (rel.min(err / 1e-3), what.clone());
        }
        if !(err <= 1e-6 * want.abs() || err <= 1e-9) {
            failures.push(format!("{what}: {got}, metafor {want}"));
        }
    };
    for row in &omnibus {
        let set = &row["set"];
        let column = if set == "bcg" { "alloc" } else { "grade" };
        let text = fs::read_to_string(folder.join(format!("{set}.csv"))).unwrap();
        let studies = read_effects(&text, set).unwrap();
        let labels = read_column(&text, set, column).unwrap();
        let model = match row["method"].as_str() {
            "EE" => Model::Fixed,
            "DL" => Model::Random(Estimator::Dl),
            "PM" => Model::Random(Estimator::Pm),
            _ => Model::Random(Estimator::Reml),
        };
        let test = match row["test"].as_str() {
            "z" => Test::Wald,
            "knha" => Test::Hksj,
            _ => Test::HksjAdhoc,
        };
        let fit = subgroup_report(&studies, &labels, column, model, test, 0.95)
            .unwrap()
            .fit;
        let at = format!("{set} {} {}", row["method"], row["test"]);
        let num = |name: &str| row[name].parse::<f64>().unwrap();
        check(format!("{at} tau2"), fit.tau2, num("tau2"));
        check(format!("{at} QM"), fit.qm, num("qm"));
        check(format!("{at} p"), fit.p_value, num("p"));
        check(format!("{at} QE"), fit.qe, num("qe"));
        assert_eq!(fit.df as f64, num("df1"), "{at}");
        assert_eq!(
            fit.df2.map(|d| d as f64),
            row["df2"].parse::<f64>().ok(),
            "{at}"
        );
        let mine: Vec<_> = levels
            .iter()
            .filter(|l| {
                l["set"] == *set && l["method"] == row["method"] && l["test"] == row["test"]
            })
            .collect();
        assert_eq!(mine.len(), fit.levels.len(), "{at}: levels");
        for (want, got) in mine.iter().zip(&fit.levels) {
            assert_eq!(want["level"], got.level, "{at}");
            let num = |name: &str| want[name].parse::<f64>().unwrap();
            let at = format!("{at} {}", got.level);
            check(format!("{at} mu"), got.mu, num("mu"));
            check(format!("{at} se"), got.se, num("se"));
            check(format!("{at} ci_low"), got.ci_low, num("ci_lb"));
            check(format!("{at} ci_high"), got.ci_high, num("ci_ub"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(worst.0 < 1e-6, "worst {worst:?}");
    eprintln!(
        "largest relative difference from metafor: {:.1e} ({})",
        worst.0, worst.1
    );
}

/// The command line: `pool --by` prints the subgroups in the table and in
/// JSON with INTERFACE.md's keys; a missing column, a single level and one
/// study per level are clear one-line errors (exit 2).
#[test]
fn pool_by_on_the_command_line() {
    let bcg = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/subgroups/bcg.csv");
    let out = crate::trialsim()
        .args(["pool", bcg.to_str().unwrap(), "--by", "alloc", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sub = &json["subgroups"];
    assert_eq!(sub["column"], "alloc");
    for key in ["qm", "df", "p_value", "tau2"] {
        assert!(sub[key].is_number(), "{key}");
    }
    let levels = sub["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3);
    for key in ["level", "k", "mu", "se", "ci_low", "ci_high"] {
        assert!(!levels[0][key].is_null(), "{key}");
    }
    assert_eq!(levels[0]["level"], "alternate");
    let table = crate::trialsim()
        .args(["pool", bcg.to_str().unwrap(), "--by", "alloc", "--hksj"])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("subgroups by alloc"), "{text}");
    assert!(
        text.contains("test of subgroup differences: F(2, 10)"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        fs::write(&p, body).unwrap();
        p
    };
    let cases = [
        (
            write("missing.csv", "study,yi,vi\na,1,1\nb,2,1\n"),
            "no column `alloc` to group the studies by; its columns are study, yi, vi",
        ),
        (
            write("one.csv", "study,yi,vi,alloc\na,1,1,x\nb,2,1,x\n"),
            "column alloc has one level (x) for all 2 studies",
        ),
        (
            write("each.csv", "study,yi,vi,alloc\na,1,1,x\nb,2,1,y\n"),
            "one study each: comparing subgroups needs at least one level with two studies",
        ),
        (
            write("empty.csv", "study,yi,vi,alloc\na,1,1,x\nb,2,1,\n"),
            "row 2 (line 3), column alloc: empty",
        ),
    ];
    for (file, message) in cases {
        let out = crate::trialsim()
            .args(["pool", file.to_str().unwrap(), "--by", "alloc"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(message), "{err}");
    }
}

/// `pool --by --retro`: each level against the others pooled — the
/// difference from metafor's level estimates (BCG by allocation, REML,
/// tests/reference/subgroups/levels.csv) with weights 1/se², its SE for
/// disjoint studies, and power by the closed form
/// `Φ(−z − D/se) + 1 − Φ(z − D/se)`, to 1e-9.
#[test]
fn pool_by_retro_gives_each_level_s_difference_and_power() {
    use statrs::distribution::{ContinuousCDF, Normal};
    let bcg = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/subgroups/bcg.csv");
    let out = crate::ok(crate::trialsim().args([
        "pool",
        bcg.to_str().unwrap(),
        "--by",
        "alloc",
        "--retro",
        "--json",
    ]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let retro = json["subgroups"]["retro"].as_array().unwrap();
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/subgroups");
    let levels: Vec<(String, f64, f64)> = table(&folder.join("levels.csv"))
        .into_iter()
        .filter(|l| l["set"] == "bcg" && l["method"] == "REML" && l["test"] == "z")
        .map(|l| {
            (
                l["level"].clone(),
                l["mu"].parse().unwrap(),
                l["se"].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(retro.len(), levels.len());
    let normal = Normal::standard();
    let z = normal.inverse_cdf(0.975);
    for (j, (name, mu, se)) in levels.iter().enumerate() {
        let others: Vec<&(String, f64, f64)> = levels
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != j)
            .map(|(_, l)| l)
            .collect();
        let w: f64 = others.iter().map(|l| 1.0 / (l.2 * l.2)).sum();
        let rest = others.iter().map(|l| l.1 / (l.2 * l.2)).sum::<f64>() / w;
        let d = mu - rest;
        let d_se = (se * se + 1.0 / w).sqrt();
        let power = normal.cdf(-z - d / d_se) + 1.0 - normal.cdf(z - d / d_se);
        let r = &retro[j];
        assert_eq!(r["level"], name.as_str());
        for (what, got, want) in [
            ("difference", &r["difference"], d),
            ("se", &r["se"], d_se),
            ("power", &r["power"], power),
        ] {
            let got = got.as_f64().unwrap();
            assert!((got - want).abs() < 1e-9, "{name} {what}: {got} vs {want}");
        }
    }
}
