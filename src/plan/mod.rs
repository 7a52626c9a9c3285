//! The planner: Desired + Observed + Recorded -> Plan. Pure: no I/O, no printing.

pub mod types;

pub use types::*;
