//! The exact sufficient-statistics path agrees in distribution with the
//! patient-level path (two-sample Kolmogorov–Smirnov tests, α = 0.001 each).

use trialsim::engine::Simulator;
use trialsim::scenario::Study;

/// Two-sample KS statistic sup |F1 − F2|.
fn ks(mut a: Vec<f64>, mut b: Vec<f64>) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// Critical value of the two-sample KS statistic at α = 0.001
/// (c(α) = sqrt(−ln(α/2)/2) = 1.9495; asymptotic, Smirnov 1948).
fn critical(n: usize, m: usize) -> f64 {
    1.9495 * ((n + m) as f64 / (n as f64 * m as f64)).sqrt()
}

const SCENARIO: &str = r#"
name = "fast"
seed = 21
[outcome]
mu0 = 55.0
subject_sd = 10.0
residual_sd = 12.0
rho = 0.8
[visits]
months = [1, 3, 6]
primary = 6
[placebo]
peak = -8.0
onset_months = 1.0
tau = 3.0
[effect]
peak = -6.0
onset = "exponential"
onset_months = 2.0
patient_sd = 5.0
[heterogeneity]
tau = 3.0
small_study = { below = 20, bias = -2.0 }
[[heterogeneity.factors]]
name = "source"
levels = [{ name = "a", weight = 0.5, shift = -2.0 }, { name = "b", weight = 0.5, bias = 1.0 }]
[dropout]
mechanism = "mcar"
monthly_rate = 0.03
arm_odds_ratio = 1.4
[design]
n_per_arm = 15
allocation = 1.5
[analysis]
method = "METHOD"
by_visit = false
"#;

#[test]
fn fast_path_agrees_in_distribution_with_patients() {
    for method in ["ancova", "welch_change"] {
        let text = SCENARIO.replace("METHOD", method);
        let patients = Study::from_toml_str(&text, "t").unwrap();
        let fast = Study::from_toml_str(
            &text.replace("by_visit = false", "by_visit = false\nfast_path = true"),
            "t",
        )
        .unwrap();
        let (sp, sf) = (&patients.points[0].scenario, &fast.points[0].scenario);
        let (simp, simf) = (Simulator::new(sp, 21), Simulator::new(sf, 21));
        assert_eq!(simp.path(), "patients");
        assert_eq!(simf.path(), "sufficient");
        let collect = |sim: &Simulator| {
            let results: Vec<_> = sim
                .primary_results(4000)
                .into_iter()
                .filter_map(|a| a.result)
                .collect();
            let est: Vec<f64> = results.iter().map(|r| r.estimate).collect();
            let p: Vec<f64> = results.iter().map(|r| r.p_value()).collect();
            (est, p)
        };
        let ((ep, pp), (ef, pf)) = (collect(&simp), collect(&simf));
        let crit = critical(ep.len(), ef.len());
        let d_est = ks(ep, ef);
        let d_p = ks(pp, pf);
        assert!(
            d_est < crit,
            "{method}: KS on estimates {d_est:.4} >= {crit:.4}"
        );
        assert!(d_p < crit, "{method}: KS on p-values {d_p:.4} >= {crit:.4}");
    }
}

#[test]
fn fast_path_is_used_only_where_the_model_allows_it() {
    let fast = SCENARIO
        .replace("METHOD", "ancova")
        .replace("by_visit = false", "by_visit = false\nfast_path = true");
    for (change, path) in [
        ("", "sufficient"),
        ("by_visit = false\nfast_path = true", "patients"), // by_visit back to true below
        ("mechanism = \"mcar\"", "patients"),
    ] {
        let text = match path {
            "sufficient" => fast.clone(),
            _ if change.starts_with("by_visit") => {
                fast.replace("by_visit = false", "by_visit = true")
            }
            _ => fast.replace(change, "mechanism = \"mar\"\nbeta = 0.02"),
        };
        let study = Study::from_toml_str(&text, "t").unwrap();
        let sim = Simulator::new(&study.points[0].scenario, 1);
        assert_eq!(sim.path(), path, "{change}");
    }
    // Bounds, rounding and an entry criterion also need patients.
    for extra in ["min = 0.0", "resolution = 1.0", "inclusion = 40.0"] {
        let text = fast.replace("rho = 0.8", &format!("rho = 0.8\n{extra}"));
        let study = Study::from_toml_str(&text, "t").unwrap();
        assert_eq!(
            Simulator::new(&study.points[0].scenario, 1).path(),
            "patients",
            "{extra}"
        );
    }
}

#[test]
fn dataset_says_when_run_takes_the_fast_path() {
    // Found in review: `dataset` always simulates patients, so for a design
    // point on the fast path it is not the trial `run` analysed; it says so.
    let dir = tempfile::tempdir().unwrap();
    let base = SCENARIO.replace("METHOD", "ancova");
    for (text, noted) in [
        (base.clone(), false),
        (
            base.replace("by_visit = false", "by_visit = false\nfast_path = true"),
            true,
        ),
    ] {
        let sc = dir.path().join("s.toml");
        std::fs::write(&sc, text).unwrap();
        let out = crate::ok(
            crate::trialsim()
                .arg("dataset")
                .arg(&sc)
                .args(["--replicate", "3", "--out"])
                .arg(dir.path().join("d.csv")),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.contains("exact fast path"), noted, "{stderr}");
    }
}
