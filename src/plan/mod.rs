//! The planner: Desired + Observed + Recorded -> Plan. Pure: no I/O, no printing.
//!
//! Each resource's change is decided by its kind (`kinds/`); the planner walks the addresses,
//! `drift` compares Meta with state, `safety` refuses what must not run, `digest` and `stale`
//! pin a saved plan to what it relied on.

pub mod digest;
pub mod drift;
pub mod input;
pub mod moves;
pub mod planner;
pub mod refresh;
pub mod safety;
pub mod stale;
pub mod types;

pub use input::{PlanInput, PlanOptions};
pub use planner::plan;
pub use types::*;

#[cfg(test)]
pub mod fixtures;
#[cfg(test)]
mod tests;
