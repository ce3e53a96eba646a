//! `trialsim dataset`: the patient-level data of one simulated trial, exactly
//! the trial `run` simulated for that replicate, as a long CSV, and its
//! analysis as JSON.

use crate::analysis::mmrm::Structure;
use crate::analysis::{Analysed, FitDiagnostics, MmrmOutcome};
use crate::engine::OneTrial;
use crate::error::{Error, Result};
use crate::simulate::CONTROL;
use serde_json::json;

/// The long CSV (`patient,arm,month,value`): patients numbered from 1, control
/// first; month 0 is the baseline; `value` is empty when missing and otherwise
/// printed at full round-trip precision.
pub fn dataset_csv(trial: &OneTrial, months: &[f64]) -> Result<String> {
    let data = &trial.data;
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Internal(format!("writing dataset: {e}"));
    w.write_record(["patient", "arm", "month", "value"])
        .map_err(err)?;
    for arm in 0..2 {
        let label = if arm == CONTROL {
            "control"
        } else {
            "treatment"
        };
        for i in data.arm(arm) {
            let patient = (i + 1).to_string();
            w.write_record([patient.as_str(), label, "0", &data.baseline[i].to_string()])
                .map_err(err)?;
            for (k, &m) in months.iter().enumerate() {
                let v = data.value(i, k);
                let cell = if v.is_nan() {
                    String::new()
                } else {
                    v.to_string()
                };
                w.write_record([
                    patient.as_str(),
                    label,
                    &crate::output::format::month_label(m),
                    &cell,
                ])
                .map_err(err)?;
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("writing dataset: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("dataset: {e}")))
}

/// The analysis as JSON: `estimate, se, df, t, p_value, ci_low, ci_high,
/// n_treatment, n_control, not_estimable` (numbers null when not estimable).
pub fn analysis_json(a: &Analysed, diagnostics: &FitDiagnostics) -> serde_json::Value {
    let r = a.result;
    let f = |get: fn(&crate::analysis::TestResult) -> f64| r.as_ref().map(get);
    let mut out = json!({
        "estimate": f(|r| r.estimate),
        "se": f(|r| r.se),
        "df": f(|r| r.df),
        "t": f(|r| r.t),
        "p_value": f(|r| r.p_value()),
        "ci_low": f(|r| r.ci_low),
        "ci_high": f(|r| r.ci_high),
        "n_treatment": a.n_treatment,
        "n_control": a.n_control,
        "not_estimable": r.is_none(),
    });
    // An MMRM says how its fit went: the structure it ended with (null
    // when none converged), whether that is a fallback, iterations (0 for
    // the exact closed form) and convergence.
    if let Some(outcome) = diagnostics.mmrm {
        let structure = match outcome {
            MmrmOutcome::Fitted(s) => Some(s),
            MmrmOutcome::Failed => None,
        };
        out["fit"] = json!({
            "structure": structure.map(Structure::name),
            "fallback": structure.is_some_and(|s| s != Structure::Unstructured),
            "iterations": diagnostics.iterations,
            "converged": diagnostics.converged,
        });
    }
    out
}
