//! The only place random streams are derived (MODEL.md §5).
//!
//! Every stream is a pure function of (seed, replicate, trial within the
//! replicate, role, arm, patient), built with the portable generator
//! xoshiro256++ (`rand::rngs::Xoshiro256PlusPlus`, whose algorithm is fixed,
//! unlike `StdRng`). All inputs but the last (the patient, or 0 for a stream
//! that has no patient) are absorbed one by one into two independent 64-bit
//! lanes with the SplitMix64 finaliser (a bijective mixer), so nearby inputs
//! give unrelated keys and distinct inputs collide with probability about
//! 2^-128. The key is spread into four lanes ([`Lanes`]), once per (seed,
//! replicate, trial, role, arm); the last input then enters each of the
//! generator's four state words through one more finaliser, `mix64(lane_j ^
//! x)`. Each word is a bijection of `x`, so two patients of one arm never
//! share a stream, and the four words are unrelated because their lanes are.
//! A patient's stream thus costs four independent finalisers — the cheapest
//! proper mixing of all 256 bits of state. Before version 0.2.0 the
//! patient was absorbed like the other inputs and the state made from the
//! result, a chain of six finalisers that made the bench 6% slower (issue
//! #6); results for a given seed therefore differ from 0.1.x ones (in value,
//! not in distribution). A test checks that neighbouring patients' streams
//! are uncorrelated. The design point never enters: all design points of a
//! sweep share the streams (common random numbers).

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// The generator behind every stream.
pub type Stream = Xoshiro256PlusPlus;

/// What a stream is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Role {
    /// The trial's setting: `eta_j`, `nu_j`, one level per protocol factor.
    Protocol = 1,
    /// One patient's values: responder draw, `b_i`, residual innovations, screening.
    Patient = 2,
    // 3 was a separate dropout role, never drawn from: a patient's dropout
    // draws come from its `Patient` stream. Kept free so that no other
    // role's tag, and so no stream, moves.
    /// A meta-analysed trial's size and publication draws.
    Meta = 4,
    /// One arm's sufficient statistics on the exact fast path.
    Sufficient = 5,
    /// One arm's adverse-event counts (`[safety]`): a role of its own, so
    /// following safety moves no efficacy draw.
    Safety = 6,
}

/// SplitMix64's output function: a bijection of u64 with good avalanche.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const LANE_A: u64 = 0x6a09_e667_f3bc_c908; // fractional bits of sqrt(2)
const LANE_B: u64 = 0xbb67_ae85_84ca_a73b; // fractional bits of sqrt(3)
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A partly absorbed key: cheap to extend by one more input.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    a: u64,
    b: u64,
}

impl Key {
    /// The key of a run's seed.
    pub fn new(seed: u64) -> Self {
        Key {
            a: LANE_A,
            b: LANE_B,
        }
        .absorb(seed)
    }

    /// Absorbs one more input.
    #[inline]
    pub fn absorb(self, x: u64) -> Self {
        Key {
            a: mix64(self.a ^ x).wrapping_add(GOLDEN),
            b: mix64(self.b.rotate_left(17) ^ x.wrapping_mul(GOLDEN)) ^ LANE_A,
        }
    }

    /// The prefix of every stream of one (replicate, trial, role, arm).
    #[inline]
    pub fn prefix(self, replicate: u64, trial: u64, role: Role, arm: u64) -> Self {
        self.absorb(replicate)
            .absorb(trial)
            .absorb(((role as u64) << 8) | arm)
    }

    /// The four lanes of this key, from which the streams of its last
    /// input are made (computed once per prefix).
    #[inline]
    pub fn lanes(self) -> Lanes {
        Lanes([
            mix64(self.a),
            mix64(self.b),
            mix64(self.a ^ GOLDEN),
            mix64(self.b.wrapping_add(GOLDEN)),
        ])
    }
}

/// A key spread into one lane per state word of the generator.
#[derive(Debug, Clone, Copy)]
pub struct Lanes([u64; 4]);

impl Lanes {
    /// The generator for last input `x` (the patient, or 0): state word `j`
    /// is `mix64(lane_j ^ x)`.
    #[inline]
    pub fn stream(&self, x: u64) -> Stream {
        let mut seed = [0u8; 32];
        for (chunk, lane) in seed.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&mix64(lane ^ x).to_le_bytes());
        }
        Stream::from_seed(seed)
    }
}

/// The stream of one (seed, replicate, trial, role, arm, patient).
pub fn stream(seed: u64, replicate: u64, trial: u64, role: Role, arm: u64, patient: u64) -> Stream {
    Key::new(seed)
        .prefix(replicate, trial, role, arm)
        .lanes()
        .stream(patient)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_pure_and_distinct() {
        let mut a = stream(1, 2, 0, Role::Patient, 1, 7);
        let mut b = stream(1, 2, 0, Role::Patient, 1, 7);
        assert_eq!(a.next_u64(), b.next_u64());
        let firsts: Vec<u64> = [
            stream(1, 2, 0, Role::Patient, 1, 8),
            stream(1, 2, 0, Role::Patient, 0, 7),
            stream(1, 3, 0, Role::Patient, 1, 7),
            stream(2, 2, 0, Role::Patient, 1, 7),
            stream(1, 2, 1, Role::Patient, 1, 7),
            stream(1, 2, 0, Role::Meta, 1, 7),
            stream(1, 2, 0, Role::Safety, 1, 7),
        ]
        .into_iter()
        .map(|mut s| s.next_u64())
        .collect();
        let mut sorted = firsts.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), firsts.len());
    }

    /// Neighbouring patients' streams are uncorrelated, and their first
    /// outputs have fair bits: the defects a weak derivation shows. Without
    /// the finaliser (state word `lane_j ^ p`) this test fails at its first
    /// statistic, the lag-1 correlation of the first outputs, with z = 530,
    /// and with a Weyl step instead (`lane_j ^ p·γ`) with z = −28 there and
    /// larger at lag 256 (both checked). A separate check of the real
    /// derivation with 10⁷ patients passed a few hundred such statistics and
    /// dieharder. Each statistic is standard normal under independence; the
    /// bound is 4 SE.
    #[test]
    fn neighbouring_patients_streams_are_independent() {
        const N: usize = 200_000;
        let lanes = Key::new(20251124).prefix(3, 0, Role::Patient, 1).lanes();
        let centred = |x: u64| (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64) - 0.5;
        let outputs: Vec<[u64; 2]> = (0..N as u64)
            .map(|p| {
                let mut s = lanes.stream(p);
                [s.next_u64(), s.next_u64()]
            })
            .collect();
        for index in 0..2 {
            for lag in [1, 2, 256] {
                // Var(u v) = (1/12)² for independent centred uniforms.
                let sum: f64 = (0..N - lag)
                    .map(|p| centred(outputs[p][index]) * centred(outputs[p + lag][index]))
                    .sum();
                let z = 12.0 * sum / ((N - lag) as f64).sqrt();
                assert!(z.abs() < 4.0, "output {index}, lag {lag}: z = {z}");
            }
            for bit in 0..64 {
                let ones = outputs.iter().filter(|o| o[index] >> bit & 1 == 1).count();
                let z = (2.0 * ones as f64 - N as f64) / (N as f64).sqrt();
                assert!(z.abs() < 4.0, "output {index}, bit {bit}: z = {z}");
            }
        }
    }

    #[test]
    fn value_stability_of_the_stream_function() {
        // Pinned (version 0.2.0): changing the derivation changes every
        // result; update on purpose only.
        assert_eq!(
            stream(1, 0, 0, Role::Protocol, 0, 0).next_u64(),
            0x62f5_b5ad_cf87_3243
        );
        assert_eq!(
            stream(1, 2, 3, Role::Patient, 1, 7).next_u64(),
            0x1d5b_cff6_8c79_87aa
        );
        assert_ne!(
            stream(1, 0, 0, Role::Protocol, 0, 0).next_u64(),
            stream(0, 0, 0, Role::Protocol, 0, 0).next_u64()
        );
    }
}
