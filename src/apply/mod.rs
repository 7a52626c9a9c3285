//! Carrying a plan out: each change in dependency order, state written after each one.

pub mod report;

pub use report::{ApplyReport, ChangeOutcome, ChangeResult};
