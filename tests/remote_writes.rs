//! The Graph write path against a tiny scripted axum server (one queued answer per request,
//! every request recorded). The webhook writes go the way apply sends them: the requests the
//! webhook kind builds (`kinds::webhook::graph`), sent through the port apply is given
//! (`command::adapters::Graph`), which fills in the verify token and picks the token. Covered:
//! form encoding and header auth of POST/DELETE, percent-encoded IDs, secrets kept out of
//! errors, retries of idempotent writes, no blind repeat of not-idempotent ones,
//! callback-verification hints, and `subscribed_apps` / `webhook_configuration` in the batched
//! read.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use wacfg::command::adapters::{Graph, Stop};
use wacfg::kinds::webhook::graph::{number_override, subscribe_waba, unsubscribe_waba};
use wacfg::kinds::{GraphPort, GraphRequest, PortError};
use wacfg::remote::{
    Client, ClientConfig, Form, RemoteError, RetryPolicy, Token, TokenReads, WriteSafety,
};

const TOKEN: &str = "test-token-writes-42";
const VERIFY: &str = "vt-do-not-print-7781";
const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";
const BUSINESS: &str = "1234567890123456";
/// The credentials entry whose token the writes use, and the key of the verify token.
const CREDENTIALS: &str = "acme_fr";
const VERIFY_KEY: &str = "webhook:acme_fr_inbound";
const CALLBACK: &str = "https://hooks.example.com/wa";

/// One scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: body.to_string(),
            headers: vec![("content-type", "application/json".into())],
            delay: Duration::ZERO,
        }
    }
    fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_string(),
            headers: vec![],
            delay: Duration::ZERO,
        }
    }
    fn success() -> Self {
        Self::json(200, json!({"success": true}))
    }
    fn graph(status: u16, code: i64, message: &str) -> Self {
        let error = json!({"error": {"message": message, "type": "OAuthException",
            "code": code, "fbtrace_id": "Atrace1"}});
        Self::json(status, error)
    }
    fn hang() -> Self {
        Self {
            delay: Duration::from_secs(3),
            ..Self::success()
        }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
    at: std::time::Instant,
}

impl Seen {
    fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

struct Server {
    script: Arc<Script>,
    url: String,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Self {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            seen: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { script, url }
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    fn client(&self) -> Client {
        Client::new(config(&self.url)).unwrap()
    }
}

async fn answer(
    State(script): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    script.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body,
        at: std::time::Instant::now(),
    });
    let reply = script.replies.lock().unwrap().pop_front();
    let reply = reply.unwrap_or_else(Reply::success);
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

fn config(url: &str) -> ClientConfig {
    let mut cfg = ClientConfig::from_parts(url, None, "v23.0", 4);
    cfg.request_timeout = Duration::from_millis(300);
    cfg.retry = RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        deadline: Duration::from_secs(10),
    };
    cfg
}

fn token() -> Token {
    Token::new(TOKEN)
}

/// The callback override as the webhook kind names it: the URL and the key of its secret.
fn callback() -> Option<(&'static str, &'static str)> {
    Some((CALLBACK, VERIFY_KEY))
}

/// Send `request` the way apply does: through the Graph port over `client`, with the token of
/// `acme_fr` and the verify token resolved under its key.
async fn send(client: &Client, request: GraphRequest) -> Result<(), PortError> {
    let tokens = BTreeMap::from([(CREDENTIALS.to_string(), token())]);
    let secrets = BTreeMap::from([(VERIFY_KEY.to_string(), Token::new(VERIFY))]);
    let graph = Graph {
        client,
        tokens: &tokens,
        secrets: &secrets,
        stop: Stop::new(None),
    };
    graph.write(CREDENTIALS, request).await
}

fn assert_no_secrets(shown: &str) {
    assert!(!shown.contains(TOKEN), "token leaked: {shown}");
    assert!(!shown.contains(VERIFY), "verify token leaked: {shown}");
}

fn assert_no_secrets_in(err: &RemoteError) {
    assert_no_secrets(&format!("{err} {err:?}"));
}

fn assert_no_secrets_in_port(err: &PortError) {
    assert_no_secrets(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn subscribe_posts_a_form_with_the_token_only_in_the_header() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    send(&client, subscribe_waba(WABA, callback()))
        .await
        .unwrap();
    send(&client, subscribe_waba(WABA, None)).await.unwrap();
    send(&client, unsubscribe_waba(WABA)).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for s in &seen {
        assert_eq!(s.path, format!("/v23.0/{WABA}/subscribed_apps"));
        assert_eq!(
            s.authorization.as_deref(),
            Some("Bearer test-token-writes-42")
        );
        assert!(!s.query.contains(TOKEN) && !s.body.contains(TOKEN), "{s:?}");
    }
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let form = seen[0].form();
    assert_eq!(
        form,
        [
            ("override_callback_uri".into(), CALLBACK.into()),
            ("verify_token".into(), VERIFY.to_string()),
        ]
    );
    assert_eq!(seen[1].method, "POST");
    assert!(seen[1].form().is_empty(), "both or neither: {:?}", seen[1]);
    assert_eq!(seen[2].method, "DELETE");
    assert!(seen[2].body.is_empty());
}

#[tokio::test]
async fn ids_are_percent_encoded_into_the_path() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    send(&client, subscribe_waba("1/2?x=3", None))
        .await
        .unwrap();
    send(&client, unsubscribe_waba("1/2 x")).await.unwrap();
    send(&client, number_override("9/../8", None))
        .await
        .unwrap();
    let seen = server.seen();
    let paths: Vec<(&str, &str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str(), s.query.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST", "/v23.0/1%2F2%3Fx%3D3/subscribed_apps", ""),
            ("DELETE", "/v23.0/1%2F2%20x/subscribed_apps", ""),
            ("POST", "/v23.0/9%2F..%2F8", ""),
        ]
    );
}

#[tokio::test]
async fn number_webhook_is_a_json_string_in_the_form() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    send(&client, number_override(NUMBER, callback()))
        .await
        .unwrap();
    send(&client, number_override(NUMBER, None)).await.unwrap();
    let seen = server.seen();
    let config = |s: &Seen| -> Value {
        let form = s.form();
        assert_eq!(form.len(), 1, "{s:?}");
        assert_eq!(form[0].0, "webhook_configuration");
        serde_json::from_str(&form[0].1).unwrap()
    };
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, format!("/v23.0/{NUMBER}"));
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer test-token-writes-42")
    );
    assert_eq!(
        config(&seen[0]),
        json!({"override_callback_uri": CALLBACK, "verify_token": VERIFY})
    );
    assert_eq!(config(&seen[1]), json!({"override_callback_uri": ""}));
    assert_eq!(
        seen[1].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
}

#[tokio::test]
async fn a_verify_token_that_was_not_read_sends_nothing() {
    let server = Server::start(vec![]).await;
    let request = subscribe_waba(WABA, Some((CALLBACK, "webhook:other")));
    let err = send(&server.client(), request).await.unwrap_err();
    assert!(
        matches!(&err, PortError::Missing(m) if m.contains("`webhook:other`")),
        "{err:?}"
    );
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[tokio::test]
async fn a_failed_callback_verification_says_what_to_fix_and_leaks_nothing() {
    let echo = format!(
        "Callback verification failed for token {TOKEN} with verify_token {VERIFY}: \
         the challenge did not match"
    );
    let server = Server::start(vec![Reply::graph(400, 2200, &echo)]).await;
    let err = send(&server.client(), subscribe_waba(WABA, callback()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PortError::Graph {
                code: Some(2200),
                outcome_unknown: false,
                ..
            }
        ),
        "a refusal, known not to have happened: {err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("your callback must answer GET with hub.challenge echoed"),
        "{text}"
    );
    assert!(text.contains("fbtrace_id Atrace1"), "{text}");
    assert!(
        text.contains("REDACTED"),
        "echo scrubbed, not absent: {text}"
    );
    assert_no_secrets_in_port(&err);
    assert_eq!(server.seen().len(), 1, "not retried");
}

#[tokio::test]
async fn secrets_are_scrubbed_from_every_kind_of_write_error() {
    let body = format!("<html>bad request {VERIFY} {TOKEN}</html>");
    let server = Server::start(vec![Reply::text(404, &body), Reply::hang()]).await;
    let client = server.client();
    let http = send(&client, number_override(NUMBER, callback()))
        .await
        .unwrap_err();
    assert!(
        matches!(&http, PortError::Graph { message, .. } if message.contains("404")),
        "{http:?}"
    );
    assert_no_secrets_in_port(&http);
    let form = Form::new().secret_field("verify_token", VERIFY);
    assert!(!format!("{form:?}").contains(VERIFY));
    let unknown = client
        .post_form(&token(), "123/things", &form, WriteSafety::NotIdempotent)
        .await
        .unwrap_err();
    assert!(unknown.outcome_unknown(), "{unknown:?}");
    assert_no_secrets_in(&unknown);
}

#[tokio::test]
async fn idempotent_writes_are_retried_like_reads() {
    let replies = vec![
        Reply::text(502, "bad gateway"),
        Reply::graph(503, 2, "Service temporarily unavailable"),
        Reply::hang(),
        Reply::graph(500, 131000, "Something went wrong"),
        Reply::graph(400, 80008, "Too many calls to this WABA"),
        Reply::success(),
    ];
    let server = Server::start(replies).await;
    send(&server.client(), number_override(NUMBER, callback()))
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(
        seen.iter().all(|s| s.body == seen[0].body),
        "same request each time"
    );
}

#[tokio::test]
async fn a_not_idempotent_write_is_not_repeated_after_a_5xx() {
    for reply in [
        Reply::text(502, "bad gateway"),
        Reply::graph(500, 2, "Service temporarily unavailable"),
        Reply::graph(400, 131000, "Something went wrong"),
        Reply::text(200, "<html>ok</html>"),
    ] {
        let server = Server::start(vec![reply]).await;
        let form = Form::new().field("name", "welcome");
        let err = server
            .client()
            .post_form(
                &token(),
                "9/message_templates",
                &form,
                WriteSafety::NotIdempotent,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, RemoteError::OutcomeUnknown { attempts: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("read the current state"), "{err}");
        assert_eq!(server.seen().len(), 1, "exactly one request: {err}");
    }
}

#[tokio::test]
async fn a_not_idempotent_write_is_not_repeated_after_a_timeout() {
    let server = Server::start(vec![Reply::hang()]).await;
    let err = server
        .client()
        .post_form(
            &token(),
            "9/message_templates",
            &Form::new(),
            WriteSafety::NotIdempotent,
        )
        .await
        .unwrap_err();
    match &err {
        RemoteError::OutcomeUnknown { cause, .. } => {
            assert!(matches!(**cause, RemoteError::Timeout { .. }), "{err:?}")
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_not_idempotent_write_is_retried_after_a_throttling_refusal() {
    let mut too_many = Reply::text(429, "slow down");
    too_many.headers.push(("retry-after", "1".into()));
    let replies = vec![
        too_many,
        Reply::graph(400, 4, "Application request limit reached"),
        Reply::json(200, json!({"id": "T1", "status": "PENDING"})),
    ];
    let server = Server::start(replies).await;
    let started = std::time::Instant::now();
    let value = server
        .client()
        .post_form(
            &token(),
            "9/message_templates",
            &Form::new(),
            WriteSafety::NotIdempotent,
        )
        .await
        .unwrap();
    assert_eq!(value["id"], "T1");
    assert_eq!(server.seen().len(), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
}

#[tokio::test]
async fn refusals_and_unknown_outcomes_are_told_apart_after_retries() {
    let limited = || Reply::graph(400, 130429, "Rate limit hit");
    let server = Server::start(vec![limited(), Reply::text(503, "down")]).await;
    let err = server
        .client()
        .post_form(&token(), "9/x", &Form::new(), WriteSafety::NotIdempotent)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RemoteError::OutcomeUnknown { attempts: 2, .. }),
        "{err:?}"
    );
    // A permanent refusal: definitely not applied, and not repeated.
    let server = Server::start(vec![Reply::graph(400, 100, "Invalid parameter")]).await;
    let client = server.client();
    let err = client
        .post_form(&token(), "9/x", &Form::new(), WriteSafety::NotIdempotent)
        .await
        .unwrap_err();
    assert!(!err.outcome_unknown() && err.code() == Some(100), "{err:?}");
    assert_eq!(server.seen().len(), 1);
    // Throttled on every attempt: never applied, so a plain GaveUp.
    let server = Server::start(vec![limited(); 6]).await;
    let client = server.client();
    let err = client
        .post_form(&token(), "9/x", &Form::new(), WriteSafety::NotIdempotent)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RemoteError::GaveUp { attempts: 6, .. }),
        "{err:?}"
    );
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn a_refused_connection_sent_nothing_so_it_is_not_an_unknown_outcome() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::new(config(&url)).unwrap();
    let err = client
        .post_form(&token(), "9/x", &Form::new(), WriteSafety::NotIdempotent)
        .await
        .unwrap_err();
    assert!(!err.outcome_unknown(), "{err:?}");
    match &err {
        RemoteError::GaveUp { last, attempts, .. } => {
            assert_eq!(*attempts, 6);
            assert!(matches!(**last, RemoteError::Connect { .. }), "{err:?}");
        }
        other => panic!("expected GaveUp after connect failures, got {other:?}"),
    }
}

#[tokio::test]
async fn anything_but_success_true_is_an_error() {
    let server = Server::start(vec![Reply::json(200, json!({"success": false}))]).await;
    let err = send(&server.client(), unsubscribe_waba(WABA))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PortError::Graph {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("did not confirm"), "{err}");
}

fn business_answer() -> Value {
    json!({"id": BUSINESS, "name": "Acme",
      "owned_whatsapp_business_accounts": {"data": [{
        "id": WABA, "name": "Acme FR",
        "subscribed_apps": {"data": [{
          "whatsapp_business_api_data": {"id": "77", "link": "https://l", "name": "Acme app"},
          "override_callback_uri": "https://hooks.example.com/waba"}]},
        "phone_numbers": {"data": [{
          "id": NUMBER, "display_phone_number": "+1 555-010-0001",
          "webhook_configuration": {"application": "https://hooks.example.com/app",
            "whatsapp_business_account": "https://hooks.example.com/waba"}}]}}]},
      "client_whatsapp_business_accounts": {"data": [{
        "id": "102290129340399", "name": "Partner DE",
        "phone_numbers": {"data": [{"id": "206540352242922"}]}}]}})
}

#[tokio::test]
async fn the_batched_read_brings_subscriptions_and_webhook_levels() {
    let debug = json!({"data": {"is_valid": true, "scopes": ["business_management"]}});
    let batch = json!([
        {"code": 200, "headers": [], "body": debug.to_string()},
        {"code": 200, "headers": [], "body": business_answer().to_string()},
    ]);
    let server = Server::start(vec![Reply::json(200, batch)]).await;
    let reads = [TokenReads {
        token: token(),
        business_ids: vec![BUSINESS.into()],
    }];
    let observed = server.client().observe(&reads).await;
    let business = observed.businesses[BUSINESS].as_ref().unwrap();
    let waba = &business.wabas[WABA];
    let subs = waba.subscribed_apps.as_ref().expect("edge reported");
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].app_id, "77");
    assert_eq!(
        subs[0].override_callback_uri.as_deref(),
        Some("https://hooks.example.com/waba")
    );
    let hooks = waba.phone_numbers[NUMBER]
        .webhook_configuration
        .as_ref()
        .expect("reported");
    assert_eq!(
        hooks.application.as_deref(),
        Some("https://hooks.example.com/app")
    );
    assert_eq!(
        hooks.whatsapp_business_account.as_deref(),
        Some("https://hooks.example.com/waba")
    );
    assert_eq!(hooks.phone_number, None);
    // An edge the server did not report is None, not an error.
    let partner = &business.wabas["102290129340399"];
    assert_eq!(partner.subscribed_apps, None);
    assert_eq!(
        partner.phone_numbers["206540352242922"].webhook_configuration,
        None
    );
    // No extra round trip, and the expansion asks for both.
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let batch_param: String = seen[0]
        .form()
        .into_iter()
        .find(|(k, _)| k == "batch")
        .map(|(_, v)| v)
        .unwrap();
    assert!(
        batch_param
            .contains("subscribed_apps%7Bwhatsapp_business_api_data%2Coverride_callback_uri%7D"),
        "{batch_param}"
    );
    assert!(
        batch_param.contains("webhook_configuration"),
        "{batch_param}"
    );
}

/// A batch whose business item Meta rate-limited, with the item's own wait.
fn throttled_batch(item_headers: Value, regain_minutes: Option<u64>) -> Value {
    let debug = json!({"data": {"is_valid": true, "scopes": ["business_management"]}});
    let mut error = json!({"message": "(#80008) too many calls", "type": "OAuthException",
        "code": 80008, "is_transient": true});
    if let Some(m) = regain_minutes {
        error["error_data"] = json!({"estimated_time_to_regain_access": m});
    }
    json!([
        {"code": 200, "headers": [], "body": debug.to_string()},
        {"code": 400, "headers": item_headers, "body": json!({"error": error}).to_string()},
    ])
}

#[tokio::test]
async fn a_throttled_batch_item_waits_its_retry_after_before_it_is_read_again() {
    let batch = throttled_batch(json!([{"name": "Retry-After", "value": "1"}]), None);
    let server = Server::start(vec![
        Reply::json(200, batch),
        Reply::json(200, business_answer()),
    ])
    .await;
    let reads = [TokenReads {
        token: token(),
        business_ids: vec![BUSINESS.into()],
    }];
    let observed = server.client().observe(&reads).await;
    assert!(observed.businesses[BUSINESS].is_ok(), "{observed:?}");
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let waited = seen[1].at - seen[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "read again after {waited:?}, before the item's Retry-After of 1 s"
    );
}

#[tokio::test]
async fn a_batch_item_told_to_wait_an_hour_is_not_sent_again() {
    let batch = throttled_batch(json!([]), Some(60));
    let server = Server::start(vec![Reply::json(200, batch)]).await;
    let reads = [TokenReads {
        token: token(),
        business_ids: vec![BUSINESS.into()],
    }];
    let observed = server.client().observe(&reads).await;
    let err = observed.businesses[BUSINESS].as_ref().unwrap_err();
    assert_eq!(err.code, Some(80008), "{err:?}");
    assert_eq!(
        server.seen().len(),
        1,
        "nothing sent after Meta said to wait an hour"
    );
}
