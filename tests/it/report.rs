//! Figures and report: every PNG decodes and is not blank, every SVG parses,
//! the report is self-contained, renders in headless Chromium, and its
//! findings quote exactly the numbers of summary.json.

use assert_cmd::Command;
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const FIGURES: [&str; 5] = ["power_curve", "estimates", "visits", "forest", "funnel"];

/// Runs the default scenario (a sweep with a simulated literature) once.
fn default_run(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    crate::ok(
        Command::cargo_bin("trialsim")
            .unwrap()
            .args(["run", "--replicates", "1500", "--quiet", "--out"])
            .arg(&out),
    );
    out
}

fn distinct_colours(path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let colours: HashSet<&[u8]> = bytes.chunks(channels).collect();
    (info.width, info.height, colours.len())
}

#[test]
fn every_figure_is_drawn_decodes_and_is_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let out = default_run(dir.path());
    for name in FIGURES {
        let png = out.join("plots").join(format!("{name}.png"));
        let (w, h, colours) = distinct_colours(&png);
        assert_eq!((w, h), trialsim::output::plots::SIZE, "{name}.png size");
        assert!(colours > 20, "{name}.png has only {colours} colours");
        let svg = fs::read_to_string(out.join("plots").join(format!("{name}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let texts = doc.descendants().filter(|n| n.has_tag_name("text")).count();
        assert!(texts > 5, "{name}.svg has {texts} text elements");
        // Labelled with the scenario, R and the seed.
        assert!(
            svg.contains("msc_knee_oa") && svg.contains("seed 20251123"),
            "{name}.svg caption"
        );
    }
}

#[test]
fn a_figure_whose_data_the_scenario_lacks_is_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    fs::write(
        &sc,
        r#"name = "plain"
replicates = 500
[outcome]
mu0 = 50.0
subject_sd = 10.0
residual_sd = 10.0
rho = 0.5
[visits]
months = [3, 6]
primary = 6
[effect]
peak = -5.0
[design]
n_per_arm = 20
[analysis]
method = "ancova"
"#,
    )
    .unwrap();
    let out = dir.path().join("o");
    crate::ok(
        Command::cargo_bin("trialsim")
            .unwrap()
            .arg("run")
            .arg(&sc)
            .args(["--quiet", "--out"])
            .arg(&out),
    );
    let mut names: Vec<String> = fs::read_dir(out.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["estimates.png", "estimates.svg", "visits.png", "visits.svg"]
    );
    assert!(out.join("report.html").exists());
}

#[test]
fn report_is_self_contained_and_quotes_summary_numbers() {
    let dir = tempfile::tempdir().unwrap();
    check_report(&default_run(dir.path()), FIGURES.len());
}

/// The default scenario with `[safety]` and `[responder_endpoint]`.
fn safety_and_responder_run(dir: &Path) -> PathBuf {
    let text = format!(
        "{}\n[safety]\nserious_treatment = 0.01\nmild_treatment = 0.245\nmild_control = 0.1\n\
         [responder_endpoint]\nmin_points = 20.0\nmin_percent = 50.0\n",
        trialsim::scenario::DEFAULT_SCENARIO
    );
    run_text(dir, "harms", &text)
}

/// Runs the scenario `text` (written to `dir/NAME.toml`) at 600 replicates
/// into `dir/NAME`.
fn run_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let sc = dir.join(format!("{name}.toml"));
    fs::write(&sc, text).unwrap();
    let out = dir.join(name);
    crate::ok(
        crate::trialsim()
            .arg("run")
            .arg(&sc)
            .args(["--replicates", "600", "--quiet", "--out"])
            .arg(&out),
    );
    out
}

#[test]
fn the_safety_and_responder_findings_quote_summary_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = safety_and_responder_run(dir.path());
    check_report(&out, FIGURES.len() + 1);
    let png = out.join("plots/responder_power.png");
    let (w, h, colours) = distinct_colours(&png);
    assert_eq!((w, h), trialsim::output::plots::SIZE);
    assert!(
        colours > 20,
        "responder_power.png has only {colours} colours"
    );
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for metric in [
        "sae_any_treatment",
        "sae_ruled_out",
        "mild_ae_power",
        "treated_patients",
        "responder_power",
        "responder_coverage",
    ] {
        assert!(
            html.contains(&format!("data-metric=\"{metric}\"")),
            "the report quotes {metric}"
        );
    }
    // The sweep over the sample size says what dichotomising costs.
    assert!(
        [
            "For 80% power the continuous score needs",
            "The responder analysis reaches 80% power",
            "Neither analysis reaches 80% power",
        ]
        .iter()
        .any(|s| html.contains(s)),
        "the report compares the analyses' sample sizes"
    );
}

/// The default scenario with `meta_analysis.subgroups = ["cell_source"]`,
/// run into `dir/subgroups`.
fn subgroup_run(dir: &Path) -> PathBuf {
    let text = trialsim::scenario::DEFAULT_SCENARIO.replace(
        "# subgroups = [\"cell_source\"]",
        "subgroups = [\"cell_source\"]",
    );
    assert_ne!(
        text,
        trialsim::scenario::DEFAULT_SCENARIO,
        "the key is in the file"
    );
    run_text(dir, "subgroups", &text)
}

/// The subgroup figure's shares are the run's, and its forest holds the
/// literature's trials.
#[test]
fn the_subgroup_figure_shows_the_runs_shares() {
    let dir = tempfile::tempdir().unwrap();
    let out = subgroup_run(dir.path());
    check_report(&out, FIGURES.len() + 1);
    let (w, h, colours) = distinct_colours(&out.join("plots/subgroups.png"));
    assert_eq!((w, h), trialsim::output::plots::SIZE);
    assert!(colours > 20, "subgroups.png has only {colours} colours");
    let svg = fs::read_to_string(out.join("plots/subgroups.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let focus = summary["design_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subgroup_levels"].is_object())
        .unwrap();
    let levels = focus["subgroup_levels"]["cell_source"].as_array().unwrap();
    assert_eq!(levels.len(), 3);
    let mut trials = 0;
    for level in levels {
        let name = level["level"].as_str().unwrap().replace('_', " ");
        let share = |m: &str| 100.0 * level[m]["estimate"].as_f64().unwrap();
        // The bar's words: "adipose: 48% (6% significant), truly best".
        let best = if level["truly_best"].as_bool().unwrap() {
            ", truly best"
        } else {
            ""
        };
        let words = format!(
            "{name}: {:.0}% ({:.0}% significant){best}",
            share("subgroup_named_best"),
            share("subgroup_claimed_best")
        );
        assert!(texts.contains(&words.as_str()), "{words} in {texts:?}");
        // The forest's row: "adipose (4 trials)".
        let row = texts
            .iter()
            .find(|t| t.starts_with(&format!("{name} (")) && t.ends_with(')'))
            .unwrap_or_else(|| panic!("{name}'s row in {texts:?}"));
        let k: usize = row[name.len() + 2..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        trials += k;
    }
    assert_eq!(trials, 8, "the literature's 8 trials, each in one level");
    // The level this literature names best is in bold: the row whose
    // estimate ("−12.81 [−20.29, −5.33]", lower favours treatment) is the
    // lowest (this literature, at this seed, can be tested).
    assert!(!texts.iter().any(|t| t.contains("cannot be tested")));
    {
        let bold: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.attribute("font-weight") == Some("bold"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        let estimate =
            |t: &str| -> Option<f64> { t.split(' ').next()?.replace('−', "-").parse().ok() };
        let lowest = texts
            .iter()
            .filter(|t| t.ends_with(']'))
            .filter_map(|t| estimate(t).map(|e| (e, *t)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap();
        assert!(bold.contains(&lowest.1), "{lowest:?} bold in {bold:?}");
        assert_eq!(
            bold.iter().filter(|t| t.ends_with(']')).count(),
            1,
            "one level named best: {bold:?}"
        );
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Subgroup claims:"), "the figure's caption");
}

/// The report in `out` is self-contained, draws `figures` figures inline
/// and quotes exactly the numbers of its `summary.json`.
fn check_report(out: &Path, figures: usize) {
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for bad in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
        "url(http",
        "url(//",
    ] {
        assert!(
            !html.contains(bad),
            "report.html references a remote resource: {bad}"
        );
    }
    assert_eq!(html.matches("<svg").count(), figures, "figures inline");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // Every quoted number: <span class="num" data-dp=.. data-group=.. data-metric=..
    // data-format=.. data-value=..>TEXT</span>
    let doc_spans: Vec<&str> = html.split("<span class=\"num\" ").skip(1).collect();
    assert!(
        doc_spans.len() >= 10,
        "findings quote {} numbers",
        doc_spans.len()
    );
    let attr = |s: &str, name: &str| -> String {
        let start = s.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        s[start..start + s[start..].find('"').unwrap()].to_string()
    };
    for span in doc_spans {
        let dp: usize = attr(span, "data-dp").parse().unwrap();
        let group = attr(span, "data-group");
        let metric = attr(span, "data-metric");
        let value: f64 = attr(span, "data-value").parse().unwrap();
        let text = &span[span.find('>').unwrap() + 1..span.find("</span>").unwrap()];
        let point = &summary["design_points"][dp];
        let metrics = match group.split_once('.') {
            Some(("subgroups", factor)) => &point["subgroups"][factor],
            _ if group == "meta" => &point["meta"],
            _ => &point["metrics"],
        };
        let json = metrics[&metric]["estimate"].as_f64().unwrap();
        assert_eq!(
            value.to_bits(),
            json.to_bits(),
            "{group}.{metric} at design point {dp}"
        );
        let format = match attr(span, "data-format").as_str() {
            "percent" => trialsim::output::report::Format::Percent,
            _ => trialsim::output::report::Format::Decimal,
        };
        assert_eq!(text, format.show(json), "{metric} shown as {text}");
    }
}

/// Headless Chromium, as `../shared/browser-check.md` found it works here.
fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        // .ci/run installs Chromium, so under CI a missing browser is a failure;
        // elsewhere the test says it did not run instead of passing silently.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium not found under CI=true (looked at /usr/bin/chromium and \
             /usr/bin/chromium-browser): .ci/run must install it"
        );
        // Straight to stderr rather than eprintln!, which the test harness
        // captures and shows only for failing tests: a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: chromium not found (report_renders_in_headless_chromium; \
             apt-get install chromium to run it)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = default_run(dir.path());
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let report = fs::canonicalize(out.join("report.html")).unwrap();
    let o = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (w, h, colours) = distinct_colours(&shot);
    assert_eq!((w, h), (1200, 2400));
    assert!(
        colours > 50,
        "the rendered report looks blank ({colours} colours)"
    );
}

/// #17 item 6: the report's prose. Design points are counted from 1; a
/// sweep's 80%-power finding gives the bracket `size` would search, not a
/// grid value as the answer; "only" only for a share below half; no
/// "1 months"; no "SD 0" for patients who all respond alike.
#[test]
fn the_report_s_prose_reads_right() {
    use trialsim::engine::{RunOptions, run};
    use trialsim::output::report::{describe, findings};
    use trialsim::scenario::Study;
    let study = Study::default_study();
    let opts = RunOptions {
        replicates: Some(1000),
        ..Default::default()
    };
    let result = run(&study, &opts).unwrap();
    let focus = study.focus_point();
    assert_eq!(
        focus, 1,
        "the default file's n = 15 is the sweep's second value"
    );
    let all = findings(&study, &result, focus).join("\n");
    assert!(
        all.contains("the smallest one reaching it lies between 301 and 600"),
        "{all}"
    );
    assert!(!all.contains("only 100"), "{all}");
    let dir = tempfile::tempdir().unwrap();
    let out = default_run(dir.path());
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("design point 2 of 9: design.n_per_arm = 15"));

    let text = trialsim::scenario::DEFAULT_SCENARIO
        .replace("onset_months = 2.5", "onset_months = 1.0")
        .replace("patient_sd = 8.0", "patient_sd = 0.0");
    assert_ne!(text, trialsim::scenario::DEFAULT_SCENARIO);
    let alike = Study::from_toml_str(&text, "alike").unwrap();
    let words = describe(&alike, 0);
    assert!(words.contains("(time constant 1 month)"), "{words}");
    assert!(words.contains("every patient responds alike"), "{words}");
    assert!(
        !words.contains("1 months") && !words.contains("SD 0."),
        "{words}"
    );
}

/// A text element of a figure's SVG: position, font size, anchor, vertical
/// offset (`dy`), whether it is rotated, and its text.
struct SvgText {
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    dy: String,
    rotated: bool,
    text: String,
}

impl SvgText {
    /// Its box, (x0, y0, x1, y1), estimated as [`extent`] does.
    fn bounds(&self) -> (f64, f64, f64, f64) {
        let (x0, x1) = extent(self);
        let (y0, y1) = match self.dy.as_str() {
            "0.76em" => (self.y, self.y + self.size),
            "0.5ex" => (self.y - self.size / 2.0, self.y + self.size / 2.0),
            "-0.5ex" => (self.y - self.size, self.y),
            _ => (self.y - 0.8 * self.size, self.y + 0.2 * self.size),
        };
        (x0, y0, x1, y1)
    }
}

/// Numbers of an attribute such as `points="1,2 3,4"`.
fn numbers(text: &str) -> Vec<f64> {
    text.split([' ', ','])
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// Whether the segment (a, b) meets the box (x0, y0, x1, y1): sampled
/// finely enough for any figure's pixels.
fn segment_meets(a: (f64, f64), b: (f64, f64), (x0, y0, x1, y1): (f64, f64, f64, f64)) -> bool {
    let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) as usize).max(1);
    (0..=steps).any(|i| {
        let t = i as f64 / steps as f64;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        x >= x0 && x <= x1 && y >= y0 && y <= y1
    })
}

/// Texts of `svg` that lie over its data: its lines (coloured polylines;
/// black ones are axes and ticks), dots, bars and polygons inside the
/// charts (below the top of the highest grid line: the key above them is
/// not data). A key, note or label drawn over the data reads as a problem.
fn texts_over_data(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let number = |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
    let top = doc
        .descendants()
        .filter(|n| n.has_tag_name("line"))
        .flat_map(|n| [number(&n, "y1"), number(&n, "y2")])
        .flatten()
        .fold(f64::INFINITY, f64::min);
    // Data as boxes and segments.
    let mut boxes: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut segments: Vec<((f64, f64), (f64, f64))> = Vec::new();
    for n in doc.descendants() {
        match n.tag_name().name() {
            "polyline" | "polygon" if n.attribute("stroke") != Some("#000000") => {
                let v = numbers(n.attribute("points").unwrap_or(""));
                let pts: Vec<(f64, f64)> = v.chunks(2).map(|p| (p[0], p[1])).collect();
                let closed = n.tag_name().name() == "polygon";
                if pts.iter().all(|p| p.1 < top) {
                    continue;
                }
                if closed {
                    let (x0, x1) = pts
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                            (a.min(p.0), b.max(p.0))
                        });
                    let (y0, y1) = pts
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                            (a.min(p.1), b.max(p.1))
                        });
                    boxes.push((x0, y0, x1, y1));
                } else {
                    segments.extend(pts.windows(2).map(|w| (w[0], w[1])));
                }
            }
            "circle" => {
                let (x, y, r) = (
                    number(&n, "cx").unwrap_or(0.0),
                    number(&n, "cy").unwrap_or(0.0),
                    number(&n, "r").unwrap_or(0.0),
                );
                if y + r >= top {
                    boxes.push((x - r, y - r, x + r, y + r));
                }
            }
            "rect" => {
                let (x, y) = (
                    number(&n, "x").unwrap_or(0.0),
                    number(&n, "y").unwrap_or(0.0),
                );
                let (w, h) = (
                    number(&n, "width").unwrap_or(0.0),
                    number(&n, "height").unwrap_or(0.0),
                );
                let background = x == 0.0 && y == 0.0;
                if !background && w > 0.0 && h > 0.0 && y + h >= top {
                    boxes.push((x, y, x + w, y + h));
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for t in svg_texts(svg)
        .iter()
        .filter(|t| !t.rotated && !t.text.is_empty())
    {
        let b = t.bounds();
        let over_box = boxes
            .iter()
            .any(|d| d.0 < b.2 && b.0 < d.2 && d.1 < b.3 && b.1 < d.3);
        let over_line = segments.iter().any(|&(p, q)| segment_meets(p, q, b));
        if over_box || over_line {
            found.push(format!("{:?} lies over the data", t.text));
        }
    }
    found
}

fn svg_texts(svg: &str) -> Vec<SvgText> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| SvgText {
            x: n.attribute("x").and_then(|v| v.parse().ok()).unwrap_or(0.0),
            y: n.attribute("y").and_then(|v| v.parse().ok()).unwrap_or(0.0),
            size: n
                .attribute("font-size")
                .and_then(|v| v.parse().ok())
                .unwrap_or(12.0),
            anchor: n.attribute("text-anchor").unwrap_or("start").to_string(),
            dy: n.attribute("dy").unwrap_or("").to_string(),
            rotated: n.attribute("transform").is_some(),
            text: n.text().unwrap_or("").trim().to_string(),
        })
        .collect()
}

/// Horizontal extent of a text, estimating DejaVu Sans's digits and
/// letters at 0.64 em (its widest digit is 0.636 em).
fn extent(t: &SvgText) -> (f64, f64) {
    let width = 0.64 * t.size * t.text.chars().count() as f64;
    match t.anchor.as_str() {
        "middle" => (t.x - width / 2.0, t.x + width / 2.0),
        "end" => (t.x - width, t.x),
        _ => (t.x, t.x + width),
    }
}

/// #17 acceptance 2: in every figure of the default scenario (and `size`'s),
/// no two tick labels overlap and no text is a dotted scenario key.
#[test]
fn figures_have_readable_ticks_and_no_dotted_keys() {
    let dir = tempfile::tempdir().unwrap();
    let files = figure_files(dir.path());
    let mut problems = Vec::new();
    for file in &files {
        let svg = fs::read_to_string(file).unwrap();
        let texts = svg_texts(&svg);
        assert!(texts.len() > 5, "{}", file.display());
        for t in &texts {
            let dotted = t.text.split_whitespace().any(|w| {
                let w = w.trim_matches(|c: char| "[](),:".contains(c));
                w.contains('.') && w.parse::<f64>().is_err() && w.chars().any(|c| c.is_alphabetic())
            });
            if dotted {
                problems.push(format!("{}: dotted key in {:?}", file.display(), t.text));
            }
        }
        let ticks: Vec<&SvgText> = texts
            .iter()
            .filter(|t| !t.text.is_empty() && t.text.replace(' ', "").parse::<f64>().is_ok())
            .collect();
        for (i, a) in ticks.iter().enumerate() {
            for b in &ticks[i + 1..] {
                let (a0, a1) = extent(a);
                let (b0, b1) = extent(b);
                let same_row = (a.y - b.y).abs() < 0.5 * a.size.max(b.size);
                let columns_meet = a0 < b1 && b0 < a1;
                if same_row && columns_meet {
                    problems.push(format!(
                        "{}: tick labels {:?} and {:?} overlap",
                        file.display(),
                        a.text,
                        b.text
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// #17 item 4: no key, note or label covers data, in any figure of the
/// default scenario and of `size`. (The check sees the v0.2.0 figures'
/// problems: the estimates note crossed by the MCID line, the forest's
/// trial labels under their whiskers, the legend over a visit's band.)
#[test]
fn no_text_covers_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for file in figure_files(dir.path()) {
        let svg = fs::read_to_string(&file).unwrap();
        for p in texts_over_data(&svg) {
            problems.push(format!("{}: {p}", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The SVGs of every figure: the default scenario's, and `size`'s curve.
fn figure_files(dir: &Path) -> Vec<PathBuf> {
    let out = default_run(dir);
    let size_out = dir.join("size");
    let sc = dir.join("d.toml");
    fs::write(&sc, crate::calibration::power_design(30, 400)).unwrap();
    crate::ok(
        Command::cargo_bin("trialsim")
            .unwrap()
            .arg("size")
            .arg(&sc)
            .args([
                "--target-power",
                "0.8",
                "--max-type-m",
                "1.2",
                "--quiet",
                "--out",
            ])
            .arg(&size_out),
    );
    let over_out = dir.join("over");
    crate::ok(
        Command::cargo_bin("trialsim")
            .unwrap()
            .arg("size")
            .arg(&sc)
            .args(["--param", "effect.peak", "--target-power", "0.8"])
            .args(["--over", "design.n_per_arm=10,20,40", "--replicates", "400"])
            .args(["--quiet", "--out"])
            .arg(&over_out),
    );
    // A two-key sweep (a line per value of the second key) and a literature
    // of 40 trials (rows too many to label each in full size).
    let text = trialsim::scenario::DEFAULT_SCENARIO
        .replace("\ntrials = 8\n", "\ntrials = 40\n")
        .replace(
            "\"design.n_per_arm\" = [10, 15, 20, 30, 50, 80, 150, 300, 600]",
            "\"design.n_per_arm\" = [10, 40]\n\"heterogeneity.tau\" = [0.0, 8.0]",
        );
    assert_ne!(text, trialsim::scenario::DEFAULT_SCENARIO);
    let wide = dir.join("wide.toml");
    fs::write(&wide, text).unwrap();
    let wide_out = dir.join("wide");
    crate::ok(
        crate::trialsim()
            .arg("run")
            .arg(&wide)
            .args(["--replicates", "100", "--quiet", "--out"])
            .arg(&wide_out),
    );
    let mut files: Vec<PathBuf> = FIGURES
        .iter()
        .map(|f| out.join(format!("plots/{f}.svg")))
        .collect();
    files.push(size_out.join("plots/size_curve.svg"));
    files.push(over_out.join("plots/size_over.svg"));
    files.push(safety_and_responder_run(dir).join("plots/responder_power.svg"));
    files.push(wide_out.join("plots/power_curve.svg"));
    files.push(wide_out.join("plots/forest.svg"));
    files.push(subgroup_run(dir).join("plots/subgroups.svg"));
    // Two factors, and a literature whose doses cannot be compared (every
    // trial high dose): a level with no trials and rows with no estimate.
    let preset_out = dir.join("preset");
    crate::ok(
        crate::trialsim()
            .args(["run", "--preset", "msc_literature", "--replicates", "200"])
            .args(["--forest", "7", "--quiet", "--out"])
            .arg(&preset_out),
    );
    let preset_svg = fs::read_to_string(preset_out.join("plots/subgroups.svg")).unwrap();
    assert!(preset_svg.contains("cannot be tested") && preset_svg.contains("(0 trials)"));
    // Untestable, the one dose present still shows the pooled estimate:
    // only the absent dose has none.
    assert_eq!(preset_svg.matches("no estimate").count(), 1);
    files.push(preset_out.join("plots/subgroups.svg"));
    files
}

/// #17 item 5: the forest plot draws the literature whose pooled estimate
/// is the median of the first 2000 (here of all 301, an odd count: as many
/// pooled estimates lie below it as above), whatever the number of threads;
/// or the replicate asked for, exactly the literature `run` simulated.
#[test]
fn the_forest_plot_draws_the_median_literature_or_the_one_asked_for() {
    use trialsim::engine::schedule::Workers;
    use trialsim::engine::{ForestChoice, RunOptions, Simulator, focus_sample, run};
    use trialsim::scenario::Study;
    let study = Study::default_study();
    let opts = RunOptions {
        replicates: Some(301),
        ..Default::default()
    };
    let result = run(&study, &opts).unwrap();
    let one = Workers::Sequential;
    let median = focus_sample(&study, &result, ForestChoice::Median, &one).unwrap();
    let chosen = median.literature.as_ref().unwrap();
    let sim = Simulator::new(&study.points[median.focus].scenario, result.seed);
    let mus: Vec<f64> = (0..301)
        .filter_map(|r| sim.literature_detail(r)?.record.pooled.map(|p| p.mu))
        .collect();
    let mu = chosen.record.pooled.unwrap().mu;
    let below = mus.iter().filter(|&&m| m < mu).count();
    let above = mus.iter().filter(|&&m| m > mu).count();
    assert_eq!(chosen.among as usize, mus.len());
    assert_eq!(mus.len() % 2, 1, "an odd count has one median");
    assert_eq!((below, above), (mus.len() / 2, mus.len() / 2));
    assert_eq!(
        sim.literature_detail(chosen.replicate).unwrap().trials,
        chosen.trials
    );
    let pool = Workers::new(std::num::NonZeroUsize::new(2)).unwrap();
    let again = focus_sample(&study, &result, ForestChoice::Median, &pool).unwrap();
    assert_eq!(again.literature.unwrap().replicate, chosen.replicate);

    let asked = focus_sample(&study, &result, ForestChoice::Replicate(5), &one).unwrap();
    let asked = asked.literature.unwrap();
    assert_eq!(asked.replicate, 5);
    assert_eq!(asked.trials, sim.literature_detail(5).unwrap().trials);
    let e = focus_sample(&study, &result, ForestChoice::Replicate(301), &one).unwrap_err();
    assert_eq!(
        e.to_string(),
        "forest = 301: the run has replicates 0 to 300; give one of them, or median"
    );
}

/// `--forest K` draws replicate K's literature and the report's caption
/// says so; a K the run does not have, or a word other than median, is
/// refused before anything is written.
#[test]
fn the_forest_flag_chooses_the_literature() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("asked");
    crate::ok(
        crate::trialsim()
            .args([
                "run",
                "--replicates",
                "200",
                "--forest",
                "7",
                "--quiet",
                "--out",
            ])
            .arg(&out),
    );
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("the simulated literature of replicate 7, as asked"));
    for (value, want) in [
        (
            "200",
            "error: --forest = 200: the run has replicates 0 to 199; give one of them, or median\n",
        ),
        (
            "middle",
            "error: --forest = middle: must be median or a replicate number (0, 1, 2, ...)\n",
        ),
    ] {
        let bad = dir.path().join(value);
        let o = crate::trialsim()
            .args([
                "run",
                "--replicates",
                "200",
                "--quiet",
                "--forest",
                value,
                "--out",
            ])
            .arg(&bad)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.starts_with(want), "{stderr}");
        assert!(!bad.exists());
    }
}
