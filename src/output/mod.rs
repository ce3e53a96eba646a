//! Everything a run writes, rendered from values in memory: `summary.json`
//! (`trialsim.summary/1`), `summary.csv`, `scenario.resolved.toml`, the
//! figures and `report.html` (INTERFACE.md), plus `dataset`'s patient table.
//!
//! Owns: turning results into text and bytes ([`run_files`], [`summary`],
//! [`report`], [`plots`], [`dataset`], shared number formatting in
//! [`mod@format`]), and
//! the one module that writes files, [`files`]. May not: simulate (the
//! trials the figures draw come from [`crate::engine::focus_sample`]), read
//! files back, or touch the terminal.

pub mod dataset;
pub mod files;
pub mod format;
pub mod plots;
pub mod protocol;
pub mod report;
pub mod summary;
pub mod teaching;

pub use summary::{SCHEMA, summary_csv, summary_json, text_summary};

use crate::engine::{FocusSample, RunResult};
use crate::error::{Naming, Result};
use crate::scenario::Study;
use std::path::PathBuf;

/// One file of an output folder, rendered in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    /// Its path relative to the output folder, e.g. `plots/estimates.svg`.
    pub path: PathBuf,
    /// Its contents.
    pub bytes: Vec<u8>,
}

impl OutputFile {
    fn new(path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> Self {
        let mut bytes = bytes.into();
        // A text grown by doubling holds up to twice its length; every file
        // of the folder is held until it is written, so hold only the text.
        bytes.shrink_to_fit();
        OutputFile {
            path: path.into(),
            bytes,
        }
    }
}

/// The power the power curve marks.
pub const TARGET_POWER: f64 = 0.8;

/// Every file of a run's output folder: the summaries, the resolved
/// scenario, each figure as SVG (and PNG with the `png` feature) under
/// `plots/`, and `report.html` with the figures inline (with `size`'s
/// marks, its `size_curve` too). Run settings in
/// `summary.json`'s warnings are named under `naming`. Each file is handed
/// to `sink` as soon as it is made and then dropped, so that only one
/// summary is held at a time (a sweep of thousands of design points has
/// summaries of megabytes).
///
/// # Errors
/// [`crate::Error::Internal`] when a summary or a figure cannot be
/// rendered; whatever `sink` returns.
pub fn run_files(
    study: &Study,
    result: &RunResult,
    sample: &FocusSample,
    naming: Naming,
    size: Option<plots::SizeFigure>,
    protocol: Option<&protocol::Protocol>,
    sink: &mut dyn FnMut(OutputFile) -> Result<()>,
) -> Result<()> {
    sink(OutputFile::new(
        "summary.json",
        summary_json(result, naming),
    ))?;
    sink(OutputFile::new("summary.csv", summary_csv(result)?))?;
    sink(OutputFile::new(
        "scenario.resolved.toml",
        study.resolved_toml(result.seed, result.replicates)?,
    ))?;
    if let Some(state) = &result.state {
        let json = serde_json::to_string(state)
            .map_err(|e| crate::Error::Internal(format!("writing state.json: {e}")))?;
        sink(OutputFile::new(crate::engine::resume::STATE_FILE, json))?;
    }
    if let Some(p) = protocol {
        sink(OutputFile::new("protocol.md", p.markdown.clone()))?;
        sink(OutputFile::new("protocol.txt", p.text.clone()))?;
    }
    if let Some(plots::SizeFigure::Over(answer)) = &size {
        for f in size_over_files(answer)? {
            sink(f)?;
        }
    }
    let mut figures = plots::render_all(&plots::FigureInput {
        study,
        result,
        sample,
        target_power: TARGET_POWER,
        size,
    })?;
    for f in &mut figures {
        sink(OutputFile::new(
            format!("plots/{}.svg", f.name),
            f.svg.as_bytes(),
        ))?;
        // The report inlines the SVGs; the PNGs are only written.
        if let Some(png) = f.png.take() {
            sink(OutputFile::new(format!("plots/{}.png", f.name), png))?;
        }
    }
    sink(OutputFile::new(
        "report.html",
        report::html(
            study,
            result,
            sample,
            &figures,
            protocol.map(|p| p.html.as_str()),
        ),
    ))
}

/// `size --over`'s table as `size_over.csv` and its answers as
/// `size_over.json`.
///
/// # Errors
/// [`crate::Error::Internal`] when either cannot be written.
pub fn size_over_files(answer: &crate::engine::sizing::OverAnswer) -> Result<Vec<OutputFile>> {
    let internal = |e: String| crate::Error::Internal(format!("writing size_over: {e}"));
    let (header, rows) = answer.table();
    let mut w = csv::Writer::from_writer(Vec::new());
    for record in std::iter::once(&header).chain(&rows) {
        w.write_record(record)
            .map_err(|e| internal(e.to_string()))?;
    }
    let csv = w.into_inner().map_err(|e| internal(e.to_string()))?;
    let json = serde_json::to_string_pretty(answer).map_err(|e| internal(e.to_string()))? + "\n";
    Ok(vec![
        OutputFile::new("size_over.csv", csv),
        OutputFile::new("size_over.json", json),
    ])
}
