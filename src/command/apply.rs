//! `wacfg apply`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::ApplyArgs, no_color: bool) -> CommandResult {
    let _ = (args, no_color);
    Err(CommandError::new("`wacfg apply` is not implemented yet"))
}
