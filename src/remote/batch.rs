//! Several GETs with one token in one Graph batch request, each answer turned into JSON or the
//! error it would have been as a request of its own. A sub-request that failed transiently, or
//! that Meta did not process, is read again as a plain GET after the wait the item asked for
//! (its `Retry-After`, its `estimated_time_to_regain_access`), so one item's trouble stays
//! that item's. Used by the plan's read (`observe`) and apply's live reads (`number`).

use futures::future::join_all;
use serde_json::Value;

use super::Client;
use super::error::RemoteError;
use super::retry::is_transient;
use super::token::Token;

/// Meta's limit of sub-requests per batch.
pub const MAX_BATCH: usize = 50;

/// What to do when the batch request itself fails (after its retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WholeFailure {
    /// Try every read on its own (the plan's read: one unreadable batch must not hide
    /// everything), except when the token is rejected, which every read would hit again.
    ReadEach,
    /// Every read fails with the batch's error (apply's live reads: Meta not answering or
    /// asking to wait is the run's circuit breaker's to weigh, not a reason to send each read
    /// again on its own).
    FailEach,
}

impl Client {
    /// One batch of GETs (`relative_urls` below the base URL, version included, at most
    /// [`MAX_BATCH`]): one result per URL, in order.
    pub(super) async fn batch_get(
        &self,
        token: &Token,
        relative_urls: &[String],
        whole: WholeFailure,
    ) -> Vec<Result<Value, RemoteError>> {
        let answers = match self.transport.batch(token, relative_urls).await {
            Ok(items) => items,
            Err(err)
                if whole == WholeFailure::FailEach || matches!(err.code(), Some(190 | 102)) =>
            {
                return relative_urls.iter().map(|_| Err(err.clone())).collect();
            }
            Err(_) => Vec::new(),
        };
        let each = relative_urls.iter().enumerate().map(|(i, url)| {
            let answer = answers.get(i).cloned().flatten();
            async move {
                let first = answer.map(|item| {
                    self.transport.note_item_usage(&item);
                    self.transport.batch_item(token, url, &item)
                });
                match first {
                    // Honour the item's own wait before reading it again, as the plain path
                    // does; a wait beyond the deadline ends it.
                    Some(Err(err)) if is_transient(&err) => {
                        if self
                            .transport
                            .wait_after_item(&super::redact::request_label("GET", url), &err)
                            .await
                        {
                            self.get_path(token, url).await
                        } else {
                            Err(err)
                        }
                    }
                    Some(r) => r,
                    None => self.get_path(token, url).await,
                }
            }
        });
        join_all(each).await
    }

    pub(super) async fn get_path(
        &self,
        token: &Token,
        relative: &str,
    ) -> Result<Value, RemoteError> {
        let url = format!("{}/{}", self.config().base_url, relative);
        self.transport.get(token, &url).await
    }
}
