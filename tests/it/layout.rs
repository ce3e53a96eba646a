//! The rules the source layout exists to keep (ARCHITECTURE.md), checked on
//! the source text so they stay true:
//!
//! 1. imports between the library's top-level modules run one way along the
//!    pipeline (so there is no import cycle);
//! 2. `std::fs` only in `output/files.rs` and the binary (`main.rs`, `cli/`);
//! 3. `rayon` only in `engine/schedule.rs` and the binary's bench;
//! 4. the library's texts name no command-line flag (a run setting is a
//!    `trialsim::Setting`, which the binary shows as its flag).
//!
//! Unit-test modules (`#[cfg(test)]` to the end of a file) and comments are
//! not imports and are left out.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The library's top-level modules, upstream first: a module may use only
/// modules before it. (`math` only defines the C math symbols; it imports
/// nothing and nothing imports it.)
const PIPELINE: [&str; 10] = [
    "math", "error", "rng", "scenario", "simulate", "analysis", "meta", "metrics", "engine",
    "output",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `src/` as (path relative to `src/`, code without
/// comments and unit tests).
fn code() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let code: Vec<&str> = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect();
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, code.join("\n"))
        })
        .collect()
}

/// The top-level module a library file belongs to (`None` for the binary).
fn module_of(rel: &str) -> Option<&str> {
    if rel == "main.rs" || rel.starts_with("cli/") || rel == "lib.rs" {
        return None;
    }
    Some(rel.split(['/', '.']).next().unwrap())
}

/// The top-level modules `code` refers to through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `trialsim_crate::`
        }
        let name: String = code[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        found.insert(name);
    }
    // `use crate::{a, b::c}` groups.
    for (i, _) in code.match_indices("crate::{") {
        let group = &code[i + 8..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        for item in group.split(',') {
            let name: String = item
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// Whether `word` occurs in `code` not as the tail of a longer name
/// (`fs::` yes, `OutputFile::` no for `File::`).
fn mentions(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        !code[..i]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn imports_run_one_way_along_the_pipeline() {
    let mut wrong = Vec::new();
    for (rel, code) in code() {
        let Some(module) = module_of(&rel) else {
            continue;
        };
        let at = PIPELINE
            .iter()
            .position(|m| *m == module)
            .unwrap_or_else(|| panic!("src/{rel}: module {module} is not in PIPELINE"));
        for used in uses(&code) {
            let Some(u) = PIPELINE.iter().position(|m| *m == used) else {
                continue; // an item of lib.rs itself, e.g. `crate::Result`
            };
            if u > at {
                wrong.push(format!(
                    "src/{rel} ({module}) uses {used}, which is downstream"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the pipeline:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_the_writer_and_the_binary_touch_files() {
    let touch: Vec<String> = code()
        .into_iter()
        .filter(|(_, code)| {
            mentions(code, "std::fs") || mentions(code, "fs::") || mentions(code, "File::")
        })
        .map(|(rel, _)| rel)
        .filter(|rel| rel != "output/files.rs" && rel != "main.rs" && !rel.starts_with("cli/"))
        .collect();
    assert!(
        touch.is_empty(),
        "files touched outside output/files.rs and the binary: {touch:?}"
    );
}

#[test]
fn only_the_scheduler_and_the_bench_know_threads() {
    let threads: Vec<String> = code()
        .into_iter()
        .filter(|(_, code)| mentions(code, "rayon") || mentions(code, "thread::"))
        .map(|(rel, _)| rel)
        .filter(|rel| rel != "engine/schedule.rs" && rel != "cli/bench.rs" && rel != "main.rs")
        .collect();
    assert!(
        threads.is_empty(),
        "threads outside engine/schedule.rs and the binary: {threads:?}"
    );
}

/// The command-line flags (`--name`) written in `code`.
fn flags(code: &str) -> Vec<String> {
    code.match_indices("--")
        .filter(|(i, _)| {
            let before = code[..*i].chars().last();
            let after = code[i + 2..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '-')
                && after.is_some_and(|c| c.is_ascii_lowercase())
        })
        .map(|(i, _)| {
            code[i..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect()
        })
        .collect()
}

#[test]
fn the_library_names_no_command_line_flag() {
    let named: Vec<String> = code()
        .into_iter()
        .filter(|(rel, _)| module_of(rel).is_some())
        .flat_map(|(rel, code)| {
            flags(&code)
                .into_iter()
                .map(move |f| format!("src/{rel}: {f}"))
        })
        .collect();
    assert!(
        named.is_empty(),
        "the library names command-line flags (use trialsim::Setting):\n{}",
        named.join("\n")
    );
}

/// The checks above can fail: each rule catches a planted violation.
#[test]
fn the_rules_catch_a_violation() {
    assert!(
        uses("use crate::engine::RunResult;\nlet x = crate::output::format::month_label(1.0);")
            .is_superset(&BTreeSet::from([
                "engine".to_string(),
                "output".to_string()
            ]))
    );
    assert!(uses("use crate::{metrics::Estimate, scenario};").contains("scenario"));
    assert_eq!(module_of("simulate/sufficient.rs"), Some("simulate"));
    assert_eq!(module_of("rng.rs"), Some("rng"));
    assert_eq!(module_of("cli/bench.rs"), None);
    assert!(mentions("use std::fs;", "std::fs") && mentions("x = fs::write(p)", "fs::"));
    assert!(!mentions("OutputFile::new(p)", "File::") && mentions("File::open(p)", "File::"));
    assert_eq!(
        flags(r#"format!("use --replicates {n}"); let x = a - -b; // ---"#),
        ["--replicates"]
    );
}
