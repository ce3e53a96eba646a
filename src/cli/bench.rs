//! `trialsim bench`: the engine's throughput against the physical limit of
//! the workload — the cost of its random draws alone, from one stream per
//! trial — measured in the same
//! process, one sitting, on 1 thread and on all threads.
//!
//! The limit draws, per trial, the normals and uniforms the engine draws,
//! with the engine's generator (xoshiro256++) and rand_distr's ziggurat, in
//! the same parallel blocks as the engine: per patient `V + 3` normals
//! (`b_i`, V innovations, one screening pair) and `1 + V` uniforms (the
//! responder draw as an `f64`, and one dropout draw per visit as the 64-bit
//! integer the engine keeps), plus 2 normals per trial for the setting. For
//! the bench scenario (n = 30 per arm, V = 6) that is 542 normals and 420
//! uniforms. (The count, 541 and 333, leaves out the responder draws,
//! which MODEL.md §5 makes even when every patient responds, and the dropout
//! draws after a patient has left, which the engine makes before it knows.)
//!
//! Every draw is stored to memory, as the engine stores its draws, and none
//! is added into a running sum: one accumulator makes a chain of dependent
//! additions that takes longer than the draws themselves (on this machine
//! class 0.36 s instead of 0.23 s for the bench's draws), which would
//! overstate the limit by half.
//!
//! A second reference, the limit with streams, makes the same draws from one
//! stream per patient, derived as the engine derives them (MODEL.md §5: a
//! stream per (replicate, trial, role, arm, patient), so that patient 7 is the
//! same person at every n). The difference between the two is the price of
//! that design, which every implementation of the model pays; the difference
//! between the engine and the second is the engine's own arithmetic.
//!
//! Timings on a shared machine wander by several per cent from one run to the
//! next, and more on all threads. Each of the three is therefore measured
//! [`ROUNDS`] times, interleaved, and the median is reported.

use super::common::{load, print};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use rayon::prelude::*;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Instant;
use trialsim::engine::{BLOCK, RunOptions, run};
use trialsim::error::{Error, Result};
use trialsim::rng::{Key, Lanes, Role, Stream};
use trialsim::scenario::Study;

/// One measured configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// Worker threads.
    pub threads: usize,
    /// Engine wall time (s).
    pub engine_seconds: f64,
    /// Raw-draw wall time (s): the limit.
    pub draws_seconds: f64,
    /// Wall time of the same draws from per-patient streams (s).
    pub streams_seconds: f64,
    /// Trials simulated.
    pub trials: u64,
    /// Patient-visits per trial (patients × (visits + 1)).
    pub patient_visits_per_trial: u64,
}

impl Measurement {
    /// Engine time over draw time: the ratio to the limit.
    pub fn ratio(&self) -> f64 {
        self.engine_seconds / self.draws_seconds
    }

    /// Engine time over the time of the draws from per-patient streams.
    pub fn ratio_to_streams(&self) -> f64 {
        self.engine_seconds / self.streams_seconds
    }
}

/// Draws per trial of the limit: (normals, uniforms).
pub fn draws_per_trial(study: &Study) -> (u64, u64) {
    let shape = TrialDraws::of(study);
    let n = shape.patients as u64;
    // The engine draws one dropout uniform per visit for every patient (so
    // that nothing after them shifts), needed or not.
    (
        n * shape.normals() as u64 + 2,
        n * (1 + shape.visits as u64),
    )
}

fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))
}

/// Interleaved repetitions of each timing; the median is reported.
pub const ROUNDS: usize = 3;

/// The shape of one trial's draws.
#[derive(Debug, Clone, Copy)]
struct TrialDraws {
    /// Patients per arm.
    n: [usize; 2],
    patients: usize,
    /// Visits V.
    visits: usize,
}

impl TrialDraws {
    /// The shape of a trial of the study's first design point.
    fn of(study: &Study) -> Self {
        let sc = &study.points[0].scenario;
        TrialDraws {
            n: [sc.design.n_control, sc.design.n_treatment],
            patients: sc.design.n_control + sc.design.n_treatment,
            visits: sc.visits.months.len(),
        }
    }

    /// The stream of the trial's `i`-th patient (control arm first), from
    /// the arms' lanes, as the engine derives it.
    #[inline]
    fn patient_stream(self, lanes: &[Lanes; 2], i: usize) -> Stream {
        let arm = usize::from(i >= self.n[0]);
        lanes[arm].stream((i - arm * self.n[0]) as u64)
    }

    /// Buffers for one trial's draws: the normals and uniforms as `f64`,
    /// the dropout draws as `u64`.
    fn buffers(self) -> (Vec<f64>, Vec<u64>) {
        (
            vec![0.0; (self.normals() + 1) * self.patients + 2],
            vec![0; self.visits * self.patients],
        )
    }

    /// Trial `r`'s draws into `buf` (the 2 setting normals, then per patient
    /// the responder uniform and its normals) and `dropout` (V per patient),
    /// each patient's in the engine's order: responder, `b_i`, V innovations,
    /// V dropout draws, one screening pair.
    fn draw_trial(self, key: Key, r: u64, streams: Streams, buf: &mut [f64], dropout: &mut [u64]) {
        let visits = self.visits;
        let mut rng = match streams {
            Streams::PerTrial => key.prefix(r, 0, Role::Patient, 0).lanes().stream(u64::MAX),
            Streams::PerPatient => key.prefix(r, 0, Role::Protocol, 0).lanes().stream(0),
        };
        let (setting, patients) = buf.split_at_mut(2);
        for x in setting {
            *x = rng.sample(StandardNormal);
        }
        let per_patient = patients
            .chunks_exact_mut(self.normals() + 1)
            .zip(dropout.chunks_exact_mut(visits.max(1)));
        let lanes = (streams == Streams::PerPatient)
            .then(|| [0, 1].map(|arm| key.prefix(r, 0, Role::Patient, arm).lanes()));
        for (i, (patient, dropout)) in per_patient.enumerate() {
            if let Some(lanes) = &lanes {
                rng = self.patient_stream(lanes, i);
            }
            let (responder, normals) = patient.split_at_mut(1);
            responder[0] = rng.random();
            let (values, screening) = normals.split_at_mut(visits + 1);
            for x in values {
                *x = rng.sample(StandardNormal);
            }
            for x in dropout.iter_mut().take(visits) {
                *x = rng.next_u64();
            }
            for x in screening {
                *x = rng.sample(StandardNormal);
            }
        }
    }

    /// Normals per patient.
    fn normals(self) -> usize {
        self.visits + 3
    }
}

/// Where the reference's draws come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Streams {
    /// One stream per trial: the draws alone.
    PerTrial,
    /// One stream per patient, derived as the engine derives them.
    PerPatient,
}

/// The raw cost of the draws: `trials` trials' worth, in engine-sized blocks.
fn draw_only(seed: u64, trials: u64, shape: TrialDraws, streams: Streams) -> f64 {
    let key = Key::new(seed);
    let blocks = trials.div_ceil(BLOCK);
    let sums: Vec<f64> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut acc = 0.0;
            let (mut buf, mut dropout) = shape.buffers();
            for r in b * BLOCK..((b + 1) * BLOCK).min(trials) {
                shape.draw_trial(key, r, streams, &mut buf, &mut dropout);
                // Every draw is materialised, as the engine's are, and none
                // feeds a serial chain of additions (which would time the
                // additions' latency rather than the draws).
                acc += black_box(&buf)[r as usize % buf.len()];
                black_box(&dropout);
            }
            acc
        })
        .collect();
    black_box(sums.iter().sum())
}

/// Measures the engine and the draw-only limit on `threads` threads.
///
/// # Errors
/// Engine errors, or a thread pool that cannot start.
pub fn measure(study: &Study, replicates: u64, threads: usize) -> Result<Measurement> {
    let sc = &study.points[0].scenario;
    let patients = (sc.design.n_control + sc.design.n_treatment) as u64;
    let opts = RunOptions {
        replicates: Some(replicates),
        threads: NonZeroUsize::new(threads),
        ..Default::default()
    };
    let p = pool(threads)?;
    let shape = TrialDraws::of(study);
    let time = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        let started = Instant::now();
        f()?;
        Ok(started.elapsed().as_secs_f64())
    };
    let (mut engine, mut draws, mut streams) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        engine.push(time(&mut || {
            black_box(run(study, &opts)?);
            Ok(())
        })?);
        for (streams_kind, times) in [
            (Streams::PerTrial, &mut draws),
            (Streams::PerPatient, &mut streams),
        ] {
            times.push(time(&mut || {
                p.install(|| draw_only(study.seed, replicates, shape, streams_kind));
                Ok(())
            })?);
        }
    }
    let (engine_seconds, draws_seconds, streams_seconds) = (
        median(&mut engine),
        median(&mut draws),
        median(&mut streams),
    );
    Ok(Measurement {
        threads,
        engine_seconds,
        draws_seconds,
        streams_seconds,
        trials: replicates * study.points.len() as u64,
        patient_visits_per_trial: patients * (sc.visits.months.len() as u64 + 1),
    })
}

/// The middle value (the upper one of an even count).
fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The report `trialsim bench` prints.
pub fn report(study: &Study, measurements: &[Measurement]) -> String {
    let (normals, uniforms) = draws_per_trial(study);
    let mut out = format!(
        "bench: scenario {}, {} design point(s); the limit draws {normals} normals and {uniforms} uniforms per trial (xoshiro256++, ziggurat)\n",
        study.name,
        study.points.len()
    );
    out.push_str(&format!(
        "(median of {ROUNDS} interleaved rounds; \"+streams\": the same draws from one stream per patient, as MODEL.md §5 requires)\n"
    ));
    out.push_str(
        "threads  trials   engine s  trials/s     patient-visits/s  limit s  ratio to limit  +streams s  ratio to +streams\n",
    );
    for m in measurements {
        let tps = m.trials as f64 / m.engine_seconds;
        out.push_str(&format!(
            "{:<7}  {:<7}  {:<8.3}  {:<11.0}  {:<17.3e}  {:<7.3}  {:<14.2}  {:<10.3}  {:.2}\n",
            m.threads,
            m.trials,
            m.engine_seconds,
            tps,
            tps * m.patient_visits_per_trial as f64,
            m.draws_seconds,
            m.ratio(),
            m.streams_seconds,
            m.ratio_to_streams()
        ));
    }
    out
}

/// Patients per arm of the large-n row.
pub const LARGE_N: usize = 1500;

/// The study's first design point with [`LARGE_N`] patients per arm, and
/// the replicates that give it as many patient-visits as `replicates` of
/// the study (at least one block).
///
/// # Errors
/// When the scenario cannot take that many patients (it always can).
pub fn large_n(study: &Study, replicates: u64) -> Result<(Study, u64)> {
    let sc = &study.points[0].scenario;
    let small = (sc.design.n_control + sc.design.n_treatment) as u64;
    let large = sc.edit(|f| {
        f.design.n_per_arm = LARGE_N as u64;
        f.name = format!("{}_n{LARGE_N}", f.name);
    })?;
    let r = (replicates * small).div_ceil(2 * LARGE_N as u64).max(BLOCK);
    Ok((Study::from(large), r))
}

/// The large-n rows: the cost of a patient-visit at [`LARGE_N`] per arm
/// against the bench's, thread count by thread count.
pub fn large_n_report(small: &[Measurement], large: &[Measurement]) -> String {
    let mut out =
        format!("\nlarge n: the same scenario at {LARGE_N} per arm, as many patient-visits\n");
    out.push_str(
        "threads  trials   engine s  patient-visits/s  limit s  ratio to limit  cost per patient-visit vs the row above\n",
    );
    for (s, l) in small.iter().zip(large) {
        let pv = |m: &Measurement| {
            m.trials as f64 * m.patient_visits_per_trial as f64 / m.engine_seconds
        };
        out.push_str(&format!(
            "{:<7}  {:<7}  {:<8.3}  {:<16.3e}  {:<7.3}  {:<14.2}  {:.2}\n",
            l.threads,
            l.trials,
            l.engine_seconds,
            pv(l),
            l.draws_seconds,
            l.ratio(),
            pv(s) / pv(l),
        ));
    }
    out
}

/// `trialsim bench`: the engine against the cost of its random draws, on
/// 1 thread and on all threads, and the same at [`LARGE_N`] patients per
/// arm.
pub fn command(scenario: Option<&Path>, replicates: Option<u64>) -> Result<()> {
    let study = match scenario {
        Some(path) => load(path, true)?,
        None => Study::from_toml_str(trialsim::scenario::BENCH_SCENARIO, "configs/bench.toml")?,
    };
    let r = replicates.unwrap_or(study.replicates);
    let (large, large_r) = large_n(&study, r)?;
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut threads = vec![1];
    if all > 1 {
        threads.push(all);
    }
    let (mut measured, mut measured_large) = (Vec::new(), Vec::new());
    for t in threads {
        measured.push(measure(&study, r, t)?);
        measured_large.push(measure(&large, large_r, t)?);
    }
    let mut out = report(&study, &measured);
    out.push_str(&large_n_report(&measured, &measured_large));
    print(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trialsim::simulate::{Plan, Setting, TrialData, TrialId, simulate_trial};

    #[test]
    fn the_streams_reference_draws_what_the_engine_draws() {
        // Each patient's dropout draws come after the responder draw, b_i
        // and the innovations in the patient's stream: equal dropout draws
        // mean the same stream and the same draws before them.
        let study = Study::from_toml_str(trialsim::scenario::BENCH_SCENARIO, "bench").unwrap();
        let sc = &study.points[0].scenario;
        let shape = TrialDraws::of(&study);
        let key = Key::new(study.seed);
        let plan = Plan::new(sc);
        let (mut buf, mut dropout) = shape.buffers();
        let mut data = TrialData::default();
        for r in [0, 7, 123] {
            shape.draw_trial(key, r, Streams::PerPatient, &mut buf, &mut dropout);
            let setting = Setting::draw(sc, key, r, 0);
            let id = TrialId {
                replicate: r,
                trial: 0,
                n: shape.n,
            };
            simulate_trial(sc, &plan, key, id, &setting, &mut data);
            let engine: Vec<u64> = data.dropout_draws().iter().map(|d| d.0).collect();
            assert_eq!(engine, dropout, "replicate {r}");
            // And one stream per trial is a different sequence.
            shape.draw_trial(key, r, Streams::PerTrial, &mut buf, &mut dropout);
            assert_ne!(engine, dropout);
        }
    }
}
