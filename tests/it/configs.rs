//! Every scenario file shipped under `configs/` parses, validates and has at
//! least one design point (STYLE.md D1: "a test parses every file here").

use std::fs;
use std::path::{Path, PathBuf};
use trialsim::scenario::Study;

/// The `*.toml` files under `dir`, in subfolders too, sorted.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(toml_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn every_config_parses_with_at_least_one_design_point() {
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let files = toml_files(&configs);
    assert!(
        !files.is_empty(),
        "no *.toml under {}: nothing to check",
        configs.display()
    );
    for path in &files {
        let origin = path.display().to_string();
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{origin}: {e}"));
        let study =
            Study::from_toml_str(&text, &origin).unwrap_or_else(|e| panic!("{origin}: {e}"));
        assert!(!study.points.is_empty(), "{origin}: no design points");
        // Its resolved file describes exactly what would run.
        study
            .resolved_toml(study.seed, study.replicates)
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
    }
}
