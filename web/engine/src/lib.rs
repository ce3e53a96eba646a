//! trialsim's engine for the classroom page (`web/`): a WebAssembly module
//! with a plain C ABI, JSON in and JSON out.
//!
//! Why not wasm-bindgen: the page needs a few calls, each taking at most
//! one text and returning one, so its generated glue would buy little,
//! while its CLI must match the crate's version exactly and be installed
//! (compiled) by the build — minutes on a fresh machine — and regenerated
//! in step. A plain ABI builds with cargo alone and its loader is a few
//! dozen lines of the page's worker (`web/src/worker.js`).
//!
//! The protocol: the page writes its input (UTF-8) into memory from
//! [`alloc`], calls a function, and reads that function's output from
//! [`out_ptr`] / [`out_len`] (valid until the next call). Every function
//! returns 2 for bad input, with `{"error": "…"}` — the CLI's one-line
//! message — as its output, else 0 ([`step`] and [`fold`]: 1 once the run
//! is finished). The engine is the library's
//! own: a run is a [`Stepper`] over the same blocks as `trialsim run`, so
//! the summary it gives is the CLI's `summary.json` for the scenario it
//! gives, byte for byte (the page's end-to-end test checks it).
//!
//! The page draws its charts itself, from the numbers [`finish`] returns:
//! on wasm32-unknown-unknown plotters measures text through the browser's
//! DOM (web-sys), which a Web Worker does not have, so the library's SVG
//! figures cannot be drawn here. Linking plotters still brings web-sys'
//! imports into the module; nothing this module calls reaches them, and the
//! worker's loader supplies stubs that throw if anything ever did.

use serde::Deserialize;
use serde_json::{Value, json};
use std::cell::RefCell;
use trialsim::engine::focus::ESTIMATE_SAMPLE;
use trialsim::engine::{RunOptions, RunResult, Simulator, Stepper};
use trialsim::error::Naming;
use trialsim::metrics::{Accumulator, Metric};
use trialsim::output::{report, summary_json};
use trialsim::scenario::presets::PRESETS;
use trialsim::scenario::{DEFAULT_SCENARIO, Study};

/// The keys the page's sliders move.
const SLIDER_KEYS: [&str; 5] = [
    "design.n_per_arm",
    "heterogeneity.tau",
    "dropout.monthly_rate",
    "effect.half_life_months",
    "effect.peak",
];

/// What the page asks to run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    /// The scenario file's text (a preset's or the default's).
    base: String,
    /// Keys to set (dotted paths) and their values.
    #[serde(default)]
    set: serde_json::Map<String, Value>,
    /// The power curve's patients per arm; the set `design.n_per_arm` is
    /// added. Empty: the design point alone.
    #[serde(default)]
    sweep_n: Vec<u64>,
    replicates: u64,
    /// The scenario's own seed when absent.
    seed: Option<u64>,
}

/// The module's state: the last output, and the run in progress or done.
#[derive(Default)]
struct State {
    out: Vec<u8>,
    stepper: Option<Stepper>,
    /// The finished run and its study, for `trial`.
    done: Option<(Study, RunResult)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Stores `value` as the output and returns `code`.
fn answer(code: i32, value: Value) -> i32 {
    STATE.with_borrow_mut(|s| s.out = value.to_string().into_bytes());
    code
}

/// The output of a bad request.
fn refuse(message: impl std::fmt::Display) -> i32 {
    answer(2, json!({ "error": message.to_string() }))
}

/// Memory for `len` bytes of input, to be written by the page.
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len.max(1));
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Frees memory from [`alloc`].
///
/// # Safety
/// `ptr` and `len` must come from one call of [`alloc`], freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes back what `alloc` gave, with its length.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len.max(1)) });
}

/// Where the last output starts.
#[unsafe(no_mangle)]
pub extern "C" fn out_ptr() -> *const u8 {
    STATE.with_borrow(|s| s.out.as_ptr())
}

/// The last output's length in bytes.
#[unsafe(no_mangle)]
pub extern "C" fn out_len() -> usize {
    STATE.with_borrow(|s| s.out.len())
}

/// The input the page wrote at `ptr`.
///
/// # Safety
/// `ptr..ptr + len` must be memory from [`alloc`] that the page filled.
unsafe fn input(ptr: *const u8, len: usize) -> String {
    // SAFETY: as the caller promises.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    String::from_utf8_lossy(bytes).into_owned()
}

/// The scenarios of the preset menu: the default, then the teaching
/// presets, each with its slider keys' values (`null` where unset).
#[unsafe(no_mangle)]
pub extern "C" fn presets() -> i32 {
    let entry = |name: &str, question: &str, text: &str| {
        let values = Study::from_toml_str(text, name).map(|study| {
            SLIDER_KEYS
                .iter()
                .map(|k| {
                    let v = study.base_value(k).cloned();
                    (k.to_string(), v.map_or(Value::Null, toml_to_json))
                })
                .collect::<serde_json::Map<_, _>>()
        });
        json!({
            "name": name,
            "question": question,
            "text": text,
            "values": values.unwrap_or_default(),
        })
    };
    let mut list = vec![entry(
        "default",
        "A small MSC knee-OA trial (15 per arm) and a literature of eight such trials",
        DEFAULT_SCENARIO,
    )];
    list.extend(PRESETS.iter().map(|p| entry(p.name, p.question(), p.text)));
    answer(0, Value::Array(list))
}

/// A TOML value as JSON.
fn toml_to_json(v: toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A JSON number or string as the TOML value a scenario file would hold:
/// whole numbers for `design.n_per_arm`, floats elsewhere.
fn json_to_toml(key: &str, v: &Value) -> Option<toml::Value> {
    match v {
        Value::Number(n) if key == "design.n_per_arm" => n.as_u64().map(|u| (u as i64).into()),
        Value::Number(n) => n.as_f64().map(toml::Value::Float),
        Value::String(s) => Some(toml::Value::String(s.clone())),
        Value::Bool(b) => Some(toml::Value::Boolean(*b)),
        _ => None,
    }
}

/// Starts a run (the input: a [`Request`] as JSON), replacing any other.
/// Output: `{"planned"` (trials), `"blocks"` (of every design point), `"n",
/// "replicates", "seed"}`.
///
/// # Safety
/// As [`input`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn start(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: as the caller promises.
    let text = unsafe { input(ptr, len) };
    STATE.with_borrow_mut(|s| {
        s.stepper = None;
        s.done = None;
    });
    let request: Request = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return refuse(format!("the page's request: {e}")),
    };
    let mut set = Vec::new();
    for (key, value) in &request.set {
        match json_to_toml(key, value) {
            Some(v) => set.push((key.clone(), v)),
            None => return refuse(format!("{key} = {value}: not a number")),
        }
    }
    let n = set
        .iter()
        .find(|(k, _)| k == "design.n_per_arm")
        .and_then(|(_, v)| v.as_integer())
        .map(|n| n as u64);
    let mut ns = request.sweep_n.clone();
    ns.extend(n);
    ns.sort_unstable();
    ns.dedup();
    let sweep: Vec<(String, Vec<toml::Value>)> = if ns.len() > 1 {
        let values = ns.iter().map(|&n| toml::Value::Integer(n as i64)).collect();
        vec![("design.n_per_arm".to_string(), values)]
    } else {
        Vec::new()
    };
    let study = match Study::from_toml_with(&request.base, "the scenario", &set, Some(&sweep)) {
        Ok(s) => s,
        Err(e) => return refuse(e.render(Naming::Fields)),
    };
    let opts = RunOptions {
        replicates: Some(request.replicates),
        seed: request.seed,
        ..RunOptions::default()
    };
    let stepper = match Stepper::new(study, &opts) {
        Ok(s) => s,
        Err(e) => return refuse(e.render(Naming::Fields)),
    };
    let focus = stepper.study().focus_point();
    let out = json!({
        "planned": stepper.progress().1,
        "blocks": stepper.blocks(),
        "n": stepper.study().points[focus].scenario.design.n_treatment,
        "replicates": stepper.replicates(),
        "seed": stepper.seed(),
    });
    STATE.with_borrow_mut(|s| s.stepper = Some(stepper));
    answer(0, out)
}

/// Simulates up to `blocks` more blocks of the run; returns 1 when it is
/// finished, else 0 (2 without a run). Output: `{"done", "planned"}` trials.
#[unsafe(no_mangle)]
pub extern "C" fn step(blocks: u32) -> i32 {
    let progress = STATE.with_borrow_mut(|s| {
        let stepper = s.stepper.as_mut()?;
        let finished = stepper.step(u64::from(blocks));
        Some((finished, stepper.progress()))
    });
    match progress {
        None => refuse("no run has been started"),
        Some((finished, (done, planned))) => answer(
            i32::from(finished),
            json!({ "done": done, "planned": planned }),
        ),
    }
}

/// Simulates blocks `first..first + count` of every design point of the
/// started run without folding them: a second worker's share, handed to
/// the first worker's [`fold`]. Output: `[[point, block, accumulator], …]`
/// (exact: floats are written so they read back to the same bits).
#[unsafe(no_mangle)]
pub extern "C" fn simulate(first: u32, count: u32) -> i32 {
    let parts = STATE.with_borrow(|s| {
        let stepper = s.stepper.as_ref()?;
        let (first, count) = (u64::from(first), u64::from(count));
        Some(serde_json::to_value(stepper.simulate(first..first + count)))
    });
    match parts {
        None => refuse("no run has been started"),
        Some(Ok(v)) => answer(0, v),
        Some(Err(e)) => refuse(format!("writing blocks: {e}")),
    }
}

/// Folds blocks from another worker's [`simulate`] (its output, as input)
/// onto the run: they must be its next blocks. Returns 1 when the run is
/// finished, else 0. Output: `{"done", "planned"}` trials.
///
/// # Safety
/// As [`input`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fold(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: as the caller promises.
    let text = unsafe { input(ptr, len) };
    let parts: Vec<(usize, u64, Accumulator)> = match serde_json::from_str(&text) {
        Ok(p) => p,
        Err(e) => return refuse(format!("reading blocks: {e}")),
    };
    let folded = STATE.with_borrow_mut(|s| {
        let stepper = s.stepper.as_mut()?;
        Some(
            stepper
                .fold(parts)
                .map(|finished| (finished, stepper.progress())),
        )
    });
    match folded {
        None => refuse("no run has been started"),
        Some(Err(e)) => refuse(e.render(Naming::Fields)),
        Some(Ok((finished, (done, planned)))) => answer(
            i32::from(finished),
            json!({ "done": done, "planned": planned }),
        ),
    }
}

/// The finished run's results. Output: `{"summary"` (the CLI's
/// `summary.json`, verbatim), `"findings"` (the report's sentences, HTML),
/// `"charts"` (what the page draws: power and type M by n, the sample of
/// estimates the report's figure draws, power by visit), `"power"`
/// (the displayed design point's `value`, `se`, `n`, `replicates`, `seed`),
/// `"toml"` (the resolved scenario: `trialsim run` on it gives the same
/// summary)`}`.
#[unsafe(no_mangle)]
pub extern "C" fn finish() -> i32 {
    let Some(stepper) = STATE.with_borrow_mut(|s| s.stepper.take()) else {
        return refuse("no run has been started");
    };
    let seed = stepper.seed();
    let study = stepper.study().clone();
    let result = match stepper.finish() {
        Ok(r) => r,
        Err(e) => return refuse(e.render(Naming::Fields)),
    };
    match results(&study, &result, seed) {
        Ok(out) => {
            STATE.with_borrow_mut(|s| s.done = Some((study, result)));
            answer(0, out)
        }
        Err(e) => refuse(e.render(Naming::Fields)),
    }
}

/// [`finish`]'s output.
fn results(study: &Study, result: &RunResult, seed: u64) -> trialsim::error::Result<Value> {
    let focus = study.focus_point();
    let point = &study.points[focus];
    let dp = &result.design_points[focus];
    let sim = Simulator::new(&point.scenario, seed);
    let estimates = sim.estimate_sample(ESTIMATE_SAMPLE.min(result.replicates));
    let metric = |m: &trialsim::metrics::Metrics, name: Metric| {
        let e = m.get(name);
        json!({
            "value": e.and_then(|e| e.estimate),
            "se": e.and_then(|e| e.mc_se),
        })
    };
    let curve: Vec<Value> = study
        .points
        .iter()
        .zip(&result.design_points)
        .map(|(p, r)| {
            json!({
                "n": p.scenario.design.n_treatment,
                "power": metric(&r.metrics, Metric::Power),
                "type_m": metric(&r.metrics, Metric::TypeM),
            })
        })
        .collect();
    let visits: Vec<Value> = dp
        .by_visit
        .iter()
        .map(|v| {
            json!({
                "month": v.month,
                "theta": v.theta,
                "power": metric(&v.metrics, Metric::Power),
            })
        })
        .collect();
    let power = dp.metrics.get(Metric::Power);
    Ok(json!({
        "summary": summary_json(result, Naming::Flags),
        "findings": report::findings(study, result, focus),
        "charts": {
            "curve": curve,
            "estimates": {
                "theta": dp.truth.theta,
                "values": estimates.iter().map(|&(e, _)| e).collect::<Vec<f64>>(),
                "significant": estimates.iter().map(|&(_, s)| s).collect::<Vec<bool>>(),
                "power": metric(&dp.metrics, Metric::Power),
                "type_m": metric(&dp.metrics, Metric::TypeM),
                "type_s": metric(&dp.metrics, Metric::TypeS),
            },
            "visits": visits,
            "primary_month": dp.month,
            "label": point.scenario.outcome.label,
        },
        "power": {
            "value": power.and_then(|p| p.estimate),
            "se": power.and_then(|p| p.mc_se),
            "n": point.scenario.design.n_treatment,
            "replicates": result.replicates,
            "seed": seed,
        },
        "toml": study.resolved_toml(seed, result.replicates)?,
    }))
}

/// Replicate `k`'s first trial at the finished run's displayed design
/// point: the trial the run analysed there (on the patient path; a design
/// point run on the exact fast path draws its sums instead, so there this
/// is a trial of the same distribution, not the run's own). Output:
/// `{"replicate", "estimate", "ci_low", "ci_high", "significant", "theta"}`.
#[unsafe(no_mangle)]
pub extern "C" fn trial(k: u32) -> i32 {
    let out = STATE.with_borrow(|s| {
        let (study, result) = s.done.as_ref()?;
        let scenario = &study.points[study.focus_point()].scenario;
        let sim = Simulator::new(scenario, result.seed);
        let one = sim.one_trial(u64::from(k));
        let r = one.analysed.result;
        Some(json!({
            "replicate": k,
            "estimate": r.map(|r| r.estimate),
            "ci_low": r.map(|r| r.ci_low),
            "ci_high": r.map(|r| r.ci_high),
            "significant": r.is_some_and(|r| r.significant),
            "theta": sim.truth().theta,
        }))
    });
    match out {
        Some(v) => answer(0, v),
        None => refuse("no finished run"),
    }
}
