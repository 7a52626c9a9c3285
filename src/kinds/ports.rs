//! The ports a kind's execution talks through: the records (state, made durable before a
//! change is reported done) and the Graph API (reads and writes with a token chosen by
//! credentials name). `apply` implements `Records`; the command layer implements `GraphPort`
//! over `remote`. Errors keep their type across the ports, so a state conflict, a failed
//! disk and a Graph error stay apart in the apply report.

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use super::{Desired, RecordedResource};
use crate::model::{Address, ErrorClass, Observed, ObservedNumber, TokenFingerprint};

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
}

impl PortError {
    pub fn class(&self) -> ErrorClass {
        match self {
            PortError::StateConflict(_) => ErrorClass::StateConflict,
            PortError::Storage(_) => ErrorClass::Storage,
            PortError::Graph { .. } => ErrorClass::Graph,
            PortError::Missing(_) => ErrorClass::Config,
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

/// The Graph API as a kind's execution sees it. `credentials` names the entry whose token is
/// used.
pub trait GraphPort: Sync {
    /// A phone number's current facts.
    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        phone_number_id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>>;
    /// A WABA's subscribed apps, each with its override callback when one is set.
    fn read_subscriptions<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<crate::model::ObservedSubscription>, PortError>>;
    /// Send a write; `Ok` once Meta answered success.
    fn write<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>>;
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
}

/// Everything a kind's execution reads.
pub struct ExecCtx<'a> {
    pub desired: &'a Desired,
    /// Facts read just before apply (the same read the stale check used).
    pub observed: &'a Observed,
    /// Secret fingerprints by secret key, as at plan time.
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub records: &'a dyn Records,
    pub graph: &'a dyn GraphPort,
}
