use super::FigureInput;
use super::style::{
    BLUE, DARK, GREY, Key, Mark, ORANGE, RED, caption, effect_axis, err, fixed, frame, house_chart,
};
use crate::engine::LiteratureSubgroups;
use crate::error::Result;
use crate::meta::subgroups::NotIdentified;
use crate::metrics::{FactorMetrics, Metric};
use crate::output::format::group_thousands;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of the left panel (one literature's subgroup forest), in pixels.
const FOREST_WIDTH: u32 = 610;
/// Point size of the rows' words.
const FONT: f64 = 14.0;

/// Figure 10: the subgroup claims, one row per factor of
/// `meta_analysis.subgroups`. Left, the forest plot's literature analysed
/// by the factor: each level's published trials (grey squares sized by
/// weight), the level's estimate and CI from the subgroup analysis
/// (diamond), its true mean effect (blue tick), and the test of subgroup
/// differences above. Right, over every simulated literature, how often a
/// review names each level best (light bar) and how often it also finds
/// the difference significant (dark bar), the truly best level marked.
pub(super) fn draw<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let dp = &input.result.design_points[input.sample.focus];
    if dp.subgroups.is_empty() {
        return None;
    }
    let sc = &input.study.points[input.sample.focus].scenario;
    let meta = sc.meta.as_ref()?;
    let literature = input.sample.literature.as_ref();
    let published: Vec<_> = literature
        .map(|l| l.trials.iter().filter(|t| t.published).collect())
        .unwrap_or_default();
    // The true mean effect of a level's trials: theta, less the factor's
    // average shift, plus the level's (the other factors averaged over).
    let truths: Vec<Vec<f64>> = dp
        .subgroups
        .iter()
        .zip(&meta.subgroups)
        .map(|(f, &i)| {
            let probability = sc.heterogeneity.factors[i]
                .levels
                .iter()
                .map(|l| l.probability);
            let mean: f64 = f
                .levels
                .iter()
                .zip(probability)
                .map(|(l, p)| p * l.true_shift)
                .sum();
            f.levels
                .iter()
                .map(|l| dp.truth.theta + l.true_shift - mean)
                .collect()
        })
        .collect();
    let analyses: Vec<Option<&LiteratureSubgroups>> = (0..dp.subgroups.len())
        .map(|i| literature.and_then(|l| l.subgroups.get(i)))
        .collect();
    let estimates: Vec<Vec<Option<Interval>>> = analyses
        .iter()
        .zip(&dp.subgroups)
        .map(|(a, f)| match (a, literature) {
            (Some(a), Some(l)) => level_estimates(a, &published, l, meta.hartung_knapp),
            _ => vec![None; f.levels.len()],
        })
        .collect();
    // One effect axis for every factor: the trials, the levels' CIs, the
    // truths and 0.
    let (lo, hi) = published
        .iter()
        .map(|t| t.estimate)
        .chain(
            estimates
                .iter()
                .flatten()
                .flatten()
                .flat_map(|e| [e.ci_low, e.ci_high]),
        )
        .chain(truths.iter().flatten().copied())
        .chain([0.0])
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let pad = (hi - lo).max(1.0) * 0.05;
    let note = literature.map_or_else(
        || "no simulated literature could be pooled: only the shares are drawn".to_string(),
        crate::output::format::forest_literature,
    );
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let keys = [
            Key::new(Mark::Square(GREY), "a trial (size: weight)"),
            Key::new(Mark::Square(ORANGE), "level's estimate and 95% CI"),
            Key::new(Mark::Line(BLUE), "level's true mean effect"),
            Key::new(Mark::Square(LIGHT), "named best"),
            Key::new(Mark::Square(RED), "named best, difference significant"),
        ];
        let area = frame(root, &caption(input, "subgroup claims"), &keys, Some(&note))?;
        let rows = area.split_evenly((dp.subgroups.len(), 1));
        for ((((factor, row), truth), analysis), estimates) in dp
            .subgroups
            .iter()
            .zip(&rows)
            .zip(&truths)
            .zip(&analyses)
            .zip(&estimates)
        {
            let (left, right) = row.split_horizontally(FOREST_WIDTH);
            let panel = Panel {
                factor,
                published: &published,
                analysis: *analysis,
                estimates,
                truth,
                x: lo - pad..hi + pad,
                s: sc.outcome.s,
            };
            panel.forest(&left)?;
            panel.shares(&right, dp.replicates)?;
        }
        Ok(())
    };
    Some(draw().map_err(err("subgroups")))
}

/// The light bar: named best.
const LIGHT: RGBColor = RGBColor(250, 200, 150);

/// One factor's row of the figure.
struct Panel<'a> {
    factor: &'a FactorMetrics,
    published: &'a [&'a crate::engine::LiteratureTrial],
    analysis: Option<&'a LiteratureSubgroups>,
    /// Each level's estimate in the literature ([`level_estimates`]).
    estimates: &'a [Option<Interval>],
    truth: &'a [f64],
    x: std::ops::Range<f64>,
    /// The outcome's direction: −1 when lower is better.
    s: f64,
}

/// An estimate and its 95% CI.
#[derive(Debug, Clone, Copy)]
struct Interval {
    mu: f64,
    ci_low: f64,
    ci_high: f64,
}

impl Panel<'_> {
    /// Levels, top to bottom: level `j` sits at height `L − j − 0.5`.
    fn y(&self, j: usize) -> f64 {
        (self.factor.levels.len() - j) as f64 - 0.5
    }

    /// `px` pixels in row units of `chart`, at most `most` rows.
    fn rows<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
        chart: &ChartContext<DB, Cartesian2d<X, RangedCoordf64>>,
        px: f64,
        most: f64,
    ) -> f64 {
        let x = chart.x_range().start;
        let row_px = (chart.backend_coord(&(x, 0.0)).1 - chart.backend_coord(&(x, 1.0)).1) as f64;
        (px / row_px.max(1.0)).min(most)
    }

    /// The factor's name in words.
    fn name(&self) -> String {
        self.factor.name.replace('_', " ")
    }

    /// Left: the literature analysed by the factor.
    fn forest<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let levels = self.factor.levels.len();
        let title = match self.analysis.map(|a| &a.fit) {
            Some(Ok(fit)) => format!(
                "{}: this literature, test of differences p {} (bold: best estimate)",
                self.name(),
                p_value(fit.p_value)
            ),
            Some(Err(why)) => format!(
                "{}: this literature cannot be tested ({})",
                self.name(),
                why_words(*why)
            ),
            None => format!("{}: no literature to show", self.name()),
        };
        // The level this literature names best: the most favourable
        // estimate, when the analysis could be made (as the metrics count).
        let named = self.analysis.and_then(|a| a.named_best(self.s));
        let body = heading(area, title)?;
        let mut chart = house_chart(&body)
            .margin_top(2)
            .x_label_area_size(40)
            .y_label_area_size(150)
            .right_y_label_area_size(160)
            .build_cartesian_2d(self.x.clone(), 0.0..levels as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|x| super::style::tick(x))
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", FONT))
            .x_desc(effect_axis(self.s))
            .draw()?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (0.0, levels as f64)], &DARK))?;
        let fit = self.analysis.and_then(|a| a.fit.as_ref().ok());
        let tau2 = fit.map_or(0.0, |f| f.tau2);
        let weight = |se: f64| 1.0 / (se * se + tau2);
        let wmax = self
            .published
            .iter()
            .map(|t| weight(t.se))
            .fold(0.0, f64::max);
        let style = ("sans-serif", FONT).into_font().color(&DARK);
        let (x0, x1) = (self.x.start, self.x.end);
        let tick = Self::rows(&chart, 22.0, 0.35);
        for (j, level) in self.factor.levels.iter().enumerate() {
            let y = self.y(j);
            let k = self.analysis.map_or(0, |a| a.counts[j]);
            // Its estimate and CI.
            let estimate = self.estimates[j];
            if let Some(l) = estimate {
                let h = Self::rows(&chart, 12.0, 0.16);
                chart.draw_series([Polygon::new(
                    vec![(l.ci_low, y), (l.mu, y + h), (l.ci_high, y), (l.mu, y - h)],
                    ORANGE.mix(0.85).filled(),
                )])?;
            }
            // The level's trials.
            if let Some(a) = self.analysis {
                for (t, _) in self.published.iter().zip(&a.of).filter(|(_, l)| **l == j) {
                    let half = (2.0 + 5.0 * (weight(t.se) / wmax).sqrt()) as i32;
                    // Outlined, so that trials on top of each other show.
                    chart.draw_series([EmptyElement::at((t.estimate, y))
                        + Rectangle::new(
                            [(-half, -half), (half, half)],
                            GREY.mix(0.7).filled(),
                        )
                        + Rectangle::new([(-half, -half), (half, half)], DARK.stroke_width(1))])?;
                }
            }
            chart.draw_series(LineSeries::new(
                [(self.truth[j], y - tick), (self.truth[j], y + tick)],
                ShapeStyle::from(&BLUE).stroke_width(3),
            ))?;
            let (px0, py) = within(area, chart.backend_coord(&(x0, y)));
            let (px1, _) = within(area, chart.backend_coord(&(x1, y)));
            let trials_word = if k == 1 { "trial" } else { "trials" };
            let style = if named == Some(j) {
                bold()
            } else {
                style.clone()
            };
            area.draw(&Text::new(
                format!("{} ({k} {trials_word})", level.level.replace('_', " ")),
                (px0 - 8, py),
                style.pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            let numbers = estimate.map_or_else(
                || "no estimate".to_string(),
                |l| {
                    format!(
                        "{} [{}, {}]",
                        fixed(l.mu),
                        fixed(l.ci_low),
                        fixed(l.ci_high)
                    )
                },
            );
            area.draw(&Text::new(
                numbers,
                (px1 + 8, py),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(())
    }

    /// Right: over every literature, how often each level is named best.
    fn shares<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        replicates: u64,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let levels = self.factor.levels.len();
        let title = format!(
            "{} named best, over {} literatures",
            self.name(),
            group_thousands(replicates)
        );
        let body = heading(area, title)?;
        let mut chart = house_chart(&body)
            .margin_top(2)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(8)
            .build_cartesian_2d(0.0..1.0, 0.0..levels as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(5)
            .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", FONT))
            .x_desc("share of literatures")
            .draw()?;
        let style = ("sans-serif", FONT).into_font().color(&DARK);
        for (j, level) in self.factor.levels.iter().enumerate() {
            let y = self.y(j);
            let share = |m: Metric| level.metrics.get(m).and_then(|e| e.estimate).unwrap_or(0.0);
            let named = share(Metric::SubgroupNamedBest);
            let claimed = share(Metric::SubgroupClaimedBest);
            let h = Self::rows(&chart, 16.0, 0.25);
            chart.draw_series([Rectangle::new(
                [(0.0, y - h), (named, y + h)],
                LIGHT.filled(),
            )])?;
            chart.draw_series([Rectangle::new(
                [(0.0, y - h), (claimed, y + h)],
                RED.filled(),
            )])?;
            let best = if level.truly_best { ", truly best" } else { "" };
            let words = format!(
                "{}: {:.0}% ({:.0}% significant){best}",
                level.level.replace('_', " "),
                named * 100.0,
                claimed * 100.0
            );
            // The words sit over the bar, from its start.
            let (px, py) = within(area, chart.backend_coord(&(0.0, y + h)));
            let style = if level.truly_best {
                bold()
            } else {
                style.clone()
            };
            area.draw(&Text::new(
                words,
                (px + 4, py - 3),
                style.pos(Pos::new(HPos::Left, VPos::Bottom)),
            ))?;
        }
        Ok(())
    }
}

/// The rows' words in bold. (Built with the style, not by plotters'
/// `FontDesc::style`, which keeps the regular face's glyphs: bold in SVG,
/// regular in PNG.)
fn bold() -> TextStyle<'static> {
    ("sans-serif", FONT, FontStyle::Bold)
        .into_font()
        .color(&DARK)
}

/// Writes `title` centred over `area` and returns the area under it.
fn heading<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: String,
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (head, body) = area.split_vertically(24);
    let (width, _) = area.dim_in_pixel();
    head.draw(&Text::new(
        title,
        (width as i32 / 2, 14),
        ("sans-serif", FONT + 1.0)
            .into_font()
            .color(&DARK)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(body)
}

/// Each level's estimate and CI in the literature: the subgroup
/// analysis's; where it cannot be made, what a reader still sees — with
/// one level present, the literature's pooled estimate (its CI as pooled:
/// HKSJ's with `hksj`); with one trial a level, each trial's own. `None`
/// for a level absent from the literature.
fn level_estimates(
    analysis: &LiteratureSubgroups,
    published: &[&crate::engine::LiteratureTrial],
    literature: &crate::engine::ForestLiterature,
    hksj: bool,
) -> Vec<Option<Interval>> {
    let mut out = vec![None; analysis.counts.len()];
    match &analysis.fit {
        Ok(fit) => {
            for (l, &j) in fit.levels.iter().zip(&analysis.present) {
                out[j] = Some(Interval {
                    mu: l.mu,
                    ci_low: l.ci_low,
                    ci_high: l.ci_high,
                });
            }
        }
        Err(NotIdentified::OneLevel) => {
            if let (Some(p), Some(&j)) = (literature.record.pooled, analysis.present.first()) {
                let (ci_low, ci_high) = if hksj {
                    (p.ci_low_hksj, p.ci_high_hksj)
                } else {
                    (p.ci_low, p.ci_high)
                };
                out[j] = Some(Interval {
                    mu: p.mu,
                    ci_low,
                    ci_high,
                });
            }
        }
        Err(NotIdentified::OneStudyPerLevel) => {
            for (t, &j) in published.iter().zip(&analysis.of) {
                out[j] = Some(Interval {
                    mu: t.estimate,
                    ci_low: t.ci_low,
                    ci_high: t.ci_high,
                });
            }
        }
    }
    out
}

/// Why a literature's subgroup analysis could not be made, in words.
fn why_words(why: NotIdentified) -> &'static str {
    match why {
        NotIdentified::OneLevel => "every trial has the same level",
        NotIdentified::OneStudyPerLevel => "one trial per level",
    }
}

/// A p-value after "p": "< 0.001", or "= " and three decimals.
fn p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_string()
    } else {
        format!("= {p:.3}")
    }
}

/// A pixel of the backend as a position within `area`.
fn within<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, (x, y): (i32, i32)) -> (i32, i32) {
    let (bx, by) = area.get_base_pixel();
    (x - bx, y - by)
}
