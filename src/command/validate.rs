//! `wacfg validate`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::ValidateArgs, no_color: bool) -> CommandResult {
    let _ = (args, no_color);
    Err(CommandError::new("`wacfg validate` is not implemented yet"))
}
