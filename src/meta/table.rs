//! `trialsim pool`: reads real (or simulated) trial results from CSV and pools them.
//!
//! Columns: `study,yi,vi` or `study,yi,sei` (any order, extra columns
//! ignored). Every problem names the row and column: a missing column,
//! a value that is not a finite number, a variance or SE that is not
//! positive, a duplicate or empty study name, fewer than 2 studies.

use super::pooling::{Criticals, Estimator, Pooled, p_values, pool};
use crate::error::{Error, Result, Setting};
use serde::Serialize;

/// One study's result.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyEffect {
    /// Study label.
    pub study: String,
    /// Effect estimate.
    pub yi: f64,
    /// Its sampling variance.
    pub vi: f64,
}

/// Largest |yi| and 1/vi, and largest vi, that [`read_effects`] accepts:
/// within these, every sum the pooling forms (squared weights times squared
/// deviations, up to 1e200 a term) stays far inside double precision.
const LIMIT: f64 = 1e50;

/// Parses the effects CSV. `origin` names the file in messages.
///
/// # Errors
/// [`Error::Usage`] naming the row (1 = first data row; the line number too) and column.
pub fn read_effects(text: &str, origin: &str) -> Result<Vec<StudyEffect>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bad = |msg: String| Error::Usage(format!("{origin}: {msg}"));
    if text.trim().is_empty() {
        return Err(bad(
            "is empty; expected a header line study,yi,vi (or study,yi,sei) and one row per study"
                .into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(format!("cannot read the header line: {e}")))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let study_col = find("study").ok_or_else(|| {
        bad("missing column `study` (expected columns study,yi,vi or study,yi,sei)".into())
    })?;
    let yi_col = find("yi").ok_or_else(|| {
        bad("missing column `yi` (expected columns study,yi,vi or study,yi,sei)".into())
    })?;
    let (var_col, is_se) = match (find("vi"), find("sei")) {
        (Some(c), None) => (c, false),
        (None, Some(c)) => (c, true),
        (Some(_), Some(_)) => {
            return Err(bad("has both `vi` and `sei` columns; keep one".into()));
        }
        (None, None) => {
            return Err(bad(
                "missing column `vi` or `sei` (expected columns study,yi,vi or study,yi,sei)"
                    .into(),
            ));
        }
    };
    let var_name = if is_se { "sei" } else { "vi" };
    let mut out: Vec<StudyEffect> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let line = i + 2;
        let record = record.map_err(|e| bad(format!("row {row} (line {line}): {e}")))?;
        let cell = |c: usize| record.get(c).unwrap_or("");
        let number = |c: usize, name: &str| -> Result<f64> {
            let raw = cell(c);
            match raw.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(bad(format!(
                    "row {row} (line {line}), column {name} = {raw:?}: must be a finite number"
                ))),
            }
        };
        let study = cell(study_col).to_string();
        if study.is_empty() {
            return Err(bad(format!(
                "row {row} (line {line}), column study: must not be empty"
            )));
        }
        if out.iter().any(|s| s.study == study) {
            return Err(bad(format!(
                "row {row} (line {line}), column study = {study:?}: duplicate study"
            )));
        }
        let yi = number(yi_col, "yi")?;
        if yi.abs() > LIMIT {
            return Err(bad(format!(
                "row {row} (line {line}), column yi = {yi:e}: must be within ±1e50 (pooling squares and weights it; rescale the effects)"
            )));
        }
        let raw = number(var_col, var_name)?;
        if raw <= 0.0 {
            return Err(bad(format!(
                "row {row} (line {line}), column {var_name} = {raw}: must be > 0"
            )));
        }
        let vi = if is_se { raw * raw } else { raw };
        if !(1.0 / LIMIT..=LIMIT).contains(&vi) {
            let allowed = if is_se {
                "[1e-25, 1e25]"
            } else {
                "[1e-50, 1e50]"
            };
            return Err(bad(format!(
                "row {row} (line {line}), column {var_name} = {raw:e}: must be in {allowed} (pooling inverts and squares the variance; rescale the effects)"
            )));
        }
        out.push(StudyEffect { study, yi, vi });
    }
    if out.is_empty() {
        return Err(bad(format!(
            "has the header line but no studies; add one row per study ({}), at least 2",
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    }
    if out.len() < 2 {
        return Err(bad(format!(
            "has {} stud{}; pooling needs at least 2",
            out.len(),
            if out.len() == 1 { "y" } else { "ies" }
        )));
    }
    Ok(out)
}

/// The pooled result as `pool --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolReport {
    /// Number of studies.
    pub k: usize,
    /// tau² estimator (`dl`, `pm`, `reml`), with `+hksj` for Hartung–Knapp.
    pub method: String,
    /// Pooled estimate.
    pub mu: f64,
    /// Its SE (HKSJ with `--hksj`).
    pub se: f64,
    /// CI lower bound at `--level`.
    pub ci_low: f64,
    /// CI upper bound.
    pub ci_high: f64,
    /// z (normal) or t (HKSJ, K − 1 df) statistic.
    pub z_or_t: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Between-study variance.
    pub tau2: f64,
    /// I² (share, not percent).
    pub i2: f64,
    /// metafor's tau²-based I²: `tau² / (tau² + s²)`, s² the "typical"
    /// within-study variance (Higgins & Thompson 2002).
    pub i2_tau: f64,
    /// Cochran's Q.
    pub q: f64,
    /// p of Q.
    pub q_p_value: f64,
    /// 95% prediction interval (null when K < 3).
    pub pi_low: Option<f64>,
    /// 95% prediction interval (null when K < 3).
    pub pi_high: Option<f64>,
    /// Whether the tau² estimator converged (DL is used when it did not).
    pub converged: bool,
}

/// Pools the studies.
///
/// # Errors
/// [`Error::Setting`] for a level outside (0, 1).
pub fn pool_report(
    studies: &[StudyEffect],
    estimator: Estimator,
    hksj: bool,
    level: f64,
) -> Result<(PoolReport, Pooled)> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::setting(Setting::Level, level, "must be in (0, 1)"));
    }
    let y: Vec<f64> = studies.iter().map(|s| s.yi).collect();
    let v: Vec<f64> = studies.iter().map(|s| s.vi).collect();
    let crit = Criticals::new(y.len(), level);
    let p = pool(&y, &v, estimator, &crit);
    let pv = p_values(&p);
    let pi = (p.k >= 3).then_some((p.pi_low, p.pi_high));
    let report = PoolReport {
        k: p.k,
        method: format!("{}{}", estimator.name(), if hksj { "+hksj" } else { "" }),
        mu: p.mu,
        se: if hksj { p.se_hksj } else { p.se },
        ci_low: if hksj { p.ci_low_hksj } else { p.ci_low },
        ci_high: if hksj { p.ci_high_hksj } else { p.ci_high },
        z_or_t: p.mu / if hksj { p.se_hksj } else { p.se },
        p_value: if hksj { pv.p_hksj } else { pv.p },
        tau2: p.tau2,
        i2: p.i2,
        i2_tau: p.i2_tau,
        q: p.q,
        q_p_value: pv.q_p,
        pi_low: pi.map(|x| x.0),
        pi_high: pi.map(|x| x.1),
        converged: p.converged,
    };
    Ok((report, p))
}

/// The readable table `pool` prints.
pub fn text_report(studies: &[StudyEffect], r: &PoolReport, level: f64) -> String {
    let mut out = String::new();
    let width = studies
        .iter()
        .map(|s| s.study.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    out.push_str(&format!(
        "{:<width$}  {:>10}  {:>10}\n",
        "study", "yi", "se"
    ));
    for s in studies {
        out.push_str(&format!(
            "{:<width$}  {:>10.4}  {:>10.4}\n",
            s.study,
            s.yi,
            s.vi.sqrt()
        ));
    }
    let p = |x: f64| {
        if x < 1e-4 {
            "< 0.0001".to_string()
        } else {
            format!("= {x:.4}")
        }
    };
    let stat = if r.method.ends_with("+hksj") {
        format!("t({}) = {:.3}", r.k - 1, r.z_or_t)
    } else {
        format!("z = {:.3}", r.z_or_t)
    };
    out.push_str(&format!(
        "\nrandom effects ({}), k = {}\n  mu = {:.4} (SE {:.4}), {:.0}% CI [{:.4}, {:.4}], {stat}, p {}\n",
        r.method,
        r.k,
        r.mu,
        r.se,
        100.0 * level,
        r.ci_low,
        r.ci_high,
        p(r.p_value)
    ));
    out.push_str(&format!(
        "  tau² = {:.4}, I² = {:.1}%, Q({}) = {:.3}, p {}\n",
        r.tau2,
        100.0 * r.i2,
        r.k - 1,
        r.q,
        p(r.q_p_value)
    ));
    match (r.pi_low, r.pi_high) {
        (Some(lo), Some(hi)) => {
            out.push_str(&format!("  95% prediction interval [{lo:.4}, {hi:.4}]\n"))
        }
        _ => out.push_str("  prediction interval: needs at least 3 studies\n"),
    }
    if !r.converged {
        out.push_str("  note: the tau² estimator did not converge; DerSimonian–Laird was used\n");
    }
    out
}
