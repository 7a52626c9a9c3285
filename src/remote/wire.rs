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

/// A page of an edge: `{"data": [...], "paging": {...}}`. Also read from what Meta sometimes
/// sends instead: `data: null` (no rows) and the rows as a bare array (one page).
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"), from = "PageRepr<T>")]
pub struct Page<T> {
    pub data: Vec<T>,
    pub paging: Option<Paging>,
}

#[derive(Deserialize)]
#[serde(untagged, bound(deserialize = "T: Deserialize<'de>"))]
enum PageRepr<T> {
    Rows(Vec<T>),
    Page {
        #[serde(default = "Option::default")]
        data: Option<Vec<T>>,
        #[serde(default)]
        paging: Option<Paging>,
    },
}

impl<T> From<PageRepr<T>> for Page<T> {
    fn from(repr: PageRepr<T>) -> Self {
        match repr {
            PageRepr::Rows(data) => Page { data, paging: None },
            PageRepr::Page { data, paging } => Page {
                data: data.unwrap_or_default(),
                paging,
            },
        }
    }
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
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    pub name: Option<String>,
    /// Rows kept as JSON: each is decoded on its own (see [`lenient`]), so one bad row or
    /// field does not lose the portfolio.
    pub owned_whatsapp_business_accounts: Option<Page<Value>>,
    pub client_whatsapp_business_accounts: Option<Page<Value>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct WireWaba {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    pub name: Option<String>,
    pub account_review_status: Option<String>,
    /// Rows kept as JSON, decoded one by one (see [`lenient`]).
    pub phone_numbers: Option<Page<Value>>,
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
    #[serde(deserialize_with = "id_text")]
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
    #[serde(deserialize_with = "id_text")]
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

/// An ID as text: Graph IDs are strings, but a number (`"id": 106540352242922`) is read as
/// its digits rather than refused; `null` is no ID.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(D::Error::custom(format!(
            "invalid type: {}, expected an ID (a string of digits)",
            kind(&other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A field of Meta's answer that could not be read: where (`owned_whatsapp_business_accounts[0].phone_numbers[2].id`)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireProblem {
    pub path: String,
    pub message: String,
}

/// `parent.key` (or `key` at the top).
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Decode one object field by field: when the whole fails, each field that cannot be read on
/// its own is dropped and recorded as a problem at `path.field`, and the rest is kept. `None`
/// (with a problem at `path`) when the value is not an object at all.
pub fn lenient<T: serde::de::DeserializeOwned>(
    value: &Value,
    path: &str,
    problems: &mut Vec<WireProblem>,
) -> Option<T> {
    if let Ok(t) = T::deserialize(value) {
        return Some(t);
    }
    let Value::Object(map) = value else {
        problems.push(WireProblem {
            path: path.to_string(),
            message: format!("invalid type: {}, expected an object", kind(value)),
        });
        return None;
    };
    let mut kept = serde_json::Map::new();
    for (key, field) in map {
        let alone = Value::Object(serde_json::Map::from_iter([(key.clone(), field.clone())]));
        match T::deserialize(&alone) {
            Ok(_) => {
                kept.insert(key.clone(), field.clone());
            }
            Err(e) => problems.push(WireProblem {
                path: join(path, key),
                message: e.to_string(),
            }),
        }
    }
    match T::deserialize(&Value::Object(kept)) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(WireProblem {
                path: path.to_string(),
                message: e.to_string(),
            });
            None
        }
    }
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

    fn problems_of<T: serde::de::DeserializeOwned>(json: &str) -> (Option<T>, Vec<WireProblem>) {
        let value: Value = serde_json::from_str(json).unwrap();
        let mut problems = Vec::new();
        let t = lenient::<T>(&value, "owned_whatsapp_business_accounts[0]", &mut problems);
        (t, problems)
    }

    #[test]
    fn an_id_sent_as_a_number_is_read_as_its_digits() {
        let n: WireNumber =
            serde_json::from_str(r#"{"id":106540352242922,"status":"CONNECTED"}"#).unwrap();
        assert_eq!(n.id, "106540352242922");
        let w: WireWaba = serde_json::from_str(r#"{"id":102290129340398}"#).unwrap();
        assert_eq!(w.id, "102290129340398");
        let b: WireBusiness = serde_json::from_str(r#"{"id":1234567890123456}"#).unwrap();
        assert_eq!(b.id, "1234567890123456");
    }

    #[test]
    fn data_null_is_an_empty_page() {
        let w: WireWaba =
            serde_json::from_str(r#"{"id":"5","phone_numbers":{"data":null}}"#).unwrap();
        let page = w.phone_numbers.unwrap();
        assert!(page.data.is_empty());
        assert_eq!(page.next(), None);
    }

    #[test]
    fn an_edge_sent_as_a_bare_array_is_one_page() {
        let w: WireWaba = serde_json::from_str(
            r#"{"id":"5","phone_numbers":[{"id":"7"},{"id":"8"}],"subscribed_apps":[{"whatsapp_business_api_data":{"id":77}}]}"#,
        )
        .unwrap();
        let page = w.phone_numbers.unwrap();
        assert_eq!(page.data.len(), 2);
        assert_eq!(page.next(), None);
        let apps = w.subscribed_apps.unwrap();
        assert_eq!(
            apps.data[0].whatsapp_business_api_data.as_ref().unwrap().id,
            "77"
        );
    }

    #[test]
    fn a_row_with_a_wrongly_typed_field_is_kept_without_it_and_the_path_is_recorded() {
        let (n, problems) = problems_of::<WireNumber>(
            r#"{"id":"7","display_phone_number":"+1 555-010-0001","quality_rating":{"x":1},"throughput":"HIGH","status":"CONNECTED"}"#,
        );
        let n = n.expect("the row is kept");
        assert_eq!(n.id, "7");
        assert_eq!(n.status.as_deref(), Some("CONNECTED"));
        assert_eq!(n.quality_rating, None);
        assert_eq!(n.throughput.map(|t| t.level), None);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "owned_whatsapp_business_accounts[0].quality_rating",
                "owned_whatsapp_business_accounts[0].throughput"
            ]
        );
        assert!(problems[0].message.contains("invalid type"), "{problems:?}");
    }

    #[test]
    fn a_row_that_is_not_an_object_is_a_problem_at_its_path() {
        let (n, problems) = problems_of::<WireNumber>(r#"[1,2]"#);
        assert!(n.is_none());
        assert_eq!(problems[0].path, "owned_whatsapp_business_accounts[0]");
        assert!(problems[0].message.contains("expected an object"));
        let (b, problems) = problems_of::<WireBusiness>(
            r#"{"id":"1","owned_whatsapp_business_accounts":"nope","client_whatsapp_business_accounts":{"data":[{"id":"9"}]}}"#,
        );
        let b = b.unwrap();
        assert!(b.owned_whatsapp_business_accounts.is_none());
        assert_eq!(b.client_whatsapp_business_accounts.unwrap().data.len(), 1);
        assert_eq!(
            problems[0].path,
            "owned_whatsapp_business_accounts[0].owned_whatsapp_business_accounts"
        );
    }

    #[test]
    fn an_id_of_the_wrong_kind_is_still_refused() {
        let (n, problems) = problems_of::<WireNumber>(r#"{"id":true,"status":"CONNECTED"}"#);
        assert_eq!(
            n.unwrap().id,
            "",
            "kept without its ID; the caller drops it"
        );
        assert!(
            problems[0].message.contains("expected an ID"),
            "{problems:?}"
        );
    }
}
