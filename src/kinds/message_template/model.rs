//! A message template as the file asks for it (`DesiredTemplate`: one name, many languages)
//! and as state records it once Meta accepted it (`RecordedTemplate`: each language with its
//! own template id, status and edit times). Identity at Meta is name + language.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::SourceLocation;

/// Meta's template categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    Marketing,
    #[default]
    Utility,
    Authentication,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Marketing => "MARKETING",
            Category::Utility => "UTILITY",
            Category::Authentication => "AUTHENTICATION",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "MARKETING" => Some(Category::Marketing),
            "UTILITY" => Some(Category::Utility),
            "AUTHENTICATION" => Some(Category::Authentication),
            _ => None,
        }
    }

    /// The `message_send_ttl_seconds` Meta accepts for the category, inclusive: 30 s to
    /// 15 min for AUTHENTICATION, 30 s to 12 h for UTILITY, 12 h to 30 days for MARKETING
    /// (Meta's "Configure message time-to-live" page,
    /// developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live).
    pub fn ttl_range(self) -> (u32, u32) {
        match self {
            Category::Authentication => (30, 900),
            Category::Utility => (30, 43_200),
            Category::Marketing => (43_200, 2_592_000),
        }
    }
}

/// How placeholders are written: `{{1}}` (positional) or `{{first_name}}` (named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ParameterFormat {
    #[default]
    Positional,
    Named,
}

impl ParameterFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterFormat::Positional => "positional",
            ParameterFormat::Named => "named",
        }
    }

    /// Meta's spelling (`POSITIONAL`, `NAMED`).
    pub fn meta(self) -> &'static str {
        match self {
            ParameterFormat::Positional => "POSITIONAL",
            ParameterFormat::Named => "NAMED",
        }
    }
}

/// Examples for placeholders: a list for `{{1}}…`, name → value for named placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Examples {
    List(Vec<String>),
    Named(BTreeMap<String, String>),
}

impl Default for Examples {
    fn default() -> Self {
        Examples::List(Vec::new())
    }
}

impl Examples {
    pub fn is_empty(&self) -> bool {
        match self {
            Examples::List(v) => v.is_empty(),
            Examples::Named(m) => m.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HeaderFormat {
    Text,
    Image,
    Video,
    Document,
}

impl HeaderFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderFormat::Text => "TEXT",
            HeaderFormat::Image => "IMAGE",
            HeaderFormat::Video => "VIDEO",
            HeaderFormat::Document => "DOCUMENT",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "TEXT" => Some(HeaderFormat::Text),
            "IMAGE" => Some(HeaderFormat::Image),
            "VIDEO" => Some(HeaderFormat::Video),
            "DOCUMENT" => Some(HeaderFormat::Document),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: HeaderFormat,
    /// TEXT headers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Placeholder examples (TEXT) or the media's upload handle (one item, media formats).
    #[serde(default, skip_serializing_if = "Examples::is_empty")]
    pub example: Examples,
    /// A local file uploaded through Meta's resumable upload to get the handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// `sha256:<hex>` of `file`'s bytes, read at the edge before planning (never from the
    /// YAML): the record keeps it, so new bytes under the same path are an edit.
    #[serde(skip)]
    pub file_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Body {
    /// Absent for AUTHENTICATION templates (Meta writes their fixed text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Examples::is_empty")]
    pub example: Examples,
    /// AUTHENTICATION: Meta's "do not share this code" line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub add_security_recommendation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ButtonType {
    QuickReply,
    Url,
    PhoneNumber,
    CopyCode,
    Otp,
}

impl ButtonType {
    pub fn as_str(self) -> &'static str {
        match self {
            ButtonType::QuickReply => "QUICK_REPLY",
            ButtonType::Url => "URL",
            ButtonType::PhoneNumber => "PHONE_NUMBER",
            ButtonType::CopyCode => "COPY_CODE",
            ButtonType::Otp => "OTP",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "QUICK_REPLY" => Some(ButtonType::QuickReply),
            "URL" => Some(ButtonType::Url),
            "PHONE_NUMBER" => Some(ButtonType::PhoneNumber),
            "COPY_CODE" => Some(ButtonType::CopyCode),
            "OTP" => Some(ButtonType::Otp),
            _ => None,
        }
    }
}

/// One button, with the fields its type uses (the rules check which apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    #[serde(rename = "type")]
    pub kind: ButtonType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub example: Vec<String>,
    /// OTP buttons: COPY_CODE, ONE_TAP or ZERO_TAP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp_type: Option<String>,
    /// ONE_TAP and ZERO_TAP OTP buttons: the Android apps the code is filled into (Meta
    /// requires at least one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_apps: Vec<SupportedApp>,
}

/// An Android app an OTP button fills the code into: its package name and app signing key
/// hash, as Meta's `supported_apps` entries take them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SupportedApp {
    pub package_name: String,
    pub signature_hash: String,
}

/// One language of a template: its components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Language {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Header>,
    pub body: Body,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// AUTHENTICATION: the expiry line Meta adds as the footer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_expiration_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredTemplate {
    pub name: String,
    /// The credentials entry whose WABA holds the template (and whose token writes it).
    pub credentials: String,
    pub category: Category,
    pub parameter_format: ParameterFormat,
    pub allow_category_change: bool,
    pub prevent_destroy: bool,
    pub message_send_ttl_seconds: Option<u32>,
    /// By language code (`en_US`), ordered.
    pub languages: BTreeMap<String, Language>,
    pub source: SourceLocation,
}

/// One language as state records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedLanguage {
    /// The language's template id at Meta (`hsm_id`): what edits and deletions name.
    pub id: String,
    /// Meta's status when last seen (PENDING, APPROVED, REJECTED, PAUSED, DISABLED, …; raw).
    pub status: String,
    /// The components last sent (Meta's JSON shape), to see what an edit would change.
    pub components: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_score: Option<String>,
    /// Unix seconds of each edit of this language while APPROVED, newest last (the quota
    /// window is 30 days, so older ones are dropped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<i64>,
    /// Unix seconds when wacfg sent this language's create: Meta allows 100 creations per
    /// hour per WABA, and these times count what this hour has spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedTemplate {
    pub name: String,
    pub credentials: String,
    pub waba_id: String,
    pub category: Category,
    #[serde(default)]
    pub parameter_format: ParameterFormat,
    #[serde(default)]
    pub allow_category_change: bool,
    #[serde(default)]
    pub prevent_destroy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_send_ttl_seconds: Option<u32>,
    pub languages: BTreeMap<String, RecordedLanguage>,
}
