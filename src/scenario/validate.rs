//! Validation, one function per section: each checks its keys (naming the
//! dotted path, the value and what is allowed) and builds the section's
//! validated type. Called in file order by `Scenario::from_file`, so the
//! first error in the file is the one reported.

use super::file::{
    AnalysisFile, DesignFile, DropoutFile, EffectFile, FactorFile, HeterogeneityFile,
    HypothesisFile, MethodFile, OutcomeFile, PlaceboFile, ScenarioFile, VisitsFile,
};
use super::*;

/// The range of an integer key (indices stripped: `meta_analysis.sizes`),
/// as (lowest, highest if any): what its value check and its type error
/// both report.
pub(super) fn integer_range(field: &str) -> (u64, Option<u64>) {
    match field {
        "design.n_per_arm" | "meta_analysis.sizes" => (2, Some(MAX_ARM)),
        "meta_analysis.trials" => (2, Some(MAX_META_TRIALS)),
        "replicates" => (1, None),
        _ => (0, None),
    }
}

/// "must be a whole number in [lo, hi]" for an integer key out of its range.
fn whole_number(field: &str) -> String {
    match integer_range(field) {
        (lo, None) => format!("must be a whole number >= {lo}"),
        (lo, Some(hi)) => format!("must be a whole number in [{lo}, {hi}]"),
    }
}

/// The top-level keys: `name` and `replicates`.
pub(super) fn top(f: &ScenarioFile) -> Result<()> {
    if f.name.is_empty()
        || !f
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(
            "name",
            format!("{:?}", f.name),
            "must be non-empty and use only letters, digits, - and _",
        ));
    }
    if f.replicates == 0 {
        return Err(Error::invalid("replicates", 0, "must be at least 1"));
    }
    Ok(())
}

/// `[outcome]`: the scale, its bounds, the entry criterion and the MCID.
pub(super) fn outcome(o: &OutcomeFile) -> Result<Outcome> {
    finite("outcome.mu0", o.mu0)?;
    non_negative("outcome.subject_sd", o.subject_sd)?;
    non_negative("outcome.residual_sd", o.residual_sd)?;
    if !(0.0..1.0).contains(&o.rho) {
        return Err(Error::invalid("outcome.rho", o.rho, "must be in [0, 1)"));
    }
    if let Some(lo) = o.min {
        finite("outcome.min", lo)?;
        if lo > o.mu0 {
            return Err(Error::invalid(
                "outcome.min",
                lo,
                format!("must not exceed outcome.mu0 = {}", o.mu0),
            ));
        }
    }
    if let Some(hi) = o.max {
        finite("outcome.max", hi)?;
        if hi < o.mu0 {
            return Err(Error::invalid(
                "outcome.max",
                hi,
                format!("must not be below outcome.mu0 = {}", o.mu0),
            ));
        }
        if let Some(lo) = o.min
            && hi <= lo
        {
            return Err(Error::invalid(
                "outcome.max",
                hi,
                format!("must be greater than outcome.min = {lo}"),
            ));
        }
    }
    non_negative("outcome.resolution", o.resolution)?;
    if let Some(m) = o.mcid {
        finite("outcome.mcid", m)?;
        if m <= 0.0 {
            return Err(Error::invalid(
                "outcome.mcid",
                m,
                "must be positive (a magnitude in scale points; the direction comes from lower_is_better)",
            ));
        }
    }
    let s = if o.lower_is_better { -1.0 } else { 1.0 };
    let outcome = Outcome {
        label: o.label.clone(),
        s,
        mu0: o.mu0,
        subject_sd: o.subject_sd,
        residual_sd: o.residual_sd,
        rho: o.rho,
        min: o.min,
        max: o.max,
        resolution: o.resolution,
        inclusion: o.inclusion,
        mcid: o.mcid,
    };
    if let Some(c) = o.inclusion {
        finite("outcome.inclusion", c)?;
        // Measured values never pass a bound: a criterion beyond the bound
        // on the "worse" side admits nobody.
        let beyond = if o.lower_is_better {
            o.max.is_some_and(|hi| c > hi)
        } else {
            o.min.is_some_and(|lo| c < lo)
        };
        if beyond {
            return Err(Error::invalid(
                "outcome.inclusion",
                c,
                "lies beyond the scale's bound on the worse side, so it admits nobody; it must be within [min, max]",
            ));
        }
        let share = admitted_share(&outcome, c);
        if share < 0.01 {
            return Err(Error::invalid(
                "outcome.inclusion",
                c,
                format!(
                    "admits {:.3}% of the screened population; must admit at least 1%",
                    100.0 * share
                ),
            ));
        }
    }
    Ok(outcome)
}

/// `[visits]`: strictly increasing months after baseline, and the primary one.
pub(super) fn visits(v: &VisitsFile) -> Result<Visits> {
    if v.months.is_empty() {
        return Err(Error::invalid(
            "visits.months",
            "[]",
            "must list at least one visit month",
        ));
    }
    for (i, &m) in v.months.iter().enumerate() {
        let field = format!("visits.months[{i}]");
        finite(&field, m)?;
        if m <= 0.0 {
            return Err(Error::invalid(
                field,
                m,
                "must be > 0 (month 0 is the baseline)",
            ));
        }
        if i > 0 && m <= v.months[i - 1] {
            return Err(Error::invalid(
                field,
                m,
                format!(
                    "visit months must be strictly increasing (previous is {})",
                    v.months[i - 1]
                ),
            ));
        }
    }
    let primary = v
        .months
        .iter()
        .position(|&m| m == v.primary)
        .ok_or_else(|| {
            Error::invalid(
                "visits.primary",
                v.primary,
                format!("must be one of visits.months = {:?}", v.months),
            )
        })?;
    let visits = Visits {
        months: v.months.clone(),
        primary,
    };
    Ok(visits)
}

/// `[placebo]` (a zero curve when omitted).
pub(super) fn placebo(placebo: Option<&PlaceboFile>) -> Result<Placebo> {
    let placebo = match placebo {
        None => Placebo {
            peak: 0.0,
            profile: Profile {
                onset: Onset::Linear,
                onset_months: 0.0,
                plateau_until: 0.0,
                half_life_months: None,
            },
            tau: 0.0,
        },
        Some(p) => {
            finite("placebo.peak", p.peak)?;
            non_negative("placebo.tau", p.tau)?;
            Placebo {
                peak: p.peak,
                profile: profile(
                    "placebo",
                    p.onset,
                    p.onset_months,
                    p.plateau_until,
                    p.half_life_months,
                )?,
                tau: p.tau,
            }
        }
    };
    Ok(placebo)
}

/// `[effect]`: the treatment effect and its time course.
pub(super) fn effect(e: &EffectFile) -> Result<Effect> {
    finite("effect.peak", e.peak)?;
    non_negative("effect.patient_sd", e.patient_sd)?;
    probability("effect.responder_fraction", e.responder_fraction)?;
    let effect = Effect {
        peak: e.peak,
        profile: profile(
            "effect",
            e.onset,
            e.onset_months,
            e.plateau_until,
            e.half_life_months,
        )?,
        patient_sd: e.patient_sd,
        responder_fraction: e.responder_fraction,
    };
    Ok(effect)
}

/// `[heterogeneity]`: between-trial variation, small-study bias and protocol factors.
pub(super) fn heterogeneity(heterogeneity: Option<&HeterogeneityFile>) -> Result<Heterogeneity> {
    let heterogeneity = match heterogeneity {
        None => Heterogeneity {
            tau: 0.0,
            small_study: None,
            factors: Vec::new(),
        },
        Some(h) => {
            non_negative("heterogeneity.tau", h.tau)?;
            let small_study = match &h.small_study {
                None => None,
                Some(ss) => {
                    finite("heterogeneity.small_study.bias", ss.bias)?;
                    Some(SmallStudy {
                        below: ss.below,
                        bias: ss.bias,
                    })
                }
            };
            Heterogeneity {
                tau: h.tau,
                small_study,
                factors: factors(&h.factors)?,
            }
        }
    };
    Ok(heterogeneity)
}

/// `[dropout]` (nobody drops out when omitted).
pub(super) fn dropout(dropout: Option<&DropoutFile>) -> Result<Dropout> {
    let dropout = match dropout {
        None => Dropout {
            mechanism: Mechanism::None,
            monthly_rate: 0.0,
            arm_odds_ratio: 1.0,
            beta: 0.0,
        },
        Some(d) => {
            // `none` needs no rate; the others do.
            let monthly_rate = match (d.mechanism, d.monthly_rate) {
                (Mechanism::None, rate) => rate.unwrap_or(0.0),
                (m, None) => {
                    return Err(Error::Shape {
                        field: "dropout.monthly_rate".to_string(),
                        message: format!(
                            "required key is missing: mechanism = \"{}\" needs a monthly dropout probability in [0, 1)",
                            m.name()
                        ),
                    });
                }
                (_, Some(rate)) => rate,
            };
            if !(0.0..1.0).contains(&monthly_rate) {
                return Err(Error::invalid(
                    "dropout.monthly_rate",
                    monthly_rate,
                    "must be in [0, 1)",
                ));
            }
            if !(d.arm_odds_ratio.is_finite() && d.arm_odds_ratio > 0.0) {
                return Err(Error::invalid(
                    "dropout.arm_odds_ratio",
                    d.arm_odds_ratio,
                    "must be a finite number > 0",
                ));
            }
            finite("dropout.beta", d.beta)?;
            Dropout {
                mechanism: d.mechanism,
                monthly_rate,
                arm_odds_ratio: d.arm_odds_ratio,
                beta: d.beta,
            }
        }
    };
    Ok(dropout)
}

/// `[design]`: arm sizes.
pub(super) fn design(dz: &DesignFile) -> Result<Design> {
    if dz.n_per_arm < 2 || dz.n_per_arm > MAX_ARM {
        return Err(Error::invalid(
            "design.n_per_arm",
            dz.n_per_arm,
            whole_number("design.n_per_arm"),
        ));
    }
    if !(dz.allocation.is_finite() && dz.allocation > 0.0) {
        return Err(Error::invalid(
            "design.allocation",
            dz.allocation,
            "must be a finite ratio > 0 (treatment:control)",
        ));
    }
    let n_treatment = (dz.allocation * dz.n_per_arm as f64).round();
    if !(2.0..=MAX_ARM as f64).contains(&n_treatment) {
        return Err(Error::invalid(
            "design.allocation",
            dz.allocation,
            format!(
                "gives a treatment arm of {n_treatment} patients with n_per_arm = {}; it must have 2 to {MAX_ARM}",
                dz.n_per_arm
            ),
        ));
    }
    let design = Design {
        n_control: dz.n_per_arm as usize,
        n_treatment: n_treatment as usize,
        allocation: dz.allocation,
    };
    Ok(design)
}

/// A method as written at `field`, the MMRM with `covariance`; the MMRM
/// is refused beyond [`MMRM_MAX_VISITS`] visits.
fn method(field: &str, m: MethodFile, covariance: Covariance, visits: &Visits) -> Result<Method> {
    match m {
        MethodFile::WelchChange => Ok(Method::WelchChange),
        MethodFile::Ancova => Ok(Method::Ancova),
        // The general fit's information has one row per pair of visits (per
        // arm with by_arm): its cost grows as the sixth power of the visits.
        MethodFile::Mmrm if visits.months.len() > MMRM_MAX_VISITS => Err(Error::invalid(
            field,
            "\"mmrm\"",
            format!(
                "allows at most {MMRM_MAX_VISITS} visits (it fits a covariance for every pair of visits); \
                 visits.months has {}: use \"ancova\" or \"welch_change\", or fewer visits",
                visits.months.len()
            ),
        )),
        MethodFile::Mmrm => Ok(Method::Mmrm(covariance)),
    }
}

/// `[analysis]`: the method and how each trial is judged, with the visits
/// it analyses.
pub(super) fn analysis(a: &AnalysisFile, visits: &Visits) -> Result<Analysis> {
    let covariance = a.mmrm_covariance.unwrap_or_default();
    let method = method("analysis.method", a.method, covariance, visits)?;
    if !(a.alpha > 0.0 && a.alpha < 0.5) {
        return Err(Error::invalid(
            "analysis.alpha",
            a.alpha,
            "must be in (0, 0.5)",
        ));
    }
    let analysis = Analysis {
        method,
        missing: a.missing,
        alpha: a.alpha,
        sided: a.sided,
        hypothesis: hypothesis(a)?,
        by_visit: a.by_visit,
        replication: a.replication,
        fast_path: a.fast_path,
    };
    Ok(analysis)
}

/// `analysis.hypothesis` with its margin: required, finite and positive for
/// non-inferiority and equivalence; with superiority a margin is unused
/// (warned about, see `warnings.rs`).
fn hypothesis(a: &AnalysisFile) -> Result<Hypothesis> {
    let margin = || {
        let m = a.margin.ok_or_else(|| Error::Shape {
            field: "analysis.margin".to_string(),
            message: format!(
                "required key is missing: hypothesis = \"{}\" needs a margin, a positive number in outcome units",
                match a.hypothesis {
                    HypothesisFile::Equivalence => "equivalence",
                    _ => "noninferiority",
                }
            ),
        })?;
        if !(m.is_finite() && m > 0.0) {
            return Err(Error::invalid(
                "analysis.margin",
                m,
                "must be a positive number in outcome units",
            ));
        }
        Ok(m)
    };
    Ok(match a.hypothesis {
        HypothesisFile::Superiority => Hypothesis::Superiority,
        HypothesisFile::Noninferiority => Hypothesis::NonInferiority { margin: margin()? },
        HypothesisFile::Equivalence => Hypothesis::Equivalence { margin: margin()? },
    })
}

/// The share of the screened population admitted by an entry criterion `c`.
fn admitted_share(o: &Outcome, c: f64) -> f64 {
    let sd = (o.subject_sd.powi(2) + o.residual_sd.powi(2)).sqrt();
    if sd == 0.0 {
        return if o.admits(o.mu0) { 1.0 } else { 0.0 };
    }
    let z = Normal::new(o.mu0, sd).expect("finite mean and positive sd");
    if o.s < 0.0 { z.sf(c) } else { z.cdf(c) }
}

fn finite(field: &str, x: f64) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(field, x, "must be a finite number"))
    }
}

fn non_negative(field: &str, x: f64) -> Result<()> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(field, x, "must be a finite number >= 0"))
    }
}

fn probability(field: &str, x: f64) -> Result<()> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(Error::invalid(field, x, "must be in [0, 1]"))
    }
}

fn profile(
    section: &str,
    onset: Onset,
    onset_months: f64,
    plateau_until: f64,
    half_life: Option<f64>,
) -> Result<Profile> {
    non_negative(&format!("{section}.onset_months"), onset_months)?;
    non_negative(&format!("{section}.plateau_until"), plateau_until)?;
    let half_life_months = match half_life {
        Some(h) if h == f64::INFINITY => None,
        Some(h) if !(h > 0.0 && h.is_finite()) => {
            return Err(Error::invalid(
                format!("{section}.half_life_months"),
                h,
                "must be > 0 (omit it, or write inf, for no decay)",
            ));
        }
        other => other,
    };
    Ok(Profile {
        onset,
        onset_months,
        plateau_until,
        half_life_months,
    })
}

/// `[forking_paths]`: the visits (`"all"` or months of `visits.months`),
/// the methods and the missing-data rules, each defaulting to the primary
/// analysis' own; every (method, rule) pair once, the MMRM (with
/// `analysis.mmrm_covariance`) without a rule.
pub(super) fn forking(
    f: &file::ForkingFile,
    visits: &Visits,
    a: &AnalysisFile,
    analysis: &Analysis,
) -> Result<ForkingPaths> {
    let months = || {
        visits
            .months
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let allowed = || {
        format!(
            "must be \"all\" or a list of visit months among {}",
            months()
        )
    };
    let visit_indices = match &f.visits {
        None => (0..visits.months.len()).collect(),
        Some(toml::Value::String(s)) if s == "all" => (0..visits.months.len()).collect(),
        Some(toml::Value::Array(items)) => {
            if items.is_empty() {
                return Err(Error::invalid("forking_paths.visits", "[]", allowed()));
            }
            let mut out: Vec<usize> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let month = match item {
                    toml::Value::Integer(m) => *m as f64,
                    toml::Value::Float(m) => *m,
                    other => {
                        return Err(Error::invalid(
                            format!("forking_paths.visits[{i}]"),
                            other,
                            allowed(),
                        ));
                    }
                };
                let Some(k) = visits.months.iter().position(|&m| m == month) else {
                    return Err(Error::invalid(
                        format!("forking_paths.visits[{i}]"),
                        item,
                        format!("is not a visit: the visits are at months {}", months()),
                    ));
                };
                if !out.contains(&k) {
                    out.push(k);
                }
            }
            out.sort_unstable();
            out
        }
        Some(other) => return Err(Error::invalid("forking_paths.visits", other, allowed())),
    };
    let covariance = a.mmrm_covariance.unwrap_or_default();
    let methods = match &f.methods {
        None => vec![analysis.method],
        Some(list) => list
            .iter()
            .map(|&m| method("forking_paths.methods", m, covariance, visits))
            .collect::<Result<_>>()?,
    };
    let rules = f.missing.clone().unwrap_or_else(|| vec![analysis.missing]);
    for (key, empty, what) in [
        (
            "forking_paths.methods",
            methods.is_empty(),
            "method: \"welch_change\", \"ancova\", \"mmrm\"",
        ),
        (
            "forking_paths.missing",
            rules.is_empty(),
            "missing-data rule: \"complete_case\", \"locf\", \"bocf\"",
        ),
    ] {
        if empty {
            return Err(Error::invalid(
                key,
                "[]",
                format!(
                    "must list at least one {what} (or leave it out for the primary analysis' own)"
                ),
            ));
        }
    }
    let mut analyses: Vec<(Method, Missing)> = Vec::new();
    for method in methods {
        // The MMRM imputes nothing: one path per visit whatever the rules.
        let of_method: Vec<Missing> = if matches!(method, Method::Mmrm(_)) {
            vec![Missing::CompleteCase]
        } else {
            rules.clone()
        };
        for missing in of_method {
            if !analyses.contains(&(method, missing)) {
                analyses.push((method, missing));
            }
        }
    }
    Ok(ForkingPaths {
        visits: visit_indices,
        analyses,
    })
}

pub(super) fn safety(f: &file::SafetyFile) -> Result<Safety> {
    probability("safety.serious_treatment", f.serious_treatment)?;
    probability("safety.serious_control", f.serious_control)?;
    probability("safety.mild_treatment", f.mild_treatment)?;
    probability("safety.mild_control", f.mild_control)?;
    if !(f.rule_out > 0.0 && f.rule_out < 1.0) {
        return Err(Error::invalid(
            "safety.rule_out",
            f.rule_out,
            "must be a rate strictly between 0 and 1",
        ));
    }
    Ok(Safety {
        serious: [f.serious_control, f.serious_treatment],
        mild: [f.mild_control, f.mild_treatment],
        rule_out: f.rule_out,
    })
}

pub(super) fn meta(m: &file::MetaFile, factors: &[Factor]) -> Result<Meta> {
    if !(2..=MAX_META_TRIALS).contains(&m.trials) {
        return Err(Error::invalid(
            "meta_analysis.trials",
            m.trials,
            whole_number("meta_analysis.trials"),
        ));
    }
    probability(
        "meta_analysis.publish_nonsignificant",
        m.publish_nonsignificant,
    )?;
    let sizes = match (&m.sizes, m.size_median, m.size_p95) {
        (Some(list), None, None) => {
            if list.is_empty() {
                return Err(Error::invalid(
                    "meta_analysis.sizes",
                    "[]",
                    "must list at least one control-arm size",
                ));
            }
            for (i, &n) in list.iter().enumerate() {
                if !(2..=MAX_ARM).contains(&n) {
                    return Err(Error::invalid(
                        format!("meta_analysis.sizes[{i}]"),
                        n,
                        whole_number("meta_analysis.sizes"),
                    ));
                }
            }
            TrialSizes::List(list.iter().map(|&n| n as usize).collect())
        }
        (None, Some(median), Some(p95)) => {
            if !(median.is_finite() && (2.0..=MAX_ARM as f64).contains(&median)) {
                return Err(Error::invalid(
                    "meta_analysis.size_median",
                    median,
                    format!("must be a number in [2, {MAX_ARM}]"),
                ));
            }
            if !(p95.is_finite() && p95 >= median && p95 <= MAX_ARM as f64) {
                return Err(Error::invalid(
                    "meta_analysis.size_p95",
                    p95,
                    format!("must be a number in [size_median = {median}, {MAX_ARM}]"),
                ));
            }
            TrialSizes::Lognormal {
                mu: median.ln(),
                sigma: (p95.ln() - median.ln()) / 1.644_853_626_951_472_2,
            }
        }
        _ => {
            return Err(Error::invalid(
                "meta_analysis.sizes",
                "(none or both forms)",
                "give either sizes = [control-arm sizes] or both size_median and size_p95",
            ));
        }
    };
    let mut subgroups = Vec::with_capacity(m.subgroups.len());
    for (i, name) in m.subgroups.iter().enumerate() {
        let Some(index) = factors.iter().position(|f| &f.name == name) else {
            let allowed = if factors.is_empty() {
                "a factor of [[heterogeneity.factors]], and the scenario has none".to_string()
            } else {
                format!(
                    "the name of a factor of [[heterogeneity.factors]]: {}",
                    factors
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(Error::invalid(
                format!("meta_analysis.subgroups[{i}]"),
                format!("{name:?}"),
                format!("must be {allowed}"),
            ));
        };
        if subgroups.contains(&index) {
            return Err(Error::invalid(
                format!("meta_analysis.subgroups[{i}]"),
                format!("{name:?}"),
                "is listed twice",
            ));
        }
        // A level of weight 0 is never drawn: it is no subgroup to compare.
        if factors[index]
            .levels
            .iter()
            .filter(|l| l.probability > 0.0)
            .count()
            < 2
        {
            return Err(Error::invalid(
                format!("meta_analysis.subgroups[{i}]"),
                format!("{name:?}"),
                "must be a factor with at least two levels of positive weight (subgroups to compare)",
            ));
        }
        subgroups.push(index);
    }
    Ok(Meta {
        trials: m.trials as usize,
        sizes,
        estimator: m.estimator,
        hartung_knapp: m.hartung_knapp,
        publish_nonsignificant: m.publish_nonsignificant,
        report: m.report,
        subgroups,
    })
}

fn factors(files: &[FactorFile]) -> Result<Vec<Factor>> {
    let mut out: Vec<Factor> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let at = format!("heterogeneity.factors[{i}]");
        if f.name.is_empty() {
            return Err(Error::invalid(
                format!("{at}.name"),
                "\"\"",
                "must be non-empty",
            ));
        }
        if out.iter().any(|o| o.name == f.name) {
            return Err(Error::invalid(
                format!("{at}.name"),
                format!("{:?}", f.name),
                "factor names must be unique",
            ));
        }
        if f.levels.is_empty() {
            return Err(Error::invalid(
                format!("{at}.levels"),
                "[]",
                "must list at least one level",
            ));
        }
        let mut total = 0.0;
        for (k, l) in f.levels.iter().enumerate() {
            let lat = format!("{at}.levels[{k}]");
            non_negative(&format!("{lat}.weight"), l.weight)?;
            finite(&format!("{lat}.shift"), l.shift)?;
            finite(&format!("{lat}.bias"), l.bias)?;
            if f.levels[..k].iter().any(|o| o.name == l.name) {
                return Err(Error::invalid(
                    format!("{lat}.name"),
                    format!("{:?}", l.name),
                    "level names must be unique within a factor",
                ));
            }
            total += l.weight;
        }
        if !(total > 0.0 && total.is_finite()) {
            return Err(Error::invalid(
                format!("{at}.levels"),
                format!("weights summing to {total}"),
                "at least one weight must be > 0 (weights are normalised to probabilities)",
            ));
        }
        out.push(Factor {
            name: f.name.clone(),
            levels: f
                .levels
                .iter()
                .map(|l| Level {
                    name: l.name.clone(),
                    probability: l.weight / total,
                    shift: l.shift,
                    bias: l.bias,
                })
                .collect(),
        });
    }
    Ok(out)
}

pub(super) fn responder(r: &file::ResponderFile, o: &Outcome) -> Result<Responder> {
    if r.min_points.is_none() && r.min_percent.is_none() {
        return Err(Error::Shape {
            field: "responder_endpoint".to_string(),
            message: "give min_points, min_percent or both (e.g. min_points = 20, min_percent = 50, as OMERACT-OARSI)".to_string(),
        });
    }
    let min_points = r.min_points.unwrap_or(0.0);
    non_negative("responder_endpoint.min_points", min_points)?;
    let min_percent = r.min_percent.unwrap_or(0.0);
    if !(0.0..=100.0).contains(&min_percent) {
        return Err(Error::invalid(
            "responder_endpoint.min_percent",
            min_percent,
            "must be a percentage in [0, 100]",
        ));
    }
    // The room for improvement runs to the scale's best bound.
    let (best, key) = if o.s < 0.0 {
        (o.min, "outcome.min")
    } else {
        (o.max, "outcome.max")
    };
    let Some(best) = best else {
        return Err(Error::Shape {
            field: "responder_endpoint".to_string(),
            message: format!(
                "needs a bounded scale: give {key}, the scale's best value (lower_is_better = {}), to measure the room for improvement",
                o.s < 0.0
            ),
        });
    };
    Ok(Responder {
        min_points,
        min_percent,
        missing_as_nonresponse: r.missing_as_nonresponse,
        best,
    })
}
