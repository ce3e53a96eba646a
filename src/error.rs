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
    /// A key reserved for a later version.
    #[error("{field}: not supported yet (reserved for a later version of trialsim)")]
    NotSupported {
        /// Dotted path of the reserved key.
        field: String,
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
