use super::FigureInput;
use super::style::{
    BLUE, DARK, Key, Mark, ORANGE, RED, caption, effect_axis, err, fixed, frame, house_chart, mesh,
};
use crate::engine::LiteratureTrial;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Figure 4: one simulated meta-analysis as a forest plot: each published
/// trial's estimate (a square sized by its weight) and CI, labelled on the
/// left with its arms' sizes and on the right with its numbers; the pooled
/// estimate (diamond) and the prediction interval under them; the true mean
/// effect and the line of no effect across.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let literature = input.sample.literature.as_ref()?;
    let pooled = literature.record.pooled?;
    let published: Vec<&LiteratureTrial> =
        literature.trials.iter().filter(|t| t.published).collect();
    let k = published.len();
    let theta = input.result.design_points[input.sample.focus].truth.theta;
    let (lo, hi) = published
        .iter()
        .flat_map(|t| [t.ci_low, t.ci_high])
        .chain([
            pooled.ci_low,
            pooled.ci_high,
            pooled.pi_low,
            pooled.pi_high,
            theta,
            0.0,
        ])
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let pad = (hi - lo).max(1.0) * 0.04;
    let weights: Vec<f64> = published
        .iter()
        .map(|t| 1.0 / (t.se * t.se + pooled.tau2))
        .collect();
    let wmax = weights.iter().cloned().fold(0.0, f64::max);
    let interval = |a: f64, b: f64| format!("[{}, {}]", fixed(a), fixed(b));
    // Rows from the top: the trials, a gap, the pooled estimate, the
    // prediction interval. Each row: (y, words on the left, numbers on the right).
    let top = k as f64 + 3.0;
    let mut rows: Vec<(f64, String, String)> = published
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                top - 1.0 - i as f64,
                format!("trial {}  (n = {} + {})", i + 1, t.n_treatment, t.n_control),
                format!("{} {}", fixed(t.estimate), interval(t.ci_low, t.ci_high)),
            )
        })
        .collect();
    rows.push((
        1.4,
        "pooled estimate".to_string(),
        format!(
            "{} {}",
            fixed(pooled.mu),
            interval(pooled.ci_low, pooled.ci_high)
        ),
    ));
    if pooled.pi_low.is_finite() {
        rows.push((
            0.5,
            "95% prediction interval".to_string(),
            interval(pooled.pi_low, pooled.pi_high),
        ));
    }
    let note = crate::output::format::forest_literature(literature);
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let keys = [
            Key::new(
                Mark::Square(BLUE),
                "trial estimate (size: weight) and 95% CI",
            ),
            Key::new(Mark::Square(ORANGE), "pooled estimate and 95% CI"),
            Key::new(Mark::Line(RED), "prediction interval"),
            Key::new(
                Mark::Line(BLUE),
                format!("true mean effect θ = {}", fixed(theta)),
            ),
            Key::new(Mark::Line(DARK), "no effect"),
        ];
        let area = frame(
            root,
            &caption(
                input,
                &format!("one simulated meta-analysis of {k} published trials"),
            ),
            &keys,
            Some(&note),
        )?;
        // Row height in pixels sets the text size; with very many trials
        // only every few are labelled, so labels never collide.
        let row_px = (area.dim_in_pixel().1 as f64 - 80.0) / top;
        let font = (row_px * 0.7).clamp(8.0, 14.0);
        let every = (font * 1.3 / row_px).ceil().max(1.0) as usize;
        let shown: Vec<&(f64, String, String)> = rows
            .iter()
            .enumerate()
            .filter(|(i, _)| *i >= k || i % every == 0)
            .map(|(_, r)| r)
            .collect();
        // The label areas stay empty for the rows' words, drawn on the root
        // at each row's pixel height (left: the trial; right: its numbers).
        let mut chart = house_chart(&area)
            .y_label_area_size(200)
            .right_y_label_area_size(190)
            .build_cartesian_2d(lo - pad..hi + pad, 0.0..top)?;
        mesh(&mut chart, 15)
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(effect_axis(
                input.study.points[input.sample.focus].scenario.outcome.s,
            ))
            .draw()?;
        let style = ("sans-serif", font).into_font().color(&DARK);
        for (y, left, right) in &shown {
            let (x0, py) = chart.backend_coord(&(lo - pad, *y));
            let (x1, _) = chart.backend_coord(&(hi + pad, *y));
            root.draw(&Text::new(
                left.clone(),
                (x0 - 10, py),
                style.pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            root.draw(&Text::new(
                right.clone(),
                (x1 + 10, py),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        chart.draw_series(LineSeries::new([(0.0, 0.0), (0.0, top)], &DARK))?;
        chart.draw_series(LineSeries::new(
            [(theta, 0.0), (theta, top)],
            ShapeStyle::from(&BLUE).stroke_width(2),
        ))?;
        let most = (row_px * 0.45).max(2.0);
        for ((t, w), (y, _, _)) in published.iter().zip(&weights).zip(&rows) {
            chart.draw_series(LineSeries::new([(t.ci_low, *y), (t.ci_high, *y)], &DARK))?;
            let half = ((3.0 + 7.0 * (w / wmax).sqrt()).min(most)) as i32;
            chart.draw_series([EmptyElement::at((t.estimate, *y))
                + Rectangle::new([(-half, -half), (half, half)], BLUE.filled())])?;
        }
        let y = 1.4;
        let h = 0.35;
        chart.draw_series([Polygon::new(
            vec![
                (pooled.ci_low, y),
                (pooled.mu, y + h),
                (pooled.ci_high, y),
                (pooled.mu, y - h),
            ],
            ORANGE.filled(),
        )])?;
        if pooled.pi_low.is_finite() {
            chart.draw_series(LineSeries::new(
                [(pooled.pi_low, 0.5), (pooled.pi_high, 0.5)],
                ShapeStyle::from(&RED).stroke_width(3),
            ))?;
        }
        Ok(())
    };
    Some(draw().map_err(err("forest")))
}
