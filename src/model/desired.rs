//! Desired: what the configuration file asks for, after validation. Only a file with no
//! errors becomes a `Desired`; every field here is already checked.

use std::collections::BTreeMap;
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

/// What status the file asks a channel configuration to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DesiredStatus {
    #[default]
    Active,
    Draft,
    Deactivated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredCredentials {
    pub name: String,
    pub token: SecretRef,
    /// Business portfolio (Business Manager) ID.
    pub business_id: String,
    /// WhatsApp Business Account ID.
    pub waba_id: String,
    /// The sender number, digits only.
    pub phone_number: String,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredChannel {
    pub name: String,
    pub description: Option<String>,
    /// Sorted and de-duplicated.
    pub marketing_actions: Vec<String>,
    /// Name of a credentials entry; `None` only for drafts.
    pub credentials: Option<String>,
    /// Digits only; `None` only for drafts.
    pub sender_number: Option<String>,
    pub execution_field: Option<String>,
    pub status: DesiredStatus,
    pub prevent_destroy: bool,
    pub source: SourceLocation,
}

/// The whole validated configuration. Maps are keyed by name and ordered, so everything
/// derived from them is deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desired {
    pub meta: MetaSettings,
    pub state: StateSettings,
    pub safety: Safety,
    /// Custom marketing actions declared by the file (the core ones are always known).
    pub marketing_actions: Vec<String>,
    pub credentials: BTreeMap<String, DesiredCredentials>,
    pub channel_configurations: BTreeMap<String, DesiredChannel>,
    /// SHA-256 over the configuration's bytes (all files, in load order): a saved plan pins it.
    pub config_digest: String,
}

impl Desired {
    /// Whether a marketing action is known: a core one or one the file declares.
    pub fn knows_marketing_action(&self, action: &str) -> bool {
        super::CORE_MARKETING_ACTIONS.contains(&action)
            || self.marketing_actions.iter().any(|a| a == action)
    }
}
