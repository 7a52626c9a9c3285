//! A channel configuration as the file asks for it (`DesiredChannel`) and as state records
//! it (`RecordedChannel`, with its status, version, checks and any failed update).

use serde::{Deserialize, Serialize};

use crate::model::{CheckResult, SourceLocation};

/// A channel configuration's status, as in the source product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Draft,
    Processing,
    Active,
    Failed,
    Deactivated,
}

impl ChannelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Draft => "draft",
            ChannelStatus::Processing => "processing",
            ChannelStatus::Active => "active",
            ChannelStatus::Failed => "failed",
            ChannelStatus::Deactivated => "deactivated",
        }
    }
}

/// The attributes of one version of a channel configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChannelSpec {
    pub description: Option<String>,
    pub marketing_actions: Vec<String>,
    pub credentials: Option<String>,
    pub sender_number: Option<String>,
    pub execution_field: Option<String>,
    /// The message templates it sends (names under `message_templates`), sorted. Left out of
    /// the record when empty, so states written before it read and hash the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<String>,
}

/// An update to an Active configuration whose checks failed: the previous version stays
/// Active, and this records what was tried and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedUpdate {
    pub version: u32,
    pub spec: ChannelSpec,
    pub checks: Vec<CheckResult>,
    pub reasons: Vec<String>,
    /// `checks::failure_digest` of this submission: while a plan finds the same, the update
    /// is not submitted again (unless `--retry-failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedChannel {
    pub name: String,
    pub status: ChannelStatus,
    /// Version of `spec`, starting at 1; +1 for each submitted change.
    pub version: u32,
    /// The version in force: the Active one, or the last one submitted / saved.
    pub spec: ChannelSpec,
    /// The sender's phone number ID at Meta, once checks resolved it.
    pub phone_number_id: Option<String>,
    /// Results of the last check run of `spec`.
    pub checks: Vec<CheckResult>,
    /// Why `spec` failed (status Failed).
    pub failure_reasons: Vec<String>,
    pub failed_update: Option<FailedUpdate>,
    pub prevent_destroy: bool,
    /// Status Failed: `checks::failure_digest` of the failed submission (its spec and what its
    /// failing checks read). While a plan finds the same, it is not submitted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_digest: Option<String>,
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
    /// Sorted (a set: the order it is written in is no change).
    pub templates: Vec<String>,
    pub status: DesiredStatus,
    pub prevent_destroy: bool,
    pub source: SourceLocation,
}
