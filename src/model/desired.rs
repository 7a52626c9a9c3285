//! The configuration-wide settings of a validated file (meta, state, safety) and where each
//! declaration came from. The per-kind resources and the whole `Desired` live in `kinds`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::secret::SecretRef;

/// Where a declaration came from, for messages that point back at the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SourceLocation {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaSettings {
    pub graph_url: String,
    pub api_version: String,
}

impl Default for MetaSettings {
    fn default() -> Self {
        Self {
            graph_url: "https://graph.facebook.com".to_string(),
            api_version: "v23.0".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum StateSettings {
    /// A JSON file; the path is already resolved against the config file's directory.
    Local { path: PathBuf },
    /// A PostgreSQL database; `url` is a secret reference (it may carry a password).
    Postgres { url: SecretRef, workspace: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Safety {
    /// Deletions + deactivations, as a percentage of managed resources, above which a plan is
    /// refused unless `--allow-destructive`.
    pub max_destructive_percent: u32,
    /// The threshold is only enforced from this many managed resources.
    pub min_managed: u32,
}

impl Default for Safety {
    fn default() -> Self {
        Self {
            max_destructive_percent: 30,
            min_managed: 10,
        }
    }
}

/// A `moved:` entry: the record at `from` now belongs to the entry declared at `to` (a rename
/// that keeps the record's history and version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    pub from: crate::model::Address,
    pub to: crate::model::Address,
    pub source: SourceLocation,
}
