//! The data of templates: what a world file seeds under a WABA (`message_templates:`), the
//! review rules (`template_review:`), and the `Ledger` of what happened while the simulator
//! ran (pending reviews, edit and creation times, locked names, upload sessions, the clock
//! offset). The ledger is not part of the world file and starts empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One template in one language: Meta's template node.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    /// Digits; assigned at load when absent.
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    #[serde(default = "approved")]
    pub status: String,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`; served as `{"score": …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_score: Option<String>,
    #[serde(default)]
    pub components: Vec<Value>,
    /// `POSITIONAL` or `NAMED` (served as stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_send_ttl_seconds: Option<i64>,
}

fn approved() -> String {
    "APPROVED".into()
}

impl MessageTemplate {
    /// The components as Meta reads them back. An AUTHENTICATION template's body and expiry
    /// footer carry the text Meta writes for them, and its OTP button comes back as a URL
    /// button to Meta's OTP link (a capture of Meta's answer shows all three); other
    /// templates come back as stored.
    pub fn components_as_read(&self) -> Vec<Value> {
        if self.category != "AUTHENTICATION" {
            return self.components.clone();
        }
        let minutes = self
            .components
            .iter()
            .find_map(|c| c.get("code_expiration_minutes").and_then(Value::as_u64));
        self.components
            .iter()
            .map(|c| {
                let mut c = c.clone();
                let kind = c["type"].as_str().unwrap_or_default().to_ascii_uppercase();
                match kind.as_str() {
                    "BODY" => {
                        let mut text = "*{{1}}* is your verification code.".to_string();
                        if c["add_security_recommendation"] == true {
                            text.push_str(" For your security, do not share this code.");
                        }
                        c["text"] = Value::String(text);
                    }
                    "FOOTER" if minutes.is_some() => {
                        c["text"] = Value::String(format!(
                            "This code expires in {} minutes.",
                            minutes.unwrap_or_default()
                        ));
                    }
                    "BUTTONS" => {
                        if let Some(buttons) = c["buttons"].as_array_mut() {
                            for b in buttons.iter_mut() {
                                if b["type"] == "OTP" {
                                    *b = otp_as_read(b, minutes);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                c
            })
            .collect()
    }

    /// The text of the BODY component ("" when there is none).
    pub fn body_text(&self) -> &str {
        component_text(&self.components, "BODY")
    }
}

/// The `text` of the first component of a type (case-insensitive), or "".
pub fn component_text<'a>(components: &'a [Value], kind: &str) -> &'a str {
    components
        .iter()
        .find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        })
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// How "Meta" decides a submitted template: PENDING for `delay_ms`, then the first matching
/// rule rejects it with its reason; no match approves it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TemplateReview {
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub reject: Vec<RejectRule>,
}

/// Every condition given must hold for the rule to match.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RejectRule {
    /// Case-insensitive substring of the BODY text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// Exact category (MARKETING, UTILITY, AUTHENTICATION).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Case-insensitive substring of the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_contains: Option<String>,
    /// The `rejected_reason` served (SCAM, PROMOTIONAL, INCORRECT_CATEGORY, …).
    pub reason: String,
}

impl RejectRule {
    pub fn matches(&self, t: &MessageTemplate) -> bool {
        let has = |hay: &str, needle: &Option<String>| {
            needle
                .as_ref()
                .is_none_or(|n| hay.to_lowercase().contains(&n.to_lowercase()))
        };
        has(t.body_text(), &self.body_contains)
            && has(&t.name, &self.name_contains)
            && self.category.as_ref().is_none_or(|c| c == &t.category)
    }
}

/// A resumable-upload session (`POST /{app-id}/uploads`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Upload {
    pub file_length: u64,
    pub file_type: String,
    pub received: u64,
}

/// What happened while the simulator ran; times are simulated Unix milliseconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger {
    /// Added to the real clock (`POST /__sim/clock`).
    pub clock_offset_ms: i64,
    /// The real time the clock was frozen at: then only `advance` moves it.
    pub frozen_at_ms: Option<i64>,
    /// Template id → when its review ends.
    pub pending: BTreeMap<String, i64>,
    /// Template id → times of the edits made while it was APPROVED.
    pub edits: BTreeMap<String, Vec<i64>>,
    /// WABA id → times of its creations.
    pub creations: BTreeMap<String, Vec<i64>>,
    /// (WABA id, name, language) → locked until.
    pub locks: BTreeMap<(String, String, String), i64>,
    /// Upload session id (after `upload:`) → session.
    pub uploads: BTreeMap<String, Upload>,
    /// Counter behind new template ids and upload sessions.
    pub next: u64,
}

/// An OTP button as Meta reads it back: a URL button to its OTP link, "Copy code" unless the
/// button was given a text.
fn otp_as_read(b: &Value, minutes: Option<u64>) -> Value {
    let otp_type = b["otp_type"].as_str().unwrap_or("COPY_CODE");
    let expiry = minutes.map_or(String::new(), |m| format!("&code_expiration_minutes={m}"));
    let url = format!("https://www.whatsapp.com/otp/code/?otp_type={otp_type}{expiry}&code=otp");
    let mut read = serde_json::json!({
        "type": "URL",
        "text": b["text"].as_str().unwrap_or("Copy code"),
        "url": format!("{url}{{{{1}}}}"),
        "example": [format!("{url}123456")],
    });
    // The simulator's choice (Meta documents no read-back of them): the apps come back as sent.
    if let Some(apps) = b.get("supported_apps") {
        read["supported_apps"] = apps.clone();
    }
    read
}
