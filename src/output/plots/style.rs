//! The house style every figure shares: colours, the embedded font, the
//! frame (title, key and note, drawn outside the charts), axis ticks and
//! the mesh.

use super::FigureInput;
use crate::error::{Error, Result};
use crate::metrics::Estimate;
use crate::output::format::group_thousands;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) const BLUE: RGBColor = RGBColor(31, 119, 180);
pub(super) const ORANGE: RGBColor = RGBColor(230, 120, 20);
pub(super) const GREY: RGBColor = RGBColor(150, 150, 150);
pub(super) const DARK: RGBColor = RGBColor(40, 40, 40);
pub(super) const RED: RGBColor = RGBColor(200, 40, 40);

/// Registers DejaVu Sans (embedded by the crate `dejavu`) as "sans-serif",
/// so figures need no system fonts. (In the browser, wasm32, plotters lets
/// the browser measure and draw text; there is nothing to register.)
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn register_fonts() -> Result<()> {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *ONCE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
            && plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
                .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Internal(
            "cannot load the embedded DejaVu font".into(),
        ))
    }
}

/// In the browser the browser measures and draws text (see above).
#[cfg(target_arch = "wasm32")]
pub(super) fn register_fonts() -> Result<()> {
    Ok(())
}

/// Turns a plotters error into the crate's, naming the figure.
pub(super) fn err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Internal(format!("drawing {what}: {e:?}"))
}

/// The caption: scenario, what the figure shows, R and the seed.
pub(super) fn caption(input: &FigureInput, what: &str) -> String {
    let r = input.result;
    format!(
        "{}: {what} (R = {}, seed {})",
        r.scenario,
        group_thousands(input.result.design_points[input.sample.focus].replicates),
        r.seed
    )
}

/// ` [patients per arm = 20]`: the focus design point's swept values, if any.
pub(super) fn params_label(input: &FigureInput) -> String {
    let dp = &input.result.design_points[input.sample.focus];
    if dp.params.is_empty() {
        String::new()
    } else {
        format!(" [{}]", params_words(&dp.params))
    }
}

/// Swept values in words: `patients per arm = 20, dropout per month = 0.01`.
pub(super) fn params_words(params: &[(String, toml::Value)]) -> String {
    let words: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{} = {v}", key_words(k)))
        .collect();
    words.join(", ")
}

/// A scenario key as an axis title, in words: `design.n_per_arm` →
/// "patients per arm". Keys without a phrase here read as their last part,
/// underscores as spaces (never a dotted key).
pub fn key_words(key: &str) -> String {
    let phrase = match key {
        "design.n_per_arm" => "patients per arm",
        "design.allocation" => "allocation, treated per control patient",
        "meta_analysis.trials" => "trials per meta-analysis",
        "meta_analysis.publish_nonsignificant" => "chance a non-significant trial is published",
        "effect.peak" => "true effect at its peak (scale points)",
        "effect.patient_sd" => "SD of the effect between patients",
        "effect.responder_fraction" => "share of patients who respond",
        "heterogeneity.tau" => "SD of the true effect between trials",
        "heterogeneity.small_study.below" => "control arm size below which trials are biased",
        "heterogeneity.small_study.bias" => "bias of small trials (scale points)",
        "dropout.monthly_rate" => "dropout per month",
        "dropout.beta" => "dropout log-odds per point worse",
        "analysis.alpha" => "significance level (alpha)",
        "outcome.subject_sd" => "SD between patients",
        "outcome.residual_sd" => "SD within patients",
        "outcome.rho" => "correlation one month apart",
        "outcome.inclusion" => "entry cut",
        "placebo.peak" => "placebo response at its peak (scale points)",
        _ => "",
    };
    if !phrase.is_empty() {
        return phrase.to_string();
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    let bare: String = last.split('[').next().unwrap_or(last).replace('_', " ");
    bare
}

/// Ticks of a log axis over [lo, hi]: 1, 2 and 5 times the powers of ten
/// (plotters' own put a label at every integer of a decade, which collide,
/// and one twice where decades meet).
pub(super) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let t = m * decade;
            if t >= lo && t <= hi {
                ticks.push(t);
            }
        }
        decade *= 10.0;
    }
    ticks
}

/// Axis tick text: whole numbers without decimals, others with up to two.
pub(super) fn tick(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The effect axis' title: the difference and which direction favours
/// treatment (`s`: the outcome's direction, −1 when lower is better).
pub(super) fn effect_axis(s: f64) -> String {
    let favours = if s < 0.0 { "lower" } else { "higher" };
    format!("effect, treatment − control (scale points; {favours} favours treatment)")
}

/// Two decimals, with a true minus sign.
pub(super) fn fixed(x: f64) -> String {
    format!("{x:.2}").replace('-', "−")
}

/// An estimate and its MC SE (0 when it has none).
pub(super) fn value(e: Option<&Estimate>) -> Option<(f64, f64)> {
    e.and_then(|e| Some((e.estimate?, e.mc_se.unwrap_or(0.0))))
}

/// A chart on `area` with the house margin and label areas (a figure
/// overrides the label areas its layout needs); the title and key are
/// drawn by [`frame`], outside every chart.
pub(super) fn house_chart<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(16)
        .margin_top(8)
        .x_label_area_size(50)
        .y_label_area_size(60);
    builder
}

/// How a key entry is drawn.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mark {
    /// A line in the colour.
    Line(RGBColor),
    /// A filled square.
    Square(RGBColor),
    /// A filled dot.
    Dot(RGBColor),
    /// A hollow triangle (points drawn at the axes' edge).
    Triangle(RGBColor),
}

/// One entry of a figure's key: its mark and its words.
#[derive(Debug, Clone)]
pub(super) struct Key {
    pub mark: Mark,
    pub label: String,
}

impl Key {
    pub(super) fn new(mark: Mark, label: impl Into<String>) -> Self {
        Key {
            mark,
            label: label.into(),
        }
    }
}

/// Point size of the key's words and of a figure's note.
const KEY_FONT: u32 = 14;
/// Height of one row of the key.
const KEY_ROW: i32 = 22;

/// Draws the figure's frame on `root`: a white page, the title, then the
/// key and an optional note in rows under it, centred — outside the area
/// left for the charts, which is returned. A key drawn here can never
/// cover data (plotters' own legend box sits inside the chart).
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    keys: &[Key],
    note: Option<&str>,
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (_, below) = root.split_vertically(6);
    let area = below.titled(title, ("sans-serif", 22))?;
    let font = ("sans-serif", KEY_FONT).into_font();
    let (width, _) = area.dim_in_pixel();
    let room = width as i32 - 40;
    // Lay the entries out in rows: swatch (22 px), 6 px, words, 26 px.
    let mut rows: Vec<Vec<(usize, i32)>> = vec![Vec::new()];
    let mut used = 0;
    for (i, key) in keys.iter().enumerate() {
        let (w, _) = area.estimate_text_size(&key.label, &TextStyle::from(font.clone()))?;
        let entry = 28 + w as i32;
        if used > 0 && used + entry > room {
            rows.push(Vec::new());
            used = 0;
        }
        rows.last_mut().expect("one row at least").push((i, entry));
        used += entry + 26;
    }
    rows.retain(|r| !r.is_empty());
    let note_rows = usize::from(note.is_some());
    let height = KEY_ROW * (rows.len() + note_rows) as i32
        + if keys.is_empty() && note.is_none() {
            0
        } else {
            6
        };
    let (strip, rest) = area.split_vertically(height);
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|(_, e)| e).sum::<i32>() + 26 * (row.len() as i32 - 1);
        let mut x = (width as i32 - total) / 2;
        let y = KEY_ROW * r as i32 + KEY_ROW / 2;
        for &(i, entry) in row {
            let key = &keys[i];
            match key.mark {
                Mark::Line(c) => strip.draw(&PathElement::new(
                    [(x, y), (x + 22, y)],
                    ShapeStyle::from(&c).stroke_width(3),
                ))?,
                Mark::Square(c) => strip.draw(&Rectangle::new(
                    [(x + 4, y - 7), (x + 18, y + 7)],
                    c.filled(),
                ))?,
                Mark::Dot(c) => strip.draw(&Circle::new((x + 11, y), 5, c.filled()))?,
                Mark::Triangle(c) => strip.draw(&TriangleMarker::new(
                    (x + 11, y),
                    6,
                    ShapeStyle::from(&c).stroke_width(2),
                ))?,
            }
            strip.draw(&Text::new(
                key.label.clone(),
                (x + 28, y),
                font.color(&DARK).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += entry + 26;
        }
    }
    if let Some(note) = note {
        strip.draw(&Text::new(
            note.to_string(),
            (width as i32 / 2, KEY_ROW * rows.len() as i32 + KEY_ROW / 2),
            ("sans-serif", KEY_FONT + 1)
                .into_font()
                .color(&DARK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(rest)
}

/// The house mesh: light grid lines, [`tick`] labels in `font` points.
pub(super) fn mesh<'a, 'b, DB, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    font: u32,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut style = chart.configure_mesh();
    style
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(RGBColor(240, 240, 240))
        .label_style(("sans-serif", font));
    style
}
