//! The serde mirror of the scenario TOML: what a user may write, with the
//! defaults of INTERFACE.md filled in. Serialising it gives
//! `scenario.resolved.toml`. Validation lives in `scenario/mod.rs`.
//! Field names are the TOML keys; their meaning, units and defaults are
//! documented in INTERFACE.md and in the commented default scenario.
#![allow(missing_docs)]

use serde::{Deserialize, Serialize};

fn default_seed() -> u64 {
    1
}
fn default_replicates() -> u64 {
    10_000
}
fn default_label() -> String {
    "outcome".to_string()
}
fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}
fn default_alpha() -> f64 {
    0.05
}

/// The whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_replicates")]
    pub replicates: u64,
    pub outcome: OutcomeFile,
    pub visits: VisitsFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placebo: Option<PlaceboFile>,
    pub effect: EffectFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heterogeneity: Option<HeterogeneityFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<DropoutFile>,
    pub design: DesignFile,
    pub analysis: AnalysisFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_analysis: Option<MetaFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety: Option<SafetyFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder_endpoint: Option<ResponderFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forking_paths: Option<ForkingFile>,
}

/// `[forking_paths]`: the analyses a trialist could have reported. Each
/// key defaults to the primary analysis' own (every visit for `visits`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForkingFile {
    /// `"all"` or a list of visit months (checked by validation, which
    /// words its own errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visits: Option<toml::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<MethodFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<Missing>>,
}

/// `[outcome]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeFile {
    #[serde(default = "default_label")]
    pub label: String,
    #[serde(default = "yes")]
    pub lower_is_better: bool,
    pub mu0: f64,
    pub subject_sd: f64,
    pub residual_sd: f64,
    pub rho: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default)]
    pub resolution: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcid: Option<f64>,
}

/// `[visits]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitsFile {
    pub months: Vec<f64>,
    pub primary: f64,
}

/// Onset shape of a time profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Onset {
    /// Ramp from 0 at month 0 to 1 at `onset_months`.
    #[default]
    Linear,
    /// `1 - exp(-t / onset_months)`.
    Exponential,
}

/// `[placebo]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceboFile {
    pub peak: f64,
    #[serde(default)]
    pub onset: Onset,
    #[serde(default)]
    pub onset_months: f64,
    #[serde(default)]
    pub plateau_until: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_months: Option<f64>,
    #[serde(default)]
    pub tau: f64,
}

/// `[effect]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectFile {
    pub peak: f64,
    #[serde(default)]
    pub onset: Onset,
    #[serde(default)]
    pub onset_months: f64,
    #[serde(default)]
    pub plateau_until: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_months: Option<f64>,
    #[serde(default)]
    pub patient_sd: f64,
    #[serde(default = "one")]
    pub responder_fraction: f64,
}

/// `[heterogeneity]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeterogeneityFile {
    #[serde(default)]
    pub tau: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_study: Option<SmallStudyFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<FactorFile>,
}

/// `heterogeneity.small_study`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmallStudyFile {
    pub below: u64,
    pub bias: f64,
}

/// One `[[heterogeneity.factors]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorFile {
    pub name: String,
    pub levels: Vec<LevelFile>,
}

/// One level of a protocol factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelFile {
    pub name: String,
    pub weight: f64,
    #[serde(default)]
    pub shift: f64,
    #[serde(default)]
    pub bias: f64,
}

/// Dropout mechanism (MODEL.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// No dropout.
    None,
    /// Missing completely at random.
    Mcar,
    /// Missing at random: depends on the last observed value.
    Mar,
    /// Missing not at random: depends on the current, unobserved value.
    Mnar,
}

impl Mechanism {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::None => "none",
            Mechanism::Mcar => "mcar",
            Mechanism::Mar => "mar",
            Mechanism::Mnar => "mnar",
        }
    }
}

/// `[dropout]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DropoutFile {
    pub mechanism: Mechanism,
    /// Required unless `mechanism = "none"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_rate: Option<f64>,
    #[serde(default = "one")]
    pub arm_odds_ratio: f64,
    #[serde(default)]
    pub beta: f64,
}

/// `[design]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignFile {
    pub n_per_arm: u64,
    #[serde(default = "one")]
    pub allocation: f64,
}

/// `analysis.method` as written: the validated [`super::Method`] has no
/// reserved values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodFile {
    /// Welch t-test on change from baseline.
    WelchChange,
    /// OLS of the follow-up value on arm and baseline.
    Ancova,
    /// Mixed model for repeated measures (REML, unstructured covariance).
    Mmrm,
}

/// MMRM's within-patient covariance: one unstructured matrix for both
/// arms, or one per arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Covariance {
    /// One unstructured matrix for both arms.
    #[default]
    Common,
    /// One unstructured matrix per arm (SAS's `REPEATED / GROUP=arm`).
    ByArm,
}

/// Missing-data handling at the analysed visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Analyse the patients observed at the visit.
    #[default]
    CompleteCase,
    /// Last observed post-baseline value carried forward (baseline if none).
    Locf,
    /// Baseline carried forward for anyone missing.
    Bocf,
}

/// One- or two-sided testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sided {
    /// Two-sided p and a `1 - alpha` CI.
    #[default]
    Two,
    /// One-sided p in the favourable direction and a two-sided `1 - 2 alpha` CI.
    One,
}

/// `analysis.hypothesis` as written: what a trial sets out to show (the
/// validated [`super::Hypothesis`] carries the margin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HypothesisFile {
    /// The treatment differs from control (the test of `sided`).
    #[default]
    Superiority,
    /// The treatment is worse than control by less than `margin`.
    Noninferiority,
    /// The difference lies within ± `margin` (two one-sided tests).
    Equivalence,
}

impl HypothesisFile {
    fn is_superiority(&self) -> bool {
        *self == HypothesisFile::Superiority
    }
}

/// `[analysis]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisFile {
    pub method: MethodFile,
    #[serde(default)]
    pub missing: Missing,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default)]
    pub sided: Sided,
    /// Written to `scenario.resolved.toml` only when it is not the default
    /// superiority, so that the resolved file (and `state.json`, which
    /// `run --add-replicates` compares) of every earlier scenario is unchanged.
    #[serde(default, skip_serializing_if = "HypothesisFile::is_superiority")]
    pub hypothesis: HypothesisFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    #[serde(default = "yes")]
    pub by_visit: bool,
    #[serde(default)]
    pub replication: bool,
    #[serde(default)]
    pub fast_path: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mmrm_covariance: Option<Covariance>,
}

fn default_estimator() -> super::Estimator {
    super::Estimator::Reml
}

/// What each published trial of a simulated literature reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    /// Its primary analysis.
    #[default]
    Primary,
    /// Its most significant path of `[forking_paths]`.
    Best,
}

impl Report {
    fn is_primary(&self) -> bool {
        *self == Report::Primary
    }
}

/// `[meta_analysis]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaFile {
    pub trials: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_median: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_p95: Option<f64>,
    #[serde(default = "default_estimator")]
    pub estimator: super::Estimator,
    #[serde(default)]
    pub hartung_knapp: bool,
    #[serde(default = "one")]
    pub publish_nonsignificant: f64,
    /// Written out only when not the default, so that earlier scenarios'
    /// resolved files (and states) are unchanged.
    #[serde(default, skip_serializing_if = "Report::is_primary")]
    pub report: Report,
    /// Protocol factors (`[[heterogeneity.factors]]` names) whose
    /// subgroups each literature is analysed by; written out only when
    /// given, like `report`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subgroups: Vec<String>,
}

fn default_rule_out() -> f64 {
    0.01
}

/// `[safety]`: per-patient probabilities, over the whole trial, of at least
/// one serious and at least one mild adverse event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafetyFile {
    pub serious_treatment: f64,
    #[serde(default)]
    pub serious_control: f64,
    #[serde(default)]
    pub mild_treatment: f64,
    #[serde(default)]
    pub mild_control: f64,
    #[serde(default = "default_rule_out")]
    pub rule_out: f64,
}

fn default_true() -> bool {
    true
}

/// `[responder_endpoint]`: who counts as a responder at the primary visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponderFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_points: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_percent: Option<f64>,
    #[serde(default = "default_true")]
    pub missing_as_nonresponse: bool,
}

/// The scalar keys whose values are integers (what `size` can search).
pub const INTEGER_KEYS: [&str; 3] = [
    "design.n_per_arm",
    "meta_analysis.trials",
    "heterogeneity.small_study.below",
];

/// Valid keys below a (dotted, index-free) parent path, for "did you mean" hints.
pub fn known_keys(parent: &str) -> &'static [&'static str] {
    match parent {
        "" => &[
            "name",
            "seed",
            "replicates",
            "outcome",
            "visits",
            "placebo",
            "effect",
            "heterogeneity",
            "dropout",
            "design",
            "analysis",
            "sweep",
            "meta_analysis",
            "safety",
            "responder_endpoint",
            "forking_paths",
        ],
        "outcome" => &[
            "label",
            "lower_is_better",
            "mu0",
            "subject_sd",
            "residual_sd",
            "rho",
            "min",
            "max",
            "resolution",
            "inclusion",
            "mcid",
        ],
        "visits" => &["months", "primary"],
        "placebo" => &[
            "peak",
            "onset",
            "onset_months",
            "plateau_until",
            "half_life_months",
            "tau",
        ],
        "effect" => &[
            "peak",
            "onset",
            "onset_months",
            "plateau_until",
            "half_life_months",
            "patient_sd",
            "responder_fraction",
        ],
        "heterogeneity" => &["tau", "small_study", "factors"],
        "heterogeneity.small_study" => &["below", "bias"],
        "heterogeneity.factors" => &["name", "levels"],
        "heterogeneity.factors.levels" => &["name", "weight", "shift", "bias"],
        "dropout" => &["mechanism", "monthly_rate", "arm_odds_ratio", "beta"],
        "design" => &["n_per_arm", "allocation"],
        "meta_analysis" => &[
            "trials",
            "sizes",
            "size_median",
            "size_p95",
            "estimator",
            "hartung_knapp",
            "publish_nonsignificant",
            "report",
            "subgroups",
        ],
        "safety" => &[
            "serious_treatment",
            "serious_control",
            "mild_treatment",
            "mild_control",
            "rule_out",
        ],
        "responder_endpoint" => &["min_points", "min_percent", "missing_as_nonresponse"],
        "forking_paths" => &["visits", "methods", "missing"],
        "analysis" => &[
            "method",
            "missing",
            "alpha",
            "sided",
            "hypothesis",
            "margin",
            "by_visit",
            "replication",
            "fast_path",
            "mmrm_covariance",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// A file that sets every key `known_keys` lists (values of the right
    /// type; it need not pass validation).
    const EVERY_KEY: &str = r#"
name = "all"
seed = 1
replicates = 10
[outcome]
label = "x"
lower_is_better = true
mu0 = 50.0
subject_sd = 10.0
residual_sd = 10.0
rho = 0.5
min = 0.0
max = 100.0
resolution = 1.0
inclusion = 40.0
mcid = 10.0
[visits]
months = [3.0, 6.0]
primary = 6.0
[placebo]
peak = -5.0
onset = "linear"
onset_months = 1.0
plateau_until = 3.0
half_life_months = 12.0
tau = 1.0
[effect]
peak = -5.0
onset = "exponential"
onset_months = 1.0
plateau_until = 3.0
half_life_months = 12.0
patient_sd = 1.0
responder_fraction = 0.5
[heterogeneity]
tau = 1.0
[heterogeneity.small_study]
below = 30
bias = -2.0
[[heterogeneity.factors]]
name = "cell_source"
[[heterogeneity.factors.levels]]
name = "adipose"
weight = 1.0
shift = -1.0
bias = 0.5
[dropout]
mechanism = "mar"
monthly_rate = 0.02
arm_odds_ratio = 2.0
beta = 0.1
[design]
n_per_arm = 20
allocation = 1.0
[analysis]
method = "ancova"
missing = "locf"
alpha = 0.05
sided = "two"
hypothesis = "noninferiority"
margin = 5.0
by_visit = true
replication = true
fast_path = false
mmrm_covariance = "by_arm"
[meta_analysis]
trials = 8
sizes = [10, 20]
size_median = 15.0
size_p95 = 40.0
estimator = "reml"
hartung_knapp = true
publish_nonsignificant = 0.5
report = "best"
subgroups = ["cell_source"]
[safety]
serious_treatment = 0.01
serious_control = 0.01
mild_treatment = 0.3
mild_control = 0.1
rule_out = 0.02
[responder_endpoint]
min_points = 20.0
min_percent = 50.0
missing_as_nonresponse = false
[forking_paths]
visits = "all"
methods = ["ancova"]
missing = ["locf"]
[sweep]
"design.n_per_arm" = [10, 20]
"#;

    /// Every key of `table` as `parent.key` paths (index-free), with the
    /// parent each key sits under.
    fn keys(table: &toml::Table, parent: &str, out: &mut BTreeSet<(String, String)>) {
        for (key, value) in table {
            out.insert((parent.to_string(), key.clone()));
            let path = if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            };
            match value {
                toml::Value::Table(t) if path != "sweep" => keys(t, &path, out),
                toml::Value::Array(items) => {
                    for item in items {
                        if let toml::Value::Table(t) = item {
                            keys(t, &path, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Every `(parent, key)` that `known_keys` lists, from the root down.
    fn known(parent: &str, out: &mut BTreeSet<(String, String)>) {
        for key in known_keys(parent) {
            out.insert((parent.to_string(), key.to_string()));
            let path = if parent.is_empty() {
                key.to_string()
            } else {
                format!("{parent}.{key}")
            };
            known(&path, out);
        }
    }

    /// The "did you mean" list, the serde structs and a file that uses every
    /// key agree: a key added to a struct but not to the list (or the other
    /// way round) fails here.
    #[test]
    fn the_known_keys_are_the_serde_structs_keys() {
        let mut table: toml::Table = toml::from_str(EVERY_KEY).unwrap();
        let mut written = BTreeSet::new();
        keys(&table, "", &mut written);
        let mut listed = BTreeSet::new();
        known("", &mut listed);
        let differ: Vec<_> = written.symmetric_difference(&listed).collect();
        assert!(
            differ.is_empty(),
            "EVERY_KEY and known_keys differ: {differ:?}"
        );
        // `[sweep]` is read by the study, not by the scenario's structs.
        table.remove("sweep");
        let mut ignored = Vec::new();
        let file: ScenarioFile =
            serde_ignored::deserialize(toml::Value::Table(table), |p| ignored.push(p.to_string()))
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            ignored.is_empty(),
            "listed but not in the structs: {ignored:?}"
        );
        // Every field of the structs, serialised back, is listed.
        let back: toml::Table = toml::Table::try_from(&file).unwrap();
        let mut fields = BTreeSet::new();
        keys(&back, "", &mut fields);
        let unlisted: Vec<_> = fields.difference(&listed).collect();
        assert!(
            unlisted.is_empty(),
            "in the structs but not listed: {unlisted:?}"
        );
        let lost: Vec<_> = listed.difference(&fields).collect();
        let sweep = (String::new(), "sweep".to_string());
        assert_eq!(lost, [&sweep], "every listed key but [sweep] round-trips");
    }
}
