//! The webhook's Graph writes, as Meta documents them. All are safe to repeat (setting a
//! subscription twice sets it once), so the transport retries them like reads.
//!
//! - WABA scope: `POST /{waba-id}/subscribed_apps` with `override_callback_uri` and
//!   `verify_token`; Meta verifies the callback (hub.challenge) before it answers.
//! - Number scope: the WABA subscription first (no override), then `POST /{phone-number-id}`
//!   with `webhook_configuration={"override_callback_uri":…,"verify_token":…}`.
//! - Removal: `DELETE /{waba-id}/subscribed_apps`; a number override is cleared with an empty
//!   `override_callback_uri`.
//!
//! IDs are percent-encoded into the path ([`path_segment`]): they come from the file or from
//! state, and must not be able to bend the path.

use crate::kinds::ports::{FormValue, GraphRequest, Repeat, path_segment};

fn plain(key: &str, value: &str) -> (String, FormValue) {
    (key.to_string(), FormValue::Plain(value.to_string()))
}

/// Subscribe the app to the WABA, with the WABA-level override when `callback` is given
/// (`verify_token_key` names the secret the port fills in).
pub fn subscribe_waba(waba_id: &str, callback: Option<(&str, &str)>) -> GraphRequest {
    let form = match callback {
        Some((uri, verify_token_key)) => vec![
            plain("override_callback_uri", uri),
            (
                "verify_token".to_string(),
                FormValue::Secret(verify_token_key.to_string()),
            ),
        ],
        None => Vec::new(),
    };
    GraphRequest {
        method: "POST",
        path: subscribed_apps(waba_id),
        form,
        repeat: Repeat::Safe,
    }
}

pub fn unsubscribe_waba(waba_id: &str) -> GraphRequest {
    GraphRequest {
        method: "DELETE",
        path: subscribed_apps(waba_id),
        form: Vec::new(),
        repeat: Repeat::Safe,
    }
}

/// Set (or, with `None`, clear) a number's own callback override.
pub fn number_override(phone_number_id: &str, callback: Option<(&str, &str)>) -> GraphRequest {
    let config = match callback {
        Some((uri, verify_token_key)) => vec![
            plain("override_callback_uri", uri),
            (
                "verify_token".to_string(),
                FormValue::Secret(verify_token_key.to_string()),
            ),
        ],
        None => vec![plain("override_callback_uri", "")],
    };
    GraphRequest {
        method: "POST",
        path: path_segment(phone_number_id),
        form: vec![("webhook_configuration".to_string(), FormValue::Json(config))],
        repeat: Repeat::Safe,
    }
}

/// `{waba-id}/subscribed_apps`, the ID percent-encoded.
fn subscribed_apps(waba_id: &str) -> String {
    format!("{}/subscribed_apps", path_segment(waba_id))
}
