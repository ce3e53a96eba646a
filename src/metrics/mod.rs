//! Metrics over R replicates with their Monte Carlo standard errors (MODEL.md §3).
//!
//! Owns: accumulators (add / merge / finish), the truth they judge
//! against, metric names and warnings. May not: simulate, schedule, or
//! format for output.
//!
//! Accumulators are exact counts and Welford moments merged with Chan et al.'s
//! formula; the engine always merges them in replicate order, so results are
//! bit-identical however the work is split. Monte Carlo SEs follow Morris,
//! White & Crowther (2019): binomial `sqrt(p(1-p)/n)` for proportions,
//! `sd/sqrt(n)` for means, the delta method for ratios and roots.

use crate::analysis::{Analysed, TestResult};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A metric's value, its Monte Carlo SE and the number of replicates it counts.
/// Undefined metrics have `estimate: None, mc_se: None, n: 0`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate, or `None` when undefined.
    pub estimate: Option<f64>,
    /// Its Monte Carlo standard error, or `None` when undefined.
    pub mc_se: Option<f64>,
    /// Replicates the metric counts over.
    pub n: u64,
}

impl Estimate {
    /// `0.262 ± 0.004` with `decimals` digits, `0.262` without an MC SE;
    /// `None` when undefined (each output words that its own way). The one
    /// "estimate ± MC SE" format of every output and message.
    pub fn plus_minus(&self, decimals: usize) -> Option<String> {
        match (self.estimate, self.mc_se) {
            (Some(x), Some(se)) => Some(format!("{x:.decimals$} ± {se:.decimals$}")),
            (Some(x), None) => Some(format!("{x:.decimals$}")),
            _ => None,
        }
    }

    /// The undefined metric.
    pub const UNDEFINED: Estimate = Estimate {
        estimate: None,
        mc_se: None,
        n: 0,
    };
}

/// A proportion: hits out of n.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Count {
    hits: u64,
    n: u64,
}

impl Count {
    #[inline]
    fn add(&mut self, hit: bool) {
        self.n += 1;
        self.hits += u64::from(hit);
    }
    fn merge(&mut self, other: &Count) {
        self.n += other.n;
        self.hits += other.hits;
    }
    fn estimate(&self) -> Estimate {
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
    #[inline]
    fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
    fn merge(&mut self, o: &Moments) {
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
    fn variance(&self) -> f64 {
        self.m2 / (self.n as f64 - 1.0)
    }
    /// The mean scaled by `scale`, with SE `sd/sqrt(n)` (undefined SE when n < 2).
    fn mean_estimate(&self, shift: f64, scale: f64) -> Estimate {
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
    fn add(&mut self, x: f64, y: f64) {
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
    fn merge(&mut self, o: &PairMoments) {
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
    fn ratio(&self) -> Estimate {
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

/// What the metrics are judged against: fixed for a design point.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// Direction `s` (MODEL.md §0).
    pub s: f64,
    /// Significance level.
    pub alpha: f64,
    /// Population truth `theta(t*)`.
    pub theta: f64,
    /// Whether `theta_j(t*)` varies between settings (decided exactly, see
    /// `Heterogeneity::effect_varies`).
    /// When it does not, every `theta_j(t*)` is `theta`.
    pub theta_varies: bool,
    /// Visit months.
    pub months: Vec<f64>,
    /// `theta(t)` per visit.
    pub theta_by_visit: Vec<f64>,
    /// MCID, if any.
    pub mcid: Option<f64>,
    /// Whether replication trials are simulated.
    pub replication: bool,
    /// Randomised patients per arm, `[control, treatment]`.
    pub n_arm: [usize; 2],
}

/// What one replicate contributes at the primary visit.
#[derive(Debug, Clone, Copy)]
pub struct PrimaryRecord {
    /// The analysis at `t*`.
    pub analysed: Analysed,
    /// The trial's own `theta_j(t*)`.
    pub theta_trial: f64,
    /// The trial's own `theta_j(t_V)` (last visit).
    pub theta_trial_last: f64,
    /// Patients observed at `t*`, `[control, treatment]`.
    pub completers: [usize; 2],
    /// Whether the replication trial was significant and favourable (when simulated).
    pub replication: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct VisitAccumulator {
    power: Count,
    power_favourable: Count,
    estimate: Moments,
}

/// Running metrics of one design point (serialisable, so shards can be merged).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    power: Count,
    power_favourable: Count,
    not_estimable: Count,
    type_s: Count,
    type_m: Moments,
    type_s_trial: Count,
    type_m_trial: PairMoments,
    error: Moments,
    squared_error: Moments,
    coverage: Count,
    coverage_trial: Count,
    mcid_claim: Count,
    true_mcid: Count,
    claim_true: Count,
    durable: Count,
    replication_same: Count,
    completers: [Moments; 2],
    dropout: [Moments; 2],
    visits: Vec<VisitAccumulator>,
    /// Meta-analysis metrics, when the scenario has `[meta_analysis]`.
    pub meta: Option<MetaAccumulator>,
}

/// Whether a result is significant at `alpha`, and whether it is favourable.
#[inline]
pub fn judge(result: &Option<TestResult>, truth: &Truth) -> (bool, bool) {
    match result {
        Some(r) if r.significant => (true, truth.s * r.estimate > 0.0),
        _ => (false, false),
    }
}

impl Accumulator {
    /// An empty accumulator for `visits` per-visit slots (0 when by-visit is
    /// off), with meta-analysis metrics if `meta`.
    pub fn new(visits: usize, meta: bool) -> Self {
        Accumulator {
            visits: vec![VisitAccumulator::default(); visits],
            meta: meta.then(MetaAccumulator::default),
            ..Default::default()
        }
    }

    /// The current estimate of power (0 when empty).
    pub fn power_estimate(&self) -> f64 {
        if self.power.n == 0 {
            0.0
        } else {
            self.power.hits as f64 / self.power.n as f64
        }
    }

    /// Adds one replicate's primary-visit result.
    pub fn add_primary(&mut self, rec: &PrimaryRecord, truth: &Truth) {
        let (sig, fav) = judge(&rec.analysed.result, truth);
        self.power.add(sig);
        self.power_favourable.add(sig && fav);
        self.not_estimable.add(rec.analysed.result.is_none());
        for arm in 0..2 {
            let n = truth.n_arm[arm] as f64;
            self.completers[arm].add(rec.completers[arm] as f64);
            self.dropout[arm].add((n - rec.completers[arm] as f64) / n);
        }
        if let Some(m) = truth.mcid {
            let reaches = |x: f64| truth.s * x >= m;
            self.true_mcid.add(reaches(rec.theta_trial));
            if sig && fav {
                self.durable.add(reaches(rec.theta_trial_last));
            }
        }
        if let (Some(rep), true) = (rec.replication, sig && fav) {
            self.replication_same.add(rep);
        }
        let Some(r) = rec.analysed.result else {
            if truth.mcid.is_some() {
                self.mcid_claim.add(false);
            }
            return;
        };
        let err = r.estimate - truth.theta;
        self.error.add(err);
        self.squared_error.add(err * err);
        self.coverage
            .add(r.ci_low <= truth.theta && truth.theta <= r.ci_high);
        self.coverage_trial
            .add(r.ci_low <= rec.theta_trial && rec.theta_trial <= r.ci_high);
        if let Some(m) = truth.mcid {
            let claim = sig && fav && truth.s * r.estimate >= m;
            self.mcid_claim.add(claim);
            if claim {
                self.claim_true.add(truth.s * rec.theta_trial >= m);
            }
        }
        if sig {
            if truth.theta != 0.0 {
                self.type_s.add(r.estimate * truth.theta <= 0.0);
                self.type_m.add(r.estimate.abs());
            }
            // sign(0) differs from any estimate's sign: a significant trial
            // from a setting with no effect is a sign error too (undefined
            // only when theta_j is 0 in every setting; see `finish`).
            self.type_s_trial.add(r.estimate * rec.theta_trial <= 0.0);
            self.type_m_trial
                .add(r.estimate.abs(), rec.theta_trial.abs());
        }
    }

    /// Adds one replicate's analysis at visit index `k` (by-visit results).
    pub fn add_visit(&mut self, k: usize, analysed: &Analysed, truth: &Truth) {
        let (sig, fav) = judge(&analysed.result, truth);
        let v = &mut self.visits[k];
        v.power.add(sig);
        v.power_favourable.add(sig && fav);
        if let Some(r) = analysed.result {
            v.estimate.add(r.estimate);
        }
    }

    /// Merges the accumulator of the replicates that follow this one's.
    pub fn merge(&mut self, o: &Accumulator) {
        self.power.merge(&o.power);
        self.power_favourable.merge(&o.power_favourable);
        self.not_estimable.merge(&o.not_estimable);
        self.type_s.merge(&o.type_s);
        self.type_m.merge(&o.type_m);
        self.type_s_trial.merge(&o.type_s_trial);
        self.type_m_trial.merge(&o.type_m_trial);
        self.error.merge(&o.error);
        self.squared_error.merge(&o.squared_error);
        self.coverage.merge(&o.coverage);
        self.coverage_trial.merge(&o.coverage_trial);
        self.mcid_claim.merge(&o.mcid_claim);
        self.true_mcid.merge(&o.true_mcid);
        self.claim_true.merge(&o.claim_true);
        self.durable.merge(&o.durable);
        self.replication_same.merge(&o.replication_same);
        for arm in 0..2 {
            self.completers[arm].merge(&o.completers[arm]);
            self.dropout[arm].merge(&o.dropout[arm]);
        }
        if let (Some(a), Some(b)) = (self.meta.as_mut(), o.meta.as_ref()) {
            a.merge(b);
        }
        for (a, b) in self.visits.iter_mut().zip(&o.visits) {
            a.power.merge(&b.power);
            a.power_favourable.merge(&b.power_favourable);
            a.estimate.merge(&b.estimate);
        }
    }

    /// The metrics of MODEL.md §3, in a fixed order, and the per-visit results.
    pub fn finish(&self, truth: &Truth) -> (Metrics, Vec<VisitMetrics>) {
        let abs_theta = truth.theta.abs();
        let type_s = if truth.theta != 0.0 {
            self.type_s.estimate()
        } else {
            Estimate::UNDEFINED
        };
        let type_m = if truth.theta != 0.0 {
            self.type_m.mean_estimate(0.0, 1.0 / abs_theta)
        } else {
            Estimate::UNDEFINED
        };
        let mse = self.squared_error.mean_estimate(0.0, 1.0);
        let rmse = match (mse.estimate, mse.mc_se) {
            (Some(m), se) => {
                let r = m.sqrt();
                Estimate {
                    estimate: Some(r),
                    mc_se: se
                        .map(|s| if r > 0.0 { s / (2.0 * r) } else { 0.0 })
                        .filter(|se| se.is_finite()),
                    n: mse.n,
                }
            }
            _ => Estimate::UNDEFINED,
        };
        let mcid = |c: &Count| {
            if truth.mcid.is_some() {
                c.estimate()
            } else {
                Estimate::UNDEFINED
            }
        };
        let (replication_same, replication_new) = if truth.replication {
            (
                self.replication_same.estimate(),
                self.power_favourable.estimate(),
            )
        } else {
            (Estimate::UNDEFINED, Estimate::UNDEFINED)
        };
        // Against theta_j that is 0 in every setting, a sign error is as
        // undefined as `type_s` against theta = 0 (MODEL.md §3: the two are
        // equal when theta_j does not vary). Where theta_j varies, a
        // significant trial from a setting whose own theta_j is 0 counts as a
        // sign error (see `add_primary`).
        let type_s_trial = if truth.theta_varies || truth.theta != 0.0 {
            self.type_s_trial.estimate()
        } else {
            Estimate::UNDEFINED
        };
        let metrics = Metrics(vec![
            ("power", self.power.estimate()),
            ("power_favourable", self.power_favourable.estimate()),
            ("type_s", type_s),
            ("type_m", type_m),
            ("type_s_trial", type_s_trial),
            ("type_m_trial", self.type_m_trial.ratio()),
            ("bias", self.error.mean_estimate(0.0, 1.0)),
            ("rmse", rmse),
            ("coverage", self.coverage.estimate()),
            ("coverage_trial", self.coverage_trial.estimate()),
            ("mcid_claim", mcid(&self.mcid_claim)),
            ("true_mcid", mcid(&self.true_mcid)),
            ("claim_true", mcid(&self.claim_true)),
            ("durable", mcid(&self.durable)),
            ("replication_same", replication_same),
            ("replication_new", replication_new),
            (
                "completers_control",
                self.completers[0].mean_estimate(0.0, 1.0),
            ),
            (
                "completers_treatment",
                self.completers[1].mean_estimate(0.0, 1.0),
            ),
            ("dropout_control", self.dropout[0].mean_estimate(0.0, 1.0)),
            ("dropout_treatment", self.dropout[1].mean_estimate(0.0, 1.0)),
            ("not_estimable", self.not_estimable.estimate()),
        ]);
        let by_visit = self
            .visits
            .iter()
            .zip(&truth.months)
            .zip(&truth.theta_by_visit)
            .map(|((v, &month), &theta)| VisitMetrics {
                month,
                theta,
                metrics: Metrics(vec![
                    ("power", v.power.estimate()),
                    ("power_favourable", v.power_favourable.estimate()),
                    ("mean_estimate", v.estimate.mean_estimate(0.0, 1.0)),
                    ("bias", v.estimate.mean_estimate(theta, 1.0)),
                ]),
            })
            .collect();
        (metrics, by_visit)
    }
}

/// Conditional metrics and the condition they count over, for warnings.
const CONDITIONAL: [(&str, &str); 7] = [
    ("type_s", "significant trials"),
    ("type_m", "significant trials"),
    ("type_s_trial", "significant trials"),
    ("type_m_trial", "significant trials"),
    ("claim_true", "trials claiming an MCID benefit"),
    ("durable", "significant favourable trials"),
    ("replication_same", "significant favourable trials"),
];

/// Fewest replicates a conditional metric should rest on before it is read.
pub const MIN_CONDITIONING: u64 = 100;
/// Largest MC SE of power that reads to two decimals.
pub const MAX_POWER_SE: f64 = 0.01;

/// Warnings about metrics too imprecise to read, each naming the action that fixes it.
pub fn warnings(metrics: &Metrics, replicates: u64, precision: Option<f64>) -> Vec<String> {
    let mut out = Vec::new();
    let round_up = |r: f64| ((r / 1000.0).ceil() * 1000.0) as u64;
    for (name, condition) in CONDITIONAL {
        if let Some(e) = metrics.get(name)
            && e.n > 0
            && e.n < MIN_CONDITIONING
        {
            let more = round_up(replicates as f64 * MIN_CONDITIONING as f64 / e.n as f64);
            out.push(format!(
                "{name} rests on {} {condition} (MC SE {}): use --replicates {more} for at least {MIN_CONDITIONING}",
                e.n,
                e.mc_se.map_or("undefined".to_string(), |s| format!("{s:.3}")),
            ));
        }
    }
    if let Some(Estimate {
        estimate: Some(p),
        mc_se: Some(se),
        ..
    }) = metrics.get("power").copied()
    {
        match precision {
            Some(target) if se > target => out.push(format!(
                "MC SE of power is {se:.4} > --precision {target} after {replicates} replicates (power {p:.3}): raise --max-replicates"
            )),
            None if se > MAX_POWER_SE => out.push(format!(
                "MC SE of power is {se:.3} > {MAX_POWER_SE}: use --replicates {} or --precision {MAX_POWER_SE}",
                round_up(replicates as f64 * (se / MAX_POWER_SE).powi(2))
            )),
            _ => {}
        }
    }
    out
}

/// What meta-analysis metrics are judged against (MODEL.md §4).
#[derive(Debug, Clone, PartialEq)]
pub struct MetaTruth {
    /// Direction `s`.
    pub s: f64,
    /// Population truth `theta(t*)`.
    pub theta: f64,
    /// True between-trial variance `Var(theta_j(t*))` (bias `B_j` excluded).
    pub tau2: f64,
    /// MCID, if any.
    pub mcid: Option<f64>,
    /// Whether significance uses the HKSJ CI.
    pub hartung_knapp: bool,
    /// Critical values for K trials at level `1 − alpha`.
    pub crit: crate::meta::Criticals,
}

/// What one meta-replicate contributes.
#[derive(Debug, Clone, Copy)]
pub struct MetaRecord {
    /// The pooled result, `None` when K trials could not be published.
    pub pooled: Option<crate::meta::Pooled>,
    /// Trials simulated to get K published.
    pub trials_run: usize,
}

/// Running meta-analysis metrics of one design point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetaAccumulator {
    significant: Count,
    coverage: Count,
    coverage_hksj: Count,
    error: Moments,
    i2: Moments,
    i2_tau: Moments,
    tau2: Moments,
    tau2_error: Moments,
    pi_excludes_zero: Count,
    significant_pi_includes_zero: Count,
    beyond_mcid: Count,
    type_s: Count,
    type_m: Moments,
    egger_detects: Count,
    trials_run: Moments,
    nonconverged: Count,
    not_estimable: Count,
}

impl MetaAccumulator {
    /// Adds one meta-replicate.
    pub fn add(&mut self, rec: &MetaRecord, truth: &MetaTruth) {
        self.trials_run.add(rec.trials_run as f64);
        self.not_estimable.add(rec.pooled.is_none());
        let Some(p) = rec.pooled else {
            self.significant.add(false);
            return;
        };
        let (lo, hi) = if truth.hartung_knapp {
            (p.ci_low_hksj, p.ci_high_hksj)
        } else {
            (p.ci_low, p.ci_high)
        };
        let sig = lo > 0.0 || hi < 0.0;
        self.significant.add(sig);
        self.coverage
            .add(p.ci_low <= truth.theta && truth.theta <= p.ci_high);
        self.coverage_hksj
            .add(p.ci_low_hksj <= truth.theta && truth.theta <= p.ci_high_hksj);
        self.error.add(p.mu - truth.theta);
        self.i2.add(p.i2);
        self.i2_tau.add(p.i2_tau);
        self.tau2.add(p.tau2);
        self.tau2_error.add(p.tau2 - truth.tau2);
        self.nonconverged.add(!p.converged);
        if p.k >= 3 {
            let excludes = p.pi_low > 0.0 || p.pi_high < 0.0;
            self.pi_excludes_zero.add(excludes);
            self.significant_pi_includes_zero.add(sig && !excludes);
            if p.egger_t.is_finite() {
                self.egger_detects.add(p.egger_t.abs() > truth.crit.t_egger);
            }
        }
        if let Some(m) = truth.mcid {
            self.beyond_mcid.add(truth.s * p.mu >= m);
        }
        if sig && truth.theta != 0.0 {
            self.type_s.add(p.mu * truth.theta <= 0.0);
            self.type_m.add(p.mu.abs());
        }
    }

    /// Merges the accumulator of the replicates that follow.
    pub fn merge(&mut self, o: &MetaAccumulator) {
        self.significant.merge(&o.significant);
        self.coverage.merge(&o.coverage);
        self.coverage_hksj.merge(&o.coverage_hksj);
        self.error.merge(&o.error);
        self.i2.merge(&o.i2);
        self.i2_tau.merge(&o.i2_tau);
        self.tau2.merge(&o.tau2);
        self.tau2_error.merge(&o.tau2_error);
        self.pi_excludes_zero.merge(&o.pi_excludes_zero);
        self.significant_pi_includes_zero
            .merge(&o.significant_pi_includes_zero);
        self.beyond_mcid.merge(&o.beyond_mcid);
        self.type_s.merge(&o.type_s);
        self.type_m.merge(&o.type_m);
        self.egger_detects.merge(&o.egger_detects);
        self.trials_run.merge(&o.trials_run);
        self.nonconverged.merge(&o.nonconverged);
        self.not_estimable.merge(&o.not_estimable);
    }

    /// The meta metrics of MODEL.md §4, in a fixed order.
    pub fn finish(&self, truth: &MetaTruth) -> Metrics {
        let defined = |ok: bool, e: Estimate| if ok { e } else { Estimate::UNDEFINED };
        let nonzero = truth.theta != 0.0;
        Metrics(vec![
            ("significant", self.significant.estimate()),
            ("coverage", self.coverage.estimate()),
            ("coverage_hksj", self.coverage_hksj.estimate()),
            ("bias", self.error.mean_estimate(0.0, 1.0)),
            ("i2", self.i2.mean_estimate(0.0, 1.0)),
            ("i2_tau", self.i2_tau.mean_estimate(0.0, 1.0)),
            ("tau2", self.tau2.mean_estimate(0.0, 1.0)),
            ("tau2_bias", self.tau2_error.mean_estimate(0.0, 1.0)),
            ("pi_excludes_zero", self.pi_excludes_zero.estimate()),
            (
                "significant_pi_includes_zero",
                self.significant_pi_includes_zero.estimate(),
            ),
            (
                "beyond_mcid",
                defined(truth.mcid.is_some(), self.beyond_mcid.estimate()),
            ),
            ("type_s", defined(nonzero, self.type_s.estimate())),
            (
                "type_m",
                defined(
                    nonzero,
                    self.type_m
                        .mean_estimate(0.0, 1.0 / truth.theta.abs().max(f64::MIN_POSITIVE)),
                ),
            ),
            ("egger_detects", self.egger_detects.estimate()),
            ("trials_run", self.trials_run.mean_estimate(0.0, 1.0)),
            ("nonconverged", self.nonconverged.estimate()),
            ("not_estimable", self.not_estimable.estimate()),
        ])
    }
}

/// Named metrics in a fixed order (serialised as a JSON object).
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics(pub Vec<(&'static str, Estimate)>);

impl Metrics {
    /// The metric called `name`.
    pub fn get(&self, name: &str) -> Option<&Estimate> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, e)| e)
    }
}

impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Results at one visit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitMetrics {
    /// Visit month.
    pub month: f64,
    /// `theta(t)` at this visit.
    pub theta: f64,
    /// `power`, `power_favourable`, `mean_estimate`, `bias`.
    pub metrics: Metrics,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_read_with_their_mc_se() {
        let e = |estimate, mc_se| Estimate {
            estimate,
            mc_se,
            n: 10,
        };
        assert_eq!(
            e(Some(0.26249), Some(0.0041)).plus_minus(3).as_deref(),
            Some("0.262 ± 0.004")
        );
        assert_eq!(e(Some(1.5), None).plus_minus(2).as_deref(), Some("1.50"));
        assert_eq!(Estimate::UNDEFINED.plus_minus(3), None);
    }

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
