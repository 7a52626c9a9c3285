//! Control endpoints for webhook subscriptions: read what "Meta" holds (subscriptions and
//! overrides, each verify token only as `sha256:<hex>`), and change a WABA's subscription or
//! a number's override out-of-band, as a change made outside wacfg would (no callback is
//! verified). Also scrubs verify tokens from any control answer.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::callback::token_digest;
use crate::state::Shared;
use crate::world::{App, CallbackOverride, PhoneNumber, Waba};

pub type Answer = Result<Value, (StatusCode, String)>;

/// `GET /__sim/webhooks`.
pub fn state(sh: &Shared) -> Answer {
    let live = sh.read();
    let w = &live.world;
    let wabas: Vec<Value> = w.wabas().map(waba_entry).collect();
    let numbers: Vec<Value> = w
        .wabas()
        .flat_map(|waba| {
            waba.phone_numbers
                .iter()
                .filter(|n| n.webhook_override.is_some())
                .map(|n| number_entry(&waba.id, n))
        })
        .collect();
    Ok(json!({ "app": app_entry(&w.app), "wabas": wabas, "numbers": numbers }))
}

fn app_entry(app: &App) -> Value {
    json!({ "id": app.id, "name": app.name, "callback_url": app.callback_url })
}

fn waba_entry(w: &Waba) -> Value {
    let mut v = json!({ "id": w.id, "subscribed": w.subscribed });
    add_override(&mut v, w.webhook_override.as_ref());
    v
}

fn number_entry(waba: &str, n: &PhoneNumber) -> Value {
    let mut v = json!({ "id": n.id, "waba_id": waba });
    add_override(&mut v, n.webhook_override.as_ref());
    v
}

fn add_override(v: &mut Value, o: Option<&CallbackOverride>) {
    v["override_callback_uri"] = json!(o.map(|o| &o.override_callback_uri));
    v["verify_token_sha256"] = json!(o.and_then(|o| o.verify_token.as_deref().map(token_digest)));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionBody {
    #[serde(default = "yes")]
    subscribed: bool,
    #[serde(default)]
    override_callback_uri: Option<String>,
    #[serde(default)]
    verify_token: Option<String>,
}

fn yes() -> bool {
    true
}

/// `POST /__sim/wabas/{id}/subscription`: `{"subscribed": true, "override_callback_uri":
/// "…", "verify_token": "…"}` (all optional; `subscribed: false` also drops the override).
pub fn set_subscription(sh: &Shared, id: &str, body: Value) -> Answer {
    let b: SubscriptionBody = from(body)?;
    let wanted = overriding(b.override_callback_uri, b.verify_token);
    if wanted.is_some() && !b.subscribed {
        return Err(bad("an override needs subscribed: true"));
    }
    sh.mutate(|w| {
        let waba = w.waba_mut(id).ok_or_else(|| not_found("WABA", id))?;
        waba.subscribed = b.subscribed;
        waba.webhook_override = wanted;
        Ok(waba_entry(waba))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideBody {
    #[serde(default)]
    override_callback_uri: Option<String>,
    #[serde(default)]
    verify_token: Option<String>,
}

/// `POST /__sim/numbers/{id}/webhook`: `{"override_callback_uri": "…", "verify_token":
/// "…"}`; an empty or absent URI removes the override. The WABA's subscription is not
/// required here, so a test can build states Meta would refuse.
pub fn set_number_override(sh: &Shared, id: &str, body: Value) -> Answer {
    let b: OverrideBody = from(body)?;
    let wanted = overriding(b.override_callback_uri, b.verify_token);
    sh.mutate(|w| {
        let waba = w
            .waba_with_number_mut(id)
            .ok_or_else(|| not_found("phone number", id))?;
        let waba_id = waba.id.clone();
        let n = waba.phone_numbers.iter_mut().find(|n| n.id == id);
        let n = n.ok_or_else(|| not_found("phone number", id))?;
        n.webhook_override = wanted;
        Ok(number_entry(&waba_id, n))
    })
}

fn overriding(uri: Option<String>, token: Option<String>) -> Option<CallbackOverride> {
    uri.filter(|u| !u.is_empty())
        .map(|override_callback_uri| CallbackOverride {
            override_callback_uri,
            verify_token: token,
        })
}

/// Replaces every `verify_token` in a control answer by its `verify_token_sha256`.
pub fn scrub(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                if k == "verify_token" {
                    let digest = v.as_str().map(token_digest);
                    out.insert("verify_token_sha256".into(), json!(digest));
                } else {
                    out.insert(k, scrub(v));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(scrub).collect()),
        other => other,
    }
}

fn from<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, (StatusCode, String)> {
    serde_json::from_value(body).map_err(|e| bad(&format!("bad body: {e}")))
}

fn bad(message: &str) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, message.to_string())
}

fn not_found(what: &str, id: &str) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        format!("no {what} with id {id} in the world"),
    )
}
