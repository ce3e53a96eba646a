//! Warnings about metrics too imprecise to read, each naming what to do.

use super::{Estimate, Metric, Metrics};
use crate::error::{Message, Setting};

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

/// Warnings about metrics too imprecise to read, each naming the action that
/// fixes it (the run setting to change, as a [`Message`]).
pub fn warnings(metrics: &Metrics, replicates: u64, precision: Option<f64>) -> Vec<Message> {
    let mut out = Vec::new();
    let round_up = |r: f64| ((r / 1000.0).ceil() * 1000.0) as u64;
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
