//! Warnings about a valid scenario that may not say what its author meant:
//! keys given although they have no effect under the chosen options, and a
//! treatment effect whose sign makes patients worse. The run goes on; the
//! binary prints them on stderr (`run`, `size`, `validate`, `dataset`).

use super::{Hypothesis, Mechanism, Method, Profile, Scenario};

/// Why a key has no effect in this scenario, or `None` when it has one.
type Unused = fn(&Scenario) -> Option<String>;

/// Keys that another key can make ineffective, with the reason.
const CONDITIONAL_KEYS: [(&str, Unused); 13] = [
    ("dropout.monthly_rate", no_mechanism),
    ("dropout.arm_odds_ratio", no_mechanism),
    ("dropout.beta", beta_unused),
    ("analysis.missing", |sc| {
        mmrm("imputes nothing", sc).or_else(|| nobody_drops_out(sc))
    }),
    ("analysis.fast_path", |sc| {
        mmrm("fits every visit of every patient", sc)
    }),
    ("analysis.mmrm_covariance", not_mmrm),
    ("analysis.sided", |sc| {
        (!sc.analysis.hypothesis.is_superiority()).then(|| {
            format!(
                "hypothesis = \"{}\" is always a one-sided test at alpha (set alpha = 0.025 for \"the 95% CI excludes the margin\")",
                sc.analysis.hypothesis.name()
            )
        })
    }),
    ("forking_paths.missing", |sc| {
        sc.forking
            .as_ref()
            .filter(|f| f.analyses.iter().all(|(m, _)| matches!(m, Method::Mmrm(_))))
            .map(|_| "forking_paths.methods lists only \"mmrm\", which imputes nothing".to_string())
    }),
    ("analysis.margin", |sc| {
        (sc.analysis.hypothesis == Hypothesis::Superiority).then(|| {
            "hypothesis = \"superiority\" tests a difference from 0; a margin applies to \"noninferiority\" and \"equivalence\"".to_string()
        })
    }),
    ("effect.onset", |sc| {
        onset_unused("effect", &sc.effect.profile)
    }),
    ("effect.plateau_until", |sc| {
        plateau_unused("effect", &sc.effect.profile)
    }),
    ("placebo.onset", |sc| {
        onset_unused("placebo", &sc.placebo.profile)
    }),
    ("placebo.plateau_until", |sc| {
        plateau_unused("placebo", &sc.placebo.profile)
    }),
];

fn no_mechanism(sc: &Scenario) -> Option<String> {
    (sc.dropout.mechanism == Mechanism::None)
        .then(|| "dropout.mechanism = \"none\" has no dropout".to_string())
}

fn beta_unused(sc: &Scenario) -> Option<String> {
    no_mechanism(sc).or_else(|| (sc.dropout.mechanism == Mechanism::Mcar).then(|| {
        format!(
            "dropout.mechanism = \"{}\" does not depend on the outcome (beta acts under \"mar\" and \"mnar\")",
            sc.dropout.mechanism.name()
        )
    }))
}

/// The MMRM makes a key moot (what it does instead in `does`).
fn mmrm(does: &str, sc: &Scenario) -> Option<String> {
    matches!(sc.analysis.method, Method::Mmrm(_))
        .then(|| format!("analysis.method = \"mmrm\" {does}"))
}

fn not_mmrm(sc: &Scenario) -> Option<String> {
    let is_mmrm = |m: &Method| matches!(m, Method::Mmrm(_));
    let forked = sc
        .forking
        .as_ref()
        .is_some_and(|f| f.analyses.iter().any(|(m, _)| is_mmrm(m)));
    // (The MMRM among forking_paths.methods uses it too.)
    (!is_mmrm(&sc.analysis.method) && !forked)
        .then(|| "it applies to analysis.method = \"mmrm\" only".to_string())
}

fn nobody_drops_out(sc: &Scenario) -> Option<String> {
    (sc.dropout.mechanism == Mechanism::None || sc.dropout.monthly_rate == 0.0)
        .then(|| "no patient drops out, so no value is missing".to_string())
}

fn onset_unused(section: &str, p: &Profile) -> Option<String> {
    (p.onset_months <= 0.0).then(|| {
        format!("{section}.onset_months = 0 makes the {section} full from the first visit")
    })
}

fn plateau_unused(section: &str, p: &Profile) -> Option<String> {
    p.half_life_months
        .is_none()
        .then(|| format!("{section}.half_life_months is not set, so the {section} never decays"))
}

/// Warnings for a study: each key of [`CONDITIONAL_KEYS`] that `given`
/// says the file sets (in its tables or its `[sweep]`) but that has no
/// effect at any design point, and each harmful effect.
pub fn warnings<'a>(
    points: impl Iterator<Item = &'a Scenario> + Clone,
    given: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, unused) in CONDITIONAL_KEYS {
        if !given(key) {
            continue;
        }
        let reasons: Option<Vec<String>> = points.clone().map(unused).collect();
        if let Some(reason) = reasons.and_then(|r| r.into_iter().next()) {
            out.push(format!("{key} is unused: {reason}"));
        }
    }
    for sc in points {
        if let Some(w) = harm(sc)
            && !out.contains(&w)
        {
            out.push(w);
        }
    }
    out
}

/// The sign trap: with lower values better, a positive `effect.peak` makes
/// treated patients worse (and the mirror case). Harm is a legitimate
/// scenario, so this is a warning naming the key, its sign and the scale's
/// direction.
fn harm(sc: &Scenario) -> Option<String> {
    let peak = sc.effect.peak;
    // A non-inferiority or equivalence trial is judged with the true effect
    // on either side (at the margin, for its type I error): no trap there.
    if sc.outcome.s * peak >= 0.0 || !sc.analysis.hypothesis.is_superiority() {
        return None;
    }
    let (sign, worse, good) = if sc.outcome.s < 0.0 {
        ("positive", "higher is worse", "negative")
    } else {
        ("negative", "lower is worse", "positive")
    };
    Some(format!(
        "effect.peak = {peak} is {sign} and outcome.lower_is_better = {}: the therapy makes patients worse ({worse} on this scale); write a {good} peak for a benefit",
        sc.outcome.s < 0.0
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Onset;

    #[test]
    fn the_onset_shape_is_unused_only_without_an_onset_time() {
        let mut p = Profile {
            onset: Onset::Exponential,
            onset_months: 0.0,
            plateau_until: 3.0,
            half_life_months: None,
        };
        assert!(onset_unused("effect", &p).is_some());
        assert!(plateau_unused("effect", &p).is_some());
        p.onset_months = 2.0;
        p.half_life_months = Some(6.0);
        assert!(onset_unused("effect", &p).is_none());
        assert!(plateau_unused("effect", &p).is_none());
    }
}
