//! Scenario files: TOML text → a validated [`Scenario`].
//!
//! Owns: the scenario format, its validation and sweeps (`file.rs`,
//! `sweep.rs`). May not: use any module downstream (simulate, analysis,
//! meta, metrics, engine, output), read files (it takes text) or print.
//!
//! Two layers: `file.rs` mirrors the TOML with serde (defaults filled in),
//! and this module checks every value once and builds the plain types the
//! engine uses, so the hot loop never sees a `Result`. Every error names the
//! dotted path of the key, its value and what is allowed.

pub mod file;
pub mod implied;
mod parse;
pub mod presets;
pub mod sweep;
mod validate;
mod warnings;

use crate::error::{Error, Result};

use file::ScenarioFile;
pub use file::{Covariance, Mechanism, Missing, Onset, Report, Sided};
use parse::deserialize;
pub use parse::{parse_table, suggest};
use statrs::distribution::{ContinuousCDF, Normal};
pub use sweep::{DesignPoint, Study};

/// The most post-baseline visits an MMRM may have (its general fit costs
/// the sixth power of the visits).
pub const MMRM_MAX_VISITS: usize = 12;

/// The performance bench scenario (`configs/bench.toml`), compiled in.
pub const BENCH_SCENARIO: &str = include_str!("../../configs/bench.toml");

/// The default scenario (`configs/msc_knee_oa.toml`), compiled in.
pub const DEFAULT_SCENARIO: &str = include_str!("../../configs/msc_knee_oa.toml");

/// A validated scenario: one design point of MODEL.md §1–§3.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Output folder name (letters, digits, `-` and `_`).
    pub name: String,
    /// Seed of every random stream of the run.
    pub seed: u64,
    /// Number of simulated replicates R.
    pub replicates: u64,
    /// The outcome scale.
    pub outcome: Outcome,
    /// Visit schedule.
    pub visits: Visits,
    /// Placebo response `P_j(t)`; a zero curve when the section is omitted.
    pub placebo: Placebo,
    /// Treatment effect.
    pub effect: Effect,
    /// Between-trial heterogeneity and reporting bias.
    pub heterogeneity: Heterogeneity,
    /// Dropout process.
    pub dropout: Dropout,
    /// Arm sizes.
    pub design: Design,
    /// Analysis of each trial.
    pub analysis: Analysis,
    /// Meta-analysis of K simulated trials (MODEL.md §4), if requested.
    pub meta: Option<Meta>,
    /// Adverse events, if the scenario follows them.
    pub safety: Option<Safety>,
    /// `[responder_endpoint]`, if given.
    pub responder: Option<Responder>,
    /// `[forking_paths]`: the analyses a trialist could have reported.
    pub forking: Option<ForkingPaths>,
    /// The file as resolved (defaults filled in), for `scenario.resolved.toml`
    /// (read it with [`Scenario::file`]; change a scenario with
    /// [`Scenario::edit`], which validates the changed file again).
    pub(crate) resolved: ScenarioFile,
}

/// `f64::round` (halves away from zero) without its libm call: x86-64's
/// baseline has no rounding instruction, and a call in the per-visit loop
/// makes the compiler keep the loop's values in memory.
#[inline]
pub fn round_half_away(v: f64) -> f64 {
    // 2⁵²: from there on every f64 is an integer (and NaN fails the test).
    if v.abs() < 4_503_599_627_370_496.0 {
        let whole = v as i64 as f64; // truncation, exact in this range
        let frac = v - whole; // exact
        let step = if frac >= 0.5 {
            1.0
        } else if frac <= -0.5 {
            -1.0
        } else {
            0.0
        };
        // copysign keeps round(−0.3) = −0.
        (whole + step).copysign(v)
    } else {
        v
    }
}

/// What the instrument does to a latent value: rounds it to the resolution,
/// then clamps it to the bounds (see [`Outcome::measure`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Instrument {
    /// Rounding step; 0 = none.
    pub resolution: f64,
    /// Lower bound (−inf = none).
    pub lo: f64,
    /// Upper bound (+inf = none).
    pub hi: f64,
    /// `1 / resolution` when that is exact (a power of two, as the common
    /// steps 1 and 0.5 are), else 0. Then `y · inverse` is bit for bit
    /// `y / resolution` (both are the correctly rounded quotient) and spares
    /// a division, whose latency the screening loop waits on.
    inverse: f64,
}

impl Instrument {
    /// The value the instrument shows.
    #[inline]
    pub fn measure(self, latent: f64) -> f64 {
        if self.resolution > 0.0 {
            self.read::<true>(latent)
        } else {
            self.read::<false>(latent)
        }
    }

    /// [`Instrument::measure`] with the rounding decided at compile time
    /// (`ROUND` must be `resolution > 0`), for loops that run per visit.
    #[inline(always)]
    pub fn read<const ROUND: bool>(self, latent: f64) -> f64 {
        let mut y = latent;
        if ROUND {
            let steps = if self.inverse != 0.0 {
                y * self.inverse
            } else {
                y / self.resolution
            };
            y = round_half_away(steps) * self.resolution;
        }
        // Comparisons rather than f64::max/min, whose NaN handling cost a
        // fifth of the simulation (values are never NaN here).
        let y = if y < self.lo { self.lo } else { y };
        if y > self.hi { self.hi } else { y }
    }
}

/// The outcome scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Label for tables and figures.
    pub label: String,
    /// Direction `s` of MODEL.md §0: -1 when lower is better, +1 otherwise.
    pub s: f64,
    /// Mean of the screened population (scale points).
    pub mu0: f64,
    /// SD of the patient random intercept (scale points).
    pub subject_sd: f64,
    /// Marginal SD of the residual (scale points).
    pub residual_sd: f64,
    /// AR(1) correlation of residuals one month apart.
    pub rho: f64,
    /// Lower bound of the scale (values are clamped), if any.
    pub min: Option<f64>,
    /// Upper bound of the scale, if any.
    pub max: Option<f64>,
    /// Rounding step of the instrument; 0 = none.
    pub resolution: f64,
    /// Entry criterion on the screening value, if any.
    pub inclusion: Option<f64>,
    /// Minimal clinically important difference (positive, scale points), if any.
    pub mcid: Option<f64>,
}

impl Outcome {
    /// The value a patient's instrument shows: rounded to the resolution, then
    /// clamped to the bounds (so every value lies on the scale; a bound that is
    /// not on the rounding grid is kept as it is).
    #[inline]
    pub fn measure(&self, latent: f64) -> f64 {
        self.instrument().measure(latent)
    }

    /// The instrument's rounding and bounds, as a small value for hot loops.
    #[inline]
    pub fn instrument(&self) -> Instrument {
        let r = self.resolution;
        let power_of_two = |x: f64| x.is_normal() && x.to_bits() & ((1 << 52) - 1) == 0;
        Instrument {
            resolution: r,
            // Missing bounds are ±inf.
            lo: self.min.unwrap_or(f64::NEG_INFINITY),
            hi: self.max.unwrap_or(f64::INFINITY),
            inverse: if power_of_two(r) && power_of_two(1.0 / r) {
                1.0 / r
            } else {
                0.0
            },
        }
    }

    /// Whether a screening value meets the entry criterion (at least as bad as `inclusion`).
    #[inline]
    pub fn admits(&self, screening: f64) -> bool {
        match self.inclusion {
            None => true,
            Some(c) => -self.s * (screening - c) >= 0.0,
        }
    }

    /// Whether a difference (treatment minus control) reaches the MCID in the favourable direction.
    #[inline]
    pub fn reaches_mcid(&self, x: f64) -> Option<bool> {
        self.mcid.map(|m| self.s * x >= m)
    }
}

/// Visit schedule (months after baseline).
#[derive(Debug, Clone, PartialEq)]
pub struct Visits {
    /// Post-baseline visit months, strictly increasing, all > 0.
    pub months: Vec<f64>,
    /// Index of the primary visit `t*` in `months`.
    pub primary: usize,
}

impl Visits {
    /// Month of the primary visit.
    pub fn primary_month(&self) -> f64 {
        self.months[self.primary]
    }
}

/// A time profile in [0, 1]: onset times decay (MODEL.md §1).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Onset shape.
    pub onset: Onset,
    /// Onset time constant (months); 0 = immediate.
    pub onset_months: f64,
    /// Month until which there is no decay.
    pub plateau_until: f64,
    /// Half-life of the decay after the plateau (months); `None` = durable.
    pub half_life_months: Option<f64>,
}

impl Profile {
    /// The profile at month `t` (t ≥ 0).
    pub fn at(&self, t: f64) -> f64 {
        let onset = if self.onset_months <= 0.0 {
            if t > 0.0 { 1.0 } else { 0.0 }
        } else {
            match self.onset {
                Onset::Linear => (t / self.onset_months).min(1.0),
                Onset::Exponential => 1.0 - (-t / self.onset_months).exp(),
            }
        };
        let decay = match self.half_life_months {
            Some(h) if t > self.plateau_until => 0.5f64.powf((t - self.plateau_until) / h),
            _ => 1.0,
        };
        onset * decay
    }
}

/// Placebo response `P_j(t) = (peak + nu_j) h_p(t)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Placebo {
    /// Mean peak placebo response (scale points).
    pub peak: f64,
    /// Time profile `h_p`.
    pub profile: Profile,
    /// Between-trial SD of the peak.
    pub tau: f64,
}

/// Treatment effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// `D0`: treatment minus placebo at the peak (scale points).
    pub peak: f64,
    /// Time profile `g`.
    pub profile: Profile,
    /// Patient-level SD of the response `b_i`.
    pub patient_sd: f64,
    /// Share of patients who respond biologically.
    pub responder_fraction: f64,
}

/// Between-trial heterogeneity.
#[derive(Debug, Clone, PartialEq)]
pub struct Heterogeneity {
    /// SD of `eta_j`.
    pub tau: f64,
    /// Bias added when the control arm has fewer than `below` patients.
    pub small_study: Option<SmallStudy>,
    /// Protocol factors.
    pub factors: Vec<Factor>,
}

/// Small-study bias.
#[derive(Debug, Clone, PartialEq)]
pub struct SmallStudy {
    /// Threshold on the control-arm size.
    pub below: u64,
    /// Bias added to every treated patient's post-baseline values.
    pub bias: f64,
}

/// A protocol factor; each trial draws one level.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Factor name.
    pub name: String,
    /// Levels with normalised probabilities.
    pub levels: Vec<Level>,
}

/// A level of a protocol factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// Level name.
    pub name: String,
    /// Probability (weights normalised to sum to 1).
    pub probability: f64,
    /// Additive shift of the true effect.
    pub shift: f64,
    /// Additive reporting bias.
    pub bias: f64,
}

impl Heterogeneity {
    /// `Var(D_j)`: the variance of the summed factor shifts (factors are
    /// drawn independently) plus `tau²`.
    pub fn effect_variance(&self) -> f64 {
        let shifts: f64 = self
            .factors
            .iter()
            .map(|f| {
                let m: f64 = f.levels.iter().map(|l| l.probability * l.shift).sum();
                f.levels
                    .iter()
                    .map(|l| l.probability * (l.shift - m).powi(2))
                    .sum::<f64>()
            })
            .sum();
        shifts + self.tau * self.tau
    }

    /// Whether `D_j` varies between settings, decided exactly: `tau > 0`, or
    /// a factor whose levels (of positive probability) shift by different
    /// amounts. ([`Heterogeneity::effect_variance`] can be 1e-34 rather than
    /// 0 when every level shifts by the same amount.)
    pub fn effect_varies(&self) -> bool {
        self.tau > 0.0
            || self.factors.iter().any(|f| {
                let mut shifts = f.levels.iter().filter(|l| l.probability > 0.0);
                let first = shifts.next().map(|l| l.shift);
                shifts.any(|l| Some(l.shift) != first)
            })
    }

    /// `E[D_j] - D0`: the probability-weighted mean of the factor shifts.
    pub fn mean_shift(&self) -> f64 {
        self.factors
            .iter()
            .map(|f| {
                f.levels
                    .iter()
                    .map(|l| l.probability * l.shift)
                    .sum::<f64>()
            })
            .sum()
    }
}

/// Dropout process.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropout {
    /// Mechanism.
    pub mechanism: Mechanism,
    /// Monthly dropout probability in [0, 1).
    pub monthly_rate: f64,
    /// Dropout odds multiplier for control patients.
    pub arm_odds_ratio: f64,
    /// Log-odds per scale point worse than `mu0` (MAR, MNAR).
    pub beta: f64,
}

/// Arm sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Control-arm size (`n_per_arm`).
    pub n_control: usize,
    /// Treatment-arm size, `round(allocation · n_per_arm)`.
    pub n_treatment: usize,
    /// Treatment:control ratio.
    pub allocation: f64,
}

/// Analysis method (MODEL.md §2): only the methods trialsim runs (a
/// reserved value of the file is rejected at validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Welch t-test on change from baseline.
    WelchChange,
    /// OLS of the follow-up value on arm and baseline.
    Ancova,
    /// Mixed model for repeated measures on every observed visit, with
    /// this within-patient covariance (`analysis.missing` does not apply).
    Mmrm(Covariance),
}

/// What a trial sets out to show (`analysis.hypothesis`, MODEL.md §2), with
/// its margin in outcome units. Non-inferiority and equivalence are
/// one-sided tests at `alpha` whatever `sided` says.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Hypothesis {
    /// A difference from 0: two-sided, or one-sided in the favourable
    /// direction, as `sided` says.
    #[default]
    Superiority,
    /// The treatment is worse than control by less than `margin`:
    /// `H0: s·theta ≤ −margin` against `s·theta > −margin`.
    NonInferiority {
        /// The margin, positive, in outcome units.
        margin: f64,
    },
    /// The difference lies within ± `margin`: two one-sided tests, of
    /// `theta ≤ −margin` and of `theta ≥ margin`, each at `alpha`.
    Equivalence {
        /// The margin, positive, in outcome units.
        margin: f64,
    },
}

impl Hypothesis {
    /// Whether this is the superiority test of a difference from 0 (the
    /// hypothesis type S, type M and the MCID metrics are defined for).
    pub fn is_superiority(self) -> bool {
        self == Hypothesis::Superiority
    }

    /// The value of `analysis.hypothesis` that names it.
    pub fn name(self) -> &'static str {
        match self {
            Hypothesis::Superiority => "superiority",
            Hypothesis::NonInferiority { .. } => "noninferiority",
            Hypothesis::Equivalence { .. } => "equivalence",
        }
    }
}

/// Analysis settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Analysis {
    /// Method.
    pub method: Method,
    /// Missing-data handling.
    pub missing: Missing,
    /// Significance level.
    pub alpha: f64,
    /// One- or two-sided (superiority only).
    pub sided: Sided,
    /// What a trial sets out to show, and the margin.
    pub hypothesis: Hypothesis,
    /// Analyse every visit too.
    pub by_visit: bool,
    /// Simulate a same-setting replication trial.
    pub replication: bool,
    /// Use the exact sufficient-statistics path where the model allows it.
    pub fast_path: bool,
}

/// Sizes of the trials of a simulated literature (control arms; the allocation applies).
#[derive(Debug, Clone, PartialEq)]
pub enum TrialSizes {
    /// Used in order, cycling.
    List(Vec<usize>),
    /// Lognormal with this median and 95th percentile, rounded, at least 2.
    Lognormal {
        /// `ln(median)`.
        mu: f64,
        /// `(ln(p95) − ln(median)) / 1.6449`.
        sigma: f64,
    },
}

/// `[meta_analysis]`: K published trials pooled (MODEL.md §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// K, the number of published trials pooled.
    pub trials: usize,
    /// Control-arm sizes.
    pub sizes: TrialSizes,
    /// tau² estimator.
    pub estimator: Estimator,
    /// Whether significance uses the Hartung–Knapp–Sidik–Jonkman CI.
    pub hartung_knapp: bool,
    /// Probability that a trial that is not significant and favourable is published.
    pub publish_nonsignificant: f64,
    /// What each trial reports: its primary analysis or its most
    /// significant path.
    pub report: Report,
    /// Indices into `heterogeneity.factors` of the factors each literature
    /// is analysed by subgroup (`meta_analysis.subgroups`), in file order.
    pub subgroups: Vec<usize>,
}

/// `[forking_paths]`: every analysis a trialist could have reported —
/// each of `analyses` (a method with a missing-data rule; the MMRM has no
/// rule) at each of `visits`. Path `a · visits.len() + v` is analysis `a`
/// at visit `visits[v]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForkingPaths {
    /// Indices into the visit months, increasing.
    pub visits: Vec<usize>,
    /// Distinct (method, missing-data rule) pairs, in file order (methods
    /// outer, rules inner); an MMRM appears once, with complete cases.
    pub analyses: Vec<(Method, Missing)>,
}

impl ForkingPaths {
    /// How many distinct paths.
    pub fn len(&self) -> usize {
        self.visits.len() * self.analyses.len()
    }

    /// Whether there is no path (never, once validated).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `[safety]`: adverse events (MODEL.md §1, safety). Every randomised
/// patient is followed for safety whatever happens to the efficacy
/// follow-up; events are independent of the efficacy outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Safety {
    /// Probability that a patient has at least one serious adverse event
    /// during the trial, `[control, treatment]`.
    pub serious: [f64; 2],
    /// Probability that a patient has at least one mild adverse event
    /// during the trial, `[control, treatment]`.
    pub mild: [f64; 2],
    /// The serious-event rate a trial should be able to rule out: its
    /// one-sided 95% upper bound below this.
    pub rule_out: f64,
}

/// `[responder_endpoint]`: a patient responds at the primary visit when
/// the improvement from baseline, in the favourable direction, is at least
/// `min_points` and at least `min_percent` percent of the room for
/// improvement at baseline (the distance from the measured baseline to the
/// scale's best bound), on the measured values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Responder {
    /// The smallest improvement, in scale points (0 when not given).
    pub min_points: f64,
    /// The smallest improvement as a percentage of the room (0 when not given).
    pub min_percent: f64,
    /// Whether a patient missing at the primary visit counts as a
    /// non-responder (the composite estimand) rather than being left out.
    pub missing_as_nonresponse: bool,
    /// The scale's best value: `outcome.min` when lower is better, else `outcome.max`.
    pub best: f64,
}

/// Between-trial variance estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// DerSimonian–Laird (method of moments).
    Dl,
    /// Paule–Mandel (generalised Q = K − 1).
    Pm,
    /// Restricted maximum likelihood.
    Reml,
}

impl Estimator {
    /// The name used on the command line and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Dl => "dl",
            Estimator::Pm => "pm",
            Estimator::Reml => "reml",
        }
    }
}

/// Most trials a simulated meta-analysis may pool.
pub const MAX_META_TRIALS: u64 = 1000;

/// Largest arm that fits in memory comfortably (patients per arm).
pub const MAX_ARM: u64 = 10_000_000;

impl Scenario {
    /// Parses and validates scenario text. `origin` names the file in messages.
    ///
    /// # Errors
    /// [`Error::Toml`] for syntax errors (with line and column), and
    /// [`Error::Invalid`], [`Error::UnknownKey`] or [`Error::Shape`] naming
    /// the dotted path of the offending key.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self> {
        Self::from_table(parse_table(text, origin)?)
    }

    /// The embedded default scenario without its `[sweep]` (one design point, n = 15 per arm).
    pub fn default_scenario() -> Self {
        let mut table = parse_table(DEFAULT_SCENARIO, "configs/msc_knee_oa.toml")
            .expect("the embedded default scenario is valid TOML (tested)");
        table.remove("sweep");
        Self::from_table(table).expect("the embedded default scenario is valid (tested)")
    }

    /// Validates a parsed TOML table (sweeps patch such tables before this step).
    pub fn from_table(table: toml::Table) -> Result<Self> {
        if table.contains_key("sweep") {
            return Err(Error::Shape {
                field: "sweep".to_string(),
                message: "a scenario with a sweep has several design points: load it with Study"
                    .to_string(),
            });
        }
        let file = deserialize(table)?;
        Self::from_file(file)
    }

    /// Validates the serde mirror.
    fn from_file(f: ScenarioFile) -> Result<Self> {
        validate::top(&f)?;
        let outcome = validate::outcome(&f.outcome)?;
        let visits = validate::visits(&f.visits)?;
        let placebo = validate::placebo(f.placebo.as_ref())?;
        let effect = validate::effect(&f.effect)?;
        let heterogeneity = validate::heterogeneity(f.heterogeneity.as_ref())?;
        let dropout = validate::dropout(f.dropout.as_ref())?;
        let design = validate::design(&f.design)?;
        let analysis = validate::analysis(&f.analysis, &visits)?;
        let meta = f
            .meta_analysis
            .as_ref()
            .map(|m| validate::meta(m, &heterogeneity.factors))
            .transpose()?;
        let safety = f.safety.as_ref().map(validate::safety).transpose()?;
        let responder = f
            .responder_endpoint
            .as_ref()
            .map(|r| validate::responder(r, &outcome))
            .transpose()?;
        let forking = f
            .forking_paths
            .as_ref()
            .map(|fp| validate::forking(fp, &visits, &f.analysis, &analysis))
            .transpose()?;
        if let Some(m) = &meta
            && m.report == Report::Best
            && forking.is_none()
        {
            return Err(Error::Shape {
                field: "meta_analysis.report".to_string(),
                message: "\"best\" reports each trial's most significant analysis: it needs a [forking_paths] section listing the analyses a trial could report".to_string(),
            });
        }

        let mut resolved = f.clone();
        // "inf" and "omitted" mean the same thing: no decay.
        if let Some(p) = resolved.placebo.as_mut() {
            p.half_life_months = p.half_life_months.filter(|h| h.is_finite());
        }
        resolved.effect.half_life_months =
            resolved.effect.half_life_months.filter(|h| h.is_finite());
        // An MMRM's covariance is written out, default or not.
        if let Method::Mmrm(covariance) = analysis.method {
            resolved.analysis.mmrm_covariance = Some(covariance);
        }

        Ok(Scenario {
            name: f.name,
            seed: f.seed,
            replicates: f.replicates,
            outcome,
            visits,
            placebo,
            effect,
            heterogeneity,
            dropout,
            design,
            analysis,
            meta,
            safety,
            responder,
            forking,
            resolved,
        })
    }

    /// The scenario's file, defaults filled in.
    pub fn file(&self) -> &ScenarioFile {
        &self.resolved
    }

    /// The scenario with its file changed by `change` and validated again:
    /// the way to change a validated scenario so that its file still
    /// describes it.
    ///
    /// # Errors
    /// As [`Scenario::from_toml_str`], for the changed file.
    pub fn edit(&self, change: impl FnOnce(&mut ScenarioFile)) -> Result<Scenario> {
        let mut file = self.resolved.clone();
        change(&mut file);
        Self::from_file(file)
    }

    /// `scenario.resolved.toml`: the scenario as run with this seed and R,
    /// defaults filled in. The file is checked to describe exactly this
    /// scenario: validated again, it must give the same scenario (seed and
    /// R aside, which the run sets), so what is written is what ran.
    ///
    /// # Errors
    /// [`Error::Internal`] when the scenario's fields were changed after
    /// validation and its file no longer describes it (change a scenario
    /// with [`Scenario::edit`]).
    pub fn resolved_toml(&self, seed: u64, replicates: u64) -> Result<String> {
        let described = Self::from_file(self.resolved.clone()).map(|again| Scenario {
            seed: self.seed,
            replicates: self.replicates,
            ..again
        });
        if described.as_ref().ok() != Some(self) {
            return Err(Error::Internal(format!(
                "scenario {}: its fields were changed after validation, so its file no longer describes it; change a scenario with Scenario::edit",
                self.name
            )));
        }
        let mut file = self.resolved.clone();
        file.seed = seed;
        file.replicates = replicates;
        Ok(toml::to_string(&file).expect("a validated scenario serialises to TOML"))
    }

    /// The population-average true effect `theta(t) = E[D_j] · responder_fraction · g(t)`.
    pub fn theta(&self, t: f64) -> f64 {
        (self.effect.peak + self.heterogeneity.mean_shift())
            * self.effect.responder_fraction
            * self.effect.profile.at(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field changed after validation is caught before a file claims it
    /// ran; `edit` changes the file and the scenario together.
    #[test]
    fn the_resolved_file_describes_what_runs() {
        let sc = Scenario::default_scenario();
        let before = sc.resolved_toml(1, 10).unwrap();
        let mut changed = sc.clone();
        changed.design.n_control = 40;
        let err = changed.resolved_toml(1, 10).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_INTERNAL);
        assert!(err.to_string().contains("Scenario::edit"), "{err}");
        // Seed and R are the run's to set.
        let mut rerun = sc.clone();
        rerun.seed = 7;
        rerun.replicates = 99;
        assert_eq!(rerun.resolved_toml(1, 10).unwrap(), before);
        let edited = sc.edit(|f| f.design.n_per_arm = 40).unwrap();
        assert_eq!(
            (edited.design.n_control, edited.design.n_treatment),
            (40, 40)
        );
        let text = edited.resolved_toml(1, 10).unwrap();
        assert!(text.contains("n_per_arm = 40"), "{text}");
        let rerun = edited
            .edit(|f| {
                f.seed = 1;
                f.replicates = 10;
            })
            .unwrap();
        assert_eq!(Scenario::from_toml_str(&text, "again").unwrap(), rerun);
        let bad = sc.edit(|f| f.design.n_per_arm = 1).unwrap_err();
        assert!(bad.to_string().starts_with("design.n_per_arm = 1"), "{bad}");
    }

    #[test]
    fn instrument_measures_as_the_plain_formula() {
        // Rounding by multiplication where the step's inverse is exact must
        // be bit for bit the division of the plain formula.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for resolution in [
            1.0,
            0.5,
            0.25,
            2.0,
            1024.0,
            0.1,
            3.0,
            0.3,
            1e-300,
            2f64.powi(-1022),
        ] {
            let outcome = Outcome {
                resolution,
                min: Some(-1e6),
                max: Some(1e6),
                ..Scenario::default_scenario().outcome
            };
            let instrument = outcome.instrument();
            for _ in 0..20_000 {
                x = crate::rng::mix64(x);
                let latent = ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2e3;
                let plain = ((latent / resolution).round() * resolution).clamp(-1e6, 1e6);
                assert_eq!(
                    instrument.measure(latent).to_bits(),
                    plain.to_bits(),
                    "{latent} by {resolution}"
                );
            }
        }
    }

    #[test]
    fn round_half_away_is_f64_round() {
        let mut cases = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9.007_199_254_740_993e15,
            1e300,
            -1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // Halves, near-halves and random values over many magnitudes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x = crate::rng::mix64(x);
            let v = f64::from_bits(x);
            if v.is_finite() {
                cases.push(v);
            }
            let k = (x >> 40) as f64 - (1u64 << 23) as f64;
            cases.extend([k + 0.5, f64::from_bits((k + 0.5).to_bits() + 1), k * 1e-3]);
        }
        for v in cases {
            assert_eq!(
                round_half_away(v).to_bits(),
                v.round().to_bits(),
                "v = {v:e}"
            );
        }
        assert!(round_half_away(f64::NAN).is_nan());
    }

    #[test]
    fn profile_shapes_match_model() {
        let p = Profile {
            onset: Onset::Exponential,
            onset_months: 2.5,
            plateau_until: 9.0,
            half_life_months: Some(12.0 * std::f64::consts::LN_2),
        };
        // calibration.md §12: δ(t)/δmax = (1−e^(−t/2.5))·e^(−max(0,t−9)/12).
        for t in [1.0, 3.0, 6.0, 12.0, 24.0, 36.0] {
            let want = (1.0 - (-t / 2.5f64).exp()) * (-(t - 9.0f64).max(0.0) / 12.0).exp();
            assert!((p.at(t) - want).abs() < 1e-12, "t = {t}");
        }
        let lin = Profile {
            onset: Onset::Linear,
            onset_months: 2.0,
            plateau_until: 3.0,
            half_life_months: None,
        };
        assert_eq!(lin.at(1.0), 0.5);
        assert_eq!(lin.at(2.0), 1.0);
        assert_eq!(lin.at(100.0), 1.0);
    }

    #[test]
    fn suggestion_finds_typos() {
        assert_eq!(
            suggest("monthly_rte", file::known_keys("dropout")),
            Some("monthly_rate")
        );
        assert_eq!(suggest("zzz", file::known_keys("dropout")), None);
    }
}
