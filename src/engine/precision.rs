//! `--precision`: how many replicates a target Monte Carlo SE of power needs.

use crate::error::{Error, Message, Result, Setting};
use crate::metrics::Accumulator;

/// Replicates judged before `--precision` may stop (MODEL.md §3 needs enough
/// trials for a binomial SE to be trusted).
pub const PRECISION_MIN_REPLICATES: u64 = 2000;
/// Default ceiling with `--precision`.
pub const DEFAULT_MAX_REPLICATES: u64 = 1_000_000;

/// Checks a precision target and its ceiling on replicates.
///
/// # Errors
/// [`Error::Setting`] naming the precision or the ceiling.
pub fn check(se: f64, max_replicates: u64) -> Result<()> {
    if !(se > 0.0 && se < 0.5) {
        return Err(Error::setting(
            Setting::Precision,
            se,
            "must be in (0, 0.5)",
        ));
    }
    if max_replicates < PRECISION_MIN_REPLICATES {
        return Err(Error::setting(
            Setting::MaxReplicates,
            max_replicates,
            Message::from(format!("must be at least {PRECISION_MIN_REPLICATES} with "))
                .setting(Setting::Precision),
        ));
    }
    Ok(())
}

/// The one R that gives an MC SE of `se` at power `p`: `p(1 − p)/se²`,
/// in whole blocks of `block`, from [`PRECISION_MIN_REPLICATES`] up to
/// `max_replicates` (what `size` runs at every value it evaluates).
pub fn replicates_at(p: f64, se: f64, block: u64, max_replicates: u64) -> u64 {
    let r = (p * (1.0 - p) / (se * se)).ceil() as u64;
    (r.div_ceil(block) * block)
        .max(PRECISION_MIN_REPLICATES)
        .min(max_replicates)
}

/// Agresti–Coull shrunken SE of a proportion (z = 2): `p~ = (x + 2)/(n + 4)`,
/// `sqrt(p~(1 − p~)/(n + 4))`. Unlike the plain binomial SE it is not 0 at
/// p = 0 or 1, so a power near 0 or 1 cannot stop a precision run early.
pub fn agresti_coull_se(p: f64, n: u64) -> f64 {
    let n = n as f64;
    let shrunk = (p * n + 2.0) / (n + 4.0);
    (shrunk * (1.0 - shrunk) / (n + 4.0)).sqrt()
}

/// Replicates needed for an SE of `target` at the shrunken proportion.
fn replicates_needed(p: f64, n: u64, target: f64) -> u64 {
    let nf = n as f64;
    let shrunk = (p * nf + 2.0) / (nf + 4.0);
    (shrunk * (1.0 - shrunk) / (target * target) - 4.0)
        .ceil()
        .max(0.0) as u64
}

/// The largest R any design point needs for its power SE to reach `target`
/// after `replicates` (0 when every point is there already).
pub(super) fn replicates_for(accs: &[Option<Accumulator>], replicates: u64, target: f64) -> u64 {
    accs.iter()
        .filter_map(|a| a.as_ref())
        .map(|a| {
            let p = a.power_estimate();
            let se =
                agresti_coull_se(p, replicates).max((p * (1.0 - p) / replicates as f64).sqrt());
            if se <= target {
                0
            } else {
                replicates_needed(p, replicates, target)
            }
        })
        .max()
        .unwrap_or(0)
}
