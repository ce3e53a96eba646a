use super::FigureInput;
use super::style::{
    BLUE, DARK, GREY, Key, Mark, ORANGE, caption, err, frame, house_chart, mesh, params_label,
    value,
};
use crate::error::Result;
use crate::metrics::Metric;
use crate::output::format::month_label;
use crate::scenario::Hypothesis;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Figure 2: the distribution of estimates, significant ones highlighted.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    if input.sample.estimates.len() < 20 {
        return None;
    }
    let dp = &input.result.design_points[input.sample.focus];
    let sc = &input.study.points[input.sample.focus].scenario;
    let theta = dp.truth.theta;
    let hypothesis = sc.analysis.hypothesis;
    // Lines where the claim's bound must lie beyond: the MCID of a
    // superiority trial, the margin(s) of the others.
    let (lines, line_label): (Vec<f64>, String) = match hypothesis {
        Hypothesis::Superiority => match sc.outcome.mcid {
            Some(m) => {
                let at = sc.outcome.s * m;
                (vec![at], format!("MCID ({at:+})"))
            }
            None => (Vec::new(), String::new()),
        },
        Hypothesis::NonInferiority { margin } => {
            let at = -sc.outcome.s * margin;
            (vec![at], format!("non-inferiority margin ({at:+})"))
        }
        Hypothesis::Equivalence { margin } => (
            vec![-margin, margin],
            format!("equivalence margins (±{margin})"),
        ),
    };
    let (no, yes) = match hypothesis {
        Hypothesis::Superiority => ("not significant", "significant (p < alpha)".to_string()),
        Hypothesis::NonInferiority { margin } => (
            "no claim",
            format!("non-inferiority shown (margin {margin})"),
        ),
        Hypothesis::Equivalence { margin } => {
            ("no claim", format!("equivalence shown (within ±{margin})"))
        }
    };
    // A margin is part of the picture: the axis reaches it.
    let margins: &[f64] = if hypothesis.is_superiority() {
        &[]
    } else {
        &lines
    };
    let (lo, hi) = input
        .sample
        .estimates
        .iter()
        .map(|&(x, _)| x)
        .chain(margins.iter().copied())
        .fold((theta, theta), |(a, b), x| (a.min(x), b.max(x)));
    let bins = 60usize;
    let width = ((hi - lo) / bins as f64).max(1e-9);
    let mut counts = vec![(0u32, 0u32); bins + 1];
    for &(x, sig) in &input.sample.estimates {
        let i = (((x - lo) / width) as usize).min(bins);
        if sig {
            counts[i].1 += 1;
        } else {
            counts[i].0 += 1;
        }
    }
    let top = counts.iter().map(|(a, b)| a + b).max().unwrap_or(1) as f64 * 1.05;
    let type_m = value(dp.metrics.get(Metric::TypeM));
    let power = value(dp.metrics.get(Metric::Power));
    let mut note = Vec::new();
    if let Some((p, se)) = power {
        note.push(format!(
            "power {}",
            crate::output::format::with_se(100.0 * p, 100.0 * se, 1, "%")
        ));
    }
    if let Some((m, se)) = type_m {
        let d = crate::output::format::se_decimals(se, 2);
        note.push(format!(
            "significant estimates overstate θ {m:.d$}× ± {se:.d$} (type M)"
        ));
    }
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let mut keys = vec![
            Key::new(Mark::Square(GREY), no),
            Key::new(Mark::Square(ORANGE), yes.as_str()),
            Key::new(Mark::Line(BLUE), format!("true effect θ = {theta:.2}")),
        ];
        if !lines.is_empty() {
            keys.push(Key::new(Mark::Line(DARK), line_label.as_str()));
        }
        let note = note.join("   ");
        let area = frame(
            root,
            &caption(
                input,
                &format!(
                    "estimates at month {}{}",
                    month_label(dp.month),
                    params_label(input)
                ),
            ),
            &keys,
            (!note.is_empty()).then_some(note.as_str()),
        )?;
        let mut chart = house_chart(&area).build_cartesian_2d(lo - width..hi + width, 0.0..top)?;
        mesh(&mut chart, 15)
            .x_desc(format!(
                "estimated effect, treatment − control ({}, scale points)",
                sc.outcome.label
            ))
            .y_desc(format!(
                "trials (of the first {})",
                input.sample.estimates.len()
            ))
            .draw()?;
        let bar = |i: usize, from: u32, to: u32, c: RGBColor| {
            let x0 = lo + i as f64 * width;
            Rectangle::new(
                [(x0, from as f64), (x0 + width * 0.95, to as f64)],
                ShapeStyle::from(&c).filled(),
            )
        };
        chart.draw_series(
            counts
                .iter()
                .enumerate()
                .map(|(i, &(ns, _))| bar(i, 0, ns, GREY)),
        )?;
        chart.draw_series(
            counts
                .iter()
                .enumerate()
                .map(|(i, &(ns, s))| bar(i, ns, ns + s, ORANGE)),
        )?;
        chart.draw_series(LineSeries::new(
            [(theta, 0.0), (theta, top)],
            ShapeStyle::from(&BLUE).stroke_width(3),
        ))?;
        for &at in &lines {
            chart.draw_series(LineSeries::new(
                [(at, 0.0), (at, top)],
                ShapeStyle::from(&DARK).stroke_width(2),
            ))?;
        }
        Ok(())
    };
    Some(draw().map_err(err("estimates")))
}
