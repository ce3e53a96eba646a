//! The modified Cholesky parameterisation of an unstructured Σ
//! (Pourahmadi, Biometrika 1999): Σ⁻¹ = Tᵀ D⁻¹ T with T unit lower
//! triangular and D diagonal, that is, each visit j regressed on the
//! earlier ones with coefficients φ_j (−T's row j) and residual variance
//! s_j = exp(λ_j):
//!
//! Σ_{<j, j} = Σ_<j φ_j,  Σ_jj = s_j + φ_jᵀ Σ_<j φ_j.
//!
//! Every ψ = (φ_0, λ_0, φ_1, λ_1, …) gives a positive-definite Σ, and these
//! are the parameters in which the REML likelihood of one covariance matrix
//! under monotone dropout factors (see [`super::exact`]), so Newton's
//! method is well conditioned in them even where Σ is close to singular
//! (a late visit with few patients), where it is not in Σ's elements.

use nalgebra::DMatrix;

/// Which parameter: a coefficient on an earlier visit, or the log residual
/// variance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Phi(usize),
    LogVariance,
}

/// Parameters per matrix over `t` visits: j coefficients and one variance
/// for visit j.
pub(super) fn size(t: usize) -> usize {
    t * (t + 1) / 2
}

/// (visit, kind) of parameter p, in the order φ_0, λ_0, φ_1, λ_1, ….
fn describe(p: usize) -> (usize, Kind) {
    let mut j = 0;
    let mut offset = 0;
    while p > offset + j {
        offset += j + 1;
        j += 1;
    }
    let l = p - offset;
    (
        j,
        if l < j {
            Kind::Phi(l)
        } else {
            Kind::LogVariance
        },
    )
}

/// The parameter index of φ_{j, l} (l < j) or λ_j (l = j).
pub(super) fn index(j: usize, l: usize) -> usize {
    j * (j + 1) / 2 + l
}

/// Σ of ψ over `t` visits.
pub(super) fn sigma(psi: &[f64], t: usize) -> DMatrix<f64> {
    let mut s = DMatrix::zeros(t, t);
    for j in 0..t {
        let phi = &psi[index(j, 0)..index(j, j)];
        for l in 0..j {
            let v: f64 = (0..j).map(|k| s[(l, k)] * phi[k]).sum();
            s[(l, j)] = v;
            s[(j, l)] = v;
        }
        let quad: f64 = (0..j).map(|l| phi[l] * s[(l, j)]).sum();
        s[(j, j)] = psi[index(j, j)].exp() + quad;
    }
    s
}

/// ∂Σ/∂ψ_p for every p, from Σ = [`sigma`]`(psi)`.
pub(super) fn first(psi: &[f64], s: &DMatrix<f64>) -> Vec<DMatrix<f64>> {
    let t = s.nrows();
    (0..size(t))
        .map(|p| {
            let (jp, kind) = describe(p);
            let mut ds = DMatrix::zeros(t, t);
            for j in jp..t {
                let phi = &psi[index(j, 0)..index(j, j)];
                for l in 0..j {
                    // dΣ_<j φ_j + Σ_<j dφ_j.
                    let mut v: f64 = (0..j).map(|k| ds[(l, k)] * phi[k]).sum();
                    if j == jp
                        && let Kind::Phi(m) = kind
                    {
                        v += s[(l, m)];
                    }
                    ds[(l, j)] = v;
                    ds[(j, l)] = v;
                }
                // d s_j + 2 dφ_jᵀ Σ_<j φ_j + φ_jᵀ dΣ_<j φ_j: the last term
                // is φ_jᵀ (dΣ_{<j, j} − Σ_<j dφ_j).
                let mut v: f64 = (0..j).map(|l| phi[l] * ds[(l, j)]).sum();
                if j == jp {
                    v += match kind {
                        Kind::LogVariance => psi[p].exp(),
                        // φᵀΣ_<j e_m once from above, once more here.
                        Kind::Phi(m) => s[(m, j)],
                    };
                }
                ds[(j, j)] = v;
            }
            ds
        })
        .collect()
}

/// Σ_ab w_ab ∂²Σ_ab/∂ψ_p∂ψ_q over a ≤ b, for weights w (t × t, the
/// gradient of ℓ in Σ's distinct elements: w[(a, b)] for a ≤ b).
pub(super) fn curvature(
    psi: &[f64],
    s: &DMatrix<f64>,
    ds: &[DMatrix<f64>],
    w: &DMatrix<f64>,
) -> DMatrix<f64> {
    let t = s.nrows();
    let n = size(t);
    let mut out = DMatrix::zeros(n, n);
    let mut dd = DMatrix::<f64>::zeros(t, t);
    for p in 0..n {
        for q in p..n {
            let ((jp, kp), (jq, kq)) = (describe(p), describe(q));
            dd.fill(0.0);
            // jp ≤ jq: nothing before visit jq depends on ψ_q.
            for j in jq..t {
                let phi = &psi[index(j, 0)..index(j, j)];
                for l in 0..j {
                    let mut v: f64 = (0..j).map(|k| dd[(l, k)] * phi[k]).sum();
                    if j == jq
                        && let Kind::Phi(m) = kq
                    {
                        // dΣ^p_<j dφ^q_j (dΣ^q_<j is 0 at its own visit).
                        v += ds[p][(l, m)];
                    }
                    dd[(l, j)] = v;
                    dd[(j, l)] = v;
                }
                let mut v: f64 = (0..j).map(|l| phi[l] * dd[(l, j)]).sum();
                if j == jq {
                    match (kp, kq) {
                        (Kind::LogVariance, Kind::LogVariance) if p == q => v += psi[p].exp(),
                        (Kind::Phi(a), Kind::Phi(b)) if jp == jq => {
                            // 2 dφ^pᵀ Σ_<j dφ^q (the φᵀ d²Σ_{<j, j} above
                            // holds none of it at this visit).
                            v += 2.0 * s[(a, b)];
                        }
                        (_, Kind::Phi(m)) if jp < jq => {
                            // 2 dφ^qᵀ dΣ^p_<j φ_j, of which φᵀ d²Σ_{<j, j}
                            // above holds one.
                            v += (0..j).map(|k| ds[p][(m, k)] * phi[k]).sum::<f64>();
                        }
                        _ => {}
                    }
                }
                dd[(j, j)] = v;
            }
            let mut sum = 0.0;
            for b in 0..t {
                for a in 0..=b {
                    sum += w[(a, b)] * dd[(a, b)];
                }
            }
            out[(p, q)] = sum;
            out[(q, p)] = sum;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psi() -> Vec<f64> {
        (0..size(4))
            .map(|p| 0.3 + 0.7 * (p as f64 * 1.3).sin())
            .collect()
    }

    /// Σ's first and second derivatives agree with finite differences.
    #[test]
    fn derivatives_match_finite_differences() {
        let (psi, t) = (psi(), 4);
        let s = sigma(&psi, t);
        let ds = first(&psi, &s);
        let w = DMatrix::from_fn(t, t, |a, b| {
            if a <= b {
                1.0 + (a * 3 + b) as f64
            } else {
                0.0
            }
        });
        let curv = curvature(&psi, &s, &ds, &w);
        let h = 1e-6;
        for p in 0..size(t) {
            let (mut up, mut down) = (psi.clone(), psi.clone());
            up[p] += h;
            down[p] -= h;
            let (su, sd) = (sigma(&up, t), sigma(&down, t));
            let fd = (&su - &sd) / (2.0 * h);
            assert!((&fd - &ds[p]).amax() < 1e-6, "first {p}: {fd} vs {}", ds[p]);
            let (du, dn) = (first(&up, &su), first(&down, &sd));
            for q in 0..size(t) {
                let d2 = (&du[q] - &dn[q]) / (2.0 * h);
                let mut fd = 0.0;
                for b in 0..t {
                    for a in 0..=b {
                        fd += w[(a, b)] * d2[(a, b)];
                    }
                }
                assert!(
                    (fd - curv[(p, q)]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "curvature ({p}, {q}): {fd} vs {}",
                    curv[(p, q)]
                );
            }
        }
    }

    #[test]
    fn parameters_are_numbered_visit_by_visit() {
        for j in 0..5 {
            for l in 0..=j {
                let (jj, kind) = describe(index(j, l));
                assert_eq!(jj, j);
                assert_eq!(
                    kind,
                    if l < j {
                        Kind::Phi(l)
                    } else {
                        Kind::LogVariance
                    }
                );
            }
        }
    }
}
