//! The ports a kind's execution talks through: the records (state, made durable before a
//! change is reported done) and the Graph API (reads and writes with a token chosen by
//! credentials name). `apply` implements `Records`; the command layer implements `GraphPort`
//! over `remote`. Errors keep their type across the ports, so a state conflict, a failed
//! disk and a Graph error stay apart in the apply report.

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use super::message_template::pacing::Budget;
use super::{Desired, RecordedResource};
use crate::model::{
    Address, ErrorClass, Observed, ObservedNumber, ObservedTemplate, TokenFingerprint,
};

/// Why a port call failed. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The state moved under this apply (another writer): nothing more is written.
    #[error("the state was changed by another run: {0}")]
    StateConflict(String),
    /// The state could not be written (a full disk, a lost database connection).
    #[error("cannot write the state: {0}")]
    Storage(String),
    /// Meta answered an error, or could not be reached.
    #[error("{message}")]
    Graph {
        /// Graph error code, when Meta sent one.
        code: Option<i64>,
        message: String,
        /// A write that may or may not have happened (timeout or 5xx after sending): read
        /// before trying again.
        outcome_unknown: bool,
    },
    /// Something the run needs is not there (a token that was not resolved).
    #[error("{0}")]
    Missing(String),
    /// Nothing was sent: the run stopped talking to Meta (it asked to wait longer than the
    /// run can, it stopped answering, or the apply's `--timeout` ran out). Holds why.
    #[error("not sent: {0}")]
    NotAttempted(String),
}

impl PortError {
    pub fn class(&self) -> ErrorClass {
        match self {
            PortError::StateConflict(_) => ErrorClass::StateConflict,
            PortError::Storage(_) => ErrorClass::Storage,
            PortError::Graph { .. } => ErrorClass::Graph,
            PortError::Missing(_) => ErrorClass::Config,
            PortError::NotAttempted(_) => ErrorClass::Graph,
        }
    }
}

/// Whether a write may be sent again after an answer that does not say if it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Setting a value (a subscription, a profile): sending it twice is sending it once.
    Safe,
    /// Creating something: never sent again blindly; the kind reads first.
    Unsafe,
}

/// A value in a Graph write's form: plain, or a secret the port fills in from what the
/// operator's environment resolved (by secret key), so kinds never hold secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    Plain(String),
    /// The secret with this key, as is.
    Secret(String),
    /// A JSON object whose members are plain or secret (`webhook_configuration`).
    Json(Vec<(String, FormValue)>),
}

/// One Graph write, built by a kind (its path and form are the kind's knowledge of Meta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphRequest {
    /// `POST` or `DELETE`.
    pub method: &'static str,
    /// Below the version prefix: `123/subscribed_apps`.
    pub path: String,
    pub form: Vec<(String, FormValue)>,
    pub repeat: Repeat,
}

/// A fact a change reads from Meta when it runs, named ahead of time so apply can read it for
/// every change of a phase at once (batched, once per distinct object) just before they run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LiveRead {
    /// A phone number's current facts ([`GraphPort::read_number`]).
    Number(NumberRead),
    /// A WABA's review status ([`GraphPort::read_waba_review`]).
    Waba(WabaRead),
}

/// One WABA whose review status to read, with the token of the credentials named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WabaRead {
    pub credentials: String,
    pub waba_id: String,
}

/// One phone number to read, with the token of the credentials named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NumberRead {
    pub credentials: String,
    pub phone_number_id: String,
}

/// What [`GraphPort::read_live`] answers: one result per number, then one per WABA (its
/// review status), each in the order asked.
pub type LiveAnswers = (
    Vec<Result<ObservedNumber, PortError>>,
    Vec<Result<Option<String>, PortError>>,
);

/// The Graph API as a kind's execution sees it. `credentials` names the entry whose token is
/// used.
pub trait GraphPort: Sync {
    /// A phone number's current facts.
    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        phone_number_id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>>;
    /// Several phone numbers' current facts, one result each, in order; one number's error
    /// is its own. The port over Meta sends them in Graph batches, tokens concurrently; this
    /// default reads each on its own.
    fn read_numbers<'a>(
        &'a self,
        reads: &'a [NumberRead],
    ) -> BoxFuture<'a, Vec<Result<ObservedNumber, PortError>>> {
        Box::pin(futures::future::join_all(
            reads
                .iter()
                .map(|r| self.read_number(&r.credentials, &r.phone_number_id)),
        ))
    }
    /// A WABA's review status (`account_review_status`) as Meta says now; `None` when it
    /// does not say. Ports that never check a configuration need not read it.
    fn read_waba_review<'a>(
        &'a self,
        _credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, PortError>> {
        Box::pin(async move {
            Err(PortError::Missing(format!(
                "this port does not read WABA {waba_id}'s review status"
            )))
        })
    }
    /// Several WABAs' review statuses, one result each, in order (the port over Meta sends
    /// them in Graph batches); this default reads each on its own.
    fn read_waba_reviews<'a>(
        &'a self,
        reads: &'a [WabaRead],
    ) -> BoxFuture<'a, Vec<Result<Option<String>, PortError>>> {
        Box::pin(futures::future::join_all(
            reads
                .iter()
                .map(|r| self.read_waba_review(&r.credentials, &r.waba_id)),
        ))
    }
    /// Apply's read-ahead of live facts: the numbers' and the WABAs' (each result in
    /// order). The port over Meta puts both in the same Graph batches per token; this
    /// default reads them side by side. Wrappers forward it so the batches stay shared.
    fn read_live<'a>(
        &'a self,
        numbers: &'a [NumberRead],
        wabas: &'a [WabaRead],
    ) -> BoxFuture<'a, LiveAnswers> {
        Box::pin(async move {
            futures::join!(self.read_numbers(numbers), self.read_waba_reviews(wabas))
        })
    }
    /// Send a write; `Ok` once Meta answered success.
    fn write<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>>;
    /// Send a write and return Meta's answer (a created template's `{id, status, category}`).
    /// No default: a wrapper port that forgot to forward it would silently drop the answer.
    fn write_answer<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<serde_json::Value, PortError>>;
    /// Every language of template `name` in WABA `waba_id`, by language code. No default,
    /// for the same reason as [`GraphPort::write_answer`].
    fn read_template<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<BTreeMap<String, ObservedTemplate>, PortError>>;
    /// Upload `file` through Meta's resumable upload with the token of `credentials`:
    /// the handle a template header's example takes. No default, for the same reason as
    /// [`GraphPort::write_answer`].
    fn upload<'a>(
        &'a self,
        credentials: &'a str,
        file: &'a MediaFile,
    ) -> BoxFuture<'a, Result<String, PortError>>;
    /// Why this run sends nothing more to Meta, once it has stopped (Meta asked to wait
    /// longer than the run can, stopped answering, or the run's deadline passed): every call
    /// then fails at once with [`PortError::NotAttempted`]. `None` while calls may be sent.
    fn halted(&self) -> Option<String> {
        None
    }
}

/// The two template methods for a test fake that neither creates nor reads templates: a
/// write's answer is `null`, a template read is refused as unsupported.
#[cfg(test)]
macro_rules! graph_port_without_templates {
    () => {
        fn write_answer<'a>(
            &'a self,
            credentials: &'a str,
            request: $crate::kinds::GraphRequest,
        ) -> futures::future::BoxFuture<'a, Result<serde_json::Value, $crate::kinds::PortError>> {
            Box::pin(async move {
                self.write(credentials, request)
                    .await
                    .map(|()| serde_json::Value::Null)
            })
        }

        fn read_template<'a>(
            &'a self,
            _credentials: &'a str,
            _waba_id: &'a str,
            name: &'a str,
        ) -> futures::future::BoxFuture<
            'a,
            Result<
                std::collections::BTreeMap<String, $crate::model::ObservedTemplate>,
                $crate::kinds::PortError,
            >,
        > {
            Box::pin(async move {
                Err($crate::kinds::PortError::Missing(format!(
                    "this test port does not read templates (`{name}`)"
                )))
            })
        }

        fn upload<'a>(
            &'a self,
            _credentials: &'a str,
            file: &'a $crate::kinds::MediaFile,
        ) -> futures::future::BoxFuture<'a, Result<String, $crate::kinds::PortError>> {
            Box::pin(async move {
                Err($crate::kinds::PortError::Missing(format!(
                    "this test port does not upload (`{}`)",
                    file.name
                )))
            })
        }
    };
}
#[cfg(test)]
pub(crate) use graph_port_without_templates;

/// A media file to upload (a template header's sample): its name, Meta's MIME type for it and
/// its bytes, read by the operator's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// Reading the media files a configuration names (`file:` on a template header). The
/// configuration is untrusted: the command layer confines the path as it does `file:`
/// secrets (its directory tree and the operator's `--secret-dir`) and bounds the size.
pub trait MediaFiles: Sync {
    /// The bytes of `path`, refused when outside the allowed directories, not a regular file
    /// or larger than `max_bytes`.
    fn read(&self, path: &std::path::Path, max_bytes: u64) -> Result<Vec<u8>, PortError>;
}

/// For commands that upload nothing.
pub struct NoMediaFiles;

impl MediaFiles for NoMediaFiles {
    fn read(&self, path: &std::path::Path, _max_bytes: u64) -> Result<Vec<u8>, PortError> {
        Err(PortError::Missing(format!(
            "this command does not upload media files ({})",
            path.display()
        )))
    }
}

/// The records, as a kind's execution sees them.
pub trait Records: Sync {
    /// A copy of one recorded resource as it stands now.
    fn get<'a>(&'a self, addr: &'a Address) -> BoxFuture<'a, Option<RecordedResource>>;
    /// Keep `record` (or forget the address) in memory only: it reaches the store with the
    /// next write. For transient records whose loss in a crash changes nothing.
    fn note(&self, addr: Address, record: Option<RecordedResource>) -> BoxFuture<'_, ()>;
    /// Keep `record` (or forget the address) and return once it is durable.
    fn commit(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> BoxFuture<'_, Result<(), PortError>>;
    /// As `commit`, for a change's last step: nothing of the change talks to Meta after it, so
    /// the apply may start the next change while this one waits for the disk. (An earlier
    /// commit keeps the change's turn: at `--parallelism 1`, the next change must not decide
    /// before this one's later calls to Meta, e.g. on the WABA's creation budget.)
    fn commit_last(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> BoxFuture<'_, Result<(), PortError>> {
        self.commit(addr, record)
    }
}

/// A value for a path's query string, percent-encoded (names and ids are plain, but a
/// write's path must never be bent by what a file holds).
pub fn query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// One segment of a write's path (an ID), percent-encoded but for unreserved characters, so
/// an ID read from a file or from state can never add a segment or a query to the path.
pub fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Limits Meta counts across changes (the template creations per hour of a WABA), spent by
/// the changes of one apply as they run at once. A kind names the key and, on first use,
/// the starting budget.
#[derive(Debug, Default)]
pub struct Pacing {
    budgets: std::sync::Mutex<BTreeMap<String, Budget>>,
}

impl Pacing {
    fn budgets(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Budget>> {
        self.budgets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Spend one of `key`'s budget (`start` on first use); `Err(next_at)` when none is left.
    pub fn take(&self, key: &str, start: impl FnOnce() -> Budget) -> Result<(), Option<i64>> {
        let mut budgets = self.budgets();
        let budget = budgets.entry(key.to_string()).or_insert_with(start);
        if budget.take() {
            Ok(())
        } else {
            Err(budget.next_at)
        }
    }

    /// When one more of `key`'s budget is allowed once it is spent.
    pub fn next_at(&self, key: &str, start: impl FnOnce() -> Budget) -> Option<i64> {
        self.budgets()
            .entry(key.to_string())
            .or_insert_with(start)
            .next_at
    }

    /// Give back one spent on a create that was never sent.
    pub fn give_back(&self, key: &str) {
        if let Some(b) = self.budgets().get_mut(key) {
            b.left += 1;
        }
    }

    /// Meta says `key`'s budget is spent (whatever the counts said): none left until `next_at`.
    pub fn exhaust(&self, key: &str, next_at: i64) {
        let spent = Budget {
            left: 0,
            next_at: Some(next_at),
        };
        self.budgets().insert(key.to_string(), spent);
    }
}

/// Everything a kind's execution reads.
pub struct ExecCtx<'a> {
    pub desired: &'a Desired,
    /// The records as the apply began (for budgets counted over many resources).
    pub prior: &'a BTreeMap<Address, RecordedResource>,
    /// Budgets shared by the changes of this apply (`Pacing`).
    pub pacing: &'a Pacing,
    /// Media files the configuration names, read confined (`MediaFiles`).
    pub files: &'a dyn MediaFiles,
    /// Facts read just before apply (the same read the stale check used).
    pub observed: &'a Observed,
    /// Secret fingerprints by secret key, as at plan time.
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub records: &'a dyn Records,
    pub graph: &'a dyn GraphPort,
}
