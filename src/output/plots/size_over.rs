use super::FigureInput;
use super::curves::{Axis, Panel, Series, draw_panel};
use super::style::{BLUE, Key, Mark, caption, err, key_words};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// `size --over`'s figure: the answer at each value of the second
/// parameter (the detectable effect against n, the tolerable dropout
/// against n), each continuous answer with the values within Monte Carlo
/// error of the target as a bar. Values without an answer in range are left
/// out (the table says why).
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let Some(super::SizeFigure::Over(over)) = input.size.as_ref() else {
        return None;
    };
    let mut answers = Series {
        colour: BLUE,
        points: Vec::new(),
    };
    let mut bars = Vec::new();
    for row in &over.rows {
        let x =
            (row.over_value.as_float()).or_else(|| row.over_value.as_integer().map(|i| i as f64));
        let (Some(x), Some(a)) = (x, &row.answer) else {
            continue;
        };
        let y = a.value.as_f64();
        answers.points.push((x, y, 0.0));
        if let Some([lo, hi]) = a.interval {
            bars.push((x, lo, hi));
        }
    }
    let axis = Axis::new(&over.over, answers.points.iter().map(|p| p.0))?;
    let (lo, hi) = answers
        .points
        .iter()
        .map(|p| (p.1, p.1))
        .chain(bars.iter().map(|b| (b.1, b.2)))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (l, h)| {
            (a.min(l), b.max(h))
        });
    let pad = ((hi - lo) * 0.08)
        .max(hi.abs().max(lo.abs()) * 0.02)
        .max(1e-9);
    let y = (lo - pad)..(hi + pad);
    let reqs = over
        .requirements
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    let answer_words = key_words(&over.param);
    let title = if over.param == "effect.peak" {
        format!("detectable effect (peak, scale points) with {reqs}")
    } else {
        format!("{} {answer_words} with {reqs}", over.direction_word())
    };
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let mut keys = vec![Key::new(Mark::Line(BLUE), "answer")];
        if !bars.is_empty() {
            keys.push(Key::new(
                // BLUE at half opacity on white, as the bars are drawn.
                Mark::Line(RGBColor(143, 187, 217)),
                "values within 2 MC SE of the limit",
            ));
        }
        let area = super::style::frame(root, &caption(input, &title), &keys, None)?;
        draw_panel(
            &area,
            &axis,
            &Panel {
                title: None,
                y_title: &answer_words,
                y,
                reference: None,
                marker: None,
                series: std::slice::from_ref(&answers),
                bars: &bars,
            },
        )
    };
    Some(draw().map_err(err("size_over")))
}
