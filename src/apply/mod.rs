//! Carrying a plan out: each change in dependency order, executed by its kind, the facts its
//! checks read from Meta read once per phase in batches, state written after each one.

mod commit;
pub mod engine;
pub mod live;
pub mod ports;
pub mod report;

pub use engine::{ApplyInput, Progress, apply};
pub use ports::{GraphPort, PortError, StateChanges, StateWriter};
pub use report::{ApplyReport, ChangeOutcome, ChangeResult};

#[cfg(test)]
mod tests;
