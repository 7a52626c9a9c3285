//! Webhook routing on Meta: which apps a WABA is subscribed to, and the callback overrides at
//! WABA level (`subscribed_apps`) and phone-number level (`webhook_configuration`).
//!
//! Owns the requests and their shapes only; deciding what to change is the engine's. All these
//! writes are [`WriteSafety::Idempotent`] (Meta documents setting them again as harmless). Must
//! not let a verify token reach any text: it travels as a secret form value.

use serde_json::json;

use crate::model::observed::ObservedSubscription;

use super::wire::{Page, WireSubscribedApp};
use super::write::{Form, WriteSafety, expect_success};
use super::{Client, RemoteError, Token, convert, redact};

/// A callback URL override and the verify token Meta sends to it (`hub.verify_token`) when
/// it checks the URL. `Debug` hides the verify token.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackOverride {
    pub callback_uri: String,
    pub verify_token: String,
}

impl CallbackOverride {
    pub fn new(callback_uri: impl Into<String>, verify_token: impl Into<String>) -> Self {
        Self {
            callback_uri: callback_uri.into(),
            verify_token: verify_token.into(),
        }
    }
}

impl std::fmt::Debug for CallbackOverride {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackOverride")
            .field("callback_uri", &self.callback_uri)
            .field("verify_token", &redact::REDACTED)
            .finish()
    }
}

impl Client {
    /// `POST /{waba-id}/subscribed_apps`: subscribe the token's app to the WABA's webhooks,
    /// with a WABA-level callback override (`override_callback_uri` + `verify_token`), or
    /// without one (which also clears an existing override).
    pub async fn subscribe_waba(
        &self,
        token: &Token,
        waba_id: &str,
        callback: Option<&CallbackOverride>,
    ) -> Result<(), RemoteError> {
        let mut form = Form::new();
        if let Some(cb) = callback {
            form = form
                .field("override_callback_uri", cb.callback_uri.as_str())
                .secret_field("verify_token", cb.verify_token.as_str());
        }
        let path = subscribed_apps_path(waba_id);
        let answer = self
            .post_form(token, &path, &form, WriteSafety::Idempotent)
            .await?;
        expect_success(answer, "POST", &self.config().url(&path))
    }

    /// `DELETE /{waba-id}/subscribed_apps`: unsubscribe the token's app from the WABA.
    pub async fn unsubscribe_waba(&self, token: &Token, waba_id: &str) -> Result<(), RemoteError> {
        let path = subscribed_apps_path(waba_id);
        let answer = self.delete(token, &path, WriteSafety::Idempotent).await?;
        expect_success(answer, "DELETE", &self.config().url(&path))
    }

    /// `POST /{phone-number-id}` with `webhook_configuration`: set the number's own callback
    /// override, or remove it (`None` sends an empty `override_callback_uri`).
    pub async fn set_number_webhook(
        &self,
        token: &Token,
        phone_number_id: &str,
        callback: Option<&CallbackOverride>,
    ) -> Result<(), RemoteError> {
        let config = match callback {
            Some(cb) => json!({
                "override_callback_uri": cb.callback_uri,
                "verify_token": cb.verify_token,
            }),
            None => json!({ "override_callback_uri": "" }),
        };
        let mut form = Form::new().secret_field("webhook_configuration", config.to_string());
        if let Some(cb) = callback {
            form = form.hiding(&cb.verify_token);
        }
        let path = redact::encode_query_value(phone_number_id);
        let answer = self
            .post_form(token, &path, &form, WriteSafety::Idempotent)
            .await?;
        expect_success(answer, "POST", &self.config().url(&path))
    }

    /// `GET /{waba-id}/subscribed_apps`: the apps subscribed to the WABA (all pages), each with
    /// its WABA-level override when one is set.
    pub async fn read_subscribed_apps(
        &self,
        token: &Token,
        waba_id: &str,
    ) -> Result<Vec<ObservedSubscription>, RemoteError> {
        let url = self.config().url(&subscribed_apps_path(waba_id));
        let value = self.transport.get(token, &url).await?;
        let page: Page<WireSubscribedApp> = self.decode(value, &url)?;
        let rows = self.all_rows(token, Some(page)).await?;
        Ok(rows.into_iter().map(convert::subscription).collect())
    }
}

/// `{waba-id}/subscribed_apps`, the ID percent-encoded.
fn subscribed_apps_path(waba_id: &str) -> String {
    format!("{}/subscribed_apps", redact::encode_query_value(waba_id))
}
