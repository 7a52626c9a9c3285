//! Carrying a plan out: each change in dependency order, state written after each one.

mod commit;
pub mod engine;
pub mod report;

pub use engine::{ApplyInput, LiveReads, Progress, StateWriter, apply};
pub use report::{ApplyReport, ChangeOutcome, ChangeResult};

#[cfg(test)]
mod tests;
