//! Credentials as the file asks for them (`DesiredCredentials`: a token reference, the
//! portfolio, WABA and number) and as state records them once verified (`RecordedCredentials`:
//! resolved IDs, observed facts, the token's fingerprint — never the token).

use serde::{Deserialize, Serialize};

use crate::model::{SecretRef, SourceLocation, TokenFingerprint};

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
