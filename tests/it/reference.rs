//! Deterministic reference values (tolerance policy: 1e-6 relative, 1e-9
//! absolute near zero; see `assert_close`).
//!
//! Source: Python 3.11.7 with scipy 1.17.1 (`scipy.stats.ttest_ind(...,
//! equal_var=False)`, `scipy.stats.t.ppf`) and statsmodels 0.15.0
//! (`statsmodels.formula.api.ols("y1 ~ arm + y0")`), values printed with
//! `repr()` (full double precision) on the data sets below; the script is
//! `tests/reference/welch_ancova_power.py`.

use trialsim::analysis::analyse;
use trialsim::scenario::{Analysis, Hypothesis, Method, Missing, Sided};
use trialsim::simulate::TrialData;

/// |a − b| ≤ 1e-6·|b|, or ≤ 1e-9 when b is near zero.
pub fn assert_close(what: &str, got: f64, want: f64) {
    let tol = (1e-6 * want.abs()).max(1e-9);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.17}, want {want:.17} (tolerance {tol:e})"
    );
}

const A_CONTROL_Y0: [f64; 7] = [62.0, 55.5, 70.2, 48.9, 66.1, 58.4, 73.0];
const A_CONTROL_Y1: [f64; 7] = [60.1, 54.0, 67.8, 49.5, 63.9, 57.2, 70.4];
const A_TREAT_Y0: [f64; 9] = [64.3, 52.7, 71.8, 59.0, 45.6, 68.2, 61.5, 56.9, 75.4];
const A_TREAT_Y1: [f64; 9] = [51.2, 49.9, 55.0, 57.3, 41.8, 50.6, 58.7, 44.1, 62.0];

const B_CONTROL_Y0: [f64; 5] = [58.2, 66.7, 49.3, 71.5, 62.8];
const B_CONTROL_Y1: [f64; 5] = [55.9, 66.0, 50.4, 68.1, 58.3];
const B_TREAT_Y0: [f64; 12] = [
    63.4, 57.1, 69.9, 52.6, 74.2, 60.5, 47.8, 66.3, 55.0, 71.1, 59.7, 64.8,
];
const B_TREAT_Y1: [f64; 12] = [
    54.0, 52.3, 58.6, 50.1, 61.7, 49.9, 46.2, 57.4, 48.8, 60.3, 55.5, 52.9,
];

fn trial(cy0: &[f64], cy1: &[f64], ty0: &[f64], ty1: &[f64]) -> TrialData {
    let baseline: Vec<f64> = cy0.iter().chain(ty0).copied().collect();
    let values: Vec<f64> = cy1.iter().chain(ty1).copied().collect();
    let n = baseline.len();
    TrialData::new(1, [cy0.len(), ty0.len()], baseline, values, vec![1; n])
}

fn settings(method: Method, sided: Sided) -> Analysis {
    Analysis {
        method,
        missing: Missing::CompleteCase,
        alpha: 0.05,
        sided,
        hypothesis: Hypothesis::Superiority,
        by_visit: false,
        replication: false,
        fast_path: false,
    }
}

struct Reference {
    estimate: f64,
    se: f64,
    df: f64,
    t: f64,
    p: f64,
    ci: (f64, f64),
}

fn check(label: &str, data: &TrialData, method: Method, sided: Sided, want: &Reference) {
    let a = analyse(data, 0, &settings(method, sided), -1.0);
    let r = a.result.expect("estimable");
    assert_close(&format!("{label} estimate"), r.estimate, want.estimate);
    assert_close(&format!("{label} se"), r.se, want.se);
    assert_close(&format!("{label} df"), r.df, want.df);
    assert_close(&format!("{label} t"), r.t, want.t);
    assert_close(&format!("{label} p"), r.p_value(), want.p);
    assert_eq!(
        r.significant,
        want.p < 0.05,
        "{label}: significance agrees with p"
    );
    assert_close(&format!("{label} ci_low"), r.ci_low, want.ci.0);
    assert_close(&format!("{label} ci_high"), r.ci_high, want.ci.1);
}

#[test]
fn welch_change_matches_scipy() {
    let a = trial(&A_CONTROL_Y0, &A_CONTROL_Y1, &A_TREAT_Y0, &A_TREAT_Y1);
    let b = trial(&B_CONTROL_Y0, &B_CONTROL_Y1, &B_TREAT_Y0, &B_TREAT_Y1);
    let (est_a, se_a, df_a, t_a) = (
        -7.822222222222226,
        2.2148080683304014,
        8.566707739511523,
        -3.531783333315598,
    );
    check(
        "A two-sided",
        &a,
        Method::WelchChange,
        Sided::Two,
        &Reference {
            estimate: est_a,
            se: se_a,
            df: df_a,
            t: t_a,
            p: 0.006914061117648889,
            ci: (-12.87136242147776, -2.773082022966692),
        },
    );
    // One-sided in the favourable (lower) direction: scipy `alternative='less'`,
    // and the two-sided 90% interval.
    check(
        "A one-sided",
        &a,
        Method::WelchChange,
        Sided::One,
        &Reference {
            estimate: est_a,
            se: se_a,
            df: df_a,
            t: t_a,
            p: 0.0034570305588244444,
            ci: (-11.905720062820052, -3.7387243816244),
        },
    );
    check(
        "B two-sided",
        &b,
        Method::WelchChange,
        Sided::Two,
        &Reference {
            estimate: -5.931666666666667,
            se: 1.487361826194354,
            df: 12.946049609932306,
            t: -3.9880455193903668,
            p: 0.0015586475256673241,
            ci: (-9.146278268378369, -2.7170550649549647),
        },
    );
}

#[test]
fn ancova_matches_statsmodels() {
    let a = trial(&A_CONTROL_Y0, &A_CONTROL_Y1, &A_TREAT_Y0, &A_TREAT_Y1);
    let b = trial(&B_CONTROL_Y0, &B_CONTROL_Y1, &B_TREAT_Y0, &B_TREAT_Y1);
    check(
        "A ancova",
        &a,
        Method::Ancova,
        Sided::Two,
        &Reference {
            estimate: -7.9281560409564635,
            se: 2.0199576974961166,
            df: 13.0,
            t: -3.9249119180980796,
            p: 0.001742155406562999,
            ci: (-12.292009338007823, -3.5643027439051043),
        },
    );
    check(
        "B ancova",
        &b,
        Method::Ancova,
        Sided::Two,
        &Reference {
            estimate: -5.872865191447722,
            se: 1.10382486795221,
            df: 14.0,
            t: -5.320468275318822,
            p: 0.00010808135498237474,
            ci: (-8.24033407402425, -3.5053963088711937),
        },
    );
}

#[test]
fn relabelling_arms_flips_the_estimate_and_keeps_p() {
    let a = trial(&A_CONTROL_Y0, &A_CONTROL_Y1, &A_TREAT_Y0, &A_TREAT_Y1);
    let swapped = trial(&A_TREAT_Y0, &A_TREAT_Y1, &A_CONTROL_Y0, &A_CONTROL_Y1);
    for method in [Method::WelchChange, Method::Ancova] {
        let x = analyse(&a, 0, &settings(method, Sided::Two), -1.0)
            .result
            .unwrap();
        let y = analyse(&swapped, 0, &settings(method, Sided::Two), -1.0)
            .result
            .unwrap();
        assert_close("flipped estimate", y.estimate, -x.estimate);
        assert_close("same p", y.p_value(), x.p_value());
    }
}

#[test]
fn missing_data_methods_use_the_right_values() {
    // Control: 3 patients, treatment: 3; two visits. Patient 0 leaves before
    // visit 1 (observed 0 visits), patient 3 before visit 2 (observed 1).
    let nan = f64::NAN;
    let baseline = vec![50.0, 52.0, 48.0, 60.0, 58.0, 61.0];
    let values = vec![
        nan, nan, 45.0, 40.0, 44.0, 41.0, // control
        50.0, nan, 47.0, 42.0, 49.0, 40.0, // treatment
    ];
    let observed = vec![0, 2, 2, 1, 2, 2];
    let d = TrialData::new(2, [3, 3], baseline, values, observed);
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let cases = [
        // (missing, control changes at visit 2, treatment changes at visit 2)
        (Missing::CompleteCase, vec![-12.0, -7.0], vec![-16.0, -21.0]),
        (
            Missing::Locf,
            vec![0.0, -12.0, -7.0],
            vec![-10.0, -16.0, -21.0],
        ),
        (
            Missing::Bocf,
            vec![0.0, -12.0, -7.0],
            vec![0.0, -16.0, -21.0],
        ),
    ];
    for (missing, c, t) in cases {
        let s = Analysis {
            missing,
            ..settings(Method::WelchChange, Sided::Two)
        };
        let a = analyse(&d, 1, &s, -1.0);
        assert_eq!(
            (a.n_control, a.n_treatment),
            (c.len(), t.len()),
            "{missing:?}"
        );
        let r = a.result.expect("estimable");
        assert_close(&format!("{missing:?}"), r.estimate, mean(&t) - mean(&c));
    }
}

/// A `trialsim dataset` CSV (patient, arm, month, value; month 0 is the
/// baseline, an empty value a missed visit) as trial data: control
/// patients first, each patient's visits in month order.
fn trial_from_dataset(path: &str) -> TrialData {
    use std::collections::BTreeMap;
    let mut reader = csv::Reader::from_path(path).unwrap();
    // patient -> (treated, baseline, [(month, value)])
    type Patient = (bool, f64, Vec<(f64, Option<f64>)>);
    let mut patients: BTreeMap<u64, Patient> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let id: u64 = row[0].parse().unwrap();
        let month: f64 = row[2].parse().unwrap();
        let value: Option<f64> = row[3].parse().ok();
        let p = patients
            .entry(id)
            .or_insert((&row[1] == "treatment", f64::NAN, Vec::new()));
        if month == 0.0 {
            p.1 = value.unwrap();
        } else {
            p.2.push((month, value));
        }
    }
    let mut ordered: Vec<&Patient> = patients.values().filter(|p| !p.0).collect();
    let n_control = ordered.len();
    ordered.extend(patients.values().filter(|p| p.0));
    let visits = ordered[0].2.len();
    let (mut baseline, mut values, mut observed) = (Vec::new(), Vec::new(), Vec::new());
    for (_, b, vs) in &ordered {
        baseline.push(*b);
        let seen = vs.iter().take_while(|v| v.1.is_some()).count();
        assert!(
            vs[seen..].iter().all(|v| v.1.is_none()),
            "dropout is monotone"
        );
        observed.push(seen);
        values.extend(vs.iter().map(|v| v.1.unwrap_or(f64::NAN)));
    }
    TrialData::new(
        visits,
        [n_control, ordered.len() - n_control],
        baseline,
        values,
        observed,
    )
}

/// #27 acceptance 3: the MMRM (unstructured, common covariance, REML) on
/// three data sets with MAR dropout (`tests/reference/mmrm/{a,b,c}.csv`,
/// made by `make.sh` there) agrees at every visit with an exactly converged
/// independent REML fit (estimate, SE and Satterthwaite df to 1e-6) and
/// with `nlme::gls(corSymm, varIdent, REML)` (estimate and SE to 1e-4, its
/// own convergence being about 1e-5), both the closed form and the general
/// optimiser. Reference values by
/// `tests/reference/mmrm/mmrm_reml.R` (R 4.2.2, nlme 3.1-162).
#[test]
fn mmrm_matches_an_exact_reml_fit_and_nlme() {
    use trialsim::analysis::mmrm::{Covariance, MmrmData, Structure, fit_exact, fit_structure};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/mmrm");
    let mut reader = csv::Reader::from_path(format!("{dir}/reference.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let number = |r: &csv::StringRecord, name: &str| r[col(name)].parse::<f64>().unwrap();
    let mut checked = 0;
    for set in ["a", "b", "c"] {
        let data = trial_from_dataset(&format!("{dir}/{set}.csv"));
        let d = MmrmData::new(&data, Covariance::Common);
        // The closed form, and the general optimiser.
        let (exact, general) = (
            fit_exact(&d).unwrap(),
            fit_structure(&d, Structure::Unstructured).unwrap(),
        );
        assert!(general.converged, "{set}: {general:?}");
        for (j, r) in rows.iter().filter(|r| &r[col("data")] == set).enumerate() {
            for (fit, f) in [("exact", &exact), ("optimiser", &general)] {
                let what = |q: &str| format!("data set {set}, visit {}, {fit}: {q}", j + 1);
                assert_close(&what("estimate"), f.estimate[j], number(r, "estimate"));
                assert_close(&what("SE"), f.se[j], number(r, "se"));
                assert_close(&what("df"), f.df[j], number(r, "df"));
                let near = |got: f64, want: f64, q: &str| {
                    assert!(
                        (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                        "{}: {got} vs nlme {want}",
                        what(q)
                    )
                };
                near(f.estimate[j], number(r, "nlme_estimate"), "estimate");
                near(f.se[j], number(r, "nlme_se"), "SE");
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked, 30,
        "five visits in each of three data sets, two fits"
    );
}

/// #18 acceptance 2: one-sided Clopper–Pearson upper bounds (including 0
/// and n events), Fisher's exact p-values (two-sided, greater, less;
/// including empty and full margins) and the exact power of Fisher's test
/// equal R's `binom.test`, `fisher.test` and an enumeration over
/// `fisher.test` to 1e-8 relative. Reference values by
/// `tests/reference/binary/make.R` (R 4.2.2).
#[test]
fn binary_primitives_match_r() {
    use trialsim::analysis::binary::{
        Alternative, clopper_pearson_upper, fisher_exact, fisher_power, newcombe_interval,
    };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/binary");
    let read = |file: &str| -> Vec<std::collections::HashMap<String, String>> {
        let mut reader = csv::Reader::from_path(format!("{dir}/{file}")).unwrap();
        let headers = reader.headers().unwrap().clone();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    };
    let num = |row: &std::collections::HashMap<String, String>, key: &str| -> f64 {
        row[key].parse().unwrap()
    };
    let close = |what: String, got: f64, want: f64| {
        assert!(
            (got - want).abs() <= 1e-8 * want.abs() + 1e-14,
            "{what}: {got} vs R {want}"
        );
    };
    let rows = read("clopper_pearson.csv");
    for r in &rows {
        let (x, n, level) = (num(r, "x") as u64, num(r, "n") as u64, num(r, "level"));
        let got = clopper_pearson_upper(x, n, level);
        close(
            format!("upper bound {x}/{n} at {level}"),
            got,
            num(r, "upper"),
        );
    }
    assert!(
        rows.len() >= 30
            && rows.iter().any(|r| r["x"] == "0")
            && rows.iter().any(|r| r["x"] == r["n"])
    );
    let tables = read("fisher.csv");
    for r in &tables {
        let [x1, n1, x2, n2] = ["x1", "n1", "x2", "n2"].map(|k| num(r, k) as u64);
        for (alt, key) in [
            (Alternative::TwoSided, "two_sided"),
            (Alternative::Greater, "greater"),
            (Alternative::Less, "less"),
        ] {
            let got = fisher_exact(x1, n1, x2, n2, alt);
            close(
                format!("Fisher {x1}/{n1} vs {x2}/{n2}, {key}"),
                got,
                num(r, key),
            );
        }
    }
    assert!(tables.len() >= 10);
    for r in &read("fisher_power.csv") {
        let alt = match r["alternative"].as_str() {
            "two.sided" => Alternative::TwoSided,
            "greater" => Alternative::Greater,
            _ => Alternative::Less,
        };
        let [n1, n2] = ["n1", "n2"].map(|k| num(r, k) as u64);
        let got = fisher_power(n1, n2, num(r, "p1"), num(r, "p2"), num(r, "alpha"), alt);
        close(format!("Fisher power {r:?}"), got, num(r, "power"));
    }
    // Newcombe's hybrid score interval (method 10) for the responder risk
    // difference: R's Wilson intervals (prop.test, correct = FALSE)
    // combined as Newcombe (1998) writes; its first eight rows are his
    // Table II examples (a)-(h), printed there to 4 decimals (e.g. (a)
    // 56/70 − 48/80: 0.0524 to 0.3339), zero and full counts included.
    let rows = read("newcombe.csv");
    for r in &rows {
        let [x1, n1, x2, n2] = ["x1", "n1", "x2", "n2"].map(|k| num(r, k) as u64);
        let (lower, upper) = newcombe_interval(x1, n1, x2, n2, num(r, "level"));
        let what = format!("Newcombe {x1}/{n1} − {x2}/{n2}");
        close(format!("{what} lower"), lower, num(r, "lower"));
        close(format!("{what} upper"), upper, num(r, "upper"));
    }
    assert!(rows.len() >= 10);
    let (lower, upper) = newcombe_interval(56, 70, 48, 80, 0.95);
    assert_eq!(
        (format!("{lower:.4}"), format!("{upper:.4}")),
        ("0.0524".into(), "0.3339".into()),
        "Newcombe (1998) Table II (a)"
    );
}
