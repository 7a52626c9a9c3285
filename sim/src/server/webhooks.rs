//! Webhook subscription writes, as Meta documents them: `POST` / `DELETE
//! /{waba-id}/subscribed_apps` (subscribe the app, optionally with a WABA-level callback
//! override) and `POST /{phone-number-id}` with `webhook_configuration` (a number-level
//! override, which needs the WABA's subscription). New overrides are verified first (see
//! `callback`); verify tokens are stored but never answered.

use serde_json::{Map, Value};

use crate::callback::{self, Callback};
use crate::errors::GraphError;
use crate::server::writes::{Plan, Target, success};
use crate::world::{CallbackOverride, Loc};

/// `POST /{waba-id}/subscribed_apps`: no parameters subscribes the app and clears the WABA
/// override; `override_callback_uri` with `verify_token` sets (or replaces) it.
pub fn subscribe(t: &Target) -> Result<Plan, GraphError> {
    let uri = t.form.text("override_callback_uri");
    let token = t.form.text("verify_token");
    let wanted = match (uri, token) {
        (None, None) => None,
        (Some(uri), Some(token)) => Some(checked("override_callback_uri", uri, token)?),
        (Some(_), None) => return Err(together("verify_token", "override_callback_uri")),
        (None, Some(_)) => return Err(together("override_callback_uri", "verify_token")),
    };
    let verify = wanted.as_ref().map(|(cb, _)| cb.clone());
    let stored = wanted.map(|(_, o)| o);
    let id = t.id.to_string();
    Ok(Plan::commit(move |w| {
        let waba = w.waba_mut(&id).ok_or_else(|| gone(&id))?;
        waba.subscribed = true;
        waba.webhook_override = stored;
        Ok(success())
    })
    .verifying(verify))
}

/// `DELETE /{waba-id}/subscribed_apps`: the app stops receiving the WABA's webhooks (also
/// when it did not). Numbers keep their own overrides.
pub fn unsubscribe(t: &Target) -> Result<Plan, GraphError> {
    let id = t.id.to_string();
    Ok(Plan::commit(move |w| {
        let waba = w.waba_mut(&id).ok_or_else(|| gone(&id))?;
        waba.subscribed = false;
        waba.webhook_override = None;
        Ok(success())
    }))
}

const CONFIG_KEYS: &[&str] = &["override_callback_uri", "verify_token"];

/// `POST /{phone-number-id}` with `webhook_configuration={"override_callback_uri": …,
/// "verify_token": …}`; an empty `override_callback_uri` removes the number's override.
pub fn configure_number(t: &Target) -> Result<Plan, GraphError> {
    let Some(cfg) = t.form.object("webhook_configuration")? else {
        return Err(GraphError::bad_param(
            "The simulator models only webhook_configuration on POST /{phone-number-id}: send webhook_configuration={\"override_callback_uri\":\"https://…\",\"verify_token\":\"…\"}",
        ));
    };
    if let Some(k) = cfg.keys().find(|k| !CONFIG_KEYS.contains(&k.as_str())) {
        return Err(GraphError::bad_param(format!(
            "Param webhook_configuration[{k}] is not a valid parameter; use override_callback_uri and verify_token"
        )));
    }
    let uri = string(&cfg, "override_callback_uri")?.ok_or_else(|| {
        GraphError::bad_param("Param webhook_configuration[override_callback_uri] is required")
    })?;
    let id = t.id.to_string();
    if uri.is_empty() {
        return Ok(Plan::commit(move |w| {
            w.number_mut(&id).ok_or_else(|| gone(&id))?.webhook_override = None;
            Ok(success())
        }));
    }
    let token = string(&cfg, "verify_token")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            together(
                "webhook_configuration[verify_token]",
                "webhook_configuration[override_callback_uri]",
            )
        })?;
    let (cb, stored) = checked("webhook_configuration[override_callback_uri]", &uri, &token)?;
    if let Loc::Number(b, c, i, _) = t.loc {
        let waba = t.live.world.waba_at(b, c, i);
        if !waba.subscribed {
            return Err(GraphError::not_subscribed(&waba.id));
        }
    }
    Ok(Plan::commit(move |w| {
        let waba = w.waba_with_number_mut(&id).ok_or_else(|| gone(&id))?;
        if !waba.subscribed {
            return Err(GraphError::not_subscribed(&waba.id));
        }
        let n = waba.phone_numbers.iter_mut().find(|n| n.id == id);
        n.ok_or_else(|| gone(&id))?.webhook_override = Some(stored);
        Ok(success())
    })
    .verifying(Some(cb)))
}

/// A valid callback URL with its token: what to verify and what to store.
fn checked(
    param: &str,
    uri: &str,
    token: &str,
) -> Result<(Callback, CallbackOverride), GraphError> {
    let url = callback::parse_url(param, uri)?;
    let cb = Callback {
        url,
        verify_token: token.to_string(),
    };
    let stored = CallbackOverride {
        override_callback_uri: uri.to_string(),
        verify_token: Some(token.to_string()),
    };
    Ok((cb, stored))
}

fn string(cfg: &Map<String, Value>, key: &str) -> Result<Option<String>, GraphError> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(GraphError::bad_param(format!(
            "Param webhook_configuration[{key}] must be a string"
        ))),
    }
}

fn together(missing: &str, given: &str) -> GraphError {
    GraphError::bad_param(format!(
        "Param {missing} is required when {given} is set: a callback override needs both override_callback_uri and verify_token"
    ))
}

/// The node left the world between planning and committing.
fn gone(id: &str) -> GraphError {
    GraphError::unknown_object(id, "post")
}
