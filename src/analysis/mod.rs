//! Analysis of one simulated trial, at its primary visit or at every
//! visit (MODEL.md §2).
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
//! - Non-inferiority (margin M): one-sided at alpha, `(s·estimate + M) / se`
//!   against `t_{df, 1 − alpha}` — the 1 − 2·alpha interval's unfavourable
//!   bound lies beyond −M in the favourable direction. Equivalence: two
//!   one-sided tests at alpha, `(estimate + M) / se` and `(M − estimate) / se`
//!   both above `t_{df, 1 − alpha}` — the 1 − 2·alpha interval lies inside
//!   (−M, M); p is the larger of the two one-sided p-values. Both report
//!   the 1 − 2·alpha interval whatever `sided` says.
//!
//! A trial is not estimable when an arm has fewer than 2 analysable patients
//! or the variance is zero.

mod ancova;
pub mod binary;
mod forking;
pub mod mmrm;
mod quantile;
pub mod responder;
mod sums;
mod welch;

pub use forking::{PathOutcome, analyse_paths, most_significant};
pub use quantile::CritCache;

use crate::scenario::{Analysis, Covariance, Hypothesis, Method, Sided};
use crate::simulate::{ArmSums, CONTROL, TREATMENT, TrialData};
use ancova::ancova;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use sums::arm_sums;
use welch::welch;

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
    /// Critical value of t: `t_{df, 1 − alpha/2}` (two-sided) or `t_{df, 1 − alpha}`
    /// (one-sided, non-inferiority, equivalence).
    pub crit: f64,
    /// Lower CI bound.
    pub ci_low: f64,
    /// Upper CI bound.
    pub ci_high: f64,
    /// `p < alpha`: the trial's claim under its hypothesis. Decided as
    /// `|t| > crit` (two-sided) or `s·t > crit` (one-sided), and likewise
    /// against the margin for non-inferiority and equivalence (see the
    /// module's doc), which is the same event and needs no CDF per trial.
    pub significant: bool,
    /// One- or two-sided (superiority).
    pub sided: Sided,
    /// The hypothesis tested, with its margin.
    #[serde(skip)]
    pub hypothesis: Hypothesis,
    /// Direction `s` of MODEL.md §0 (the favourable side of a one-sided test).
    pub s: f64,
}

impl TestResult {
    /// The p-value: two-sided, or one-sided in the favourable direction;
    /// for non-inferiority the one-sided p against the margin, for
    /// equivalence the larger of the two one-sided ones.
    /// Computed on demand (a t CDF costs about 0.5 µs; the engine needs only
    /// `significant`).
    pub fn p_value(&self) -> f64 {
        let dist = StudentsT::new(0.0, 1.0, self.df).expect("df > 0 and finite");
        match (self.hypothesis, self.sided) {
            (Hypothesis::Superiority, Sided::Two) => (2.0 * dist.sf(self.t.abs())).min(1.0),
            (Hypothesis::Superiority, Sided::One) => dist.sf(self.s * self.t),
            (Hypothesis::NonInferiority { margin }, _) => {
                dist.sf((self.s * self.estimate + margin) / self.se)
            }
            (Hypothesis::Equivalence { margin }, _) => dist
                .sf((self.estimate + margin) / self.se)
                .max(dist.sf((margin - self.estimate) / self.se)),
        }
    }
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

/// What analysis keeps from one trial to the next: the cached critical
/// values and the per-visit results of the last trial analysed. The engine
/// carries one per worker; nothing in it changes a result.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    crit: CritCache,
    visits: Vec<Analysed>,
}

/// How a trial's fit went. Welch and ANCOVA are closed forms (one pass,
/// nothing to converge); the mixed model reports its iterations, whether it
/// converged and which covariance structure it ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitDiagnostics {
    /// Iterations the fit took (0 for a closed form).
    pub iterations: u32,
    /// Whether the fit converged (always for a closed form).
    pub converged: bool,
    /// For an MMRM: the structure fitted, or `Failed` when none converged.
    pub mmrm: Option<MmrmOutcome>,
}

/// What an MMRM fit ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmrmOutcome {
    /// This structure converged (a fallback unless unstructured).
    Fitted(mmrm::Structure),
    /// No structure of the chain converged: the trial is not estimable.
    Failed,
}

impl FitDiagnostics {
    /// A closed-form fit.
    pub const CLOSED_FORM: FitDiagnostics = FitDiagnostics {
        iterations: 0,
        converged: true,
        mmrm: None,
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
    if let Method::Mmrm(covariance) = settings.method {
        return mmrm_trial(data, primary, every_visit, covariance, settings, s, ws);
    }
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
    if let Method::Mmrm(_) = settings.method {
        let mut ws = Workspace::default();
        return analyse_trial(data, k, false, settings, s, &mut ws).primary;
    }
    visit(data, k, settings, s, &mut CritCache::default())
}

/// The MMRM of a whole trial: one fit, every visit's treatment contrast
/// from it. The exact fit where there is one (one covariance matrix), else
/// the REML optimiser. A visit is not estimable when an arm has fewer than
/// two patients observed there, or when the fit fails or does not converge
/// (every visit then; the diagnostics say which).
fn mmrm_trial<'w>(
    data: &TrialData,
    primary: usize,
    every_visit: bool,
    covariance: Covariance,
    settings: &Analysis,
    s: f64,
    ws: &'w mut Workspace,
) -> TrialAnalysis<'w> {
    let d = mmrm::MmrmData::new(data, covariance);
    let fitted = mmrm::fit(&d);
    let diagnostics = match &fitted {
        Some(f) if f.converged => FitDiagnostics {
            iterations: f.iterations,
            converged: true,
            mmrm: Some(MmrmOutcome::Fitted(f.structure)),
        },
        _ => FitDiagnostics {
            iterations: fitted.as_ref().map_or(0, |f| f.iterations),
            converged: false,
            mmrm: Some(MmrmOutcome::Failed),
        },
    };
    let usable = fitted.filter(|f| f.converged);
    let mut at = |k: usize| {
        let seen = |arm: usize| data.arm(arm).filter(|&i| data.observed[i] > k).count();
        let (n_control, n_treatment) = (seen(CONTROL), seen(TREATMENT));
        let result = usable
            .as_ref()
            .filter(|_| n_control >= 2 && n_treatment >= 2)
            // The fit models only the visits both arms reach (the same rule).
            .and_then(|f| Some((*f.estimate.get(k)?, f.se[k], f.df[k])))
            .filter(|&(estimate, se, df)| {
                estimate.is_finite() && se.is_finite() && se > 0.0 && df.is_finite() && df > 0.0
            })
            .map(|(estimate, se, df)| test(estimate, se, df, settings, s, &mut ws.crit));
        Analysed {
            n_control,
            n_treatment,
            result,
        }
    };
    let at_primary = at(primary);
    let mut visits = std::mem::take(&mut ws.visits);
    visits.clear();
    if every_visit {
        visits.extend((0..data.visits).map(&mut at));
    }
    ws.visits = visits;
    TrialAnalysis {
        primary: at_primary,
        visits: &ws.visits,
        diagnostics,
    }
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
            // MMRM needs every visit of every patient: `analyse_trial` fits
            // it, and the sums never see it (`FastPlan::eligible` excludes it).
            Method::Mmrm(_) => None,
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
    let two_sided = settings.hypothesis.is_superiority() && settings.sided == Sided::Two;
    let level = if two_sided {
        1.0 - settings.alpha / 2.0
    } else {
        1.0 - settings.alpha
    };
    let crit = cache.get(df, level);
    let significant = match (settings.hypothesis, settings.sided) {
        (Hypothesis::Superiority, Sided::Two) => t.abs() > crit,
        (Hypothesis::Superiority, Sided::One) => s * t > crit,
        (Hypothesis::NonInferiority { margin }, _) => (s * estimate + margin) / se > crit,
        (Hypothesis::Equivalence { margin }, _) => {
            (estimate + margin) / se > crit && (margin - estimate) / se > crit
        }
    };
    TestResult {
        estimate,
        se,
        df,
        t,
        crit,
        ci_low: estimate - crit * se,
        ci_high: estimate + crit * se,
        significant,
        sided: settings.sided,
        hypothesis: settings.hypothesis,
        s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Missing;
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
            hypothesis: Hypothesis::Superiority,
            by_visit: false,
            replication: false,
            fast_path: false,
        }
    }

    /// The claim (`significant`, decided on t against the critical value)
    /// is exactly p < alpha for non-inferiority and equivalence, on both
    /// sides of every margin, whichever direction is favourable; the
    /// reported interval is the 1 − 2·alpha one.
    #[test]
    fn a_claim_against_the_margin_is_p_below_alpha() {
        let d = trial(
            &[(50.0, 41.0), (52.0, 47.0), (47.0, 40.5), (55.0, 43.0)],
            &[(49.0, 44.0), (51.0, 39.0), (53.0, 46.5), (48.0, 45.0)],
        );
        for method in [Method::WelchChange, Method::Ancova] {
            for s in [-1.0, 1.0] {
                for i in 1..400 {
                    let margin = 0.05 * i as f64;
                    for hypothesis in [
                        Hypothesis::NonInferiority { margin },
                        Hypothesis::Equivalence { margin },
                    ] {
                        let settings = Analysis {
                            hypothesis,
                            alpha: 0.025,
                            ..settings(method)
                        };
                        let r = analyse(&d, 0, &settings, s).result.unwrap();
                        assert_eq!(
                            r.significant,
                            r.p_value() < 0.025,
                            "{method:?} {hypothesis:?} s = {s}: p {}",
                            r.p_value()
                        );
                        let crit = StudentsT::new(0.0, 1.0, r.df).unwrap().inverse_cdf(0.975);
                        assert!((r.crit - crit).abs() < 1e-9 * crit);
                        // The interval rule the claim amounts to.
                        let rule = match hypothesis {
                            Hypothesis::NonInferiority { .. } if s < 0.0 => r.ci_high < margin,
                            Hypothesis::NonInferiority { .. } => r.ci_low > -margin,
                            _ => r.ci_low > -margin && r.ci_high < margin,
                        };
                        assert_eq!(r.significant, rule, "{hypothesis:?} s = {s}");
                    }
                }
            }
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
