//! Issue #25 item 4: what drawing normals in SIMD lanes would buy — the
//! measurement behind the decision to keep the scalar floor.
//!
//! Compared, per normal: rand_distr's scalar ziggurat on xoshiro256++ (what
//! the engine draws), and four xoshiro256++ streams advanced together in one
//! `wide::u64x4` (one patient per lane) feeding a lane-wise ziggurat of
//! which only the **fast path** is run (the 256-layer test `|u·x_i| <
//! x_{i+1}`; groups where some lane would take the slow path are counted,
//! not resolved). The layer table is a stand-in of the right shape, so this
//! is a lower bound on the cost of lane-wise normals: a real one adds the
//! masked slow path (about 8% of four-lane groups) and the transposition of
//! the engine's per-patient draws into lanes.
//!
//! `wide` picks its instructions at compile time: the default build gets
//! SSE2 (two u64 per register); `RUSTFLAGS="-C target-cpu=native" cargo bench
//! --bench lanes` shows AVX2, which a shipped binary would need behind
//! runtime detection. Run with `cargo bench --bench lanes`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use wide::{f64x4, u64x4};

/// Normals per measured iteration.
const DRAWS: usize = 4096;

/// Four xoshiro256++ generators, one per lane (Blackman & Vigna's step).
struct FourStreams([u64x4; 4]);

impl FourStreams {
    #[inline(always)]
    fn next(&mut self) -> u64x4 {
        let [s0, s1, s2, s3] = &mut self.0;
        let t = *s0 + *s3;
        let out = ((t << 23) | (t >> 41)) + *s0;
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = (*s3 << 45) | (*s3 >> 19);
        out
    }
}

fn normals(c: &mut Criterion) {
    let mut group = c.benchmark_group("normals");
    group.throughput(Throughput::Elements(DRAWS as u64));
    let mut scalar = Xoshiro256PlusPlus::seed_from_u64(1);
    group.bench_function("scalar_ziggurat", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for _ in 0..DRAWS {
                let z: f64 = StandardNormal.sample(&mut scalar);
                sum += z;
            }
            black_box(sum)
        })
    });
    // Layer edges of the right shape (decreasing from the tail start r).
    let edges: Vec<f64> = (0..257)
        .map(|i| 3.654_152_885_361_009 * (1.0 - i as f64 / 257.0))
        .collect();
    let mut lanes = FourStreams(std::array::from_fn(|j| {
        u64x4::new(std::array::from_fn(|l| (4 * j + l + 1) as u64))
    }));
    let mut slow_groups = 0u64;
    group.bench_function("four_lane_ziggurat_fast_path", |b| {
        b.iter(|| {
            let mut sum = f64x4::splat(0.0);
            for _ in 0..DRAWS / 4 {
                let bits = lanes.next();
                let layer = (bits & u64x4::splat(0xff)).to_array().map(|i| i as usize);
                // Mantissa into [2, 4), minus 3: a uniform on [-1, 1).
                let two_to_four: f64x4 =
                    bytemuck_cast((bits >> 12) | u64x4::splat(0x4000_0000_0000_0000));
                let u = two_to_four - f64x4::splat(3.0);
                let x = f64x4::new(layer.map(|i| edges[i]));
                let next = f64x4::new(layer.map(|i| edges[i + 1]));
                let z = u * x;
                if !z.abs().simd_lt(next).all() {
                    slow_groups += 1;
                }
                sum += z;
            }
            black_box(sum)
        })
    });
    black_box(slow_groups);
    group.finish();
}

/// Reinterprets four u64 as four f64 (same size, any bit pattern valid).
#[inline(always)]
fn bytemuck_cast(x: u64x4) -> f64x4 {
    f64x4::new(x.to_array().map(f64::from_bits))
}

criterion_group!(benches, normals);
criterion_main!(benches);
