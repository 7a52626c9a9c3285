//! Observed: the facts read from Meta's Graph API for one run. Enum-like fields are kept as
//! Meta's raw strings so an unknown value is shown, never a parse failure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::secret::TokenFingerprint;

/// What `debug_token` said about one token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedToken {
    pub fingerprint: TokenFingerprint,
    pub valid: bool,
    /// Unix seconds; `None` when the token never expires.
    pub expires_at: Option<i64>,
    pub scopes: Vec<String>,
    /// Business portfolios the token reaches, when Meta says (granular scopes).
    pub business_ids: Vec<String>,
    /// Why Meta says the token is invalid (`debug_token`'s own `error`), scrubbed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WabaOwnership {
    Owned,
    Client,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedNumber {
    pub id: String,
    /// As Meta shows it, e.g. "+1 555-010-0001".
    pub display_phone_number: String,
    /// The display number reduced to its digits, e.g. "15550100001": what the file names.
    pub digits: String,
    pub verified_name: String,
    /// CONNECTED, DISCONNECTED, … (raw).
    pub status: Option<String>,
    /// APPROVED, PENDING_REVIEW, … (raw).
    pub name_status: Option<String>,
    /// GREEN, YELLOW, RED, UNKNOWN/NA (raw).
    pub quality_rating: Option<String>,
    /// STANDARD, HIGH, NOT_APPLICABLE (raw, from `throughput.level`).
    pub throughput_level: Option<String>,
    /// TIER_1K, … (raw, `messaging_limit_tier` or
    /// `whatsapp_business_manager_messaging_limit`).
    pub messaging_limit: Option<String>,
    pub code_verification_status: Option<String>,
    pub platform_type: Option<String>,
    /// The callback URLs Meta reports for this number (`webhook_configuration`); `None` when
    /// Meta did not report it (older saved data, or a read that did not ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_configuration: Option<ObservedWebhookConfig>,
}

/// A number's `webhook_configuration`: the callback URL set at each of the three levels Meta
/// reports. Meta delivers to the most specific one set (number, then WABA, then app).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ObservedWebhookConfig {
    /// The app's callback URL (App Dashboard > WhatsApp > Configuration).
    pub application: Option<String>,
    /// The WABA's override (`subscribed_apps` `override_callback_uri`).
    pub whatsapp_business_account: Option<String>,
    /// The number's own override.
    pub phone_number: Option<String>,
}

/// One app subscribed to a WABA's webhooks (`subscribed_apps`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ObservedSubscription {
    /// `whatsapp_business_api_data.id`.
    pub app_id: String,
    /// `whatsapp_business_api_data.name`.
    pub app_name: Option<String>,
    /// The WABA-level callback override for this app, when one is set.
    pub override_callback_uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedWaba {
    pub id: String,
    pub name: String,
    pub ownership: WabaOwnership,
    /// APPROVED, PENDING, REJECTED (raw).
    pub account_review_status: Option<String>,
    /// Keyed by phone number ID.
    pub phone_numbers: BTreeMap<String, ObservedNumber>,
    /// Apps subscribed to this WABA's webhooks; `None` when Meta did not report the edge
    /// (older saved data, or a server that does not serve it), `Some(empty)` when none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed_apps: Option<Vec<ObservedSubscription>>,
}

impl ObservedWaba {
    /// The number whose digits are `digits`, if this WABA has it.
    pub fn number_by_digits(&self, digits: &str) -> Option<&ObservedNumber> {
        self.phone_numbers.values().find(|n| n.digits == digits)
    }

    /// A copy of this WABA without its numbers.
    pub fn without_numbers(&self) -> ObservedWaba {
        ObservedWaba {
            id: self.id.clone(),
            name: self.name.clone(),
            ownership: self.ownership,
            account_review_status: self.account_review_status.clone(),
            phone_numbers: BTreeMap::new(),
            subscribed_apps: self.subscribed_apps.clone(),
        }
    }

    /// A copy of this WABA whose only number is `number` (keyed `id`): what a check of one
    /// sender reads, without copying the WABA's other numbers.
    pub fn with_only_number(&self, id: String, number: ObservedNumber) -> ObservedWaba {
        ObservedWaba {
            id: self.id.clone(),
            name: self.name.clone(),
            ownership: self.ownership,
            account_review_status: self.account_review_status.clone(),
            phone_numbers: BTreeMap::from([(id, number)]),
            subscribed_apps: self.subscribed_apps.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedBusiness {
    pub id: String,
    pub name: String,
    /// Owned and client WABAs, keyed by WABA ID.
    pub wabas: BTreeMap<String, ObservedWaba>,
    /// Fields of Meta's answer that could not be read (the rest was kept); empty when all was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ObservedProblem>,
}

impl ObservedBusiness {
    /// The problems that may hide a WABA of this portfolio (a WABA row that could not be read).
    pub fn waba_problems(&self) -> impl Iterator<Item = &ObservedProblem> {
        self.problems.iter().filter(|p| p.waba_id.is_none())
    }

    /// The problems inside WABA `waba_id` that may hide one of its numbers (a number row that
    /// could not be read, or its phone numbers edge).
    pub fn number_problems<'a>(
        &'a self,
        waba_id: &'a str,
    ) -> impl Iterator<Item = &'a ObservedProblem> + 'a {
        self.problems
            .iter()
            .filter(move |p| p.waba_id.as_deref() == Some(waba_id) && p.number_id.is_none())
    }
}

/// One field of Meta's answer for a business portfolio that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedProblem {
    /// Where in the answer, e.g. `owned_whatsapp_business_accounts[0].phone_numbers[2].id`.
    pub path: String,
    /// Why it could not be read.
    pub message: String,
    /// The WABA the field is inside, when that WABA itself was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    /// The number the field is inside, when that number was kept without the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_id: Option<String>,
}

/// A read that failed, kept so the planner can say which step failed and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedError {
    /// Graph error code when there is one (190, 200, 100, …).
    pub code: Option<i64>,
    /// Already scrubbed of any token, with a hint of what to do.
    pub message: String,
}

/// One language of one message template at Meta (`GET /{waba-id}/message_templates`). Enum
/// fields are Meta's raw strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ObservedTemplate {
    /// The language's template id (`hsm_id`).
    pub id: String,
    pub name: String,
    pub language: String,
    /// PENDING, APPROVED, REJECTED, PAUSED, DISABLED, … (raw).
    pub status: String,
    /// MARKETING, UTILITY, AUTHENTICATION (raw).
    pub category: String,
    /// POSITIONAL or NAMED, when Meta says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
    /// GREEN, YELLOW, RED, UNKNOWN (raw, `quality_score.score`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_score: Option<String>,
    /// How long Meta tries to deliver a message sent with it, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_send_ttl_seconds: Option<i64>,
    /// Meta's components as it sent them.
    pub components: serde_json::Value,
}

/// A WABA's templates: by name, then by language (Meta's identity is name + language).
pub type TemplatesByName = BTreeMap<String, BTreeMap<String, ObservedTemplate>>;

/// Everything read from Meta in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Observed {
    /// Keyed by token fingerprint; one `debug_token` per distinct token.
    pub tokens: BTreeMap<TokenFingerprint, Result<ObservedToken, ObservedError>>,
    /// Keyed by business ID, read with the token of a credentials entry naming it.
    pub businesses: BTreeMap<String, Result<ObservedBusiness, ObservedError>>,
    /// Unix seconds at which the read started; used for token-expiry warnings.
    pub read_at: i64,
    /// Message templates by WABA ID (every page, every language), for the WABAs whose
    /// templates the configuration or state names; absent when not read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub templates: BTreeMap<String, Result<TemplatesByName, ObservedError>>,
}

impl Observed {
    /// Find a WABA by business and WABA ID.
    /// Whether the templates of WABA `waba_id` were read, and if so the languages of
    /// template `name` (an empty map when Meta has none).
    pub fn template(
        &self,
        waba_id: &str,
        name: &str,
    ) -> Option<&BTreeMap<String, ObservedTemplate>> {
        static NONE: std::sync::OnceLock<BTreeMap<String, ObservedTemplate>> =
            std::sync::OnceLock::new();
        match self.templates.get(waba_id) {
            Some(Ok(all)) => Some(
                all.get(name)
                    .unwrap_or_else(|| NONE.get_or_init(BTreeMap::new)),
            ),
            _ => None,
        }
    }

    pub fn waba(&self, business_id: &str, waba_id: &str) -> Option<&ObservedWaba> {
        match self.businesses.get(business_id) {
            Some(Ok(b)) => b.wabas.get(waba_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_with_only_the_sender_keeps_the_waba_and_finds_the_sender() {
        let number = |id: &str, digits: &str, status: &str| ObservedNumber {
            id: id.into(),
            display_phone_number: digits.into(),
            digits: digits.into(),
            verified_name: "Acme".into(),
            status: Some(status.into()),
            name_status: None,
            quality_rating: None,
            throughput_level: None,
            messaging_limit: None,
            code_verification_status: None,
            platform_type: None,
            webhook_configuration: None,
        };
        let waba = ObservedWaba {
            id: "w".into(),
            name: "WABA".into(),
            ownership: WabaOwnership::Owned,
            account_review_status: Some("APPROVED".into()),
            phone_numbers: BTreeMap::from([
                ("1".into(), number("1", "15550001", "CONNECTED")),
                ("2".into(), number("2", "15550002", "CONNECTED")),
            ]),
            subscribed_apps: Some(Vec::new()),
        };
        let slim = waba.with_only_number("2".into(), number("2", "15550002", "DISCONNECTED"));
        assert_eq!(slim.phone_numbers.len(), 1);
        assert_eq!(
            slim.number_by_digits("15550002")
                .and_then(|n| n.status.as_deref()),
            Some("DISCONNECTED")
        );
        assert!(slim.number_by_digits("15550001").is_none());
        let rest = |w: &ObservedWaba| {
            (
                w.id.clone(),
                w.name.clone(),
                w.ownership,
                w.account_review_status.clone(),
                w.subscribed_apps.clone(),
            )
        };
        assert_eq!(rest(&slim), rest(&waba));
    }
}
