//! The outcome of one check (of a channel configuration, a webhook, …): stable id, status,
//! message. Kept in state and shown in plans and apply reports.

use serde::{Deserialize, Serialize};

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
