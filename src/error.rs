//! The one error type of the library, and how it maps to exit codes.
//!
//! Messages are lowercase, have no trailing period and say how to fix the
//! problem, e.g. `dropout.monthly_rate = 1.3: must be in [0, 1)`.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit code of a successful run.
pub const EXIT_OK: u8 = 0;
/// Exit code of an internal error (a bug or an I/O failure not caused by input).
pub const EXIT_INTERNAL: u8 = 1;
/// Exit code of bad input: scenario, flags or files.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code of `size` when no value within its bounds reaches the target.
pub const EXIT_NOT_FOUND: u8 = 3;
/// Exit code of an interrupted run (Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Everything that can go wrong in trialsim.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value that parsed but is not allowed.
    #[error("{field} = {value}: {allowed}")]
    Invalid {
        /// Dotted path of the key, e.g. `dropout.monthly_rate`.
        field: String,
        /// The value as the user wrote it.
        value: String,
        /// What is allowed instead.
        allowed: String,
    },
    /// A key that is not part of the scenario format.
    #[error("{field}: unknown key{hint}")]
    UnknownKey {
        /// Dotted path of the unknown key.
        field: String,
        /// A "did you mean" hint, possibly empty.
        hint: String,
    },
    /// A key of the wrong type or shape, or a missing required key.
    #[error("{field}: {message}")]
    Shape {
        /// Dotted path of the key.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A TOML syntax error.
    #[error("{path}: invalid TOML: {message}")]
    Toml {
        /// The file.
        path: String,
        /// The parser's message with line and column.
        message: String,
    },
    /// A file that could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
        /// Whether it is an input the user named (exit code 2) rather than
        /// an output that could not be written (exit code 1).
        input: bool,
    },
    /// A bad run setting given outside the scenario file (a field of the
    /// library's options, a flag of the command line), e.g.
    /// `replicates = 0: must be at least 1`; see [`Error::render`].
    #[error("{0}")]
    Setting(Message),
    /// Bad input file content or command-line usage that is not a scenario key.
    #[error("{0}")]
    Usage(String),
    /// `size` found no value within its bounds that reaches the target (exit code 3).
    #[error("{0}")]
    NotFound(String),
    /// The run was interrupted (exit code 130).
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// An internal failure: a bug, not the user's input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Whether this error is the user's input (exit code 2).
    pub fn is_user_error(&self) -> bool {
        self.exit_code() == EXIT_BAD_INPUT
    }

    /// The documented exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NotFound(_) => EXIT_NOT_FOUND,
            Error::Interrupted(_) => EXIT_INTERRUPTED,
            Error::Internal(_) | Error::Io { input: false, .. } => EXIT_INTERNAL,
            _ => EXIT_BAD_INPUT,
        }
    }

    /// The message in the caller's words: run settings as library fields
    /// ([`Naming::Fields`], what `Display` shows) or as command-line flags
    /// ([`Naming::Flags`], what the binary prints).
    pub fn render(&self, naming: Naming) -> String {
        match self {
            Error::Setting(message) => message.render(naming),
            other => other.to_string(),
        }
    }

    /// A bad run setting: `{setting} = {value}: {allowed}` ([`Error::Setting`]).
    pub fn setting(setting: Setting, value: impl ToString, allowed: impl Into<Message>) -> Self {
        Error::Setting(
            Message::from(setting)
                .then(format!(" = {}: ", value.to_string()))
                .join(allowed.into()),
        )
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(
        field: impl Into<String>,
        value: impl ToString,
        allowed: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            field: field.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }

    /// A file or folder the user named that cannot be read (exit code 2).
    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
            input: true,
        }
    }

    /// An output that cannot be written (exit code 1: not caused by the
    /// input, e.g. a full disk or a folder without write permission).
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
            input: false,
        }
    }
}

/// A run setting given outside the scenario file. The library calls it by
/// its options field (`max_replicates`), the command line by its flag
/// (`--max-replicates`); messages that name one are [`Message`]s, so each
/// caller shows its own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Replicates per design point.
    Replicates,
    /// Target Monte Carlo SE of power.
    Precision,
    /// Ceiling on replicates with a precision target.
    MaxReplicates,
    /// `size`'s target power.
    TargetPower,
    /// `size`'s smallest value.
    Min,
    /// `size`'s largest value.
    Max,
    /// `size`'s ceiling on the exaggeration ratio.
    MaxTypeM,
    /// `size`'s parameter.
    Param,
    /// One of `size`'s requirements.
    Require,
    /// Which end `size` answers with.
    Direction,
    /// `size`'s second parameter.
    Over,
    /// Replicates added to an existing run.
    AddReplicates,
    /// The seed of a run.
    Seed,
    /// One shard of a run.
    Shard,
    /// The output folder.
    Out,
    /// Permission to replace an output folder.
    Force,
    /// `retro`'s assumed true effect.
    Effect,
    /// `retro`'s standard error.
    Se,
    /// `retro`'s significance level.
    Alpha,
    /// `pool`'s confidence level.
    Level,
    /// Which simulated literature the forest plot draws.
    Forest,
    /// A teaching preset.
    Preset,
}

impl Setting {
    /// The name of the library's options field, e.g. `max_replicates`.
    pub fn field(self) -> &'static str {
        match self {
            Setting::Replicates => "replicates",
            Setting::Precision => "precision",
            Setting::MaxReplicates => "max_replicates",
            Setting::TargetPower => "target_power",
            Setting::Min => "min",
            Setting::Max => "max",
            Setting::MaxTypeM => "max_type_m",
            Setting::Param => "param",
            Setting::Require => "require",
            Setting::Direction => "direction",
            Setting::Over => "over",
            Setting::AddReplicates => "add_replicates",
            Setting::Seed => "seed",
            Setting::Shard => "shard",
            Setting::Out => "out",
            Setting::Force => "force",
            Setting::Effect => "effect",
            Setting::Se => "se",
            Setting::Alpha => "alpha",
            Setting::Level => "level",
            Setting::Forest => "forest",
            Setting::Preset => "preset",
        }
    }

    /// The command-line flag, e.g. `--max-replicates`.
    pub fn flag(self) -> String {
        format!("--{}", self.field().replace('_', "-"))
    }

    /// Its name under `naming`.
    pub fn name(self, naming: Naming) -> String {
        match naming {
            Naming::Fields => self.field().to_string(),
            Naming::Flags => self.flag(),
        }
    }
}

/// How a [`Message`] names run settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// As the library's options fields (`max_replicates`): the default, and
    /// what `Display` shows.
    #[default]
    Fields,
    /// As command-line flags (`--max-replicates`).
    Flags,
}

/// Text that may name run settings, rendered for whoever shows it:
/// `use {replicates} 5000` reads "use replicates 5000" in the library and
/// "use --replicates 5000" on the command line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message(Vec<Piece>);

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Setting(Setting),
}

impl Message {
    /// Appends text.
    pub fn then(mut self, text: impl Into<String>) -> Self {
        self.0.push(Piece::Text(text.into()));
        self
    }

    /// Appends a setting's name.
    pub fn setting(mut self, setting: Setting) -> Self {
        self.0.push(Piece::Setting(setting));
        self
    }

    /// Appends another message.
    pub fn join(mut self, other: Message) -> Self {
        self.0.extend(other.0);
        self
    }

    /// The text, settings named under `naming`.
    pub fn render(&self, naming: Naming) -> String {
        self.0
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.clone(),
                Piece::Setting(setting) => setting.name(naming),
            })
            .collect()
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Naming::Fields))
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::default().then(text)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::default().then(text)
    }
}

impl From<Setting> for Message {
    fn from(setting: Setting) -> Self {
        Message::default().setting(setting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_a_field_in_the_library_and_a_flag_on_the_command_line() {
        let e = Error::setting(
            Setting::MaxReplicates,
            10,
            Message::from("must be at least 100 with ").setting(Setting::Precision),
        );
        assert_eq!(
            e.to_string(),
            "max_replicates = 10: must be at least 100 with precision"
        );
        assert_eq!(
            e.render(Naming::Flags),
            "--max-replicates = 10: must be at least 100 with --precision"
        );
        assert_eq!(e.exit_code(), EXIT_BAD_INPUT);
        let other = Error::Usage("no design points".into());
        assert_eq!(other.render(Naming::Flags), other.to_string());
    }
}
