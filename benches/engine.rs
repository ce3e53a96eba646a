//! Criterion benches: one trial (simulation + analysis at the primary visit)
//! at n = 15, 30 and 200 per arm, the analyses alone, a full run, and the
//! raw cost of the random draws one trial needs (the physical limit).
//! Run with `cargo bench`; CI only checks that they build and run once
//! (`cargo test --benches`), never their timings.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};
use rand_distr::StandardNormal;
use std::hint::black_box;
use trialsim::analysis::{Workspace, analyse, analyse_trial};
use trialsim::engine::{RunOptions, Simulator, run};
use trialsim::simulate::TrialData;
use trialsim::{Scenario, scenario::Method};

/// The bench scenario (`configs/bench.toml`: MAR dropout, ANCOVA) at `n` per arm.
fn scenario(n: usize) -> Scenario {
    let mut sc = Scenario::from_toml_str(trialsim::scenario::BENCH_SCENARIO, "bench").unwrap();
    sc.design.n_control = n;
    sc.design.n_treatment = n;
    sc
}

/// One trial as the engine runs it: simulation, then the analysis at the
/// primary visit with warm critical values.
fn one_trial(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_trial");
    for n in [15usize, 30, 200] {
        let sc = scenario(n);
        let sim = Simulator::new(&sc, 1);
        let mut data = TrialData::default();
        let mut ws = Workspace::default();
        let mut r = 0u64;
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                r += 1;
                black_box(sim.trial_into(r, &mut data, &mut ws))
            })
        });
    }
    group.finish();
}

/// The analyses of one n = 30 trial: as the engine runs them (critical
/// values cached) and cold (one t quantile each, as a one-off analysis).
fn analyses(c: &mut Criterion) {
    let mut group = c.benchmark_group("analysis");
    for method in [Method::WelchChange, Method::Ancova] {
        let mut sc = scenario(30);
        sc.analysis.method = method;
        let trial = Simulator::new(&sc, 1).one_trial(0);
        let (k, s) = (sc.visits.primary, sc.outcome.s);
        let mut ws = Workspace::default();
        group.bench_function(format!("{method:?}"), |b| {
            b.iter(|| {
                black_box(analyse_trial(&trial.data, k, false, &sc.analysis, s, &mut ws).primary)
            })
        });
        group.bench_function(format!("{method:?}_cold"), |b| {
            b.iter(|| black_box(analyse(&trial.data, k, &sc.analysis, s)))
        });
    }
    group.finish();
}

fn full_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("run_default");
    group.sample_size(10);
    let sc = trialsim::scenario::Study::from(Scenario::default_scenario());
    let replicates = 10_000;
    group.throughput(Throughput::Elements(replicates));
    for threads in [1usize, 2] {
        let opts = RunOptions {
            replicates: Some(replicates),
            threads: std::num::NonZeroUsize::new(threads),
            ..Default::default()
        };
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| black_box(run(&sc, &opts).unwrap()))
        });
    }
    group.finish();
}

fn raw_draws(c: &mut Criterion) {
    // The draws of one n = 30 trial of the bench scenario, as `trialsim
    // bench` counts them: per patient 9 normals (b_i, 6 innovations, one
    // screening pair) and 7 uniforms (responder, 6 dropout draws). Compare
    // with one_trial/30.
    let mut group = c.benchmark_group("raw_draws_per_trial_n30");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    // Stored, not summed: a running sum times its own chain of additions.
    let mut buf = [0.0f64; 60 * 16];
    group.bench_function("60_patients", |b| {
        b.iter(|| {
            for patient in buf.chunks_exact_mut(16) {
                let (normals, uniforms) = patient.split_at_mut(9);
                for x in normals {
                    *x = rng.sample(StandardNormal);
                }
                for x in uniforms {
                    *x = rng.random();
                }
            }
            black_box(&buf);
        })
    });
    group.finish();
}

/// The MMRM fits of one trial of the MMRM bench scenario
/// (`configs/bench_mmrm.toml`: issue #27's plain MAR scenario at 30 per
/// arm, 5 visits): the exact fast path, the general optimiser on the same
/// (common) covariance, and one covariance per arm; each from the trial's
/// data (sufficient statistics included). `trialsim bench --mmrm` times
/// the same beside nlme::gls.
fn mmrm(c: &mut Criterion) {
    use trialsim::analysis::mmrm::{
        Covariance, MmrmData, Structure, fit, fit_exact, fit_structure,
    };
    let sc = Scenario::from_toml_str(include_str!("../configs/bench_mmrm.toml"), "mmrm").unwrap();
    let sim = Simulator::new(&sc, 1);
    let trials: Vec<TrialData> = (0..64).map(|r| sim.one_trial(r).data).collect();
    let mut group = c.benchmark_group("mmrm_n30_5_visits");
    group.throughput(Throughput::Elements(trials.len() as u64));
    group.bench_function("fast_path", |b| {
        b.iter(|| {
            for t in &trials {
                black_box(fit_exact(&MmrmData::new(t, Covariance::Common)));
            }
        })
    });
    group.bench_function("optimiser_common", |b| {
        b.iter(|| {
            for t in &trials {
                let d = MmrmData::new(t, Covariance::Common);
                black_box(fit_structure(&d, Structure::Unstructured));
            }
        })
    });
    group.sample_size(10);
    group.bench_function("optimiser_by_arm", |b| {
        b.iter(|| {
            for t in &trials {
                black_box(fit(&MmrmData::new(t, Covariance::ByArm)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, one_trial, analyses, full_run, raw_draws, mmrm);
criterion_main!(benches);
