//! The ports apply is given: where state is written (`StateWriter`, implemented by the command
//! layer over a state store) and the Graph API (`kinds::GraphPort`, which the kinds call).
//! Errors keep their type (`kinds::PortError`): a state conflict, a failed disk and a Graph
//! error stay distinguishable in the report.

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use crate::kinds::RecordedResource;
pub use crate::kinds::{GraphPort, PortError};
use crate::model::Address;
use crate::plan::PriorState;

/// Writes the whole set of resources as the next state serial.
pub trait StateWriter: Send {
    fn write<'a>(
        &'a mut self,
        resources: &'a BTreeMap<Address, RecordedResource>,
    ) -> BoxFuture<'a, Result<PriorState, PortError>>;
}
