use super::FigureInput;
use super::style::{BLUE, GREY, Key, Mark, ORANGE, RED, caption, err, frame, house_chart, mesh};
use crate::engine::LiteratureTrial;
use crate::error::Result;
use crate::meta::pooling::egger_line;
use plotters::coord::Shift;
use plotters::prelude::*;
use statrs::statistics::{Data, OrderStatistics};

/// Figure 5: funnel plot of simulated literatures with Egger's line.
///
/// The axes cover the bulk of the trials, not the most extreme one: each
/// axis ends at the furthest value within 3 interquartile ranges of its
/// quartiles (Tukey's far-out fences), widened to take in the pooled
/// estimate and zero. A trial beyond is drawn at the edge as a triangle
/// and counted in the key.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let all = &input.sample.funnel;
    if all.len() < 10 {
        return None;
    }
    let pubd: Vec<&LiteratureTrial> = all.iter().filter(|t| t.published).collect();
    // Egger's regression of z = y/se on precision 1/se over the published
    // trials, drawn in funnel coordinates as y = slope + intercept · se.
    let (y, v): (Vec<f64>, Vec<f64>) = pubd.iter().map(|t| (t.estimate, t.se * t.se)).unzip();
    let egger = egger_line(&y, &v).map(|e| (e.intercept, e.slope));
    let centre = pubd.iter().map(|t| t.estimate / (t.se * t.se)).sum::<f64>()
        / pubd.iter().map(|t| 1.0 / (t.se * t.se)).sum::<f64>();
    let (lo, hi) = fenced(all.iter().map(|t| t.estimate));
    let (lo, hi) = (lo.min(centre).min(0.0), hi.max(centre).max(0.0));
    let se_max = fenced(all.iter().map(|t| t.se)).1 * 1.05;
    let pad = (hi - lo).max(1.0) * 0.05;
    let (xlo, xhi) = (lo - pad, hi + pad);
    let inside = |t: &LiteratureTrial| (xlo..=xhi).contains(&t.estimate) && t.se <= se_max;
    let beyond = all.iter().filter(|t| !inside(t)).count();
    let at_edge = |t: &LiteratureTrial| (t.estimate.clamp(xlo, xhi), t.se.min(se_max));
    // With selective publication, what the corrections see in these
    // published trials: trim-and-fill's filled studies and the PET-PEESE
    // line (the methods of `pool --bias`, on the trials drawn together).
    let sc = &input.study.points[input.sample.focus].scenario;
    let (filled, pet_peese) = match &sc.meta {
        Some(m) if m.publish_nonsignificant < 1.0 => (
            // Only the filled trials are drawn: the CI's level does not matter.
            crate::meta::bias::trim_and_fill(&y, &v, Some(m.estimator), 1.96)
                .map_or_else(Vec::new, |t| t.filled),
            crate::meta::bias::pet_peese_line(&y, &v, sc.analysis.alpha, sc.outcome.s),
        ),
        _ => (Vec::new(), None),
    };
    // PET's line is Egger's line in funnel coordinates (the same weighted
    // regression): only PEESE's curve needs drawing.
    let pet_estimate = pet_peese.filter(|p| !p.2).map(|p| p.0);
    let curve: Vec<(f64, f64)> = pet_peese
        .filter(|p| p.2)
        .map_or_else(Vec::new, |(a, b, _)| {
            (0..=100)
                .map(|i| {
                    let se = se_max * f64::from(i) / 100.0;
                    (a + b * se * se, se)
                })
                .filter(|&(x, _)| (xlo..=xhi).contains(&x))
                .collect()
        });
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let mut keys = vec![
            Key::new(Mark::Dot(BLUE), "published"),
            Key::new(Mark::Dot(GREY), "unpublished"),
        ];
        if let Some((a, b)) = egger {
            keys.push(Key::new(
                Mark::Line(RED),
                match pet_estimate {
                    Some(_) => format!(
                        "Egger's line (intercept {a:.2}), PET's too: estimate at SE 0 {b:.2}"
                    ),
                    None => format!("Egger's line (intercept {a:.2})"),
                },
            ));
        }
        keys.push(Key::new(Mark::Line(GREY), "pooled estimate ± 1.96 SE"));
        if !filled.is_empty() {
            keys.push(Key::new(
                Mark::Triangle(ORANGE),
                format!("filled by trim-and-fill ({})", filled.len()),
            ));
        }
        if let Some((a, _, true)) = pet_peese {
            keys.push(Key::new(
                Mark::Line(ORANGE),
                format!("PEESE curve (chosen by PET-PEESE): estimate at SE 0 {a:.2}"),
            ));
        }
        if beyond > 0 {
            keys.push(Key::new(
                Mark::Triangle(GREY),
                format!("beyond the axes, drawn at the edge ({beyond})"),
            ));
        }
        let area = frame(
            root,
            &caption(input, &format!("funnel of {} simulated trials", all.len())),
            &keys,
            None,
        )?;
        let mut chart = house_chart(&area).build_cartesian_2d(xlo..xhi, se_max..0.0)?;
        mesh(&mut chart, 15)
            .x_desc("estimated effect (scale points)")
            .y_desc("standard error")
            .draw()?;
        let sides =
            [-1.96, 1.96].map(|z| clip((centre, 0.0), (centre + z * se_max, se_max), xlo, xhi));
        for side in sides.into_iter().flatten() {
            chart.draw_series(LineSeries::new(
                side,
                ShapeStyle::from(&GREY).stroke_width(1),
            ))?;
        }
        for (published, colour) in [(false, GREY), (true, BLUE)] {
            let group = || all.iter().filter(move |t| t.published == published);
            chart.draw_series(
                group()
                    .filter(|t| inside(t))
                    .map(|t| Circle::new((t.estimate, t.se), 3, colour.filled())),
            )?;
            chart.draw_series(group().filter(|t| !inside(t)).map(|t| {
                TriangleMarker::new(at_edge(t), 5, ShapeStyle::from(&colour).stroke_width(2))
            }))?;
        }
        chart.draw_series(
            filled
                .iter()
                .map(|&(x, v)| (x, v.sqrt()))
                .filter(|&(x, se)| (xlo..=xhi).contains(&x) && se <= se_max)
                .map(|p| TriangleMarker::new(p, 5, ShapeStyle::from(&ORANGE).stroke_width(2))),
        )?;
        if curve.len() > 1 {
            chart.draw_series(LineSeries::new(
                curve.iter().copied(),
                ShapeStyle::from(&ORANGE).stroke_width(2),
            ))?;
        }
        if let Some(line) =
            egger.and_then(|(a, b)| clip((b, 0.0), (b + a * se_max, se_max), xlo, xhi))
        {
            chart.draw_series(LineSeries::new(
                line,
                ShapeStyle::from(&RED).stroke_width(2),
            ))?;
        }
        Ok(())
    };
    Some(draw().map_err(err("funnel")))
}

/// The part of the segment `a`–`b` whose estimate (x) lies in [`lo`,
/// `hi`], if any: lines stop at the axes rather than run over the labels.
fn clip(a: (f64, f64), b: (f64, f64), lo: f64, hi: f64) -> Option<[(f64, f64); 2]> {
    let at = |t: f64| (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
    if a.0 == b.0 {
        return (lo..=hi).contains(&a.0).then_some([a, b]);
    }
    let (t0, t1) = ((lo - a.0) / (b.0 - a.0), (hi - a.0) / (b.0 - a.0));
    let (from, to) = (t0.min(t1).max(0.0), t0.max(t1).min(1.0));
    (from <= to).then(|| [at(from), at(to)])
}

/// The smallest and largest values within Tukey's far-out fences (the
/// quartiles ∓ 3 IQR).
fn fenced(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let values: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    let mut data = Data::new(values.clone());
    let (q1, q3) = (data.lower_quartile(), data.upper_quartile());
    let (a, b) = (q1 - 3.0 * (q3 - q1), q3 + 3.0 * (q3 - q1));
    values
        .iter()
        .filter(|x| (a..=b).contains(*x))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

#[cfg(test)]
mod tests {
    use super::{clip, fenced};

    #[test]
    fn one_outlier_does_not_stretch_the_axis() {
        let mut values: Vec<f64> = (0..40).map(|i| f64::from(i) / 4.0).collect();
        values.push(500.0);
        assert_eq!(fenced(values.into_iter()), (0.0, 9.75));
    }

    #[test]
    fn lines_stop_at_the_axes() {
        assert_eq!(
            clip((0.0, 0.0), (4.0, 2.0), -1.0, 2.0),
            Some([(0.0, 0.0), (2.0, 1.0)])
        );
        assert_eq!(
            clip((-4.0, 2.0), (4.0, 0.0), -2.0, 2.0),
            Some([(-2.0, 1.5), (2.0, 0.5)])
        );
        assert_eq!(clip((5.0, 0.0), (6.0, 1.0), -2.0, 2.0), None);
    }
}
