//! `trialsim bench --mmrm`: MMRM fits per second on one core, three ways,
//! beside R's `nlme::gls` on the first of the same trials, in one sitting
//! (issue #27).
//!
//! The trials are simulated first (the scenario's first design point,
//! replicates 0, 1, …); each fit is then timed from the trial's data,
//! building its sufficient statistics included:
//!
//! - the exact fit (the closed form for one covariance matrix, with its
//!   Satterthwaite df), which `analysis.mmrm_covariance = "common"` uses;
//! - the general REML optimiser on the same model (unstructured, one
//!   covariance matrix), as a fit that has no closed form would run;
//! - one covariance matrix per arm (`by_arm`), the whole fallback chain.
//!
//! Each is timed [`ROUNDS`] times, interleaved, and the median reported.
//! Where `Rscript` with nlme is installed, `benches/mmrm_nlme.R` fits the
//! first [`NLME_TRIALS`] trials with `gls(corSymm, varIdent, REML)` (nlme's
//! default controls, one BLAS thread) and the ratios are printed with the largest difference between
//! nlme's arm effects and the exact fit's, in SEs (nlme converges to about
//! 1e-5); otherwise the report says why nlme was skipped.

use super::common::{load, print};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use trialsim::analysis::mmrm::{
    Covariance, MmrmData, MmrmFit, Structure, fit, fit_exact, fit_structure,
};
use trialsim::engine::Simulator;
use trialsim::error::{Error, Result};
use trialsim::scenario::{MMRM_MAX_VISITS, Study};
use trialsim::simulate::{CONTROL, TrialData};

/// The embedded MMRM bench scenario.
const SCENARIO: &str = include_str!("../../configs/bench_mmrm.toml");
/// The nlme timing script.
const NLME_SCRIPT: &str = include_str!("../../benches/mmrm_nlme.R");
/// Timing rounds per fit; the median is reported.
const ROUNDS: usize = 3;
/// Trials nlme fits (about one a second).
pub const NLME_TRIALS: usize = 20;

/// One of the fits timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Exact,
    Optimiser,
    ByArm,
}

impl Way {
    const ALL: [Way; 3] = [Way::Exact, Way::Optimiser, Way::ByArm];

    fn label(self) -> &'static str {
        match self {
            Way::Exact => "exact fit (closed form), common",
            Way::Optimiser => "general optimiser, common",
            Way::ByArm => "optimiser, by_arm (whole chain)",
        }
    }

    fn fit(self, data: &TrialData) -> Option<MmrmFit> {
        match self {
            Way::Exact => fit_exact(&MmrmData::new(data, Covariance::Common)),
            Way::Optimiser => fit_structure(
                &MmrmData::new(data, Covariance::Common),
                Structure::Unstructured,
            ),
            Way::ByArm => fit(&MmrmData::new(data, Covariance::ByArm)),
        }
    }

    /// What became of the fits, in words.
    fn outcome(self, fits: &[Option<MmrmFit>]) -> String {
        let n = fits.len() as f64;
        let share = |k: usize| format!("{:.1}%", 100.0 * k as f64 / n);
        match self {
            Way::Exact => {
                let none = fits.iter().filter(|f| f.is_none()).count();
                format!("no unstructured optimum in {}", share(none))
            }
            Way::Optimiser => {
                let failed = fits
                    .iter()
                    .filter(|f| !f.as_ref().is_some_and(|f| f.converged))
                    .count();
                format!("not converged in {}", share(failed))
            }
            Way::ByArm => {
                let failed = fits.iter().filter(|f| f.is_none()).count();
                let fallback = fits
                    .iter()
                    .flatten()
                    .filter(|f| f.structure != Structure::Unstructured)
                    .count();
                format!("fallback {}, failed {}", share(fallback), share(failed))
            }
        }
    }
}

/// nlme's timing, or why there is none.
enum Nlme {
    Timed {
        fits: usize,
        failed: usize,
        seconds: f64,
        /// Largest |nlme − exact| over the arm effects both have, in SEs.
        largest_difference: f64,
        compared: usize,
    },
    Skipped(String),
}

/// `trialsim bench --mmrm`.
pub fn command(scenario: Option<&Path>, replicates: Option<u64>) -> Result<()> {
    let study = match scenario {
        Some(path) => load(path, true)?,
        None => Study::from_toml_str(SCENARIO, "configs/bench_mmrm.toml")?,
    };
    let r = replicates.unwrap_or(study.replicates);
    let sc = &study.points[0].scenario;
    // A scenario analysed otherwise has no MMRM visit cap of its own.
    let visits = sc.visits.months.len();
    if visits > MMRM_MAX_VISITS {
        return Err(Error::invalid(
            "visits.months",
            format!("{visits} visits"),
            format!("bench --mmrm fits an MMRM, which allows at most {MMRM_MAX_VISITS} visits"),
        ));
    }
    let sim = Simulator::new(sc, study.seed);
    let trials: Vec<TrialData> = (0..r).map(|i| sim.one_trial(i).data).collect();
    let mut seconds = vec![Vec::new(); Way::ALL.len()];
    let mut fits = Vec::new();
    for round in 0..ROUNDS {
        for (w, way) in Way::ALL.into_iter().enumerate() {
            let started = Instant::now();
            let these: Vec<Option<MmrmFit>> =
                trials.iter().map(|t| way.fit(black_box(t))).collect();
            seconds[w].push(started.elapsed().as_secs_f64());
            if round == 0 {
                fits.push(these);
            }
        }
    }
    let medians: Vec<f64> = seconds
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect();
    let nlme = nlme(&trials[..NLME_TRIALS.min(trials.len())], &fits[0]);
    let first = &trials[0];
    let mut out = format!(
        "bench --mmrm: scenario {}, {} trials of {} + {} patients and {} visits, on 1 thread (median of {ROUNDS} rounds)\n",
        study.name,
        trials.len(),
        first.n[CONTROL],
        first.n[1],
        first.visits
    );
    let _ = writeln!(
        out,
        "{:<36}  {:>10}  {:>12}  outcome",
        "fit", "fits/s", "µs per fit"
    );
    for (w, way) in Way::ALL.into_iter().enumerate() {
        let per = medians[w] / trials.len() as f64;
        let _ = writeln!(
            out,
            "{:<36}  {:>10.0}  {:>12.1}  {}",
            way.label(),
            1.0 / per,
            1e6 * per,
            way.outcome(&fits[w])
        );
    }
    match nlme {
        Nlme::Timed {
            fits: n,
            failed,
            seconds,
            largest_difference,
            compared,
        } => {
            let per = seconds / n as f64;
            let _ = writeln!(
                out,
                "{:<36}  {:>10.2}  {:>12.0}  first {n} trials, {failed} failed",
                "nlme::gls, corSymm + varIdent (R)",
                1.0 / per,
                1e6 * per,
            );
            let ratio = |w: usize| per / (medians[w] / trials.len() as f64);
            let _ = writeln!(
                out,
                "ratio to nlme::gls: exact fit {:.0}x, general optimiser {:.0}x, by_arm {:.0}x",
                ratio(0),
                ratio(1),
                ratio(2)
            );
            let _ = writeln!(
                out,
                "nlme's arm effects differ from the exact fit's by at most {largest_difference:.1e} SE ({compared} compared)"
            );
        }
        Nlme::Skipped(why) => {
            let _ = writeln!(out, "nlme::gls: skipped ({why})");
        }
    }
    print(&out)
}

/// Runs the nlme script on `trials` and compares its arm effects with the
/// exact fits `exact` (of the same trials, in order).
fn nlme(trials: &[TrialData], exact: &[Option<MmrmFit>]) -> Nlme {
    match Command::new("Rscript").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => {
            return Nlme::Skipped(
                "no Rscript here; apt-get install -y r-base-core r-cran-nlme".into(),
            );
        }
    }
    // A folder of our own (a fresh random name, removed when dropped).
    let dir = match tempfile::Builder::new()
        .prefix("trialsim-bench-mmrm-")
        .tempdir()
    {
        Ok(dir) => dir,
        Err(e) => return Nlme::Skipped(format!("no temporary folder: {e}")),
    };
    run_nlme(dir.path(), trials, exact).unwrap_or_else(|e| Nlme::Skipped(e.to_string()))
}

fn run_nlme(dir: &Path, trials: &[TrialData], exact: &[Option<MmrmFit>]) -> Result<Nlme> {
    let io = |e: std::io::Error| Error::Internal(format!("{}: {e}", dir.display()));
    let mut csv = String::from("trial,patient,arm,baseline,visit,value\n");
    for (r, t) in trials.iter().enumerate() {
        for i in 0..t.n[0] + t.n[1] {
            let arm = usize::from(i >= t.n[CONTROL]);
            for k in 0..t.observed[i] {
                let _ = writeln!(
                    csv,
                    "{r},{},{arm},{:?},{},{:?}",
                    i + 1,
                    t.baseline[i],
                    k + 1,
                    t.value(i, k)
                );
            }
        }
    }
    let (data, script) = (dir.join("trials.csv"), dir.join("mmrm_nlme.R"));
    std::fs::write(&data, csv).map_err(io)?;
    std::fs::write(&script, NLME_SCRIPT).map_err(io)?;
    // One core, as trialsim's fits are timed: no threaded BLAS.
    let output = Command::new("Rscript")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .arg("--vanilla")
        .arg(&script)
        .arg(&data)
        .output()
        .map_err(io)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line = stderr
            .lines()
            .find(|l| l.starts_with("Error"))
            .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
            .unwrap_or("no message");
        return Ok(Nlme::Skipped(format!("R failed: {}", line.trim())));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut timed = None;
    let (mut largest, mut compared) = (0.0f64, 0);
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["fits", n, "failed", f, "seconds", s] => {
                timed = Some((n.parse().ok(), f.parse().ok(), s.parse().ok()));
            }
            ["estimate", trial, visit, value] => {
                let (Ok(r), Ok(j), Ok(v)) = (
                    trial.parse::<usize>(),
                    visit.parse::<usize>(),
                    value.parse::<f64>(),
                ) else {
                    continue;
                };
                if let Some(Some(f)) = exact.get(r)
                    && j >= 1
                    && j <= f.estimate.len()
                {
                    largest = largest.max((v - f.estimate[j - 1]).abs() / f.se[j - 1]);
                    compared += 1;
                }
            }
            _ => {}
        }
    }
    Ok(match timed {
        Some((Some(fits), Some(failed), Some(seconds))) if fits > failed && seconds > 0.0 => {
            Nlme::Timed {
                fits,
                failed,
                seconds,
                largest_difference: largest,
                compared,
            }
        }
        Some((Some(fits), Some(failed), _)) if failed >= fits => {
            Nlme::Skipped(format!("nlme fitted none of the {fits} trials"))
        }
        _ => Nlme::Skipped(format!("unexpected output from R: {}", stdout.trim())),
    })
}
