//! `trialsim size`: the smallest (or largest) value of a parameter at which
//! every requirement holds — power at least a target, the exaggeration
//! ratio or the interval's half-width at most a limit, any metric.
//!
//! Every value is simulated with common random numbers (MODEL.md §5):
//! patient 7 of replicate 42 is the same person at every value, which makes
//! the estimated curves smooth, though not guaranteed monotone.
//!
//! - An integer parameter (`design.n_per_arm`, …) is bisected exactly: the
//!   answer and the value next to it that fails are both simulated, and the
//!   value beyond the answer is checked too (a warning says when it fails).
//! - A continuous parameter (`effect.peak`, `heterogeneity.tau`,
//!   `dropout.monthly_rate`, …) is found by a stochastic root-find: bisection
//!   on the same simulated trials, stopped when the bracket's two ends differ
//!   in the binding metric by at most [`STOP_SE`] Monte Carlo SEs (a finer
//!   bracket would only resolve Monte Carlo noise). The answer is the end
//!   that meets every requirement, with an interval: the values whose binding
//!   metric lies within 2 MC SEs of its limit (interpolated linearly between
//!   the evaluated values) — where the answer would move with other seeds.
//!
//! For `effect.peak` the search runs over the magnitude in the favourable
//! direction (`lower_is_better` gives the sign; two-sided power is U-shaped
//! in the signed peak), by default from 0 to 5 total SDs of the outcome
//! (`sqrt(subject_sd² + residual_sd²)`); answers and evaluated values are
//! the signed peak.

use crate::engine::{DesignPointResult, Progress, RunOptions, RunResult, run_with_progress};
use crate::error::{Error, Message, Result, Setting};
use crate::metrics::{Estimate, Metric};
use crate::scenario::Study;
use serde::Serialize;

/// Which end of the passing values `size` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The smallest value that meets every requirement (a sample size, a
    /// detectable effect).
    #[default]
    Smallest,
    /// The largest value that still meets them (tolerable heterogeneity or
    /// dropout).
    Largest,
}

impl std::str::FromStr for Direction {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text.trim() {
            "smallest" => Ok(Direction::Smallest),
            "largest" => Ok(Direction::Largest),
            _ => Err(Error::setting(
                Setting::Direction,
                text,
                "must be smallest or largest",
            )),
        }
    }
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Smallest => "smallest",
            Direction::Largest => "largest",
        }
    }
}

/// How a requirement compares its metric with its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// `>=`
    #[serde(rename = ">=")]
    AtLeast,
    /// `>`
    #[serde(rename = ">")]
    Above,
    /// `<=`
    #[serde(rename = "<=")]
    AtMost,
    /// `<`
    #[serde(rename = "<")]
    Below,
}

impl Comparison {
    /// Its symbol, as written on the command line.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::Above => ">",
            Comparison::AtMost => "<=",
            Comparison::Below => "<",
        }
    }

    fn holds(self, x: f64, limit: f64) -> bool {
        match self {
            Comparison::AtLeast => x >= limit,
            Comparison::Above => x > limit,
            Comparison::AtMost => x <= limit,
            Comparison::Below => x < limit,
        }
    }

    fn is_ceiling(self) -> bool {
        matches!(self, Comparison::AtMost | Comparison::Below)
    }
}

/// One requirement, `METRIC op LIMIT`, e.g. `power>=0.8`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Requirement {
    /// The metric (any metric of the design point: the trial's, then the
    /// simulated literature's).
    #[serde(serialize_with = "metric_name")]
    pub metric: Metric,
    /// The comparison.
    pub comparison: Comparison,
    /// The limit.
    pub limit: f64,
}

fn metric_name<S: serde::Serializer>(m: &Metric, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(m.name())
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.metric,
            self.comparison.symbol(),
            self.limit
        )
    }
}

impl std::str::FromStr for Requirement {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bad = |what: String| Error::setting(Setting::Require, text, what);
        let form = "must be a metric, a comparison (>=, >, <=, <) and a number, e.g. power>=0.8";
        let at = text.find(['<', '>']).ok_or_else(|| bad(form.to_string()))?;
        let (name, rest) = text.split_at(at);
        let (comparison, limit) = if let Some(l) = rest.strip_prefix(">=") {
            (Comparison::AtLeast, l)
        } else if let Some(l) = rest.strip_prefix("<=") {
            (Comparison::AtMost, l)
        } else if let Some(l) = rest.strip_prefix('>') {
            (Comparison::Above, l)
        } else {
            (Comparison::Below, &rest[1..])
        };
        let name = name.trim();
        let metric = Metric::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            let hint = crate::scenario::suggest(name, &names)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            bad(format!(
                "unknown metric {name:?}{hint} (the metrics are the names in summary.csv)"
            ))
        })?;
        let limit: f64 = limit
            .trim()
            .parse()
            .ok()
            .filter(|l: &f64| l.is_finite())
            .ok_or_else(|| bad(form.to_string()))?;
        Ok(Requirement {
            metric,
            comparison,
            limit,
        })
    }
}

impl Requirement {
    /// The metric at a design point (the trial's, then the literature's).
    fn estimate(&self, dp: &DesignPointResult) -> Option<Estimate> {
        dp.metrics
            .get(self.metric)
            .or_else(|| dp.meta.as_ref().and_then(|m| m.get(self.metric)))
            .copied()
    }

    /// Whether it holds at a design point. An undefined exaggeration ratio
    /// (no significant trial) meets a ceiling — no trial exaggerates; any
    /// other undefined metric fails.
    fn holds(&self, dp: &DesignPointResult) -> bool {
        match self.estimate(dp).and_then(|e| e.estimate) {
            Some(x) => self.comparison.holds(x, self.limit),
            None => {
                self.comparison.is_ceiling()
                    && matches!(
                        self.metric,
                        Metric::TypeM | Metric::TypeMTrial | Metric::ResponderTypeM
                    )
            }
        }
    }

    /// Whether its metric lies within 2 MC SEs of the limit.
    fn near(&self, dp: &DesignPointResult) -> bool {
        self.estimate(dp)
            .and_then(|e| e.estimate.zip(e.mc_se))
            .is_some_and(|(x, se)| (x - self.limit).abs() <= 2.0 * se)
    }
}

/// What `size` searches for.
#[derive(Debug, Clone, Default)]
pub struct SizeOptions {
    /// Dotted path of the parameter.
    pub param: String,
    /// Shorthand for `power >= P`.
    pub target_power: Option<f64>,
    /// Shorthand for `type_m <= M`.
    pub max_type_m: Option<f64>,
    /// Further requirements, in the order given.
    pub require: Vec<Requirement>,
    /// Smallest value searched (for `effect.peak`, the smallest magnitude);
    /// `None` for the parameter's default.
    pub min: Option<f64>,
    /// Largest value searched; `None` for the parameter's default.
    pub max: Option<f64>,
    /// Which end of the passing values to answer with.
    pub direction: Direction,
}

/// A value of the searched parameter: a whole number for an integer key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// An integer key's value.
    Integer(i64),
    /// A continuous key's value.
    Real(f64),
}

impl Value {
    /// Full precision, for tables.
    pub fn to_string_full(self) -> String {
        match self {
            Value::Integer(i) => i.to_string(),
            Value::Real(x) => x.to_string(),
        }
    }

    /// As a number.
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Integer(i) => i as f64,
            Value::Real(x) => x,
        }
    }

    /// As a TOML value.
    pub fn toml(self) -> toml::Value {
        match self {
            Value::Integer(i) => toml::Value::Integer(i),
            Value::Real(x) => toml::Value::Float(x),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(x) => f.write_str(&significant(*x, 4)),
        }
    }
}

/// `x` with `digits` significant digits, without trailing zeros.
pub fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// An estimate as `size --json` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerJson {
    /// The estimate.
    pub estimate: f64,
    /// Its Monte Carlo SE.
    pub mc_se: f64,
}

impl RequirementResult {
    /// Its metric at the answer and at the neighbour as "x ± se" (the
    /// project's one format, [`Estimate::plus_minus`]): four decimals for
    /// power, three for any other metric; `None` where it is undefined.
    pub fn shown(&self) -> [Option<String>; 2] {
        let decimals = if self.requirement.metric == Metric::Power {
            4
        } else {
            3
        };
        [self.at_value, self.at_neighbour].map(|e| {
            e.and_then(|e| {
                Estimate {
                    estimate: Some(e.estimate),
                    mc_se: Some(e.mc_se),
                    n: 0,
                }
                .plus_minus(decimals)
            })
        })
    }
}

/// A requirement and its metric at the answer and at the value next to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementResult {
    /// The requirement.
    #[serde(flatten)]
    pub requirement: Requirement,
    /// Its metric at the answer (null when undefined there).
    pub at_value: Option<PowerJson>,
    /// Its metric at the value next to the answer that fails (null when
    /// undefined or not evaluated).
    pub at_neighbour: Option<PowerJson>,
}

/// The answer of `size`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeAnswer {
    /// The parameter searched.
    pub param: String,
    /// Which end was asked for.
    pub direction: Direction,
    /// The answer: the smallest (largest) value meeting every requirement.
    pub value: Value,
    /// Continuous parameters: the values whose binding metric lies within 2
    /// MC SEs of its limit, `[low, high]` (absent for integer parameters,
    /// whose neighbours are both simulated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
    /// Power at `value`.
    pub power: PowerJson,
    /// The value next to the answer that fails (below it when searching for
    /// the smallest, above it for the largest): for an integer key the
    /// adjacent integer, for a continuous one the other end of the final
    /// bracket; null when the answer is where the search started.
    #[serde(rename = "value_below")]
    pub neighbour: Option<Value>,
    /// Power at the neighbour.
    #[serde(rename = "power_below")]
    pub power_neighbour: Option<PowerJson>,
    /// Every requirement with its metric at the answer and the neighbour.
    pub requirements: Vec<RequirementResult>,
    /// With `max_type_m`: the exaggeration ratio at `value` (null when no
    /// trial there is significant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_m: Option<Option<PowerJson>>,
    /// With `max_type_m`: the exaggeration ratio at the neighbour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_m_below: Option<Option<PowerJson>>,
    /// With two or more requirements: the metric of the first requirement
    /// the neighbour fails (`"power"`, `"type_m"`, …); null when there is
    /// no neighbour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Option<&'static str>>,
    /// Whether a requirement's metric at the answer or at its neighbour lies
    /// within 2 MC SEs of its limit.
    pub within_mc_error: bool,
    /// Warnings (non-monotone estimates near the answer).
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// The range searched (for `effect.peak`, of the magnitude).
    #[serde(skip)]
    pub range: [f64; 2],
}

impl SizeAnswer {
    /// `smallest` or `largest`.
    pub fn direction_word(&self) -> &'static str {
        self.direction.word()
    }

    /// The search's settings as run settings (parameter, direction, each
    /// requirement, range), to rerun it.
    pub fn settings(&self) -> Message {
        let mut m = Message::from("")
            .setting(Setting::Param)
            .then(format!(" {} ", self.param))
            .setting(Setting::Direction)
            .then(format!(" {}", self.direction.word()));
        for r in &self.requirements {
            let r = r.requirement;
            m = m.then(" ").setting(Setting::Require).then(format!(
                " '{}{}{}'",
                r.metric,
                r.comparison.symbol(),
                r.limit
            ));
        }
        m.then(" ")
            .setting(Setting::Min)
            .then(format!(" {} ", self.range[0]))
            .setting(Setting::Max)
            .then(format!(" {}", self.range[1]))
    }
}

/// The bracket's ends differ by at most this many MC SEs when a continuous
/// search stops.
pub const STOP_SE: f64 = 0.4;
/// Bisection steps of a continuous search at most.
const MAX_STEPS: usize = 60;

/// The requirements of `opts`, shorthands first (`--target-power` is
/// `power >= P`, `--max-type-m` is `type_m <= M`).
///
/// # Errors
/// [`Error::Setting`] for a shorthand out of range, or no requirement at all.
pub fn requirements(opts: &SizeOptions) -> Result<Vec<Requirement>> {
    let mut all = Vec::new();
    if let Some(p) = opts.target_power {
        if !(p > 0.0 && p < 1.0) {
            return Err(Error::setting(Setting::TargetPower, p, "must be in (0, 1)"));
        }
        all.push(Requirement {
            metric: Metric::Power,
            comparison: Comparison::AtLeast,
            limit: p,
        });
    }
    if let Some(m) = opts.max_type_m {
        if !(m >= 1.0 && m.is_finite()) {
            return Err(Error::setting(
                Setting::MaxTypeM,
                m,
                "must be a finite ratio >= 1",
            ));
        }
        all.push(Requirement {
            metric: Metric::TypeM,
            comparison: Comparison::AtMost,
            limit: m,
        });
    }
    all.extend(opts.require.iter().copied());
    if all.is_empty() {
        return Err(Error::Setting(
            Message::from("size needs a target: ")
                .setting(Setting::TargetPower)
                .then(" P, or ")
                .setting(Setting::Require)
                .then(" 'METRIC>=X' (repeatable)"),
        ));
    }
    Ok(all)
}

/// The parameter searched: its key, whether it is an integer key, its
/// range and how a search value becomes the key's value.
struct Param {
    key: String,
    integer: bool,
    lo: f64,
    hi: f64,
    /// `effect.peak`: the search runs over the magnitude; the key's value is
    /// `sign · magnitude`.
    sign: f64,
}

impl Param {
    fn new(study: &Study, opts: &SizeOptions) -> Result<Param> {
        crate::scenario::sweep::check_path(&opts.param)
            .map_err(|e| unknown_key_of(Setting::Param, e))?;
        let key = opts.param.clone();
        if let Some(v) = study.base_value(&key)
            && !(v.is_integer() || v.is_float())
        {
            return Err(Error::setting(
                Setting::Param,
                &key,
                format!("must name a numeric parameter ({key} is {v})"),
            ));
        }
        let integer = crate::scenario::file::INTEGER_KEYS.contains(&key.as_str());
        let sc = &study.base_scenario().outcome;
        let total_sd = sc.subject_sd.hypot(sc.residual_sd);
        let (default, sign) = match key.as_str() {
            _ if integer => (Some((2.0, 1000.0)), 1.0),
            "effect.peak" => (Some((0.0, 5.0 * total_sd)), sc.s),
            "heterogeneity.tau" => (Some((0.0, 5.0 * total_sd)), 1.0),
            "dropout.monthly_rate" => (Some((0.0, 0.5)), 1.0),
            _ => (None, 1.0),
        };
        let (lo, hi) = match (opts.min, opts.max, default) {
            (Some(a), Some(b), _) => (a, b),
            (a, b, Some((da, db))) => (a.unwrap_or(da), b.unwrap_or(db)),
            _ => {
                return Err(Error::Setting(
                    Message::from(Setting::Param)
                        .then(format!(" {key}: give the range to search with "))
                        .setting(Setting::Min)
                        .then(" and ")
                        .setting(Setting::Max),
                ));
            }
        };
        for (setting, v) in [(Setting::Min, lo), (Setting::Max, hi)] {
            if !v.is_finite() {
                return Err(Error::setting(setting, v, "must be a finite number"));
            }
            if integer && v.fract() != 0.0 {
                return Err(Error::setting(
                    setting,
                    v,
                    format!("must be a whole number: {key} is an integer"),
                ));
            }
            if key == "effect.peak" && v < 0.0 {
                return Err(Error::setting(
                    setting,
                    v,
                    "must be at least 0: for effect.peak it bounds the magnitude of the effect (the sign follows lower_is_better)",
                ));
            }
        }
        if lo > hi {
            return Err(Error::setting(
                Setting::Min,
                lo,
                Message::from("must not exceed ")
                    .setting(Setting::Max)
                    .then(format!(" = {hi}")),
            ));
        }
        Ok(Param {
            key,
            integer,
            lo,
            hi,
            sign,
        })
    }

    /// The key's value at search value `u`.
    fn value(&self, u: f64) -> Value {
        if self.integer {
            Value::Integer(u as i64)
        } else {
            Value::Real(self.sign * u)
        }
    }

    /// How the answer names the parameter.
    fn label(&self) -> String {
        if self.key == "effect.peak" {
            "effect.peak (magnitude in the favourable direction)".to_string()
        } else {
            self.key.clone()
        }
    }
}

/// Runs the search. Returns the answer and every evaluated value as a run result
/// (one design point per value, in increasing order of the value).
///
/// # Errors
/// [`Error::Setting`] for bad options or parameter values, [`Error::NotFound`]
/// when even the most favourable bound misses a requirement (with its metric
/// there).
pub fn size(
    study: &Study,
    opts: &SizeOptions,
    run_opts: &RunOptions,
    progress: Progress,
) -> Result<(SizeAnswer, RunResult)> {
    let reqs = requirements(opts)?;
    let param = Param::new(study, opts)?;
    let fixed = fixed_replicates(run_opts, &reqs)?;
    let run_opts = fixed.as_ref().unwrap_or(run_opts);
    let mut search = Search {
        study,
        param: &param,
        reqs: &reqs,
        run_opts,
        progress,
        evaluated: Vec::new(),
        last: None,
    };
    let found = if param.integer {
        search.integer(opts.direction)?
    } else {
        search.continuous(opts.direction)?
    };
    let (mut answer, result) = search.answer(opts, found);
    if let Some(note) = sweep_ignored(study, &[&opts.param]) {
        answer.warnings.insert(0, note);
    }
    Ok((answer, result))
}

/// With a precision target, the options every evaluated value runs with:
/// the R that gives that MC SE at the target power (or at 0.5 without a
/// power requirement), R = p(1 − p)/se² in whole blocks, from the precision
/// floor up to the ceiling, so the values compared rest on the same
/// simulated trials. `None` without a precision target.
fn fixed_replicates(run_opts: &RunOptions, reqs: &[Requirement]) -> Result<Option<RunOptions>> {
    let Some(se) = run_opts.precision else {
        return Ok(None);
    };
    let ceiling = run_opts
        .max_replicates
        .unwrap_or(super::DEFAULT_MAX_REPLICATES);
    super::precision::check(se, ceiling)?;
    let p = reqs
        .iter()
        .find(|r| r.metric == Metric::Power)
        .map_or(0.5, |r| r.limit.clamp(0.0, 1.0));
    Ok(Some(RunOptions {
        replicates: Some(super::precision::replicates_at(
            p,
            se,
            super::BLOCK,
            ceiling,
        )),
        precision: None,
        ..run_opts.clone()
    }))
}

/// An assumption of the protocol's sensitivity analysis, moved by the
/// factors of [`SENSITIVITY_FACTORS`] at the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    /// What was moved: `effect.peak`, `total SD` (`outcome.subject_sd` and
    /// `outcome.residual_sd` together), `dropout.monthly_rate` or
    /// `heterogeneity.tau`.
    pub assumption: &'static str,
    /// Its value in the scenario.
    pub value: f64,
    /// The metric of the binding requirement at the answer with the
    /// assumption moved by each factor (null when undefined).
    pub metric: &'static str,
    /// That metric at each factor.
    pub at_answer: [Option<f64>; 2],
    /// For the two most influential assumptions: the answer with the
    /// assumption moved by each factor (null inside when no value in range
    /// meets the requirements).
    pub answers: Option<[Option<Value>; 2]>,
}

/// The factors the sensitivity analysis moves each assumption by: ±20%.
pub const SENSITIVITY_FACTORS: [f64; 2] = [0.8, 1.2];

/// The protocol's sensitivity analysis: each of `effect.peak`, the total SD,
/// `dropout.monthly_rate` and `heterogeneity.tau` (those not searched and
/// not 0 in the scenario) moved by ±20% with the parameter at the answer;
/// for the two that move the binding metric most, the search is run again at
/// each factor. In order of influence, largest first.
///
/// # Errors
/// As [`size`] (a moved value the scenario rejects, say a dropout rate of 1).
pub fn sensitivity(
    study: &Study,
    opts: &SizeOptions,
    answer: &SizeAnswer,
    run_opts: &RunOptions,
    progress: Progress,
) -> Result<Vec<Sensitivity>> {
    let reqs = requirements(opts)?;
    let fixed = fixed_replicates(run_opts, &reqs)?;
    let run_opts = fixed.as_ref().unwrap_or(run_opts);
    let metric = answer
        .binding
        .flatten()
        .and_then(Metric::from_name)
        .unwrap_or(reqs[0].metric);
    let number = |key: &str| {
        study
            .base_value(key)
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .unwrap_or(0.0)
    };
    let outcome = &study.base_scenario().outcome;
    let candidates = [
        ("effect.peak", number("effect.peak")),
        ("total SD", outcome.subject_sd.hypot(outcome.residual_sd)),
        ("dropout.monthly_rate", number("dropout.monthly_rate")),
        ("heterogeneity.tau", number("heterogeneity.tau")),
    ];
    let moved = |what: &str, factor: f64| -> Result<Study> {
        let patch = |s: &Study, key: &str, v: f64| -> Result<Study> {
            Ok(Study::from(s.patched(key, toml::Value::Float(v))?))
        };
        if what == "total SD" {
            let one = patch(study, "outcome.subject_sd", outcome.subject_sd * factor)?;
            patch(&one, "outcome.residual_sd", outcome.residual_sd * factor)
        } else {
            patch(study, what, number(what) * factor)
        }
    };
    let mut out = Vec::new();
    for (what, value) in candidates {
        if what == opts.param || value == 0.0 {
            continue;
        }
        let mut at_answer = [None, None];
        for (slot, factor) in at_answer.iter_mut().zip(SENSITIVITY_FACTORS) {
            let sc = moved(what, factor)?.patched(&answer.param, answer.value.toml())?;
            let result = run_with_progress(&Study::from(sc), run_opts, progress)?;
            *slot = result.design_points[0]
                .metrics
                .get(metric)
                .and_then(|e| e.estimate);
        }
        out.push(Sensitivity {
            assumption: what,
            value,
            metric: metric.name(),
            at_answer,
            answers: None,
        });
    }
    let swing = |s: &Sensitivity| match s.at_answer {
        [Some(a), Some(b)] => (a - b).abs(),
        _ => 0.0,
    };
    out.sort_by(|a, b| swing(b).total_cmp(&swing(a)));
    for s in out.iter_mut().take(2) {
        let mut answers = [None, None];
        for (slot, factor) in answers.iter_mut().zip(SENSITIVITY_FACTORS) {
            *slot = match size(&moved(s.assumption, factor)?, opts, run_opts, progress) {
                Ok((a, _)) => Some(a.value),
                Err(Error::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
        }
        s.answers = Some(answers);
    }
    Ok(out)
}

/// Where a search ended: the answer, the failing value next to it (if any)
/// and, for a continuous key, the interval.
struct Found {
    value: f64,
    neighbour: Option<f64>,
    interval: Option<[f64; 2]>,
    warnings: Vec<String>,
}

/// The evaluated values of one search.
struct Search<'a> {
    study: &'a Study,
    param: &'a Param,
    reqs: &'a [Requirement],
    run_opts: &'a RunOptions,
    progress: Progress<'a>,
    /// Search value and its design point, in evaluation order.
    evaluated: Vec<(f64, DesignPointResult)>,
    last: Option<RunResult>,
}

impl Search<'_> {
    /// The design point at search value `u`, simulated once.
    fn point(&mut self, u: f64) -> Result<&DesignPointResult> {
        if let Some(i) = self.evaluated.iter().position(|(v, _)| *v == u) {
            return Ok(&self.evaluated[i].1);
        }
        let value = self.param.value(u);
        // An invalid value's error names the parameter, the value and what
        // is allowed.
        let sc = self.study.patched(&self.param.key, value.toml())?;
        let mut one = Study::from(sc);
        one.points[0].params = vec![(self.param.key.clone(), value.toml())];
        let result = run_with_progress(&one, self.run_opts, self.progress)?;
        let dp = result.design_points[0].clone();
        if self.evaluated.is_empty()
            && let Some(r) = self.reqs.iter().find(|r| r.estimate(&dp).is_none())
        {
            return Err(Error::setting(
                Setting::Require,
                r.metric.name(),
                "is not reported for this scenario (safety metrics need [safety], responder metrics [responder_endpoint], literature metrics [meta_analysis])",
            ));
        }
        self.evaluated.push((u, dp));
        self.last = Some(result);
        Ok(&self.evaluated.last().expect("just pushed").1)
    }

    fn passes(&mut self, u: f64) -> Result<bool> {
        let reqs = self.reqs;
        let dp = self.point(u)?;
        Ok(reqs.iter().all(|r| r.holds(dp)))
    }

    /// The error when the most favourable bound `u` misses a requirement.
    fn not_found(&mut self, u: f64) -> Result<Error> {
        let (reqs, param) = (self.reqs, self.param);
        let dp = self.point(u)?;
        let failing = reqs
            .iter()
            .find(|r| !r.holds(dp))
            .expect("called when a requirement fails");
        let want = reqs
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(" and ");
        let at = failing
            .estimate(dp)
            .map_or_else(|| "undefined".to_string(), |e| show(&e));
        let bound = if param.key == "effect.peak" {
            format!("largest magnitude, effect.peak = {}", param.value(u))
        } else if u == param.hi {
            format!("upper bound {}", param.value(u))
        } else {
            format!("lower bound {}", param.value(u))
        };
        Ok(Error::NotFound(format!(
            "no value of {} in [{}, {}] meets {want}: {} at the {bound} is {at}",
            param.label(),
            param.lo,
            param.hi,
            failing.metric,
        )))
    }

    /// Exact bisection over the integers of the range.
    fn integer(&mut self, direction: Direction) -> Result<Found> {
        let (lo, hi) = (self.param.lo as i64, self.param.hi as i64);
        let valid = |v: i64| {
            self.study
                .patched(&self.param.key, toml::Value::Integer(v))
                .is_ok()
        };
        // The search starts at the first valid value from the bound the
        // answer cannot pass (say, the smallest n whose allocation leaves
        // each arm 2 patients).
        let (start, end, step) = match direction {
            Direction::Smallest => (lo, hi, 1),
            Direction::Largest => (hi, lo, -1),
        };
        let first_valid = (0..MAX_INVALID_SKIPPED as i64)
            .map(|i| start + step * i)
            .take_while(|v| (lo..=hi).contains(v))
            .find(|&v| valid(v))
            .unwrap_or(start);
        if !self.passes(end as f64)? {
            return Err(self.not_found(end as f64)?);
        }
        let (mut good, mut bad) = (end, first_valid);
        if self.passes(bad as f64)? {
            good = bad;
        } else {
            while (good - bad).abs() > 1 {
                let mid = bad + (good - bad) / 2;
                if self.passes(mid as f64)? {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
        }
        let neighbour = (good != first_valid).then_some(good - step);
        if let Some(n) = neighbour {
            self.point(n as f64)?;
        }
        let mut warnings = Vec::new();
        let beyond = good + step;
        if good != end && !self.passes(beyond as f64)? {
            let reqs = self.reqs;
            let dp = self.point(beyond as f64)?;
            let r = reqs.iter().find(|r| !r.holds(dp)).expect("it fails");
            let at = r.estimate(dp).map_or("undefined".to_string(), |e| show(&e));
            warnings.push(format!(
                "{} is not monotone near the answer: {} = {beyond} gives {at}; use more replicates",
                r.metric, self.param.key
            ));
        }
        Ok(Found {
            value: good as f64,
            neighbour: neighbour.map(|n| n as f64),
            interval: None,
            warnings,
        })
    }

    /// Stochastic root-find over a continuous range (see the module docs).
    fn continuous(&mut self, direction: Direction) -> Result<Found> {
        let (lo, hi) = (self.param.lo, self.param.hi);
        let (start, end) = match direction {
            Direction::Smallest => (lo, hi),
            Direction::Largest => (hi, lo),
        };
        if !self.passes(end)? {
            return Err(self.not_found(end)?);
        }
        if self.passes(start)? {
            return Ok(Found {
                value: start,
                neighbour: None,
                interval: Some(self.interval(start, start)),
                warnings: Vec::new(),
            });
        }
        let (mut good, mut bad) = (end, start);
        let tolerance = 1e-9 * lo.abs().max(hi.abs()).max(1e-12);
        for _ in 0..MAX_STEPS {
            if (good - bad).abs() <= tolerance || self.settled(good, bad)? {
                break;
            }
            let mid = 0.5 * (good + bad);
            if self.passes(mid)? {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Ok(Found {
            value: good,
            neighbour: Some(bad),
            interval: Some(self.interval(good, bad)),
            warnings: Vec::new(),
        })
    }

    /// Whether the bracket `[good, bad]` is resolved to Monte Carlo error:
    /// every requirement that fails at `bad` differs between the two ends by
    /// at most [`STOP_SE`] MC SEs.
    fn settled(&mut self, good: f64, bad: f64) -> Result<bool> {
        let reqs = self.reqs;
        let at_good: Vec<Option<Estimate>> = {
            let dp = self.point(good)?;
            reqs.iter().map(|r| r.estimate(dp)).collect()
        };
        let dp = self.point(bad)?;
        let mut any = false;
        for (r, g) in reqs.iter().zip(at_good) {
            if r.holds(dp) {
                continue;
            }
            let b = r.estimate(dp);
            let pair = g
                .and_then(|g| g.estimate.zip(g.mc_se))
                .zip(b.and_then(|b| b.estimate.zip(b.mc_se)));
            let Some(((g, gse), (b, bse))) = pair else {
                return Ok(false);
            };
            if (g - b).abs() > STOP_SE * gse.max(bse) {
                return Ok(false);
            }
            any = true;
        }
        Ok(any)
    }

    /// The values around the answer whose binding metric lies within 2 MC
    /// SEs of its limit, interpolated linearly between evaluated values, as
    /// key values `[low, high]`.
    fn interval(&self, good: f64, bad: f64) -> [f64; 2] {
        let at = |u: f64| {
            &self
                .evaluated
                .iter()
                .find(|(v, _)| *v == u)
                .expect("evaluated")
                .1
        };
        let binding = self
            .reqs
            .iter()
            .find(|r| !r.holds(at(bad)))
            .or_else(|| self.reqs.iter().find(|r| r.near(at(good))))
            .unwrap_or(&self.reqs[0]);
        let mut points: Vec<(f64, Option<f64>)> = self
            .evaluated
            .iter()
            .map(|(u, dp)| (*u, binding.estimate(dp).and_then(|e| e.estimate)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let se = binding
            .estimate(at(good))
            .and_then(|e| e.mc_se)
            .unwrap_or(0.0);
        let (low_edge, high_edge) = (binding.limit - 2.0 * se, binding.limit + 2.0 * se);
        let index = points
            .iter()
            .position(|p| p.0 == good)
            .expect("the answer was evaluated");
        let in_band = |m: Option<f64>| m.is_some_and(|m| (low_edge..=high_edge).contains(&m));
        // Walks from the answer outward until the metric leaves the band (an
        // answer at a bound of the range whose metric is clear of the limit
        // has an interval of that one value).
        let reach = |steps: &mut dyn Iterator<Item = usize>| -> f64 {
            let mut prev = points[index];
            if !in_band(prev.1) {
                return prev.0;
            }
            for j in steps {
                let (u, m) = points[j];
                let Some(m) = m else { return prev.0 };
                if in_band(Some(m)) {
                    prev = (u, Some(m));
                    continue;
                }
                // prev is in the band and m is not: the edge lies between.
                let edge = if m < low_edge { low_edge } else { high_edge };
                let pm = prev.1.expect("in the band");
                return prev.0 + ((edge - pm) / (m - pm)).clamp(0.0, 1.0) * (u - prev.0);
            }
            prev.0
        };
        let left = reach(&mut (0..index).rev());
        let right = reach(&mut (index + 1..points.len()));
        let (a, b) = (
            self.param.value(left).as_f64(),
            self.param.value(right).as_f64(),
        );
        [a.min(b), a.max(b)]
    }

    fn answer(self, opts: &SizeOptions, found: Found) -> (SizeAnswer, RunResult) {
        let at = |u: f64| {
            self.evaluated
                .iter()
                .find(|(v, _)| *v == u)
                .map(|(_, dp)| dp)
        };
        let dp = at(found.value).expect("the answer was evaluated");
        let neighbour = found.neighbour.and_then(at);
        let json = |e: Option<Estimate>| {
            e.and_then(|e| {
                e.estimate.map(|estimate| PowerJson {
                    estimate,
                    mc_se: e.mc_se.unwrap_or(0.0),
                })
            })
        };
        let power = |dp: &DesignPointResult| {
            let e = dp
                .metrics
                .get(Metric::Power)
                .expect("power is always reported");
            PowerJson {
                estimate: e.estimate.unwrap_or(0.0),
                mc_se: e.mc_se.unwrap_or(0.0),
            }
        };
        let requirements = self
            .reqs
            .iter()
            .map(|r| RequirementResult {
                requirement: *r,
                at_value: json(r.estimate(dp)),
                at_neighbour: neighbour.and_then(|n| json(r.estimate(n))),
            })
            .collect();
        let type_m = |dp: Option<&DesignPointResult>| {
            json(dp.and_then(|d| d.metrics.get(Metric::TypeM).copied()))
        };
        let within_mc_error = self
            .reqs
            .iter()
            .any(|r| r.near(dp) || neighbour.is_some_and(|n| r.near(n)));
        let binding = (self.reqs.len() >= 2).then(|| {
            neighbour.and_then(|n| {
                self.reqs
                    .iter()
                    .find(|r| !r.holds(n))
                    .map(|r| r.metric.name())
            })
        });
        let answer = SizeAnswer {
            param: self.param.key.clone(),
            direction: opts.direction,
            value: self.param.value(found.value),
            interval: found.interval,
            power: power(dp),
            neighbour: found.neighbour.map(|n| self.param.value(n)),
            power_neighbour: neighbour.map(power),
            requirements,
            type_m: opts.max_type_m.map(|_| type_m(Some(dp))),
            type_m_below: opts.max_type_m.map(|_| type_m(neighbour)),
            binding,
            within_mc_error,
            warnings: found.warnings,
            range: [self.param.lo, self.param.hi],
        };
        let template = self.last.expect("at least one value was evaluated");
        let mut points: Vec<(f64, DesignPointResult)> = self
            .evaluated
            .into_iter()
            .map(|(u, dp)| (self.param.value(u).as_f64(), dp))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let replicates = points.iter().map(|(_, d)| d.replicates).max().unwrap_or(0);
        let result = RunResult {
            replicates,
            design_points: points.into_iter().map(|(_, d)| d).collect(),
            state: None,
            ..template
        };
        (answer, result)
    }
}

impl SizeAnswer {
    /// The readable answer `size` prints without its JSON option, run
    /// settings named under `naming`.
    pub fn text(&self, naming: crate::error::Naming) -> String {
        let reqs = self.requirements.iter().map(|r| r.requirement);
        let mut out = format!(
            "{}: {}\n",
            question(&self.param, self.direction, reqs),
            self.value
        );
        for r in &self.requirements {
            let [at, next] = r
                .shown()
                .map(|e| e.map_or("undefined".into(), |e| e + " (MC SE)"));
            let metric = r.requirement.metric;
            out.push_str(&format!("  {metric} at {} = {at}\n", self.value));
            if let Some(v) = self.neighbour {
                out.push_str(&format!("  {metric} at {v} = {next}\n"));
            }
        }
        if let Some(binding) = self.binding {
            match (binding, self.neighbour) {
                (Some(metric), Some(v)) => out.push_str(&format!(
                    "  binding: {metric} ({} = {v} misses it)\n",
                    self.param
                )),
                _ => out.push_str(&format!(
                    "  binding: neither (the answer is the {} value searched)\n",
                    self.direction.word()
                )),
            }
        }
        match self.interval {
            Some([a, b]) => out.push_str(&format!(
                "  within Monte Carlo error: {} to {} (where the binding metric is within 2 MC SE of its limit)\n",
                significant(a, 4),
                significant(b, 4)
            )),
            None if self.within_mc_error => out.push_str(
                &Message::from(
                    "  within Monte Carlo error of a limit: the answer is uncertain; use more replicates or ",
                )
                .setting(Setting::Precision)
                .then("\n")
                .render(naming),
            ),
            None => {}
        }
        out
    }
}

/// `size --over`: the question answered at each value of a second parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverAnswer {
    /// The parameter searched.
    pub param: String,
    /// The second parameter.
    pub over: String,
    /// Which end was asked for.
    pub direction: Direction,
    /// The requirements, in order.
    pub requirements: Vec<Requirement>,
    /// One row per value of `over`, in the order given.
    pub rows: Vec<OverRow>,
    /// Notes for the terminal (a `[sweep]` ignored).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// The answer at one value of the second parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverRow {
    /// The second parameter's value.
    pub over_value: toml::Value,
    /// The answer there (null when no value in range meets the requirements).
    pub answer: Option<SizeAnswer>,
    /// Why there is no answer: which requirement the most favourable bound
    /// misses, and by how much.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_found: Option<String>,
}

/// Runs [`size`] at each value of `over` (a second parameter, patched into
/// the scenario before the search). Returns the answers and every evaluated
/// value as one run result whose design points carry both parameters
/// (`over` first). A value at which nothing in range meets the requirements
/// gets a row without an answer.
///
/// # Errors
/// As [`size`]; [`Error::NotFound`] when no value of `over` has an answer;
/// [`Error::Setting`] when `over` is the searched parameter.
pub fn size_over(
    study: &Study,
    opts: &SizeOptions,
    over: &str,
    values: &[toml::Value],
    run_opts: &RunOptions,
    progress: Progress,
) -> Result<(OverAnswer, RunResult)> {
    let reqs = requirements(opts)?;
    if over == opts.param {
        return Err(Error::setting(
            Setting::Over,
            over,
            Message::from("must name another parameter than ").setting(Setting::Param),
        ));
    }
    crate::scenario::sweep::check_path(over).map_err(|e| unknown_key_of(Setting::Over, e))?;
    let mut rows = Vec::new();
    let mut points = Vec::new();
    let mut template: Option<RunResult> = None;
    let mut first_miss = None;
    for v in values {
        let sub = Study::from(study.patched(over, v.clone())?);
        match size(&sub, opts, run_opts, progress) {
            Ok((answer, result)) => {
                for mut dp in result.design_points.iter().cloned() {
                    dp.params.insert(0, (over.to_string(), v.clone()));
                    points.push(dp);
                }
                template.get_or_insert(result);
                rows.push(OverRow {
                    over_value: v.clone(),
                    answer: Some(answer),
                    not_found: None,
                });
            }
            Err(Error::NotFound(why)) => {
                first_miss.get_or_insert_with(|| why.clone());
                rows.push(OverRow {
                    over_value: v.clone(),
                    answer: None,
                    not_found: Some(why),
                });
            }
            Err(e) => return Err(e),
        }
    }
    let Some(template) = template else {
        return Err(Error::NotFound(format!(
            "at no value of {over}: {}",
            first_miss.unwrap_or_default()
        )));
    };
    let replicates = points
        .iter()
        .map(|d: &DesignPointResult| d.replicates)
        .max();
    let result = RunResult {
        replicates: replicates.unwrap_or(template.replicates),
        design_points: points,
        state: None,
        ..template
    };
    let answer = OverAnswer {
        param: opts.param.clone(),
        over: over.to_string(),
        direction: opts.direction,
        requirements: reqs,
        rows,
        warnings: sweep_ignored(study, &[&opts.param, over])
            .into_iter()
            .collect(),
    };
    Ok((answer, result))
}

impl OverAnswer {
    /// `smallest` or `largest`.
    pub fn direction_word(&self) -> &'static str {
        self.direction.word()
    }

    /// The table `size --over` prints and writes as `size_over.csv`: the
    /// second parameter, the answer, its interval (continuous parameters),
    /// whether it is within Monte Carlo error of a limit, and each
    /// requirement's metric at the answer with its MC SE.
    pub fn table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut header = vec![
            self.over.clone(),
            self.param.clone(),
            "interval_low".to_string(),
            "interval_high".to_string(),
            "within_mc_error".to_string(),
        ];
        for r in &self.requirements {
            header.push(r.metric.name().to_string());
            header.push(format!("{}_mc_se", r.metric));
        }
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let mut cells = vec![toml_number(&row.over_value)];
                match &row.answer {
                    Some(a) => {
                        cells.push(a.value.to_string_full());
                        let [lo, hi] = a.interval.map_or([None, None], |[l, h]| [Some(l), Some(h)]);
                        cells.push(lo.map_or(String::new(), |x| x.to_string()));
                        cells.push(hi.map_or(String::new(), |x| x.to_string()));
                        cells.push(a.within_mc_error.to_string());
                        for r in &a.requirements {
                            cells
                                .push(r.at_value.map_or(String::new(), |e| e.estimate.to_string()));
                            cells.push(r.at_value.map_or(String::new(), |e| e.mc_se.to_string()));
                        }
                    }
                    None => cells.resize(header.len(), String::new()),
                }
                cells
            })
            .collect();
        (header, rows)
    }

    /// The readable answer of the search at each value of a second
    /// parameter, as `size` prints it.
    pub fn text(&self) -> String {
        let reqs = self.requirements.iter().copied();
        let mut out = format!(
            "{}, at each {}:\n",
            question(&self.param, self.direction, reqs),
            self.over
        );
        for row in &self.rows {
            let v = toml_number(&row.over_value);
            match &row.answer {
                Some(a) => {
                    let spread = match a.interval {
                        Some([lo, hi]) => format!(
                            " (within MC error: {} to {})",
                            significant(lo, 4),
                            significant(hi, 4)
                        ),
                        None if a.within_mc_error => " (within MC error of a limit)".to_string(),
                        None => String::new(),
                    };
                    out.push_str(&format!("  {} = {v}: {}{spread}\n", self.over, a.value));
                }
                None => out.push_str(&format!(
                    "  {} = {v}: none in range ({})\n",
                    self.over,
                    row.not_found.as_deref().unwrap_or("")
                )),
            }
        }
        out
    }
}

/// An unknown key given to a run setting (`param`, `over`), named with it.
fn unknown_key_of(setting: Setting, e: Error) -> Error {
    match e {
        Error::UnknownKey { field, hint } => {
            Error::Setting(Message::from(setting).then(format!(" {field}: unknown key{hint}")))
        }
        other => other,
    }
}

/// The note that `size` answers at the scenario file's own values of the
/// keys its `[sweep]` varies (those not in `searched`), if it sweeps any.
fn sweep_ignored(study: &Study, searched: &[&str]) -> Option<String> {
    let ignored: Vec<String> = study
        .sweep
        .iter()
        .filter(|(k, _)| !searched.contains(&k.as_str()))
        .map(|(k, _)| {
            let own = study
                .base_value(k)
                .map_or("its default".to_string(), |v| v.to_string());
            format!("{k} = {own}")
        })
        .collect();
    (!ignored.is_empty()).then(|| {
        format!(
            "size ignores the scenario's [sweep] and answers at the file's own {}",
            ignored.join(", ")
        )
    })
}

/// The question `size` answers, e.g. `smallest design.n_per_arm with
/// power >= 0.8 and type_m <= 1.25`.
fn question(param: &str, direction: Direction, reqs: impl Iterator<Item = Requirement>) -> String {
    let reqs = reqs
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    let what = if param == "effect.peak" {
        "effect.peak (magnitude in the favourable direction)"
    } else {
        param
    };
    format!("{} {what} with {reqs}", direction.word())
}

/// A TOML number as written (integers without a decimal point).
fn toml_number(v: &toml::Value) -> String {
    match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(x) => x.to_string(),
        other => other.to_string(),
    }
}

/// Invalid values skipped at most, from the starting bound on, before the
/// search gives the error of the first.
const MAX_INVALID_SKIPPED: usize = 100_000;

fn show(e: &Estimate) -> String {
    let with_se = if e.mc_se.is_some() { " (MC SE)" } else { "" };
    e.plus_minus(4)
        .map_or_else(|| "undefined".to_string(), |s| s + with_se)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_parse_and_name_what_is_wrong() {
        let r: Requirement = "power>=0.8".parse().unwrap();
        assert_eq!(
            (r.metric, r.comparison, r.limit),
            (Metric::Power, Comparison::AtLeast, 0.8)
        );
        let r: Requirement = " ci_halfwidth <= 5 ".parse().unwrap();
        assert_eq!(
            (r.metric, r.comparison, r.limit),
            (Metric::CiHalfwidth, Comparison::AtMost, 5.0)
        );
        let r: Requirement = "type_m<1.25".parse().unwrap();
        assert_eq!(r.comparison, Comparison::Below);
        let r: Requirement = "power > 0.9".parse().unwrap();
        assert_eq!(r.comparison, Comparison::Above);
        let message = |t: &str| {
            t.parse::<Requirement>()
                .unwrap_err()
                .render(crate::error::Naming::Flags)
        };
        assert_eq!(
            message("powr>=0.8"),
            "--require = powr>=0.8: unknown metric \"powr\"; did you mean power? (the metrics are the names in summary.csv)"
        );
        assert!(message("power=0.8").contains("must be a metric, a comparison"));
        assert!(message("power>=x").contains("must be a metric, a comparison"));
        assert!(message("power>=inf").contains("must be a metric, a comparison"));
    }

    #[test]
    fn significant_digits_without_trailing_zeros() {
        assert_eq!(significant(7.0583, 4), "7.058");
        assert_eq!(significant(-7.0, 4), "-7");
        assert_eq!(significant(0.012345, 4), "0.01235");
        assert_eq!(significant(1234.6, 4), "1235");
    }
}
