//! Panels of an estimate against a numeric design value, each point with
//! its 95% Monte Carlo band (± 1.96 MC SE): power and the exaggeration
//! ratio, for `power_curve` and `size_curve`.

use super::FigureInput;
use super::style::{GREY, Key, Mark, RED, caption, frame, house_chart, key_words, log_ticks, mesh};
use crate::engine::DesignPointResult;
use crate::scenario::Hypothesis;
use plotters::coord::Shift;
use plotters::coord::combinators::BindKeyPoints;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

/// One line of a panel: its colour and its points (x, estimate, MC SE).
#[derive(Debug, Clone)]
pub(super) struct Series {
    pub colour: RGBColor,
    pub points: Vec<(f64, f64, f64)>,
}

/// The shared horizontal axis: the values of a design key, on a log scale
/// when they span a factor of 8 or more (and are positive).
#[derive(Debug, Clone)]
pub(super) struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    title: String,
}

impl Axis {
    /// The axis for `key` over the values `xs` (`None` without values).
    pub(super) fn new(key: &str, xs: impl Iterator<Item = f64>) -> Option<Axis> {
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let log = lo > 0.0 && hi / lo >= 8.0;
        let words = key_words(key);
        let title = if log {
            format!("{words} (log scale)")
        } else {
            words
        };
        Some(Axis { lo, hi, log, title })
    }
}

impl Axis {
    /// A linear axis titled `title` over the values `xs` (a count).
    pub(super) fn linear(title: &str, xs: impl Iterator<Item = f64>) -> Option<Axis> {
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        (lo.is_finite() && hi.is_finite()).then(|| Axis {
            lo,
            hi,
            log: false,
            title: title.to_string(),
        })
    }
}

/// What one panel shows.
#[derive(Debug)]
pub(super) struct Panel<'a> {
    /// A title over the panel (the figure's own title is the frame's).
    pub title: Option<&'a str>,
    /// The vertical axis' title.
    pub y_title: &'a str,
    /// The vertical axis' range.
    pub y: std::ops::Range<f64>,
    /// A horizontal reference line (grey): the target or the limit.
    pub reference: Option<f64>,
    /// A vertical marker line (red): `size`'s answer.
    pub marker: Option<f64>,
    /// The lines.
    pub series: &'a [Series],
    /// Vertical bars `(x, low, high)` in the first line's colour, drawn
    /// like its bands (for intervals that are not ± 1.96 MC SE).
    pub bars: &'a [(f64, f64, f64)],
}

/// Draws `panel` on `area` over `axis`.
pub(super) fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axis: &Axis,
    panel: &Panel,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut builder = house_chart(area);
    if let Some(title) = panel.title {
        builder.caption(title, ("sans-serif", 17));
    }
    if axis.log {
        let (lo, hi) = (axis.lo * 0.9, axis.hi * 1.1);
        let x = (lo..hi).log_scale().with_key_points(log_ticks(lo, hi));
        body(builder.build_cartesian_2d(x, panel.y.clone())?, axis, panel)
    } else {
        let pad = (axis.hi - axis.lo).max(1.0) * 0.05;
        body(
            builder.build_cartesian_2d(axis.lo - pad..axis.hi + pad, panel.y.clone())?,
            axis,
            panel,
        )
    }
}

fn body<DB, X, Y>(
    mut chart: ChartContext<'_, DB, Cartesian2d<X, Y>>,
    axis: &Axis,
    panel: &Panel,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    mesh(&mut chart, 15)
        .x_desc(axis.title.clone())
        .y_desc(panel.y_title)
        .draw()?;
    let (ylo, yhi) = (panel.y.start, panel.y.end);
    if let Some(level) = panel.reference {
        chart.draw_series(LineSeries::new(
            [(axis.lo, level), (axis.hi, level)],
            ShapeStyle::from(&GREY).stroke_width(2),
        ))?;
    }
    if let Some(x) = panel.marker {
        chart.draw_series(LineSeries::new(
            [(x, ylo), (x, yhi)],
            ShapeStyle::from(&RED).stroke_width(2),
        ))?;
    }
    if let Some(first) = panel.series.first() {
        let c = first.colour;
        chart.draw_series(panel.bars.iter().map(|&(x, lo, hi)| {
            PathElement::new(
                [(x, lo.max(ylo)), (x, hi.min(yhi))],
                ShapeStyle::from(&c.mix(0.5)).stroke_width(6),
            )
        }))?;
    }
    for s in panel.series {
        let c = s.colour;
        chart.draw_series(s.points.iter().map(|&(x, v, se)| {
            PathElement::new(
                [(x, (v - 1.96 * se).max(ylo)), (x, (v + 1.96 * se).min(yhi))],
                ShapeStyle::from(&c.mix(0.5)).stroke_width(6),
            )
        }))?;
        chart.draw_series(LineSeries::new(
            s.points.iter().map(|&(x, v, _)| (x, v.clamp(ylo, yhi))),
            ShapeStyle::from(&c).stroke_width(2),
        ))?;
        chart.draw_series(
            s.points
                .iter()
                .map(|&(x, v, _)| Circle::new((x, v.clamp(ylo, yhi)), 4, c.filled())),
        )?;
    }
    Ok(())
}

/// What the two stacked panels of a curve figure mark.
#[derive(Debug, Clone, Copy)]
pub(super) struct Marks {
    /// The target power (a grey line on the power panel), if any.
    pub target_power: Option<f64>,
    /// The type M limit (a grey line on the type M panel), if any.
    pub limit: Option<f64>,
    /// A value marked on both panels (a red line): `size`'s answer.
    pub marker: Option<f64>,
    /// The power panel's axis title ([`power_title`]).
    pub power_title: &'static str,
}

/// The power axis's title: what a trial's "success" is under `h`.
pub(super) fn power_title(h: Hypothesis) -> &'static str {
    match h {
        Hypothesis::Superiority => "power (share of trials significant)",
        Hypothesis::NonInferiority { .. } => "power (share of trials showing non-inferiority)",
        Hypothesis::Equivalence { .. } => "power (share of trials showing equivalence)",
    }
}

/// Power on top and, when there are type M values, the exaggeration ratio
/// below it (two fifths of the height), over the same axis.
pub(super) fn power_and_type_m<DB: DrawingBackend>(
    area: DrawingArea<DB, Shift>,
    axis: &Axis,
    power: &[Series],
    type_m: &[Series],
    marks: Marks,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (top, bottom) = if type_m.iter().all(|s| s.points.is_empty()) {
        (area, None)
    } else {
        let (a, b) = area.split_vertically(area.dim_in_pixel().1 * 3 / 5);
        (a, Some(b))
    };
    draw_panel(
        &top,
        axis,
        &Panel {
            title: None,
            y_title: marks.power_title,
            y: 0.0..1.0,
            reference: marks.target_power,
            marker: marks.marker,
            series: power,
            bars: &[],
        },
    )?;
    if let Some(area) = bottom {
        draw_panel(
            &area,
            axis,
            &Panel {
                title: Some("exaggeration ratio (type M) of significant trials"),
                y_title: "type M",
                y: 1.0..type_m_top(type_m, marks.limit.unwrap_or(1.5)),
                reference: marks.limit,
                marker: marks.marker,
                series: type_m,
                bars: &[],
            },
        )?;
    }
    Ok(())
}

/// The top of a type M axis: the highest band, at least `floor`, with room.
fn type_m_top(series: &[Series], floor: f64) -> f64 {
    series
        .iter()
        .flat_map(|s| s.points.iter().map(|&(_, v, se)| v + 1.96 * se))
        .filter(|v| v.is_finite())
        .fold(floor, f64::max)
        * 1.05
}

/// A design point's value of the first swept key, when it is a number.
pub(super) fn swept_value(dp: &DesignPointResult) -> Option<f64> {
    match dp.params.first().map(|(_, v)| v) {
        Some(toml::Value::Integer(i)) => Some(*i as f64),
        Some(toml::Value::Float(f)) => Some(*f),
        _ => None,
    }
}

/// A figure of a run's sweep: the frame titled `what` with the target
/// power's key before `keys`, then [`power_and_type_m`] without a limit or
/// a marker.
pub(super) fn sweep_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    input: &FigureInput,
    (what, power_title): (&str, &'static str),
    keys: Vec<Key>,
    curves: (&Axis, &[Series], &[Series]),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut all = vec![Key::new(
        Mark::Line(GREY),
        format!("target power {}", input.target_power),
    )];
    all.extend(keys);
    let area = frame(root, &caption(input, what), &all, None)?;
    let (axis, power, type_m) = curves;
    power_and_type_m(
        area,
        axis,
        power,
        type_m,
        Marks {
            target_power: Some(input.target_power),
            limit: None,
            marker: None,
            power_title,
        },
    )
}
