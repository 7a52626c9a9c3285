//! `wacfg discover`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::DiscoverArgs, no_color: bool) -> CommandResult {
    let _ = (args, no_color);
    Err(CommandError::new("`wacfg discover` is not implemented yet"))
}
