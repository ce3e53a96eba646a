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
//! Draw order (fixed, MODEL.md §5). Protocol stream of (replicate, trial):
//! `eta_j`, `nu_j`, then one uniform per factor. Patient stream of (replicate,
//! trial, arm, patient): the responder uniform, `b_i`, one innovation per
//! visit, one dropout uniform per visit, then (u_i, e_i0) pairs until the
//! entry criterion admits one — the only variable-length part comes last, so
//! it shifts nothing else. Every draw is made even when its SD is 0 or its
//! mechanism is off (one stream per patient keeps the cost of deriving
//! streams low).

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

/// Per-visit constants of the simulation.
#[derive(Debug, Clone, Copy)]
struct VisitPlan {
    /// `h_p(t_k)`.
    placebo_shape: f64,
    /// `g(t_k)`.
    effect_shape: f64,
    /// AR(1) coefficient `rho^(t_k - t_{k-1})`.
    phi: f64,
    /// Innovation SD `residual_sd · sqrt(1 - phi²)`.
    innovation_sd: f64,
}

/// Per-scenario constants of the simulation, computed once.
#[derive(Debug, Clone)]
pub struct Plan {
    visits: Vec<VisitPlan>,
    /// `logit(q_k) + log(arm_odds_ratio)·[a = 0] + beta·s·mu0` per arm and visit
    /// (`-inf` = no dropout); the dropout log-odds are this plus `−beta·s·Z`.
    dropout_logit: [Vec<f64>; 2],
    /// `logistic(dropout_logit)` per arm and visit: the dropout probability
    /// when it does not depend on Z (MCAR, or `beta = 0`).
    dropout_p: [Vec<f64>; 2],
    /// Squeeze table for `u < logistic(lp)`.
    logistic: Logistic,
}

/// Decides `u < 1 / (1 + exp(−lp))` exactly, mostly without `exp`.
///
/// A table holds the logistic function at a grid of `lp`; since it is
/// monotone, `u` at or above the value at the grid point above `lp` means
/// "no", below the value at the grid point below means "yes", and only a `u`
/// between the two (probability ≤ 0.25 · step) needs the exact function. The
/// decision is the exact one in every case, so results do not depend on the
/// table. (A scalar `exp` per dropout check otherwise costs about as much as
/// all of a patient's other arithmetic.)
#[derive(Debug, Clone)]
pub struct Logistic {
    table: Box<[f64; LOGISTIC_POINTS]>,
}

// [-20, 20] in steps of 1/32: 1281 values, 10 KB, small enough to stay in
// the L1 cache. Outside it the logistic function is below 2.1e-9 or above
// 1 − 2.1e-9, which the end values decide as well.
const LOGISTIC_LO: f64 = -20.0;
const LOGISTIC_STEP: f64 = 1.0 / 32.0;
const LOGISTIC_PER_UNIT: f64 = 32.0;
const LOGISTIC_POINTS: usize = 40 * 32 + 1;
/// The last cell the table decides (it reads up to `table[cell + 2]`).
const LAST_CELL: i32 = LOGISTIC_POINTS as i32 - 4;

/// `1 / (1 + exp(−x))`.
#[inline]
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Default for Logistic {
    fn default() -> Self {
        Logistic {
            table: Box::new(std::array::from_fn(|i| logistic(grid(i as u32)))),
        }
    }
}

fn grid(i: u32) -> f64 {
    LOGISTIC_LO + f64::from(i) * LOGISTIC_STEP
}

impl Logistic {
    /// Whether `u < logistic(lp)`, decided exactly.
    #[inline]
    pub fn below(&self, u: f64, lp: f64) -> bool {
        // STEP is a power of two, so this product is the exact quotient.
        let pos = (lp - LOGISTIC_LO) * LOGISTIC_PER_UNIT;
        // Truncation toward zero, saturating (NaN gives 0): for pos ≥ 0 the
        // cell index. In 1..=POINTS − 4 exactly when 1 ≤ pos < POINTS − 3.
        let cell = pos as i32;
        if (1..=LAST_CELL).contains(&cell) {
            // `pos` carries one rounding, so the true grid cell is `cell` or a
            // neighbour: logistic(lp) lies in [table[cell − 1], table[cell + 2]].
            // The clamp is a no-op that lets the compiler drop bounds checks.
            let i = cell.clamp(1, LAST_CELL) as usize;
            let (lo, hi) = (self.table[i - 1], self.table[i + 2]);
            // Non-short-circuit operators: the outcome is random, so branching on
            // each comparison would mispredict; only the rare undecided case branches.
            let (yes, no) = (u < lo, u >= hi);
            if yes | no {
                return yes;
            }
        } else if pos < 1.0 {
            // lp at or below the table's second value: logistic(lp) < table[2].
            if u >= self.table[2] {
                return false;
            }
        } else if u < self.table[LOGISTIC_POINTS - 4] {
            // lp at or above the table's fourth-last value.
            return true;
        }
        u < logistic(lp)
    }
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
                    // + beta · w(Z) with w(Z) = −s (Z − mu0): the constant part here.
                    let centre = if matches!(sc.dropout.mechanism, Mechanism::Mar | Mechanism::Mnar)
                    {
                        sc.dropout.beta * sc.outcome.s * sc.outcome.mu0
                    } else {
                        0.0
                    };
                    (q / (1.0 - q)).ln() + arm_term + centre
                } else {
                    f64::NEG_INFINITY
                });
            }
            prev = t;
        }
        Plan {
            visits: months
                .iter()
                .zip(phi.iter().zip(&innovation_sd))
                .map(|(&t, (&phi, &innovation_sd))| VisitPlan {
                    placebo_shape: sc.placebo.profile.at(t),
                    effect_shape: sc.effect.profile.at(t),
                    phi,
                    innovation_sd,
                })
                .collect(),
            dropout_p: [0, 1].map(|arm| dropout_logit[arm].iter().map(|&c| logistic(c)).collect()),
            dropout_logit,
            logistic: Logistic::default(),
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
    /// Dropout uniforms, reused.
    d: Vec<f64>,
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
            d: Vec::new(),
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
    data.d.resize(v, 0.0);

    let o = &sc.outcome;
    let bias = setting.reporting_bias(sc, n[0]);
    let placebo_peak = sc.placebo.peak + setting.nu;
    let pi = sc.effect.responder_fraction;
    let rule = DropoutRule::of(sc);
    // Dropout log-odds before visit k: c_k + slope · Z (MODEL.md §1), with
    // Z the last observed value (MAR) or the current one (MNAR).
    let slope = -sc.dropout.beta * o.s;
    let visits = &plan.visits[..v];
    let logistic = &plan.logistic;
    let mut i = 0;
    for (arm, &n_arm) in n.iter().enumerate() {
        let patient_prefix = key.prefix(replicate, trial, Role::Patient, arm as u64);
        let treated = if arm == TREATMENT { 1.0 } else { 0.0 };
        let c = &plan.dropout_logit[arm][..v];
        let q = &plan.dropout_p[arm][..v];
        for p in 0..n_arm {
            let mut rng: Stream = patient_prefix.absorb(p as u64).stream();
            let responder = if rng.random::<f64>() < pi { 1.0 } else { 0.0 };
            let b: f64 = sc.effect.patient_sd * rng.sample::<f64, _>(StandardNormal);
            for z in data.z.iter_mut() {
                *z = rng.sample(StandardNormal);
            }
            for d in data.d.iter_mut() {
                *d = rng.random();
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

            let course = Course {
                level: o.mu0 + u,
                placebo_peak,
                own: treated * responder * (setting.d + b),
                shift: treated * bias,
                e0,
                y0,
            };
            let row = &mut data.values[i * v..(i + 1) * v];
            let (z, d) = (&data.z[..v], &data.d[..v]);
            // One loop per rule, so the rule is not re-decided at every visit.
            // c_k = -inf (q_k = 0) needs no special case: the squeeze decides
            // logistic(-inf) = 0 exactly.
            data.observed[i] = match rule {
                DropoutRule::None => follow_up(o, visits, z, row, &course, |_, _, _| false),
                DropoutRule::Fixed => follow_up(o, visits, z, row, &course, |k, _, _| d[k] < q[k]),
                DropoutRule::LastObserved => follow_up(o, visits, z, row, &course, |k, last, _| {
                    logistic.below(d[k], c[k] + slope * last)
                }),
                DropoutRule::Current => follow_up(o, visits, z, row, &course, |k, _, y| {
                    logistic.below(d[k], c[k] + slope * y)
                }),
            };
            i += 1;
        }
    }
}

/// How the dropout decision before a visit is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DropoutRule {
    /// Nobody drops out.
    None,
    /// With a probability that does not depend on the outcome (MCAR, or `beta = 0`).
    Fixed,
    /// Depending on the last observed value (MAR).
    LastObserved,
    /// Depending on the current, unobserved value (MNAR).
    Current,
}

impl DropoutRule {
    fn of(sc: &Scenario) -> Self {
        match sc.dropout.mechanism {
            Mechanism::None => DropoutRule::None,
            Mechanism::Mcar => DropoutRule::Fixed,
            _ if sc.dropout.beta == 0.0 => DropoutRule::Fixed,
            Mechanism::Mar => DropoutRule::LastObserved,
            Mechanism::Mnar => DropoutRule::Current,
        }
    }
}

/// One patient's constants after the baseline visit.
struct Course {
    /// `mu0 + u_i`.
    level: f64,
    /// This trial's placebo peak, `P + nu_j`.
    placebo_peak: f64,
    /// `a_i R_i (D_j + b_i)`.
    own: f64,
    /// `a_i B_j`.
    shift: f64,
    /// Baseline residual `e_i0`.
    e0: f64,
    /// Measured baseline value.
    y0: f64,
}

/// Follows one patient through the post-baseline visits: writes the measured
/// values into `row` until the patient leaves (NaN from then on) and returns
/// the number of visits observed. `leaves(k, last, y)` decides dropout before
/// visit `k` from the last observed value and the value at visit `k`.
#[inline(always)]
fn follow_up(
    o: &crate::scenario::Outcome,
    visits: &[VisitPlan],
    z: &[f64],
    row: &mut [f64],
    course: &Course,
    leaves: impl Fn(usize, f64, f64) -> bool,
) -> usize {
    let v = row.len();
    let (visits, z) = (&visits[..v], &z[..v]);
    let mut e = course.e0;
    let mut last = course.y0;
    for k in 0..v {
        let vp = &visits[k];
        e = vp.phi * e + vp.innovation_sd * z[k];
        let mean = course.level
            + course.placebo_peak * vp.placebo_shape
            + course.own * vp.effect_shape
            + course.shift;
        let y = o.measure(mean + e);
        if leaves(k, last, y) {
            row[k..].fill(f64::NAN);
            return k;
        }
        row[k] = y;
        last = y;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn logistic_squeeze_decides_exactly() {
        let table = Logistic::default();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(9);
        for _ in 0..200_000 {
            let lp: f64 = rng.random_range(-45.0..45.0);
            let p = logistic(lp);
            // Uniforms near p (the hard cases) and anywhere.
            let near = p + rng.random_range(-1e-3..1e-3);
            for u in [rng.random::<f64>(), near.clamp(0.0, 1.0)] {
                assert_eq!(table.below(u, lp), u < p, "u = {u}, lp = {lp}");
            }
        }
        assert!(table.below(0.0, -40.0));
        assert!(!table.below(0.5, -25.0));
        assert!(table.below(0.5, 25.0));
    }
}
