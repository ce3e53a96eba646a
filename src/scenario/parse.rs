//! TOML text to the serde mirror: syntax errors with line and column,
//! unknown keys with a "did you mean", and type errors in the user's words
//! (`design.n_per_arm = "20": must be a whole number (not text) in [2,
//! 10000000]`) rather than serde's (`invalid type: string "20", expected u64`).

use super::file::{self, ScenarioFile};
use crate::error::{Error, Result};

/// Parses TOML text (a leading BOM is allowed) into a table; syntax errors
/// name the file, line and column.
pub fn parse_table(text: &str, origin: &str) -> Result<toml::Table> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.parse().map_err(|e: toml::de::Error| {
        let at = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(" at line {line}, column {col}")
            })
            .unwrap_or_default();
        let message = e.message().trim().replace('\n', " ");
        // toml says "invalid type: integer `N` as i128, expected any valid
        // TOML value" for an integer beyond i64: say it in words.
        let message = match message
            .strip_prefix("invalid type: integer `")
            .and_then(|rest| rest.split_once('`'))
        {
            Some((digits, _)) => format!(
                "the whole number {digits} is too large (TOML holds whole numbers up to {})",
                i64::MAX
            ),
            None => message,
        };
        Error::Toml {
            path: origin.to_string(),
            message: format!("{message}{at}"),
        }
    })
}

/// Deserialises the table, reporting unknown keys (with a hint) and type errors by path.
pub(super) fn deserialize(table: toml::Table) -> Result<ScenarioFile> {
    let mut unknown: Vec<(String, String)> = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let value = toml::Value::Table(table);
    let original = value.clone();
    let tracked = serde_path_to_error::Deserializer::new(value, &mut track);
    let parsed: std::result::Result<ScenarioFile, _> = serde_ignored::deserialize(tracked, |p| {
        unknown.push(ignored_path(&p));
    });
    if let Some((field, leaf_parent)) = unknown.into_iter().next() {
        let leaf = field.rsplit('.').next().unwrap_or(&field).to_string();
        let hint = suggest(&leaf, file::known_keys(&leaf_parent))
            .map(|k| format!("; did you mean `{k}`?"))
            .unwrap_or_else(|| {
                let keys = file::known_keys(&leaf_parent);
                if keys.is_empty() {
                    String::new()
                } else {
                    format!("; expected one of: {}", keys.join(", "))
                }
            });
        return Err(Error::UnknownKey { field, hint });
    }
    parsed.map_err(|e| {
        let path = track.path().to_string();
        let message = first_line(&e.to_string());
        // serde says "missing field `x`" at the parent; name the key itself.
        if let Some(rest) = message.strip_prefix("missing field `") {
            let key = rest.split('`').next().unwrap_or(rest);
            let field = if path == "." || path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            return Error::Shape {
                field,
                message: "required key is missing".to_string(),
            };
        }
        let field = if path == "." || path.is_empty() {
            "scenario".to_string()
        } else {
            path
        };
        in_words(&field, value_at(&original, &field), &message, || {
            variants_at(&original, &field)
        })
    })
}

/// Values a validated type does not take although serde's enum lists them
/// (reserved for a later version): left out of "must be one of".
const RESERVED_VALUES: [(&str, &str); 0] = [];

/// A serde type error at `field` (value `value`) said in the user's words:
/// the value as written, then what the key takes. serde's text (`invalid
/// type: string "20", expected u64`) names Rust types; only its "expected"
/// part is read, to learn the kind of value the key takes.
fn in_words(
    field: &str,
    value: Option<&toml::Value>,
    message: &str,
    variants: impl FnOnce() -> Option<Vec<String>>,
) -> Error {
    let shown = value.map_or_else(|| "(this value)".to_string(), ToString::to_string);
    let bare = strip_indices(field);
    let one_of_variants = |names: Vec<String>| {
        let allowed: Vec<String> = names
            .into_iter()
            .filter(|v| !RESERVED_VALUES.contains(&(bare.as_str(), v.as_str())))
            .map(|v| format!("\"{v}\""))
            .collect();
        one_of(&allowed)
    };
    if message.starts_with("unknown variant `") {
        return Error::invalid(field, shown, one_of_variants(variant_names(message)));
    }
    let expected = message.rsplit(", expected ").next().unwrap_or("");
    // A section written as a list of tables (`[[design]]`, `small_study =
    // [{ … }]`): serde reads the list as the section's fields in order and
    // trips on the first, at `design[0]`. Say what the section must be.
    if let (Some(toml::Value::Table(_)), Some(parent)) = (
        value,
        field.strip_suffix("[0]").filter(|p| !p.ends_with(']')),
    ) && !expected.contains("map")
        && !expected.starts_with("struct ")
    {
        return Error::Shape {
            field: parent.to_string(),
            message: format!(
                "must be one table ([{parent}] or {{ key = value, … }}), not a list of tables ([[{parent}]] or [{{ … }}])"
            ),
        };
    }
    let not = match value {
        Some(toml::Value::String(_)) => " (not text)",
        Some(toml::Value::Array(_)) => " (not a list)",
        Some(toml::Value::Table(_)) => " (not a table)",
        Some(toml::Value::Boolean(_)) => " (not true or false)",
        _ => "",
    };
    let allowed = match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            format!("must be a whole number{not} {}", whole_number_range(field))
        }
        "f32" | "f64" => format!("must be a number{not}"),
        "a boolean" => format!("must be true or false{not}"),
        "a string" => "must be text in quotes, e.g. \"text\"".to_string(),
        "a sequence" => match value {
            // One name where a list of names belongs: show it in brackets.
            Some(toml::Value::String(s)) if NAME_LISTS.contains(&field) => {
                format!("must be a list in brackets{not}, e.g. [{s:?}]")
            }
            _ => format!("must be a list in brackets{not}, e.g. [1, 3, 6]"),
        },
        e if e.starts_with("struct ") || e.contains("map") => {
            format!("must be a table of keys{not}, e.g. {{ key = 1 }} or a [section]")
        }
        e if e.contains('`') => {
            let allowed: Vec<String> = e
                .split('`')
                .skip(1)
                .step_by(2)
                .map(|v| format!("\"{v}\""))
                .collect();
            one_of(&allowed)
        }
        // An enum key given a number, a list or a table: serde's message
        // does not list its values; `variants` asks for them.
        _ => match variants() {
            Some(names) => format!("{} (in quotes)", one_of_variants(names)),
            None => "is not a value this key takes (see the README's scenario keys)".to_string(),
        },
    };
    Error::invalid(field, shown, allowed)
}

/// The keys whose lists hold names rather than numbers.
const NAME_LISTS: [&str; 3] = [
    "meta_analysis.subgroups",
    "forking_paths.methods",
    "forking_paths.missing",
];

/// serde's message without what toml adds: an "in `path`" (the path is
/// named once, by the caller) and further lines.
fn first_line(full: &str) -> String {
    let first = full.lines().next().unwrap_or("").trim_end();
    match first.rfind(" in `") {
        Some(i) if first.ends_with('`') => first[..i].to_string(),
        _ => first.to_string(),
    }
}

/// The values serde's "unknown variant `x`, expected one of `a`, `b`" lists.
fn variant_names(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(3)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The values of the enum key at `field`, learnt by giving it a string no
/// variant has and reading serde's "unknown variant" list; `None` when the
/// key is not an enum.
fn variants_at(original: &toml::Value, field: &str) -> Option<Vec<String>> {
    let mut probe = original.clone();
    *value_at_mut(&mut probe, field)? = toml::Value::String("\u{1}".to_string());
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(probe, &mut track);
    let message = first_line(
        &<ScenarioFile as serde::Deserialize>::deserialize(tracked)
            .err()?
            .to_string(),
    );
    (track.path().to_string() == field && message.starts_with("unknown variant `"))
        .then(|| variant_names(&message))
}

/// "must be one of "a", "b", "c"" (or "must be "a" or "b"").
fn one_of(allowed: &[String]) -> String {
    match allowed {
        [] => "is not a value this key takes".to_string(),
        [one] => format!("must be {one}"),
        [a, b] => format!("must be {a} or {b}"),
        many => format!("must be one of {}", many.join(", ")),
    }
}

/// The range of an integer key, in words, for its type error (the same
/// range its value check reports).
fn whole_number_range(field: &str) -> String {
    match super::validate::integer_range(&strip_indices(field)) {
        (lo, None) => format!(">= {lo}"),
        (lo, Some(hi)) => format!("in [{lo}, {hi}]"),
    }
}

/// `a.b[0].c[12]` → `a.b.c`.
fn strip_indices(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut depth = 0;
    for c in field.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The value at a dotted path with indices (`a.b[0].c`), if there is one.
fn value_at<'a>(root: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    let mut at = root;
    for (key, index) in super::sweep::segments(path)? {
        at = at.get(key)?;
        at = index.map_or(Some(at), |i| at.get(i))?;
    }
    Some(at)
}

/// [`value_at`], mutable.
fn value_at_mut<'a>(root: &'a mut toml::Value, path: &str) -> Option<&'a mut toml::Value> {
    let mut at = root;
    for (key, index) in super::sweep::segments(path)? {
        at = at.get_mut(key)?;
        if let Some(i) = index {
            at = at.get_mut(i)?;
        }
    }
    Some(at)
}

/// Formats a serde_ignored path as `a.b[0].c`, and returns the index-free parent too.
fn ignored_path(p: &serde_ignored::Path<'_>) -> (String, String) {
    fn walk(p: &serde_ignored::Path<'_>, full: &mut String, bare: &mut Vec<String>) {
        use serde_ignored::Path;
        match p {
            Path::Root => {}
            Path::Seq { parent, index } => {
                walk(parent, full, bare);
                full.push_str(&format!("[{index}]"));
            }
            Path::Map { parent, key } => {
                walk(parent, full, bare);
                if !full.is_empty() {
                    full.push('.');
                }
                full.push_str(key);
                bare.push(key.clone());
            }
            Path::Some { parent }
            | Path::NewtypeStruct { parent }
            | Path::NewtypeVariant { parent } => walk(parent, full, bare),
        }
    }
    let mut full = String::new();
    let mut bare = Vec::new();
    walk(p, &mut full, &mut bare);
    bare.pop();
    (full, bare.join("."))
}

/// The closest known key to a misspelt one, if close enough to be a typo.
pub fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}
