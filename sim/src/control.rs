//! The `/__sim/` control endpoints (a path Meta never uses): read counters and the request
//! log, set faults, reset, and change the world while a test runs. Bodies and answers are
//! JSON; a token is named by its value in a request body but never echoed back, and a
//! webhook verify token only as its `sha256:` digest (see `control_webhooks`).

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::faults::{Faults, FaultsBody};
use crate::state::{Shared, lock};
use crate::world::{PhoneNumber, Waba, World};
use crate::{control_templates, control_webhooks};

type Answer = Result<Value, (StatusCode, String)>;

pub fn handle(sh: &Shared, method: &Method, path: &str, body: &[u8]) -> Response {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).skip(1).collect();
    let answer = match (method.as_str(), segs.as_slice()) {
        ("GET", ["stats"]) => Ok(json!(*lock(&sh.stats))),
        ("GET", ["requests"]) => Ok(json!(lock(&sh.log).all())),
        ("GET", ["faults"]) => Ok(json!(FaultsBody::from(&sh.faults()))),
        ("POST", ["reset"]) => {
            sh.reset();
            Ok(json!({ "success": true }))
        }
        ("POST", ["faults"]) => parse::<FaultsBody>(body).map(|f| {
            sh.set_faults(Faults::from(f));
            json!({ "success": true })
        }),
        ("POST", ["numbers", id]) => patch_number(sh, id, body),
        ("POST", ["numbers", id, "remove"]) => remove_number(sh, id),
        ("POST", ["wabas", id]) => patch_waba(sh, id, body),
        ("POST", ["wabas", id, "numbers"]) => add_number(sh, id, body),
        ("GET", ["webhooks"]) => control_webhooks::state(sh),
        ("POST", ["wabas", id, "subscription"]) => {
            parse(body).and_then(|b| control_webhooks::set_subscription(sh, id, b))
        }
        ("POST", ["numbers", id, "webhook"]) => {
            parse(body).and_then(|b| control_webhooks::set_number_override(sh, id, b))
        }
        ("GET", ["templates"]) => control_templates::state(sh),
        ("POST", ["templates", id]) => {
            parse(body).and_then(|b| control_templates::patch(sh, id, b))
        }
        ("POST", ["wabas", id, "templates"]) => {
            parse(body).and_then(|b| control_templates::add(sh, id, b))
        }
        ("POST", ["template_review"]) => {
            parse(body).and_then(|b| control_templates::set_review(sh, b))
        }
        ("GET", ["clock"]) => control_templates::clock(sh, None),
        ("POST", ["clock"]) => parse(body).and_then(|b| control_templates::clock(sh, Some(b))),
        ("POST", ["tokens", action @ ("expire" | "revoke" | "restore")]) => {
            token_action(sh, action, body)
        }
        _ => Err((
            StatusCode::NOT_FOUND,
            format!("no control endpoint {method} {path}; see sim/README.md"),
        )),
    };
    match answer {
        // Verify tokens never leave the simulator, not even here.
        Ok(v) => reply(StatusCode::OK, control_webhooks::scrub(v)),
        Err((status, message)) => reply(status, json!({ "error": message })),
    }
}

fn reply(status: StatusCode, v: Value) -> Response {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, (StatusCode, String)> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| (StatusCode::BAD_REQUEST, format!("bad body: {e}")))
}

fn not_found(what: &str, id: &str) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        format!("no {what} with id {id} in the world"),
    )
}

/// Applies a JSON merge of `patch` onto `target`, keeping its id; the result must still be
/// a valid node (unknown fields are refused).
fn merge<T: serde::Serialize + DeserializeOwned>(
    target: &T,
    patch: &[u8],
) -> Result<T, (StatusCode, String)> {
    let patch: Value = parse(patch)?;
    let Value::Object(patch) = patch else {
        return Err((StatusCode::BAD_REQUEST, "body must be a JSON object".into()));
    };
    let mut v = serde_json::to_value(target)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    for (k, val) in patch {
        if k == "id" || k == "phone_numbers" || k == "message_templates" {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("field {k} cannot be changed here"),
            ));
        }
        v[k] = val;
    }
    serde_json::from_value(v).map_err(|e| (StatusCode::BAD_REQUEST, format!("bad field: {e}")))
}

fn patch_number(sh: &Shared, id: &str, body: &[u8]) -> Answer {
    sh.mutate(|w| {
        let n = w
            .number_mut(id)
            .ok_or_else(|| not_found("phone number", id))?;
        *n = merge::<PhoneNumber>(n, body)?;
        Ok(json!(n))
    })
}

fn remove_number(sh: &Shared, id: &str) -> Answer {
    sh.mutate(|w| {
        if w.remove_number(id) {
            Ok(json!({ "success": true }))
        } else {
            Err(not_found("phone number", id))
        }
    })
}

fn patch_waba(sh: &Shared, id: &str, body: &[u8]) -> Answer {
    sh.mutate(|w| {
        let waba = w.waba_mut(id).ok_or_else(|| not_found("WABA", id))?;
        *waba = merge::<Waba>(waba, body)?;
        let mut v = json!(waba);
        v.as_object_mut().map(|o| o.remove("phone_numbers"));
        Ok(v)
    })
}

/// Adds a number to a WABA (a number appearing outside wacfg).
fn add_number(sh: &Shared, id: &str, body: &[u8]) -> Answer {
    let number: PhoneNumber = parse(body)?;
    sh.mutate(|w| {
        let mut candidate: World = w.clone();
        let waba = candidate
            .waba_mut(id)
            .ok_or_else(|| not_found("WABA", id))?;
        waba.phone_numbers.push(number.clone());
        candidate
            .check()
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        *w = candidate;
        Ok(json!(number))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRef {
    value: String,
}

fn token_action(sh: &Shared, action: &str, body: &[u8]) -> Answer {
    let r: TokenRef = parse(body)?;
    sh.mutate(|w| {
        let t = w.token_mut(&r.value).ok_or((
            StatusCode::NOT_FOUND,
            "no such token in the world".to_string(),
        ))?;
        match action {
            "expire" => {
                let past = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
                t.expires_at = past
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok();
            }
            "revoke" => t.valid = false,
            _ => {
                t.valid = true;
                t.expires_at = None;
            }
        }
        Ok(json!({ "success": true, "label": t.label }))
    })
}
