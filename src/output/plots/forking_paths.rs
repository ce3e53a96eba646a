use super::FigureInput;
use super::curves::{Axis, Panel, Series, draw_panel};
use super::style::{BLUE, GREY, Key, Mark, ORANGE, caption, err, frame, params_label, value};
use crate::error::Result;
use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The forking-paths figure: the chance that at least one of the first k
/// analysis paths is significant and favourable — what a reader faces when
/// whichever is significant gets reported — against k, beside alpha and
/// the same after Holm's step-down, each with 95% Monte Carlo bands.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let dp = &input.result.design_points[input.sample.focus];
    if dp.forking.len() < 2 {
        return None;
    }
    let alpha = dp.truth.alpha;
    let series = |metric: Metric, colour: RGBColor| Series {
        colour,
        points: dp
            .forking
            .iter()
            .filter_map(|s| value(s.metrics.get(metric)).map(|(p, se)| (s.paths as f64, p, se)))
            .collect(),
    };
    let lines = [
        series(Metric::ForkingAnySignificant, ORANGE),
        series(Metric::HolmAnySignificant, BLUE),
    ];
    let top = lines
        .iter()
        .flat_map(|s| s.points.iter().map(|&(_, p, se)| p + 1.96 * se))
        .fold(alpha, f64::max);
    let y_top = (top * 1.15).min(1.0);
    let axis = Axis::linear(
        "analysis paths a trialist could report (in the order of [forking_paths]: methods, rules, visits)",
        dp.forking.iter().map(|s| s.paths as f64),
    )?;
    let sc = &input.study.points[input.sample.focus].scenario;
    // A two-sided test finds a favourable effect by chance at alpha / 2.
    let alpha_words = if sc.analysis.hypothesis.is_superiority()
        && sc.analysis.sided == crate::scenario::Sided::Two
    {
        format!(
            "alpha = {alpha} (two-sided: {} in the favourable direction)",
            alpha / 2.0
        )
    } else {
        format!("alpha = {alpha}")
    };
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let keys = [
            Key::new(Mark::Line(ORANGE), "some path significant and favourable"),
            Key::new(Mark::Line(BLUE), "the same after Holm's step-down"),
            Key::new(Mark::Line(GREY), alpha_words.as_str()),
        ];
        let area = frame(
            root,
            &caption(
                input,
                &format!("findings by number of analyses{}", params_label(input)),
            ),
            &keys,
            Some("each point ± 1.96 MC SE; under a null therapy every finding is a false positive"),
        )?;
        draw_panel(
            &area,
            &axis,
            &Panel {
                title: None,
                y_title: "share of trials with a finding",
                y: 0.0..y_top,
                reference: Some(alpha),
                marker: None,
                series: &lines,
                bars: &[],
            },
        )
    };
    Some(draw().map_err(err("forking_paths")))
}
