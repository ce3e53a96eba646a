use super::FigureInput;
use super::style::{BLUE, GREY, RED, caption, err, house_chart, legend, mesh};
use crate::engine::LiteratureTrial;
use crate::error::Result;
use crate::meta::pooling::egger_line;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Figure 5: funnel plot of simulated literatures with Egger's line.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    if input.sample.funnel.len() < 10 {
        return None;
    }
    let pubd: Vec<&LiteratureTrial> = input.sample.funnel.iter().filter(|t| t.published).collect();
    let unpub: Vec<&LiteratureTrial> = input
        .sample
        .funnel
        .iter()
        .filter(|t| !t.published)
        .collect();
    let se_max = input.sample.funnel.iter().map(|t| t.se).fold(0.0, f64::max) * 1.05;
    let (lo, hi) = input
        .sample
        .funnel
        .iter()
        .fold((0.0f64, 0.0f64), |(a, b), t| {
            (a.min(t.estimate), b.max(t.estimate))
        });
    // Egger's regression of z = y/se on precision 1/se over the published
    // trials, drawn in funnel coordinates as y = slope + intercept · se.
    let (y, v): (Vec<f64>, Vec<f64>) = pubd.iter().map(|t| (t.estimate, t.se * t.se)).unzip();
    let egger = egger_line(&y, &v).map(|e| (e.intercept, e.slope));
    let centre = pubd.iter().map(|t| t.estimate / (t.se * t.se)).sum::<f64>()
        / pubd.iter().map(|t| 1.0 / (t.se * t.se)).sum::<f64>();
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let pad = (hi - lo).max(1.0) * 0.05;
        let mut chart = house_chart(
            root,
            caption(
                input,
                &format!("funnel of {} simulated trials", input.sample.funnel.len()),
            ),
        )
        .build_cartesian_2d(lo - pad..hi + pad, se_max..0.0)?;
        mesh(&mut chart, 15)
            .x_desc("estimated effect (scale points)")
            .y_desc("standard error")
            .draw()?;
        chart.draw_series(LineSeries::new(
            [
                (centre - 1.96 * se_max, se_max),
                (centre, 0.0),
                (centre + 1.96 * se_max, se_max),
            ],
            ShapeStyle::from(&GREY).stroke_width(1),
        ))?;
        chart
            .draw_series(
                unpub
                    .iter()
                    .map(|t| Circle::new((t.estimate, t.se), 3, GREY.filled())),
            )?
            .label("unpublished")
            .legend(|(x, y)| Circle::new((x + 7, y), 4, GREY.filled()));
        chart
            .draw_series(
                pubd.iter()
                    .map(|t| Circle::new((t.estimate, t.se), 3, BLUE.filled())),
            )?
            .label("published")
            .legend(|(x, y)| Circle::new((x + 7, y), 4, BLUE.filled()));
        if let Some((a, b)) = egger {
            chart
                .draw_series(LineSeries::new(
                    [(b, 0.0), (b + a * se_max, se_max)],
                    ShapeStyle::from(&RED).stroke_width(2),
                ))?
                .label(format!("Egger line (intercept {a:.2})"))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 14)?;
        Ok(())
    };
    Some(draw().map_err(err("funnel")))
}
