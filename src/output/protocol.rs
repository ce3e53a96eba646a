//! `size --protocol`: a sample-size justification to paste into a protocol
//! or an ethics submission — the design, every assumption with its value,
//! the analysis, the requirements and what was achieved with Monte Carlo
//! SEs, the sensitivity of the answer to the most influential assumptions,
//! and how to rerun it — as plain text, Markdown and an HTML section of the
//! report, from one list of blocks.

use super::report::escape;
use crate::engine::sizing::{SENSITIVITY_FACTORS, Sensitivity, SizeAnswer, significant};
use crate::error::{Message, Naming, Setting};
use crate::scenario::Study;

/// The protocol paragraph in its three forms.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Plain text.
    pub text: String,
    /// Markdown.
    pub markdown: String,
    /// An HTML section for the report.
    pub html: String,
}

/// What a block of the protocol holds.
enum Body {
    /// A paragraph.
    Paragraph(String),
    /// A bulleted list of `key = value` lines (TOML, so that the list can
    /// be read back as a scenario).
    Assignments(Vec<String>),
    /// A command line.
    Command(String),
}

/// The protocol of `answer`, found for `study` with `seed` and `replicates`
/// per evaluated value; `search` is the search's own settings (parameter,
/// requirements, range, direction) as the command line gave them; run
/// settings are named under `naming`.
pub fn protocol(
    study: &Study,
    answer: &SizeAnswer,
    sensitivity: &[Sensitivity],
    (seed, replicates): (u64, u64),
    search: &Message,
    naming: Naming,
) -> Protocol {
    let focus = study.focus_point();
    let design = strip_tags(&super::report::describe(study, focus));
    let what = if answer.param == "effect.peak" {
        "smallest true effect at its peak (effect.peak, in the favourable direction)".to_string()
    } else {
        format!(
            "{} {} ({})",
            answer.direction_word(),
            super::plots::key_words(&answer.param),
            answer.param
        )
    };
    let reqs: Vec<String> = answer
        .requirements
        .iter()
        .map(|r| r.requirement.to_string())
        .collect();
    let mut achieved = format!(
        "The {what} at which {} holds is {}.",
        reqs.join(" and "),
        answer.value
    );
    for r in &answer.requirements {
        let [at, next] = r
            .shown()
            .map(|e| e.map_or("undefined".into(), |e| e + " (Monte Carlo SE)"));
        achieved.push_str(&format!(" There {} is {at}", r.requirement.metric));
        match answer.neighbour {
            Some(v) => achieved.push_str(&format!("; at {v} it is {next}.")),
            None => achieved.push('.'),
        }
    }
    if let Some([lo, hi]) = answer.interval {
        achieved.push_str(&format!(
            " Within Monte Carlo error the answer lies between {} and {}.",
            significant(lo, 4),
            significant(hi, 4)
        ));
    }
    let mut blocks = vec![
        ("Design", Body::Paragraph(design)),
        ("Target and result", Body::Paragraph(achieved)),
        (
            "Assumptions (every value the simulation used)",
            Body::Assignments(assignments(study)),
        ),
    ];
    if !sensitivity.is_empty() {
        blocks.push((
            "Sensitivity",
            Body::Paragraph(sensitivity_words(answer, sensitivity)),
        ));
    }
    let command = Message::from("trialsim size scenario.resolved.toml ")
        .join(search.clone())
        .then(" ")
        .setting(Setting::Seed)
        .then(format!(" {seed} "))
        .setting(Setting::Replicates)
        .then(format!(" {replicates}"))
        .render(naming);
    blocks.push((
        "Reproduce",
        Body::Paragraph(format!(
            "Simulated with trialsim {}: {replicates} replicates per evaluated value, seed {seed}, the same simulated patients at every value (common random numbers). With the assumptions above as the scenario file (it is scenario.resolved.toml in the output folder):",
            env!("CARGO_PKG_VERSION")
        )),
    ));
    blocks.push(("", Body::Command(command)));
    render(&blocks)
}

/// Every key of the resolved scenario but its name, seed, replicates and
/// sweep, as TOML dotted keys (tables flattened, arrays inline).
fn assignments(study: &Study) -> Vec<String> {
    let mut out = Vec::new();
    let table = toml::Table::try_from(study.base_scenario().file()).unwrap_or_default();
    fn walk(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(t) => walk(&key, t, out),
                other => out.push(format!("{key} = {other}")),
            }
        }
    }
    let mut body = table;
    for skip in ["name", "seed", "replicates", "sweep"] {
        body.remove(skip);
    }
    walk("", &body, &mut out);
    out
}

fn sensitivity_words(answer: &SizeAnswer, sensitivity: &[Sensitivity]) -> String {
    let [low, high] = SENSITIVITY_FACTORS;
    let pct = |f: f64| format!("{:.0}%", (f - 1.0).abs() * 100.0);
    let metric = sensitivity[0].metric;
    let mut w = format!(
        "Each assumption moved by −{} and +{} at the answer ({} = {}) gives {metric}: ",
        pct(low),
        pct(high),
        answer.param,
        answer.value
    );
    let show = |x: Option<f64>| x.map_or("undefined".to_string(), |x| significant(x, 3));
    w.push_str(
        &sensitivity
            .iter()
            .map(|s| {
                format!(
                    "{} ({}) {} and {}",
                    s.assumption,
                    significant(s.value, 4),
                    show(s.at_answer[0]),
                    show(s.at_answer[1])
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    );
    w.push('.');
    let answers: Vec<String> = sensitivity
        .iter()
        .filter_map(|s| {
            let [a, b] = s.answers?;
            let show = |v: Option<crate::engine::sizing::Value>| {
                v.map_or("none in the range searched".to_string(), |v| v.to_string())
            };
            Some(format!(
                "with {} −{} the answer is {}, +{} {}",
                s.assumption,
                pct(low),
                show(a),
                pct(high),
                show(b)
            ))
        })
        .collect();
    if !answers.is_empty() {
        w.push_str(&format!(
            " The most influential, searched again: {}.",
            answers.join("; ")
        ));
    }
    w
}

fn render(blocks: &[(&str, Body)]) -> Protocol {
    let (mut text, mut markdown) = (
        String::new(),
        String::from("## Sample-size justification\n"),
    );
    let mut html = String::from("<h2>Sample-size justification</h2>\n");
    for (heading, body) in blocks {
        if !heading.is_empty() {
            text.push_str(&format!("{heading}\n"));
            markdown.push_str(&format!("\n**{heading}.**"));
            html.push_str(&format!("<h3>{}</h3>\n", escape(heading)));
        }
        match body {
            Body::Paragraph(p) => {
                text.push_str(&format!("{p}\n\n"));
                markdown.push_str(&format!(" {p}\n"));
                html.push_str(&format!("<p>{}</p>\n", escape(p)));
            }
            Body::Assignments(lines) => {
                markdown.push('\n');
                html.push_str("<ul>\n");
                for l in lines {
                    text.push_str(&format!("  {l}\n"));
                    markdown.push_str(&format!("- `{l}`\n"));
                    html.push_str(&format!("<li><code>{}</code></li>\n", escape(l)));
                }
                text.push('\n');
                html.push_str("</ul>\n");
            }
            Body::Command(c) => {
                text.push_str(&format!("  {c}\n"));
                markdown.push_str(&format!("\n```\n{c}\n```\n"));
                html.push_str(&format!("<pre>{}</pre>\n", escape(c)));
            }
        }
    }
    Protocol {
        text,
        markdown,
        html,
    }
}

/// The text of an HTML fragment: tags dropped, entities decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    // A paragraph's end is a space between sentences.
    let html = html.replace("</p>", "</p> ");
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
