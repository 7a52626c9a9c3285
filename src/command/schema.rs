//! `wacfg schema`: not built yet.

use super::{CommandError, CommandResult};

pub fn run(args: crate::cli::SchemaArgs) -> CommandResult {
    let _ = args;
    Err(CommandError::new("`wacfg schema` is not implemented yet"))
}
