//! Each arm's sufficient statistics at a visit under the missing-data
//! method, in two branch-free passes over the patients.

use crate::scenario::Missing;
use crate::simulate::{ArmSums, TrialData};
use std::hint::select_unpredictable;

/// The (baseline, value) pair at visit `k` of a patient with baseline `x`,
/// `seen` visits observed and values `row`, under the missing-data method,
/// and whether the patient is analysed (the pair is meaningless when not).
#[inline(always)]
fn analysed_pair(x: f64, seen: usize, row: &[f64], k: usize, missing: Missing) -> (f64, f64, bool) {
    let value = row[k];
    let observed = k < seen;
    match missing {
        Missing::CompleteCase => (x, value, observed),
        Missing::Bocf => (x, if observed { value } else { x }, true),
        Missing::Locf => {
            let carried = if seen == 0 { x } else { row[seen - 1] };
            (x, if observed { value } else { carried }, true)
        }
    }
}

pub(super) fn arm_sums(data: &TrialData, arm: usize, k: usize, missing: Missing) -> ArmSums {
    // One copy of the loops per method, so `missing` is not re-decided per patient.
    match missing {
        Missing::CompleteCase => sums(data, arm, |x, seen, row| {
            analysed_pair(x, seen, row, k, Missing::CompleteCase)
        }),
        Missing::Bocf => sums(data, arm, |x, seen, row| {
            analysed_pair(x, seen, row, k, Missing::Bocf)
        }),
        Missing::Locf => sums(data, arm, |x, seen, row| {
            analysed_pair(x, seen, row, k, Missing::Locf)
        }),
    }
}

/// Two-pass sums over an arm's analysed pairs. Branch-free in whether a
/// patient is analysed (random, so a branch would mispredict): a patient
/// left out adds exact zeros.
#[inline(always)]
fn sums(
    data: &TrialData,
    arm: usize,
    pair: impl Fn(f64, usize, &[f64]) -> (f64, f64, bool),
) -> ArmSums {
    let range = data.arm(arm);
    let pairs = || {
        data.baseline[range.clone()]
            .iter()
            .zip(&data.observed[range.clone()])
            .zip(data.rows(range.clone()))
            .map(|((&x, &seen), row)| pair(x, seen, row))
    };
    let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
    for (x, y, ok) in pairs() {
        n += usize::from(ok);
        sx += select_unpredictable(ok, x, 0.0);
        sy += select_unpredictable(ok, y, 0.0);
    }
    if n == 0 {
        return ArmSums::default();
    }
    let (mean_x, mean_y) = (sx / n as f64, sy / n as f64);
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (x, y, ok) in pairs() {
        let dx = select_unpredictable(ok, x - mean_x, 0.0);
        let dy = select_unpredictable(ok, y - mean_y, 0.0);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    ArmSums {
        n,
        mean_x,
        mean_y,
        sxx,
        syy,
        sxy,
    }
}

/// A sum of squares at or below this is rounding error: n times the square of
/// 1e-10 of the values' magnitude. (Values clamped to a bound are equal, but
/// their computed means may differ from them in the last bit.)
pub(super) fn zero_variance(c: &ArmSums, t: &ArmSums) -> f64 {
    let scale = [c.mean_x, c.mean_y, t.mean_x, t.mean_y]
        .iter()
        .fold(1.0f64, |m, x| m.max(x.abs()));
    (c.n + t.n) as f64 * (1e-10 * scale).powi(2)
}
