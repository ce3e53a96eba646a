//! `trialsim pool`: reads real (or simulated) trial results from CSV and pools them.
//!
//! Columns: `study,yi,vi` or `study,yi,sei` (any order, extra columns
//! ignored). Every problem names the row and column: a missing column,
//! a value that is not a finite number, a variance or SE that is not
//! positive, a duplicate or empty study name, fewer than 2 studies.

use super::bias;
pub use super::pooling::Test;
use super::pooling::{Criticals, Estimator, Pooled, common_effect, p_values, pool};
use super::subgroups::{NotIdentified, SubgroupFit, subgroups};
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

/// A reader of the effects CSV (cells trimmed, rows of equal length) and
/// its header line; the error says why the header cannot be read.
fn csv_reader(text: &str) -> std::result::Result<(csv::Reader<&[u8]>, csv::StringRecord), String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header line: {e}"))?
        .clone();
    Ok((reader, headers))
}

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
    let (mut reader, headers) = csv_reader(text).map_err(bad)?;
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
    let mut seen = std::collections::HashSet::new();
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
        if !seen.insert(study.clone()) {
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

/// The model `pool` fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Common (fixed) effect, inverse-variance weights: every study
    /// estimates one effect (metafor's `method = "EE"`).
    Fixed,
    /// Random effects with a tau² estimator.
    Random(Estimator),
}

impl Model {
    /// The name `--method` takes.
    pub fn name(self) -> &'static str {
        match self {
            Model::Fixed => "fe",
            Model::Random(e) => e.name(),
        }
    }
}

/// The common-effect (fixed-effect) estimate, always reported beside the model's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FixedJson {
    /// Inverse-variance weighted mean.
    pub mu: f64,
    /// Its SE, `sqrt(1 / Σ 1/v)`.
    pub se: f64,
    /// Normal CI at `--level`.
    pub ci_low: f64,
    /// Normal CI.
    pub ci_high: f64,
    /// `mu / se`.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
}

/// The pooled result as `pool --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolReport {
    /// Number of studies.
    pub k: usize,
    /// The model (`fe`, `dl`, `pm`, `reml`), with `+hksj` or `+hksj-adhoc`.
    pub method: String,
    /// Pooled estimate.
    pub mu: f64,
    /// Its SE (HKSJ with `--hksj`).
    pub se: f64,
    /// CI lower bound at `--level`.
    pub ci_low: f64,
    /// CI upper bound.
    pub ci_high: f64,
    /// z (normal) or t (HKSJ, K − 1 df) statistic; null when infinite (HKSJ
    /// with identical estimates has SE 0).
    pub z_or_t: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Between-study variance (0 for the fixed-effect model).
    pub tau2: f64,
    /// I² from Q: `max(0, (Q − (K−1))/Q)` (share, not percent).
    pub i2: f64,
    /// The tau²-based I² that metafor prints: `tau² / (tau² + s²)`, s² the
    /// "typical" within-study variance (Higgins & Thompson 2002).
    pub i2_tau: f64,
    /// Cochran's Q.
    pub q: f64,
    /// p of Q.
    pub q_p_value: f64,
    /// Prediction interval at `pi_level` (null when K < 3 or for the
    /// fixed-effect model).
    pub pi_low: Option<f64>,
    /// Prediction interval upper bound.
    pub pi_high: Option<f64>,
    /// Level of the prediction interval: `--level`.
    pub pi_level: f64,
    /// Whether the tau² estimator converged (DL is used when it did not).
    pub converged: bool,
    /// The common-effect estimate.
    pub fixed: FixedJson,
    /// `--bias`: the corrections for publication bias.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasJson>,
    /// `--retro`: each study's design analysis.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub retro: Option<RetroJson>,
    /// `--by COLUMN`: the subgroup analysis on that column's levels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subgroups: Option<SubgroupsJson>,
    /// Warnings for stderr (not part of the JSON).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// `pool --bias`: publication-bias corrections of the same studies
/// ([`crate::meta::bias`]); null where a method needs more studies (3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiasJson {
    /// Trim-and-fill under the model of `--method`.
    pub trim_and_fill: Option<bias::TrimFill>,
    /// PET: the intercept of the estimates on their SEs.
    pub pet: Option<bias::Intercept>,
    /// PEESE: the intercept of the estimates on their variances.
    pub peese: Option<bias::Intercept>,
    /// PEESE when PET's intercept is significant (one-sided, greater, at
    /// 1 − `--level`), else PET.
    pub pet_peese: Option<bias::PetPeese>,
    /// The step-function selection model (one cut at one-sided p = 0.025,
    /// greater), by maximum likelihood.
    pub selection: Option<super::selection::Selection>,
}

/// One study's retrospective design analysis (Gelman & Carlin 2014).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyRetro {
    /// The study's name.
    pub study: String,
    /// Power of its two-sided z-test at 1 − `--level` against the effect.
    pub power: f64,
    /// P(wrong sign | significant).
    pub type_s: f64,
    /// Exaggeration ratio given significance.
    pub type_m: f64,
}

/// `pool --retro`: how credible each study was under a plausible true
/// effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetroJson {
    /// The true effect assumed: `--effect`, else the pooled estimate.
    pub retro_effect: f64,
    /// One entry per study, in file order.
    pub studies: Vec<StudyRetro>,
}

/// The publication-bias corrections of `studies` under `model`, at `level`.
pub fn bias_report(studies: &[StudyEffect], model: Model, level: f64) -> BiasJson {
    let y: Vec<f64> = studies.iter().map(|s| s.yi).collect();
    let v: Vec<f64> = studies.iter().map(|s| s.vi).collect();
    let estimator = match model {
        Model::Fixed => None,
        Model::Random(e) => Some(e),
    };
    let pet = bias::pet(&y, &v);
    let peese = bias::peese(&y, &v);
    let pet_peese = pet
        .zip(peese)
        .map(|(a, b)| bias::pet_peese(&a, &b, 1.0 - level, 1.0, y.len()));
    BiasJson {
        trim_and_fill: bias::trim_and_fill(&y, &v, estimator, Criticals::new(y.len(), level).z),
        pet,
        peese,
        pet_peese,
        selection: super::selection::selection_model(&y, &v, estimator.is_some(), 1.0),
    }
}

/// Each study's power, type S and exaggeration ratio (two-sided z-test at
/// `1 − level`) if the true effect were `effect`.
///
/// # Errors
/// As [`crate::meta::retro::retrodesign`]: an effect of 0 or not finite.
pub fn retro_report(studies: &[StudyEffect], effect: f64, level: f64) -> Result<RetroJson> {
    let studies = studies
        .iter()
        .map(|s| {
            let r = crate::meta::retro::retrodesign(effect, s.vi.sqrt(), 1.0 - level)?;
            Ok(StudyRetro {
                study: s.study.clone(),
                power: r.power,
                type_s: r.type_s,
                type_m: r.exaggeration,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RetroJson {
        retro_effect: effect,
        studies,
    })
}

/// Two-sided p of a statistic `mu / se` that may be infinite (SE 0): 0, or
/// 1 when `mu` is 0 too.
fn p_or_limit(mu: f64, se: f64, p: impl Fn(f64) -> f64) -> (Option<f64>, f64) {
    if se > 0.0 {
        let stat = mu / se;
        (Some(stat), p(stat))
    } else if mu == 0.0 {
        (Some(0.0), 1.0)
    } else {
        (None, 0.0)
    }
}

/// Pools the studies.
///
/// # Errors
/// [`Error::Setting`] for a level outside (0, 1); [`Error::Usage`] naming
/// the studies with the smallest and largest variance when the pooling
/// cannot be computed in double precision (no estimate is printed as
/// success that is not a number).
pub fn pool_report(
    studies: &[StudyEffect],
    model: Model,
    test: Test,
    level: f64,
) -> Result<(PoolReport, Pooled)> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::setting(Setting::Level, level, "must be in (0, 1)"));
    }
    let y: Vec<f64> = studies.iter().map(|s| s.yi).collect();
    let v: Vec<f64> = studies.iter().map(|s| s.vi).collect();
    let crit = Criticals::new(y.len(), level).with_pi_level(level);
    let estimator = match model {
        Model::Fixed => Estimator::Dl,
        Model::Random(e) => e,
    };
    let p = pool(&y, &v, estimator, &crit);
    let pv = p_values(&p);
    let normal = statrs::distribution::Normal::standard();
    use statrs::distribution::ContinuousCDF;
    let two_z = |z: f64| 2.0 * normal.sf(z.abs());
    let (fe_mu, fe_se) = common_effect(&y, &v);
    let fixed = FixedJson {
        mu: fe_mu,
        se: fe_se,
        ci_low: fe_mu - crit.z * fe_se,
        ci_high: fe_mu + crit.z * fe_se,
        z: fe_mu / fe_se,
        p_value: two_z(fe_mu / fe_se),
    };
    let mut warnings = Vec::new();
    // The model's estimate, its Wald SE and its HKSJ SE. With tau² = 0,
    // Q* is Cochran's Q, so the fixed-effect HKSJ SE is fe_se·sqrt(Q/(K − 1)).
    let (mu, se_wald, se_hksj, tau2) = match model {
        Model::Fixed => (fe_mu, fe_se, fe_se * (p.q / (p.k as f64 - 1.0)).sqrt(), 0.0),
        Model::Random(_) => (p.mu, p.se, p.se_hksj, p.tau2),
    };
    // Identical estimates make Q* 0 but for the rounding of mu: the HKSJ SE
    // is then 0. (metafor zeroes it whenever Q* <= machine epsilon, an
    // absolute test that also fires for distinct estimates with huge
    // variances; here only identical estimates count.)
    let identical = y.iter().all(|&yi| yi == y[0]);
    let se = match test {
        Test::Wald => se_wald,
        Test::Hksj if identical => 0.0,
        Test::Hksj => se_hksj,
        // The factor bounded below by 1: never narrower than Wald.
        Test::HksjAdhoc if identical => se_wald,
        Test::HksjAdhoc => se_hksj.max(se_wald),
    };
    let crit_ci = if test == Test::Wald {
        crit.z
    } else {
        crit.t_hksj
    };
    let df = p.k as f64 - 1.0;
    let (z_or_t, p_value) = match test {
        Test::Wald => p_or_limit(mu, se, two_z),
        Test::Hksj | Test::HksjAdhoc => p_or_limit(mu, se, |t| {
            2.0 * statrs::distribution::StudentsT::new(0.0, 1.0, df)
                .expect("K >= 2")
                .sf(t.abs())
        }),
    };
    if z_or_t.is_none() {
        warnings.push(
            "every study has the same estimate, so the Knapp–Hartung SE is 0 and t is infinite: p = 0 says only that the estimates agree exactly".to_string(),
        );
    }
    if model == Model::Fixed && test != Test::Wald {
        warnings.push(
            "Knapp–Hartung is meant for random-effects models; with the fixed-effect model it only rescales the common-effect SE".to_string(),
        );
    }
    let pi = (p.k >= 3 && model != Model::Fixed).then_some((p.pi_low, p.pi_high));
    let report = PoolReport {
        k: p.k,
        method: format!("{}{}", model.name(), test.suffix()),
        mu,
        se,
        ci_low: mu - crit_ci * se,
        ci_high: mu + crit_ci * se,
        z_or_t,
        p_value,
        tau2,
        i2: p.i2,
        // metafor prints the Q-based I² for the fixed-effect model.
        i2_tau: if model == Model::Fixed {
            p.i2
        } else {
            p.i2_tau
        },
        q: p.q,
        q_p_value: pv.q_p,
        pi_low: pi.map(|x| x.0),
        pi_high: pi.map(|x| x.1),
        pi_level: level,
        converged: model == Model::Fixed || p.converged,
        fixed,
        bias: None,
        retro: None,
        subgroups: None,
        warnings,
    };
    let numbers = [
        report.mu,
        report.se,
        report.ci_low,
        report.ci_high,
        report.tau2,
        report.q,
        fe_mu,
        fe_se,
    ];
    if numbers.iter().any(|x| !x.is_finite()) {
        let by_variance = |pick: fn(f64, f64) -> bool| {
            studies
                .iter()
                .reduce(|a, b| if pick(b.vi, a.vi) { b } else { a })
                .map_or(String::new(), |s| {
                    format!("{} (variance {:e})", s.study, s.vi)
                })
        };
        return Err(Error::Usage(format!(
            "the pooled estimate cannot be computed in double precision: the variances span too many orders of magnitude, from {} to {}; rescale or check those studies",
            by_variance(|a, b| a < b),
            by_variance(|a, b| a > b),
        )));
    }
    Ok((report, p))
}

/// The readable table `pool` prints.
pub fn text_report(studies: &[StudyEffect], r: &PoolReport, level: f64) -> String {
    let mut out = String::new();
    let width = label_width(studies.iter().map(|s| s.study.as_str()));
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
    let p = p_text;
    let statistic = |name: &str, x: Option<f64>| match x {
        Some(x) => format!("{name} = {x:.3}"),
        None => format!("{name} = inf"),
    };
    let stat = if r.method.contains("+hksj") {
        statistic(&format!("t({})", r.k - 1), r.z_or_t)
    } else {
        statistic("z", r.z_or_t)
    };
    let percent = 100.0 * level;
    let fixed_model = r.method.starts_with("fe");
    out.push_str(&format!(
        "\n{} ({}), k = {}\n  mu = {:.4} (SE {:.4}), {percent:.0}% CI [{:.4}, {:.4}], {stat}, p {}\n",
        if fixed_model { "fixed effect" } else { "random effects" },
        r.method,
        r.k,
        r.mu,
        r.se,
        r.ci_low,
        r.ci_high,
        p(r.p_value)
    ));
    out.push_str(&format!(
        "  tau² = {:.4}, I² (from Q) = {:.1}%, I² (from tau², as metafor prints it) = {:.1}%, Q({}) = {:.3}, p {}\n",
        r.tau2,
        100.0 * r.i2,
        100.0 * r.i2_tau,
        r.k - 1,
        r.q,
        p(r.q_p_value)
    ));
    match (r.pi_low, r.pi_high) {
        (Some(lo), Some(hi)) => out.push_str(&format!(
            "  {:.0}% prediction interval [{lo:.4}, {hi:.4}] (t on k − 2 df)\n",
            100.0 * r.pi_level
        )),
        _ if fixed_model => out.push_str(
            "  prediction interval: none for the fixed-effect model (it assumes every study estimates the same effect)\n",
        ),
        _ => out.push_str("  prediction interval: needs at least 3 studies (t on k − 2 df)\n"),
    }
    if !fixed_model {
        let f = &r.fixed;
        out.push_str(&format!(
            "fixed effect (inverse variance)\n  mu = {:.4} (SE {:.4}), {percent:.0}% CI [{:.4}, {:.4}], z = {:.3}, p {}\n",
            f.mu,
            f.se,
            f.ci_low,
            f.ci_high,
            f.z,
            p(f.p_value)
        ));
    }
    if !r.converged {
        out.push_str("  note: the tau² estimator did not converge; DerSimonian–Laird was used\n");
    }
    if let Some(b) = &r.bias {
        out.push_str(&bias_text(b, r, level));
    }
    if let Some(rj) = &r.retro {
        out.push_str(&retro_text(rj, level));
    }
    if let Some(sj) = &r.subgroups {
        out.push_str(&subgroups_text(sj, r, level));
    }
    out
}

/// A p-value after "p": "< 0.0001", or "= " and four decimals.
fn p_text(x: f64) -> String {
    if x < 1e-4 {
        "< 0.0001".to_string()
    } else {
        format!("= {x:.4}")
    }
}

/// `pool --by`: the subgroup analysis on one column of the effects file
/// ([`crate::meta::subgroups`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubgroupsJson {
    /// The grouping column.
    pub column: String,
    /// The fit: `levels`, `qm`, `df`, `df2`, `p_value`, `test`, `tau2`, `qe`, `converged`.
    #[serde(flatten)]
    pub fit: SubgroupFit,
    /// With the retrospective design: each level against the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retro: Option<Vec<LevelRetro>>,
}

/// One level against the others pooled: the difference it shows and the
/// meta-analysis' design if that difference were true (Gelman–Carlin).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelRetro {
    /// The level.
    pub level: String,
    /// Its estimate minus the other levels' pooled estimate (weights
    /// `1/se²`, the levels' own).
    pub difference: f64,
    /// The difference's SE, `sqrt(se_j² + 1/Σ_{i≠j} se_i⁻²)` (the levels'
    /// studies are disjoint).
    pub se: f64,
    /// Power to show this difference (two-sided z, alpha = 1 − level);
    /// null when the difference is 0.
    pub power: Option<f64>,
    /// Probability a significant difference has the wrong sign.
    pub type_s: Option<f64>,
    /// Exaggeration of a significant difference.
    pub type_m: Option<f64>,
}

/// Each level of `fit` against the others: the difference it claims and,
/// if that were the true difference, the power to show it (Gelman & Carlin
/// 2014, two-sided z at `1 − level`).
///
/// # Errors
/// None in practice (a level's SE is positive); [`Error::Setting`] from
/// the retrospective design otherwise.
pub fn subgroup_retro(fit: &SubgroupFit, level: f64) -> Result<Vec<LevelRetro>> {
    fit.levels
        .iter()
        .enumerate()
        .map(|(j, l)| {
            let (difference, se) = fit.versus_rest(j);
            let design = if difference == 0.0 {
                None
            } else {
                Some(crate::meta::retro::retrodesign(
                    difference,
                    se,
                    1.0 - level,
                )?)
            };
            Ok(LevelRetro {
                level: l.level.clone(),
                difference,
                se,
                power: design.as_ref().map(|d| d.power),
                type_s: design.as_ref().map(|d| d.type_s),
                type_m: design.as_ref().map(|d| d.exaggeration),
            })
        })
        .collect()
}

/// The values of column `column` of the effects CSV, one per study in
/// file order (the rows [`read_effects`] read).
///
/// # Errors
/// [`Error::Usage`] naming the file when the column is missing, and the
/// row when a cell is empty.
pub fn read_column(text: &str, origin: &str, column: &str) -> Result<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bad = |msg: String| Error::Usage(format!("{origin}: {msg}"));
    let (mut reader, headers) = csv_reader(text).map_err(bad)?;
    let Some(col) = headers.iter().position(|h| h == column) else {
        return Err(bad(format!(
            "no column `{column}` to group the studies by; its columns are {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    };
    if ["study", "yi", "vi", "sei"].contains(&column) {
        return Err(bad(format!(
            "column {column} is the studies' name or effect, not a grouping; group by a column that labels each study's subgroup (such as its allocation or dose)"
        )));
    }
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(format!("row {} (line {}): {e}", i + 1, i + 2)))?;
        let cell = record.get(col).unwrap_or("");
        // R reads `NA` as missing too (and metafor drops the study).
        if cell.is_empty() || cell == "NA" {
            let what = if cell.is_empty() { "empty" } else { "NA" };
            return Err(bad(format!(
                "row {} (line {}), column {column}: {what}; every study needs a level to be grouped by",
                i + 1,
                i + 2
            )));
        }
        out.push(cell.to_string());
    }
    Ok(out)
}

/// The distinct levels of `labels` in the order R's `factor` gives them:
/// numerically when every label is a number (as `read.csv` reads such a
/// column: `2` before `10`, and `2` and `2.0` one level), else as text.
/// `numeric`: every label is a number.
fn levels_in_order(labels: &[String], numeric: bool) -> Vec<String> {
    let mut names: Vec<String> = labels.to_vec();
    if numeric {
        names.sort_by(|a, b| number(a).total_cmp(&number(b)));
    } else {
        names.sort();
    }
    names.dedup_by(|a, b| same_level(numeric, a, b));
    names
}

/// A numeric label's value.
fn number(label: &str) -> f64 {
    label.trim().parse().unwrap_or(f64::NAN)
}

/// Whether two labels are one level: equal text, or in a `numeric`
/// column equal numbers.
fn same_level(numeric: bool, a: &str, b: &str) -> bool {
    a == b || (numeric && number(a) == number(b))
}

/// The subgroup analysis of `studies` by `labels` (one per study; levels
/// ordered as R's `factor` orders them) under `model` and `test`.
///
/// # Errors
/// [`Error::Usage`] when the column has one level, or one study in every
/// level (nothing to estimate tau² and the residual variance from).
pub fn subgroup_report(
    studies: &[StudyEffect],
    labels: &[String],
    column: &str,
    model: Model,
    test: Test,
    level: f64,
) -> Result<SubgroupsJson> {
    let numeric = labels.iter().all(|l| !number(l).is_nan());
    let names = levels_in_order(labels, numeric);
    let of: Vec<usize> = labels
        .iter()
        .map(|l| {
            names
                .iter()
                .position(|n| same_level(numeric, n, l))
                .expect("every label is a level")
        })
        .collect();
    let y: Vec<f64> = studies.iter().map(|s| s.yi).collect();
    let v: Vec<f64> = studies.iter().map(|s| s.vi).collect();
    let estimator = match model {
        Model::Fixed => None,
        Model::Random(e) => Some(e),
    };
    let fit = subgroups(&y, &v, &of, &names, estimator, test, level).map_err(|why| {
        Error::Usage(match why {
            NotIdentified::OneLevel => format!(
                "column {column} has one level ({}) for all {} studies: there are no subgroups to compare",
                names[0],
                studies.len()
            ),
            NotIdentified::OneStudyPerLevel => format!(
                "column {column} has {} levels for {} studies, one study each: comparing subgroups needs at least one level with two studies (to estimate the variation within levels)",
                names.len(),
                studies.len()
            ),
        })
    })?;
    Ok(SubgroupsJson {
        column: column.to_string(),
        fit,
        retro: None,
    })
}

/// The width of a table's label column: its longest label, at least 5.
fn label_width<'a>(labels: impl Iterator<Item = &'a str>) -> usize {
    labels.map(|l| l.chars().count()).max().unwrap_or(5).max(5)
}

/// The `--by` section of the table.
fn subgroups_text(sj: &SubgroupsJson, r: &PoolReport, level: f64) -> String {
    let fit = &sj.fit;
    let model = r.method.split('+').next().unwrap_or("");
    let hksj = if fit.test == "F" {
        ", Knapp–Hartung"
    } else {
        ""
    };
    let mut out = if model == "fe" {
        format!(
            "subgroups by {} (fixed-effect meta-regression on its levels{hksj})\n",
            sj.column
        )
    } else {
        format!(
            "subgroups by {} (meta-regression on its levels, one tau² for all: {:.4}, {model}{hksj})\n",
            sj.column, fit.tau2
        )
    };
    let width = label_width(fit.levels.iter().map(|l| l.level.as_str()));
    out.push_str(&format!(
        "  {:<width$}  {:>3}  {:>10}  {:>10}  {:.0}% CI\n",
        "level",
        "k",
        "mu",
        "se",
        100.0 * level
    ));
    for l in &fit.levels {
        out.push_str(&format!(
            "  {:<width$}  {:>3}  {:>10.4}  {:>10.4}  [{:.4}, {:.4}]\n",
            l.level, l.k, l.mu, l.se, l.ci_low, l.ci_high
        ));
    }
    let statistic = match fit.df2 {
        Some(df2) => format!("F({}, {df2}) = {:.3}", fit.df, fit.qm),
        None => format!("QM({}) = {:.3}", fit.df, fit.qm),
    };
    out.push_str(&format!(
        "  test of subgroup differences: {statistic}, p {}\n",
        p_text(fit.p_value)
    ));
    if fit.levels.iter().any(|l| l.k == 1) {
        out.push_str("  note: a level with one study is that study's estimate; it adds nothing to tau² or the residual variance\n");
    }
    if !fit.converged {
        out.push_str("  note: the tau² estimator did not converge; DerSimonian–Laird was used\n");
    }
    if let Some(retro) = &sj.retro {
        out.push_str(&format!(
            "  each level against the rest, if the true difference were the one it shows (two-sided z-test, alpha = {:.3}; Gelman & Carlin 2014)\n  {:<width$}  {:>10}  {:>10}  {:>7}  {:>7}  {:>12}\n",
            1.0 - level,
            "level",
            "difference",
            "se",
            "power",
            "type S",
            "exaggeration"
        ));
        let show = |x: Option<f64>, decimals: usize| {
            x.map_or("-".to_string(), |x| format!("{x:.decimals$}"))
        };
        for r in retro {
            out.push_str(&format!(
                "  {:<width$}  {:>10.4}  {:>10.4}  {:>7}  {:>7}  {:>12}\n",
                r.level,
                r.difference,
                r.se,
                show(r.power, 3),
                show(r.type_s, 4),
                show(r.type_m, 2)
            ));
        }
    }
    out
}

/// The `--bias` section of the table.
fn bias_text(b: &BiasJson, r: &PoolReport, level: f64) -> String {
    let mut out = String::from("publication bias\n");
    let percent = 100.0 * level;
    let model = r.method.split('+').next().unwrap_or("");
    match &b.trim_and_fill {
        Some(t) if t.k0 == 0 => out.push_str(&format!(
            "  trim-and-fill (L0, {model}): no study missing (side examined: {}); mu = {:.4} (SE {:.4}), {percent:.0}% CI [{:.4}, {:.4}]\n",
            side_word(t.side), t.mu, t.se, t.ci_low, t.ci_high
        )),
        Some(t) => out.push_str(&format!(
            "  trim-and-fill (L0, {model}): {} {} filled on the {}; mu = {:.4} (SE {:.4}), {percent:.0}% CI [{:.4}, {:.4}]\n",
            t.k0,
            if t.k0 == 1 { "study" } else { "studies" },
            side_word(t.side),
            t.mu,
            t.se,
            t.ci_low,
            t.ci_high
        )),
        None => out.push_str("  trim-and-fill: needs at least 3 studies\n"),
    }
    let intercept = |name: &str, i: &Option<bias::Intercept>| match i {
        Some(i) => format!(
            "  {name} intercept = {:.4} (SE {:.4}), p = {:.4} (t on k − 2 df)\n",
            i.mu, i.se, i.p_value
        ),
        None => format!("  {name} needs at least 3 studies with distinct SEs\n"),
    };
    out.push_str(&intercept(
        "PET   (estimates on their SEs, weights 1/v):      ",
        &b.pet,
    ));
    out.push_str(&intercept(
        "PEESE (estimates on their variances, weights 1/v):",
        &b.peese,
    ));
    match &b.selection {
        Some(s) => out.push_str(&format!(
            "  selection model (step at one-sided p = 0.025, greater; ML): mu = {:.4} (SE {:.4}), delta = {:.4} (publication of a non-significant study relative to a significant one), LRT of no selection p = {:.4}{}\n",
            s.mu,
            s.se,
            s.delta,
            s.lrt_p,
            if s.converged {
                ""
            } else {
                "; not converged: these studies do not identify delta (it runs off to 0 or infinity, e.g. when no study is significant in the greater direction), so read nothing into mu"
            }
        )),
        None => out.push_str("  selection model: needs at least 3 studies\n"),
    }
    if let Some(pp) = &b.pet_peese {
        out.push_str(&format!(
            "  PET-PEESE: {} (PET's intercept {} significant at one-sided alpha = {:.3}, greater) → mu = {:.4} (SE {:.4})\n",
            pp.chosen.to_uppercase(),
            if pp.chosen == "peese" { "is" } else { "is not" },
            1.0 - level,
            pp.mu,
            pp.se
        ));
    }
    out
}

fn side_word(side: bias::Side) -> &'static str {
    match side {
        bias::Side::Left => "left",
        bias::Side::Right => "right",
    }
}

/// The `--retro` section of the table: one row per study and a summary.
fn retro_text(r: &RetroJson, level: f64) -> String {
    let alpha = 1.0 - level;
    let width = label_width(r.studies.iter().map(|s| s.study.as_str()));
    let mut out = format!(
        "design of each study if the true effect were {:.4} (two-sided z-test, alpha = {alpha:.3}; Gelman & Carlin 2014)\n  {:<width$}  {:>7}  {:>7}  {:>12}\n",
        r.retro_effect, "study", "power", "type S", "exaggeration"
    );
    for s in &r.studies {
        out.push_str(&format!(
            "  {:<width$}  {:>7.3}  {:>7.4}  {:>12.2}\n",
            s.study, s.power, s.type_s, s.type_m
        ));
    }
    let k = r.studies.len();
    let powered = r.studies.iter().filter(|s| s.power >= 0.8).count();
    let mut ms: Vec<f64> = r.studies.iter().map(|s| s.type_m).collect();
    ms.sort_by(f64::total_cmp);
    let median = if k == 0 {
        f64::NAN
    } else if k % 2 == 1 {
        ms[k / 2]
    } else {
        0.5 * (ms[k / 2 - 1] + ms[k / 2])
    };
    out.push_str(&format!(
        "  {powered} of the {k} studies had 80% power; a significant study of this literature would overstate the effect {median:.2}-fold (median exaggeration)\n"
    ));
    out
}
