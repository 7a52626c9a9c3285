//! `wacfg import ADDR`: adopt one object that already exists and that the file declares. Lock
//! the state, read it and Meta, plan that one address, and carry out its `import` change (the
//! kind verifies on the facts read now and records); refuse, recording nothing, when it is
//! already in the state, not declared, or its verification or checks are expected to fail.

use std::io::IsTerminal;

use super::adapters::{Graph, Stop, StoreWriter};
use super::pipeline::{self, Prepared};
use super::{CommandError, CommandResult, Operator, Outcome, use_color};
use crate::apply::{ApplyInput, apply};
use crate::cli::{ImportArgs, PlanFormat};
use crate::kinds::kind_of;
use crate::model::{Action, Address, ChangeOutcome, Expectation, ResourceKind};
use crate::plan::{Plan, PlanOptions, Summary};
use crate::render::apply_report::render_apply_report;
use crate::render::render_plan;
use crate::state::Store;

pub fn run(args: ImportArgs, no_color: bool, operator: &Operator) -> CommandResult {
    let address: Address = args.address.as_deref().unwrap_or_default().parse()?;
    if let Some(why) = kind_of(&address).import_refusal() {
        return Err(CommandError::new(format!(
            "{address} cannot be imported: {why}"
        )));
    }
    let sources = super::ConfigSources::new(&args.config)?;
    let Some((desired, warnings)) = pipeline::load_valid(&sources, PlanFormat::Human, no_color)?
    else {
        return Ok(Outcome::Failed);
    };
    if !kind_of(&address)
        .declared(&desired)
        .contains(&address.name.as_str())
    {
        return Err(CommandError::new(format!(
            "{address} is not declared in {}: declare it in the configuration first, then import it",
            sources.describe()
        )));
    }
    let prepared = pipeline::resolve_tokens(
        desired,
        warnings,
        &sources,
        operator,
        args.remote.parallelism,
    )?;
    pipeline::with_locked_store(
        &prepared,
        "import",
        &args.lock.lock_timeout,
        async |store| locked(&args, &address, &prepared, store, no_color).await,
    )
}

async fn locked(
    args: &ImportArgs,
    address: &Address,
    prepared: &Prepared,
    store: &Store,
    no_color: bool,
) -> CommandResult {
    let doc = store.read().await?;
    let (prior, recorded) = pipeline::recorded_of(doc.clone());
    if recorded.contains_key(address) {
        return Err(CommandError::new(format!(
            "{address} is already in the state: nothing to import (`wacfg state show {address}` shows it; `wacfg state mv` renames a record)"
        )));
    }
    if let Some(needed) = missing_credentials(address, prepared, &recorded) {
        return Err(CommandError::new(format!(
            "{address} uses {needed}, which is not in the state: import it first (`wacfg import {needed}`)"
        )));
    }
    let client = pipeline::client(prepared)?;
    let observed = pipeline::observe(&client, prepared, &recorded).await;
    let planned = pipeline::make_plan(
        prepared,
        &observed,
        prior,
        &recorded,
        &[address.to_string()],
        false,
        PlanOptions::default(),
    )?;
    let color = use_color(no_color, std::io::stdout().is_terminal());
    if planned.has_errors() {
        out!("{}", render_plan(&planned, PlanFormat::Human.into(), color));
        return Ok(Outcome::Failed);
    }
    let Some(mut change) = planned
        .resource_changes
        .iter()
        .find(|c| &c.address == address)
        .cloned()
    else {
        return Err(CommandError::new(format!("{address}: nothing to import")));
    };
    if !matches!(change.action, Action::Import | Action::Create) || change.checks.is_empty() {
        return Err(CommandError::new(format!(
            "{address} cannot be imported as declared ({}): only an active configuration or credentials are imported",
            change.reason
        )));
    }
    let failing: Vec<String> = change
        .checks
        .iter()
        .filter(|c| c.expectation == Expectation::Fail)
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect();
    if !failing.is_empty() {
        return Err(CommandError::new(format!(
            "{address} was not imported, nothing was recorded: {}",
            failing.join("; ")
        )));
    }
    change.action = Action::Import;
    change.reason = "imported: verified against Meta and recorded".into();
    change.depends_on.clear();
    let mut summary = Summary::default();
    summary.count(Action::Import);
    let plan = Plan {
        resource_changes: vec![change],
        summary,
        ..planned
    };
    let writer = StoreWriter {
        store,
        expected: doc.as_ref().map(|d| d.serial),
        lineage: doc.as_ref().map_or_else(uuid::Uuid::new_v4, |d| d.lineage),
    };
    let graph = Graph {
        client: &client,
        tokens: &prepared.tokens,
        secrets: &prepared.secrets,
        stop: Stop::new(None),
    };
    let report = apply(
        &plan,
        ApplyInput {
            desired: &prepared.desired,
            observed: &observed,
            fingerprints: &prepared.fingerprints,
            recorded,
            parallelism: args.remote.parallelism as usize,
            interrupted: Default::default(),
            live_max_age: crate::apply::live::MAX_AGE,
        },
        writer,
        &graph,
        &|_| {},
    )
    .await;
    let result = report.results.first();
    match (result.map(|r| &r.outcome), &report.state) {
        (Some(ChangeOutcome::Applied), Some(state)) => {
            outln!(
                "Imported {address} into the state (now serial {}): verified against Meta and recorded. Nothing was changed at Meta.",
                state.serial
            );
            Ok(Outcome::Success)
        }
        _ => {
            out!(
                "{}",
                render_apply_report(&report, PlanFormat::Human.into(), color)
            );
            eprintln!("error: {address} was not imported: see above.");
            Ok(Outcome::Failed)
        }
    }
}

/// A channel configuration's credentials, when they are not in the state yet: its checks
/// verify against the recorded credentials.
fn missing_credentials(
    address: &Address,
    prepared: &Prepared,
    recorded: &std::collections::BTreeMap<Address, crate::kinds::RecordedResource>,
) -> Option<Address> {
    if address.kind != ResourceKind::ChannelConfiguration {
        return None;
    }
    let name = prepared
        .desired
        .channel_configurations
        .get(&address.name)?
        .credentials
        .clone()?;
    let creds = Address::credentials(name);
    (!recorded.contains_key(&creds)).then_some(creds)
}
