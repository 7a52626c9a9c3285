//! Carrying a plan out: each change in dependency order, executed by its kind, the facts its
//! checks read from Meta read once per phase in batches, state written after each one; with
//! `--wait`, Meta's review of what was submitted awaited and recorded.

mod commit;
pub mod engine;
pub mod live;
pub mod ports;
pub mod report;
mod slot;
pub mod wait;

pub use engine::{ApplyInput, Extras, Progress, STATE_UNWRITABLE, apply, apply_waiting};
pub use ports::{GraphPort, PortError, StateChanges, StateWriter};
pub use report::{ApplyReport, ChangeOutcome, ChangeResult};

#[cfg(test)]
mod tests;
