//! The apply report: what each change did, as data for `render/`.

use serde::{Deserialize, Serialize};

pub use crate::model::outcome::{ChangeOutcome, ChangeResult};
use crate::plan::PriorState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ApplyReport {
    pub results: Vec<ChangeResult>,
    /// Ctrl-C stopped the run after the operations in flight were saved.
    pub interrupted: bool,
    /// The state after the run.
    pub state: Option<PriorState>,
    /// Why the run stopped talking to Meta before the end (Meta asked to wait longer than
    /// the run can, stopped answering, or `--timeout` ran out): the changes not started are
    /// `skipped` as not attempted. Absent when the run was not stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Why the final state document could not be assembled at the end of the run (every
    /// change is durable all the same; the next command that locks the state finishes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_warning: Option<String>,
    /// `apply --wait` ended with resources still in Meta's review: which, and why it ended.
    /// Not a failure: the next plan shows Meta's decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<super::wait::ReviewWait>,
}

impl ApplyReport {
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| !matches!(r.outcome, ChangeOutcome::Applied))
    }
}
