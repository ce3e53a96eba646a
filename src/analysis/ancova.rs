//! ANCOVA: OLS of the visit value on arm and baseline, from pooled
//! within-arm sums of squares (the same fit); the arm coefficient, its SE
//! and t on `n − 3` df.

use super::sums::zero_variance;
use crate::simulate::ArmSums;

/// ANCOVA by pooled within-arm regression: (estimate, se, df), or `None`
/// when the baseline is collinear with arm or the fit is exact.
pub(super) fn ancova(c: &ArmSums, t: &ArmSums) -> Option<(f64, f64, f64)> {
    let sxx = c.sxx + t.sxx;
    let sxy = c.sxy + t.sxy;
    let syy = c.syy + t.syy;
    let floor = zero_variance(c, t);
    if sxx.is_nan() || sxx <= floor {
        return None;
    }
    let slope = sxy / sxx;
    let rss = syy - slope * sxy;
    // A residual sum of squares at rounding-error level of the total, or of
    // the values themselves, is an exact fit.
    if rss.is_nan() || rss <= 1e-12 * syy || rss <= floor {
        return None;
    }
    let df = (c.n + t.n) as f64 - 3.0;
    let sigma2 = rss / df;
    let dx = t.mean_x - c.mean_x;
    let estimate = (t.mean_y - c.mean_y) - slope * dx;
    let se = (sigma2 * (1.0 / t.n as f64 + 1.0 / c.n as f64 + dx * dx / sxx)).sqrt();
    Some((estimate, se, df))
}
