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
    let out = default_run(dir.path());
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
    assert_eq!(
        html.matches("<svg").count(),
        FIGURES.len(),
        "figures inline"
    );
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
        let key = if group == "meta" { "meta" } else { "metrics" };
        let json = summary["design_points"][dp][key][&metric]["estimate"]
            .as_f64()
            .unwrap();
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

/// A text element of a figure's SVG: position, font size, anchor, text.
struct SvgText {
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    text: String,
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
    let out = default_run(dir.path());
    let size_out = dir.path().join("size");
    let sc = dir.path().join("d.toml");
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
    let mut files: Vec<PathBuf> = FIGURES
        .iter()
        .map(|f| out.join(format!("plots/{f}.svg")))
        .collect();
    files.push(size_out.join("plots/size_curve.svg"));
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
