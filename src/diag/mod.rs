//! Located diagnostics for everything a user writes: config and price table.
//!
//! Owns the `file:line: field: reason` contract of every configuration error
//! and warning, and the field paths that locate them. It must not know what
//! any particular field means: validation lives with the types it validates.

mod path;
mod toml_doc;

pub use path::FieldPath;
pub use toml_doc::TomlDoc;

use std::fmt;

/// Whether a diagnostic stops the program or only informs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about a user-written input, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file, or `env NAME` when the value came from the environment.
    pub origin: String,
    /// 1-based line; `None` when the field is absent from the file.
    pub line: Option<usize>,
    /// Dotted field path such as `budgets[2].limit_usd`.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.reason)
        } else {
            write!(f, ": {}: {}", self.field, self.reason)
        }
    }
}

/// A finding before it is located in a file: what validation produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub path: FieldPath,
    pub reason: String,
}

impl Finding {
    pub fn error(path: FieldPath, reason: impl Into<String>) -> Self {
        Finding { severity: Severity::Error, path, reason: reason.into() }
    }

    pub fn warning(path: FieldPath, reason: impl Into<String>) -> Self {
        Finding { severity: Severity::Warning, path, reason: reason.into() }
    }
}

/// Every error and warning found in one input, so a user fixes them all in one go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
