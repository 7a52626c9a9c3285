//! Is a saved plan still the plan? Compares what it pinned with what is true now and names
//! every cause; each message contains the word "stale".
//!
//! The plan's digest is a plain SHA-256 anyone can recompute, so nothing in the file is
//! trusted: apply re-derives the changes from the configuration, the state and Meta (the
//! planner call `wacfg plan` makes) and refuses a saved plan whose changes differ
//! (`differences`). What the plan pinned (state lineage and serial, configuration digest,
//! token fingerprints) is still compared first (`stale_causes`). Meta's facts are compared
//! only through the re-derived changes: a fact that changes none of them (an unrelated WABA's
//! name) does not make the plan stale.

use std::collections::{BTreeMap, BTreeSet};

use super::digest::{observed_digests, plan_digest};
use super::types::{Action, Plan, PriorState, ResourceChange};
use crate::kinds::KINDS;
use crate::model::{Address, Observed, TokenFingerprint};

/// What is true now, read just before apply.
pub struct Current<'a> {
    pub prior: Option<PriorState>,
    pub config_digest: &'a str,
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
}

/// The causes a saved plan is stale, or why it was tampered with (without re-sealing); empty
/// when what it pinned still holds. The changes themselves are compared by `differences`.
pub fn stale_causes(plan: &Plan, now: &Current<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if plan_digest(plan) != plan.digests.plan {
        out.push("the plan file was modified after it was saved (its digest does not match): stale or tampered plan; run `wacfg plan -o` again".into());
        return out;
    }
    match (&plan.prior_state, &now.prior) {
        (Some(a), Some(b)) if a.lineage != b.lineage => out.push(format!(
            "stale plan: the state's lineage changed ({} -> {}); this plan was made against another state",
            a.lineage, b.lineage
        )),
        (Some(a), Some(b)) if a.serial != b.serial => out.push(format!(
            "stale plan: the state moved from serial {} to {} since the plan was made",
            a.serial, b.serial
        )),
        (None, Some(b)) => out.push(format!(
            "stale plan: it was made with no state, and the state now exists (serial {})",
            b.serial
        )),
        (Some(_), None) => out.push("stale plan: the state it was made against is gone".into()),
        _ => {}
    }
    if plan.digests.config != now.config_digest {
        out.push("stale plan: the configuration files changed since the plan was made".into());
    }
    let now_tokens: BTreeMap<String, String> = now
        .fingerprints
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    for (name, fp) in &plan.digests.tokens {
        if now_tokens.get(name) != Some(fp) {
            let what = KINDS
                .iter()
                .find_map(|k| k.secret_owner(name))
                .unwrap_or_else(|| format!("the secret `{name}`"));
            out.push(format!(
                "stale plan: {what} changed since the plan was made"
            ));
        }
    }
    out
}

/// The Meta fact groups (by business, by token) whose digest moved since the plan was made.
/// Only says why re-derived changes differ; on its own it never makes a plan stale.
pub fn meta_moved(plan: &Plan, observed: &Observed) -> Vec<String> {
    let now = observed_digests(observed);
    plan.digests
        .observed
        .iter()
        .filter(|(key, digest)| now.get(*key) != Some(digest))
        .map(|(key, _)| key.clone())
        .collect()
}

/// How the changes of a saved plan differ from the changes re-derived now, one line per
/// address (which action, which attribute); empty when they are the same, in the same order.
/// Names attributes, never values: a value in an edited file is not worth printing.
pub fn differences(saved: &[ResourceChange], now: &[ResourceChange]) -> Vec<String> {
    fn by_address(changes: &[ResourceChange]) -> BTreeMap<&Address, Vec<&ResourceChange>> {
        let mut out: BTreeMap<&Address, Vec<&ResourceChange>> = BTreeMap::new();
        for c in changes {
            out.entry(&c.address).or_default().push(c);
        }
        out
    }
    fn would(action: Action) -> String {
        match action {
            Action::NoOp => "leave it unchanged".into(),
            a => format!("{} it", a.as_str()),
        }
    }
    let saved_by = by_address(saved);
    let now_by = by_address(now);
    let addresses: BTreeSet<&Address> = saved_by.keys().chain(now_by.keys()).copied().collect();
    let mut out = Vec::new();
    for addr in addresses {
        let a = saved_by.get(addr).map(Vec::as_slice).unwrap_or_default();
        let b = now_by.get(addr).map(Vec::as_slice).unwrap_or_default();
        for i in 0..a.len().max(b.len()) {
            match (a.get(i), b.get(i)) {
                (Some(x), None) => out.push(format!(
                    "{addr}: the saved plan would {}; nothing is planned for it now",
                    would(x.action)
                )),
                (None, Some(y)) => out.push(format!(
                    "{addr}: now planned to {}; the saved plan does not have it",
                    would(y.action)
                )),
                (Some(x), Some(y)) if x.action != y.action => out.push(format!(
                    "{addr}: the saved plan would {}; re-derived now: {}",
                    would(x.action),
                    y.action.as_str()
                )),
                (Some(x), Some(y)) => {
                    let fields = differing_fields(x, y);
                    if !fields.is_empty() {
                        out.push(format!(
                            "{addr} ({}): the saved plan differs in {}",
                            x.action.as_str(),
                            fields.join(", ")
                        ));
                    }
                }
                (None, None) => {}
            }
        }
    }
    if out.is_empty() && saved != now {
        out.push("the saved plan lists the same changes in another order".into());
    }
    out
}

/// The names of the parts of one change that differ: `reason`, `before.ATTR`, `after.ATTR`,
/// `sensitive`, `unknown_after`, `checks (ID, …)`, `depends_on`, `moved_from`.
fn differing_fields(x: &ResourceChange, y: &ResourceChange) -> Vec<String> {
    let mut out = Vec::new();
    if x.reason != y.reason {
        out.push("reason".to_string());
    }
    for (side, a, b) in [
        ("before", &x.before, &y.before),
        ("after", &x.after, &y.after),
    ] {
        match (a, b) {
            (Some(a), Some(b)) => {
                let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                out.extend(
                    keys.into_iter()
                        .filter(|k| a.get(*k) != b.get(*k))
                        .map(|k| format!("{side}.{k}")),
                );
            }
            (None, None) => {}
            _ => out.push(side.to_string()),
        }
    }
    if x.sensitive != y.sensitive {
        out.push("sensitive".into());
    }
    if x.unknown_after != y.unknown_after {
        out.push("unknown_after".into());
    }
    if x.checks != y.checks {
        let ids: BTreeSet<&str> = x
            .checks
            .iter()
            .chain(&y.checks)
            .map(|c| c.id.as_str())
            .filter(|id| {
                x.checks.iter().find(|c| c.id == *id) != y.checks.iter().find(|c| c.id == *id)
            })
            .collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        out.push(if ids.is_empty() {
            "checks (order)".to_string()
        } else {
            format!("checks ({})", ids.join(", "))
        });
    }
    if x.depends_on != y.depends_on {
        out.push("depends_on".into());
    }
    if x.moved_from != y.moved_from {
        out.push("moved_from".into());
    }
    out
}
