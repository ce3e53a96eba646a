use super::FigureInput;
use super::curves::{Axis, Series, sweep_figure, swept_value};
use super::style::{BLUE, Key, Mark, ORANGE, err, value};
use crate::error::Result;
use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Figure 7: the continuous analysis' power beside the responder
/// analysis' across the sweep, and below, each one's exaggeration ratio:
/// what dichotomising costs. Drawn when the scenario has a responder
/// endpoint and sweeps exactly one numeric key (with several, which
/// lines to pair would be ambiguous).
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let r = input.result;
    let [(key, _)] = input.study.sweep.as_slice() else {
        return None;
    };
    let x_of = swept_value;
    if r.design_points.len() < 2
        || r.design_points.iter().any(|d| x_of(d).is_none())
        || r.design_points
            .iter()
            .all(|d| d.metrics.get(Metric::ResponderPower).is_none())
    {
        return None;
    }
    // Lines join the design points in increasing order of the key.
    let series = |colour, metric| {
        let mut points: Vec<(f64, f64, f64)> = r
            .design_points
            .iter()
            .filter_map(|dp| {
                let (v, se) = value(dp.metrics.get(metric))?;
                Some((x_of(dp)?, v, se))
            })
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Series { colour, points }
    };
    let power = [
        series(BLUE, Metric::Power),
        series(ORANGE, Metric::ResponderPower),
    ];
    let type_m: Vec<Series> = [
        series(BLUE, Metric::TypeM),
        series(ORANGE, Metric::ResponderTypeM),
    ]
    .into_iter()
    .filter(|s| !s.points.is_empty())
    .collect();
    let axis = Axis::new(key, r.design_points.iter().filter_map(x_of))?;
    let draw = || {
        sweep_figure(
            root,
            input,
            // Fisher's test of the responders is a superiority test.
            (
                "continuous vs responder analysis",
                "power (share of trials significant)",
            ),
            vec![
                Key::new(Mark::Line(BLUE), "continuous score (the primary analysis)"),
                Key::new(Mark::Line(ORANGE), "responders (Fisher's exact test)"),
            ],
            (&axis, &power, &type_m),
        )
    };
    Some(draw().map_err(err("responder_power")))
}
