use super::FigureInput;
use super::curves::{Axis, Series, power_title, sweep_figure, swept_value};
use super::style::{BLUE, DARK, GREY, Key, Mark, ORANGE, RED, err, params_words, value};
use crate::error::Result;
use crate::metrics::Metric;
use crate::scenario::Hypothesis;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Figure 1: power against the first swept key (one line per value of the
/// others), and below it the exaggeration ratio (type M) of the significant
/// trials at the same values, each with 95% Monte Carlo bands.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let r = input.result;
    let key = &input.study.sweep.first()?.0;
    let x_of = swept_value;
    if r.design_points.len() < 2 || r.design_points.iter().any(|d| x_of(d).is_none()) {
        return None;
    }
    // One group per combination of the other swept keys' values:
    // (its words, power series, type M series).
    let colours = [BLUE, ORANGE, RED, DARK, GREY];
    let mut groups: Vec<(String, Series, Series)> = Vec::new();
    for dp in &r.design_points {
        let label = params_words(&dp.params[1..]);
        let g = match groups.iter().position(|(l, _, _)| *l == label) {
            Some(g) => g,
            None => {
                let colour = colours[groups.len() % colours.len()];
                let empty = Series {
                    colour,
                    points: Vec::new(),
                };
                groups.push((label, empty.clone(), empty));
                groups.len() - 1
            }
        };
        let x = x_of(dp).unwrap_or(0.0);
        if let Some((p, se)) = value(dp.metrics.get(Metric::Power)) {
            groups[g].1.points.push((x, p, se));
        }
        if let Some((m, se)) = value(dp.metrics.get(Metric::TypeM)) {
            groups[g].2.points.push((x, m, se));
        }
    }
    let axis = Axis::new(key, r.design_points.iter().filter_map(x_of))?;
    let power: Vec<Series> = groups.iter().map(|g| g.1.clone()).collect();
    let type_m: Vec<Series> = groups
        .iter()
        .map(|g| g.2.clone())
        .filter(|s| !s.points.is_empty())
        .collect();
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let keys = groups
            .iter()
            .map(|(label, s, _)| {
                let words = if label.is_empty() {
                    "estimate ± 1.96 MC SE".to_string()
                } else {
                    label.clone()
                };
                Key::new(Mark::Line(s.colour), words)
            })
            .collect();
        let what = match input.study.points[0].scenario.analysis.hypothesis {
            Hypothesis::Superiority => "power and exaggeration by design",
            Hypothesis::NonInferiority { .. } => "power to show non-inferiority by design",
            Hypothesis::Equivalence { .. } => "power to show equivalence by design",
        };
        let hypothesis = input.study.points[0].scenario.analysis.hypothesis;
        sweep_figure(
            root,
            input,
            (what, power_title(hypothesis)),
            keys,
            (&axis, &power, &type_m),
        )
    };
    Some(draw().map_err(err("power_curve")))
}
