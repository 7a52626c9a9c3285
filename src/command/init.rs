//! `wacfg init`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::InitArgs) -> CommandResult {
    let _ = args;
    Err(CommandError::new("`wacfg init` is not implemented yet"))
}
