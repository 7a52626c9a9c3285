//! `wacfg completions SHELL`: print a shell completion script to stdout.

use clap::CommandFactory;

use super::{CommandResult, Outcome};
use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> CommandResult {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "wacfg", &mut std::io::stdout());
    Ok(Outcome::Success)
}
