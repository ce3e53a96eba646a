//! Analysis of one trial at one visit (MODEL.md §2).
//!
//! Owns: turning one trial's data into a test result. May not: simulate,
//! accumulate metrics or know about replicates and threads.
//!
//! - `welch_change`: Welch's t-test on change from baseline, treatment minus
//!   control, with Welch–Satterthwaite degrees of freedom (Welch 1947).
//! - `ancova`: OLS of the visit value on arm and baseline; the arm
//!   coefficient, its SE and t with `n - 3` df. Computed from pooled
//!   within-arm sums of squares, which is the same OLS fit.
//! - Missing data: complete case, LOCF (last observed post-baseline value,
//!   else baseline), BOCF (baseline for anyone missing).
//! - Two-sided: p = 2 P(T > |t|), CI at 1 − alpha. One-sided: p in the
//!   favourable direction, and the two-sided 1 − 2·alpha interval.
//!
//! A trial is not estimable when an arm has fewer than 2 analysable patients
//! or the variance is zero.

use crate::scenario::{Analysis, Method, Missing, Sided};
use crate::simulate::{ArmSums, CONTROL, TREATMENT, TrialData};
use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};
use std::hint::select_unpredictable;

/// The result of testing the treatment effect in one trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TestResult {
    /// Estimated effect, treatment minus control (scale points).
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Degrees of freedom of the t reference distribution.
    pub df: f64,
    /// `estimate / se`.
    pub t: f64,
    /// Critical value of t: `t_{df, 1 − alpha/2}` (two-sided) or `t_{df, 1 − alpha}` (one-sided).
    pub crit: f64,
    /// Lower CI bound.
    pub ci_low: f64,
    /// Upper CI bound.
    pub ci_high: f64,
    /// `p < alpha`, decided as `|t| > crit` (two-sided) or `s·t > crit` (one-sided),
    /// which is the same event and needs no CDF per trial.
    pub significant: bool,
    /// One- or two-sided.
    pub sided: Sided,
    /// Direction `s` of MODEL.md §0 (the favourable side of a one-sided test).
    pub s: f64,
}

impl TestResult {
    /// The p-value: two-sided, or one-sided in the favourable direction.
    /// Computed on demand (a t CDF costs about 0.5 µs; the engine needs only
    /// `significant`).
    pub fn p_value(&self) -> f64 {
        let dist = StudentsT::new(0.0, 1.0, self.df).expect("df > 0 and finite");
        match self.sided {
            Sided::Two => (2.0 * dist.sf(self.t.abs())).min(1.0),
            Sided::One => dist.sf(self.s * self.t),
        }
    }
}

/// Critical values of t by integer degrees of freedom, computed once each:
/// an inverse t CDF costs about 1.3 µs, more than half of a small trial.
/// Non-integer df (Welch) start from the cached values at the integers
/// around them and take one Halley step (see `CritCache::get`).
#[derive(Debug, Clone, Default)]
pub struct CritCache {
    level: f64,
    values: Vec<f64>,
}

/// Largest integer df cached; beyond it the quantile is computed each time.
const MAX_CACHED_DF: usize = 100_000;

/// Smallest non-integer df refined from the cache; below it the quantile's
/// curvature in df is too strong for one step, and [`quantile`] computes it.
const MIN_REFINED_DF: f64 = 20.0;

/// Tail probability below which a non-integer df gets the full [`quantile`]
/// rather than one step from the cache (alpha below about 2e-6).
const MIN_REFINED_TAIL: f64 = 1e-6;

impl CritCache {
    /// The quantile `t_{df}^{-1}(level)`.
    ///
    /// Integer df: [`quantile`], once per df. Other df in
    /// [`MIN_REFINED_DF`, `MAX_CACHED_DF`) with a tail of at least
    /// [`MIN_REFINED_TAIL`]: interpolate the cached quantiles at the
    /// neighbouring integers linearly in 1/df, then one Halley step, whose
    /// error is of the order of the cube of the starting error: within 1e-9
    /// relative of the full inversion (tested), for one tail probability and
    /// one density instead of an iterative inversion — Welch's df are never
    /// integers, so this is paid per trial.
    fn get(&mut self, df: f64, level: f64) -> f64 {
        if self.level != level {
            self.level = level;
            self.values.clear();
        }
        let whole = df.fract() == 0.0 && df >= 1.0 && df <= MAX_CACHED_DF as f64;
        if whole {
            return self.cached(df as usize, level);
        }
        let refined = (MIN_REFINED_DF..MAX_CACHED_DF as f64).contains(&df)
            && level.min(1.0 - level) >= MIN_REFINED_TAIL;
        if !refined {
            return quantile(df, level);
        }
        let (lo, hi) = (df.floor(), df.ceil());
        let (t_lo, t_hi) = (
            self.cached(lo as usize, level),
            self.cached(hi as usize, level),
        );
        let w = (1.0 / df - 1.0 / hi) / (1.0 / lo - 1.0 / hi);
        halley(t_hi + w * (t_lo - t_hi), df, level).0
    }

    fn cached(&mut self, df: usize, level: f64) -> f64 {
        if self.values.len() <= df {
            self.values.resize(df + 1, f64::NAN);
        }
        if self.values[df].is_nan() {
            self.values[df] = quantile(df as f64, level);
        }
        self.values[df]
    }
}

/// One Halley step from `t` towards `t_{df}^{-1}(level)`, and the step
/// taken. It solves on the smaller tail — `S(t) = 1 − level` above the
/// median, `F(t) = level` below — so that a level near 1 loses no digits to
/// `F(t) − level`.
fn halley(t: f64, df: f64, level: f64) -> (f64, f64) {
    let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0 and finite");
    let density = dist.pdf(t);
    // g(t) = S(t) − (1 − level), decreasing; or F(t) − level, increasing.
    let (g, sign) = if level > 0.5 {
        (dist.sf(t) - (1.0 - level), -1.0)
    } else {
        (dist.cdf(t) - level, 1.0)
    };
    let d1 = sign * density;
    // The density's derivative is −(df + 1) t / (df + t²) times the density.
    let d2 = -d1 * (df + 1.0) * t / (df + t * t);
    let step = 2.0 * g * d1 / (2.0 * d1 * d1 - g * d2);
    (t - step, step)
}

/// `t_{df}^{-1}(level)` to about 1e-10 relative or better (tested against
/// scipy). Up to 10⁵ df: statrs's inverse CDF, then Halley steps on statrs's
/// tail probability until they stop mattering (at most 10) — statrs's
/// inversion drifts above about 10⁴ df (4e-6 relative at 10⁵ against scipy)
/// and does not return from about 1.5·10⁷ df, while its tail probability
/// stays accurate to that range. Above 10⁵ df: the Cornish–Fisher expansion
/// in 1/df around the normal quantile (Abramowitz & Stegun 26.7.5), whose
/// first omitted term is below 1e-20 there.
fn quantile(df: f64, level: f64) -> f64 {
    if df > MAX_CACHED_DF as f64 {
        return cornish_fisher(df, level);
    }
    let mut t = StudentsT::new(0.0, 1.0, df)
        .expect("df > 0 and finite")
        .inverse_cdf(level);
    for _ in 0..10 {
        let (next, step) = halley(t, df, level);
        if !next.is_finite() {
            break;
        }
        t = next;
        if step.abs() <= 4.0 * f64::EPSILON * t.abs() {
            break;
        }
    }
    t
}

/// The Cornish–Fisher expansion of Student's t quantile in powers of 1/df
/// (Abramowitz & Stegun 26.7.5, four terms).
fn cornish_fisher(df: f64, level: f64) -> f64 {
    let z = statrs::distribution::Normal::standard().inverse_cdf(level);
    let z2 = z * z;
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

/// One trial's analysis: the analysable counts and, if estimable, the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Analysed {
    /// Analysable control patients.
    pub n_control: usize,
    /// Analysable treatment patients.
    pub n_treatment: usize,
    /// `None` when the trial is not estimable.
    pub result: Option<TestResult>,
}

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

fn arm_sums(data: &TrialData, arm: usize, k: usize, missing: Missing) -> ArmSums {
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

/// What analysis keeps from one trial to the next: the cached critical
/// values and the per-visit results of the last trial analysed. The engine
/// carries one per worker; nothing in it changes a result.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    crit: CritCache,
    visits: Vec<Analysed>,
}

/// How a trial's fit went. Welch and ANCOVA are closed forms (one pass,
/// nothing to converge); an iterative method, such as a mixed model, reports
/// its own iterations and whether it converged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitDiagnostics {
    /// Iterations the fit took (0 for a closed form).
    pub iterations: u32,
    /// Whether the fit converged (always for a closed form).
    pub converged: bool,
}

impl FitDiagnostics {
    /// A closed-form fit.
    pub const CLOSED_FORM: FitDiagnostics = FitDiagnostics {
        iterations: 0,
        converged: true,
    };
}

/// One trial's analysis: the primary visit's result, every visit's (when
/// asked for) and how the fit went.
#[derive(Debug, Clone, Copy)]
pub struct TrialAnalysis<'w> {
    /// The result at the primary visit.
    pub primary: Analysed,
    /// The result at every visit, in visit order (the primary one included);
    /// empty unless every visit was asked for.
    pub visits: &'w [Analysed],
    /// How the fit went.
    pub diagnostics: FitDiagnostics,
}

/// Analyses a whole simulated trial: the primary visit `primary` and, with
/// `every_visit`, every visit. One entry point for every method, so a
/// method that fits all visits at once (a mixed model) fits once per trial.
/// `s` is the direction of MODEL.md §0.
pub fn analyse_trial<'w>(
    data: &TrialData,
    primary: usize,
    every_visit: bool,
    settings: &Analysis,
    s: f64,
    ws: &'w mut Workspace,
) -> TrialAnalysis<'w> {
    let at_primary = visit(data, primary, settings, s, &mut ws.crit);
    ws.visits.clear();
    if every_visit {
        for k in 0..data.visits {
            let a = if k == primary {
                at_primary
            } else {
                visit(data, k, settings, s, &mut ws.crit)
            };
            ws.visits.push(a);
        }
    }
    TrialAnalysis {
        primary: at_primary,
        visits: &ws.visits,
        diagnostics: FitDiagnostics::CLOSED_FORM,
    }
}

/// Analyses visit `k` (0-based index into the visit months) of a trial on
/// its own, without a workspace (for tests and one-off analyses).
/// `s` is the direction of MODEL.md §0.
pub fn analyse(data: &TrialData, k: usize, settings: &Analysis, s: f64) -> Analysed {
    visit(data, k, settings, s, &mut CritCache::default())
}

/// Visit `k` of a trial, with cached critical values.
fn visit(
    data: &TrialData,
    k: usize,
    settings: &Analysis,
    s: f64,
    cache: &mut CritCache,
) -> Analysed {
    let c = arm_sums(data, CONTROL, k, settings.missing);
    let t = arm_sums(data, TREATMENT, k, settings.missing);
    from_sums(&c, &t, settings, s, cache)
}

/// The analysis at the primary visit from each arm's sufficient statistics:
/// the exact fast path's entry point (the patient path reaches the same
/// arithmetic through [`analyse_trial`]).
pub fn analyse_sums(
    c: &ArmSums,
    t: &ArmSums,
    settings: &Analysis,
    s: f64,
    ws: &mut Workspace,
) -> Analysed {
    from_sums(c, t, settings, s, &mut ws.crit)
}

/// The analysis from each arm's sufficient statistics (shared by both paths).
fn from_sums(
    c: &ArmSums,
    t: &ArmSums,
    settings: &Analysis,
    s: f64,
    cache: &mut CritCache,
) -> Analysed {
    let result = if c.n < 2 || t.n < 2 {
        None
    } else {
        match settings.method {
            Method::WelchChange => welch(c, t),
            Method::Ancova => ancova(c, t),
        }
        // Anything non-finite (values near the limits of f64) is not estimable.
        .filter(|&(estimate, se, df)| {
            estimate.is_finite() && se.is_finite() && se > 0.0 && df.is_finite() && df > 0.0
        })
        .map(|(estimate, se, df)| test(estimate, se, df, settings, s, cache))
    };
    Analysed {
        n_control: c.n,
        n_treatment: t.n,
        result,
    }
}

/// A sum of squares at or below this is rounding error: n times the square of
/// 1e-10 of the values' magnitude. (Values clamped to a bound are equal, but
/// their computed means may differ from them in the last bit.)
fn zero_variance(c: &ArmSums, t: &ArmSums) -> f64 {
    let scale = [c.mean_x, c.mean_y, t.mean_x, t.mean_y]
        .iter()
        .fold(1.0f64, |m, x| m.max(x.abs()));
    (c.n + t.n) as f64 * (1e-10 * scale).powi(2)
}

/// Welch on change: (estimate, se, df), or `None` at zero variance.
fn welch(c: &ArmSums, t: &ArmSums) -> Option<(f64, f64, f64)> {
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

/// ANCOVA by pooled within-arm regression: (estimate, se, df), or `None`
/// when the baseline is collinear with arm or the fit is exact.
fn ancova(c: &ArmSums, t: &ArmSums) -> Option<(f64, f64, f64)> {
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

/// Significance and CI from an estimate, its SE and df.
fn test(
    estimate: f64,
    se: f64,
    df: f64,
    settings: &Analysis,
    s: f64,
    cache: &mut CritCache,
) -> TestResult {
    let t = estimate / se;
    let (level, significant_at) = match settings.sided {
        Sided::Two => (1.0 - settings.alpha / 2.0, t.abs()),
        Sided::One => (1.0 - settings.alpha, s * t),
    };
    let crit = cache.get(df, level);
    TestResult {
        estimate,
        se,
        df,
        t,
        crit,
        ci_low: estimate - crit * se,
        ci_high: estimate + crit * se,
        significant: significant_at > crit,
        sided: settings.sided,
        s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::TrialData;

    /// The whole-trial entry point gives, at every visit, exactly what
    /// analysing that visit alone gives (with a cold quantile cache), and
    /// only the primary visit unless every visit is asked for.
    #[test]
    fn a_whole_trial_is_each_visit_analysed_alone() {
        use crate::rng::Key;
        use crate::scenario::Scenario;
        use crate::simulate::{Plan, Setting, TrialId, simulate_trial};
        let sc = Scenario::default_scenario();
        let (plan, key, s) = (Plan::new(&sc), Key::new(3), sc.outcome.s);
        let (primary, visits) = (sc.visits.primary, sc.visits.months.len());
        assert!(visits > 2 && primary > 0);
        let mut data = TrialData::default();
        let mut ws = Workspace::default();
        for replicate in 0..30 {
            let setting = Setting::draw(&sc, key, replicate, 0);
            let id = TrialId {
                replicate,
                trial: 0,
                n: [sc.design.n_control, sc.design.n_treatment],
            };
            simulate_trial(&sc, &plan, key, id, &setting, &mut data);
            let alone: Vec<Analysed> = (0..visits)
                .map(|k| analyse(&data, k, &sc.analysis, s))
                .collect();
            let all = analyse_trial(&data, primary, true, &sc.analysis, s, &mut ws);
            assert_eq!(all.visits, alone.as_slice());
            assert_eq!(all.primary, alone[primary]);
            assert_eq!(all.diagnostics, FitDiagnostics::CLOSED_FORM);
            let one = analyse_trial(&data, primary, false, &sc.analysis, s, &mut ws);
            assert!(one.visits.is_empty());
            assert_eq!(one.primary, alone[primary]);
        }
    }

    #[test]
    fn t_quantiles_match_scipy() {
        // scipy 1.17.1, `scipy.stats.t.ppf(level, df)`, printed with repr.
        let reference = [
            (1.5, 0.9, 2.1963984175655376),
            (1.5, 0.975, 6.016663104427929),
            (1.5, 0.995, 17.820310514462804),
            (4.5, 0.9, 1.5008853175085577),
            (4.5, 0.975, 2.6589123472044034),
            (4.5, 0.995, 4.272823993011293),
            (7.3, 0.9, 1.4089223177480423),
            (7.3, 0.975, 2.345066736547703),
            (7.3, 0.995, 3.451031655622185),
            (30.0, 0.9, 1.3104150253913955),
            (30.0, 0.975, 2.0422724563012378),
            (30.0, 0.995, 2.7499956535672254),
            (100.5, 0.9, 1.29003207221386),
            (100.5, 0.975, 1.9838506553357993),
            (100.5, 0.995, 2.625636965379534),
            (1234.5, 0.9, 1.2822377116633759),
            (1234.5, 0.975, 1.9618874833313453),
            (1234.5, 0.995, 2.579817729733322),
            (30000.0, 0.9, 1.2815797856711708),
            (30000.0, 0.975, 1.9600430633839347),
            (30000.0, 0.995, 2.5759931982857065),
            (100000.0, 0.9, 1.2815600314493614),
            (100000.0, 0.975, 1.9599877075346095),
            (100000.0, 0.995, 2.575878469908375),
            (250000.5, 0.9, 1.2815549518860307),
            (250000.5, 0.975, 1.9599734736511565),
            (250000.5, 0.995, 2.575848969841319),
            // Extreme levels, and df up to the largest a design allows.
            (1.0, 0.9999999999, 3183098598.467148),
            (1.11, 0.9999999999, 372378998.6389403),
            (20.5, 0.9999999999, 11.541182306943131),
            (20.5, 0.99999999995, 11.995008750090276),
            (57.3, 0.9999999999, 7.712723994217792),
            (1000000.0, 0.95, 1.6448551507220404),
            (1000000.0, 0.975, 1.959966356814107),
            (2000000.0, 0.95, 1.6448543888364011),
            (10000000.0, 0.975, 1.959964221767205),
            (10000000.0, 0.95, 1.6448537793284017),
            (20000000.0, 0.975, 1.959964103153622),
            (19999997.0, 0.95, 1.644853703139945),
            (5000000.0, 0.9995, 3.290528677439104),
        ];
        for (df, level, expected) in reference {
            // Cold and through a warm cache (integer df cached, others refined).
            let mut cache = CritCache::default();
            for got in [
                quantile(df, level),
                cache.get(df, level),
                cache.get(df, level),
            ] {
                let error = ((got - expected) / expected).abs();
                assert!(error < 1e-9, "df {df}, level {level}: {got} vs {expected}");
            }
        }
    }

    #[test]
    fn refined_non_integer_quantiles_match_the_full_inversion() {
        let mut cache = CritCache::default();
        for level in [0.9, 0.95, 0.975, 0.995, 0.9995, 0.99995, 0.1, 0.025] {
            let mut worst: f64 = 0.0;
            let mut df: f64 = 1.05;
            while df < 2e5 {
                for x in [df, df.floor() + 0.5, df.floor() + 0.999, df.floor() + 0.001] {
                    let exact = quantile(x, level);
                    worst = worst.max(((cache.get(x, level) - exact) / exact).abs());
                }
                df *= 1.07;
            }
            assert!(worst < 1e-10, "level {level}: relative error {worst:e}");
        }
    }

    /// A trial with no missing values from (baseline, follow-up) pairs per arm.
    fn trial(control: &[(f64, f64)], treatment: &[(f64, f64)]) -> TrialData {
        let (baseline, values): (Vec<f64>, Vec<f64>) =
            control.iter().chain(treatment).copied().unzip();
        let n = baseline.len();
        TrialData::new(
            1,
            [control.len(), treatment.len()],
            baseline,
            values,
            vec![1; n],
        )
    }

    fn settings(method: Method) -> Analysis {
        Analysis {
            method,
            missing: Missing::CompleteCase,
            alpha: 0.05,
            sided: Sided::Two,
            by_visit: false,
            replication: false,
            fast_path: false,
        }
    }

    #[test]
    fn constant_data_are_not_estimable() {
        let d = trial(&[(50.0, 40.0); 4], &[(50.0, 40.0); 4]);
        assert!(
            analyse(&d, 0, &settings(Method::WelchChange), -1.0)
                .result
                .is_none()
        );
        assert!(
            analyse(&d, 0, &settings(Method::Ancova), -1.0)
                .result
                .is_none()
        );
    }

    #[test]
    fn one_patient_in_an_arm_is_not_estimable() {
        let d = trial(&[(50.0, 40.0)], &[(50.0, 41.0), (52.0, 30.0), (49.0, 33.0)]);
        let a = analyse(&d, 0, &settings(Method::WelchChange), -1.0);
        assert!(a.result.is_none());
        assert_eq!((a.n_control, a.n_treatment), (1, 3));
    }
}
