//! Warnings about metrics too imprecise to read, each naming what to do.

use super::{Estimate, Metric, Metrics};

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

/// Warnings about metrics too imprecise to read, each naming the action that fixes it.
pub fn warnings(metrics: &Metrics, replicates: u64, precision: Option<f64>) -> Vec<String> {
    let mut out = Vec::new();
    let round_up = |r: f64| ((r / 1000.0).ceil() * 1000.0) as u64;
    for (name, condition) in CONDITIONAL {
        if let Some(e) = metrics.get(name)
            && e.n > 0
            && e.n < MIN_CONDITIONING
        {
            let more = round_up(replicates as f64 * MIN_CONDITIONING as f64 / e.n as f64);
            out.push(format!(
                "{name} rests on {} {condition} (MC SE {}): use --replicates {more} for at least {MIN_CONDITIONING}",
                e.n,
                e.mc_se.map_or("undefined".to_string(), |s| format!("{s:.3}")),
            ));
        }
    }
    if let Some(Estimate {
        estimate: Some(p),
        mc_se: Some(se),
        ..
    }) = metrics.get(Metric::Power).copied()
    {
        match precision {
            Some(target) if se > target => out.push(format!(
                "MC SE of power is {se:.4} > --precision {target} after {replicates} replicates (power {p:.3}): raise --max-replicates"
            )),
            None if se > MAX_POWER_SE => out.push(format!(
                "MC SE of power is {se:.3} > {MAX_POWER_SE}: use --replicates {} or --precision {MAX_POWER_SE}",
                round_up(replicates as f64 * (se / MAX_POWER_SE).powi(2))
            )),
            _ => {}
        }
    }
    out
}
