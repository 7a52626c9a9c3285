//! `wacfg plan`: validate, read state and Meta, plan, print; `-o` saves the plan (JSON, no
//! secrets) with its digest. Exit 1 on errors or a refused plan; with `--detailed-exitcode`,
//! 2 when there are changes.

use std::io::IsTerminal;
use std::path::Path;

use super::pipeline::{self, Prepared};
use super::progress::Console;
use super::{CommandError, CommandResult, Operator, Outcome, use_color};
use crate::cli::PlanArgs;
use crate::plan::Plan;
use crate::render::render_plan;

pub fn run(args: PlanArgs, no_color: bool, operator: &Operator) -> CommandResult {
    let prefetch = pipeline::prefetch_state(&args.config.config);
    let Some((desired, warnings)) =
        pipeline::load_valid(&args.config.config, args.format, no_color)?
    else {
        return Ok(Outcome::Failed);
    };
    let prepared = pipeline::resolve_tokens(
        desired,
        warnings,
        &args.config.config,
        operator,
        args.remote.parallelism,
    )?;
    let plan =
        pipeline::runtime()?.block_on(read_and_plan(&prepared, &args, prefetch, no_color))?;
    let color = use_color(no_color, std::io::stdout().is_terminal());
    print!("{}", render_plan(&plan, args.format.into(), color));
    if plan.refused {
        return Ok(Outcome::Failed);
    }
    if let Some(out) = &args.out {
        save(&plan, out)?;
        eprintln!(
            "Saved the plan to {}. Digest: {}\nApply exactly this plan with: wacfg apply {} --expect-digest {}",
            out.display(),
            plan.digests.plan,
            out.display(),
            plan.digests.plan
        );
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

async fn read_and_plan(
    prepared: &Prepared,
    args: &PlanArgs,
    prefetch: pipeline::StatePrefetch,
    no_color: bool,
) -> Result<Plan, CommandError> {
    let store = pipeline::open(prepared).await?;
    let doc = pipeline::read_state(&store, &prepared.desired, Some(prefetch)).await?;
    let (prior, recorded) = pipeline::recorded_of(doc);
    let console = Console::new(no_color);
    let client = pipeline::client_with(prepared, &console)?;
    let observed = pipeline::observe_with(&client, &console, prepared, &recorded).await;
    pipeline::make_plan(
        prepared,
        &observed,
        prior,
        &recorded,
        &args.targets,
        args.allow_destructive,
    )
}

/// Write the plan file atomically enough for CI: a temp file beside it, then a rename.
pub fn save(plan: &Plan, path: &Path) -> Result<(), CommandError> {
    let text = serde_json::to_string_pretty(plan)
        .map_err(|e| CommandError::new(format!("cannot encode the plan: {e}")))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text + "\n")
        .map_err(|e| CommandError::new(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| CommandError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// Read a saved plan, refusing anything that is not one this version understands.
pub fn load(path: &Path) -> Result<Plan, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CommandError::new(format!("cannot read the plan file {}: {e}", path.display()))
    })?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| {
        CommandError::new(format!(
            "{} is not a wacfg plan ({e}); make one with `wacfg plan -o {}`",
            path.display(),
            path.display()
        ))
    })?;
    let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
    if major(&plan.format_version) != major(crate::plan::PLAN_FORMAT_VERSION) {
        return Err(CommandError::new(format!(
            "{} has plan format {}, this wacfg reads {}; make the plan again with this version",
            path.display(),
            plan.format_version,
            crate::plan::PLAN_FORMAT_VERSION
        )));
    }
    Ok(plan)
}
