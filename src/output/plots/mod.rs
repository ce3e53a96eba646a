//! Figures (plotters), each rendered in memory as an SVG string and, with
//! the `png` feature, as PNG bytes (written to `plots/` by [`crate::output::files`]):
//!
//! 1. `power_curve`: power against the swept parameter, with 95% Monte Carlo
//!    bands and the target line (only when the scenario sweeps a number);
//! 2. `estimates`: the distribution of estimates at the primary visit,
//!    significant ones highlighted, the truth and the MCID marked, the
//!    exaggeration ratio written on it (the winner's curse);
//! 3. `visits`: true `theta(t)`, the mean estimate with a band, and power at
//!    each visit (when the scenario analyses every visit);
//! 4. `forest`: one simulated meta-analysis (when the scenario has one);
//! 5. `funnel`: the simulated literature, published and unpublished trials
//!    told apart, with Egger's line (when the scenario has a meta-analysis)
//!    and, with selective publication, trim-and-fill's filled trials and
//!    the PEESE curve when PET-PEESE chooses it;
//! 6. `size_curve`: power at the values `size` evaluated, the answer marked
//!    (and the exaggeration ratio with `--max-type-m`), for `size` only;
//! 7. `size_over` (written by `size --over` only, instead of `size_curve`):
//!    the answer at each value of the second parameter, with the values
//!    within Monte Carlo error;
//! 8. `responder_power`: the continuous and the responder analysis' power
//!    and exaggeration across a one-key sweep (with `[responder_endpoint]`);
//! 9. `forking_paths`: the chance that some analysis path is significant
//!    and favourable against the number of paths, beside alpha and Holm's
//!    step-down (with `[forking_paths]`);
//! 10. `subgroups`: per factor of `meta_analysis.subgroups`, the forest
//!     plot's literature analysed by the factor's levels beside how often
//!     the simulated literatures name each level best (with a significant
//!     difference or not).
//!
//! Text is drawn with DejaVu Sans, embedded (crate `dejavu`) and rendered by
//! ab_glyph, so PNGs need no system fonts.

mod curves;
mod estimates;
mod forest;
mod forking_paths;
mod funnel;
mod power_curve;
mod responder_power;
mod size_curve;
mod size_over;
mod style;
mod subgroups;

pub use style::key_words;
mod visits;

use crate::engine::{FocusSample, RunResult};
use crate::error::Result;
use crate::scenario::Study;
use plotters::prelude::*;
use style::err;

/// Width and height of every figure, in pixels.
pub const SIZE: (u32, u32) = (1000, 640);

/// What the figures draw.
#[derive(Debug)]
pub struct FigureInput<'a> {
    /// The scenario.
    pub study: &'a Study,
    /// The run's results.
    pub result: &'a RunResult,
    /// The trials of the focus design point (figures 2, 4 and 5), simulated
    /// by the engine.
    pub sample: &'a FocusSample,
    /// The power the power curve marks.
    pub target_power: f64,
    /// What `size` found, for its figure (`None` for `run`).
    pub size: Option<SizeFigure>,
}

/// What `size` found: one search's marks, or the answers of `--over`.
#[derive(Debug, Clone, PartialEq)]
pub enum SizeFigure {
    /// One search: `plots/size_curve`.
    Curve(SizeMarks),
    /// `--over`: `plots/size_over`.
    Over(crate::engine::sizing::OverAnswer),
}

/// What `size` searched and found, for `plots/size_curve`.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeMarks {
    /// The parameter searched.
    pub param: String,
    /// The answer.
    pub value: f64,
    /// The answer as printed.
    pub label: String,
    /// The target power, if power is required.
    pub target_power: Option<f64>,
    /// The ceiling on the exaggeration ratio, if any.
    pub max_type_m: Option<f64>,
}

/// One figure, rendered.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Its file name without extension, e.g. `power_curve`.
    pub name: &'static str,
    /// The SVG document.
    pub svg: String,
    /// The PNG file's bytes (`None` without the `png` feature).
    pub png: Option<Vec<u8>>,
}

/// Renders every figure the input supports, in order; a figure whose data
/// the scenario lacks (no sweep, no meta-analysis, one visit) is left out.
///
/// # Errors
/// [`crate::Error::Internal`] when a figure cannot be drawn: an error, never a
/// figure left empty.
pub fn render_all(input: &FigureInput) -> Result<Vec<Figure>> {
    style::register_fonts()?;
    let mut figures = Vec::new();
    macro_rules! figure {
        ($name:literal, $module:ident) => {{
            let mut svg = String::new();
            let drawn = {
                let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
                match $module::draw(input, &root) {
                    None => false,
                    Some(outcome) => {
                        outcome?;
                        root.present().map_err(err($name))?;
                        true
                    }
                }
            };
            if drawn {
                #[cfg(feature = "png")]
                let png = Some(png(|root| $module::draw(input, root), $name)?);
                #[cfg(not(feature = "png"))]
                let png = None;
                figures.push(Figure {
                    name: $name,
                    svg,
                    png,
                });
            }
        }};
    }
    figure!("power_curve", power_curve);
    figure!("estimates", estimates);
    figure!("visits", visits);
    figure!("forest", forest);
    figure!("funnel", funnel);
    figure!("size_curve", size_curve);
    figure!("size_over", size_over);
    figure!("responder_power", responder_power);
    figure!("forking_paths", forking_paths);
    figure!("subgroups", subgroups);
    Ok(figures)
}

/// Draws a figure on a bitmap and encodes it as PNG (image's encoder, as
/// plotters itself uses it for files).
#[cfg(feature = "png")]
fn png(
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Option<Result<()>>,
    name: &str,
) -> Result<Vec<u8>> {
    use image::ImageEncoder;
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        if let Some(outcome) = draw(&root) {
            outcome?;
        }
        root.present().map_err(err(name))?;
    }
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(err(name))?;
    Ok(bytes)
}
