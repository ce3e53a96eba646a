//! One simulated trial, exactly as MODEL.md §1 writes it.
//!
//! Owns: one trial's data (`TrialData`, `ArmSums`), its setting, the
//! dropout model (`dropout.rs`), the exact fast path (`sufficient.rs`) and
//! its adverse events (`safety.rs`).
//! May not: analyse, judge or accumulate; draw from anything but `rng`
//! streams; know threads.
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
//! streams low). A dropout draw is kept as its 64-bit integer (see
//! [`DropoutDraw`]).
//!
//! The work runs in two phases. Phase 1 goes patient by patient through
//! their streams and stores the draws. Phase 2 goes arm by arm: the AR(1)
//! residuals of four patients side by side, then the values, then a scan for
//! the first visit before which each patient leaves. The result is bit for
//! bit that of the plain, one-visit-at-a-time model (a test checks it).

pub mod dropout;
pub mod safety;
pub mod sufficient;

use dropout::logistic;

use crate::rng::{Key, Role, Stream};
use crate::scenario::{Instrument, Mechanism, Scenario};
use rand::{Rng, RngExt};
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
        Self::draw_into(sc, key, replicate, trial, None)
    }

    /// [`Setting::draw`], also writing the index of each factor's drawn
    /// level into `levels` (cleared first), in factor order: the same
    /// draws, so the same setting.
    pub fn draw_with_levels(
        sc: &Scenario,
        key: Key,
        replicate: u64,
        trial: u64,
        levels: &mut Vec<usize>,
    ) -> Self {
        levels.clear();
        Self::draw_into(sc, key, replicate, trial, Some(levels))
    }

    fn draw_into(
        sc: &Scenario,
        key: Key,
        replicate: u64,
        trial: u64,
        mut levels: Option<&mut Vec<usize>>,
    ) -> Self {
        let mut rng = key
            .prefix(replicate, trial, Role::Protocol, 0)
            .lanes()
            .stream(0);
        let eta: f64 = rng.sample(StandardNormal);
        let nu: f64 = rng.sample(StandardNormal);
        let mut d = sc.effect.peak + sc.heterogeneity.tau * eta;
        let mut protocol_bias = 0.0;
        for factor in &sc.heterogeneity.factors {
            let u: f64 = rng.random();
            let mut cum = 0.0;
            let mut index = factor.levels.len() - 1; // validated: at least one level
            for (i, level) in factor.levels.iter().enumerate() {
                cum += level.probability;
                if u < cum {
                    index = i;
                    break;
                }
            }
            if let Some(levels) = levels.as_mut() {
                levels.push(index);
            }
            let chosen = &factor.levels[index];
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
    /// AR(1) coefficient `rho^(t_k - t_{k-1})`.
    phi: f64,
    /// Innovation SD `residual_sd · sqrt(1 - phi²)`.
    innovation_sd: f64,
}

/// Per-scenario constants of the simulation, computed once.
#[derive(Debug, Clone)]
pub struct Plan {
    visits: Vec<VisitPlan>,
    /// `g(t_k)` per visit.
    effect_shape: Vec<f64>,
    /// `logit(q_k) + log(arm_odds_ratio)·[a = 0] + beta·s·mu0` per arm and visit
    /// (`-inf` = no dropout); the dropout log-odds are this plus `−beta·s·Z`.
    dropout_logit: [Vec<f64>; 2],
    /// `logistic(dropout_logit)` per arm and visit: the dropout probability
    /// when it does not depend on Z (MCAR, or `beta = 0`).
    dropout_p: [Vec<f64>; 2],
    /// Squeeze table for `u < logistic(lp)`: the same for every scenario,
    /// so one for the process (16 KB, which a sweep of many design points
    /// would otherwise hold once per point).
    logistic: &'static Logistic,
}

/// A uniform draw for a dropout decision, kept as the 64-bit integer it
/// comes from: `u = (x >> 11) · 2⁻⁵³`, the top 53 bits, exactly the `f64`
/// that `rand`'s `StandardUniform` makes of `x`. Keeping the integer gives
/// the squeeze its cell for free.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropoutDraw(pub u64);

impl DropoutDraw {
    /// The uniform `u` in [0, 1).
    #[inline]
    pub fn uniform(self) -> f64 {
        (self.0 >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// The cell of `u` in [`Logistic`]'s grid: `floor(u · CELLS)`.
    #[inline]
    fn cell(self) -> usize {
        (self.0 >> (64 - CELL_BITS)) as usize
    }
}

/// Decides `u < 1 / (1 + exp(−lp))` exactly, mostly without `exp`.
///
/// The unit interval is cut into `CELLS` equal cells; `u` lies in cell
/// `c = floor(u · CELLS)` (the top bits of its draw), so `c / CELLS ≤ u <
/// (c + 1) / CELLS`. Since the logistic function is increasing, `lp` at or
/// below `logit(c / CELLS)` means "no" and `lp` at or above
/// `logit((c + 1) / CELLS)` means "yes"; only `lp` between the two — which
/// happens when `u` falls in the one cell that holds `logistic(lp)`,
/// probability `1 / CELLS` — needs `exp`. The table holds those logits
/// widened by `MARGIN` (1e-9), so that the computed logistic (glibc's `exp` is
/// within 1 ulp; with the addition and division the relative error is below
/// 1e-15) can never disagree with a decision the table makes: a margin of
/// `m` in `lp` moves the logistic by at least `m · p (1 − p) ≥ m · p / CELLS`,
/// relative `1e-12`, a thousand times the error. The decision is therefore
/// exactly `u < logistic(lp)` as computed, in every case, so results do not
/// depend on the table. The comparisons need only `lp` and two loads whose
/// address is known as soon as `u` is drawn. (A scalar `exp` per dropout
/// check otherwise costs about as much as all of a patient's other
/// arithmetic.)
#[derive(Debug, Clone)]
pub struct Logistic {
    /// `no[c]`: `lp ≤ no[c]` decides "no" for `u` in cell `c`.
    no: Box<[f64; CELLS]>,
    /// `yes[c]`: `lp ≥ yes[c]` decides "yes" for `u` in cell `c`.
    yes: Box<[f64; CELLS]>,
}

/// Cells of the unit interval (2¹⁰: two 8 KB tables, in the L1 cache).
const CELL_BITS: u32 = 10;
const CELLS: usize = 1 << CELL_BITS;
/// Widening of the table's logits (see [`Logistic`]).
const MARGIN: f64 = 1e-9;

/// The exact decision, out of line: a call in the hot loop's body would
/// make the compiler keep the loop's values in memory.
#[cold]
#[inline(never)]
fn undecided(draw: DropoutDraw, lp: f64) -> bool {
    draw.uniform() < logistic(lp)
}

/// `ln(a / (1 − a))`: −inf at 0, +inf at 1.
fn logit(a: f64) -> f64 {
    (a / (1.0 - a)).ln()
}

impl Default for Logistic {
    fn default() -> Self {
        let edge = |c: usize| logit(c as f64 / CELLS as f64);
        Logistic {
            no: Box::new(std::array::from_fn(|c| edge(c) - MARGIN)),
            yes: Box::new(std::array::from_fn(|c| edge(c + 1) + MARGIN)),
        }
    }
}

impl Logistic {
    /// The process's one table, built on first use.
    fn shared() -> &'static Logistic {
        static TABLE: std::sync::OnceLock<Logistic> = std::sync::OnceLock::new();
        TABLE.get_or_init(Logistic::default)
    }

    /// What the table alone says of `u < logistic(lp)`, with no branch.
    #[inline]
    fn verdict(&self, draw: DropoutDraw, lp: f64) -> Verdict {
        let c = draw.cell();
        Verdict {
            may_leave: lp > self.no[c],
            leaves: lp >= self.yes[c],
        }
    }

    /// Whether `u < logistic(lp)` for the uniform of `draw`, decided exactly.
    #[inline]
    pub fn below(&self, draw: DropoutDraw, lp: f64) -> bool {
        let Verdict { may_leave, leaves } = self.verdict(draw, lp);
        if may_leave != leaves {
            undecided(draw, lp)
        } else {
            leaves
        }
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
            for (arm, logits) in dropout_logit.iter_mut().enumerate() {
                logits.push(dropout::visit_logit(sc, arm, dt));
            }
            prev = t;
        }
        Plan {
            effect_shape: months.iter().map(|&t| sc.effect.profile.at(t)).collect(),
            visits: months
                .iter()
                .zip(phi.iter().zip(&innovation_sd))
                .map(|(&t, (&phi, &innovation_sd))| VisitPlan {
                    placebo_shape: sc.placebo.profile.at(t),
                    phi,
                    innovation_sd,
                })
                .collect(),
            dropout_p: [0, 1].map(|arm| dropout_logit[arm].iter().map(|&c| logistic(c)).collect()),
            dropout_logit,
            logistic: Logistic::shared(),
        }
    }
}

/// The patient-level data of one trial: control patients first, then treatment.
#[derive(Debug, Clone, Default)]
pub struct TrialData {
    /// Number of post-baseline visits V.
    pub visits: usize,
    /// The visits' times in months (the MMRM's AR(1) fallback needs them).
    pub months: Vec<f64>,
    /// Patients per arm: `[control, treatment]`.
    pub n: [usize; 2],
    /// Measured baseline value per patient.
    pub baseline: Vec<f64>,
    /// Measured value per patient and visit (`patient * visits + k`). Entries
    /// at and after a patient's dropout are unspecified (the simulation does
    /// not spend time overwriting them); [`TrialData::value`] reads NaN there.
    values: Vec<f64>,
    /// Number of post-baseline visits observed per patient (dropout is monotone).
    pub observed: Vec<usize>,
    /// Dropout draws per patient and visit, reused.
    d: Vec<DropoutDraw>,
    /// Per-patient values passed between the two phases, reused.
    starts: Vec<Start>,
    /// One arm's per-visit constants, reused.
    arm_visits: Vec<ArmVisit>,
    /// The trial's placebo response per visit, `(P + nu_j) h_p(t_k)`, reused.
    placebo: Vec<f64>,
}

impl TrialData {
    /// A trial from given data (for analysing data that were not simulated).
    /// `values` holds `visits` entries per patient (NaN when missing), and
    /// `observed[i]` the number of visits patient `i` was observed at.
    ///
    /// # Panics
    /// If `visits` is 0, the lengths do not match `n` and `visits`, or an
    /// `observed` count exceeds `visits`.
    pub fn new(
        visits: usize,
        n: [usize; 2],
        baseline: Vec<f64>,
        values: Vec<f64>,
        observed: Vec<usize>,
    ) -> Self {
        let total = n[0] + n[1];
        assert!(visits >= 1, "at least one visit");
        assert!(baseline.len() == total && observed.len() == total);
        assert!(observed.iter().all(|&k| k <= visits));
        assert_eq!(values.len(), total * visits);
        TrialData {
            visits,
            months: (1..=visits).map(|k| k as f64).collect(),
            n,
            baseline,
            values,
            observed,
            d: Vec::new(),
            starts: Vec::new(),
            arm_visits: Vec::new(),
            placebo: Vec::new(),
        }
    }

    /// The same data with visits at these times (months; [`TrialData::new`]
    /// puts them a month apart).
    ///
    /// # Panics
    /// If there is not one time per visit.
    pub fn with_months(mut self, months: &[f64]) -> Self {
        assert_eq!(months.len(), self.visits, "one time per visit");
        self.months = months.to_vec();
        self
    }

    /// Index range of an arm's patients.
    pub fn arm(&self, arm: usize) -> std::ops::Range<usize> {
        if arm == CONTROL {
            0..self.n[0]
        } else {
            self.n[0]..self.n[0] + self.n[1]
        }
    }

    /// The dropout draws of the last simulated trial, `V` per patient.
    pub fn dropout_draws(&self) -> &[DropoutDraw] {
        &self.d
    }

    /// The values of the patients in `range`, `V` per patient; a patient's
    /// entries from visit `observed[i]` on are unspecified.
    pub fn rows(&self, range: std::ops::Range<usize>) -> std::slice::ChunksExact<'_, f64> {
        let v = self.visits;
        // `max(1)`: an empty `TrialData::default()` has no visits and no rows.
        self.values[range.start * v..range.end * v].chunks_exact(v.max(1))
    }

    /// Value of patient `i` at visit `k` (NaN when missing).
    pub fn value(&self, i: usize, k: usize) -> f64 {
        if k < self.observed[i] {
            self.values[i * self.visits + k]
        } else {
            f64::NAN
        }
    }
}

/// Sufficient statistics of one arm: the number analysed, the means and the
/// centred co-moments of baseline `x` and visit value `y`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ArmSums {
    /// Patients analysed.
    pub n: usize,
    /// Mean baseline.
    pub mean_x: f64,
    /// Mean visit value.
    pub mean_y: f64,
    /// Σ (x − x̄)².
    pub sxx: f64,
    /// Σ (y − ȳ)².
    pub syy: f64,
    /// Σ (x − x̄)(y − ȳ).
    pub sxy: f64,
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
///
/// # Panics
/// If the scenario has no visit (validation rejects that).
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
    data.months.clear();
    data.months.extend_from_slice(&sc.visits.months);
    data.n = n;
    data.baseline.resize(total, 0.0);
    data.values.resize(total * v, 0.0);
    data.observed.resize(total, 0);
    data.d.resize(total * v, DropoutDraw::default());
    data.starts.resize(total, Start::default());

    let o = &sc.outcome;
    let bias = setting.reporting_bias(sc, n[0]);
    let placebo_peak = sc.placebo.peak + setting.nu;
    let pi = sc.effect.responder_fraction;
    let rule = DropoutRule::of(sc);
    // Dropout log-odds before visit k: c_k + slope · Z (MODEL.md §1), with
    // Z the last observed value (MAR) or the current one (MNAR).
    let slope = -sc.dropout.beta * o.s;
    let visits = &plan.visits[..v];
    data.placebo.clear();
    data.placebo
        .extend(visits.iter().map(|vp| placebo_peak * vp.placebo_shape));
    let logistic = plan.logistic;

    let instrument = o.instrument();
    // Phase 1, per patient: its stream's draws. The innovations go where the
    // values will be, the dropout draws to their own buffer, the rest to
    // `starts`. (Two phases keep each loop's working set in registers.)
    let mut patients = data
        .values
        .chunks_exact_mut(v)
        .zip(data.d.chunks_exact_mut(v))
        .zip(data.baseline.iter_mut().zip(data.starts.iter_mut()));
    for (arm, &n_arm) in n.iter().enumerate() {
        let patient_lanes = key
            .prefix(replicate, trial, Role::Patient, arm as u64)
            .lanes();
        let treated = if arm == TREATMENT { 1.0 } else { 0.0 };
        for (p, ((zs, ds), (baseline, start))) in (&mut patients).take(n_arm).enumerate() {
            let mut rng: Stream = patient_lanes.stream(p as u64);
            let responder = if rng.random::<f64>() < pi { 1.0 } else { 0.0 };
            let b: f64 = sc.effect.patient_sd * rng.sample::<f64, _>(StandardNormal);
            for z in zs {
                *z = rng.sample(StandardNormal);
            }
            for d in ds {
                *d = DropoutDraw(rng.next_u64());
            }
            let (mut u, mut e0, mut y0) = (0.0, 0.0, 0.0);
            for _ in 0..MAX_SCREENING {
                u = o.subject_sd * rng.sample::<f64, _>(StandardNormal);
                e0 = o.residual_sd * rng.sample::<f64, _>(StandardNormal);
                y0 = instrument.measure(o.mu0 + u + e0);
                if o.admits(y0) {
                    break;
                }
            }
            *baseline = y0;
            *start = Start {
                level: o.mu0 + u,
                own: treated * responder * (setting.d + b),
                e0,
            };
        }
    }

    // Phase 2, arm by arm: the values and dropout.
    for arm in [CONTROL, TREATMENT] {
        // This arm's per-visit constants, side by side.
        let c = &plan.dropout_logit[arm][..v];
        let q = &plan.dropout_p[arm][..v];
        data.arm_visits.clear();
        data.arm_visits.extend(
            visits
                .iter()
                .zip(c.iter().zip(q))
                .map(|(vp, (&c, &q))| ArmVisit {
                    phi: vp.phi,
                    innovation_sd: vp.innovation_sd,
                    c,
                    q,
                }),
        );
        let range = data.arm(arm);
        let patients = ArmPatients {
            visits: &data.arm_visits[..v],
            placebo: &data.placebo[..v],
            effect_shape: &plan.effect_shape[..v],
            shift: if arm == TREATMENT { bias } else { 0.0 },
            instrument,
            baseline: &data.baseline[range.clone()],
            starts: &data.starts[range.clone()],
            draws: &data.d[range.start * v..range.end * v],
            values: &mut data.values[range.start * v..range.end * v],
            observed: &mut data.observed[range],
        };
        // One loop per rule and rounding, decided here rather than at every
        // visit. c_k = -inf (q_k = 0) needs no special case: the squeeze
        // decides logistic(-inf) = 0 exactly.
        let rounds = o.resolution > 0.0;
        match rule {
            DropoutRule::None => {
                patients.follow(rounds, |_, _, _, _| Verdict::STAYS, |_, _, _, _| false)
            }
            DropoutRule::Fixed => patients.follow(
                rounds,
                |av, d, _, _| Verdict::exactly(d.uniform() < av.q),
                |av, d, _, _| d.uniform() < av.q,
            ),
            DropoutRule::LastObserved => patients.follow(
                rounds,
                |av, d, last, _| logistic.verdict(d, av.c + slope * last),
                |av, d, last, _| logistic.below(d, av.c + slope * last),
            ),
            DropoutRule::Current => patients.follow(
                rounds,
                |av, d, _, y| logistic.verdict(d, av.c + slope * y),
                |av, d, _, y| logistic.below(d, av.c + slope * y),
            ),
        }
    }
}

/// One arm's patients in phase 2 of [`simulate_trial`].
struct ArmPatients<'a> {
    /// The arm's per-visit constants.
    visits: &'a [ArmVisit],
    /// The trial's placebo response per visit.
    placebo: &'a [f64],
    /// `g(t_k)` per visit.
    effect_shape: &'a [f64],
    /// `a B_j`.
    shift: f64,
    instrument: Instrument,
    baseline: &'a [f64],
    starts: &'a [Start],
    /// `V` per patient.
    draws: &'a [DropoutDraw],
    /// `V` per patient; they hold the innovations on entry.
    values: &'a mut [f64],
    observed: &'a mut [usize],
}

impl ArmPatients<'_> {
    /// Follows every patient through the visits. Dropout before a visit is
    /// decided from the last observed value and the value at the visit:
    /// `verdict(visit, draw, last, y)` says what the squeeze table decides
    /// without a branch, and `leaves(visit, draw, last, y)` decides exactly
    /// (needed only where the table is silent). Carrying `lp` in the verdict
    /// instead, so that one closure does both, measured 2–4% slower on the
    /// bench.
    #[inline(always)]
    fn follow(
        self,
        rounds: bool,
        verdict: impl Fn(&ArmVisit, DropoutDraw, f64, f64) -> Verdict,
        leaves: impl Fn(&ArmVisit, DropoutDraw, f64, f64) -> bool,
    ) {
        if rounds {
            self.follow_all::<true>(verdict, leaves);
        } else {
            self.follow_all::<false>(verdict, leaves);
        }
    }

    // Out of line: a function of its own gets the registers to itself.
    #[inline(never)]
    fn follow_all<const ROUND: bool>(
        self,
        verdict: impl Fn(&ArmVisit, DropoutDraw, f64, f64) -> Verdict,
        leaves: impl Fn(&ArmVisit, DropoutDraw, f64, f64) -> bool,
    ) {
        let v = self.visits.len();
        if v == 0 {
            return;
        }
        // Pass A: the residuals, four patients at a time. The AR(1)
        // recurrence is a chain of dependent multiply-adds, the longest
        // chain of the simulation; four independent chains side by side run
        // in the time of one.
        let mut rows = self.values.chunks_exact_mut(4 * v);
        let mut starts = self.starts.chunks_exact(4);
        for (rows, starts) in (&mut rows).zip(&mut starts) {
            residuals::<4>(self.visits, rows, starts);
        }
        for (row, start) in rows
            .into_remainder()
            .chunks_exact_mut(v)
            .zip(starts.remainder())
        {
            residuals::<1>(self.visits, row, std::slice::from_ref(start));
        }
        // Pass B: the values, which do not depend on one another once the
        // residuals are known.
        let (placebo, shape) = (&self.placebo[..v], &self.effect_shape[..v]);
        for (row, start) in self.values.chunks_exact_mut(v).zip(self.starts) {
            let row = &mut row[..v];
            for ((y, &placebo), &shape) in row.iter_mut().zip(placebo).zip(shape) {
                let mean = start.level + placebo + start.own * shape + self.shift;
                *y = self.instrument.read::<ROUND>(mean + *y);
            }
        }
        // Pass C: dropout, patient by patient, every visit checked.
        let patients = self
            .values
            .chunks_exact_mut(v)
            .zip(self.draws.chunks_exact(v))
            .zip(self.baseline)
            .zip(self.observed.iter_mut());
        for (((row, draws), &y0), observed) in patients {
            *observed = dropout(self.visits, row, draws, y0, &verdict, &leaves);
        }
    }
}

/// One arm's constants at one visit, for phase 2 of [`simulate_trial`].
#[derive(Debug, Clone, Copy)]
struct ArmVisit {
    /// AR(1) coefficient.
    phi: f64,
    /// Innovation SD.
    innovation_sd: f64,
    /// Dropout log-odds before `lp`'s Z term.
    c: f64,
    /// Dropout probability when it does not depend on Z.
    q: f64,
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

/// What phase 1 leaves for phase 2 of one patient.
#[derive(Debug, Clone, Copy, Default)]
struct Start {
    /// `mu0 + u_i`.
    level: f64,
    /// `a_i R_i (D_j + b_i)`.
    own: f64,
    /// Baseline residual `e_i0`.
    e0: f64,
}

/// Replaces the innovations in `rows` (`V` per patient, `W` patients) by
/// the AR(1) residuals `e_k = phi_k e_(k-1) + sd_k z_k`, from each patient's
/// `e_0`.
#[inline(always)]
fn residuals<const W: usize>(visits: &[ArmVisit], rows: &mut [f64], starts: &[Start]) {
    let v = visits.len();
    let rows = &mut rows[..W * v];
    let mut e: [f64; W] = std::array::from_fn(|j| starts[j].e0);
    for (k, av) in visits.iter().enumerate() {
        for (j, e) in e.iter_mut().enumerate() {
            let z = &mut rows[j * v + k];
            *e = av.phi * *e + av.innovation_sd * *z;
            *z = *e;
        }
    }
}

/// Finds the first visit before which the patient leaves, given the values
/// in `row`, and returns the number of visits observed. The values from
/// there on stay as they are: the analysis discards them by `observed`, and
/// [`TrialData::value`] reads NaN there. `verdict` and `leaves` are as in
/// [`ArmPatients::follow`].
#[inline(always)]
fn dropout(
    visits: &[ArmVisit],
    row: &[f64],
    draws: &[DropoutDraw],
    y0: f64,
    verdict: &impl Fn(&ArmVisit, DropoutDraw, f64, f64) -> Verdict,
    leaves: &impl Fn(&ArmVisit, DropoutDraw, f64, f64) -> bool,
) -> usize {
    let v = row.len();
    let (visits, draws) = (&visits[..v], &draws[..v]);
    let (mut seen, mut last) = (v, y0);
    for (k, ((av, &draw), &y)) in visits.iter().zip(draws).zip(row).enumerate() {
        let Verdict {
            may_leave,
            leaves: sure,
        } = verdict(av, draw, last, y);
        // The table is silent with probability 1/CELLS: a rare branch.
        let gone = if may_leave != sure {
            leaves(av, draw, last, y)
        } else {
            sure
        };
        // A select, not a branch: who leaves when is random, and a branch on
        // it would be mispredicted at every departure (a tenth of the
        // engine's time on the bench).
        seen = std::hint::select_unpredictable(gone & (seen == v), k, seen);
        last = y;
    }
    seen
}

/// The cheap verdict on a dropout check: `leaves` when it is certain that
/// the patient leaves, `may_leave` unless it is certain the patient stays.
#[derive(Debug, Clone, Copy)]
struct Verdict {
    may_leave: bool,
    leaves: bool,
}

impl Verdict {
    const STAYS: Verdict = Verdict {
        may_leave: false,
        leaves: false,
    };

    #[inline]
    fn exactly(leaves: bool) -> Self {
        Verdict {
            may_leave: leaves,
            leaves,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;
    use crate::scenario::{Analysis, Method, Missing};
    use rand::{Rng, RngExt, SeedableRng};

    /// MODEL.md §1 written out plainly, one patient and one visit at a
    /// time, with the exact dropout decision `u < logistic(lp)` and
    /// `f64::round`: what the optimised [`simulate_trial`] must reproduce
    /// bit for bit (same streams, same draw order, same arithmetic).
    fn plain_trial(sc: &Scenario, key: Key, id: TrialId, setting: &Setting) -> TrialData {
        let plan = Plan::new(sc);
        let o = &sc.outcome;
        let v = sc.visits.months.len();
        let measure = |x: f64| {
            let mut y = x;
            if o.resolution > 0.0 {
                y = (y / o.resolution).round() * o.resolution;
            }
            y.max(o.min.unwrap_or(f64::NEG_INFINITY))
                .min(o.max.unwrap_or(f64::INFINITY))
        };
        let bias = setting.reporting_bias(sc, id.n[0]);
        let (mut baseline, mut values, mut observed) = (Vec::new(), Vec::new(), Vec::new());
        for arm in [CONTROL, TREATMENT] {
            let a = if arm == TREATMENT { 1.0 } else { 0.0 };
            for p in 0..id.n[arm] {
                let mut rng = key
                    .prefix(id.replicate, id.trial, Role::Patient, arm as u64)
                    .lanes()
                    .stream(p as u64);
                let r = if rng.random::<f64>() < sc.effect.responder_fraction {
                    1.0
                } else {
                    0.0
                };
                let b = sc.effect.patient_sd * rng.sample::<f64, _>(StandardNormal);
                let z: Vec<f64> = (0..v).map(|_| rng.sample(StandardNormal)).collect();
                let d: Vec<u64> = (0..v).map(|_| rng.next_u64()).collect();
                let (u, mut e, y0) = loop {
                    let u = o.subject_sd * rng.sample::<f64, _>(StandardNormal);
                    let e0 = o.residual_sd * rng.sample::<f64, _>(StandardNormal);
                    let y0 = measure(o.mu0 + u + e0);
                    if o.admits(y0) {
                        break (u, e0, y0);
                    }
                };
                baseline.push(y0);
                let (mut last, mut seen) = (y0, v);
                for k in 0..v {
                    let vp = plan.visits[k];
                    e = vp.phi * e + vp.innovation_sd * z[k];
                    let mean = (o.mu0 + u)
                        + (sc.placebo.peak + setting.nu) * vp.placebo_shape
                        + a * r * (setting.d + b) * plan.effect_shape[k]
                        + a * bias;
                    let y = measure(mean + e);
                    let u_k = (d[k] >> 11) as f64 / (1u64 << 53) as f64;
                    let z_k = if sc.dropout.mechanism == Mechanism::Mnar {
                        y
                    } else {
                        last
                    };
                    let p_k = match sc.dropout.mechanism {
                        Mechanism::None => 0.0,
                        Mechanism::Mcar => plan.dropout_p[arm][k],
                        _ => logistic(plan.dropout_logit[arm][k] - sc.dropout.beta * o.s * z_k),
                    };
                    if seen == v && u_k < p_k {
                        seen = k;
                    }
                    values.push(if k < seen { y } else { f64::NAN });
                    last = y;
                }
                observed.push(seen);
            }
        }
        TrialData::new(v, id.n, baseline, values, observed)
    }

    #[test]
    fn optimised_trial_is_the_plain_model_bit_for_bit() {
        let base = crate::scenario::BENCH_SCENARIO;
        let variants = [
            ("mar", base.to_string()),
            (
                "mnar",
                base.replace(r#"mechanism = "mar""#, r#"mechanism = "mnar""#),
            ),
            (
                "mcar",
                base.replace(r#"mechanism = "mar""#, r#"mechanism = "mcar""#),
            ),
            (
                "none",
                base.replace(r#"mechanism = "mar""#, r#"mechanism = "none""#),
            ),
            (
                // Heavy dropout, rounding, an entry criterion, a responder
                // mixture, a scale that clamps often and 7 patients per arm
                // (not a multiple of the residual pass's four).
                "mixed",
                base.replace("monthly_rate = 0.02", "monthly_rate = 0.2")
                    .replace("beta = 0.03", "beta = 0.3")
                    .replace(
                        "max = 100.0",
                        "max = 70.0\nresolution = 0.5\ninclusion = 50.0",
                    )
                    .replace(
                        "patient_sd = 5.0",
                        "patient_sd = 5.0\nresponder_fraction = 0.6",
                    )
                    .replace("n_per_arm = 30", "n_per_arm = 7"),
            ),
        ];
        for (name, text) in variants {
            let sc = Scenario::from_toml_str(&text, name).unwrap();
            let (plan, key) = (Plan::new(&sc), Key::new(7));
            let mut data = TrialData::default();
            let mut leavers = 0;
            for replicate in 0..300 {
                let setting = Setting::draw(&sc, key, replicate, 0);
                let id = TrialId {
                    replicate,
                    trial: 0,
                    n: [sc.design.n_control, sc.design.n_treatment],
                };
                simulate_trial(&sc, &plan, key, id, &setting, &mut data);
                let plain = plain_trial(&sc, key, id, &setting);
                let bits = |x: &[f64]| x.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&data.baseline),
                    bits(&plain.baseline),
                    "{name} {replicate}"
                );
                let values = |d: &TrialData| -> Vec<f64> {
                    (0..d.baseline.len())
                        .flat_map(|i| (0..d.visits).map(move |k| d.value(i, k)))
                        .collect()
                };
                assert_eq!(
                    bits(&values(&data)),
                    bits(&values(&plain)),
                    "{name} {replicate}"
                );
                assert_eq!(data.observed, plain.observed, "{name} {replicate}");
                // The simulation leaves the values after a departure as they
                // are, where the plain model has NaN: every analysis must
                // still agree bit for bit (a stale value read would show).
                for method in [Method::Ancova, Method::WelchChange] {
                    for missing in [Missing::CompleteCase, Missing::Locf, Missing::Bocf] {
                        let settings = Analysis {
                            method,
                            missing,
                            ..sc.analysis
                        };
                        for k in 0..data.visits {
                            let [a, b] = [&data, &plain]
                                .map(|d| format!("{:?}", analyse(d, k, &settings, sc.outcome.s)));
                            assert_eq!(a, b, "{name} {replicate} {method:?} {missing:?} {k}");
                        }
                    }
                }
                leavers += data.observed.iter().filter(|&&k| k < data.visits).count();
            }
            // The comparison covers dropout wherever the scenario has it.
            assert_eq!(leavers == 0, name == "none", "{name}: {leavers} leavers");
        }
    }

    #[test]
    fn dropout_uniform_is_rands_f64() {
        let mut a = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut b = a.clone();
        for _ in 0..10_000 {
            let u: f64 = a.random();
            assert_eq!(DropoutDraw(b.next_u64()).uniform().to_bits(), u.to_bits());
        }
    }

    #[test]
    fn logistic_squeeze_decides_exactly() {
        let table = Logistic::default();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(9);
        let check = |x: u64, lp: f64| {
            let draw = DropoutDraw(x);
            let exact = draw.uniform() < logistic(lp);
            assert_eq!(table.below(draw, lp), exact, "x = {x:#x}, lp = {lp}");
            // The branch-free verdict: never "may not leave" and "leaves"
            // together, and right whenever it decides.
            let Verdict { may_leave, leaves } = table.verdict(draw, lp);
            assert!(may_leave || !leaves, "x = {x:#x}, lp = {lp}");
            if may_leave == leaves {
                assert_eq!(leaves, exact, "x = {x:#x}, lp = {lp}");
            }
        };
        for _ in 0..200_000 {
            let lp: f64 = rng.random_range(-45.0..45.0);
            // Any u; a u next to logistic(lp), the hard case.
            check(rng.next_u64(), lp);
            let p = logistic(lp);
            let near =
                ((p * (1u64 << 53) as f64) as u64).saturating_add_signed(rng.random_range(-3..=3));
            check(near.min((1 << 53) - 1) << 11 | (rng.next_u64() & 0x7ff), lp);
            // lp next to a cell's edge, u anywhere in that cell or its neighbours.
            let c: u64 = rng.random_range(1..CELLS as u64);
            let edge = logit(c as f64 / CELLS as f64);
            let lp = edge + rng.random_range(-1e-8..1e-8);
            let x = ((c << (64 - CELL_BITS)) as i64)
                .wrapping_add(rng.random_range(-(1i64 << 40)..(1i64 << 40)));
            check(x as u64, lp);
        }
        for lp in [
            f64::NEG_INFINITY,
            -1e300,
            -40.0,
            0.0,
            40.0,
            1e300,
            f64::INFINITY,
            f64::NAN,
        ] {
            for x in [
                0,
                1 << 11,
                1 << 54,
                u64::MAX / 2,
                u64::MAX - (1 << 11),
                u64::MAX,
            ] {
                check(x, lp);
            }
        }
    }
}
