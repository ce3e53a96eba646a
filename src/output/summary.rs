//! The run's numbers as text: `summary.json` (`trialsim.summary/1`),
//! `summary.csv` (INTERFACE.md) and the short human summary printed on stdout.

use crate::engine::{DesignPointResult, RunResult};
use crate::error::{Error, Naming, Result};
use crate::metrics::{Estimate, ForkingStep, Metric, Metrics, VisitMetrics};
use crate::output::format::{group_thousands, month_label};
use crate::scenario::Hypothesis;
use crate::simulate::{CONTROL, TREATMENT};
use serde::Serialize;
use std::collections::BTreeMap;

/// Schema tag of `summary.json`.
pub const SCHEMA: &str = "trialsim.summary/1";

#[derive(Serialize)]
struct SummaryJson<'a> {
    schema: &'static str,
    scenario: &'a str,
    seed: u64,
    replicates: u64,
    version: &'static str,
    design_points: Vec<DesignPointJson<'a>>,
}

#[derive(Serialize)]
struct DesignPointJson<'a> {
    params: BTreeMap<&'a str, &'a toml::Value>,
    path: &'static str,
    replicates: u64,
    truth: TruthJson,
    metrics: &'a Metrics,
    by_visit: &'a [VisitMetrics],
    /// With `[forking_paths]`: the two rates for the first 1, 2, … paths.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    forking_by_paths: &'a [ForkingStep],
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<&'a Metrics>,
    /// With `meta_analysis.subgroups`: per factor, the subgroup metrics of
    /// the simulated literatures.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    subgroups: BTreeMap<&'a str, &'a Metrics>,
    /// With `meta_analysis.subgroups`: per factor, per level (in the
    /// factor's order) its true shift and how often a review names it best.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    subgroup_levels: BTreeMap<&'a str, Vec<LevelJson<'a>>>,
    warnings: Vec<String>,
}

/// One level of a subgroup factor in `summary.json`.
#[derive(Serialize)]
struct LevelJson<'a> {
    level: &'a str,
    true_shift: f64,
    truly_best: bool,
    #[serde(flatten)]
    metrics: &'a Metrics,
}

#[derive(Serialize)]
struct TruthJson {
    month: f64,
    theta: f64,
    theta_by_visit: ByMonth,
    #[serde(skip_serializing_if = "Option::is_none")]
    safety: Option<SafetyTruthJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    responder: Option<ResponderTruthJson>,
}

/// The true responder rates at the primary visit, from the truth
/// simulation (`engine::truth`), with its Monte Carlo SE.
#[derive(Serialize)]
struct ResponderTruthJson {
    rate_control: f64,
    rate_treatment: f64,
    /// Treatment − control.
    risk_difference: f64,
    /// The SE of `risk_difference` from the simulation that computed it.
    risk_difference_mc_se: f64,
    /// 1 / risk_difference: patients treated per extra responder (negative:
    /// per extra non-responder); absent when the difference is 0.
    nnt: Option<f64>,
}

/// The exact values beside the simulated safety metrics of one trial.
#[derive(Serialize)]
struct SafetyTruthJson {
    /// `1 − (1 − serious_treatment)^n`: what `sae_any_treatment` estimates.
    sae_any_treatment: f64,
    /// 3/n, the rule of three, beside `sae_upper95_treatment`.
    rule_of_three: f64,
}

fn design_point_json(dp: &DesignPointResult, naming: Naming) -> DesignPointJson<'_> {
    DesignPointJson {
        params: dp.params.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        path: dp.path,
        replicates: dp.replicates,
        truth: TruthJson {
            month: dp.month,
            theta: dp.truth.theta,
            theta_by_visit: ByMonth(
                dp.truth
                    .theta_by_visit
                    .iter()
                    .zip(&dp.truth.months)
                    .map(|(&theta, &m)| (month_label(m), theta))
                    .collect(),
            ),
            responder: dp.truth.responder.map(|r| {
                let d = r.difference();
                ResponderTruthJson {
                    rate_control: r.rate[CONTROL],
                    rate_treatment: r.rate[TREATMENT],
                    risk_difference: d,
                    risk_difference_mc_se: r.mc_se,
                    nnt: (d != 0.0).then(|| 1.0 / d),
                }
            }),
            safety: dp.truth.safety.map(|s| {
                let n = dp.truth.n_arm[TREATMENT];
                SafetyTruthJson {
                    sae_any_treatment: s.any_serious(n),
                    rule_of_three: 3.0 / n as f64,
                }
            }),
        },
        metrics: &dp.metrics,
        by_visit: &dp.by_visit,
        forking_by_paths: &dp.forking,
        meta: dp.meta.as_ref(),
        subgroups: dp
            .subgroups
            .iter()
            .map(|f| (f.name.as_str(), &f.metrics))
            .collect(),
        subgroup_levels: dp
            .subgroups
            .iter()
            .map(|f| {
                let levels = f
                    .levels
                    .iter()
                    .map(|l| LevelJson {
                        level: &l.level,
                        true_shift: l.true_shift,
                        truly_best: l.truly_best,
                        metrics: &l.metrics,
                    })
                    .collect();
                (f.name.as_str(), levels)
            })
            .collect(),
        warnings: dp.warnings.iter().map(|w| w.render(naming)).collect(),
    }
}

/// `summary.json` text (pretty-printed, ends with a newline); its warnings
/// name run settings under `naming` (the command line writes flags).
pub fn summary_json(result: &RunResult, naming: Naming) -> String {
    let doc = SummaryJson {
        schema: SCHEMA,
        scenario: &result.scenario,
        seed: result.seed,
        replicates: result.replicates,
        version: env!("CARGO_PKG_VERSION"),
        design_points: result
            .design_points
            .iter()
            .map(|dp| design_point_json(dp, naming))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("summary serialises to JSON");
    text.push('\n');
    text
}

/// `(month, theta)` pairs serialised as a JSON object keyed by month, in visit order.
struct ByMonth(Vec<(String, f64)>);

impl Serialize for ByMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `summary.csv` text: one row per design point, group and metric.
pub fn summary_csv(result: &RunResult) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let swept: Vec<&str> = result
        .design_points
        .first()
        .map(|dp| dp.params.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let mut header: Vec<&str> = swept.clone();
    header.extend(["group", "month", "metric", "estimate", "mc_se", "n"]);
    let csv_err = |e: csv::Error| Error::Internal(format!("writing summary.csv: {e}"));
    w.write_record(&header).map_err(csv_err)?;
    let cell = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for dp in &result.design_points {
        let params: Vec<String> = dp.params.iter().map(|(_, v)| toml_cell(v)).collect();
        let mut row = |group: &str, month: f64, name: &Metric, e: &Estimate| {
            let mut r = params.clone();
            r.extend([
                group.to_string(),
                month_label(month),
                name.to_string(),
                cell(e.estimate),
                cell(e.mc_se),
                e.n.to_string(),
            ]);
            w.write_record(&r)
        };
        for (name, e) in &dp.metrics.0 {
            row("trial", dp.month, name, e).map_err(csv_err)?;
        }
        for v in &dp.by_visit {
            for (name, e) in &v.metrics.0 {
                row("by_visit", v.month, name, e).map_err(csv_err)?;
            }
        }
        for (name, e) in dp.meta.iter().flat_map(|m| &m.0) {
            row("meta", dp.month, name, e).map_err(csv_err)?;
        }
        for factor in &dp.subgroups {
            for (name, e) in &factor.metrics.0 {
                row(&format!("subgroups:{}", factor.name), dp.month, name, e).map_err(csv_err)?;
            }
            for level in &factor.levels {
                let group = format!("subgroups:{}:{}", factor.name, level.level);
                for (name, e) in &level.metrics.0 {
                    row(&group, dp.month, name, e).map_err(csv_err)?;
                }
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("writing summary.csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("summary.csv: {e}")))
}

fn toml_cell(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// With selective publication, the corrections for publication bias
/// against the true average effect: one row each, bias, RMSE, coverage and
/// the share of literatures where it could not be computed.
fn corrections_table(meta: &crate::metrics::Metrics) -> String {
    use crate::output::format::CORRECTIONS;
    let cell = |stat: &str, c: &str| {
        Metric::from_name(&format!("meta_{stat}_{c}"))
            .and_then(|m| meta.get(m))
            .and_then(|e| e.plus_minus(3))
    };
    let rows: Vec<String> = CORRECTIONS
        .iter()
        .filter_map(|(_, c)| {
            let cells = [
                cell("bias", c)?,
                cell("rmse", c)?,
                cell("coverage", c)?,
                cell("failed", c).unwrap_or_else(|| "—".into()),
            ];
            Some(format!(
                "    {c:<12} {:<18} {:<18} {:<16} {}\n",
                cells[0], cells[1], cells[2], cells[3]
            ))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "  corrections for publication bias, against the true average effect:\n    {:<12} {:<18} {:<18} {:<16} failed\n{}",
        "",
        "bias",
        "rmse",
        "coverage",
        rows.concat()
    )
}

/// The short human summary printed by `run`: every headline metric for one
/// design point, or a table with one row per design point for a sweep.
pub fn text_summary(result: &RunResult) -> String {
    let fmt = |e: Option<&Estimate>| {
        e.and_then(|e| e.plus_minus(3))
            .unwrap_or_else(|| "undefined".into())
    };
    let mut out = String::new();
    if let [dp] = result.design_points.as_slice() {
        out.push_str(&format!(
            "{}: R = {}, seed {}, primary visit month {}, true effect theta = {:.3}\n",
            result.scenario,
            group_thousands(dp.replicates),
            result.seed,
            month_label(dp.month),
            dp.truth.theta
        ));
        let hypothesis = dp.truth.hypothesis;
        if let Some(line) = hypothesis_line(&[hypothesis], dp.truth.alpha) {
            out.push_str(&line);
        }
        let headline: &[Metric] = if hypothesis.is_superiority() {
            &HEADLINE
        } else {
            &MARGIN_HEADLINE
        };
        for &name in headline {
            if let Some(e) = dp.metrics.get(name) {
                let n = if e.estimate.is_some() {
                    format!(" (MC SE, n = {})", e.n)
                } else {
                    String::new()
                };
                out.push_str(&format!("  {name:<18} {}{n}\n", fmt(Some(e))));
            }
        }
        if dp.metrics.get(Metric::SaeAnyTreatment).is_some() {
            out.push_str("  safety:\n");
            for name in SAFETY_HEADLINE {
                if let Some(e) = dp.metrics.get(name) {
                    out.push_str(&format!("    {name:<30} {}\n", fmt(Some(e))));
                }
            }
        }
        if dp.metrics.get(Metric::ForkingPaths).is_some() {
            out.push_str("  forking paths (any analysis may be reported):\n");
            for name in FORKING_HEADLINE {
                if let Some(e) = dp.metrics.get(name) {
                    out.push_str(&format!("    {name:<30} {}\n", fmt(Some(e))));
                }
            }
        }
        if let Some(meta) = &dp.meta {
            out.push_str("  meta-analysis of the simulated literature:\n");
            for name in META_HEADLINE.iter().chain(&SAFETY_HEADLINE) {
                if let Some(e) = meta.get(*name) {
                    out.push_str(&format!("    {name:<30} {}\n", fmt(Some(e))));
                }
            }
            out.push_str(&corrections_table(meta));
        }
        for factor in &dp.subgroups {
            out.push_str(&format!(
                "  subgroup claims by {} (the review's subgroup analysis):\n",
                factor.name
            ));
            for name in SUBGROUP_HEADLINE {
                if let Some(e) = factor.metrics.get(name) {
                    out.push_str(&format!("    {name:<30} {}\n", fmt(Some(e))));
                }
            }
        }
        return out;
    }
    let Some(first) = result.design_points.first() else {
        return out;
    };
    out.push_str(&format!(
        "{}: R = {} per design point, seed {}, primary visit month {} (± MC SE)\n",
        result.scenario,
        group_thousands(result.replicates),
        result.seed,
        month_label(first.month),
    ));
    let hypotheses: Vec<Hypothesis> = result
        .design_points
        .iter()
        .map(|d| d.truth.hypothesis)
        .collect();
    if let Some(line) = hypothesis_line(&hypotheses, first.truth.alpha) {
        out.push_str(&line);
    }
    let columns = sweep_columns(result);
    let mut header: Vec<String> = first.params.iter().map(|(k, _)| k.clone()).collect();
    header.extend(columns.iter().map(|c| c.to_string()));
    let forking = first.metrics.get(Metric::ForkingPaths).is_some();
    if forking {
        header.push("forking_any_significant".to_string());
    }
    if first.meta.is_some() {
        header.push("meta significant".to_string());
    }
    let rows: Vec<Vec<String>> = result
        .design_points
        .iter()
        .map(|dp| {
            let mut row: Vec<String> = dp.params.iter().map(|(_, v)| toml_cell(v)).collect();
            row.extend(columns.iter().map(|c| fmt(dp.metrics.get(*c))));
            if forking {
                row.push(fmt(dp.metrics.get(Metric::ForkingAnySignificant)));
            }
            if let Some(m) = &dp.meta {
                row.push(fmt(m.get(Metric::Significant)));
            }
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
    out
}

/// The hypothesis of non-inferiority and equivalence runs, as a line of the
/// terminal summary: none when a design point tests superiority (its
/// summary is as it was); the margin when every point has the same one.
fn hypothesis_line(points: &[Hypothesis], alpha: f64) -> Option<String> {
    let first = *points.first()?;
    let same_margin = points.iter().all(|h| *h == first);
    let margin = |m: f64| {
        if same_margin {
            format!("{m}")
        } else {
            "as swept".to_string()
        }
    };
    let what = match first {
        Hypothesis::Superiority => return None,
        _ if points.iter().any(|h| h.name() != first.name()) => return None,
        Hypothesis::NonInferiority { margin: m } => {
            format!("non-inferiority, margin {}", margin(m))
        }
        Hypothesis::Equivalence { margin: m } => {
            format!("equivalence within ±{} (TOST)", margin(m))
        }
    };
    Some(format!(
        "  hypothesis: {what}, one-sided alpha {alpha}; power is the share of trials that make the claim\n"
    ))
}

/// The metrics a sweep's table shows per design point (terminal and report):
/// [`SWEEP_COLUMNS`], or [`MARGIN_COLUMNS`] when every design point tests
/// non-inferiority or equivalence (type M and the MCID claims do not apply).
pub(crate) fn sweep_columns(result: &RunResult) -> &'static [Metric] {
    if result
        .design_points
        .iter()
        .all(|d| !d.truth.hypothesis.is_superiority())
    {
        &MARGIN_COLUMNS
    } else {
        &SWEEP_COLUMNS
    }
}

/// The metrics a sweep's table shows per design point under superiority.
const SWEEP_COLUMNS: [Metric; 5] = [
    Metric::Power,
    Metric::TypeM,
    Metric::Coverage,
    Metric::Bias,
    Metric::ClaimTrue,
];

/// The same under non-inferiority and equivalence.
const MARGIN_COLUMNS: [Metric; 5] = [
    Metric::Power,
    Metric::Coverage,
    Metric::Bias,
    Metric::CiHalfwidth,
    Metric::NotEstimable,
];

/// The metrics the one-design-point summary shows under non-inferiority
/// and equivalence.
const MARGIN_HEADLINE: [Metric; 6] = [
    Metric::Power,
    Metric::Bias,
    Metric::Coverage,
    Metric::CiHalfwidth,
    Metric::ReplicationSame,
    Metric::NotEstimable,
];

/// The meta-analysis metrics the one-design-point summary shows.
const META_HEADLINE: [Metric; 8] = [
    Metric::Significant,
    Metric::Coverage,
    Metric::CoverageHksj,
    Metric::I2,
    Metric::SignificantPiIncludesZero,
    Metric::TypeM,
    Metric::EggerDetects,
    Metric::TrialsRun,
];

/// The forking-paths metrics the one-design-point summary shows.
const SUBGROUP_HEADLINE: [Metric; 5] = [
    Metric::SubgroupSignificant,
    Metric::SubgroupBestCorrect,
    Metric::SubgroupClaimedWrong,
    Metric::SubgroupDiffTypeM,
    Metric::SubgroupLevelsMissing,
];

const FORKING_HEADLINE: [Metric; 4] = [
    Metric::ForkingPaths,
    Metric::ForkingAnySignificant,
    Metric::HolmAnySignificant,
    Metric::ForkingTypeM,
];

/// The safety metrics the one-design-point summary shows, for the trial
/// and for the literature, with `[safety]`.
const SAFETY_HEADLINE: [Metric; 5] = [
    Metric::SaeAnyTreatment,
    Metric::SaeUpper95Treatment,
    Metric::SaeRuledOut,
    Metric::MildAePower,
    Metric::TreatedPatients,
];

/// The metrics the one-design-point summary shows.
const HEADLINE: [Metric; 10] = [
    Metric::Power,
    Metric::PowerFavourable,
    Metric::TypeS,
    Metric::TypeM,
    Metric::Bias,
    Metric::Coverage,
    Metric::McidClaim,
    Metric::ClaimTrue,
    Metric::ReplicationSame,
    Metric::NotEstimable,
];
