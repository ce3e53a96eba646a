//! Welch's t-test on change from baseline, treatment minus control, with
//! Welch–Satterthwaite degrees of freedom (Welch 1947).

use super::sums::zero_variance;
use crate::simulate::ArmSums;

/// Welch on change: (estimate, se, df), or `None` at zero variance.
pub(super) fn welch(c: &ArmSums, t: &ArmSums) -> Option<(f64, f64, f64)> {
    let var = |a: &ArmSums| (a.syy + a.sxx - 2.0 * a.sxy).max(0.0) / (a.n as f64 - 1.0);
    let (wc, wt) = (var(c) / c.n as f64, var(t) / t.n as f64);
    let se2 = wc + wt;
    // Variance at rounding-error level of the values is zero variance.
    let floor = zero_variance(c, t) / (c.n + t.n) as f64;
    if se2.is_nan() || se2 <= floor {
        return None;
    }
    // Welch–Satterthwaite, written with ratios so that huge variances cannot overflow.
    let (rc, rt) = (wc / se2, wt / se2);
    let df = 1.0 / (rc * rc / (c.n as f64 - 1.0) + rt * rt / (t.n as f64 - 1.0));
    let estimate = (t.mean_y - t.mean_x) - (c.mean_y - c.mean_x);
    Some((estimate, se2.sqrt(), df))
}
