//! `wacfg plan`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::PlanArgs, no_color: bool) -> CommandResult {
    let _ = (args, no_color);
    Err(CommandError::new("`wacfg plan` is not implemented yet"))
}
