use super::FigureInput;
use super::style::{
    BLUE, DARK, GREY, ORANGE, RED, caption, err, house_chart, key_words, legend, log_ticks, mesh,
    value,
};
use crate::error::Result;
use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::coord::combinators::BindKeyPoints;
use plotters::prelude::*;

/// Figure 1: power against the first swept key (one line per value of the others).
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let r = input.result;
    let key = input.study.sweep.first()?.0.clone();
    let x_of = |dp: &crate::engine::DesignPointResult| {
        dp.params.first().and_then(|(_, v)| match v {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            _ => None,
        })
    };
    if r.design_points.len() < 2 || r.design_points.iter().any(|d| x_of(d).is_none()) {
        return None;
    }
    // Group by the other swept keys' values.
    // (label of the other swept keys, [(x, power, MC SE)])
    type Group = (String, Vec<(f64, f64, f64)>);
    let mut groups: Vec<Group> = Vec::new();
    for dp in &r.design_points {
        let label = crate::scenario::sweep::describe(&dp.params[1..]);
        let (p, se) = value(dp.metrics.get(Metric::Power)).unwrap_or((0.0, 0.0));
        let x = x_of(dp).unwrap_or(0.0);
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push((x, p, se)),
            None => groups.push((label, vec![(x, p, se)])),
        }
    }
    let xs: Vec<f64> = r.design_points.iter().filter_map(x_of).collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let log = lo > 0.0 && hi / lo >= 8.0;
    let draw =
        || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
            root.fill(&WHITE)?;
            let title = caption(input, "power by design");
            let mut builder = house_chart(root, title);
            let colours = [BLUE, ORANGE, RED, DARK, GREY];
            macro_rules! body {
                ($chart:expr) => {{
                    let mut chart = $chart;
                    mesh(&mut chart, 15)
                        .x_desc(if log {
                            format!("{} (log scale)", key_words(&key))
                        } else {
                            key_words(&key)
                        })
                        .y_desc("power (share of trials significant)")
                        .draw()?;
                    chart
                        .draw_series(LineSeries::new(
                            [(lo, input.target_power), (hi, input.target_power)],
                            ShapeStyle::from(&GREY).stroke_width(2),
                        ))?
                        .label(format!("target {}", input.target_power))
                        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], GREY));
                    for (g, (label, pts)) in groups.iter().enumerate() {
                        let c = colours[g % colours.len()];
                        chart.draw_series(pts.iter().map(|&(x, p, se)| {
                            PathElement::new(
                                [(x, (p - 1.96 * se).max(0.0)), (x, (p + 1.96 * se).min(1.0))],
                                ShapeStyle::from(&c.mix(0.5)).stroke_width(6),
                            )
                        }))?;
                        let name = if label.is_empty() {
                            "power ± 1.96 MC SE".to_string()
                        } else {
                            label.clone()
                        };
                        chart
                            .draw_series(LineSeries::new(
                                pts.iter().map(|&(x, p, _)| (x, p)),
                                ShapeStyle::from(&c).stroke_width(2),
                            ))?
                            .label(name)
                            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c));
                        chart.draw_series(pts.iter().map(|&(x, p, _)| {
                            Circle::new((x, p), 4, ShapeStyle::from(&c).filled())
                        }))?;
                    }
                    legend(&mut chart, SeriesLabelPosition::LowerRight, 15)?;
                }};
            }
            if log {
                body!(
                    builder.build_cartesian_2d(
                        (lo * 0.9..hi * 1.1)
                            .log_scale()
                            .with_key_points(log_ticks(lo * 0.9, hi * 1.1)),
                        0.0..1.0
                    )?
                );
            } else {
                let pad = (hi - lo).max(1.0) * 0.05;
                body!(builder.build_cartesian_2d(lo - pad..hi + pad, 0.0..1.0)?);
            }
            Ok(())
        };
    Some(draw().map_err(err("power_curve")))
}
