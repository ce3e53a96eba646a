use super::FigureInput;
use super::style::{BLUE, DARK, GREY, ORANGE, RED, caption, err, house_chart, legend, mesh};
use crate::engine::LiteratureTrial;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Figure 4: one simulated meta-analysis as a forest plot.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let (trials, record) = input.sample.literature.as_ref()?;
    let pooled = record.pooled?;
    let published: Vec<&LiteratureTrial> = trials.iter().filter(|t| t.published).collect();
    let k = published.len();
    let theta = input.result.design_points[input.sample.focus].truth.theta;
    let xs = published
        .iter()
        .flat_map(|t| [t.ci_low, t.ci_high])
        .chain([pooled.pi_low, pooled.pi_high, theta, 0.0])
        .filter(|x| x.is_finite());
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let pad = (hi - lo).max(1.0) * 0.05;
    let weights: Vec<f64> = published
        .iter()
        .map(|t| 1.0 / (t.se * t.se + pooled.tau2))
        .collect();
    let wmax = weights.iter().cloned().fold(0.0, f64::max);
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        // Two spare rows on top for the legend, then the trials, the diamond and the PI.
        let rows = k as f64 + 5.0;
        let mut chart = house_chart(
            root,
            caption(
                input,
                &format!("one simulated meta-analysis of {k} published trials"),
            ),
        )
        .y_label_area_size(110)
        .build_cartesian_2d(lo - pad..hi + pad, 0.0..rows)?;
        mesh(&mut chart, 15)
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("effect, treatment − control (scale points)")
            .draw()?;
        for (i, (t, w)) in published.iter().zip(&weights).enumerate() {
            let y = rows - 3.0 - i as f64;
            chart.draw_series(LineSeries::new([(t.ci_low, y), (t.ci_high, y)], &DARK))?;
            let half = 3 + (9.0 * (w / wmax).sqrt()) as i32;
            chart.draw_series([EmptyElement::at((t.estimate, y))
                + Rectangle::new([(-half, -half), (half, half)], BLUE.filled())])?;
            chart.draw_series([Text::new(
                format!("trial {} (n = {})", i + 1, t.n_control),
                (lo - pad, y + 0.25),
                ("sans-serif", 13).into_font().color(&DARK),
            )])?;
        }
        let y = 1.2;
        chart
            .draw_series([Polygon::new(
                vec![
                    (pooled.ci_low, y),
                    (pooled.mu, y + 0.35),
                    (pooled.ci_high, y),
                    (pooled.mu, y - 0.35),
                ],
                ORANGE.filled(),
            )])?
            .label(format!(
                "pooled {:.2} [{:.2}, {:.2}]",
                pooled.mu, pooled.ci_low, pooled.ci_high
            ))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], ORANGE.filled()));
        if pooled.pi_low.is_finite() {
            chart
                .draw_series(LineSeries::new(
                    [(pooled.pi_low, 0.5), (pooled.pi_high, 0.5)],
                    ShapeStyle::from(&RED).stroke_width(3),
                ))?
                .label(format!(
                    "95% prediction interval [{:.2}, {:.2}]",
                    pooled.pi_low, pooled.pi_high
                ))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED));
        }
        chart
            .draw_series(LineSeries::new(
                [(theta, 0.0), (theta, rows)],
                ShapeStyle::from(&BLUE).stroke_width(2),
            ))?
            .label(format!("true effect θ = {theta:.2}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE));
        chart.draw_series(LineSeries::new([(0.0, 0.0), (0.0, rows)], &GREY))?;
        legend(&mut chart, SeriesLabelPosition::UpperRight, 14)?;
        Ok(())
    };
    Some(draw().map_err(err("forest")))
}
