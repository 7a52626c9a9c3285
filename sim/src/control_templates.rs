//! Control endpoints for message templates and the simulated clock: read every template with
//! its pending review, edit times and locked names; change a template out-of-band as Meta
//! does on its own (pause, disable, re-categorise, rate its quality); seed one; replace the
//! review rules; and advance the clock so reviews, quotas and locks pass without waiting.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::Shared;
use crate::templates::lifecycle::{self, now_ms};
use crate::templates::{MessageTemplate, TemplateReview};
use crate::world::World;

pub type Answer = Result<Value, (StatusCode, String)>;

/// `GET /__sim/templates`.
pub fn state(sh: &Shared) -> Answer {
    sh.mutate(lifecycle::settle);
    let live = sh.read();
    Ok(snapshot(&live.world))
}

fn snapshot(w: &World) -> Value {
    let l = &w.ledger;
    let templates: Vec<Value> = w
        .wabas()
        .flat_map(|waba| {
            waba.message_templates.iter().map(move |t| {
                let mut v = json!(t);
                v["waba_id"] = json!(waba.id);
                v["review_due_ms"] = json!(l.pending.get(&t.id));
                v["edits_ms"] = json!(l.edits.get(&t.id).cloned().unwrap_or_default());
                v
            })
        })
        .collect();
    let locks: Vec<Value> = l
        .locks
        .iter()
        .map(|((waba, name, language), until)| {
            json!({ "waba_id": waba, "name": name, "language": language, "until_ms": until })
        })
        .collect();
    let creations: serde_json::Map<String, Value> = l
        .creations
        .iter()
        .map(|(waba, times)| (waba.clone(), json!(times)))
        .collect();
    json!({
        "now_ms": now_ms(l),
        "templates": templates,
        "locks": locks,
        "creations_ms": creations,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatePatch {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    quality_score: Option<String>,
    #[serde(default)]
    rejected_reason: Option<String>,
}

/// `POST /__sim/templates/{id}`: `{"status": "PAUSED"}`, `{"category": "MARKETING"}` (the
/// old one becomes `previous_category`), `{"quality_score": "RED"}`, `{"rejected_reason": …}`.
pub fn patch(sh: &Shared, id: &str, body: Value) -> Answer {
    let p: TemplatePatch = from(body)?;
    sh.mutate(|w| {
        lifecycle::settle(w);
        let t = w
            .template_mut(id)
            .ok_or_else(|| not_found("message template", id))?;
        if let Some(c) = p.category.filter(|c| *c != t.category) {
            t.previous_category = Some(std::mem::replace(&mut t.category, c));
        }
        if let Some(q) = p.quality_score {
            t.quality_score = Some(q);
        }
        if let Some(r) = p.rejected_reason {
            t.rejected_reason = Some(r);
        }
        let decided = p.status.as_ref().is_some_and(|s| s != "PENDING");
        if let Some(s) = p.status.clone() {
            t.status = s;
        }
        let v = json!(t);
        if decided {
            w.ledger.pending.remove(id);
        }
        Ok(v)
    })
}

/// `POST /__sim/wabas/{id}/templates`: seeds a template (world-file shape; `id` optional).
pub fn add(sh: &Shared, waba_id: &str, body: Value) -> Answer {
    let mut t: MessageTemplate = from(body)?;
    sh.mutate(|w| {
        if t.id.is_empty() {
            t.id = lifecycle::new_id(w);
        }
        let mut candidate = w.clone();
        candidate
            .waba_mut(waba_id)
            .ok_or_else(|| not_found("WABA", waba_id))?
            .message_templates
            .push(t.clone());
        candidate.check().map_err(|e| bad(&e.to_string()))?;
        *w = candidate;
        Ok(json!(t))
    })
}

/// `POST /__sim/template_review`: replaces the review rules (`{"delay_ms": …, "reject": […]}`).
pub fn set_review(sh: &Shared, body: Value) -> Answer {
    let r: TemplateReview = from(body)?;
    sh.mutate(|w| {
        w.template_review = Some(r.clone());
        Ok(json!(r))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    advance_ms: i64,
    #[serde(default)]
    advance_seconds: i64,
    /// true: only `advance` moves the clock from now on; false: it runs again.
    #[serde(default)]
    freeze: Option<bool>,
}

/// `GET /__sim/clock` or `POST /__sim/clock` `{"freeze": true, "advance_ms": N,
/// "advance_seconds": N}` (all optional): the simulated now in Unix milliseconds, the offset
/// from the real clock, and whether it is frozen.
pub fn clock(sh: &Shared, body: Option<Value>) -> Answer {
    let a: Advance = match body {
        Some(b) => from(b)?,
        None => Advance {
            advance_ms: 0,
            advance_seconds: 0,
            freeze: None,
        },
    };
    let step = a
        .advance_ms
        .saturating_add(a.advance_seconds.saturating_mul(1000));
    if step < 0 {
        return Err(bad("the clock only moves forward"));
    }
    sh.mutate(|w| {
        if let Some(f) = a.freeze {
            lifecycle::freeze(&mut w.ledger, f);
        }
        w.ledger.clock_offset_ms = w.ledger.clock_offset_ms.saturating_add(step);
        lifecycle::settle(w);
        Ok(json!({
            "now_ms": now_ms(&w.ledger),
            "offset_ms": w.ledger.clock_offset_ms,
            "frozen": w.ledger.frozen_at_ms.is_some(),
        }))
    })
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
