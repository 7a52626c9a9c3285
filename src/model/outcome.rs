//! What carrying out one change did, as data: the kind that executed it returns it, the apply
//! report collects it, `render/` prints it.

use serde::{Deserialize, Serialize};

use super::change::Action;
use super::{Address, CheckResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChangeOutcome {
    /// Done and recorded in state.
    Applied,
    /// Carried out, but the configuration's checks failed: recorded as Failed, or the
    /// previous version stays Active with the failed update recorded.
    ChecksFailed { reasons: Vec<String> },
    /// Could not be carried out (a Graph error, a credentials verification step, a state
    /// write); nothing recorded for it. `class` tells the causes apart.
    Error { message: String, class: ErrorClass },
    /// Not attempted: a dependency failed, or the run was interrupted first.
    Skipped { why: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResult {
    pub address: Address,
    pub action: Action,
    #[serde(flatten)]
    pub outcome: ChangeOutcome,
    /// The channel configuration's status after the change (`active`, `failed`, …).
    pub status: Option<String>,
    pub checks: Vec<CheckResult>,
}

/// What kind of failure an `Error` outcome was, so reports and scripts can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Meta's facts refused it (a credentials verification step, a check that cannot run).
    Verification,
    /// The lifecycle forbids it on the state as it is now.
    Lifecycle,
    /// Meta answered an error or could not be reached.
    Graph,
    /// Another run changed the state under this one.
    StateConflict,
    /// The state could not be written (disk full, connection lost).
    Storage,
    /// Something the configuration or environment must provide is missing.
    Config,
}
