//! `wacfg state`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(cmd: crate::cli::StateCommand, no_color: bool) -> CommandResult {
    let _ = (cmd, no_color);
    Err(CommandError::new("`wacfg state` is not implemented yet"))
}
