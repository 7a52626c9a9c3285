//! Planning a template: each language decided by the lifecycle, then one change per template
//! name — create, update (languages created, edited or deleted; a deleted language makes the
//! update destructive), delete (every language by its `hsm_id`; an APPROVED one locks the name
//! for 30 days) or replace (another WABA). What Meta would refuse refuses the plan; a PENDING
//! edit is a warning that it waits.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::components::components;
use super::lifecycle::{Facts, NAME_LOCK_DAYS, Step, Wanted, step};
use super::model::{DesiredTemplate, RecordedTemplate};
use super::pacing::{Budget, CREATIONS_PER_HOUR, Spending};
use crate::diag::Diagnostic;
use crate::kinds::RecordedResource;
use crate::kinds::plan_ctx::{PlanCtx, at_source, no_op};
use crate::model::{Action, Address, Attributes, KNOWN_AFTER_APPLY, ResourceChange};

/// Every language's decision, by code.
pub type Steps = BTreeMap<String, Step>;

/// The WABA the file's template goes to, when its credentials are declared.
fn desired_waba<'a>(cx: &PlanCtx<'a>, d: &DesiredTemplate) -> Option<&'a str> {
    cx.desired
        .credentials
        .get(&d.credentials)
        .map(|c| c.waba_id.as_str())
}

/// Decide every language of one template.
pub fn steps(
    desired: Option<&DesiredTemplate>,
    recorded: Option<&RecordedTemplate>,
    observed: Option<&BTreeMap<String, crate::model::ObservedTemplate>>,
    now: i64,
) -> Steps {
    let mut codes: BTreeSet<&String> = BTreeSet::new();
    codes.extend(desired.iter().flat_map(|d| d.languages.keys()));
    codes.extend(recorded.iter().flat_map(|r| r.languages.keys()));
    let category_changed =
        matches!((desired, recorded), (Some(d), Some(r)) if d.category != r.category);
    let ttl_changed =
        matches!((desired, recorded), (Some(d), Some(r)) if ttl_change(d, r).is_some());
    codes
        .into_iter()
        .map(|code| {
            let wanted = desired.and_then(|d| {
                d.languages
                    .get(code)
                    .map(|l| Wanted::Language(l, d.parameter_format))
            });
            let facts = Facts {
                desired: wanted,
                category_changed,
                ttl_changed,
                recorded: recorded.and_then(|r| r.languages.get(code)),
                observed: observed.and_then(|o| o.get(code)),
                read: observed.is_some(),
                now,
            };
            (code.clone(), step(&facts))
        })
        .collect()
}

/// The TTL an edit sends: the file's, when it sets one other than the recorded one. A TTL
/// removed from the file is left as Meta has it (Meta keeps a template's TTL until it is set
/// again).
pub fn ttl_change(d: &DesiredTemplate, r: &RecordedTemplate) -> Option<u32> {
    d.message_send_ttl_seconds
        .filter(|ttl| r.message_send_ttl_seconds != Some(*ttl))
}

pub fn change(cx: &mut PlanCtx<'_>, addr: &Address) -> Option<ResourceChange> {
    let desired = cx.desired.message_templates.get(&addr.name);
    let recorded = match cx.recorded(addr) {
        Some(RecordedResource::MessageTemplate(r)) => Some(r),
        _ => None,
    };
    let waba = desired
        .and_then(|d| desired_waba(cx, d))
        .or(recorded.map(|r| r.waba_id.as_str()));
    // Another WABA: every language deleted at the old one, created at the new one.
    if let (Some(d), Some(r), Some(w)) = (desired, recorded, waba)
        && w != r.waba_id
    {
        let locks = r.languages.values().any(|l| l.status == "APPROVED");
        let mut reason = format!(
            "moves from WABA {} to {w}: every language deleted there and submitted here",
            r.waba_id
        );
        if locks {
            reason.push_str(&lock_note());
        }
        return Some(full_change(
            cx,
            addr,
            Action::Replace,
            reason,
            Some(d),
            Some(r),
        ));
    }
    let observed = waba.and_then(|w| cx.observed.template(w, &addr.name));
    let mut steps = steps(desired, recorded, observed, cx.observed.read_at);
    if let Some(d) = desired {
        refusals(cx, d, &steps);
        let targeted = cx.targets.is_empty() || cx.targets.contains(addr);
        if let (Some(w), true) = (waba, targeted) {
            pace(cx, d, w, &mut steps);
        }
    }
    let writes: Vec<(&String, &Step)> = steps.iter().filter(|(_, s)| s.needs_apply()).collect();
    if writes.is_empty() {
        return Some(no_op(addr, "unchanged"));
    }
    let action = match (desired, recorded) {
        (Some(_), None) => Action::Create,
        (None, Some(_)) => Action::Delete,
        _ => Action::Update,
    };
    let reason = describe(&steps, action);
    let mut change = full_change(cx, addr, action, reason, desired, recorded);
    if action == Action::Update {
        change.destroys = destroyed_languages(&steps);
    }
    let waiting: Vec<&String> = steps
        .iter()
        .filter(|(_, s)| matches!(s, Step::Paced { .. }))
        .map(|(code, _)| code)
        .collect();
    if let (false, Some(after)) = (waiting.is_empty(), change.after.as_mut()) {
        after.insert(CREATIONS_WAITING.into(), json!(waiting));
    }
    Some(change)
}

/// The languages an update deletes at Meta: each is a template of its own there, deleted by
/// its `hsm_id` (and its name locked for 30 days when APPROVED), so the update is as
/// destructive as deleting a whole template.
pub fn destroyed_languages(steps: &Steps) -> Vec<String> {
    steps
        .iter()
        .filter(|(_, s)| matches!(s, Step::Delete { .. }))
        .map(|(code, _)| format!("language {code}"))
        .collect()
}

/// The attribute naming the languages the plan holds back for Meta's hourly creation limit:
/// apply does not send them either, whatever its own count says, so it does what the
/// reviewed plan says.
pub const CREATIONS_WAITING: &str = "creations_waiting";

fn lock_note() -> String {
    format!(" (an APPROVED language: Meta locks the name for {NAME_LOCK_DAYS} days)")
}

/// The plan's reason: what happens to each language, and what it costs.
pub fn describe(steps: &Steps, action: Action) -> String {
    let mut parts = Vec::new();
    for (code, s) in steps {
        let part = match s {
            Step::Create => format!("{code} submitted for review"),
            Step::Recreate => {
                format!("{code} is gone at Meta (deleted outside wacfg): submitted again")
            }
            Step::Edit { quota: Some(n) } => format!(
                "{code} edited (APPROVED: spends the 24-hour edit and {n} of {} edits in 30 days)",
                super::lifecycle::EDITS_PER_30_DAYS
            ),
            Step::Edit { quota: None } => format!("{code} edited (no quota: not APPROVED)"),
            Step::Delete { locks_name: true } => format!(
                "{code} deleted by its id (APPROVED: Meta locks the name for {NAME_LOCK_DAYS} days)"
            ),
            Step::Delete { locks_name: false } => format!("{code} deleted by its id"),
            Step::Wait { status } => format!("{code} waits ({status} at Meta)"),
            Step::Refused { .. } => format!("{code} refused"),
            Step::Unmanaged { .. } => format!("{code} exists at Meta, not managed"),
            Step::Adopt { id } => format!(
                "{code} was submitted but not recorded: Meta has it (id {id}), recorded without sending again"
            ),
            Step::Paced { next_at } => format!(
                "{code} waits for Meta's limit of {} creations per hour (apply again {})",
                super::pacing::CREATIONS_PER_HOUR,
                super::pacing::when(*next_at)
            ),
            Step::Unchanged => continue,
        };
        parts.push(part);
    }
    let head = match action {
        Action::Create => "not in state: ",
        Action::Delete => "removed from the file: ",
        _ => "",
    };
    format!("{head}{}", parts.join("; "))
}

/// Spend the WABA's creations left this hour on this template's creates; the ones beyond
/// wait (`Step::Paced`). The first template of a WABA that waits carries a warning saying so.
/// A template left out by `--target` spends nothing.
fn pace(cx: &mut PlanCtx<'_>, d: &DesiredTemplate, waba: &str, steps: &mut Steps) {
    let creates = steps
        .values()
        .filter(|s| matches!(s, Step::Create | Step::Recreate))
        .count();
    if creates == 0 {
        return;
    }
    let spending = cx
        .template_creations
        .entry(waba.to_string())
        .or_insert_with(|| Spending::new(Budget::full()));
    let first_wait = spending.waiting == 0;
    let mut waited = 0;
    for s in steps.values_mut() {
        if matches!(s, Step::Create | Step::Recreate) && !spending.budget.take() {
            *s = Step::Paced {
                next_at: spending.budget.next_at,
            };
            waited += 1;
        }
    }
    spending.waiting += waited;
    if waited == 0 || !first_wait {
        return;
    }
    let diag = Diagnostic::warning(
        "wacfg::template::creation_rate",
        format!(
            "WABA {waba} has {} of Meta's {CREATIONS_PER_HOUR} template creations per hour left, and this plan needs more: from message template `{}` on, the creations beyond the limit wait",
            spending.left_at_start, d.name
        ),
    )
    .with_help(format!(
        "apply submits what the hour allows and reports the rest as not attempted (exit 1), never sending a create Meta would refuse; apply again {}",
        super::pacing::when(spending.budget.next_at)
    ));
    cx.diagnostics.push(at_source(diag, &d.source));
}

/// Refusals and waits as diagnostics at the template's declaration.
fn refusals(cx: &mut PlanCtx<'_>, d: &DesiredTemplate, steps: &Steps) {
    for (code, s) in steps {
        let diag = match s {
            Step::Refused { why } => Diagnostic::error(
                "wacfg::template::edit_refused",
                format!("message template `{}` ({code}) cannot be edited: {why}", d.name),
            )
            .with_help("change the file back, or wait until Meta allows the edit"),
            Step::Unmanaged { id } => Diagnostic::error(
                "wacfg::template::unmanaged",
                format!(
                    "message template `{}` ({code}) already exists at Meta (id {id}) but wacfg does not manage it",
                    d.name
                ),
            )
            .with_help(format!(
                "adopt it first: `wacfg import templates --credentials {} --name {}`",
                d.credentials, d.name
            )),
            Step::Wait { status } => Diagnostic::warning(
                "wacfg::template::pending_edit",
                format!(
                    "message template `{}` ({code}) is {status} at Meta: the edit waits until Meta decides",
                    d.name
                ),
            )
            .with_help("Meta does not edit a template under review; plan again once it is decided"),
            _ => continue,
        };
        cx.diagnostics.push(at_source(diag, &d.source));
    }
}

fn full_change(
    cx: &PlanCtx<'_>,
    addr: &Address,
    action: Action,
    reason: String,
    desired: Option<&DesiredTemplate>,
    recorded: Option<&RecordedTemplate>,
) -> ResourceChange {
    let after = desired.map(|d| desired_attrs(cx, d));
    let before = recorded.map(recorded_attrs);
    let unknown_after = after
        .as_ref()
        .map(|a| {
            a.iter()
                .filter(|(_, v)| v.as_str() == Some(KNOWN_AFTER_APPLY))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    ResourceChange {
        address: addr.clone(),
        action,
        reason,
        before,
        after,
        sensitive: Vec::new(),
        unknown_after,
        checks: Vec::new(),
        depends_on: desired
            .map(|d| vec![Address::credentials(&d.credentials)])
            .unwrap_or_default(),
        moved_from: None,
        destroys: Vec::new(),
    }
}

pub fn desired_attrs(cx: &PlanCtx<'_>, d: &DesiredTemplate) -> Attributes {
    let mut a = Attributes::new();
    a.insert("name".into(), json!(d.name));
    a.insert("credentials".into(), json!(d.credentials));
    a.insert(
        "whatsapp_business_account".into(),
        desired_waba(cx, d).map_or(json!(KNOWN_AFTER_APPLY), |w| json!(w)),
    );
    a.insert("category".into(), json!(d.category.as_str()));
    a.insert(
        "parameter_format".into(),
        json!(d.parameter_format.as_str()),
    );
    for (code, lang) in &d.languages {
        a.insert(
            format!("languages.{code}"),
            components(lang, d.parameter_format),
        );
    }
    if let Some(ttl) = d.message_send_ttl_seconds {
        a.insert("message_send_ttl_seconds".into(), json!(ttl));
    }
    a.insert("prevent_destroy".into(), json!(d.prevent_destroy));
    a
}

pub fn recorded_attrs(r: &RecordedTemplate) -> Attributes {
    let mut a = Attributes::new();
    a.insert("name".into(), json!(r.name));
    a.insert("credentials".into(), json!(r.credentials));
    a.insert("whatsapp_business_account".into(), json!(r.waba_id));
    a.insert("category".into(), json!(r.category.as_str()));
    a.insert(
        "parameter_format".into(),
        json!(r.parameter_format.as_str()),
    );
    for (code, lang) in &r.languages {
        a.insert(format!("languages.{code}"), lang.components.clone());
        a.insert(format!("languages.{code}.status"), json!(lang.status));
    }
    if let Some(ttl) = r.message_send_ttl_seconds {
        a.insert("message_send_ttl_seconds".into(), json!(ttl));
    }
    a.insert("prevent_destroy".into(), json!(r.prevent_destroy));
    a
}
