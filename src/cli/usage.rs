//! Command-line mistakes said in one line plus the command's usage line.
//!
//! clap's own messages run to several lines, name Rust number types
//! ("number would be zero for non-zero type"), offer tips that do not apply
//! here (pass `-- -1`) and may suggest a flag that is not similar at all.
//! This module rewrites them from the error's parts: the flag, the value,
//! what is allowed, and a "did you mean" only for a close spelling.

use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

/// The text to print for a command-line mistake: `error: …` and, when it
/// helps, the usage line of the command the user typed.
pub fn explain(error: &clap::Error, argv: &[String]) -> String {
    let context = |kind| error.get(kind).map(plain);
    let arg = context(ContextKind::InvalidArg).map(|a| flag_of(&a));
    let value = context(ContextKind::InvalidValue);
    let line = match error.kind() {
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let flag = arg.unwrap_or_default();
            let value = value.unwrap_or_default();
            let allowed = match (error.kind(), std::error::Error::source(error)) {
                (ErrorKind::ValueValidation, Some(source)) => source.to_string(),
                _ => match error.get(ContextKind::ValidValue) {
                    Some(ContextValue::Strings(values)) => {
                        format!("must be one of {}", values.join(", "))
                    }
                    _ => "is not allowed here".to_string(),
                },
            };
            // A flag where the value should be (`--seed --quiet`).
            let flag_like = value.starts_with("--")
                && value[2..].starts_with(|c: char| c.is_ascii_alphabetic());
            if value.is_empty() || flag_like {
                format!("{flag} needs a value")
            } else if allowed.starts_with(&format!("{flag} = ")) {
                allowed
            } else {
                format!("{flag} = {value}: {allowed}")
            }
        }
        ErrorKind::UnknownArgument => {
            let arg = arg.unwrap_or_default();
            let close = match error.get(ContextKind::SuggestedArg) {
                Some(ContextValue::String(s)) => Some(s.clone()),
                Some(ContextValue::Strings(s)) => s.first().cloned(),
                _ => None,
            }
            .filter(|s| {
                trialsim::scenario::suggest(
                    arg.trim_start_matches('-'),
                    &[s.trim_start_matches('-')],
                )
                .is_some()
            });
            match close {
                Some(s) => format!("unknown flag {arg}; did you mean {s}?"),
                None if arg.starts_with('-') => {
                    format!("unknown flag {arg}; see --help for the flags")
                }
                None => format!("unexpected extra argument {arg}"),
            }
        }
        ErrorKind::InvalidSubcommand => {
            let name = context(ContextKind::InvalidSubcommand).unwrap_or_default();
            let commands: Vec<String> = crate::cli::Cli::command()
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .map(|c| c.get_name().to_string())
                .collect();
            format!(
                "unknown command {name}; the commands are {}",
                commands.join(", ")
            )
        }
        ErrorKind::MissingRequiredArgument => {
            let missing: Vec<String> = match error.get(ContextKind::InvalidArg) {
                Some(ContextValue::Strings(s)) => s.iter().map(|a| missing_name(a)).collect(),
                _ => Vec::new(),
            };
            format!("missing {}", missing.join(" and "))
        }
        ErrorKind::ArgumentConflict => {
            let prior = context(ContextKind::PriorArg).map(|a| flag_of(&a));
            match (arg, prior) {
                (Some(a), Some(p)) => format!("{a} cannot be combined with {p}"),
                _ => first_line(error),
            }
        }
        _ => first_line(error),
    };
    match usage(argv) {
        Some(usage) => format!("error: {line}\n{usage}\n"),
        None => format!("error: {line}\n"),
    }
}

/// A context value as plain text.
fn plain(value: &ContextValue) -> String {
    match value {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(s) => s.join(", "),
        other => other.to_string(),
    }
}

/// `--replicates <REPLICATES>` → `--replicates`.
fn flag_of(arg: &str) -> String {
    arg.split_whitespace().next().unwrap_or(arg).to_string()
}

/// A missing argument in words: `--target-power <TARGET_POWER>` →
/// `--target-power`, `<SCENARIO>` → `the scenario file`.
fn missing_name(arg: &str) -> String {
    match arg {
        "<SCENARIO>" => "the scenario file".to_string(),
        "<EFFECTS>" => "the effects CSV file".to_string(),
        "<SHARDS>..." => "the shard folders or files".to_string(),
        other => flag_of(other),
    }
}

/// clap's own first line, without its `error: `.
fn first_line(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let first = text.lines().next().unwrap_or("");
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// The usage line of the command the user typed (the first word that names
/// one), or of `trialsim` itself.
fn usage(argv: &[String]) -> Option<String> {
    let mut root = crate::cli::Cli::command();
    root.build();
    let named = argv
        .iter()
        .skip(1)
        .find_map(|word| root.find_subcommand(word).map(|c| c.get_name().to_string()));
    let usage = match named {
        Some(name) => root.find_subcommand_mut(&name)?.render_usage(),
        None => root.render_usage(),
    };
    Some(usage.to_string().trim_end().to_string())
}
