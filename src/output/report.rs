//! `report.html`: one self-contained page (figures inline as SVG, styles
//! inline, no network requests) with the scenario in words, plain-language
//! findings generated from the numbers, the figures and a table of every
//! metric with its Monte Carlo SE.
//!
//! Every number a finding quotes is wrapped in
//! `<span class="num" data-dp=J data-group=trial|meta data-metric=NAME data-value=X>`
//! with `X` the exact value from `summary.json`, so a test can check that the
//! words say what the numbers say.

use crate::engine::{DesignPointResult, FocusSample, RunResult};
use crate::metrics::{Estimate, Metric, Metrics, UPPER_LEVEL};
use crate::output::format::{claim_words, group_thousands, margin_test_words, month_label, months};
use crate::output::plots::Figure;
use crate::output::summary::sweep_columns;
use crate::scenario::{
    Covariance, ForkingPaths, Hypothesis, Mechanism, Method, Missing, Onset, Report, Responder,
    Safety, Scenario, Sided, Study,
};
use crate::simulate::{CONTROL, TREATMENT};
use std::fmt::Write as _;

/// How a quoted number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A proportion as a percentage with one decimal: `35.3%`.
    Percent,
    /// A ratio or a mean with two decimals: `3.48`.
    Decimal,
}

impl Format {
    /// The text for a value.
    pub fn show(self, x: f64) -> String {
        match self {
            Format::Percent => format!("{:.1}%", 100.0 * x),
            Format::Decimal => format!("{x:.2}"),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Format::Percent => "percent",
            Format::Decimal => "decimal",
        }
    }
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A quoted metric: value and MC SE, each in its own span.
fn quote(dp: usize, group: &str, metrics: &Metrics, name: Metric, f: Format) -> Option<String> {
    let e = metrics.get(name)?;
    let x = e.estimate?;
    let se = e
        .mc_se
        .map(|s| format!(" ± {}", f.show(s)))
        .unwrap_or_default();
    Some(format!(
        "<span class=\"num\" data-dp=\"{dp}\" data-group=\"{group}\" data-metric=\"{name}\" data-format=\"{}\" data-value=\"{x}\">{}</span>{se}",
        f.name(),
        f.show(x)
    ))
}

/// A share as a whole percentage unless that would round it to 0 or 100:
/// `35`, `99.5`, `0.4`.
fn percent_words(x: f64) -> String {
    let p = 100.0 * x;
    if (p.round() == 0.0 && p > 0.0) || (p.round() == 100.0 && p < 100.0) {
        format!("{p:.1}")
    } else {
        format!("{p:.0}")
    }
}

fn profile_words(onset: Onset, onset_months: f64, plateau: f64, half_life: Option<f64>) -> String {
    let onset = if onset_months <= 0.0 {
        "immediately".to_string()
    } else {
        match onset {
            Onset::Linear => format!("rising linearly over {}", months(onset_months)),
            Onset::Exponential => {
                format!(
                    "rising exponentially (time constant {})",
                    months(onset_months)
                )
            }
        }
    };
    match half_life {
        Some(h) => format!(
            "{onset}, holding until month {}, then halving every {}",
            month_label(plateau),
            months(h)
        ),
        None => format!("{onset} and lasting"),
    }
}

/// The scenario in words.
pub fn describe(study: &Study, focus: usize) -> String {
    let sc: &Scenario = &study.points[focus].scenario;
    let o = &sc.outcome;
    let mut w = String::new();
    let better = if o.s < 0.0 { "lower" } else { "higher" };
    let _ = write!(
        w,
        "<p>A two-arm randomised trial on <b>{}</b> ({better} is better): {} control and {} treated patients, \
         visits at months {} after baseline, the primary endpoint at month {}. \
         The screened population averages {} (between-patient SD {}, within-patient SD {}, \
         correlation {} per month)",
        escape(&o.label),
        sc.design.n_control,
        sc.design.n_treatment,
        sc.visits
            .months
            .iter()
            .map(|m| month_label(*m))
            .collect::<Vec<_>>()
            .join(", "),
        month_label(sc.visits.primary_month()),
        o.mu0,
        o.subject_sd,
        o.residual_sd,
        o.rho
    );
    if let Some(c) = o.inclusion {
        let _ = write!(
            w,
            "; patients enter only with a baseline at least as bad as {c}"
        );
    }
    w.push_str(".</p><p>");
    if sc.placebo.peak != 0.0 || sc.placebo.tau > 0.0 {
        let p = &sc.placebo.profile;
        let _ = write!(
            w,
            "Both arms respond to placebo by {} points at the peak, {} (SD {} between trials). ",
            sc.placebo.peak,
            profile_words(p.onset, p.onset_months, p.plateau_until, p.half_life_months),
            sc.placebo.tau
        );
    }
    let e = &sc.effect;
    let _ = write!(
        w,
        "The treatment adds {} points at the peak, {}{}{}. ",
        e.peak,
        profile_words(
            e.profile.onset,
            e.profile.onset_months,
            e.profile.plateau_until,
            e.profile.half_life_months
        ),
        if e.patient_sd > 0.0 {
            format!("; patients vary around it with SD {}", e.patient_sd)
        } else {
            "; every patient responds alike".to_string()
        },
        if e.responder_fraction < 1.0 {
            format!(
                ", and {}{}% respond",
                if e.responder_fraction < 0.5 {
                    "only "
                } else {
                    ""
                },
                percent_words(e.responder_fraction)
            )
        } else {
            String::new()
        }
    );
    let h = &sc.heterogeneity;
    if h.tau > 0.0 || !h.factors.is_empty() || h.small_study.is_some() {
        let _ = write!(
            w,
            "Trials differ: the true effect varies between settings with SD {}",
            h.tau
        );
        for f in &h.factors {
            let levels: Vec<String> = f
                .levels
                .iter()
                .map(|l| {
                    let mut s = format!("{} {}%", escape(&l.name), percent_words(l.probability));
                    if l.shift != 0.0 {
                        let _ = write!(s, ", effect {:+}", l.shift);
                    }
                    if l.bias != 0.0 {
                        let _ = write!(s, ", bias {:+}", l.bias);
                    }
                    s
                })
                .collect();
            let _ = write!(w, "; {} ({})", escape(&f.name), levels.join("; "));
        }
        if let Some(ss) = &h.small_study {
            let _ = write!(
                w,
                "; trials with fewer than {} control patients are biased by {:+} points",
                ss.below, ss.bias
            );
        }
        w.push_str(". ");
    }
    let d = &sc.dropout;
    match d.mechanism {
        Mechanism::None => w.push_str("Nobody drops out. "),
        m => {
            let how = match m {
                Mechanism::Mcar => "completely at random".to_string(),
                Mechanism::Mar => format!(
                    "more often when their last value was worse (log-odds {} per point)",
                    d.beta
                ),
                Mechanism::Mnar => format!(
                    "more often when their current, unseen value is worse (log-odds {} per point)",
                    d.beta
                ),
                Mechanism::None => String::new(),
            };
            let _ = write!(
                w,
                "Patients drop out at {:.1}% per month, {how}",
                100.0 * d.monthly_rate
            );
            if d.arm_odds_ratio != 1.0 {
                let _ = write!(w, ", control patients with odds ×{}", d.arm_odds_ratio);
            }
            w.push_str(". ");
        }
    }
    let a = &sc.analysis;
    let test = margin_test_words(a.hypothesis, a.alpha, o.s).map_or_else(
        || {
            let sided = match a.sided {
                Sided::Two => "two-sided",
                Sided::One => "one-sided",
            };
            format!(" at {sided} alpha = {}", a.alpha)
        },
        |t| format!(", by {t}"),
    );
    let _ = write!(
        w,
        "Each trial is analysed by {} with {}{test}.</p>",
        match a.method {
            Method::WelchChange => "a Welch t-test on change from baseline",
            Method::Ancova => "ANCOVA on the baseline",
            Method::Mmrm(Covariance::Common) => {
                "a mixed model for repeated measures (MMRM: unstructured covariance, REML, Satterthwaite df)"
            }
            Method::Mmrm(Covariance::ByArm) => {
                "a mixed model for repeated measures (MMRM: an unstructured covariance per arm, REML, Satterthwaite df)"
            }
        },
        match (a.method, a.missing) {
            (Method::Mmrm(_), _) => "every observed visit of every patient (nothing imputed)",
            (_, Missing::CompleteCase) => "complete cases",
            (_, Missing::Locf) => "the last observation carried forward",
            (_, Missing::Bocf) => "the baseline carried forward",
        },
    );
    if let Some(paths) = &sc.forking {
        let analyses: Vec<String> = paths
            .analyses
            .iter()
            .map(|(method, missing)| match method {
                Method::WelchChange | Method::Ancova => format!(
                    "{} with {}",
                    if *method == Method::Ancova {
                        "ANCOVA"
                    } else {
                        "Welch"
                    },
                    match missing {
                        Missing::CompleteCase => "complete cases",
                        Missing::Locf => "LOCF",
                        Missing::Bocf => "BOCF",
                    }
                ),
                Method::Mmrm(_) => "MMRM".to_string(),
            })
            .collect();
        let _ = write!(
            w,
            "<p>Forking paths: each trial is also analysed in {} ways on the same patients — {} at month{} {} — as a trialist free to choose what to report could.</p>",
            paths.len(),
            analyses.join(", "),
            if paths.visits.len() == 1 { "" } else { "s" },
            paths
                .visits
                .iter()
                .map(|&k| month_label(sc.visits.months[k]))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(safety) = &sc.safety {
        let [sc_, st] = safety.serious.map(rate_words);
        let [mc, mt] = safety.mild.map(rate_words);
        let _ = write!(
            w,
            "<p>Every randomised patient is followed for adverse events, dropouts included: \
             a serious one in {st}% of treated and {sc_}% of control patients, \
             a mild one in {mt}% and {mc}%, independently of the outcome.</p>"
        );
    }
    if let Some(r) = &sc.responder {
        let _ = write!(
            w,
            "<p>A patient responds when the score improves from baseline to month {} by {}; \
             {}. Responders are compared by the risk difference with Newcombe's interval \
             and Fisher's exact test.</p>",
            month_label(sc.visits.primary_month()),
            responder_words(r),
            if r.missing_as_nonresponse {
                "a patient missing at that visit counts as a non-responder"
            } else {
                "a patient missing at that visit is left out"
            },
        );
    }
    if !study.sweep.is_empty() {
        let keys: Vec<String> = study
            .sweep
            .iter()
            .map(|(k, v)| {
                format!(
                    "<code>{}</code> over {}",
                    escape(k),
                    v.iter()
                        .map(|x| escape(&x.to_string()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let _ = write!(
            w,
            "<p>The study sweeps {} ({} design points).</p>",
            keys.join(" and "),
            study.points.len()
        );
    }
    if let Some(m) = &sc.meta {
        let _ = write!(
            w,
            "<p>The literature: each simulated meta-analysis pools {} published trials ({}, {} CI); \
             a trial that {} is published with probability {}.</p>",
            m.trials,
            m.estimator.name().to_uppercase(),
            if m.hartung_knapp {
                "Hartung–Knapp"
            } else {
                "normal"
            },
            if a.hypothesis.is_superiority() {
                "is not significant and favourable".to_string()
            } else {
                format!("does not {}", claim_words(a.hypothesis))
            },
            m.publish_nonsignificant
        );
        if m.report == Report::Best {
            w.push_str(
                "<p>Each trial reports its most significant analysis among the forking paths, not its primary one.</p>",
            );
        }
    }
    w
}

/// "20 patients per arm", or "20 control and 40 treated patients" when the
/// allocation is unequal.
fn arm_sizes(control: usize, treatment: usize) -> String {
    if control == treatment {
        format!("{control} patients per arm")
    } else {
        format!("{control} control and {treatment} treated patients")
    }
}

/// "at least 20 points and at least 50% of the room to the best score (0)".
fn responder_words(r: &Responder) -> String {
    let points = format!("at least {} points", r.min_points);
    let percent = format!(
        "at least {}% of the room to the scale's best value ({})",
        r.min_percent, r.best
    );
    match (r.min_points > 0.0, r.min_percent > 0.0) {
        (true, true) => format!("{points} and {percent}"),
        (false, true) => percent,
        _ => points,
    }
}

/// Where a power curve `(x, power)` first reaches `target`: interpolated
/// linearly in log x between the grid values around the crossing
/// (`true`), or the smallest value when it already reaches it (`false`:
/// an upper bound).
fn crossing(points: &[(f64, f64)], target: f64) -> Option<(f64, bool)> {
    let hit = points.iter().position(|&(_, p)| p >= target)?;
    let Some(before) = hit.checked_sub(1) else {
        return Some((points[0].0, false));
    };
    let ((x0, p0), (x1, p1)) = (points[before], points[hit]);
    let f = (target - p0) / (p1 - p0);
    Some(((x0.ln() + f * (x1.ln() - x0.ln())).exp(), true))
}

/// "about 120" or "at most 10" patients.
fn crossing_words((n, interpolated): (f64, bool)) -> String {
    if interpolated {
        format!("about {n:.0}")
    } else {
        format!("at most {n}")
    }
}

/// The responder paragraph: the true rates, the responder analysis beside
/// the continuous one, and across a sweep of the sample size how many
/// more patients the responder analysis needs for 80% power.
fn responder_findings(study: &Study, result: &RunResult, focus: usize) -> Vec<String> {
    let dp = &result.design_points[focus];
    let m = &dp.metrics;
    let q = |name: Metric, f: Format| quote(focus, "trial", m, name, f);
    let mut out = Vec::new();
    if let Some(truth) = dp.truth.responder {
        let d = truth.difference();
        let nnt = if d > 0.0 {
            format!(" (number needed to treat {:.1})", 1.0 / d)
        } else {
            String::new()
        };
        out.push(format!(
            "Responders: in truth {} of control and {} of treated patients respond, a difference of {:.1} percentage points{nnt}.",
            Format::Percent.show(truth.rate[CONTROL]),
            Format::Percent.show(truth.rate[TREATMENT]),
            100.0 * d,
        ));
    }
    if let (Some(rp), Some(p)) = (
        q(Metric::ResponderPower, Format::Percent),
        q(Metric::Power, Format::Percent),
    ) {
        let mut sentence = format!(
            "Fisher's exact test on the responders is significant in {rp} of trials, against {p} for the continuous score"
        );
        if let Some(tm) = q(Metric::ResponderTypeM, Format::Decimal) {
            let _ = write!(
                sentence,
                "; the significant ones overstate the difference {tm}-fold"
            );
        }
        if let Some(c) = q(Metric::ResponderCoverage, Format::Percent) {
            let _ = write!(
                sentence,
                ", and Newcombe's interval covers the true difference {c} of the time"
            );
        }
        sentence.push('.');
        out.push(sentence);
    }
    // How many more patients: only a sweep of the sample size says.
    if let [(key, _)] = study.sweep.as_slice()
        && key == "design.n_per_arm"
    {
        // In increasing size, whatever order the sweep lists them in.
        let curve = |metric: Metric| -> Vec<(f64, f64)> {
            let mut points: Vec<(f64, f64)> = result
                .design_points
                .iter()
                .filter_map(|d| {
                    let x = d.params.first()?.1.as_integer()? as f64;
                    Some((x, d.metrics.get(metric)?.estimate?))
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            points
        };
        let (continuous, responders) = (curve(Metric::Power), curve(Metric::ResponderPower));
        let largest = |c: &[(f64, f64)]| {
            c.last()
                .map(|&(x, p)| format!("{} at {x} per arm", Format::Percent.show(p)))
                .unwrap_or_default()
        };
        out.push(match (crossing(&continuous, 0.8), crossing(&responders, 0.8)) {
            (Some(a), Some(b)) => format!(
                "For 80% power the continuous score needs {} patients per arm and the responder analysis {}{} (read off the sweep's power curves, interpolated between its sizes).",
                crossing_words(a),
                crossing_words(b),
                if a.1 && b.1 {
                    format!(": {:.1} times as many", b.0 / a.0)
                } else {
                    String::new()
                }
            ),
            (Some(a), None) => format!(
                "For 80% power the continuous score needs {} patients per arm (interpolated between the sweep's sizes); the responder analysis does not reach 80% within the sweep ({}).",
                crossing_words(a),
                largest(&responders)
            ),
            (None, Some(b)) => format!(
                "The responder analysis reaches 80% power with {} patients per arm; the continuous score does not within the sweep ({}).",
                crossing_words(b),
                largest(&continuous)
            ),
            (None, None) => format!(
                "Neither analysis reaches 80% power within the sweep (continuous {}; responders {}).",
                largest(&continuous),
                largest(&responders)
            ),
        });
    }
    out
}

/// A probability as a percentage with as many decimals as it needs: two,
/// or more for a rate below 0.01% so that it keeps a significant figure:
/// `1`, `1.5`, `0.25`, `0.004`.
fn rate_words(x: f64) -> String {
    decimal_words(100.0 * x, 2)
}

/// `x` with at least `decimals` decimals, more when it is small so that it
/// keeps one significant figure, trailing zeros trimmed: `0.99`, `0.93`.
fn decimal_words(x: f64, decimals: usize) -> String {
    let needed = if x > 0.0 && x < 1.0 {
        (-x.log10()).ceil().min(15.0) as usize
    } else {
        0
    };
    let p = format!("{:.*}", decimals.max(needed), x);
    if p.contains('.') {
        p.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        p
    }
}

/// The safety paragraph: what a trial of this size sees of harms, and what
/// the simulated literature sees (`[safety]`).
fn safety_findings(safety: &Safety, dp: &DesignPointResult, focus: usize) -> Vec<String> {
    let m = &dp.metrics;
    let q = |name: Metric, f: Format| quote(focus, "trial", m, name, f);
    let n = dp.truth.n_arm[TREATMENT];
    let p = safety.serious[TREATMENT];
    let mut out = Vec::new();
    if p == 0.0 {
        out.push(format!(
            "Safety: the true serious-event rate is 0, so no trial of {n} treated patients sees a serious adverse event."
        ));
    } else if let (Some(any), Some(seen)) = (
        q(Metric::SaeAnyTreatment, Format::Percent),
        m.get(Metric::SaeAnyTreatment).and_then(|e| e.estimate),
    ) {
        let unseen = (1.0 - p).powf(n as f64);
        out.push(format!(
            "Safety: with {n} treated patients and a true serious-event rate of {}%, a trial sees at least one serious adverse event in {any} of trials, so the rate goes unseen in the other {} (exactly {}^{n} = {}).",
            rate_words(p),
            Format::Percent.show(1.0 - seen),
            // Enough decimals that 1 − p shows p's own digits: 0.99, 0.93, 0.99999.
            decimal_words(1.0 - p, 2 + (-p.log10()).ceil().clamp(0.0, 15.0) as usize),
            Format::Percent.show(unseen),
        ));
    }
    if let (Some(upper), Some(ruled)) = (
        q(Metric::SaeUpper95Treatment, Format::Percent),
        q(Metric::SaeRuledOut, Format::Percent),
    ) {
        // The bound when no event is seen, 1 − 0.05^(1/n): what 3/n approximates.
        let none_seen = 1.0 - (1.0 - UPPER_LEVEL).powf(1.0 / n as f64);
        let ruling = if p >= safety.rule_out {
            format!(
                "in {ruled} of trials — falsely, since the true rate is {}%",
                rate_words(p)
            )
        } else {
            format!("in {ruled} of trials (the power to rule it out)")
        };
        out.push(format!(
            "The one-sided 95% upper bound on the treated arm's serious-event rate (Clopper–Pearson) averages {upper}; after a trial with no serious event it is {}, which the rule of three, 3/{n} = {}, approximates. The bound falls below {}%, ruling out a rate that high, {ruling}.",
            Format::Percent.show(none_seen),
            Format::Percent.show(3.0 / n as f64),
            rate_words(safety.rule_out),
        ));
    }
    if safety.mild != [0.0, 0.0]
        && let Some(power) = q(Metric::MildAePower, Format::Percent)
    {
        let [c, t] = safety.mild.map(rate_words);
        out.push(if safety.mild[0] == safety.mild[1] {
            format!(
                "Fisher's exact test flags a difference in mild adverse events, where there is none ({t}% in both arms), in {power} of trials."
            )
        } else {
            format!(
                "Fisher's exact test detects the difference in mild adverse events ({t}% treated vs {c}% control) in {power} of trials."
            )
        });
    }
    if let Some(meta) = &dp.meta
        && let (Some(any), Some(patients)) = (
            quote(
                focus,
                "meta",
                meta,
                Metric::SaeAnyTreatment,
                Format::Percent,
            ),
            quote(
                focus,
                "meta",
                meta,
                Metric::TreatedPatients,
                Format::Decimal,
            ),
        )
    {
        out.push(format!(
            "Across a simulated literature's published trials ({patients} treated patients on average), at least one serious adverse event is seen {any} of the time{}.",
            if p > 0.0 {
                format!(
                    "; at a rate of {}%, one is expected per {} treated patients",
                    rate_words(p),
                    group_thousands((1.0 / p).round() as u64)
                )
            } else {
                String::new()
            }
        ));
    }
    out
}

/// Plain-language findings for the focus design point (and the sweep).
pub fn findings(study: &Study, result: &RunResult, focus: usize) -> Vec<String> {
    let dp: &DesignPointResult = &result.design_points[focus];
    let sc = &study.points[focus].scenario;
    let m = &dp.metrics;
    let q = |name: Metric, f: Format| quote(focus, "trial", m, name, f);
    let mut out = Vec::new();
    let hypothesis = sc.analysis.hypothesis;
    if let Some(power) = q(Metric::Power, Format::Percent) {
        out.push(format!(
            "With {}, {power} of trials {} at month {} ({}alpha {}).",
            arm_sizes(sc.design.n_control, sc.design.n_treatment),
            claim_words(hypothesis),
            month_label(dp.month),
            if hypothesis.is_superiority() {
                ""
            } else {
                "one-sided "
            },
            sc.analysis.alpha
        ));
    }
    // At or beyond the margin the claim is false: its rate is the type I error.
    let s_theta = sc.outcome.s * dp.truth.theta;
    let null_holds = match hypothesis {
        Hypothesis::Superiority => false,
        Hypothesis::NonInferiority { margin } => s_theta <= -margin,
        Hypothesis::Equivalence { margin } => s_theta.abs() >= margin,
    };
    if null_holds {
        out.push(format!(
            "The true effect at month {} ({:.3}) is at or beyond the margin, where the claim is false: that rate is the type I error, at most alpha = {} for a valid test.",
            month_label(dp.month),
            dp.truth.theta,
            sc.analysis.alpha
        ));
    }
    if let (Some(tm), Some(ts)) = (
        q(Metric::TypeM, Format::Decimal),
        q(Metric::TypeS, Format::Percent),
    ) {
        out.push(format!(
            "Those that do overstate the true average effect {tm}-fold (the exaggeration ratio), and {ts} of them point the wrong way."
        ));
    }
    if let (Some(ct), Some(tmcid)) = (
        q(Metric::ClaimTrue, Format::Percent),
        q(Metric::TrueMcid, Format::Percent),
    ) {
        // "only" where it is few: below half.
        let only = m
            .get(Metric::ClaimTrue)
            .and_then(|e| e.estimate)
            .is_some_and(|x| x < 0.5);
        out.push(format!(
            "Of the trials that claim a clinically important benefit, {}{ct} come from settings that really have one; {tmcid} of all settings do.",
            if only { "only " } else { "" }
        ));
    }
    if let Some(d) = q(Metric::Durable, Format::Percent) {
        out.push(format!(
            "Of the significant favourable trials, {d} still have a clinically important true effect at month {}.",
            month_label(*sc.visits.months.last().unwrap_or(&0.0))
        ));
    }
    if let (Some(same), Some(new)) = (
        q(Metric::ReplicationSame, Format::Percent),
        q(Metric::ReplicationNew, Format::Percent),
    ) {
        out.push(if hypothesis.is_superiority() {
            format!(
                "A replication in the same setting is significant and favourable {same} of the time after a significant favourable first trial; in a new setting, {new}."
            )
        } else {
            let claim = claim_words(hypothesis);
            format!(
                "A replication in the same setting goes on to {claim} {same} of the time after a first trial that did; in a new setting, {new}."
            )
        });
    }
    if let (Some(c), Some(ct)) = (
        q(Metric::Coverage, Format::Percent),
        q(Metric::CoverageTrial, Format::Percent),
    ) {
        out.push(format!(
            "The trials' confidence intervals contain the population-average effect {c} of the time, and their own setting's effect {ct}."
        ));
    }
    // An MMRM's fallbacks, when there were any: the fit the trials really got.
    let share = |name: Metric| m.get(name).and_then(|e| e.estimate).unwrap_or(0.0);
    if share(Metric::MmrmFallback) > 0.0
        && let Some(fb) = q(Metric::MmrmFallback, Format::Percent)
    {
        let failed = match q(Metric::MmrmFailed, Format::Percent) {
            Some(f) if share(Metric::MmrmFailed) > 0.0 => {
                format!("; in {f} no structure could be fitted and the trial is not estimable")
            }
            _ => String::new(),
        };
        out.push(format!(
            "In {fb} of trials the unstructured covariance of the MMRM could not be fitted (usually too few patients at a late visit) and a simpler one was used (heterogeneous AR(1), else compound symmetry){failed}."
        ));
    }
    if let Some(paths) = &sc.forking {
        out.extend(forking_findings(paths, sc, dp, focus));
    }
    if sc.responder.is_some() {
        out.extend(responder_findings(study, result, focus));
    }
    if let Some(safety) = &sc.safety {
        out.extend(safety_findings(safety, dp, focus));
    }
    if let Some(meta) = &dp.meta {
        let mq = |name: Metric, f: Format| quote(focus, "meta", meta, name, f);
        if let (Some(sig), Some(pi0)) = (
            mq(Metric::Significant, Format::Percent),
            mq(Metric::SignificantPiIncludesZero, Format::Percent),
        ) {
            // The pooled test is of a difference from 0 whatever the trials test.
            let of = if hypothesis.is_superiority() {
                ""
            } else {
                " (a test of any difference from 0, not of the margin)"
            };
            out.push(format!(
                "A meta-analysis of the published trials is significant{of} {sig} of the time; {pi0} of the time it is significant while its 95% prediction interval still includes no effect — significant, yet not shown to generalise."
            ));
        }
        // The interval the meta-analysis reports: HKSJ when it is used.
        let (coverage, interval) = match &sc.meta {
            Some(m) if m.hartung_knapp => {
                (Metric::CoverageHksj, "Hartung–Knapp confidence interval")
            }
            _ => (Metric::Coverage, "confidence interval"),
        };
        if let (Some(cov), Some(eg)) = (
            mq(coverage, Format::Percent),
            mq(Metric::EggerDetects, Format::Percent),
        ) {
            out.push(format!(
                "Its {interval} covers the true average effect {cov} of the time, and Egger's test flags funnel asymmetry in {eg}."
            ));
        }
        out.extend(corrections_findings(meta, focus));
        out.extend(subgroup_findings(sc, dp, focus));
    }
    // The smallest swept value reaching 80% power, when the study sweeps one key.
    if study.sweep.len() == 1 {
        let key = &study.sweep[0].0;
        let hit = result.design_points.iter().enumerate().find(|(_, d)| {
            d.metrics
                .get(Metric::Power)
                .and_then(|e| e.estimate)
                .is_some_and(|p| p >= 0.8)
        });
        match hit {
            Some((j, d)) => {
                if let Some(p) = quote(j, "trial", &d.metrics, Metric::Power, Format::Percent) {
                    // The grid brackets the answer; `size` finds it exactly.
                    let value = escape(&d.params[0].1.to_string());
                    let between = match (j.checked_sub(1), &d.params[0].1) {
                        (Some(prev), toml::Value::Integer(hi)) => {
                            match &result.design_points[prev].params[0].1 {
                                toml::Value::Integer(lo) if hi - lo > 1 => format!(
                                    "; if power rises with the value, the smallest one reaching it lies between {} and {hi} (<code>trialsim size</code> finds it)",
                                    lo + 1
                                ),
                                _ => String::new(),
                            }
                        }
                        _ => String::new(),
                    };
                    out.push(format!(
                        "Across the sweep, power first reaches 80% at <code>{}</code> = {value} (power {p}){between}.",
                        escape(key),
                    ));
                }
            }
            None => out.push(format!(
                "No value of <code>{}</code> in the sweep reaches 80% power.",
                escape(key)
            )),
        }
    }
    out
}

/// With `meta_analysis.subgroups`: per factor, how often a review names
/// the truly best level, finds a difference, and how much it exaggerates
/// the difference it claims — or, with no true difference, how often it
/// finds one anyway.
fn subgroup_findings(sc: &Scenario, dp: &DesignPointResult, focus: usize) -> Vec<String> {
    let Some(meta) = &sc.meta else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (factor, &f) in dp.subgroups.iter().zip(&meta.subgroups) {
        let group = format!("subgroups.{}", factor.name);
        let q = |m: Metric, fmt: Format| quote(focus, &group, &factor.metrics, m, fmt);
        let k = meta.trials;
        let what = escape(&factor.name);
        let Some(sig) = q(Metric::SubgroupSignificant, Format::Percent) else {
            continue;
        };
        // The levels trials draw (weight above 0): their truths and biases.
        let drawn = || {
            factor
                .levels
                .iter()
                .zip(&sc.heterogeneity.factors[f].levels)
                .filter(|(_, l)| l.probability > 0.0)
        };
        let biased = drawn().any(|(_, l)| Some(l.bias) != drawn().next().map(|d| d.1.bias));
        if !factor.varies {
            out.push(format!(
                "With {k} trials and no true difference between the {what} levels, a review's subgroup analysis still finds a significant one in {sig} of literatures (alpha {}), and so names a “best” {what}.",
                sc.analysis.alpha
            ));
        } else {
            let truly_best = factor.levels.iter().find(|l| l.truly_best);
            let best = match (truly_best, q(Metric::SubgroupBestCorrect, Format::Percent)) {
                (Some(b), Some(correct)) => format!(
                    "names the truly best {what}, {}, best in {correct} of literatures; it ",
                    escape(&b.level)
                ),
                _ => String::new(),
            };
            let wrong = q(Metric::SubgroupClaimedWrong, Format::Percent)
                .map(|w| format!("names the wrong {what} best in {w} of them and "))
                .unwrap_or_default();
            let exaggeration = q(Metric::SubgroupDiffTypeM, Format::Decimal)
                .map(|m| format!(", and when it does, it {wrong}reports a difference between its best {what} and the rest {m}-fold the true one between the same levels (on average)"))
                .unwrap_or_default();
            out.push(format!(
                "With {k} trials, a review's subgroup analysis by {what} {best}finds a significant difference between the levels in {sig} of literatures{exaggeration}."
            ));
        }
        if biased {
            let biases: Vec<String> = drawn()
                .filter(|(_, l)| l.bias != 0.0)
                .map(|(m, l)| {
                    format!(
                        "{} by {} points",
                        escape(&m.level),
                        l.bias.to_string().replace('-', "−")
                    )
                })
                .collect();
            out.push(format!(
                "The {what} levels' trials are also biased differently ({}), and a subgroup analysis cannot tell a bias from a true difference: the differences it finds are partly the bias.",
                biases.join(", ")
            ));
        }
        if let Some(missing) = q(Metric::SubgroupLevelsMissing, Format::Percent) {
            out.push(format!(
                "In {missing} of literatures some {what} level has fewer than two trials."
            ));
        }
    }
    out
}

/// With selective publication: each correction's bias, RMSE and coverage
/// against the true average effect, where it fails, and which does best —
/// naming every one within Monte Carlo error (2 combined SEs) of the best,
/// so that a tie is not reported as a winner.
fn corrections_findings(meta: &Metrics, focus: usize) -> Vec<String> {
    use crate::output::format::CORRECTIONS;
    let metric = |stat: &str, c: &str| Metric::from_name(&format!("meta_{stat}_{c}"));
    let q = |stat: &str, c: &str, f: Format| {
        metric(stat, c).and_then(|m| quote(focus, "meta", meta, m, f))
    };
    let value = |stat: &str, c: &str| {
        let e = meta.get(metric(stat, c)?)?;
        Some((e.estimate?, e.mc_se.unwrap_or(0.0)))
    };
    let mut parts = Vec::new();
    let mut failures = Vec::new();
    for (name, c) in CORRECTIONS {
        let (Some(b), Some(r), Some(cov)) = (
            q("bias", c, Format::Decimal),
            q("rmse", c, Format::Decimal),
            q("coverage", c, Format::Percent),
        ) else {
            continue;
        };
        parts.push(format!("{name} {b}, {r}, {cov}"));
        if let Some(f) = q("failed", c, Format::Percent)
            && value("failed", c).is_some_and(|(x, _)| x > 0.0)
        {
            failures.push((name, f));
        }
    }
    if parts.is_empty() {
        return Vec::new();
    }
    let mut out = vec![format!(
        "How the corrections for publication bias a reviewer would try fare against the true average effect (bias, RMSE, coverage of the interval): {}.",
        parts.join("; ")
    )];
    if !failures.is_empty() {
        let list: Vec<String> = failures
            .iter()
            .map(|(name, f)| {
                let why = if *name == "the selection model" {
                    " (every published trial significant, or none: the weight of non-significant trials is then not identified)"
                } else {
                    ""
                };
                format!("{name} in {f} of literatures{why}")
            })
            .collect();
        out.push(format!(
            "Each is judged on the literatures where it could be computed; it could not be for {}.",
            list.join(", ")
        ));
    }
    let best = |stat: &str, key: fn(f64) -> f64| -> Option<String> {
        let scored: Vec<(&str, f64, f64)> = CORRECTIONS
            .iter()
            .filter_map(|(name, c)| value(stat, c).map(|(x, se)| (*name, key(x), se)))
            .collect();
        let (first, x, se) = scored.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
        let tied: Vec<&str> = scored
            .iter()
            .filter(|(n, y, s)| *n != first && (y - x).abs() <= 2.0 * (s * s + se * se).sqrt())
            .map(|t| t.0)
            .collect();
        Some(if tied.is_empty() {
            first.to_string()
        } else {
            format!(
                "{first} (with {} within Monte Carlo error)",
                tied.join(" and ")
            )
        })
    };
    if let (Some(b), Some(r)) = (best("bias", f64::abs), best("rmse", |x| x)) {
        out.push(format!(
            "Least biased here: {b}; smallest error (RMSE): {r}."
        ));
    }
    out
}

/// The forking-paths paragraph: how often some path is a "finding", what
/// Holm's step-down leaves, and how much the reported one overstates.
fn forking_findings(
    paths: &ForkingPaths,
    sc: &Scenario,
    dp: &DesignPointResult,
    focus: usize,
) -> Vec<String> {
    let m = &dp.metrics;
    let q = |name: Metric, f: Format| quote(focus, "trial", m, name, f);
    let (Some(any), Some(holm)) = (
        q(Metric::ForkingAnySignificant, Format::Percent),
        q(Metric::HolmAnySignificant, Format::Percent),
    ) else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "If any of the {} analyses listed under forking paths could be reported ({} visit{} × {} method and missing-data rule combination{}), {any} of trials have at least one significant result in the favourable direction{}. Holm's step-down over all of them brings that to {holm}.",
        paths.len(),
        paths.visits.len(),
        if paths.visits.len() == 1 { "" } else { "s" },
        paths.analyses.len(),
        if paths.analyses.len() == 1 { "" } else { "s" },
        if dp.truth.theta_by_visit.iter().all(|&t| t == 0.0) {
            format!(
                "; the therapy does nothing, so every one is a false positive, against alpha = {} for one pre-specified analysis",
                sc.analysis.alpha
            )
        } else {
            String::new()
        },
    )];
    if let Some(tm) = q(Metric::ForkingTypeM, Format::Decimal) {
        out.push(format!(
            "The most significant of them overstates the true effect at its visit {tm}-fold."
        ));
    }
    out
}

fn metric_rows(metrics: &Metrics) -> String {
    let mut rows = String::new();
    for (name, e) in &metrics.0 {
        let Estimate { estimate, mc_se, n } = *e;
        let cell = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            rows,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{n}</td></tr>",
            cell(estimate),
            cell(mc_se)
        );
    }
    rows
}

/// One sentence per figure saying what to look at (the forest plot's also
/// names the literature it draws and why).
pub fn figure_caption(name: &str, sample: &FocusSample) -> String {
    if name == "forest" {
        let which = sample.literature.as_ref().map_or_else(
            || "one simulated literature".to_string(),
            crate::output::format::forest_literature,
        );
        return format!(
            "One literature as a reviewer would see it: {which}. Each trial's estimate and CI, the pooled estimate (diamond) and the prediction interval, against the true mean effect and the line of no effect."
        );
    }
    match name {
        "power_curve" => {
            "Power rises with the design: read where the curve crosses the target line, and how wide the Monte Carlo band is there."
        }
        "estimates" => {
            "The winner's curse: the significant estimates (coloured) sit far from the true effect, so a significant small trial overstates it."
        }
        "visits" => {
            "Over the visits: the true effect, the mean estimate with its spread, and power at each visit; power follows the effect's rise and fade."
        }
        "funnel" => {
            "The simulated literature as a funnel: unpublished trials (grey) leave a hole, and Egger's line (which is PET's) leans when small trials are selected; with selective publication, the triangles are the trials trim-and-fill adds and the curve PEESE's when PET-PEESE chooses it."
        }
        "size_curve" => {
            "What size evaluated: power at each value with its Monte Carlo band, the target line and the answer marked."
        }
        "size_over" => {
            "The answer at each value of the second parameter: each point is where the requirements are first met, each bar the values within Monte Carlo error of that point."
        }
        "forking_paths" => {
            "The garden of forking paths: the more analyses a trialist may choose from, the more often one of them is significant and favourable; Holm's step-down over all of them keeps the rate at or below alpha."
        }
        "subgroups" => {
            "Subgroup claims: on the left the literature of the forest plot analysed by each factor's levels (grey squares its trials, diamonds the levels' estimates, blue the levels' true effects) with its test of subgroup differences, the level with its best estimate in bold, whatever the test says; on the right, over every simulated literature, how often a review names each level best (light) and how often it also finds the difference significant (dark), the truly best level in bold (the shares leave out the literatures whose levels could not be compared)."
        }
        "responder_power" => {
            "What dichotomising costs: power of the continuous score and of the responder analysis at each design, and below, how much the significant results of each overstate their effect."
        }
        _ => "",
    }
    .to_string()
}

/// The whole page, with `figures` inline in their order.
pub fn html(
    study: &Study,
    result: &RunResult,
    sample: &FocusSample,
    figures: &[Figure],
    section: Option<&str>,
) -> String {
    let focus = sample.focus;
    let dp = &result.design_points[focus];
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>trialsim: {name}</title>\
         <style>body{{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;max-width:1060px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}}\
         h1{{font-size:1.7em}}h2{{margin-top:1.6em;border-bottom:1px solid #ccc}}\
         table{{border-collapse:collapse;margin:0.5em 0}}td,th{{border:1px solid #ccc;padding:0.2em 0.6em;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}.num{{font-weight:bold}}figure{{margin:1em 0}}\
         figure svg{{max-width:100%;height:auto}}li{{margin:0.4em 0}}.meta{{color:#666}}</style></head><body>\n",
        name = escape(&result.scenario)
    );
    let params = if dp.params.is_empty() {
        String::new()
    } else {
        format!(
            " — design point {} of {}: {}",
            focus + 1,
            result.design_points.len(),
            escape(&crate::scenario::sweep::describe(&dp.params))
        )
    };
    let _ = writeln!(
        page,
        "<h1>trialsim: {}</h1><p class=\"meta\">R = {} replicates per design point, seed {}, trialsim {}{params}. \
         Every number comes with its Monte Carlo standard error (± MC SE).</p>",
        escape(&result.scenario),
        group_thousands(dp.replicates),
        result.seed,
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(page, "<h2>The scenario</h2>{}", describe(study, focus));
    page.push_str("<h2>Findings</h2><ul>\n");
    for f in findings(study, result, focus) {
        let _ = writeln!(page, "<li>{f}</li>");
    }
    page.push_str("</ul>\n");
    if let Some(section) = section {
        page.push_str(section);
    }
    page.push_str("<h2>Figures</h2>\n");
    for Figure { name, svg, .. } in figures {
        // Inline from the root element on (an XML declaration may not).
        let svg = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        let _ = writeln!(
            page,
            "<figure id=\"fig-{name}\">{svg}<figcaption>{}</figcaption></figure>",
            figure_caption(name, sample)
        );
    }
    page.push_str("<h2>All metrics</h2>\n");
    let _ = writeln!(
        page,
        "<h3>Trials at month {}</h3><table><tr><th>metric</th><th>estimate</th><th>MC SE</th><th>n</th></tr>{}</table>",
        month_label(dp.month),
        metric_rows(&dp.metrics)
    );
    if let Some(meta) = &dp.meta {
        let _ = writeln!(
            page,
            "<h3>Meta-analysis</h3><table><tr><th>metric</th><th>estimate</th><th>MC SE</th><th>n</th></tr>{}</table>",
            metric_rows(meta)
        );
    }
    if result.design_points.len() > 1 {
        page.push_str("<h3>Every design point</h3><table><tr><th>design point</th>");
        let columns = sweep_columns(result);
        for h in columns {
            let _ = write!(page, "<th>{h}</th>");
        }
        page.push_str("</tr>\n");
        for d in &result.design_points {
            let _ = write!(
                page,
                "<tr><td>{}</td>",
                escape(&crate::scenario::sweep::describe(&d.params))
            );
            for &h in columns {
                let cell = d
                    .metrics
                    .get(h)
                    .and_then(|e| e.plus_minus(3))
                    .unwrap_or_else(|| "—".into());
                let _ = write!(page, "<td>{cell}</td>");
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</table>\n");
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::{arm_sizes, crossing, decimal_words, rate_words};

    #[test]
    fn the_80_percent_crossing_is_interpolated_in_log_n() {
        // 0.5 at 10, 0.9 at 40: three quarters of the way in log n, 10·4^0.75.
        let (n, interpolated) = crossing(&[(10.0, 0.5), (40.0, 0.9)], 0.8).unwrap();
        assert!((n - 10.0 * 4f64.powf(0.75)).abs() < 1e-9 && interpolated);
        assert_eq!(
            crossing(&[(10.0, 0.85), (40.0, 0.9)], 0.8),
            Some((10.0, false))
        );
        assert_eq!(crossing(&[(10.0, 0.5), (40.0, 0.7)], 0.8), None);
    }

    #[test]
    fn rates_keep_a_significant_figure_and_no_float_noise() {
        assert_eq!(rate_words(0.01), "1");
        assert_eq!(rate_words(0.015), "1.5");
        assert_eq!(rate_words(0.245), "24.5");
        assert_eq!(rate_words(0.00004), "0.004");
        assert_eq!(rate_words(0.0), "0");
        assert_eq!(decimal_words(1.0 - 0.07, 4), "0.93");
        assert_eq!(decimal_words(1.0 - 0.00001, 7), "0.99999");
    }

    #[test]
    fn unequal_arms_are_both_named() {
        assert_eq!(arm_sizes(20, 20), "20 patients per arm");
        assert_eq!(arm_sizes(20, 40), "20 control and 40 treated patients");
    }
}
