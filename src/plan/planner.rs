//! `plan(input) -> Plan`: walks every address declared or recorded and lets its kind decide
//! the change (action, attributes, checks), then applies targets, safety and ordering in one
//! place each. It names no kind.

use std::collections::BTreeSet;

use super::input::PlanInput;
use super::types::*;
use super::{digest, drift, moves, refresh, safety};
use crate::diag::Diagnostic;
use crate::kinds::{KINDS, PlanCtx, kind_of, phases};
use crate::model::Address;

/// From this many recorded resources on, drift is detected on a thread of its own.
const PARALLEL_DRIFT_MIN: usize = 1_000;

pub fn plan(input: &PlanInput<'_>) -> Plan {
    let mut move_diags = Vec::new();
    let (recorded, moved) = moves::resolve(input.desired, input.recorded, &mut move_diags);
    let mut cx = PlanCtx::new(input.desired, input.observed, &recorded, input.fingerprints);
    cx.retry_failed = input.options.retry_failed;
    cx.targets = input.targets.clone();
    cx.diagnostics = move_diags;
    for kind in KINDS {
        kind.prepare(&mut cx);
    }
    // Drift reads only the record and Meta's facts: with many recorded resources, find it on
    // another core while the changes are decided.
    let (changes, mut resource_drift) = std::thread::scope(|scope| {
        let drift = (recorded.len() >= PARALLEL_DRIFT_MIN)
            .then(|| scope.spawn(|| drift::detect(&recorded, input.observed)));
        let mut changes = Vec::new();
        if input.options.refresh_only {
            changes = refresh::changes(&recorded, input.observed, &mut cx.diagnostics);
        } else {
            for addr in addresses(input.desired, &recorded) {
                let change = kind_of(&addr).plan(&mut cx, &addr);
                changes.extend(change.map(|mut c| {
                    if let Some(from) = moved.get(&addr) {
                        moves::mark(&mut c, from);
                    }
                    c
                }));
            }
        }
        let drift = match drift {
            // A panic in drift detection is a bug: let it surface as one.
            Some(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => drift::detect(&recorded, input.observed),
        };
        (changes, drift)
    });
    let changes = targeted(changes, &input.targets);
    let changes = ordered(changes);
    if !input.targets.is_empty() {
        resource_drift.retain(|d| input.targets.contains(&d.address));
    }
    let mut refused = safety::check(&mut cx.diagnostics, &changes, input);
    let mut summary = Summary::default();
    for c in &changes {
        summary.count(c.action);
    }
    let mut diagnostics = cx.diagnostics;
    diagnostics
        .sort_by(|a, b| (a.severity, &a.code, &a.message).cmp(&(b.severity, &b.code, &b.message)));
    refused |= diagnostics.iter().any(Diagnostic::is_error);
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        prior_state: input.prior.clone(),
        resource_changes: changes,
        resource_drift,
        diagnostics,
        summary,
        targets: input.targets.clone(),
        refused,
        digests: Digests::default(),
        graph_api: None,
        commit: None,
        environment: input.desired.environment.clone(),
        options: input.options,
    };
    plan.digests = digest::digests(input);
    digest::seal(&mut plan);
    plan
}

/// Every address declared or recorded, in address order.
fn addresses(
    desired: &crate::kinds::Desired,
    recorded: &std::collections::BTreeMap<Address, crate::kinds::RecordedResource>,
) -> BTreeSet<Address> {
    let mut all: BTreeSet<Address> = recorded.keys().cloned().collect();
    for kind in KINDS {
        all.extend(kind.declared(desired).into_iter().map(|name| Address {
            kind: kind.kind(),
            name: name.to_string(),
        }));
    }
    all
}

/// The `--target` addresses that match nothing: neither declared by the configuration nor
/// recorded in the state. Planning them would silently plan nothing, so the command refuses.
pub fn unmatched_targets<'a>(
    desired: &crate::kinds::Desired,
    recorded: &std::collections::BTreeMap<Address, crate::kinds::RecordedResource>,
    targets: &'a [Address],
) -> Vec<&'a Address> {
    targets
        .iter()
        .filter(|t| {
            !recorded.contains_key(t)
                && !crate::kinds::kind_of(t)
                    .declared(desired)
                    .contains(&t.name.as_str())
        })
        .collect()
}

/// Keep the targeted changes and the credentials they depend on.
fn targeted(changes: Vec<ResourceChange>, targets: &[Address]) -> Vec<ResourceChange> {
    if targets.is_empty() {
        return changes;
    }
    let mut keep: BTreeSet<Address> = targets.iter().cloned().collect();
    for c in &changes {
        if targets.contains(&c.address) {
            keep.extend(c.depends_on.iter().cloned());
        }
    }
    changes
        .into_iter()
        .filter(|c| keep.contains(&c.address))
        .collect()
}

/// Apply order: each kind's creations and updates in dependency order, then its removals in
/// reverse (`kinds::phases`), by address within a phase.
fn ordered(mut changes: Vec<ResourceChange>) -> Vec<ResourceChange> {
    changes
        .sort_by(|a, b| (phases::phase_of(a), &a.address).cmp(&(phases::phase_of(b), &b.address)));
    changes
}
