use super::FigureInput;
use super::style::{
    BLUE, GREY, ORANGE, RED, caption, err, house_chart, key_words, legend, log_ticks, mesh, value,
};
use crate::error::Result;
use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::coord::combinators::BindKeyPoints;
use plotters::prelude::*;

/// One evaluated value: x, and power and type M with their MC SEs.
type Point = (f64, Option<(f64, f64)>, Option<(f64, f64)>);

/// `size`'s figure: power at every value it evaluated, with 95% Monte
/// Carlo bands, the target line and the answer marked; with a type M limit,
/// the exaggeration ratio in a panel below, with its limit.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let marks = input.size.as_ref()?;
    let points: Vec<Point> = input
        .result
        .design_points
        .iter()
        .filter_map(|dp| {
            let x = match dp.params.first()?.1 {
                toml::Value::Integer(i) => i as f64,
                _ => return None,
            };
            Some((
                x,
                value(dp.metrics.get(Metric::Power)),
                value(dp.metrics.get(Metric::TypeM)),
            ))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let log = lo > 0.0 && hi / lo >= 8.0;
    let words = key_words(&marks.param);
    let x_title = if log {
        format!("{words} (log scale)")
    } else {
        words
    };
    let answer = marks.value as f64;
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let (top, bottom) = if marks.max_type_m.is_some() {
            let (a, b) = root.split_vertically(root.dim_in_pixel().1 * 3 / 5);
            (a, Some(b))
        } else {
            (root.clone(), None)
        };
        macro_rules! panel {
            ($area:expr, $title:expr, $y:expr, $ydesc:expr, $pick:expr, $limit:expr, $limit_label:expr, $colour:expr, $corner:expr) => {{
                let title: String = $title;
                let mut builder = house_chart($area, title);
                macro_rules! body {
                    ($chart:expr) => {{
                        let mut chart = $chart;
                        mesh(&mut chart, 15)
                            .x_desc(x_title.clone())
                            .y_desc($ydesc)
                            .draw()?;
                        let (ylo, yhi) = ($y.start, $y.end);
                        chart
                            .draw_series(LineSeries::new(
                                [(lo, $limit), (hi, $limit)],
                                ShapeStyle::from(&GREY).stroke_width(2),
                            ))?
                            .label($limit_label)
                            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], GREY));
                        chart
                            .draw_series(LineSeries::new(
                                [(answer, ylo), (answer, yhi)],
                                ShapeStyle::from(&RED).stroke_width(2),
                            ))?
                            .label(format!("answer: {}", marks.value))
                            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED));
                        let shown: Vec<(f64, f64, f64)> = points
                            .iter()
                            .filter_map(|p| $pick(p).map(|(v, se): (f64, f64)| (p.0, v, se)))
                            .collect();
                        chart.draw_series(shown.iter().map(|&(x, v, se)| {
                            PathElement::new(
                                [(x, (v - 1.96 * se).max(ylo)), (x, (v + 1.96 * se).min(yhi))],
                                ShapeStyle::from(&$colour.mix(0.5)).stroke_width(6),
                            )
                        }))?;
                        chart
                            .draw_series(LineSeries::new(
                                shown.iter().map(|&(x, v, _)| (x, v)),
                                ShapeStyle::from(&$colour).stroke_width(2),
                            ))?
                            .label("estimate ± 1.96 MC SE")
                            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], $colour));
                        chart.draw_series(shown.iter().map(|&(x, v, _)| {
                            Circle::new((x, v), 4, ShapeStyle::from(&$colour).filled())
                        }))?;
                        legend(&mut chart, $corner, 14)?;
                    }};
                }
                if log {
                    body!(
                        builder.build_cartesian_2d(
                            (lo * 0.9..hi * 1.1)
                                .log_scale()
                                .with_key_points(log_ticks(lo * 0.9, hi * 1.1)),
                            $y
                        )?
                    );
                } else {
                    let pad = (hi - lo).max(1.0) * 0.05;
                    body!(builder.build_cartesian_2d(lo - pad..hi + pad, $y)?);
                }
            }};
        }
        panel!(
            &top,
            caption(input, "power at the values size evaluated"),
            0.0..1.0,
            "power (share of trials significant)",
            |p: &Point| p.1,
            marks.target_power,
            format!("target {}", marks.target_power),
            BLUE,
            // Power rises: the lower right is empty.
            SeriesLabelPosition::LowerRight
        );
        if let (Some(area), Some(limit)) = (bottom, marks.max_type_m) {
            let top_m = points
                .iter()
                .filter_map(|p| p.2.map(|(v, se)| v + 2.0 * se))
                .fold(limit, f64::max)
                .min(limit * 4.0)
                * 1.05;
            panel!(
                &area,
                "exaggeration ratio (type M) of significant trials".to_string(),
                1.0..top_m,
                "type M",
                |p: &Point| p.2,
                limit,
                format!("limit {limit}"),
                ORANGE,
                // The ratio falls: the upper right is empty.
                SeriesLabelPosition::UpperRight
            );
        }
        Ok(())
    };
    Some(draw().map_err(err("size_curve")))
}
