//! One simulated trial, exactly as MODEL.md §1 writes it.
//!
//! ```text
//! Y_i0 = mu0 + u_i + e_i0
//! Y_it = mu0 + u_i + P_j(t) + a_i (R_i (D_j + b_i) g(t) + B_j) + e_it
//! ```
//! with continuous-time AR(1) residuals, an optional entry criterion on the
//! screening value (redrawn until met), clamping and rounding of what is
//! measured, and monotone dropout before each post-baseline visit.
//!
//! Draw order (fixed, MODEL.md §5). Protocol stream of (replicate, trial 0):
//! `eta_j`, `nu_j`, then one uniform per factor. Patient stream of (replicate,
//! trial, arm, patient): the responder uniform, `b_i`, one innovation per
//! visit, then (u_i, e_i0) pairs until the entry criterion admits one — the
//! only variable-length part comes last, so it shifts nothing else. Dropout
//! stream of the same patient: one uniform per visit while still in the trial.
//! Every draw is made even when its SD is 0 or its mechanism is off.

use crate::rng::{Key, Role, Stream};
use crate::scenario::{Mechanism, Scenario};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Control arm index (`a = 0`).
pub const CONTROL: usize = 0;
/// Treatment arm index (`a = 1`).
pub const TREATMENT: usize = 1;

/// Screening draws before the entry criterion gives up. Validation guarantees
/// it admits at least 1%, so failing all of them has probability < 0.99^10⁵.
const MAX_SCREENING: usize = 100_000;

/// The setting of one trial: its protocol draw (MODEL.md §1).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Trial-specific true effect `D_j` (before the responder fraction and `g`).
    pub d: f64,
    /// Sum of the drawn protocol levels' reporting bias (small-study bias excluded:
    /// it depends on the design).
    pub protocol_bias: f64,
    /// Deviation of this trial's placebo peak, `nu_j`.
    pub nu: f64,
}

impl Setting {
    /// Draws the setting of trial `trial` of replicate `replicate` from its protocol stream.
    pub fn draw(sc: &Scenario, key: Key, replicate: u64, trial: u64) -> Self {
        let mut rng = key
            .prefix(replicate, trial, Role::Protocol, 0)
            .absorb(0)
            .stream();
        let eta: f64 = rng.sample(StandardNormal);
        let nu: f64 = rng.sample(StandardNormal);
        let mut d = sc.effect.peak + sc.heterogeneity.tau * eta;
        let mut protocol_bias = 0.0;
        for factor in &sc.heterogeneity.factors {
            let u: f64 = rng.random();
            let mut cum = 0.0;
            let mut chosen = factor.levels.last().expect("validated: at least one level");
            for level in &factor.levels {
                cum += level.probability;
                if u < cum {
                    chosen = level;
                    break;
                }
            }
            d += chosen.shift;
            protocol_bias += chosen.bias;
        }
        Setting {
            d,
            protocol_bias,
            nu: sc.placebo.tau * nu,
        }
    }

    /// `theta_j(t) = D_j · responder_fraction · g(t)`.
    pub fn theta(&self, sc: &Scenario, t: f64) -> f64 {
        self.d * sc.effect.responder_fraction * sc.effect.profile.at(t)
    }

    /// `B_j` for a trial whose control arm has `n_control` patients: protocol
    /// bias plus small-study bias when the control arm is small.
    pub fn reporting_bias(&self, sc: &Scenario, n_control: usize) -> f64 {
        let small = match &sc.heterogeneity.small_study {
            Some(ss) if (n_control as u64) < ss.below => ss.bias,
            _ => 0.0,
        };
        self.protocol_bias + small
    }
}

/// Per-scenario constants of the simulation, computed once.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `h_p(t_k)` per visit.
    placebo_shape: Vec<f64>,
    /// `g(t_k)` per visit.
    effect_shape: Vec<f64>,
    /// AR(1) coefficient `rho^(t_k - t_{k-1})` per visit.
    phi: Vec<f64>,
    /// Innovation SD `residual_sd · sqrt(1 - phi²)` per visit.
    innovation_sd: Vec<f64>,
    /// `logit(q_k) + log(arm_odds_ratio)·[a = 0]` per arm and visit (`-inf` = no dropout).
    dropout_logit: [Vec<f64>; 2],
}

impl Plan {
    /// Precomputes the visit-wise constants of a scenario.
    pub fn new(sc: &Scenario) -> Self {
        let months = &sc.visits.months;
        let mut phi = Vec::with_capacity(months.len());
        let mut innovation_sd = Vec::with_capacity(months.len());
        let mut dropout_logit = [Vec::new(), Vec::new()];
        let mut prev = 0.0;
        for &t in months {
            let dt = t - prev;
            let p = sc.outcome.rho.powf(dt);
            phi.push(p);
            innovation_sd.push(sc.outcome.residual_sd * (1.0 - p * p).max(0.0).sqrt());
            let q = 1.0 - (1.0 - sc.dropout.monthly_rate).powf(dt);
            let active = sc.dropout.mechanism != Mechanism::None && q > 0.0;
            for (arm, logits) in dropout_logit.iter_mut().enumerate() {
                logits.push(if active {
                    let arm_term = if arm == CONTROL {
                        sc.dropout.arm_odds_ratio.ln()
                    } else {
                        0.0
                    };
                    (q / (1.0 - q)).ln() + arm_term
                } else {
                    f64::NEG_INFINITY
                });
            }
            prev = t;
        }
        Plan {
            placebo_shape: months.iter().map(|&t| sc.placebo.profile.at(t)).collect(),
            effect_shape: months.iter().map(|&t| sc.effect.profile.at(t)).collect(),
            phi,
            innovation_sd,
            dropout_logit,
        }
    }
}

/// The patient-level data of one trial: control patients first, then treatment.
#[derive(Debug, Clone, Default)]
pub struct TrialData {
    /// Number of post-baseline visits V.
    pub visits: usize,
    /// Patients per arm: `[control, treatment]`.
    pub n: [usize; 2],
    /// Measured baseline value per patient.
    pub baseline: Vec<f64>,
    /// Measured value per patient and visit (`patient * visits + k`); NaN once dropped out.
    pub values: Vec<f64>,
    /// Number of post-baseline visits observed per patient (dropout is monotone).
    pub observed: Vec<usize>,
    /// Innovation buffer, reused.
    z: Vec<f64>,
}

impl TrialData {
    /// A trial from given data (for analysing data that were not simulated).
    /// `values` holds `visits` entries per patient (NaN when missing), and
    /// `observed[i]` the number of visits patient `i` was observed at.
    ///
    /// # Panics
    /// If the lengths do not match `n` and `visits`.
    pub fn new(
        visits: usize,
        n: [usize; 2],
        baseline: Vec<f64>,
        values: Vec<f64>,
        observed: Vec<usize>,
    ) -> Self {
        let total = n[0] + n[1];
        assert!(baseline.len() == total && observed.len() == total);
        assert_eq!(values.len(), total * visits);
        TrialData {
            visits,
            n,
            baseline,
            values,
            observed,
            z: Vec::new(),
        }
    }

    /// Index range of an arm's patients.
    pub fn arm(&self, arm: usize) -> std::ops::Range<usize> {
        if arm == CONTROL {
            0..self.n[0]
        } else {
            self.n[0]..self.n[0] + self.n[1]
        }
    }

    /// Value of patient `i` at visit `k` (NaN when missing).
    pub fn value(&self, i: usize, k: usize) -> f64 {
        self.values[i * self.visits + k]
    }
}

/// Where a trial sits in the random streams and how large it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrialId {
    /// Replicate index.
    pub replicate: u64,
    /// Trial within the replicate: 0 the trial analysed, 1 its same-setting
    /// replication, `2 + k` the k-th trial of a simulated literature.
    pub trial: u64,
    /// Patients per arm, `[control, treatment]`.
    pub n: [usize; 2],
}

/// Simulates one trial in `setting` into `data` (buffers are reused, so a
/// long run does not allocate per trial).
pub fn simulate_trial(
    sc: &Scenario,
    plan: &Plan,
    key: Key,
    id: TrialId,
    setting: &Setting,
    data: &mut TrialData,
) {
    let TrialId {
        replicate,
        trial,
        n,
    } = id;
    let v = sc.visits.months.len();
    let total = n[0] + n[1];
    data.visits = v;
    data.n = n;
    data.baseline.resize(total, 0.0);
    data.values.resize(total * v, 0.0);
    data.observed.resize(total, 0);
    data.z.resize(v, 0.0);

    let o = &sc.outcome;
    let bias = setting.reporting_bias(sc, n[0]);
    let placebo_peak = sc.placebo.peak + setting.nu;
    let pi = sc.effect.responder_fraction;
    let mechanism = sc.dropout.mechanism;

    let mut i = 0;
    for (arm, &n_arm) in n.iter().enumerate() {
        let patient_prefix = key.prefix(replicate, trial, Role::Patient, arm as u64);
        let dropout_prefix = key.prefix(replicate, trial, Role::Dropout, arm as u64);
        let treated = if arm == TREATMENT { 1.0 } else { 0.0 };
        for p in 0..n_arm {
            let mut rng: Stream = patient_prefix.absorb(p as u64).stream();
            let responder = if rng.random::<f64>() < pi { 1.0 } else { 0.0 };
            let b: f64 = sc.effect.patient_sd * rng.sample::<f64, _>(StandardNormal);
            for z in data.z.iter_mut() {
                *z = rng.sample(StandardNormal);
            }
            let (mut u, mut e0, mut y0) = (0.0, 0.0, 0.0);
            for _ in 0..MAX_SCREENING {
                u = o.subject_sd * rng.sample::<f64, _>(StandardNormal);
                e0 = o.residual_sd * rng.sample::<f64, _>(StandardNormal);
                y0 = o.measure(o.mu0 + u + e0);
                if o.admits(y0) {
                    break;
                }
            }
            data.baseline[i] = y0;

            let row = &mut data.values[i * v..(i + 1) * v];
            let mut e = e0;
            for (k, y) in row.iter_mut().enumerate() {
                e = plan.phi[k] * e + plan.innovation_sd[k] * data.z[k];
                let specific =
                    treated * (responder * (setting.d + b) * plan.effect_shape[k] + bias);
                *y = o.measure(o.mu0 + u + placebo_peak * plan.placebo_shape[k] + specific + e);
            }

            let mut observed = v;
            if mechanism != Mechanism::None {
                let mut drng: Stream = dropout_prefix.absorb(p as u64).stream();
                for k in 0..v {
                    let base = plan.dropout_logit[arm][k];
                    if base == f64::NEG_INFINITY {
                        // q_k = 0: nobody leaves before this visit; the draw is still made.
                        let _: f64 = drng.random();
                        continue;
                    }
                    let lp = match mechanism {
                        Mechanism::Mar => {
                            let z = if k == 0 { y0 } else { row[k - 1] };
                            base + sc.dropout.beta * (-o.s * (z - o.mu0))
                        }
                        Mechanism::Mnar => base + sc.dropout.beta * (-o.s * (row[k] - o.mu0)),
                        _ => base,
                    };
                    let prob = 1.0 / (1.0 + (-lp).exp());
                    if drng.random::<f64>() < prob {
                        observed = k;
                        break;
                    }
                }
            }
            for x in &mut row[observed..] {
                *x = f64::NAN;
            }
            data.observed[i] = observed;
            i += 1;
        }
    }
}
