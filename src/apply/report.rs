//! The apply report: what each change did, as data for `render/`.

use serde::{Deserialize, Serialize};

use crate::model::{Address, CheckResult};
use crate::plan::{Action, PriorState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChangeOutcome {
    /// Done and recorded in state.
    Applied,
    /// Carried out, but the configuration's checks failed: recorded as Failed, or the
    /// previous version stays Active with the failed update recorded.
    ChecksFailed { reasons: Vec<String> },
    /// Could not be carried out (a Graph error, a credentials verification step); nothing
    /// recorded for it.
    Error { message: String },
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ApplyReport {
    pub results: Vec<ChangeResult>,
    /// Ctrl-C stopped the run after the operations in flight were saved.
    pub interrupted: bool,
    /// The state after the run.
    pub state: Option<PriorState>,
}

impl ApplyReport {
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| !matches!(r.outcome, ChangeOutcome::Applied))
    }
}
