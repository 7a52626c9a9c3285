//! `wacfg drift`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::DriftArgs, no_color: bool) -> CommandResult {
    let _ = (args, no_color);
    Err(CommandError::new("`wacfg drift` is not implemented yet"))
}
