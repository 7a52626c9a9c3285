//! `wacfg drift`: refresh only. Reads Meta and the state and reports what changed at Meta
//! since the last apply; changes nothing. Exit 2 when there is drift.

use std::io::IsTerminal;

use super::pipeline;
use super::progress::Console;
use super::{CommandResult, Operator, Outcome, use_color};
use crate::cli::DriftArgs;
use crate::render::drift::render_drift;

pub fn run(args: DriftArgs, no_color: bool, operator: &Operator) -> CommandResult {
    let sources = super::ConfigSources::new(&args.config)?;
    let prefetch = pipeline::prefetch_state(&sources);
    let Some(prepared) = pipeline::prepare(
        &sources,
        args.format,
        no_color,
        operator,
        args.remote.parallelism,
        pipeline::Reads::Secrets,
    )?
    else {
        return Ok(Outcome::Failed);
    };
    let drift = pipeline::runtime()?.block_on(async {
        let console = Console::new(no_color);
        let pipeline::Recorded {
            resources: recorded,
            observed,
            ..
        } = pipeline::read_unlocked(&prepared, prefetch, &console).await?;
        Ok::<_, super::CommandError>(crate::plan::drift::detect(&recorded, &observed))
    })?;
    let color = use_color(no_color, std::io::stdout().is_terminal());
    out!("{}", render_drift(&drift, args.format.into(), color));
    Ok(if drift.is_empty() {
        Outcome::Success
    } else {
        Outcome::Changes
    })
}
