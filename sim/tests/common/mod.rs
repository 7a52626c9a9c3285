//! Helpers shared by the simulator's integration tests: start the example world, call it.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;
use wacfg_sim::{Faults, Sim, World};

pub const ACME: &str = "1234567890123456";
pub const GLOBEX: &str = "2345678901234567";
pub const WABA_FR: &str = "102290129340398";
pub const WABA_CLIENT: &str = "102290129340400";
pub const NUMBER_1: &str = "106540352242922";
pub const TOKEN: &str = "test-token-acme";

pub fn example_world() -> World {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/sim/world.yaml");
    World::from_path(&path).expect("example world loads")
}

pub async fn start() -> Sim {
    start_with(Faults::default()).await
}

pub async fn start_with(faults: Faults) -> Sim {
    Sim::start(example_world(), faults)
        .await
        .expect("sim starts")
}

/// A GET with a bearer token: (status, headers, JSON body).
pub async fn get(sim: &Sim, path: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request reaches the sim");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// A GET by absolute URL (a `next` link), with the token in the header.
pub async fn get_url(url: &str, token: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request reaches the sim");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

/// POST JSON to a control endpoint.
pub async fn control(sim: &Sim, path: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/__sim/{path}", sim.url()))
        .json(&body)
        .send()
        .await
        .expect("control endpoint answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

/// A form-encoded write (`POST` or `DELETE`) with a bearer token: (status, headers, JSON body).
pub async fn write(
    sim: &Sim,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
    token: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", wacfg_sim::urlenc::escape(v)))
        .collect::<Vec<_>>()
        .join("&");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let resp = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request reaches the sim");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// How a test's webhook endpoint answers Meta's verification GET.
#[derive(Clone)]
pub enum Hook {
    /// 200 with `hub.challenge` when `hub.verify_token` is this token, else 403.
    Echo(String),
    /// Always this status and body.
    Fixed(u16, String),
}

/// The query of each verification GET a `CallbackServer` received, in order.
pub type Calls = std::sync::Arc<std::sync::Mutex<Vec<Vec<(String, String)>>>>;

/// A webhook endpoint on 127.0.0.1 (an axum server on an OS-chosen port, alive for the rest
/// of the test's runtime): its URL and the query of every call it received.
pub struct CallbackServer {
    pub url: String,
    pub calls: Calls,
}

impl CallbackServer {
    pub fn calls(&self) -> Vec<Vec<(String, String)>> {
        self.calls.lock().unwrap().clone()
    }
}

pub async fn callback_server(hook: Hook) -> CallbackServer {
    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    async fn answer(
        State((hook, calls)): State<(Hook, Calls)>,
        Query(q): Query<Vec<(String, String)>>,
    ) -> (StatusCode, String) {
        calls.lock().unwrap().push(q.clone());
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        match hook {
            Hook::Echo(token) if get("hub.verify_token").as_ref() == Some(&token) => {
                (StatusCode::OK, get("hub.challenge").unwrap_or_default())
            }
            Hook::Echo(_) => (StatusCode::FORBIDDEN, "wrong verify token".into()),
            Hook::Fixed(status, body) => (StatusCode::from_u16(status).unwrap(), body),
        }
    }
    let calls: Calls = Default::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::get(answer))
        .with_state((hook, calls.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    CallbackServer { url, calls }
}
