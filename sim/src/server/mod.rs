//! The HTTP server: binds 127.0.0.1, applies per-request faults (hang, latency, injected and
//! random errors), hands Graph requests to the routes and `/__sim/` to the control endpoints,
//! and logs each answer with tokens redacted. `Sim` is the handle tests hold.

pub mod auth;
pub mod batch;
pub mod reply;
pub mod routes;
pub mod templates;
pub mod uploads;
pub mod webhooks;
pub mod writes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body as AxumBody, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::faults::InjectedError;
use crate::state::{Shared, lock};
use crate::stats::{LoggedRequest, redact};
use crate::urlenc::parse_query;
use crate::usage::usage_header;
use reply::{Body, GraphRequest, Reply};

pub(crate) fn app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(entry).with_state(shared)
}

pub(crate) async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await
}

async fn entry(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path().starts_with("/__sim/") || uri.path() == "/__sim" {
        return crate::control::handle(&sh, &method, uri.path(), &body);
    }
    graph(sh, method, uri, headers, body).await
}

/// How long a hanging request sleeps: longer than any client waits.
pub(crate) const HANG: Duration = Duration::from_secs(24 * 3600);

async fn graph(
    sh: Arc<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    lock(&sh.stats).http_requests += 1;
    let (latency, hang, injected) = draw_faults(&sh);
    if hang {
        tokio::time::sleep(HANG).await;
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let req = graph_request(&method, &uri, &headers, &body);
    let reply = match injected {
        Some(i) => injected_reply(&sh, &req, &i),
        None => routes::handle(&sh, &req).await,
    };
    let trace = lock(&sh.dice).trace_id();
    let (status, hdrs, text) = reply.finish(&trace);
    lock(&sh.log).push(LoggedRequest {
        method: req.method.clone(),
        path: redact(&uri.to_string()),
        status,
        in_batch: false,
    });
    respond(status, hdrs, text, &trace)
}

/// Takes the next one-shot error, else rolls for a random transient one.
fn draw_faults(sh: &Shared) -> (Duration, bool, Option<InjectedError>) {
    let mut f = lock(&sh.faults);
    let injected = if f.fail_next.is_empty() {
        lock(&sh.dice).transient(f.transient_error_rate)
    } else {
        Some(f.fail_next.remove(0))
    };
    (f.latency, f.hang, injected)
}

pub(crate) fn injected_reply(sh: &Shared, req: &GraphRequest, i: &InjectedError) -> Reply {
    let mut reply = match i.graph_error() {
        Some(e) if lock(&sh.faults).echo_token_in_errors => Reply::error(e.echoing(req.token())),
        Some(e) => Reply::error(e),
        None => Reply {
            status: i.status.unwrap_or(503),
            headers: Vec::new(),
            body: Body::Text("Service Unavailable".into()),
        },
    };
    if let Some(minutes) = i.estimated_time_to_regain_access {
        // Keyed by the node the request named, as Meta keys by the WABA it touched.
        let id = req
            .path
            .split('/')
            .filter(|s| !s.is_empty())
            .nth(1)
            .unwrap_or("0");
        reply = reply.header("x-business-use-case-usage", usage_header(id, 100, minutes));
    }
    if let Some(v) = req
        .path
        .split('/')
        .find(|s| !s.is_empty())
        .filter(|v| routes::is_version(v))
    {
        reply = reply.header("facebook-api-version", v.to_string());
    }
    if let Some(secs) = i.retry_after {
        reply = reply.header("retry-after", secs.to_string());
    }
    if let Some(k) = reply.error_key() {
        lock(&sh.stats).error(k);
    }
    reply
}

fn graph_request(method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> GraphRequest {
    let mut req = GraphRequest::from_url(method.as_str(), &uri.to_string());
    req.path = uri.path().to_string();
    req.bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
                .then(|| token.trim().to_string())
        });
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    req.body_len = body.len();
    req.file_offset = headers
        .get("file_offset")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if req.path.contains("/upload:") {
        // The body is the file's bytes, not parameters.
        return req;
    }
    let text = String::from_utf8_lossy(body);
    if is_json {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            if let Some(obj) = v.as_object() {
                for (k, val) in obj {
                    if let Some(s) = val.as_str() {
                        req.params.push((k.clone(), s.to_string()));
                    }
                }
            }
            req.json = Some(v);
        } else if !text.trim().is_empty() {
            req.bad_body = true;
        }
    } else if !text.is_empty() {
        req.params.extend(parse_query(&text));
    }
    req
}

fn respond(status: u16, headers: Vec<(String, String)>, body: String, trace: &str) -> Response {
    let json = body.starts_with('{') || body.starts_with('[');
    let mut resp = Response::new(AxumBody::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    let ctype = if json {
        "application/json; charset=UTF-8"
    } else {
        "text/plain"
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    for (name, value) in [("x-fb-trace-id", trace), ("x-fb-request-id", trace)] {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    }
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            h.insert(n, v);
        }
    }
    resp
}
