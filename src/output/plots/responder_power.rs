use super::FigureInput;
use super::curves::{Axis, Marks, Series, power_and_type_m};
use super::style::{BLUE, GREY, Key, Mark, ORANGE, caption, err, frame, value};
use crate::engine::DesignPointResult;
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
    let x_of = |dp: &DesignPointResult| match dp.params.first().map(|(_, v)| v) {
        Some(toml::Value::Integer(i)) => Some(*i as f64),
        Some(toml::Value::Float(f)) => Some(*f),
        _ => None,
    };
    if r.design_points.len() < 2
        || r.design_points.iter().any(|d| x_of(d).is_none())
        || r.design_points
            .iter()
            .all(|d| d.metrics.get(Metric::ResponderPower).is_none())
    {
        return None;
    }
    let series = |colour, metric| Series {
        colour,
        points: r
            .design_points
            .iter()
            .filter_map(|dp| {
                let (v, se) = value(dp.metrics.get(metric))?;
                Some((x_of(dp)?, v, se))
            })
            .collect(),
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
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let keys = [
            Key::new(
                Mark::Line(GREY),
                format!("target power {}", input.target_power),
            ),
            Key::new(Mark::Line(BLUE), "continuous score (the primary analysis)"),
            Key::new(Mark::Line(ORANGE), "responders (Fisher's exact test)"),
        ];
        let area = frame(
            root,
            &caption(input, "continuous vs responder analysis"),
            &keys,
            None,
        )?;
        power_and_type_m(
            area,
            &axis,
            &power,
            &type_m,
            Marks {
                target_power: input.target_power,
                limit: None,
                marker: None,
            },
        )
    };
    Some(draw().map_err(err("responder_power")))
}
