//! The message template routes, as Meta serves them: `GET /{waba-id}/message_templates`
//! (paged, `fields`, filters), `GET /{template-id}`, and the planners of
//! `POST /{waba-id}/message_templates` (create one language), `DELETE
//! /{waba-id}/message_templates?name=…[&hsm_id=…]` and `POST /{template-id}` (edit). Static
//! checks run in the planner; checks against the world (duplicates, name lock, creation rate,
//! edit quota) run in the commit, under the world's write lock.

use serde_json::{Value, json};

use crate::errors::GraphError;
use crate::fields::Field;
use crate::paging::PageArgs;
use crate::render::{self, Ctx};
use crate::server::writes::{Form, Plan, Target, success};
use crate::templates::lifecycle::{self, SUB_CATEGORY_LOCKED, SUB_DUPLICATE, SUB_NOT_FOUND};
use crate::templates::{MessageTemplate, rules};
use crate::world::{Loc, Waba, World};

/// List filters and what else a `next` link keeps.
pub const LIST_PARAMS: &[&str] = &[
    "fields",
    "name",
    "status",
    "language",
    "category",
    "quality_score",
];

/// `GET /{waba-id}/message_templates`: filtered, then one page.
pub fn list(
    ctx: &Ctx,
    waba: &Waba,
    params: &[(String, String)],
    args: &PageArgs,
    fields: &[Field],
) -> Result<Value, GraphError> {
    let param = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let one_of = |k: &str, value: &str| {
        param(k).is_none_or(|want| want.split(',').any(|w| w.trim() == value))
    };
    let rows: Vec<&MessageTemplate> = waba
        .message_templates
        .iter()
        .filter(|t| {
            param("name").is_none_or(|n| t.name.contains(&n.to_lowercase()))
                && one_of("status", &t.status)
                && one_of("language", &t.language)
                && one_of("category", &t.category)
                && one_of(
                    "quality_score",
                    t.quality_score.as_deref().unwrap_or("UNKNOWN"),
                )
        })
        .collect();
    let keep: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| LIST_PARAMS.contains(&k.as_str()))
        .cloned()
        .collect();
    render::list(
        ctx,
        &format!("{}/message_templates", waba.id),
        &rows,
        args,
        &keep,
        |t| render::template(t, fields),
    )
}

/// A JSON array parameter: a form field holding JSON, or an array in a JSON body.
fn components(form: &Form) -> Result<Option<Vec<Value>>, GraphError> {
    let bad = || GraphError::bad_param("Param components must be a JSON array of objects");
    match form.value("components") {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Array(a)) => Ok(Some(a)),
            _ => Err(bad()),
        },
        Some(_) => Err(bad()),
    }
}

fn ttl(form: &Form) -> Result<Option<i64>, GraphError> {
    let bad = || GraphError::bad_param("Param message_send_ttl_seconds must be an integer");
    match form.value("message_send_ttl_seconds") {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn parameter_format(form: &Form) -> Result<Option<String>, GraphError> {
    match form.value("parameter_format") {
        None => Ok(None),
        Some(Value::String(s)) if ["POSITIONAL", "NAMED"].contains(&s.to_uppercase().as_str()) => {
            Ok(Some(s.to_uppercase()))
        }
        Some(other) => Err(GraphError::bad_param(format!(
            "Param parameter_format must be one of {{POSITIONAL, NAMED}}, got {other}"
        ))),
    }
}

fn required(form: &Form, name: &str) -> Result<String, GraphError> {
    match form.value(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(GraphError::bad_param(format!(
            "The parameter {name} is required"
        ))),
    }
}

fn category(form: &Form) -> Result<Option<String>, GraphError> {
    match form.value("category") {
        None => Ok(None),
        Some(Value::String(s)) => {
            let c = s.to_uppercase();
            rules::check_category(&c)?;
            Ok(Some(c))
        }
        Some(other) => rules::check_category(&other.to_string()).map(|_| None),
    }
}

/// `POST /{waba-id}/message_templates`: one language of a template, into review.
pub fn create(t: &Target) -> Result<Plan, GraphError> {
    let name = required(&t.form, "name")?;
    rules::check_name(&name)?;
    let language = required(&t.form, "language")?;
    let category = category(&t.form)?
        .ok_or_else(|| GraphError::bad_param("The parameter category is required"))?;
    let components = components(&t.form)?
        .ok_or_else(|| GraphError::bad_param("The parameter components is required"))?;
    rules::check_components(&components)?;
    let message_send_ttl_seconds = ttl(&t.form)?;
    rules::check_ttl(&category, message_send_ttl_seconds)?;
    let mut new = MessageTemplate {
        id: String::new(),
        name,
        language,
        category,
        status: "PENDING".into(),
        quality_score: None,
        components,
        parameter_format: Some(parameter_format(&t.form)?.unwrap_or_else(|| "POSITIONAL".into())),
        rejected_reason: None,
        previous_category: None,
        message_send_ttl_seconds,
    };
    let waba_id = t.id.to_string();
    Ok(Plan::commit(move |w: &mut World| {
        lifecycle::settle(w);
        let waba = w
            .waba_mut(&waba_id)
            .ok_or_else(|| GraphError::unknown_object(&waba_id, "post"))?;
        if waba
            .message_templates
            .iter()
            .any(|x| x.name == new.name && x.language == new.language)
        {
            return Err(GraphError::template(
                SUB_DUPLICATE,
                "Message Template Name Already Exists",
                format!(
                    "There's already {} content for {}. Edit it, or create the template with another name or language.",
                    new.language, new.name
                ),
            ));
        }
        lifecycle::check_name_lock(&w.ledger, &waba_id, &new.name, &new.language)?;
        lifecycle::check_creation_rate(&w.ledger, &waba_id)?;
        new.id = lifecycle::new_id(w);
        lifecycle::submit(w, &mut new);
        lifecycle::record_creation(&mut w.ledger, &waba_id);
        let answer = json!({ "id": new.id, "status": new.status, "category": new.category });
        if let Some(waba) = w.waba_mut(&waba_id) {
            waba.message_templates.push(new);
        }
        Ok(answer)
    }))
}

/// `DELETE /{waba-id}/message_templates?name=…` (every language) `[&hsm_id=…]` (one).
pub fn delete(t: &Target) -> Result<Plan, GraphError> {
    let name = required(&t.form, "name")?;
    let hsm_id = t.form.text("hsm_id").map(str::to_string);
    let waba_id = t.id.to_string();
    Ok(Plan::commit(move |w: &mut World| {
        lifecycle::settle(w);
        let waba = w
            .waba_mut(&waba_id)
            .ok_or_else(|| GraphError::unknown_object(&waba_id, "delete"))?;
        let (gone, kept): (Vec<_>, Vec<_>) = waba
            .message_templates
            .drain(..)
            .partition(|x| x.name == name && hsm_id.as_ref().is_none_or(|h| &x.id == h));
        waba.message_templates = kept;
        if gone.is_empty() {
            let which = match &hsm_id {
                Some(h) => format!("with name {name} and hsm_id {h}"),
                None => format!("named {name}"),
            };
            return Err(GraphError::template(
                SUB_NOT_FOUND,
                "Message Template Not Found",
                format!("This WhatsApp Business Account has no message template {which}."),
            ));
        }
        for x in &gone {
            lifecycle::lock_name(&mut w.ledger, &waba_id, x);
            w.ledger.pending.remove(&x.id);
            w.ledger.edits.remove(&x.id);
        }
        Ok(success())
    }))
}

/// `POST /{template-id}`: replace components, category or TTL; back into review.
pub fn edit(t: &Target) -> Result<Plan, GraphError> {
    let Loc::Template(..) = t.loc else {
        return Err(GraphError::unknown_object(t.id, "post"));
    };
    let comps = components(&t.form)?;
    if let Some(c) = &comps {
        rules::check_components(c)?;
    }
    let cat = category(&t.form)?;
    let ttl = ttl(&t.form)?;
    let format = parameter_format(&t.form)?;
    if comps.is_none() && cat.is_none() && ttl.is_none() && format.is_none() {
        return Err(GraphError::bad_param(
            "Param components, category, message_send_ttl_seconds or parameter_format is required",
        ));
    }
    let id = t.id.to_string();
    Ok(Plan::commit(move |w: &mut World| {
        lifecycle::settle(w);
        let mut current = w
            .template_mut(&id)
            .cloned()
            .ok_or_else(|| GraphError::unknown_object(&id, "post"))?;
        lifecycle::check_edit(&w.ledger, &current)?;
        if let Some(c) = cat.as_ref().filter(|c| **c != current.category) {
            if current.status == "APPROVED" {
                return Err(GraphError::template(
                    SUB_CATEGORY_LOCKED,
                    "Category Can't Be Changed",
                    format!(
                        "The category of an approved template can't change ({} to {c}); only REJECTED or PAUSED templates can change category.",
                        current.category
                    ),
                ));
            }
            current.category = c.clone();
        }
        rules::check_ttl(&current.category, ttl)?;
        if current.status == "APPROVED" {
            lifecycle::record_edit(&mut w.ledger, &id);
        }
        if let Some(c) = comps {
            current.components = c;
        }
        if ttl.is_some() {
            current.message_send_ttl_seconds = ttl;
        }
        if format.is_some() {
            current.parameter_format = format;
        }
        lifecycle::submit(w, &mut current);
        if let Some(slot) = w.template_mut(&id) {
            *slot = current;
        }
        Ok(success())
    }))
}
