//! `wacfg apply [PLANFILE]`: lock the state, re-read it and Meta, re-derive the changes and
//! refuse a saved plan that is stale or whose changes differ (then apply the re-derived ones),
//! confirm, carry the changes out with progress on stderr, write state after each one, and
//! report. Ctrl-C before any change started (at the confirmation prompt, say) cancels at
//! once: nothing changed, the lock is released, exit 130. Ctrl-C while changes run finishes
//! what is in flight, saves, unlocks and exits 130. With `--wait`, the changes are followed by
//! a wait for Meta's review of the templates submitted (`apply::wait`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::adapters::{Graph, Stop, StoreWriter};
use super::media::ConfinedFiles;
use super::pipeline::{self, Prepared};
use super::progress::{ApplyProgress, Console};
use super::{CommandError, CommandResult, Operator, Outcome, use_color};
use crate::apply::wait::WaitFor;
use crate::apply::{ApplyInput, Extras, apply_waiting};
use crate::cli::{ApplyArgs, PlanFormat};
use crate::model::Address;
use crate::plan::Plan;
use crate::plan::stale::{Current, differences, meta_moved, stale_causes};
use crate::render::apply_report::render_apply_report;
use crate::render::render_plan;
use crate::state::{Store, parse_duration};

pub fn run(args: ApplyArgs, no_color: bool, operator: &Operator) -> CommandResult {
    let sources = super::ConfigSources::new(&args.config)?;
    let saved = match &args.plan_file {
        Some(path) => Some(super::plan::load(path)?),
        None => None,
    };
    if let (Some(plan), Some(expected)) = (&saved, &args.expect_digest)
        && &plan.digests.plan != expected
    {
        return Err(CommandError::new(format!(
            "the plan's digest is {}, not the expected {expected}: refusing to apply a plan nobody reviewed",
            plan.digests.plan
        )));
    }
    if let Some(plan) = &saved {
        let asked = crate::plan::PlanOptions {
            retry_failed: args.retry_failed,
            refresh_only: args.refresh_only,
        };
        // The saved plan's options are the ones re-derived; a flag given now that the plan was
        // not made with would be silently ignored, so it is refused.
        if !asked.is_default() && asked != plan.options {
            return Err(CommandError::new(
                "--refresh-only and --retry-failed are read from a saved plan, not from apply: make the plan with them (`wacfg plan --refresh-only -o FILE`) and apply it without",
            ));
        }
    }
    if saved.is_none() && args.expect_digest.is_some() {
        return Err(CommandError::new(
            "--expect-digest needs a saved plan: wacfg apply PLANFILE --expect-digest D",
        ));
    }
    // Read beside the validation; used only if the files are unchanged once the lock is held.
    let prefetch = pipeline::prefetch_state(&sources);
    let Some(prepared) = pipeline::prepare(
        &sources,
        args.format,
        no_color,
        operator,
        args.remote.parallelism,
        pipeline::Reads::SecretsAndMedia,
    )?
    else {
        return Ok(Outcome::Failed);
    };
    let timeout = parse_duration(&args.lock.lock_timeout).map_err(CommandError::new)?;
    let run_timeout =
        parse_duration(&args.timeout).map_err(|e| CommandError::new(format!("--timeout: {e}")))?;
    if run_timeout.is_zero() {
        return Err(CommandError::new(
            "--timeout must be longer than 0s: it is the time the whole apply may take",
        ));
    }
    if let Some(Some(wait)) = &args.wait {
        parse_duration(wait).map_err(|e| CommandError::new(format!("--wait: {e}")))?;
    }
    let interrupted = Interrupt::default();
    let rt = pipeline::runtime()?;
    let finished = rt.block_on(async {
        let store = pipeline::open(&prepared).await?;
        let lock = store.lock("apply", timeout).await?;
        if let Some(stale) = &lock.replaced_stale {
            eprintln!(
                "warning: replaced the lock left by a run that died ({})",
                stale.holder
            );
        }
        let handler = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                // Before any change started there is nothing in flight: whoever waits (the
                // confirmation prompt) is woken and cancels.
                if handler.applying.load(Ordering::SeqCst) {
                    eprintln!(
                        "\nInterrupted: finishing the changes in flight and saving state… (Ctrl-C again to stop at once)"
                    );
                }
                handler.flag.store(true, Ordering::SeqCst);
                handler.woken.notify_one();
            }
            // A second Ctrl-C is the way out of a request that hangs: stop now. Every state
            // write is atomic, so the state holds each change finished so far, as after a
            // crash; the lock is freed with the process and the next run takes it over.
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Interrupted again: stopping now. Run `wacfg plan` to see what is left.");
                std::process::exit(130);
            }
        });
        let deadline = (Instant::now() + run_timeout, run_timeout);
        let outcome = locked(
            &args,
            &prepared,
            LockedState {
                store: &store,
                prefetch,
            },
            saved,
            interrupted.clone(),
            deadline,
            no_color,
        )
        .await;
        lock.release().await?;
        outcome
    });
    // The configuration of a large estate takes milliseconds to free: not before exiting.
    std::thread::spawn(move || drop(prepared));
    finished
}

/// The Ctrl-C handler's side of an apply: `flag` once Ctrl-C was pressed, `applying` once
/// changes started (only then is anything in flight), `woken` for a wait to give up on.
#[derive(Clone, Default)]
struct Interrupt {
    flag: Arc<AtomicBool>,
    applying: Arc<AtomicBool>,
    woken: Arc<tokio::sync::Notify>,
}

impl Interrupt {
    fn pressed(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// The state the apply holds the lock of: its store, and the read of it started beside the
/// validation (used if the files are unchanged).
struct LockedState<'a> {
    store: &'a Store,
    prefetch: pipeline::StatePrefetch,
}

const CANCELLED: &str = "Apply cancelled: nothing was changed.";

async fn locked(
    args: &ApplyArgs,
    prepared: &Prepared,
    state: LockedState<'_>,
    saved: Option<Plan>,
    interrupted: Interrupt,
    deadline: (Instant, std::time::Duration),
    no_color: bool,
) -> CommandResult {
    // The plan's header names a non-default endpoint; when no plan is printed, say it here.
    let plan_hidden = saved.is_some() || (args.format == PlanFormat::Json && args.auto_approve);
    if let Some(endpoint) = pipeline::graph_endpoint(&prepared.client_config)
        && plan_hidden
    {
        eprintln!("{}", endpoint.header());
    }
    let LockedState { store, prefetch } = state;
    let console = Console::new(no_color);
    let client = pipeline::client_with(prepared, &console)?.with_deadline(deadline.0);
    let pipeline::Recorded {
        base,
        prior,
        resources: recorded,
        observed,
    } = pipeline::read_recorded_and_meta(
        pipeline::read_locked_state(store, Some(prefetch)),
        &client,
        &console,
        prepared,
    )
    .await?;
    let out_color = use_color(no_color, std::io::stdout().is_terminal());
    let plan = match saved {
        Some(saved) => {
            let file = args
                .plan_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            rederived(args, prepared, &observed, prior, &recorded, saved, &file)?
        }
        None => {
            let plan = pipeline::make_plan(
                prepared,
                &observed,
                prior,
                &recorded,
                &args.targets,
                args.allow_destructive,
                crate::plan::PlanOptions {
                    retry_failed: args.retry_failed,
                    refresh_only: args.refresh_only,
                },
            )?;
            // With --format json and --auto-approve, stdout must stay one JSON document: the
            // plan when nothing is applied, else only the apply report (which lists every
            // change). A person confirming at a terminal always sees the plan first.
            let report_follows = plan.has_changes() && !plan.refused;
            if !(args.format == PlanFormat::Json && args.auto_approve && report_follows) {
                out!("{}", render_plan(&plan, args.format.into(), out_color));
            }
            if plan.refused {
                return Ok(Outcome::Failed);
            }
            if !plan.has_changes() {
                return Ok(Outcome::Success);
            }
            if !args.auto_approve {
                match confirm(&interrupted).await? {
                    Answer::Yes => {}
                    Answer::No => {
                        eprintln!("{CANCELLED}");
                        return Ok(Outcome::Failed);
                    }
                    Answer::Interrupted => {
                        eprintln!("\n{CANCELLED}");
                        return Ok(Outcome::Interrupted);
                    }
                }
            }
            plan
        }
    };
    if !plan.has_changes() {
        outln!("No changes to apply.");
        return Ok(Outcome::Success);
    }
    let writer = StoreWriter {
        store,
        expected: base.map(|(serial, _)| serial),
        lineage: base.map_or_else(uuid::Uuid::new_v4, |(_, lineage)| lineage),
    };
    let graph = Graph {
        client: &client,
        tokens: &prepared.tokens,
        secrets: &prepared.secrets,
        stop: Stop::new(Some(deadline)),
    };
    let wait = review_wait(args.wait.as_ref(), deadline)?;
    let reporter = ApplyProgress::start(&console, plan.actionable().count());
    // Ctrl-C before the first change: nothing to finish, cancel now.
    interrupted.applying.store(true, Ordering::SeqCst);
    if interrupted.pressed() {
        reporter.finish(false);
        eprintln!("{CANCELLED}");
        return Ok(Outcome::Interrupted);
    }
    let report = apply_waiting(
        &plan,
        ApplyInput {
            desired: &prepared.desired,
            observed: &observed,
            fingerprints: &prepared.fingerprints,
            recorded,
            parallelism: args.remote.parallelism as usize,
            interrupted: interrupted.flag.clone(),
            live_max_age: crate::apply::live::MAX_AGE,
        },
        Extras {
            wait,
            files: &ConfinedFiles {
                access: &prepared.access,
            },
        },
        writer,
        &graph,
        &|event| reporter.event(event),
    )
    .await;
    reporter.finish(true);
    if let Some(why) = &report.finish_warning {
        eprintln!(
            "warning: every change is saved, but the state could not be assembled into one \
             document: {why}. The next wacfg command that locks the state finishes it."
        );
    }
    let format = if args.format == PlanFormat::Github {
        PlanFormat::Human
    } else {
        args.format
    };
    out!("{}", render_apply_report(&report, format.into(), out_color));
    Ok(if report.interrupted {
        Outcome::Interrupted
    } else if report.failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// `--wait` (until every review is decided or the run's deadline) or `--wait=DURATION` (at
/// most that long, and never past the deadline) as the instant the wait ends and why.
fn review_wait(
    flag: Option<&Option<String>>,
    deadline: (Instant, std::time::Duration),
) -> Result<Option<WaitFor>, CommandError> {
    let (run_until, run_timeout) = deadline;
    let run_ends = format!(
        "the apply's --timeout ({}) ran out",
        crate::remote::error::human_duration(run_timeout)
    );
    Ok(match flag {
        None => None,
        Some(None) => Some(WaitFor {
            until: run_until,
            ends: run_ends,
        }),
        Some(Some(text)) => {
            let d = parse_duration(text).map_err(|e| CommandError::new(format!("--wait: {e}")))?;
            let until = Instant::now() + d;
            Some(if until < run_until {
                WaitFor {
                    until,
                    ends: format!("--wait={text} ended"),
                }
            } else {
                WaitFor {
                    until: run_until,
                    ends: run_ends,
                }
            })
        }
    })
}

const MAKE_A_NEW_PLAN: &str = "Make a new plan with `wacfg plan -o`, review it, and apply that.";

/// The changes to apply for a saved plan: never the file's, always the ones the planner
/// derives now from the configuration, the state and Meta (the call `wacfg plan` makes), and
/// only when they equal the file's. Refuses, naming why, a plan that is stale (state, config
/// or tokens moved), whose changes differ (edited, or Meta moved under a fact it used), or
/// that is refused now (`prevent_destroy`, the safety threshold, errors) whatever its
/// `refused` flag and diagnostics say.
///
/// Targets: the plan's own, re-derived; `--target` at apply must name the same set (it can
/// only repeat them). An edited target list changes the re-derived changes, so it is refused
/// unless the changes were edited to match, and then they are what `wacfg plan --target`
/// would have planned, safety checks included. `--allow-destructive` is never read from the
/// file: only the operator's flag at apply counts, so a plan made with it must be applied
/// with it.
fn rederived(
    args: &ApplyArgs,
    prepared: &Prepared,
    observed: &crate::model::Observed,
    prior: Option<crate::plan::PriorState>,
    recorded: &BTreeMap<Address, crate::kinds::RecordedResource>,
    saved: Plan,
    file: &str,
) -> Result<Plan, CommandError> {
    let now = Current {
        prior: prior.clone(),
        config_digest: &prepared.desired.config_digest,
        fingerprints: &prepared.fingerprints,
    };
    let causes = stale_causes(&saved, &now);
    if !causes.is_empty() {
        return Err(CommandError::new(format!(
            "refusing to apply {file}: the saved plan is stale:\n  {}\n{MAKE_A_NEW_PLAN}",
            causes.join("\n  ")
        )));
    }
    if !args.targets.is_empty() {
        let passed: BTreeSet<Address> = pipeline::parse_targets(&args.targets)?
            .into_iter()
            .collect();
        let recorded_targets: BTreeSet<Address> = saved.targets.iter().cloned().collect();
        if passed != recorded_targets {
            let list = |t: &BTreeSet<Address>| {
                if t.is_empty() {
                    "no --target (every address)".to_string()
                } else {
                    t.iter()
                        .map(|a| format!("--target {a}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            };
            return Err(CommandError::new(format!(
                "refusing to apply {file}: it was made for {}, and this apply passes {}: pass the plan's targets again, or none to apply the plan's",
                list(&recorded_targets),
                list(&passed)
            )));
        }
    }
    let targets: Vec<String> = saved.targets.iter().map(ToString::to_string).collect();
    let plan = pipeline::make_plan(
        prepared,
        observed,
        prior,
        recorded,
        &targets,
        args.allow_destructive,
        saved.options,
    )?;
    let diffs = differences(&saved.resource_changes, &plan.resource_changes);
    if !diffs.is_empty() {
        let moved = meta_moved(&saved, observed);
        let (head, indent) = if moved.is_empty() {
            (
                format!(
                    "refusing to apply {file}: its changes are not the ones the configuration, the state and Meta imply now (the file was edited after it was saved, or made by another wacfg version):"
                ),
                "  ",
            )
        } else {
            (
                format!(
                    "refusing to apply {file}: the saved plan is stale:\n  stale plan: Meta's facts for {} changed since the plan was made, and the changes derived from them now differ from the plan's:",
                    moved.join(", ")
                ),
                "    ",
            )
        };
        let sep = format!("\n{indent}");
        return Err(CommandError::new(format!(
            "{head}{sep}{}\n{MAKE_A_NEW_PLAN}",
            diffs.join(&sep)
        )));
    }
    if saved.refused {
        return Err(CommandError::new(
            "the saved plan was refused when it was made (see its diagnostics); it cannot be applied",
        ));
    }
    if plan.refused {
        let mut lines: Vec<String> = plan
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| match &d.help {
                Some(help) => format!("error[{}]: {}\n    help: {help}", d.code, d.message),
                None => format!("error[{}]: {}", d.code, d.message),
            })
            .collect();
        let made_with_allow = saved
            .diagnostics
            .iter()
            .any(|d| d.code == "wacfg::plan::destructive_allowed");
        if made_with_allow && !args.allow_destructive {
            lines.push(
                "the plan was made with --allow-destructive: pass --allow-destructive again to apply it"
                    .into(),
            );
        }
        return Err(CommandError::new(format!(
            "refusing to apply {file}: re-derived from the configuration, the state and Meta, the plan is refused (whatever the file's `refused` flag and diagnostics say):\n  {}",
            lines.join("\n  ")
        )));
    }
    Ok(plan)
}

enum Answer {
    Yes,
    No,
    Interrupted,
}

/// Ask for exactly `yes`, only on a terminal and never in CI. Ctrl-C while the question waits
/// answers at once: the line is read on a thread of its own (a blocking read cannot be
/// cancelled; the thread ends with the process), so Ctrl-C need not wait for Enter.
async fn confirm(interrupted: &Interrupt) -> Result<Answer, CommandError> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if ci || !std::io::stdin().is_terminal() {
        return Err(CommandError::new(
            "refusing to apply without confirmation: no terminal to ask on (or CI is set). Use --auto-approve, or apply a reviewed plan file: wacfg apply PLANFILE",
        ));
    }
    if interrupted.pressed() {
        return Ok(Answer::Interrupted);
    }
    {
        let mut err = std::io::stderr().lock();
        write!(
            err,
            "\nDo you want to apply these changes? Only 'yes' will be accepted: "
        )?;
        err.flush()?;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map(|_| answer);
        let _ = tx.send(read);
    });
    tokio::select! {
        read = rx => {
            let answer = read.map_err(|_| CommandError::new("cannot read the answer"))??;
            if interrupted.pressed() {
                return Ok(Answer::Interrupted);
            }
            Ok(if answer.trim_end_matches(['\n', '\r']) == "yes" { Answer::Yes } else { Answer::No })
        }
        () = interrupted.woken.notified() => Ok(Answer::Interrupted),
    }
}
