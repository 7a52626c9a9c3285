//! Conformance: the simulator's answers validate against the response schemas of Meta's
//! official OpenAPI document (business-messaging-api_v23.0.yaml), for every route it serves
//! that the document covers, writes included. Where the document contradicts the fact sheet,
//! the enums listed in `DEVIATIONS` (and in sim/README.md) are widened before validating; where
//! it contradicts its own example (`subscribed_apps` rows), `SHAPE_FIXES` point its schema at
//! the nested form the example shows. Nothing else is changed.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use serde_json::{Value, json};
use wacfg_sim::{Faults, Sim};

/// Enum widenings, by JSON pointer into the OpenAPI document, with the values added.
/// Each pointer must be listed in sim/README.md ("Deviations from the OpenAPI document").
const DEVIATIONS: &[(&str, &[&str])] = &[
    (
        "/components/schemas/WhatsAppPhoneNumberQualityRating/enum",
        &["UNKNOWN"],
    ),
    (
        "/components/schemas/PhoneNumberInfo/properties/quality_rating/enum",
        &["UNKNOWN"],
    ),
    (
        "/components/schemas/WhatsAppPhoneNumberStatus/enum",
        &[
            "CONNECTED",
            "DISCONNECTED",
            "FLAGGED",
            "RATE_LIMITED",
            "UNKNOWN",
            "UNVERIFIED",
        ],
    ),
    (
        "/components/schemas/WhatsAppCodeVerificationStatus/enum",
        &["NOT_VERIFIED", "EXPIRED"],
    ),
    (
        "/components/schemas/PhoneNumberInfo/properties/code_verification_status/enum",
        &["NOT_VERIFIED", "EXPIRED"],
    ),
    (
        "/components/schemas/BusinessVerificationStatus/enum",
        &[
            "expired",
            "failed",
            "ineligible",
            "not_verified",
            "pending",
            "pending_need_more_info",
            "pending_submission",
            "rejected",
            "revoked",
            "verified",
        ],
    ),
];

/// Schema replacements, by JSON pointer, where the document contradicts itself: its
/// `SubscribedAppsResponse` rows are the flat `SubscribedApp {id, name}`, yet its own example
/// (and Meta, per the fact sheet) nests the app as `{whatsapp_business_api_data: {id, link,
/// name}, override_callback_uri?}`. The simulator emulates the nested form, so the rows are
/// validated as the document's `SubscribedApp_1` whose app data is `WhatsAppBusinessApiData_1`
/// (required `id`, `name`; `link`). Each pointer is listed in sim/README.md too.
const SHAPE_FIXES: &[(&str, &str)] = &[
    (
        "/components/schemas/SubscribedAppsResponse/properties/data/items",
        "#/components/schemas/SubscribedApp_1",
    ),
    (
        "/components/schemas/SubscribedApp_1/properties/whatsapp_business_api_data",
        "#/components/schemas/WhatsAppBusinessApiData_1",
    ),
];

/// Meta's document, vendored with its licence in `sim/openapi/` so that a clone of the
/// repository alone runs this test.
fn openapi_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/business-messaging-api_v23.0.yaml")
}

#[test]
fn the_vendored_document_sits_in_the_repository_with_its_licence() {
    // A clone of this repository alone must run these tests: nothing read from outside it.
    let dir = openapi_path().parent().unwrap().to_path_buf();
    assert!(dir.starts_with(env!("CARGO_MANIFEST_DIR")));
    let licence = std::fs::read_to_string(dir.join("LICENSE")).expect("the licence is vendored");
    assert!(licence.starts_with("MIT License"), "{licence}");
    assert!(licence.contains("Meta Platforms"), "{licence}");
    assert!(openapi_path().is_file());
}

/// The document, loaded once, with the listed deviations applied (or not).
fn openapi(patched: bool) -> &'static Value {
    static RAW: OnceLock<Value> = OnceLock::new();
    static PATCHED: OnceLock<Value> = OnceLock::new();
    let raw = RAW.get_or_init(|| {
        let path = openapi_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("the OpenAPI document at {} must exist: {e}", path.display())
        });
        serde_saphyr::from_str(&text).expect("the OpenAPI document parses as YAML")
    });
    if !patched {
        return raw;
    }
    PATCHED.get_or_init(|| {
        let mut doc = raw.clone();
        for (pointer, extra) in DEVIATIONS {
            let list = doc
                .pointer_mut(pointer)
                .and_then(Value::as_array_mut)
                .unwrap_or_else(|| panic!("deviation {pointer} names an enum of the document"));
            list.extend(extra.iter().map(|v| json!(v)));
        }
        for (pointer, target) in SHAPE_FIXES {
            let slot = doc
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("shape fix {pointer} names a schema of the document"));
            *slot = json!({ "$ref": target });
        }
        doc
    })
}

/// The 200 (or error) schema of an operation (`"get /{Version}/…"`), as a root schema that
/// can resolve `#/components`; a bare path means GET.
fn route_schema(doc: &Value, route: &str, status: &str) -> Value {
    let (method, path) = split_route(route);
    let key = path.replace('~', "~0").replace('/', "~1");
    let pointer =
        format!("/paths/{key}/{method}/responses/{status}/content/application~1json/schema");
    let schema = doc
        .pointer(&pointer)
        .unwrap_or_else(|| panic!("the document has a {status} schema for {route}"));
    let mut root = schema.clone();
    root["components"] = doc["components"].clone();
    root
}

fn split_route(route: &str) -> (&str, &str) {
    match route.split_once(' ') {
        Some((method, path)) => (method, path),
        None => ("get", route),
    }
}

fn errors_of(doc: &Value, path: &str, status: &str, instance: &Value) -> Vec<String> {
    let validator = validator(doc, path, status);
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Compiling a schema with the whole `components` is the slow part: once per route and status.
fn validator(doc: &Value, path: &str, status: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = format!("{:p} {path} {status}", doc);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    let schema = route_schema(doc, path, status);
    let v = Arc::new(jsonschema::validator_for(&schema).expect("the schema compiles"));
    cache.lock().unwrap().insert(key, v.clone());
    v
}

fn assert_conforms(path: &str, status: &str, instance: &Value) {
    let errors = errors_of(openapi(true), path, status, instance);
    assert!(
        errors.is_empty(),
        "{path} ({status}) does not match Meta's schema: {errors:#?}\n{instance:#}"
    );
}

const NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,status,quality_rating,code_verification_status,name_status,account_mode,messaging_limit_tier,is_official_business_account";
const WABA_FIELDS: &str = "id,name,currency,timezone_id,account_review_status,ownership_type,business_verification_status,country,message_template_namespace";

async fn ok(sim: &Sim, url: &str) -> Value {
    let (status, _, body) = get(sim, url, TOKEN).await;
    assert_eq!(status, 200, "GET {url}: {body}");
    body
}

#[tokio::test]
async fn business_node_and_waba_edges_conform() {
    let sim = start().await;
    let b = ok(&sim, &format!("/v23.0/{ACME}")).await;
    assert_conforms("/{Version}/{Business-ID}", "200", &b);
    let owned = ok(
        &sim,
        &format!("/v23.0/{ACME}/owned_whatsapp_business_accounts?fields={WABA_FIELDS}&limit=1"),
    )
    .await;
    assert!(
        owned["paging"]["next"].is_string(),
        "a first page with more has next"
    );
    assert_conforms(
        "/{Version}/{Business-ID}/owned_whatsapp_business_accounts",
        "200",
        &owned,
    );
    let client = ok(
        &sim,
        &format!("/v23.0/{ACME}/client_whatsapp_business_accounts"),
    )
    .await;
    assert_eq!(client["data"][0]["id"], WABA_CLIENT);
    assert_conforms(
        "/{Version}/{Business-ID}/client_whatsapp_business_accounts",
        "200",
        &client,
    );
}

#[tokio::test]
async fn waba_node_conforms_with_default_and_full_fields() {
    let sim = start().await;
    for query in ["".to_string(), format!("?fields={WABA_FIELDS}")] {
        for waba in [WABA_FR, "102290129340399", WABA_CLIENT] {
            let w = ok(&sim, &format!("/v23.0/{waba}{query}")).await;
            assert_conforms("/{Version}/{WABA-ID}", "200", &w);
        }
    }
}

#[tokio::test]
async fn every_number_of_the_world_conforms_on_edge_and_node() {
    let sim = start().await;
    let mut seen = 0;
    for waba in [WABA_FR, "102290129340399", WABA_CLIENT] {
        let list = ok(
            &sim,
            &format!("/v23.0/{waba}/phone_numbers?fields={NUMBER_FIELDS}"),
        )
        .await;
        assert_conforms("/{Version}/{WABA-ID}/phone_numbers", "200", &list);
        for row in list["data"].as_array().expect("data is a list") {
            let id = row["id"].as_str().expect("rows have ids");
            for query in ["".to_string(), format!("?fields={NUMBER_FIELDS}")] {
                let n = ok(&sim, &format!("/v23.0/{id}{query}")).await;
                assert_conforms("/{Version}/{Phone-Number-ID}", "200", &n);
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "the example world's Acme numbers were all checked");
}

#[tokio::test]
async fn error_envelopes_conform() {
    let sim = start_with(Faults {
        rate_limit_budget: Some(1),
        ..Faults::default()
    })
    .await;
    let waba_route = "/{Version}/{WABA-ID}";
    let cases = [
        (format!("/v23.0/{WABA_FR}"), "test-token-nobody", 401),
        (format!("/v23.0/{WABA_FR}"), "test-token-acme-expired", 401),
        (format!("/v23.0/{WABA_FR}"), "test-token-acme-revoked", 401),
        ("/v23.0/203390129340398".to_string(), TOKEN, 403),
        ("/v23.0/999999".to_string(), TOKEN, 400),
        (format!("/v23.0/{WABA_FR}?fields=nonsense"), TOKEN, 400),
        (format!("/v23.0/{WABA_FR}"), TOKEN, 400), // the budget of 1 is spent: 80008
    ];
    for (url, token, want) in cases {
        let (status, _, body) = get(&sim, &url, token).await;
        assert_eq!(status, want, "GET {url}: {body}");
        assert!(body["error"]["fbtrace_id"].is_string());
        assert_conforms(waba_route, &status.to_string(), &body);
    }
}

#[test]
fn the_validator_rejects_what_the_document_forbids() {
    // Guards against a vacuous test: a wrong enum value and a missing field must fail.
    let doc = openapi(true);
    let bad = json!({ "data": [{ "id": "1", "display_phone_number": "+1", "status": "PURPLE" }] });
    assert!(!errors_of(doc, "/{Version}/{WABA-ID}/phone_numbers", "200", &bad).is_empty());
    let missing = json!({ "data": [{ "id": "1", "status": "CONNECTED" }] });
    assert!(!errors_of(doc, "/{Version}/{WABA-ID}/phone_numbers", "200", &missing).is_empty());
    let no_code = json!({ "error": { "message": "x", "type": "OAuthException" } });
    assert!(!errors_of(doc, "/{Version}/{WABA-ID}", "400", &no_code).is_empty());
}

#[test]
fn each_deviation_is_needed_and_documented() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("sim/README.md exists");
    let raw = openapi(false);
    for (pointer, extra) in DEVIATIONS {
        assert!(
            readme.contains(pointer),
            "sim/README.md lists the deviation {pointer}"
        );
        let list = raw
            .pointer(pointer)
            .and_then(Value::as_array)
            .expect("enum exists");
        for v in *extra {
            assert!(
                !list.contains(&json!(v)),
                "{pointer} already allows {v}: the patch is not needed"
            );
        }
    }
}

const SUBSCRIBED_APPS: &str = "/{Version}/{WABA-ID}/subscribed_apps";

/// A form-encoded write; the answer must be `want`.
async fn wrote(sim: &Sim, method: &str, url: &str, form: &[(&str, &str)], want: u16) -> Value {
    let (status, _, body) = write(sim, method, url, form, TOKEN).await;
    assert_eq!(status, want, "{method} {url}: {body}");
    body
}

#[tokio::test]
async fn subscribed_apps_answers_conform_in_the_nested_form() {
    let sim = start().await;
    let url = format!("/v23.0/{WABA_FR}/subscribed_apps");
    let empty = ok(&sim, &url).await;
    assert_conforms(SUBSCRIBED_APPS, "200", &empty);
    let post = format!("post {SUBSCRIBED_APPS}");
    let form = [
        ("override_callback_uri", "https://hooks.example.com/wa"),
        ("verify_token", "t"),
    ];
    assert_conforms(&post, "200", &wrote(&sim, "POST", &url, &form, 200).await);
    let listed = ok(&sim, &url).await;
    assert!(listed["data"][0]["whatsapp_business_api_data"]["link"].is_string());
    assert_conforms(SUBSCRIBED_APPS, "200", &listed);
    let delete = format!("delete {SUBSCRIBED_APPS}");
    assert_conforms(&delete, "200", &wrote(&sim, "DELETE", &url, &[], 200).await);
}

#[tokio::test]
async fn phone_number_webhook_configuration_post_conforms() {
    let sim = start().await;
    wrote(
        &sim,
        "POST",
        &format!("/v23.0/{WABA_FR}/subscribed_apps"),
        &[],
        200,
    )
    .await;
    let cfg = json!({"override_callback_uri": "https://hooks.example.com/n", "verify_token": "t"})
        .to_string();
    let body = wrote(
        &sim,
        "POST",
        &format!("/v23.0/{NUMBER_1}"),
        &[("webhook_configuration", &cfg)],
        200,
    )
    .await;
    assert_conforms("post /{Version}/{Phone-Number-ID}", "200", &body);
}

#[tokio::test]
async fn write_error_envelopes_conform() {
    let sim = start().await;
    let route = format!("post {SUBSCRIBED_APPS}");
    let own = format!("/v23.0/{WABA_FR}/subscribed_apps");
    let hook = callback_server(Hook::Fixed(404, "no".into())).await;
    // (url, form, HTTP status, Graph code)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, u32);
    let cases: Vec<Case> = vec![
        (own.clone(), vec![("verify_token", "t")], 400, 100),
        (
            own.clone(),
            vec![("override_callback_uri", &hook.url), ("verify_token", "t")],
            400,
            2200,
        ),
        (
            "/v23.0/203390129340398/subscribed_apps".into(),
            vec![],
            403,
            200,
        ),
    ];
    for (url, form, status, code) in cases {
        let body = wrote(&sim, "POST", &url, &form, status).await;
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_conforms(&route, &status.to_string(), &body);
    }
}

#[test]
fn the_shape_fixes_are_needed_and_match_the_documents_own_example() {
    let raw = openapi(false);
    assert!(
        raw.pointer("/components/schemas/SubscribedApp/properties/whatsapp_business_api_data")
            .is_none(),
        "the document's row schema is still flat"
    );
    let example = raw
        .pointer(&format!(
            "/paths/{}/get/responses/200/content/application~1json/examples/multiple_subscriptions/value",
            SUBSCRIBED_APPS.replace('/', "~1")
        ))
        .expect("the document's nested example");
    let doc = openapi(true);
    assert!(errors_of(doc, SUBSCRIBED_APPS, "200", example).is_empty());
    let flat = json!({ "data": [{ "id": "1", "name": "app" }] });
    assert!(
        !errors_of(doc, SUBSCRIBED_APPS, "200", &flat).is_empty(),
        "with the fix, a flat row is refused"
    );
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("sim/README.md exists");
    for (pointer, _) in SHAPE_FIXES {
        assert!(readme.contains(pointer), "sim/README.md lists {pointer}");
    }
}

/// Validates against one component schema of the document (e.g. `GraphAPIError`, which the
/// template routes do not list as a response but every Graph error follows).
fn assert_component(name: &str, instance: &Value) {
    let doc = openapi(true);
    let mut root = doc["components"]["schemas"][name].clone();
    assert!(root.is_object(), "the document has the schema {name}");
    root["components"] = doc["components"].clone();
    let v = jsonschema::validator_for(&root).expect("the schema compiles");
    let errors: Vec<String> = v.iter_errors(instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{instance:#}");
}

const TEMPLATES: &str = "/{Version}/{WABA-ID}/message_templates";
const TEMPLATE: &str = "/{Version}/{TEMPLATE_ID}";
const TEMPLATE_FIELDS: &str = "id,name,language,status,category,components,parameter_format,rejected_reason,quality_score,previous_category,message_send_ttl_seconds";

#[tokio::test]
async fn template_routes_conform_reads_writes_and_errors() {
    let sim = start().await;
    sim.mutate(|w| {
        w.template_review = Some(wacfg_sim::templates::TemplateReview::default());
    });
    let url = format!("/v23.0/{WABA_FR}/message_templates");
    let components = json!([
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1"]}},
        {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today.", "example": {"body_text": [["Ana", "#1"]]}},
        {"type": "FOOTER", "text": "Reply STOP to opt out"},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Track"}]}
    ])
    .to_string();
    let form = [
        ("name", "order_update"),
        ("language", "en_US"),
        ("category", "UTILITY"),
        ("components", components.as_str()),
    ];
    let created = wrote(&sim, "POST", &url, &form, 200).await;
    assert_conforms(&format!("post {TEMPLATES}"), "200", &created);
    let id = created["id"].as_str().expect("an id").to_string();
    for query in [
        "",
        "?fields=name,status",
        &format!("?fields={TEMPLATE_FIELDS}&limit=1"),
    ] {
        let list = ok(&sim, &format!("{url}{query}")).await;
        assert!(!list["data"].as_array().unwrap().is_empty());
        assert_conforms(TEMPLATES, "200", &list);
    }
    for query in ["".to_string(), format!("?fields={TEMPLATE_FIELDS}")] {
        let node = ok(&sim, &format!("/v23.0/{id}{query}")).await;
        assert_eq!(node["id"], id.as_str());
        assert_conforms(TEMPLATE, "200", &node);
    }
    let edit = [("components", components.as_str())];
    let edited = wrote(&sim, "POST", &format!("/v23.0/{id}"), &edit, 200).await;
    assert_conforms(&format!("post {TEMPLATE}"), "200", &edited);
    let duplicate = wrote(&sim, "POST", &url, &form, 400).await;
    assert_eq!(duplicate["error"]["error_subcode"], 2388024);
    assert_component("GraphAPIError", &duplicate);
    let deleted = wrote(&sim, "DELETE", &url, &[("name", "order_update")], 200).await;
    assert_conforms(&format!("delete {TEMPLATES}"), "200", &deleted);
    let missing = wrote(&sim, "DELETE", &url, &[("name", "order_update")], 400).await;
    assert_component("GraphAPIError", &missing);
    // Not vacuous: the list schema refuses rows that are not objects or an id that is a number.
    let doc = openapi(true);
    assert!(!errors_of(doc, TEMPLATES, "200", &json!({ "data": [{ "id": 1 }] })).is_empty());
    assert!(!errors_of(doc, TEMPLATE, "200", &json!({ "components": "x" })).is_empty());
}
