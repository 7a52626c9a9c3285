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
}

impl ApplyReport {
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| !matches!(r.outcome, ChangeOutcome::Applied))
    }
}
