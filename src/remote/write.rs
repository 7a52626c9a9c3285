//! The Graph write path: form-encoded POSTs and DELETEs sent through the read transport (token
//! in the `Authorization` header, same timeouts, pacing, retry loop and Graph error parsing),
//! and what a failed write means for the caller.
//!
//! Owns [`WriteSafety`], [`Form`] and the write methods of `Transport` and `Client`. Must not:
//! repeat a [`WriteSafety::NotIdempotent`] write after Meta may have acted on it, nor let a form
//! value (a verify token) reach any text: errors are scrubbed of the form's secrets, and
//! `Form`'s `Debug` shows names only.

use std::fmt;

use serde_json::Value;

use super::error::RemoteError;
use super::redact::{REDACTED, request_label, scrub_all};
use super::retry::may_have_applied;
use super::token::Token;
use super::transport::Transport;
use super::wire::WriteAnswer;
use super::{Client, redact};

/// Whether a write may be sent again when its outcome is unclear. The caller decides, per
/// operation, from what Meta documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteSafety {
    /// Sending it twice leaves the same state as sending it once (setting a webhook
    /// subscription, a profile): retried exactly like a read (transient codes, 5xx, timeouts,
    /// backoff with jitter, `Retry-After`).
    Idempotent,
    /// Sending it twice may do it twice (creating a template): sent again only after Meta
    /// refused it before acting (HTTP 429, codes 4, 17, 32, 613, 80007, 130429) or the
    /// connection could not be opened. Any other failure without a definite refusal ends in
    /// [`RemoteError::OutcomeUnknown`]: read the state before trying again.
    NotIdempotent,
}

/// Form fields of a write, sent `application/x-www-form-urlencoded`. `Debug` shows field names
/// only; values marked secret are also scrubbed from every error the write returns.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
    secrets: Vec<String>,
}

impl Form {
    pub fn new() -> Self {
        Self::default()
    }

    /// A plain field.
    pub fn field(mut self, name: &str, value: impl Into<String>) -> Self {
        self.pairs.push((name.to_string(), value.into()));
        self
    }

    /// A field whose value is a secret (a verify token).
    pub fn secret_field(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        self = self.hiding(&value);
        self.pairs.push((name.to_string(), value));
        self
    }

    /// Scrub `secret` from errors: for a secret embedded inside a field's value (JSON).
    pub fn hiding(mut self, secret: &str) -> Self {
        if !secret.is_empty() {
            self.secrets.push(secret.to_string());
        }
        self
    }

    /// The fields as sent, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, _) in &self.pairs {
            map.entry(name, &REDACTED);
        }
        map.finish()
    }
}

impl Transport {
    /// POST `form` to an absolute URL.
    pub async fn post_form(
        &self,
        token: &Token,
        url: &str,
        form: &Form,
        safety: WriteSafety,
    ) -> Result<Value, RemoteError> {
        self.write(token, reqwest::Method::POST, url, form, safety)
            .await
    }

    /// DELETE an absolute URL (parameters, if any, in its query).
    pub async fn delete(
        &self,
        token: &Token,
        url: &str,
        safety: WriteSafety,
    ) -> Result<Value, RemoteError> {
        self.write(token, reqwest::Method::DELETE, url, &Form::new(), safety)
            .await
    }

    async fn write(
        &self,
        token: &Token,
        method: reqwest::Method,
        url: &str,
        form: &Form,
        safety: WriteSafety,
    ) -> Result<Value, RemoteError> {
        let label = super::redact::request_label(method.as_str(), url);
        let result = self
            .retrying(&label, || {
                self.write_once(token, &method, url, form, safety)
            })
            .await;
        result.map_err(|err| lift_unknown(err).map_text(&|t| scrub_all(t, &form.secrets)))
    }

    async fn write_once(
        &self,
        token: &Token,
        method: &reqwest::Method,
        url: &str,
        form: &Form,
        safety: WriteSafety,
    ) -> Result<Value, RemoteError> {
        let request = request_label(method.as_str(), url);
        let limit = self.attempt_limit();
        let mut builder = self
            .http
            .request(method.clone(), url)
            .bearer_auth(token.expose())
            .timeout(limit);
        if *method != reqwest::Method::DELETE || !form.pairs.is_empty() {
            builder = builder.form(&form.pairs);
        }
        let sent = builder.send().await;
        // A failure to connect means nothing was sent: safe to retry in every case.
        let unsent = matches!(&sent, Err(e) if e.is_connect());
        match self.read_answer(sent, token, &request, limit).await {
            Err(err)
                if safety == WriteSafety::NotIdempotent && !unsent && may_have_applied(&err) =>
            {
                Err(RemoteError::OutcomeUnknown {
                    request,
                    attempts: 1,
                    cause: Box::new(err),
                })
            }
            other => other,
        }
    }
}

/// After retries, an outcome-unknown failure is the error itself (not wrapped in `GaveUp`),
/// counting every attempt, so callers can match on it.
fn lift_unknown(err: RemoteError) -> RemoteError {
    match err {
        RemoteError::GaveUp { attempts, last, .. } if last.outcome_unknown() => match *last {
            RemoteError::OutcomeUnknown { request, cause, .. } => RemoteError::OutcomeUnknown {
                request,
                attempts,
                cause,
            },
            other => other,
        },
        other => other,
    }
}

impl Client {
    /// POST `form` to `/{version}/{path}` (e.g. `123/subscribed_apps`).
    pub async fn post_form(
        &self,
        token: &Token,
        path: &str,
        form: &Form,
        safety: WriteSafety,
    ) -> Result<Value, RemoteError> {
        let url = self.config().url(path);
        self.transport.post_form(token, &url, form, safety).await
    }

    /// DELETE `/{version}/{path}`.
    pub async fn delete(
        &self,
        token: &Token,
        path: &str,
        safety: WriteSafety,
    ) -> Result<Value, RemoteError> {
        let url = self.config().url(path);
        self.transport.delete(token, &url, safety).await
    }
}

/// `Ok` for `{"success": true}`; anything else says Meta did not confirm the change.
pub fn expect_success(value: Value, method: &str, url: &str) -> Result<(), RemoteError> {
    let answer: WriteAnswer = serde_json::from_value(value).unwrap_or_default();
    if answer.success == Some(true) {
        return Ok(());
    }
    Err(RemoteError::Decode {
        request: redact::request_label(method, url),
        message: "Meta did not confirm the change (no \"success\": true in the answer): read \
                  the current state and run again"
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_debug_shows_names_not_values() {
        let form = Form::new()
            .field("override_callback_uri", "https://cb.example/wa")
            .secret_field("verify_token", "vt-s3cret");
        let shown = format!("{form:?}");
        assert!(!shown.contains("vt-s3cret"), "{shown}");
        assert!(!shown.contains("cb.example"), "{shown}");
        assert!(shown.contains("verify_token"), "{shown}");
        assert_eq!(form.secrets, ["vt-s3cret"]);
    }

    #[test]
    fn only_success_true_is_success() {
        let ok = expect_success(
            serde_json::json!({"success": true}),
            "POST",
            "http://h/v1/2",
        );
        assert!(ok.is_ok());
        for other in [
            serde_json::json!({"success": false}),
            serde_json::json!({"id": "1"}),
            serde_json::json!([1]),
        ] {
            let err = expect_success(other, "POST", "http://h/v1/2").unwrap_err();
            assert!(matches!(err, RemoteError::Decode { .. }), "{err}");
        }
    }

    #[test]
    fn an_unknown_outcome_after_retries_is_not_hidden_in_gave_up() {
        let unknown = RemoteError::OutcomeUnknown {
            request: "POST /x".into(),
            attempts: 1,
            cause: Box::new(RemoteError::Http {
                status: 502,
                request: "POST /x".into(),
                body: String::new(),
                retry_after: None,
            }),
        };
        let lifted = lift_unknown(RemoteError::GaveUp {
            attempts: 3,
            elapsed: std::time::Duration::from_secs(1),
            last: Box::new(unknown),
        });
        assert!(
            matches!(lifted, RemoteError::OutcomeUnknown { attempts: 3, .. }),
            "{lifted:?}"
        );
    }
}
