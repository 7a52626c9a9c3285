//! Graph API JSON as it comes off the wire. Every field is optional and unknown fields are
//! ignored; enum-like fields are raw strings, so a value Meta adds tomorrow is kept and shown,
//! never a parse failure. Also the `fields=` expansions the client asks for.

use serde::Deserialize;
use serde_json::Value;

/// The fields read for each phone number.
pub const NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,status,name_status,\
quality_rating,throughput,whatsapp_business_manager_messaging_limit,messaging_limit_tier,\
code_verification_status,platform_type,webhook_configuration";

/// The `subscribed_apps` edge as embedded in a WABA read.
pub const SUBSCRIBED_APPS_FIELDS: &str =
    "subscribed_apps{whatsapp_business_api_data,override_callback_uri}";

/// Rows per page for embedded edges (Graph's maximum).
pub const PAGE_LIMIT: u32 = 100;

/// The fields read for each WABA, its phone numbers embedded.
pub fn waba_fields() -> String {
    format!(
        "id,name,account_review_status,{SUBSCRIBED_APPS_FIELDS},\
         phone_numbers.limit({PAGE_LIMIT}){{{NUMBER_FIELDS}}}"
    )
}

/// The fields read for a business: its owned and client WABAs with their numbers, in one request.
pub fn business_fields() -> String {
    let waba = waba_fields();
    format!(
        "id,name,owned_whatsapp_business_accounts.limit({PAGE_LIMIT}){{{waba}}},\
         client_whatsapp_business_accounts.limit({PAGE_LIMIT}){{{waba}}}"
    )
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorEnvelope {
    pub error: WireError,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireError {
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    pub code: Option<i64>,
    pub error_subcode: Option<i64>,
    pub fbtrace_id: Option<String>,
    pub is_transient: Option<bool>,
    /// Anything else (`error_data`, `estimated_time_to_regain_access`, …), searched as needed.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

impl WireError {
    /// `estimated_time_to_regain_access` in minutes, wherever in the error Meta put it.
    pub fn regain_minutes(&self) -> Option<u64> {
        self.rest.iter().find_map(|(k, v)| find_regain(k, v))
    }
}

fn find_regain(key: &str, value: &Value) -> Option<u64> {
    if key == "estimated_time_to_regain_access" {
        return value.as_u64().filter(|m| *m > 0);
    }
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| find_regain(k, v)),
        _ => None,
    }
}

/// A page of an edge: `{"data": [...], "paging": {...}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

impl<T> Page<T> {
    /// The next page's URL, when there is one.
    pub fn next(&self) -> Option<&str> {
        self.paging
            .as_ref()?
            .next
            .as_deref()
            .filter(|n| !n.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Paging {
    pub next: Option<String>,
    pub previous: Option<String>,
}

/// `GET /debug_token` → `{"data": {...}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct DebugTokenResponse {
    pub data: DebugTokenData,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct DebugTokenData {
    pub is_valid: bool,
    /// Unix seconds; 0 means never.
    pub expires_at: Option<i64>,
    pub scopes: Vec<String>,
    pub granular_scopes: Vec<GranularScope>,
    pub error: Option<WireError>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct GranularScope {
    pub scope: String,
    pub target_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireBusiness {
    pub id: String,
    pub name: Option<String>,
    pub owned_whatsapp_business_accounts: Option<Page<WireWaba>>,
    pub client_whatsapp_business_accounts: Option<Page<WireWaba>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireWaba {
    pub id: String,
    pub name: Option<String>,
    pub account_review_status: Option<String>,
    pub phone_numbers: Option<Page<WireNumber>>,
    /// Absent when the server did not report the edge.
    pub subscribed_apps: Option<Page<WireSubscribedApp>>,
}

/// One row of `subscribed_apps`: the app, and the WABA-level callback override when set.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireSubscribedApp {
    pub whatsapp_business_api_data: Option<WireApp>,
    pub override_callback_uri: Option<String>,
}

/// `whatsapp_business_api_data`: `{id, link, name}` of the subscribed app.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireApp {
    pub id: String,
    pub link: Option<String>,
    pub name: Option<String>,
}

/// A number's `webhook_configuration`: the callback set at each level.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireWebhookConfig {
    pub application: Option<String>,
    pub whatsapp_business_account: Option<String>,
    pub phone_number: Option<String>,
}

/// A write's answer: `{"success": true}` when Meta applied it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WriteAnswer {
    pub success: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireNumber {
    pub id: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub status: Option<String>,
    pub name_status: Option<String>,
    pub quality_rating: Option<String>,
    pub throughput: Option<Throughput>,
    pub messaging_limit_tier: Option<String>,
    pub whatsapp_business_manager_messaging_limit: Option<String>,
    pub code_verification_status: Option<String>,
    pub platform_type: Option<String>,
    pub webhook_configuration: Option<WireWebhookConfig>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Throughput {
    pub level: Option<String>,
}

/// One element of a batch answer: `{"code": 200, "headers": [...], "body": "<json text>"}`;
/// `null` means Meta did not process that sub-request.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchItem {
    pub code: u16,
    #[serde(default)]
    pub headers: Vec<BatchHeader>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BatchHeader {
    pub name: String,
    pub value: String,
}

/// A display number reduced to its digits: `+1 555-010-0001` → `15550100001`.
pub fn digits(display: &str) -> String {
    display.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_expansion_embeds_wabas_and_numbers() {
        let fields = business_fields();
        assert!(fields.starts_with("id,name,owned_whatsapp_business_accounts.limit(100){id,name,account_review_status,subscribed_apps{whatsapp_business_api_data,override_callback_uri},phone_numbers.limit(100){id,display_phone_number,"));
        assert!(fields.contains("},client_whatsapp_business_accounts.limit(100){id,name,"));
        assert_eq!(
            fields
                .matches("platform_type,webhook_configuration}}")
                .count(),
            2
        );
    }

    #[test]
    fn unknown_enum_values_and_fields_are_kept_or_ignored() {
        let json = r#"{"id":"1","display_phone_number":"+1 555-010-0001","quality_rating":"PURPLE",
            "throughput":{"level":"LUDICROUS"},"brand_new_field":{"x":1},"status":"CONNECTED"}"#;
        let n: WireNumber = serde_json::from_str(json).unwrap();
        assert_eq!(n.quality_rating.as_deref(), Some("PURPLE"));
        assert_eq!(n.throughput.unwrap().level.as_deref(), Some("LUDICROUS"));
        assert_eq!(digits(&n.display_phone_number.unwrap()), "15550100001");
    }

    #[test]
    fn pages_expose_next_only_when_present() {
        let page: Page<WireWaba> = serde_json::from_str(
            r#"{"data":[{"id":"9","name":"W"}],"paging":{"cursors":{"before":"a","after":"b"},"next":"http://h/v23.0/1/x?after=b"}}"#,
        )
        .unwrap();
        assert_eq!(page.next(), Some("http://h/v23.0/1/x?after=b"));
        let last: Page<WireWaba> =
            serde_json::from_str(r#"{"data":[],"paging":{"cursors":{"before":"a","after":"b"}}}"#)
                .unwrap();
        assert_eq!(last.next(), None);
    }

    #[test]
    fn error_envelope_finds_regain_time_anywhere() {
        let env: ErrorEnvelope = serde_json::from_str(
            r#"{"error":{"message":"Too many calls","type":"OAuthException","code":80008,
            "error_data":{"estimated_time_to_regain_access":3},"fbtrace_id":"X","is_transient":true}}"#,
        )
        .unwrap();
        assert_eq!(env.error.code, Some(80008));
        assert_eq!(env.error.regain_minutes(), Some(3));
        assert_eq!(env.error.is_transient, Some(true));
    }

    #[test]
    fn debug_token_tolerates_missing_fields() {
        let r: DebugTokenResponse =
            serde_json::from_str(r#"{"data":{"is_valid":true,"scopes":["a"],"new":1}}"#).unwrap();
        assert!(r.data.is_valid);
        assert_eq!(r.data.expires_at, None);
        assert!(r.data.granular_scopes.is_empty());
    }
}
