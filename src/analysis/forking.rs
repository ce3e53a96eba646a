//! Forking paths (`[forking_paths]`): every analysis a trialist could have
//! reported — each listed method and missing-data rule at each listed visit
//! — of one trial's patients, and which of them a trialist looking for a
//! benefit would report.

use super::{Analysed, TestResult, Workspace, analyse_trial};
use crate::scenario::{Analysis, ForkingPaths, Hypothesis, Sided};
use crate::simulate::TrialData;

/// One path's analysis in one replicate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathOutcome {
    /// Index of the path's visit in the visit months.
    pub visit: usize,
    /// Its analysis.
    pub analysed: Analysed,
}

/// The index of the most significant path: the smallest p-value among the
/// estimable paths whose estimate could be reported as a benefit — for a
/// two-sided superiority test those with a favourable estimate; for a
/// one-sided test, non-inferiority or equivalence, whose p already looks
/// one way, every estimable path. Ties go to the first path. `None` when
/// no path qualifies. (What a trialist looking for a benefit reports.)
pub fn most_significant<'a>(
    results: impl Iterator<Item = &'a Option<TestResult>>,
) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, r) in results.enumerate() {
        let Some(r) = r else { continue };
        let two_sided = r.hypothesis == Hypothesis::Superiority && r.sided == Sided::Two;
        if two_sided && r.s * r.estimate <= 0.0 {
            continue;
        }
        let p = r.p_value();
        if best.is_none_or(|(_, b)| p < b) {
            best = Some((i, p));
        }
    }
    best.map(|(i, _)| i)
}

/// Analyses every path of `paths` on `data` (primary visit index
/// `primary`), with the settings of `base` but each path's method and
/// missing-data rule, into `out` (cleared first) in path order: analysis
/// outer, visit inner. Each (method, rule) fits once for all its visits.
pub fn analyse_paths(
    data: &TrialData,
    primary: usize,
    paths: &ForkingPaths,
    base: &Analysis,
    s: f64,
    ws: &mut Workspace,
    out: &mut Vec<PathOutcome>,
) {
    out.clear();
    for &(method, missing) in &paths.analyses {
        let settings = Analysis {
            method,
            missing,
            ..*base
        };
        let all = analyse_trial(data, primary, true, &settings, s, ws);
        out.extend(paths.visits.iter().map(|&visit| PathOutcome {
            visit,
            analysed: all.visits[visit],
        }));
    }
}
