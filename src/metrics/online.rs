//! Online accumulators: exact counts, Welford moments and joint moments of
//! a pair, each with `add`, `merge` (Chan et al. 1979) and an estimate with
//! its Monte Carlo SE.

use super::Estimate;
use serde::{Deserialize, Serialize};

/// A proportion: hits out of n.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub(crate) hits: u64,
    pub(crate) n: u64,
}

impl Count {
    #[inline]
    pub(crate) fn add(&mut self, hit: bool) {
        self.n += 1;
        self.hits += u64::from(hit);
    }
    pub(crate) fn merge(&mut self, other: &Count) {
        self.n += other.n;
        self.hits += other.hits;
    }
    pub(crate) fn estimate(&self) -> Estimate {
        if self.n == 0 {
            return Estimate::UNDEFINED;
        }
        let p = self.hits as f64 / self.n as f64;
        Estimate {
            estimate: Some(p),
            mc_se: Some((p * (1.0 - p) / self.n as f64).sqrt()),
            n: self.n,
        }
    }
}

/// Mean and centred second moment (Welford; Chan et al. 1979 to merge).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// The root of the mean (of squared errors: an RMSE), its MC SE by the
    /// delta method, `SE(mean) / (2 · root)` (0 at a root of 0).
    pub(crate) fn root_mean_estimate(&self) -> Estimate {
        let mse = self.mean_estimate(0.0, 1.0);
        match mse.estimate {
            Some(m) => {
                let r = m.sqrt();
                Estimate {
                    estimate: Some(r),
                    mc_se: mse
                        .mc_se
                        .map(|s| if r > 0.0 { s / (2.0 * r) } else { 0.0 })
                        .filter(|se| se.is_finite()),
                    n: mse.n,
                }
            }
            None => Estimate::UNDEFINED,
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
    pub(crate) fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n as f64 / n as f64;
        self.m2 += o.m2 + d * d * (self.n as f64 * o.n as f64 / n as f64);
        self.n = n;
    }
    pub(crate) fn variance(&self) -> f64 {
        self.m2 / (self.n as f64 - 1.0)
    }
    /// The mean scaled by `scale`, with SE `sd/sqrt(n)` (undefined SE when n < 2).
    pub(crate) fn mean_estimate(&self, shift: f64, scale: f64) -> Estimate {
        if self.n == 0 {
            return Estimate::UNDEFINED;
        }
        // At the limits of f64 (values near 1e150) a variance can overflow:
        // an SE that is not finite is reported as absent, never as inf.
        Estimate {
            estimate: Some((self.mean - shift) * scale),
            mc_se: (self.n >= 2)
                .then(|| (self.variance() / self.n as f64).sqrt() * scale.abs())
                .filter(|se| se.is_finite()),
            n: self.n,
        }
    }
}

/// Joint moments of two variables, for a ratio of means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PairMoments {
    n: u64,
    mx: f64,
    my: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl PairMoments {
    #[inline]
    pub(crate) fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        let n = self.n as f64;
        let dx = x - self.mx;
        let dy = y - self.my;
        self.mx += dx / n;
        self.my += dy / n;
        self.sxx += dx * (x - self.mx);
        self.syy += dy * (y - self.my);
        self.sxy += dx * (y - self.my);
    }
    pub(crate) fn merge(&mut self, o: &PairMoments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let n = (self.n + o.n) as f64;
        let f = self.n as f64 * o.n as f64 / n;
        let dx = o.mx - self.mx;
        let dy = o.my - self.my;
        self.mx += dx * o.n as f64 / n;
        self.my += dy * o.n as f64 / n;
        self.sxx += o.sxx + dx * dx * f;
        self.syy += o.syy + dy * dy * f;
        self.sxy += o.sxy + dx * dy * f;
        self.n += o.n;
    }
    /// `mean(x) / mean(y)` with the delta-method SE.
    pub(crate) fn ratio(&self) -> Estimate {
        if self.n == 0 || self.my == 0.0 {
            return Estimate::UNDEFINED;
        }
        let r = self.mx / self.my;
        let se = (self.n >= 2).then(|| {
            let n1 = self.n as f64 - 1.0;
            let (vx, vy, cxy) = (self.sxx / n1, self.syy / n1, self.sxy / n1);
            ((vx - 2.0 * r * cxy + r * r * vy).max(0.0) / self.n as f64).sqrt() / self.my.abs()
        });
        Estimate {
            estimate: Some(r),
            mc_se: se.filter(|se| se.is_finite()),
            n: self.n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_merge_matches_sequential() {
        let xs: Vec<f64> = (0..100)
            .map(|i| ((i * 37) % 11) as f64 * 0.7 - 3.0)
            .collect();
        let mut all = Moments::default();
        xs.iter().for_each(|&x| all.add(x));
        let mut a = Moments::default();
        let mut b = Moments::default();
        xs[..40].iter().for_each(|&x| a.add(x));
        xs[40..].iter().for_each(|&x| b.add(x));
        a.merge(&b);
        assert_eq!(a.n, all.n);
        assert!((a.mean - all.mean).abs() < 1e-12);
        assert!((a.m2 - all.m2).abs() < 1e-9);
        let mean = xs.iter().sum::<f64>() / 100.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 99.0;
        assert!((all.variance() - var).abs() < 1e-12);
    }

    #[test]
    fn proportion_se_is_binomial() {
        let mut c = Count::default();
        for i in 0..400 {
            c.add(i % 4 == 0);
        }
        let e = c.estimate();
        assert_eq!(e.estimate, Some(0.25));
        assert!((e.mc_se.unwrap() - (0.25f64 * 0.75 / 400.0).sqrt()).abs() < 1e-15);
        assert_eq!(Count::default().estimate(), Estimate::UNDEFINED);
    }

    #[test]
    fn ratio_of_means_delta_method() {
        let mut p = PairMoments::default();
        let data = [(2.0, 1.0), (4.0, 2.0), (3.0, 1.5), (5.0, 2.5)];
        data.iter().for_each(|&(x, y)| p.add(x, y));
        let e = p.ratio();
        assert!((e.estimate.unwrap() - 2.0).abs() < 1e-12);
        // x = 2y exactly, so the delta-method variance is zero.
        assert!(e.mc_se.unwrap() < 1e-7);
    }
}
