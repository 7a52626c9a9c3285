//! The ports apply is given: where state is written (`StateWriter`, implemented by the command
//! layer over a state store) and the Graph API (`kinds::GraphPort`, which the kinds call).
//! Errors keep their type (`kinds::PortError`): a state conflict, a failed disk and a Graph
//! error stay distinguishable in the report.

use futures::future::BoxFuture;

use crate::kinds::RecordedResource;
pub use crate::kinds::{GraphPort, PortError};
use crate::model::Address;
use crate::plan::PriorState;

/// What one group commit changed: only the resources written or replaced since the last
/// write, and those removed. A write's cost follows these, never the size of the estate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateChanges {
    pub upserts: Vec<(Address, RecordedResource)>,
    pub removals: Vec<Address>,
}

impl StateChanges {
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.removals.is_empty()
    }
}

/// Writes the state an apply changes, one group of changes at a time.
pub trait StateWriter: Send {
    /// Make `changes` durable as the next serial and return its reference (lineage, serial):
    /// a change is reported done only once this returned.
    fn write<'a>(
        &'a mut self,
        changes: &'a StateChanges,
    ) -> BoxFuture<'a, Result<PriorState, PortError>>;

    /// The apply is over: assemble the final document once (the local store folds its
    /// journal into the snapshot). Nothing is lost if this fails: every change is already
    /// durable, and the next lock of the state finishes the job.
    fn finish(&mut self) -> BoxFuture<'_, Result<(), PortError>>;
}
