//! Warnings about metrics too imprecise to read, each naming what to do.

use super::{Estimate, Metric, Metrics};
use crate::error::{Message, Setting};
use crate::scenario::Scenario;

/// Conditional metrics and the condition they count over, for warnings.
const CONDITIONAL: [(Metric, &str); 7] = [
    (Metric::TypeS, "significant trials"),
    (Metric::TypeM, "significant trials"),
    (Metric::TypeSTrial, "significant trials"),
    (Metric::TypeMTrial, "significant trials"),
    (Metric::ClaimTrue, "trials claiming an MCID benefit"),
    (Metric::Durable, "significant favourable trials"),
    (Metric::ReplicationSame, "significant favourable trials"),
];

/// Fewest replicates a conditional metric should rest on before it is read.
pub const MIN_CONDITIONING: u64 = 100;
/// Largest MC SE of power that reads to two decimals.
pub const MAX_POWER_SE: f64 = 0.01;

/// Whether a conditional metric is computed at all in scenario `sc` (an
/// MCID-based metric needs `outcome.mcid`, the replication metric
/// `analysis.replication`; type S and M and the MCID claims only exist for
/// superiority): an empty one that is not is no news.
fn computed(name: Metric, sc: &Scenario) -> bool {
    let superiority = sc.analysis.hypothesis.is_superiority();
    match name {
        Metric::ClaimTrue | Metric::Durable => sc.outcome.mcid.is_some() && superiority,
        Metric::ReplicationSame => sc.analysis.replication,
        _ => superiority,
    }
}

/// Whether some trial met the condition of conditional metric `name`. A
/// conditional metric can be empty while its condition was met: type S and M
/// are undefined against a true effect of 0 however many trials are
/// significant, and that is no reason to raise the replicates.
fn condition_met(name: Metric, metrics: &Metrics) -> bool {
    let base = match name {
        Metric::ClaimTrue => Metric::McidClaim,
        Metric::Durable | Metric::ReplicationSame => Metric::PowerFavourable,
        _ => Metric::Power,
    };
    metrics
        .get(base)
        .and_then(|e| e.estimate)
        .is_some_and(|p| p > 0.0)
}

/// Warnings about metrics that are empty or too imprecise to read, each
/// naming the action that fixes it (the run setting to change, as a
/// [`Message`]): every trial not estimable; a conditional metric whose
/// condition no trial met (its denominator is zero); one resting on fewer
/// than [`MIN_CONDITIONING`] trials; power's MC SE above target.
pub fn warnings(
    metrics: &Metrics,
    replicates: u64,
    precision: Option<f64>,
    sc: &Scenario,
) -> Vec<Message> {
    let mut out = Vec::new();
    let round_up = |r: f64| ((r / 1000.0).ceil() * 1000.0) as u64;
    if metrics
        .get(Metric::NotEstimable)
        .and_then(|e| e.estimate)
        .is_some_and(|share| share >= 1.0)
    {
        // Nothing else can be read: say that alone.
        return vec![Message::from(format!(
            "no trial could be analysed: all {replicates} are not estimable (at the primary visit an arm has fewer than 2 patients observed, or no variance, e.g. subject_sd = residual_sd = 0); every metric but power is empty"
        ))];
    }
    let mut empty: Vec<(Metric, &str)> = Vec::new();
    for (name, condition) in CONDITIONAL {
        if let Some(e) = metrics.get(name)
            && e.n == 0
            && computed(name, sc)
            && !condition_met(name, metrics)
        {
            match empty.iter_mut().find(|(_, c)| *c == condition) {
                Some(_) => {}
                None => empty.push((name, condition)),
            }
        }
    }
    for (_, condition) in &empty {
        let names: Vec<String> = CONDITIONAL
            .iter()
            .filter(|(n, c)| c == condition && metrics.get(*n).is_some_and(|e| e.n == 0))
            .filter(|(n, _)| computed(*n, sc) && !condition_met(*n, metrics))
            .map(|(n, _)| n.to_string())
            .collect();
        out.push(
            Message::from(format!(
                "{} undefined: none of the {replicates} trials is among the {condition}; raise ",
                list_is(&names)
            ))
            .setting(Setting::Replicates)
            .then(" or the design's power"),
        );
    }
    for (name, condition) in CONDITIONAL {
        if let Some(e) = metrics.get(name)
            && e.n > 0
            && e.n < MIN_CONDITIONING
        {
            let more = round_up(replicates as f64 * MIN_CONDITIONING as f64 / e.n as f64);
            out.push(
                Message::from(format!(
                    "{name} rests on {} {condition} (MC SE {}): use ",
                    e.n,
                    e.mc_se
                        .map_or("undefined".to_string(), |s| format!("{s:.3}")),
                ))
                .setting(Setting::Replicates)
                .then(format!(" {more} for at least {MIN_CONDITIONING}")),
            );
        }
    }
    if let Some(Estimate {
        estimate: Some(p),
        mc_se: Some(se),
        ..
    }) = metrics.get(Metric::Power).copied()
    {
        match precision {
            Some(target) if se > target => out.push(
                Message::from(format!("MC SE of power is {se:.4} > "))
                    .setting(Setting::Precision)
                    .then(format!(
                        " {target} after {replicates} replicates (power {p:.3}): raise "
                    ))
                    .setting(Setting::MaxReplicates),
            ),
            None if se > MAX_POWER_SE => out.push(
                Message::from(format!("MC SE of power is {se:.3} > {MAX_POWER_SE}: use "))
                    .setting(Setting::Replicates)
                    .then(format!(
                        " {} or ",
                        round_up(replicates as f64 * (se / MAX_POWER_SE).powi(2))
                    ))
                    .setting(Setting::Precision)
                    .then(format!(" {MAX_POWER_SE}")),
            ),
            _ => {}
        }
    }
    out
}

/// "a is" / "a and b are" / "a, b and c are".
fn list_is(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is"),
        [init @ .., last] => format!("{} and {last} are", init.join(", ")),
    }
}
