//! Diagnostics: problems found in configuration files, many at once, each with a stable code,
//! a severity, a message, a help line and where it is. Rendering lives in `render/`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a source file. `line` and `column` are 1-based; `offset`/`len` are bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable, e.g. `wacfg::name::invalid_start`.
    pub code: String,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    pub file: Option<PathBuf>,
    pub span: Option<Span>,
    /// JSON pointer to the node, e.g. `/channel_configurations/0/name`.
    pub pointer: Option<String>,
    /// Other places that matter (the first of two duplicates, …).
    pub related: Vec<Related>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub message: String,
    pub file: Option<PathBuf>,
    pub span: Option<Span>,
}

impl Diagnostic {
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code: code.into(),
            message: message.into(),
            help: None,
            file: None,
            span: None,
            pointer: None,
            related: Vec::new(),
        }
    }

    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn at(mut self, file: impl Into<PathBuf>, span: Span) -> Self {
        self.file = Some(file.into());
        self.span = Some(span);
        self
    }

    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
