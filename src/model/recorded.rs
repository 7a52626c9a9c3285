//! Recorded: what wacfg has applied, as kept in state. Secrets never enter it: tokens appear
//! only as fingerprints.

use serde::{Deserialize, Serialize};

use super::address::{Address, ResourceKind};
use super::secret::TokenFingerprint;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Failed,
    /// Passed, with something worth a look (RED quality rating).
    Warning,
}

/// The outcome of one check, e.g. `sender_connected`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable id: credentials_valid, sender_in_waba, sender_connected, display_name_approved,
    /// waba_approved, marketing_actions_known, quality_rating.
    pub id: String,
    pub status: CheckStatus,
    pub message: String,
}

/// The attributes of one version of a channel configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChannelSpec {
    pub description: Option<String>,
    pub marketing_actions: Vec<String>,
    pub credentials: Option<String>,
    pub sender_number: Option<String>,
    pub execution_field: Option<String>,
}

/// An update to an Active configuration whose checks failed: the previous version stays
/// Active, and this records what was tried and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedUpdate {
    pub version: u32,
    pub spec: ChannelSpec,
    pub checks: Vec<CheckResult>,
    pub reasons: Vec<String>,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCredentials {
    pub name: String,
    pub business_id: String,
    pub waba_id: String,
    /// The sender chosen in the file, digits only.
    pub phone_number: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub verified_name: String,
    pub token_fingerprint: TokenFingerprint,
    /// Unix seconds; `None` when the token never expires.
    pub token_expires_at: Option<i64>,
    /// Observed facts at the last apply, compared with Meta to report drift.
    pub quality_rating: Option<String>,
    pub throughput_level: Option<String>,
    pub messaging_limit: Option<String>,
    pub number_status: Option<String>,
    pub name_status: Option<String>,
    pub account_review_status: Option<String>,
    /// Unix seconds at which those facts were read.
    pub observed_at: i64,
}

/// One resource in state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordedResource {
    Credentials(RecordedCredentials),
    ChannelConfiguration(RecordedChannel),
}

impl RecordedResource {
    pub fn address(&self) -> Address {
        match self {
            RecordedResource::Credentials(c) => Address::credentials(&c.name),
            RecordedResource::ChannelConfiguration(c) => Address::channel(&c.name),
        }
    }

    pub fn kind(&self) -> ResourceKind {
        self.address().kind
    }
}
