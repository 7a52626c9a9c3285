//! The template's Graph writes, as Meta documents them:
//!
//! - create: `POST /{waba-id}/message_templates` with `name`, `language`, `category`,
//!   `components` (JSON), `parameter_format` and the optional flags. Not safe to repeat: a
//!   create whose outcome is unknown is read back, never sent again blindly.
//! - edit: `POST /{template-id}` with the full `components` (and `category` or
//!   `message_send_ttl_seconds` when they change).
//!   Each APPROVED edit spends Meta's quota, so an edit is only built when something changed.
//! - delete: `DELETE /{waba-id}/message_templates?name=…&hsm_id=…`; never by bare name, which
//!   deletes every language.

use serde_json::Value;

use super::model::DesiredTemplate;
use crate::kinds::ports::{FormValue, GraphRequest, Repeat};

fn plain(key: &str, value: impl Into<String>) -> (String, FormValue) {
    (key.to_string(), FormValue::Plain(value.into()))
}

pub fn create(
    waba_id: &str,
    d: &DesiredTemplate,
    language: &str,
    components: &Value,
) -> GraphRequest {
    let mut form = vec![
        plain("name", &d.name),
        plain("language", language),
        plain("category", d.category.as_str()),
        plain("parameter_format", d.parameter_format.meta()),
        plain("components", components.to_string()),
    ];
    if d.allow_category_change {
        form.push(plain("allow_category_change", "true"));
    }
    if let Some(ttl) = d.message_send_ttl_seconds {
        form.push(plain("message_send_ttl_seconds", ttl.to_string()));
    }
    GraphRequest {
        method: "POST",
        path: format!("{waba_id}/message_templates"),
        form,
        repeat: Repeat::Unsafe,
    }
}

/// An edit: setting the same components twice leaves them set once, but each send may spend
/// the quota, so the engine never repeats it either. `category` and `ttl` are sent when they
/// change.
pub fn edit(
    template_id: &str,
    components: &Value,
    category: Option<&str>,
    ttl: Option<u32>,
) -> GraphRequest {
    let mut form = vec![plain("components", components.to_string())];
    if let Some(c) = category {
        form.push(plain("category", c));
    }
    if let Some(ttl) = ttl {
        form.push(plain("message_send_ttl_seconds", ttl.to_string()));
    }
    GraphRequest {
        method: "POST",
        path: template_id.to_string(),
        form,
        repeat: Repeat::Unsafe,
    }
}

pub fn delete(waba_id: &str, name: &str, hsm_id: &str) -> GraphRequest {
    let name = crate::kinds::ports::query_value(name);
    let hsm_id = crate::kinds::ports::query_value(hsm_id);
    GraphRequest {
        method: "DELETE",
        path: format!("{waba_id}/message_templates?hsm_id={hsm_id}&name={name}"),
        form: Vec::new(),
        repeat: Repeat::Safe,
    }
}
