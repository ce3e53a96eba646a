//! `trialsim merge`: shards into exactly the files an unsharded run writes.

use super::common::{Figures, print, warn, write_outputs};
use std::path::{Path, PathBuf};
use trialsim::engine;
use trialsim::output;
use trialsim::{Error, Result};

/// Runs the command.
pub fn merge(
    shards: &[PathBuf],
    out: &Path,
    force: bool,
    quiet: bool,
    forest: engine::ForestChoice,
) -> Result<()> {
    let files = read_shards(shards)?;
    let (study, result) = engine::shard::merge(files)?;
    let figures = Figures {
        forest,
        threads: None,
        size: None,
        protocol: None,
    };
    write_outputs(out, &study, &result, force, figures)?;
    warn(&result, quiet);
    if quiet {
        Ok(())
    } else {
        print(&format!(
            "{}\nwrote {}\n",
            output::text_summary(&result).trim_end(),
            out.display()
        ))
    }
}

/// Reads every shard file in the given folders (`shard-*.json`, in name
/// order) or files.
fn read_shards(paths: &[PathBuf]) -> Result<Vec<(PathBuf, engine::shard::ShardFile)>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| Error::read(path, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
                })
                .collect();
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: holds no shard-I-of-N.json files",
                    path.display()
                )));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::read(&f, e))?;
            let shard = engine::shard::parse_shard(&text, &f)?;
            Ok((f, shard))
        })
        .collect()
}
