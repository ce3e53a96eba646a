use super::FigureInput;
use super::curves::{Axis, Marks, Series, power_and_type_m, power_title, swept_value};
use super::style::{BLUE, GREY, Key, Mark, ORANGE, RED, caption, err, frame, value};
use crate::error::Result;
use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

/// `size`'s figure: power at every value it evaluated, with 95% Monte
/// Carlo bands, the target line and the answer marked; with a type M limit,
/// the exaggeration ratio in a panel below, with its limit.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let Some(super::SizeFigure::Curve(marks)) = input.size.as_ref() else {
        return None;
    };
    let mut power = Series {
        colour: BLUE,
        points: Vec::new(),
    };
    let mut type_m = Series {
        colour: ORANGE,
        points: Vec::new(),
    };
    for dp in &input.result.design_points {
        let Some(x) = swept_value(dp) else { continue };
        if let Some((v, se)) = value(dp.metrics.get(Metric::Power)) {
            power.points.push((x, v, se));
        }
        if let Some((v, se)) = value(dp.metrics.get(Metric::TypeM)) {
            type_m.points.push((x, v, se));
        }
    }
    let axis = Axis::new(&marks.param, power.points.iter().map(|p| p.0))?;
    let answer = marks.value;
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let target = match (marks.target_power, marks.max_type_m) {
            (Some(p), Some(limit)) => format!("target: power {p}, type M at most {limit}"),
            (Some(p), None) => format!("target power {p}"),
            (None, Some(limit)) => format!("type M at most {limit}"),
            (None, None) => "power (no power target)".to_string(),
        };
        let mut keys = vec![
            Key::new(Mark::Line(GREY), target),
            Key::new(Mark::Line(RED), format!("answer: {}", marks.label)),
            Key::new(Mark::Line(BLUE), "power ± 1.96 MC SE"),
        ];
        if marks.max_type_m.is_some() {
            keys.push(Key::new(Mark::Line(ORANGE), "type M ± 1.96 MC SE"));
        }
        let area = frame(
            root,
            &caption(input, "power at the values size evaluated"),
            &keys,
            None,
        )?;
        // The type M panel only with a limit to read it against.
        let type_m = if marks.max_type_m.is_some() {
            std::slice::from_ref(&type_m)
        } else {
            &[]
        };
        power_and_type_m(
            area,
            &axis,
            std::slice::from_ref(&power),
            type_m,
            Marks {
                target_power: marks.target_power,
                limit: marks.max_type_m,
                marker: Some(answer),
                power_title: power_title(input.study.points[0].scenario.analysis.hypothesis),
            },
        )?;
        Ok(())
    };
    Some(draw().map_err(err("size_curve")))
}
