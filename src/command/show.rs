//! `wacfg show`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::ShowArgs, no_color: bool) -> CommandResult {
    let _ = (args, no_color);
    Err(CommandError::new("`wacfg show` is not implemented yet"))
}
