//! A trial's adverse events (`[safety]`, MODEL.md §1):
//!
//! ```text
//! S_i ~ Bernoulli(serious_a),  M_i ~ Bernoulli(mild_a),  independent of
//!       each other, of the patient's outcomes and of dropout
//! ```
//! for every randomised patient `i` of arm `a` (at least one serious, at
//! least one mild event during the trial). An analyst sees each arm's
//! counts, `sum S_i ~ Binomial(n_a, serious_a)` and likewise for `M_i`, so
//! those are drawn directly: two binomial draws per arm (serious, then
//! mild) from the arm's own `Safety` stream of (replicate, trial), an exact
//! sampler (rand_distr's BTPE) costing the same at 15 patients as at 15 000,
//! on the patient path and the fast path alike. The stream is a role of its
//! own, so adding `[safety]` moves no efficacy draw.

use crate::rng::{Key, Role};
use crate::scenario::Safety;
use rand_distr::{Binomial, Distribution};

/// One trial's adverse-event counts, per arm `[control, treatment]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SafetyCounts {
    /// Patients randomised.
    pub n: [u64; 2],
    /// Patients with at least one serious adverse event.
    pub serious: [u64; 2],
    /// Patients with at least one mild adverse event.
    pub mild: [u64; 2],
}

impl SafetyCounts {
    /// The sum of two trials' counts (a literature's totals).
    pub fn plus(self, other: SafetyCounts) -> SafetyCounts {
        let add = |a: [u64; 2], b: [u64; 2]| [a[0] + b[0], a[1] + b[1]];
        SafetyCounts {
            n: add(self.n, other.n),
            serious: add(self.serious, other.serious),
            mild: add(self.mild, other.mild),
        }
    }
}

/// The adverse events of trial `trial` of replicate `replicate`, with `n`
/// patients per arm `[control, treatment]`.
pub fn draw_safety(
    safety: &Safety,
    key: Key,
    replicate: u64,
    trial: u64,
    n: [usize; 2],
) -> SafetyCounts {
    let mut counts = SafetyCounts::default();
    for (arm, &patients) in n.iter().enumerate() {
        let mut rng = key
            .prefix(replicate, trial, Role::Safety, arm as u64)
            .lanes()
            .stream(0);
        let patients = patients as u64;
        let mut draw = |p: f64| {
            Binomial::new(patients, p)
                .expect("validated: a probability in [0, 1]")
                .sample(&mut rng)
        };
        counts.n[arm] = patients;
        counts.serious[arm] = draw(safety.serious[arm]);
        counts.mild[arm] = draw(safety.mild[arm]);
    }
    counts
}
