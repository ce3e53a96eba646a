//! `trialsim size`: the smallest value of an integer parameter (by default
//! `design.n_per_arm`) whose estimated power reaches a target.
//!
//! Bisection on estimates that share common random numbers (MODEL.md §5):
//! patient 7 of replicate 42 is the same person at every value, which makes
//! the estimated power curve smooth, though not guaranteed monotone — so the
//! value above the answer is checked too, and a warning says when it fails.
//! The answer is reported with the power at it and at the value below it;
//! `within_mc_error` says that either lies within 2 Monte Carlo SEs of the
//! target, in which case more replicates are needed to be sure of the answer.

use crate::engine::{DesignPointResult, Progress, RunOptions, RunResult, run_with_progress};
use crate::error::{Error, Message, Result, Setting};
use crate::metrics::{Estimate, Metric};
use crate::scenario::Study;
use serde::Serialize;
use std::collections::BTreeMap;

/// What `size` searches for.
#[derive(Debug, Clone)]
pub struct SizeOptions {
    /// Dotted path of the integer parameter.
    pub param: String,
    /// Target power in (0, 1).
    pub target_power: f64,
    /// Smallest value searched.
    pub min: i64,
    /// Largest value searched.
    pub max: i64,
    /// Optional ceiling on the exaggeration ratio (`type_m`) at the answer.
    pub max_type_m: Option<f64>,
}

/// A power estimate as `size --json` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerJson {
    /// Estimated power.
    pub estimate: f64,
    /// Its Monte Carlo SE.
    pub mc_se: f64,
}

/// The answer of `size`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeAnswer {
    /// The parameter searched.
    pub param: String,
    /// The smallest value that reaches the target.
    pub value: i64,
    /// Power at `value`.
    pub power: PowerJson,
    /// The value below the answer, if it was evaluated (it is not when the
    /// answer is `--min`, or the smallest valid value above it).
    pub value_below: Option<i64>,
    /// Power at `value_below`.
    pub power_below: Option<PowerJson>,
    /// With `max_type_m`: the exaggeration ratio at `value` (null when no
    /// trial there is significant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_m: Option<PowerJson>,
    /// With `max_type_m`: the exaggeration ratio at `value_below`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_m_below: Option<PowerJson>,
    /// With `max_type_m`: which constraint the value below fails, `"power"`
    /// (it misses the target power) or `"type_m"` (it reaches the power but
    /// exaggerates too much); null when the answer is the smallest value
    /// searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Option<&'static str>>,
    /// Whether power, or with `max_type_m` the exaggeration ratio, at the
    /// answer or below it lies within 2 MC SEs of its limit.
    pub within_mc_error: bool,
    /// Warnings (non-monotone estimates near the answer).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Runs the search. Returns the answer and every evaluated value as a run result
/// (one design point per value, in increasing order).
///
/// # Errors
/// [`Error::Setting`] for bad options or parameter values, [`Error::NotFound`]
/// when even the largest value misses the target (with the power there).
pub fn size(
    study: &Study,
    opts: &SizeOptions,
    run_opts: &RunOptions,
    progress: Progress,
) -> Result<(SizeAnswer, RunResult)> {
    if !(opts.target_power > 0.0 && opts.target_power < 1.0) {
        return Err(Error::setting(
            Setting::TargetPower,
            opts.target_power,
            "must be in (0, 1)",
        ));
    }
    if opts.min > opts.max {
        return Err(Error::setting(
            Setting::Min,
            opts.min,
            Message::from("must not exceed ")
                .setting(Setting::Max)
                .then(format!(" = {}", opts.max)),
        ));
    }
    if let Some(m) = opts.max_type_m
        && !(m >= 1.0 && m.is_finite())
    {
        return Err(Error::setting(
            Setting::MaxTypeM,
            m,
            "must be a finite ratio >= 1",
        ));
    }
    crate::scenario::sweep::check_path(&opts.param).map_err(|e| match e {
        Error::UnknownKey { field, hint } => Error::Setting(
            Message::from(Setting::Param).then(format!(" {field}: unknown key{hint}")),
        ),
        other => other,
    })?;
    if !crate::scenario::file::INTEGER_KEYS.contains(&opts.param.as_str()) {
        return Err(Error::setting(
            Setting::Param,
            &opts.param,
            format!(
                "must name an integer parameter: {}",
                crate::scenario::file::INTEGER_KEYS.join(", ")
            ),
        ));
    }
    if let Some((k, _)) = study.sweep.iter().find(|(k, _)| *k != opts.param) {
        return Err(Error::Usage(format!(
            "size searches {} alone; the scenario also sweeps {k}: remove that key from [sweep]",
            opts.param
        )));
    }
    let mut evaluated: BTreeMap<i64, DesignPointResult> = BTreeMap::new();
    let mut last: Option<RunResult> = None;
    // With a precision target, every value runs the same R: the number that
    // gives that MC SE at the target power, R = p(1 − p)/se² (in whole
    // blocks, from the precision floor up to the ceiling), so the values the
    // bisection compares rest on the same simulated trials.
    let fixed_r;
    let run_opts = match run_opts.precision {
        Some(se) => {
            let ceiling = run_opts
                .max_replicates
                .unwrap_or(super::DEFAULT_MAX_REPLICATES);
            super::precision::check(se, ceiling)?;
            fixed_r = RunOptions {
                replicates: Some(super::precision::replicates_at(
                    opts.target_power,
                    se,
                    super::BLOCK,
                    ceiling,
                )),
                precision: None,
                ..run_opts.clone()
            };
            &fixed_r
        }
        None => run_opts,
    };
    let mut evaluate = |value: i64| -> Result<(bool, Estimate)> {
        if let Some(dp) = evaluated.get(&value) {
            return Ok((passes(dp, opts), power_of(dp)));
        }
        // An invalid value's error names the parameter, the value and what
        // is allowed.
        let sc = study.patched(&opts.param, toml::Value::Integer(value))?;
        let mut one = Study::from(sc);
        one.points[0].params = vec![(opts.param.clone(), toml::Value::Integer(value))];
        let result = run_with_progress(&one, run_opts, progress)?;
        let dp = result.design_points[0].clone();
        let answer = (passes(&dp, opts), power_of(&dp));
        evaluated.insert(value, dp);
        last = Some(result);
        Ok(answer)
    };

    let (hi_passes, hi_power) = evaluate(opts.max)?;
    if !hi_passes {
        let extra = opts
            .max_type_m
            .map(|m| format!(" with type_m <= {m}"))
            .unwrap_or_default();
        return Err(Error::NotFound(format!(
            "no value of {} in [{}, {}] reaches power {}{extra}: power at the upper bound {} is {}",
            opts.param,
            opts.min,
            opts.max,
            opts.target_power,
            opts.max,
            show(&hi_power)
        )));
    }
    // The search starts at the smallest valid value from --min on (say, the
    // smallest n whose allocation leaves each arm 2 patients).
    let valid = |value: i64| {
        study
            .patched(&opts.param, toml::Value::Integer(value))
            .is_ok()
    };
    let start = (opts.min..=opts.max)
        .take(MAX_INVALID_SKIPPED)
        .find(|&v| valid(v))
        .unwrap_or(opts.min);
    let (mut lo, mut hi) = (start, opts.max);
    let (lo_passes, _) = evaluate(lo)?;
    if lo_passes {
        hi = lo;
    } else {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if evaluate(mid)?.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }
    let value = hi;
    let (_, power) = evaluate(value)?;
    // The value below: evaluated already unless the answer is where the
    // search started.
    let below = if value > start {
        Some((value - 1, evaluate(value - 1)?.1))
    } else {
        None
    };
    let mut warnings = Vec::new();
    if value < opts.max {
        let (above_passes, above) = evaluate(value + 1)?;
        if !above_passes {
            warnings.push(format!(
                "power is not monotone near the answer: {} = {} gives {}; use more replicates",
                opts.param,
                value + 1,
                show(&above)
            ));
        }
    }
    let as_json = |e: &Estimate| PowerJson {
        estimate: e.estimate.unwrap_or(0.0),
        mc_se: e.mc_se.unwrap_or(0.0),
    };
    let near = |e: &Estimate| {
        e.estimate
            .zip(e.mc_se)
            .is_some_and(|(p, se)| (p - opts.target_power).abs() <= 2.0 * se)
    };
    let type_m_at = |v: i64| {
        evaluated
            .get(&v)
            .and_then(|dp| dp.metrics.get(Metric::TypeM))
            .copied()
    };
    let (type_m, type_m_below) = (
        type_m_at(value),
        below.as_ref().and_then(|(v, _)| type_m_at(*v)),
    );
    let type_m_near = |e: Option<Estimate>| {
        opts.max_type_m.is_some_and(|m| {
            e.and_then(|e| e.estimate.zip(e.mc_se))
                .is_some_and(|(t, se)| (t - m).abs() <= 2.0 * se)
        })
    };
    let within_mc_error = near(&power)
        || below.as_ref().is_some_and(|(_, p)| near(p))
        || type_m_near(type_m)
        || type_m_near(type_m_below);
    let estimate_json = |e: Option<Estimate>| {
        e.and_then(|e| {
            e.estimate.map(|estimate| PowerJson {
                estimate,
                mc_se: e.mc_se.unwrap_or(0.0),
            })
        })
    };
    let constrained = opts.max_type_m.is_some();
    let binding = below.as_ref().map(|(_, p)| {
        if p.estimate.is_some_and(|p| p >= opts.target_power) {
            "type_m"
        } else {
            "power"
        }
    });
    let answer = SizeAnswer {
        param: opts.param.clone(),
        value,
        power: as_json(&power),
        value_below: below.as_ref().map(|(v, _)| *v),
        power_below: below.as_ref().map(|(_, p)| as_json(p)),
        type_m: constrained.then(|| estimate_json(type_m)).flatten(),
        type_m_below: constrained.then(|| estimate_json(type_m_below)).flatten(),
        binding: constrained.then_some(binding),
        within_mc_error,
        warnings,
    };
    let template = last.expect("at least one value was evaluated");
    let replicates = evaluated.values().map(|d| d.replicates).max().unwrap_or(0);
    let result = RunResult {
        replicates,
        design_points: evaluated.into_values().collect(),
        ..template
    };
    Ok((answer, result))
}

/// Invalid values skipped at most, from `--min` up, before the search gives
/// the error of the first.
const MAX_INVALID_SKIPPED: usize = 100_000;

fn power_of(dp: &DesignPointResult) -> Estimate {
    *dp.metrics
        .get(Metric::Power)
        .expect("power is always reported")
}

fn passes(dp: &DesignPointResult, opts: &SizeOptions) -> bool {
    let power_ok = power_of(dp)
        .estimate
        .is_some_and(|p| p >= opts.target_power);
    let type_m_ok = match opts.max_type_m {
        None => true,
        Some(m) => dp
            .metrics
            .get(Metric::TypeM)
            .and_then(|e| e.estimate)
            .is_none_or(|t| t <= m),
    };
    power_ok && type_m_ok
}

fn show(e: &Estimate) -> String {
    let with_se = if e.mc_se.is_some() { " (MC SE)" } else { "" };
    e.plus_minus(4)
        .map_or_else(|| "undefined".to_string(), |s| s + with_se)
}
