//! The planner: Desired + Observed + Recorded -> Plan. Pure: no I/O, no printing.
//!
//! `lifecycle` decides each channel configuration, `checks` says what the checks will find,
//! `drift` compares Meta with state, `safety` refuses what must not run, `digest` and `stale`
//! pin a saved plan to what it relied on.

pub mod attrs;
pub mod checks;
pub mod digest;
pub mod drift;
pub mod lifecycle;
pub mod planner;
pub mod safety;
pub mod stale;
pub mod types;

pub use planner::{PlanInput, plan};
pub use types::*;

#[cfg(test)]
pub mod fixtures;
#[cfg(test)]
mod tests;
