//! Phone numbers read live: what apply uses to check a sender's current status just before it
//! decides, rather than trusting facts read seconds or hours earlier. One number on its own, or
//! many with one token in Graph batches (at most 50 per request, the batches concurrently), one
//! result per number so one number's error stays its own. WABAs' review status is read live
//! the same way, in the same batches as the numbers when apply reads both (`read_live`).

use futures::future::join_all;
use serde_json::Value;

use super::batch::{MAX_BATCH, WholeFailure};
use super::wire::{NUMBER_FIELDS, WireNumber};
use super::{Client, RemoteError, Token, convert, redact};
use crate::model::ObservedNumber;

impl Client {
    /// `GET /{phone-number-id}?fields=…`: the number's current facts.
    pub async fn read_number(
        &self,
        token: &Token,
        phone_number_id: &str,
    ) -> Result<ObservedNumber, RemoteError> {
        let url = format!(
            "{}/{}",
            self.config().base_url,
            self.number_path(phone_number_id)
        );
        let value = self.transport.get(token, &url).await?;
        number_of(value, &url)
    }

    /// The current facts of each of `phone_number_ids` (one result each, in order), read with
    /// `token` in batches of the configured size (at most 50), all batches at once within the
    /// client's parallelism. An item Meta answers with a transient error is read again on its
    /// own after the wait it asked for; when a whole batch fails, each of its numbers gets
    /// that error.
    pub async fn read_numbers(
        &self,
        token: &Token,
        phone_number_ids: &[String],
    ) -> Vec<Result<ObservedNumber, RemoteError>> {
        self.read_live(token, phone_number_ids, &[]).await.0
    }

    /// `v23.0/{id}?fields=…`, below the base URL.
    fn number_path(&self, phone_number_id: &str) -> String {
        let id = redact::encode_query_value(phone_number_id);
        let fields = redact::encode_query_value(NUMBER_FIELDS);
        self.config().relative(&format!("{id}?fields={fields}"))
    }
}

fn number_of(value: Value, url: &str) -> Result<ObservedNumber, RemoteError> {
    let wire: WireNumber = serde_json::from_value(value).map_err(|e| RemoteError::Decode {
        request: format!("GET {}", redact::redact_url(url)),
        message: format!("not a phone number: {e}"),
    })?;
    Ok(convert::number(wire))
}

impl Client {
    /// The review status (`account_review_status`) of each of `waba_ids` (one result each, in
    /// order; `None` when Meta does not report it), read with `token` in Graph batches like
    /// [`Client::read_numbers`].
    pub async fn read_waba_reviews(
        &self,
        token: &Token,
        waba_ids: &[String],
    ) -> Vec<Result<Option<String>, RemoteError>> {
        self.read_live(token, &[], waba_ids).await.1
    }

    /// Apply's live facts for one token: the numbers' facts and the WABAs' review statuses,
    /// together in the same Graph batches (at most 50 items each, the batches concurrently),
    /// so reading both costs no more requests than reading the numbers alone when they fit.
    /// One result per id, in order.
    #[allow(clippy::type_complexity)]
    pub async fn read_live(
        &self,
        token: &Token,
        phone_number_ids: &[String],
        waba_ids: &[String],
    ) -> (
        Vec<Result<ObservedNumber, RemoteError>>,
        Vec<Result<Option<String>, RemoteError>>,
    ) {
        let mut paths: Vec<String> = phone_number_ids
            .iter()
            .map(|id| self.number_path(id))
            .collect();
        paths.extend(waba_ids.iter().map(|id| {
            let id = redact::encode_query_value(id);
            self.config()
                .relative(&format!("{id}?fields=account_review_status"))
        }));
        let size = self.config().batch_size.clamp(1, MAX_BATCH);
        let batches = join_all(
            paths
                .chunks(size)
                .map(|chunk| self.batch_get(token, chunk, WholeFailure::FailEach)),
        )
        .await;
        let mut answers = batches.into_iter().flatten().zip(&paths);
        let numbers = answers
            .by_ref()
            .take(phone_number_ids.len())
            .map(|(answer, path)| {
                let url = format!("{}/{}", self.config().base_url, path);
                answer.and_then(|v| number_of(v, &url))
            })
            .collect();
        let reviews = answers
            .map(|(answer, path)| {
                let url = format!("{}/{}", self.config().base_url, path);
                answer.and_then(|v| review_of(v, &url))
            })
            .collect();
        (numbers, reviews)
    }
}

fn review_of(value: Value, url: &str) -> Result<Option<String>, RemoteError> {
    match value.get("account_review_status") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(RemoteError::Decode {
            request: format!("GET {}", redact::redact_url(url)),
            message: format!("account_review_status is not a string: {other}"),
        }),
    }
}
