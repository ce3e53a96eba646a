//! The only place the library touches the file system: it writes a run's
//! files through a staging folder (nothing half-written is ever left in the
//! output folder) and checks that an output folder may be replaced. Every
//! other part of `output` renders values to text or bytes in memory.

use crate::error::{Error, Message, Result, Setting};
use crate::output::OutputFile;
use std::fs;
use std::path::{Path, PathBuf};

/// Whether the outputs of scenario `scenario` with seed `seed` may go to
/// `out`: a new or empty folder, one holding the same scenario's and seed's
/// results, or any folder with `force` — never a file, the current folder or
/// one that holds it. Checked before a run starts and again when it writes.
///
/// # Errors
/// [`Error::Setting`] saying why not and what to do.
pub fn check_overwrite(out: &Path, scenario: &str, seed: u64, force: bool) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(Error::Setting(Message::from(Setting::Out).then(format!(
            " {}: exists and is not a folder; choose another output folder",
            out.display()
        ))));
    }
    // The outputs replace the folder as a whole: never the folder the user
    // works in, or one that holds it (not even with --force).
    let here = std::env::current_dir().and_then(|d| d.canonicalize());
    if let (Ok(out_dir), Ok(here)) = (out.canonicalize(), here)
        && here.starts_with(&out_dir)
    {
        return Err(Error::Setting(Message::from(Setting::Out).then(format!(
            " {}: is the current folder or holds it; choose a folder of its own for the outputs",
            out.display()
        ))));
    }
    if force {
        return Ok(());
    }
    let mut entries = fs::read_dir(out).map_err(|e| Error::read(out, e))?;
    if entries.next().is_none() {
        return Ok(());
    }
    let summary = out.join("summary.json");
    let previous = fs::read_to_string(&summary)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let Some(prev) = previous else {
        return Err(Error::Setting(
            Message::from(Setting::Out)
                .then(format!(
                    " {}: folder is not empty and holds no trialsim summary.json; use ",
                    out.display()
                ))
                .setting(Setting::Force)
                .then(" to replace it or choose another folder"),
        ));
    };
    let same = prev.get("scenario").and_then(|v| v.as_str()) == Some(scenario)
        && prev.get("seed").and_then(|v| v.as_u64()) == Some(seed);
    if same {
        Ok(())
    } else {
        Err(Error::Setting(
            Message::from(Setting::Out)
                .then(format!(
                    " {}: holds results of scenario {} with seed {}; use ",
                    out.display(),
                    prev.get("scenario").unwrap_or(&serde_json::Value::Null),
                    prev.get("seed").unwrap_or(&serde_json::Value::Null),
                ))
                .setting(Setting::Force)
                .then(" to replace them or choose another folder"),
        ))
    }
}

/// An output folder being written: files go to a staging folder beside
/// `out` as they are made (so a large sweep's files need not all be held in
/// memory at once), and [`Staging::commit`] moves it into place. Dropped
/// without a commit, it removes the staging folder and `out` is left as it
/// was.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    staging: PathBuf,
    old: PathBuf,
    committed: bool,
}

impl Staging {
    /// Checks that `out` may take the outputs of `(scenario, seed)` and
    /// opens an empty staging folder beside it.
    ///
    /// # Errors
    /// [`Error::Setting`] when `out` holds other results (without `force`)
    /// or is a file; [`Error::Io`] when the staging folder cannot be made.
    pub fn begin(out: &Path, (scenario, seed): (&str, u64), force: bool) -> Result<Staging> {
        check_overwrite(out, scenario, seed, force)?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::write(&parent, e))?;
        let base = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".to_string());
        let pid = std::process::id();
        let staging = Staging {
            out: out.to_path_buf(),
            staging: parent.join(format!(".{base}.staging-{pid}")),
            old: parent.join(format!(".{base}.old-{pid}")),
            committed: false,
        };
        if staging.staging.exists() {
            fs::remove_dir_all(&staging.staging).map_err(|e| Error::write(&staging.staging, e))?;
        }
        fs::create_dir(&staging.staging).map_err(|e| Error::write(&staging.staging, e))?;
        Ok(staging)
    }

    /// Writes one file into the staging folder.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    pub fn write(&mut self, file: &OutputFile) -> Result<()> {
        let path = self.staging.join(&file.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        }
        fs::write(&path, &file.bytes).map_err(|e| Error::write(&path, e))
    }

    /// Moves the staging folder into place as `out` (replacing what it
    /// held) if `before_commit` agrees.
    ///
    /// # Errors
    /// Whatever `before_commit` returns; [`Error::Io`] when a move fails
    /// (then `out` is left as it was).
    pub fn commit(mut self, before_commit: impl FnOnce() -> Result<()>) -> Result<()> {
        before_commit()?;
        let (out, staging, old) = (&self.out, &self.staging, &self.old);
        if out.exists() {
            fs::rename(out, old).map_err(|e| Error::write(out, e))?;
        }
        fs::rename(staging, out).map_err(|e| Error::write(out, e))?;
        self.committed = true;
        if old.exists() {
            fs::remove_dir_all(old).map_err(|e| Error::write(old, e))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let _ = fs::remove_dir_all(&self.staging);
        if self.old.exists() && !self.out.exists() {
            let _ = fs::rename(&self.old, &self.out);
        }
    }
}

/// Writes `text` to `path` through `path.tmp`, so a failed write leaves no
/// half-written file.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, text).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::write(path, e)
    })?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::write(path, e)
    })
}
