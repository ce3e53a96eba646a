//! Subgroup analysis: the mixed-effects meta-regression of the estimates on
//! one factor's levels with a common tau² — metafor's `rma(yi, vi, mods =
//! ~ factor(g))` for the test of subgroup differences and `mods = ~ 0 +
//! factor(g)` for the level estimates (the same fit in two codings).
//!
//! With one factor the design matrix is the levels' indicators, so
//! `X'WX` is diagonal and every quantity is a sum over the studies of a
//! level: with `w_i = 1/(v_i + tau²)`, `W_j = Σ_{i∈j} w_i`, the level's
//! estimate is its weighted mean `b_j = Σ w_i y_i / W_j` with variance
//! `1/W_j`, the residual heterogeneity is `Q_E = Σ_i w_i (y_i − b_{j(i)})²`
//! on `k − L` df, and the omnibus test of subgroup differences (all `b_j`
//! equal) is the weighted between-levels sum of squares
//! `QM = Σ_j W_j (b_j − b̄)²`, `b̄ = Σ W_j b_j / Σ W_j`, on `L − 1` df. tau²
//! is estimated once for all levels:
//! - DerSimonian–Laird: `max(0, (Q_E(0) − (k − L)) / tr P)`, `tr P = Σ 1/v_i
//!   − Σ_j Σ_{i∈j} v_i⁻² / Σ_{i∈j} v_i⁻¹` (metafor's mixed-effects DL);
//! - Paule–Mandel: the root of `Q_E(tau²) = k − L`;
//! - REML: Fisher scoring on `½(y'PPy − tr P)` with information `½ tr PP`,
//!   truncated at 0, as metafor's `rma.uni`.
//!
//! Under Hartung–Knapp (metafor's `test = "knha"`) every variance is
//! multiplied by `s² = Q_E(tau²)/(k − L)`, the levels' intervals use t on
//! `k − L` df, and the omnibus test is `F = QM / (L − 1) / s²` on
//! `(L − 1, k − L)` df; the ad hoc variant bounds `s²` below by 1.
//!
//! A level with one study is estimated (its estimate is that study's) but
//! adds nothing to `Q_E` or its df; the fit needs two levels and at least
//! one level with two studies (`k > L`), else tau² and the residual
//! variance are not identified.

use super::pooling::{Estimator, MAX_ITER, TOL, Test, damped_step, decreasing_root};
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, Normal, StudentsT};

/// Why a subgroup analysis cannot be fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotIdentified {
    /// All studies are in one level: there is nothing to compare.
    OneLevel,
    /// Every level has a single study (`k = L`): no residual to estimate
    /// tau² or the residual variance from.
    OneStudyPerLevel,
}

/// One level's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelFit {
    /// The level's name.
    pub level: String,
    /// Studies in the level.
    pub k: usize,
    /// Its estimate (the weighted mean of its studies).
    pub mu: f64,
    /// Its SE (scaled by `s` under HKSJ).
    pub se: f64,
    /// CI lower bound.
    pub ci_low: f64,
    /// CI upper bound.
    pub ci_high: f64,
}

/// The fitted subgroup analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubgroupFit {
    /// The levels, in the order given.
    pub levels: Vec<LevelFit>,
    /// The omnibus test of subgroup differences: Wald chi-square `QM`, or
    /// under HKSJ its F statistic.
    pub qm: f64,
    /// Its (numerator) df, `L − 1`.
    pub df: usize,
    /// The F test's denominator df, `k − L` (null for the chi-square test).
    pub df2: Option<usize>,
    /// The test's p-value.
    pub p_value: f64,
    /// `"chi2"` or `"F"`.
    pub test: &'static str,
    /// The common between-study variance (0 for the fixed-effect model).
    pub tau2: f64,
    /// Residual heterogeneity `Q_E` about the levels' fixed-effect means.
    pub qe: f64,
    /// Whether the tau² estimator converged (DL is used when it did not).
    pub converged: bool,
}

impl SubgroupFit {
    /// The levels other than `j` pooled with weights `1/se²` (their own
    /// precision): the weighted mean of `value(i)` over them, and their
    /// summed precision.
    pub fn rest(&self, j: usize, value: impl Fn(usize) -> f64) -> (f64, f64) {
        let (mut precision, mut sum) = (0.0, 0.0);
        for (i, l) in self.levels.iter().enumerate() {
            if i != j {
                let w = 1.0 / (l.se * l.se);
                precision += w;
                sum += w * value(i);
            }
        }
        (sum / precision, precision)
    }

    /// Level `j` against the rest: its estimate minus the rest's, and the
    /// difference's SE (the levels' studies are disjoint).
    pub fn versus_rest(&self, j: usize) -> (f64, f64) {
        let (rest, precision) = self.rest(j, |i| self.levels[i].mu);
        let own = &self.levels[j];
        (own.mu - rest, (own.se * own.se + 1.0 / precision).sqrt())
    }
}

/// The studies grouped by level: per level, the studies' (y, v).
struct Levels<'a> {
    y: &'a [f64],
    v: &'a [f64],
    of: &'a [usize],
    count: usize,
}

impl Levels<'_> {
    /// Per level: `(W_j, b_j)` at tau².
    fn means(&self, tau2: f64) -> Vec<(f64, f64)> {
        let mut sums = vec![(0.0, 0.0); self.count];
        for ((&y, &v), &j) in self.y.iter().zip(self.v).zip(self.of) {
            let w = 1.0 / (v + tau2);
            sums[j].0 += w;
            sums[j].1 += w * y;
        }
        sums.into_iter().map(|(sw, swy)| (sw, swy / sw)).collect()
    }

    /// `Q_E(tau²) = Σ w_i (y_i − b_j)²`.
    fn q_e(&self, tau2: f64) -> f64 {
        let means = self.means(tau2);
        self.residuals(tau2, &means).map(|(w, r)| w * r * r).sum()
    }

    /// Each study's weight and residual about its level's mean.
    fn residuals<'b>(
        &'b self,
        tau2: f64,
        means: &'b [(f64, f64)],
    ) -> impl Iterator<Item = (f64, f64)> + 'b {
        self.y
            .iter()
            .zip(self.v)
            .zip(self.of)
            .map(move |((&y, &v), &j)| (1.0 / (v + tau2), y - means[j].1))
    }

    /// Residual df, `k − L`.
    fn df(&self) -> f64 {
        (self.y.len() - self.count) as f64
    }

    /// `tr P` and `tr PP` at tau², with `P = W − W X (X'WX)⁻¹ X'W`
    /// block-diagonal by level.
    fn traces(&self, tau2: f64) -> (f64, f64) {
        let mut per = vec![(0.0, 0.0, 0.0); self.count];
        for (&v, &j) in self.v.iter().zip(self.of) {
            let w = 1.0 / (v + tau2);
            per[j].0 += w;
            per[j].1 += w * w;
            per[j].2 += w * w * w;
        }
        per.into_iter()
            .fold((0.0, 0.0), |(tr, trpp), (sw, sw2, sw3)| {
                (
                    tr + sw - sw2 / sw,
                    trpp + sw2 - 2.0 * sw3 / sw + (sw2 / sw).powi(2),
                )
            })
    }

    fn scale(&self) -> f64 {
        self.v.iter().sum::<f64>() / self.v.len() as f64
    }

    fn tau2_dl(&self) -> f64 {
        let (trace, _) = self.traces(0.0);
        ((self.q_e(0.0) - self.df()) / trace).max(0.0)
    }

    fn tau2_pm(&self) -> Option<f64> {
        let target = self.df();
        if self.q_e(0.0) <= target {
            return Some(0.0);
        }
        let scale = self.scale();
        decreasing_root(|t| self.q_e(t), target, scale.max(f64::MIN_POSITIVE), scale)
    }

    /// The REML log-likelihood of tau² (up to a constant).
    fn reml_loglik(&self, tau2: f64) -> f64 {
        let means = self.means(tau2);
        let log_det: f64 = means.iter().map(|(sw, _)| sw.ln()).sum();
        let resid: f64 = self.residuals(tau2, &means).map(|(w, r)| w * r * r).sum();
        let log_v: f64 = self.v.iter().map(|v| (v + tau2).ln()).sum();
        -0.5 * (log_v + log_det + resid)
    }

    fn tau2_reml(&self) -> Option<f64> {
        let scale = self.scale();
        let mut tau2 = self.tau2_dl();
        for _ in 0..MAX_ITER {
            let means = self.means(tau2);
            // y'PPy: P y is each study's weighted residual.
            let pp: f64 = self
                .residuals(tau2, &means)
                .map(|(w, r)| (w * r).powi(2))
                .sum();
            let (trace, trace_pp) = self.traces(tau2);
            if trace_pp.is_nan() || trace_pp <= 0.0 || !pp.is_finite() {
                return None;
            }
            let next = damped_step(tau2, (pp - trace) / trace_pp, |t| self.reml_loglik(t));
            if (next - tau2).abs() <= TOL * (scale + tau2) {
                return Some(next);
            }
            tau2 = next;
        }
        None
    }
}

/// Fits the subgroup analysis of studies `(y, v)`, study `i` in level
/// `of[i]` of `names` (every level must have a study), with tau² by
/// `estimator` (`None`: the fixed-effect model, tau² = 0), the test
/// `test`, and intervals at `level`.
///
/// # Errors
/// [`NotIdentified`] with one level, or one study in every level.
///
/// # Panics
/// If the slices differ in length or a level index is out of range
/// (callers build them).
pub fn subgroups(
    y: &[f64],
    v: &[f64],
    of: &[usize],
    names: &[String],
    estimator: Option<Estimator>,
    test: Test,
    level: f64,
) -> Result<SubgroupFit, NotIdentified> {
    assert!(y.len() == v.len() && y.len() == of.len());
    let levels = Levels {
        y,
        v,
        of,
        count: names.len(),
    };
    if names.len() < 2 {
        return Err(NotIdentified::OneLevel);
    }
    if y.len() <= names.len() {
        return Err(NotIdentified::OneStudyPerLevel);
    }
    let (tau2, converged) = match estimator {
        None => (0.0, true),
        Some(Estimator::Dl) => (levels.tau2_dl(), true),
        Some(Estimator::Pm) => levels
            .tau2_pm()
            .map_or((levels.tau2_dl(), false), |t| (t, true)),
        Some(Estimator::Reml) => levels
            .tau2_reml()
            .map_or((levels.tau2_dl(), false), |t| (t, true)),
    };
    let means = levels.means(tau2);
    let df_resid = levels.df();
    let s2 = match test {
        Test::Wald => 1.0,
        Test::Hksj => levels.q_e(tau2) / df_resid,
        Test::HksjAdhoc => (levels.q_e(tau2) / df_resid).max(1.0),
    };
    let tail = 1.0 - (1.0 - level) / 2.0;
    let crit = match test {
        Test::Wald => Normal::standard().inverse_cdf(tail),
        _ => StudentsT::new(0.0, 1.0, df_resid)
            .expect("k > L")
            .inverse_cdf(tail),
    };
    let counts = of.iter().fold(vec![0; names.len()], |mut c, &j| {
        c[j] += 1;
        c
    });
    let fits = names
        .iter()
        .zip(&means)
        .zip(counts)
        .map(|((name, &(sw, mu)), k)| {
            let se = (s2 / sw).sqrt();
            LevelFit {
                level: name.clone(),
                k,
                mu,
                se,
                ci_low: mu - crit * se,
                ci_high: mu + crit * se,
            }
        })
        .collect();
    let total: f64 = means.iter().map(|(sw, _)| sw).sum();
    let grand = means.iter().map(|(sw, b)| sw * b).sum::<f64>() / total;
    let qm_wald: f64 = means.iter().map(|(sw, b)| sw * (b - grand).powi(2)).sum();
    let df = names.len() - 1;
    let (qm, df2, p_value, test_name) = match test {
        Test::Wald => {
            let p = ChiSquared::new(df as f64).expect("df >= 1").sf(qm_wald);
            (qm_wald, None, p, "chi2")
        }
        _ => {
            let f = qm_wald / df as f64 / s2;
            let p = FisherSnedecor::new(df as f64, df_resid)
                .expect("df >= 1")
                .sf(f);
            (f, Some(y.len() - names.len()), p, "F")
        }
    };
    Ok(SubgroupFit {
        levels: fits,
        qm,
        df,
        df2,
        p_value,
        test: test_name,
        tau2,
        qe: levels.q_e(0.0),
        converged,
    })
}
