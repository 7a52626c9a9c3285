//! A webhook as the file asks for it (`DesiredWebhook`) and as state records it once Meta
//! accepted it (`RecordedWebhook`). The verify token is write-only at Meta: state keeps only
//! its fingerprint. Keywords and replies are platform settings the inbound service reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{SecretRef, SourceLocation, TokenFingerprint};

/// Where Meta delivers: the WABA's override callback, or the sender number's own override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WebhookScope {
    #[default]
    Waba,
    PhoneNumber,
}

impl WebhookScope {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookScope::Waba => "waba",
            WebhookScope::PhoneNumber => "phone_number",
        }
    }
}

/// One inbound keyword category (`opt_in`, `opt_out`, `help`, `default`): the words that
/// trigger it and the automatic reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KeywordCategory {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// Keyword categories by name, ordered.
pub type Keywords = BTreeMap<String, KeywordCategory>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredWebhook {
    pub name: String,
    /// The credentials entry whose WABA (and number) it subscribes.
    pub credentials: String,
    pub callback_url: String,
    pub verify_token: SecretRef,
    pub scope: WebhookScope,
    pub keywords: Keywords,
    pub prevent_destroy: bool,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedWebhook {
    pub name: String,
    pub credentials: String,
    /// The WABA subscribed.
    pub waba_id: String,
    /// The number whose override is set (scope `phone_number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    pub scope: WebhookScope,
    pub callback_url: String,
    /// SHA-256 of the verify token: enough to notice a rotation, never the token.
    pub verify_token_fingerprint: TokenFingerprint,
    #[serde(default)]
    pub keywords: Keywords,
    #[serde(default)]
    pub prevent_destroy: bool,
}
