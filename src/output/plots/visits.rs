use super::FigureInput;
use super::style::{
    BLUE, DARK, Key, Mark, ORANGE, caption, err, frame, house_chart, mesh, params_label, value,
};
use crate::error::Result;
use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Figure 3: effect and power over the visits.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let dp = &input.result.design_points[input.sample.focus];
    if dp.by_visit.len() < 2 {
        return None;
    }
    let sc = &input.study.points[input.sample.focus].scenario;
    let last = *sc.visits.months.last()?;
    let curve: Vec<(f64, f64)> = (0..=200)
        .map(|i| {
            let t = last * i as f64 / 200.0;
            (t, sc.theta(t))
        })
        .collect();
    // Mean estimate ± 1 SD of the estimates (the spread trials see).
    let points: Vec<(f64, f64, f64)> = dp
        .by_visit
        .iter()
        .filter_map(|v| {
            let e = v.metrics.get(Metric::MeanEstimate)?;
            let sd = e.mc_se.unwrap_or(0.0) * (e.n as f64).sqrt();
            Some((v.month, e.estimate?, sd))
        })
        .collect();
    let power: Vec<(f64, f64, f64)> = dp
        .by_visit
        .iter()
        .filter_map(|v| value(v.metrics.get(Metric::Power)).map(|(p, se)| (v.month, p, se)))
        .collect();
    let ys = curve
        .iter()
        .map(|c| c.1)
        .chain(points.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]))
        .chain([0.0]);
    let (ylo, yhi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let pad = (yhi - ylo).max(1.0) * 0.08;
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let keys = [
            Key::new(Mark::Line(BLUE), "true effect θ(t)"),
            Key::new(Mark::Dot(ORANGE), "mean estimate ± 1 SD of estimates"),
            Key::new(Mark::Dot(DARK), "power ± 1.96 MC SE"),
        ];
        let area = frame(
            root,
            &caption(
                input,
                &format!("effect and power over follow-up{}", params_label(input)),
            ),
            &keys,
            None,
        )?;
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 * 3 / 5);
        let mut chart = house_chart(&top)
            .x_label_area_size(30)
            .build_cartesian_2d(0.0..last * 1.02, ylo - pad..yhi + pad)?;
        mesh(&mut chart, 14)
            .y_desc("effect (scale points)")
            .draw()?;
        chart.draw_series(points.iter().map(|&(m, e, sd)| {
            PathElement::new(
                [(m, e - sd), (m, e + sd)],
                ShapeStyle::from(&ORANGE.mix(0.5)).stroke_width(8),
            )
        }))?;
        chart.draw_series(LineSeries::new(
            curve.iter().copied(),
            ShapeStyle::from(&BLUE).stroke_width(3),
        ))?;
        chart.draw_series(
            points
                .iter()
                .map(|&(m, e, _)| Circle::new((m, e), 5, ORANGE.filled())),
        )?;
        let mut chart = house_chart(&bottom)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..last * 1.02, 0.0..1.0)?;
        mesh(&mut chart, 14)
            .x_desc("months after baseline")
            .y_desc("power")
            .draw()?;
        chart.draw_series(power.iter().map(|&(m, p, se)| {
            PathElement::new(
                [(m, (p - 1.96 * se).max(0.0)), (m, (p + 1.96 * se).min(1.0))],
                ShapeStyle::from(&DARK).stroke_width(3),
            )
        }))?;
        chart.draw_series(LineSeries::new(
            power.iter().map(|&(m, p, _)| (m, p)),
            ShapeStyle::from(&DARK).stroke_width(2),
        ))?;
        chart.draw_series(
            power
                .iter()
                .map(|&(m, p, _)| Circle::new((m, p), 4, DARK.filled())),
        )?;
        Ok(())
    };
    Some(draw().map_err(err("visits")))
}
