//! Figures (plotters), each written as SVG and PNG into `plots/`:
//!
//! 1. `power_curve`: power against the swept parameter, with 95% Monte Carlo
//!    bands and the target line (only when the scenario sweeps a number);
//! 2. `estimates`: the distribution of estimates at the primary visit,
//!    significant ones highlighted, the truth and the MCID marked, the
//!    exaggeration ratio written on it (the winner's curse);
//! 3. `visits`: true `theta(t)`, the mean estimate with a band, and power at
//!    each visit (when the scenario analyses every visit);
//! 4. `forest`: one simulated meta-analysis (when the scenario has one);
//! 5. `funnel`: the simulated literature, published and unpublished trials
//!    told apart, with Egger's line (when the scenario has a meta-analysis).
//!
//! Text is drawn with DejaVu Sans, embedded (crate `dejavu`) and rendered by
//! ab_glyph, so PNGs need no system fonts.

use crate::engine::{LiteratureTrial, RunResult};
use crate::error::{Error, Result};
use crate::metrics::{Estimate, MetaRecord};
use crate::output::month_label;
use crate::scenario::Study;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Width and height of every figure, in pixels.
pub const SIZE: (u32, u32) = (1000, 640);

/// What the figures draw.
#[derive(Debug)]
pub struct FigureInput<'a> {
    /// The scenario.
    pub study: &'a Study,
    /// The run's results.
    pub result: &'a RunResult,
    /// The design point that figures 2–5 show.
    pub focus: usize,
    /// Estimates (and significance) of the focus point's first replicates.
    pub estimates: Vec<(f64, bool)>,
    /// One simulated literature of the focus point.
    pub literature: Option<(Vec<LiteratureTrial>, MetaRecord)>,
    /// The trials of several simulated literatures, for the funnel plot.
    pub funnel: Vec<LiteratureTrial>,
    /// The power the power curve marks.
    pub target_power: f64,
}

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(230, 120, 20);
const GREY: RGBColor = RGBColor(150, 150, 150);
const DARK: RGBColor = RGBColor(40, 40, 40);
const RED: RGBColor = RGBColor(200, 40, 40);

fn register_fonts() -> Result<()> {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *ONCE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
            && plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
                .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Internal(
            "cannot load the embedded DejaVu font".into(),
        ))
    }
}

fn err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Internal(format!("drawing {what}: {e:?}"))
}

/// Draws every figure the input supports into `dir` (as NAME.svg and
/// NAME.png) and returns the names drawn, in order.
///
/// # Errors
/// [`Error::Internal`] when a figure cannot be drawn or written.
pub fn render_all(input: &FigureInput, dir: &Path) -> Result<Vec<&'static str>> {
    register_fonts()?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut drawn = Vec::new();
    macro_rules! figure {
        ($name:literal, $draw:ident) => {{
            let svg_path = dir.join(concat!($name, ".svg"));
            let root = SVGBackend::new(&svg_path, SIZE).into_drawing_area();
            let outcome = $draw(input, &root);
            match outcome {
                None => {
                    drop(root);
                    let _ = std::fs::remove_file(&svg_path);
                }
                Some(outcome) => {
                    outcome?;
                    root.present().map_err(err($name))?;
                    drop(root);
                    let png_path = dir.join(concat!($name, ".png"));
                    let root = BitMapBackend::new(&png_path, SIZE).into_drawing_area();
                    if let Some(outcome) = $draw(input, &root) {
                        outcome?;
                    }
                    root.present().map_err(err($name))?;
                    drawn.push($name);
                }
            }
        }};
    }
    figure!("power_curve", power_curve);
    figure!("estimates", estimates);
    figure!("visits", visits);
    figure!("forest", forest);
    figure!("funnel", funnel);
    Ok(drawn)
}

fn caption(input: &FigureInput, what: &str) -> String {
    let r = input.result;
    format!(
        "{}: {what} (R = {}, seed {})",
        r.scenario,
        crate::output::group_thousands(input.result.design_points[input.focus].replicates),
        r.seed
    )
}

fn params_label(input: &FigureInput) -> String {
    let dp = &input.result.design_points[input.focus];
    if dp.params.is_empty() {
        String::new()
    } else {
        format!(" [{}]", crate::scenario::sweep::describe(&dp.params))
    }
}

/// Axis tick text: whole numbers without decimals, others with up to two.
fn tick(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn value(e: Option<&Estimate>) -> Option<(f64, f64)> {
    e.and_then(|e| Some((e.estimate?, e.mc_se.unwrap_or(0.0))))
}

/// Figure 1: power against the first swept key (one line per value of the others).
fn power_curve<DB: DrawingBackend>(
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
        let (p, se) = value(dp.metrics.get("power")).unwrap_or((0.0, 0.0));
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
            let mut builder = ChartBuilder::on(root);
            builder
                .caption(title, ("sans-serif", 22))
                .margin(16)
                .x_label_area_size(50)
                .y_label_area_size(60);
            let colours = [BLUE, ORANGE, RED, DARK, GREY];
            macro_rules! body {
                ($chart:expr) => {{
                    let mut chart = $chart;
                    chart
                        .configure_mesh()
                        .x_desc(format!("{key}"))
                        .y_desc("power (share of trials significant)")
                        .x_label_formatter(&tick)
                        .y_label_formatter(&tick)
                        .light_line_style(RGBColor(240, 240, 240))
                        .label_style(("sans-serif", 15))
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
                    chart
                        .configure_series_labels()
                        .position(SeriesLabelPosition::LowerRight)
                        .background_style(WHITE.mix(0.8))
                        .border_style(GREY)
                        .label_font(("sans-serif", 15))
                        .draw()?;
                }};
            }
            if log {
                body!(builder.build_cartesian_2d((lo * 0.9..hi * 1.1).log_scale(), 0.0..1.0)?);
            } else {
                let pad = (hi - lo).max(1.0) * 0.05;
                body!(builder.build_cartesian_2d(lo - pad..hi + pad, 0.0..1.0)?);
            }
            Ok(())
        };
    Some(draw().map_err(err("power_curve")))
}

/// Figure 2: the distribution of estimates, significant ones highlighted.
fn estimates<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    if input.estimates.len() < 20 {
        return None;
    }
    let dp = &input.result.design_points[input.focus];
    let sc = &input.study.points[input.focus].scenario;
    let theta = dp.truth.theta;
    let (lo, hi) = input
        .estimates
        .iter()
        .fold((theta, theta), |(a, b), &(x, _)| (a.min(x), b.max(x)));
    let bins = 60usize;
    let width = ((hi - lo) / bins as f64).max(1e-9);
    let mut counts = vec![(0u32, 0u32); bins + 1];
    for &(x, sig) in &input.estimates {
        let i = (((x - lo) / width) as usize).min(bins);
        if sig {
            counts[i].1 += 1;
        } else {
            counts[i].0 += 1;
        }
    }
    let top = counts.iter().map(|(a, b)| a + b).max().unwrap_or(1) as f64 * 1.15;
    let type_m = value(dp.metrics.get("type_m"));
    let power = value(dp.metrics.get("power"));
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(
                caption(
                    input,
                    &format!(
                        "estimates at month {}{}",
                        month_label(dp.month),
                        params_label(input)
                    ),
                ),
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(lo - width..hi + width, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "estimated effect, treatment − control ({}, scale points)",
                sc.outcome.label
            ))
            .y_desc(format!("trials (of the first {})", input.estimates.len()))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", 15))
            .draw()?;
        let bar = |i: usize, from: u32, to: u32, c: RGBColor| {
            let x0 = lo + i as f64 * width;
            Rectangle::new(
                [(x0, from as f64), (x0 + width * 0.95, to as f64)],
                ShapeStyle::from(&c).filled(),
            )
        };
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .map(|(i, &(ns, _))| bar(i, 0, ns, GREY)),
            )?
            .label("not significant")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], GREY.filled()));
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .map(|(i, &(ns, s))| bar(i, ns, ns + s, ORANGE)),
            )?
            .label("significant (p < alpha)")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], ORANGE.filled()));
        chart
            .draw_series(LineSeries::new(
                [(theta, 0.0), (theta, top)],
                ShapeStyle::from(&BLUE).stroke_width(3),
            ))?
            .label(format!("true effect θ = {theta:.2}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE));
        if let Some(m) = sc.outcome.mcid {
            let at = sc.outcome.s * m;
            chart
                .draw_series(LineSeries::new(
                    [(at, 0.0), (at, top)],
                    ShapeStyle::from(&DARK).stroke_width(2),
                ))?
                .label(format!("MCID ({at:+})"))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], DARK));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .label_font(("sans-serif", 15))
            .draw()?;
        let mut note = Vec::new();
        if let Some((p, se)) = power {
            note.push(format!("power {:.1}% ± {:.1}%", 100.0 * p, 100.0 * se));
        }
        if let Some((m, se)) = type_m {
            note.push(format!(
                "significant estimates overstate θ {m:.2}× ± {se:.2} (type M)"
            ));
        }
        root.draw(&Text::new(
            note.join("   "),
            (90, 70),
            ("sans-serif", 17).into_font().color(&DARK),
        ))?;
        Ok(())
    };
    Some(draw().map_err(err("estimates")))
}

/// Figure 3: effect and power over the visits.
fn visits<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let dp = &input.result.design_points[input.focus];
    if dp.by_visit.len() < 2 {
        return None;
    }
    let sc = &input.study.points[input.focus].scenario;
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
            let e = v.metrics.get("mean_estimate")?;
            let sd = e.mc_se.unwrap_or(0.0) * (e.n as f64).sqrt();
            Some((v.month, e.estimate?, sd))
        })
        .collect();
    let power: Vec<(f64, f64, f64)> = dp
        .by_visit
        .iter()
        .filter_map(|v| value(v.metrics.get("power")).map(|(p, se)| (v.month, p, se)))
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
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(SIZE.1 as i32 * 3 / 5);
        let mut chart = ChartBuilder::on(&top)
            .caption(
                caption(
                    input,
                    &format!("effect and power over follow-up{}", params_label(input)),
                ),
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..last * 1.02, ylo - pad..yhi + pad)?;
        chart
            .configure_mesh()
            .y_desc("effect (scale points)")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", 14))
            .draw()?;
        chart.draw_series(points.iter().map(|&(m, e, sd)| {
            PathElement::new(
                [(m, e - sd), (m, e + sd)],
                ShapeStyle::from(&ORANGE.mix(0.5)).stroke_width(8),
            )
        }))?;
        chart
            .draw_series(LineSeries::new(
                curve.iter().copied(),
                ShapeStyle::from(&BLUE).stroke_width(3),
            ))?
            .label("true effect θ(t)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&(m, e, _)| Circle::new((m, e), 5, ORANGE.filled())),
            )?
            .label("mean estimate ± 1 SD of estimates")
            .legend(|(x, y)| Circle::new((x + 9, y), 5, ORANGE.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .label_font(("sans-serif", 14))
            .draw()?;
        let mut chart = ChartBuilder::on(&bottom)
            .margin(16)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..last * 1.02, 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc("months after baseline")
            .y_desc("power")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", 14))
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

/// Figure 4: one simulated meta-analysis as a forest plot.
fn forest<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    let (trials, record) = input.literature.as_ref()?;
    let pooled = record.pooled?;
    let published: Vec<&LiteratureTrial> = trials.iter().filter(|t| t.published).collect();
    let k = published.len();
    let theta = input.result.design_points[input.focus].truth.theta;
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
        let mut chart = ChartBuilder::on(root)
            .caption(
                caption(
                    input,
                    &format!("one simulated meta-analysis of {k} published trials"),
                ),
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(110)
            .build_cartesian_2d(lo - pad..hi + pad, 0.0..rows)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("effect, treatment − control (scale points)")
            .x_label_formatter(&tick)
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", 15))
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    };
    Some(draw().map_err(err("forest")))
}

/// Figure 5: funnel plot of simulated literatures with Egger's line.
fn funnel<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Option<Result<()>> {
    if input.funnel.len() < 10 {
        return None;
    }
    let pubd: Vec<&LiteratureTrial> = input.funnel.iter().filter(|t| t.published).collect();
    let unpub: Vec<&LiteratureTrial> = input.funnel.iter().filter(|t| !t.published).collect();
    let se_max = input.funnel.iter().map(|t| t.se).fold(0.0, f64::max) * 1.05;
    let (lo, hi) = input.funnel.iter().fold((0.0f64, 0.0f64), |(a, b), t| {
        (a.min(t.estimate), b.max(t.estimate))
    });
    // Egger's regression of z = y/se on precision 1/se over the published trials,
    // drawn in funnel coordinates as y = slope + intercept · se.
    let egger = {
        let n = pubd.len() as f64;
        let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
        for t in &pubd {
            let (x, y) = (1.0 / t.se, t.estimate / t.se);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        let den = n * sxx - sx * sx;
        (n >= 3.0 && den > 0.0).then(|| {
            let slope = (n * sxy - sx * sy) / den;
            let intercept = (sy - slope * sx) / n;
            (intercept, slope)
        })
    };
    let centre = pubd.iter().map(|t| t.estimate / (t.se * t.se)).sum::<f64>()
        / pubd.iter().map(|t| 1.0 / (t.se * t.se)).sum::<f64>();
    let draw = || -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let pad = (hi - lo).max(1.0) * 0.05;
        let mut chart = ChartBuilder::on(root)
            .caption(
                caption(
                    input,
                    &format!("funnel of {} simulated trials", input.funnel.len()),
                ),
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(lo - pad..hi + pad, se_max..0.0)?;
        chart
            .configure_mesh()
            .x_desc("estimated effect (scale points)")
            .y_desc("standard error")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", 15))
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    };
    Some(draw().map_err(err("funnel")))
}
