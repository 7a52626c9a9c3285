//! `plan(input) -> Plan`: walks every address declared or recorded, decides each change with
//! the lifecycle table, attaches the checks it will run, then applies targets, safety and
//! ordering in one place each.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::attrs::{
    after_channel_attrs, desired_credentials_attrs, recorded_channel_attrs,
    recorded_credentials_attrs,
};
use super::checks::{CredentialsFacts, VerifyStep, channel_checks, verify_credentials};
use super::lifecycle::{Decision, decide};
use super::types::*;
use super::{digest, drift, safety};
use crate::diag::Diagnostic;
use crate::model::{
    Address, CheckStatus, Desired, DesiredCredentials, Observed, RecordedChannel,
    RecordedCredentials, RecordedResource, ResourceKind, TokenFingerprint,
};

/// Everything the planner reads. No I/O happens behind any of it.
pub struct PlanInput<'a> {
    pub desired: &'a Desired,
    pub observed: &'a Observed,
    pub prior: Option<PriorState>,
    pub recorded: &'a BTreeMap<Address, RecordedResource>,
    /// Fingerprint of each desired credentials entry's token, by credentials name.
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub targets: Vec<Address>,
    pub allow_destructive: bool,
}

struct Ctx<'a> {
    input: &'a PlanInput<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Result of verifying each desired credentials entry against the observed facts.
    verified: BTreeMap<String, Result<RecordedCredentials, (VerifyStep, String)>>,
}

pub fn plan(input: &PlanInput<'_>) -> Plan {
    let mut ctx = Ctx {
        input,
        diagnostics: Vec::new(),
        verified: BTreeMap::new(),
    };
    for (name, creds) in &input.desired.credentials {
        if let Some(fp) = input.fingerprints.get(name) {
            ctx.verified
                .insert(name.clone(), verify_credentials(creds, fp, input.observed));
            token_diagnostics(&mut ctx.diagnostics, creds, fp, input.observed);
        }
    }
    let mut changes = Vec::new();
    for addr in addresses(input) {
        let change = match addr.kind {
            ResourceKind::Credentials => credentials_change(&ctx, &addr),
            ResourceKind::ChannelConfiguration => channel_change(&mut ctx, &addr),
        };
        changes.extend(change);
    }
    let changes = targeted(changes, &input.targets);
    let changes = ordered(changes);
    let mut resource_drift = drift::detect(input.recorded, input.observed);
    if !input.targets.is_empty() {
        resource_drift.retain(|d| input.targets.contains(&d.address));
    }
    let mut refused = safety::check(&mut ctx.diagnostics, &changes, input);
    let mut summary = Summary::default();
    for c in &changes {
        summary.count(c.action);
    }
    let mut diagnostics = ctx.diagnostics;
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
    };
    plan.digests = digest::digests(input);
    digest::seal(&mut plan);
    plan
}

/// Every address declared or recorded, in address order.
fn addresses(input: &PlanInput<'_>) -> BTreeSet<Address> {
    let mut all: BTreeSet<Address> = input.recorded.keys().cloned().collect();
    all.extend(input.desired.credentials.keys().map(Address::credentials));
    all.extend(
        input
            .desired
            .channel_configurations
            .keys()
            .map(Address::channel),
    );
    all
}

fn token_diagnostics(
    out: &mut Vec<Diagnostic>,
    creds: &DesiredCredentials,
    fp: &TokenFingerprint,
    observed: &Observed,
) {
    let at = |d: Diagnostic| {
        d.at(
            creds.source.file.clone(),
            crate::diag::Span {
                line: creds.source.line,
                column: creds.source.column,
                offset: 0,
                len: 0,
            },
        )
    };
    match observed.tokens.get(fp) {
        Some(Ok(t)) if !t.valid => out.push(at(Diagnostic::error(
            "wacfg::token::invalid",
            format!("the token of credentials `{}` is invalid", creds.name),
        )
        .with_help(format!(
            "create a new system-user token and put it where {} points",
            creds.token
        )))),
        Some(Ok(t)) => match t.expires_at {
            Some(exp) if exp <= observed.read_at => out.push(at(Diagnostic::error(
                "wacfg::token::expired",
                format!("the token of credentials `{}` has expired", creds.name),
            )
            .with_help(format!(
                "renew the system-user token and put it where {} points",
                creds.token
            )))),
            Some(exp) if exp - observed.read_at <= super::checks::EXPIRY_WARNING_SECS => {
                let days = (exp - observed.read_at) / 86_400;
                out.push(at(Diagnostic::warning(
                    "wacfg::token::expiring",
                    format!(
                        "the token of credentials `{}` expires in {days} day(s)",
                        creds.name
                    ),
                )
                .with_help(
                    "renew it before it expires: every plan warns until then",
                )));
            }
            _ => {}
        },
        Some(Err(e)) => out.push(at(Diagnostic::error(
            "wacfg::token::unreadable",
            format!(
                "the token of credentials `{}` could not be checked: {}",
                creds.name, e.message
            ),
        ))),
        None => {}
    }
}

fn credentials_change(ctx: &Ctx<'_>, addr: &Address) -> Option<ResourceChange> {
    let desired = ctx.input.desired.credentials.get(&addr.name);
    let recorded = match ctx.input.recorded.get(addr) {
        Some(RecordedResource::Credentials(r)) => Some(r),
        _ => None,
    };
    let fp = ctx.input.fingerprints.get(&addr.name);
    let verified = ctx.verified.get(&addr.name);
    let resolved_id = verified
        .and_then(|v| v.as_ref().ok())
        .map(|r| r.phone_number_id.as_str());
    let sensitive = vec!["token".to_string()];
    let (action, reason) = match (desired, recorded) {
        (Some(_), None) => (
            Action::Create,
            "not in state: verified with Meta and recorded".to_string(),
        ),
        (None, Some(_)) => (Action::Delete, "removed from the file".to_string()),
        (Some(d), Some(r)) => {
            let mut changed = Vec::new();
            if d.business_id != r.business_id {
                changed.push("business_id");
            }
            if d.waba_id != r.waba_id {
                changed.push("whatsapp_business_account");
            }
            if d.phone_number != r.phone_number {
                changed.push("phone_number");
            }
            let rotated = fp.is_some_and(|fp| fp != &r.token_fingerprint);
            if rotated {
                changed.push("token");
            }
            if changed.is_empty() {
                (Action::NoOp, "unchanged".to_string())
            } else if d.business_id != r.business_id {
                (
                    Action::Replace,
                    "business_id changed: a different portfolio, so new credentials".to_string(),
                )
            } else {
                (
                    Action::Update,
                    format!("{} changed: verified again", changed.join(", ")),
                )
            }
        }
        (None, None) => return None,
    };
    if action == Action::NoOp {
        return Some(no_op(addr, reason));
    }
    let before = recorded.map(recorded_credentials_attrs);
    let after = desired.map(|d| desired_credentials_attrs(d, fp, resolved_id));
    let checks = match (action, verified) {
        (Action::Create | Action::Update | Action::Replace, Some(v)) => credentials_checks(v),
        _ => Vec::new(),
    };
    let unknown_after = known_after_apply(after.as_ref());
    Some(ResourceChange {
        address: addr.clone(),
        action,
        reason,
        before,
        after,
        sensitive,
        unknown_after,
        checks,
        depends_on: Vec::new(),
    })
}

/// The attributes only apply can tell.
fn known_after_apply(after: Option<&Attributes>) -> Vec<String> {
    after.map_or_else(Vec::new, |a| {
        a.iter()
            .filter(|(_, v)| **v == json!(KNOWN_AFTER_APPLY))
            .map(|(k, _)| k.clone())
            .collect()
    })
}

/// A resource with nothing to do: listed with its reason, without attributes (renderers hide
/// it, and 10,000 unchanged configurations should cost next to nothing).
fn no_op(addr: &Address, reason: String) -> ResourceChange {
    ResourceChange {
        address: addr.clone(),
        action: Action::NoOp,
        reason,
        before: None,
        after: None,
        sensitive: Vec::new(),
        unknown_after: Vec::new(),
        checks: Vec::new(),
        depends_on: Vec::new(),
    }
}

fn credentials_checks(v: &Result<RecordedCredentials, (VerifyStep, String)>) -> Vec<PlannedCheck> {
    let failed_at = v.as_ref().err().map(|(s, m)| (*s, m.clone()));
    let mut seen_failure = false;
    VerifyStep::ALL
        .iter()
        .map(|step| {
            let (expectation, message) = match &failed_at {
                Some((s, m)) if s == step => {
                    seen_failure = true;
                    (Expectation::Fail, m.clone())
                }
                _ if seen_failure => (
                    Expectation::Unknown,
                    format!("not reached: {}", step.describe()),
                ),
                _ => (Expectation::Pass, step.describe().to_string()),
            };
            PlannedCheck {
                id: step.id().to_string(),
                expectation,
                message,
            }
        })
        .collect()
}

fn channel_change(ctx: &mut Ctx<'_>, addr: &Address) -> Option<ResourceChange> {
    let desired = ctx.input.desired.channel_configurations.get(&addr.name);
    let recorded = match ctx.input.recorded.get(addr) {
        Some(RecordedResource::ChannelConfiguration(r)) => Some(r),
        _ => None,
    };
    let decision = match decide(desired, recorded) {
        Ok(d) => d,
        Err(refusal) => {
            let mut diag = Diagnostic::error(refusal.code, refusal.message).with_help(refusal.help);
            if let Some(d) = desired {
                diag = diag.at(
                    d.source.file.clone(),
                    crate::diag::Span {
                        line: d.source.line,
                        column: d.source.column,
                        offset: 0,
                        len: 0,
                    },
                );
            }
            ctx.diagnostics.push(diag);
            return None;
        }
    };
    if decision.action == Action::NoOp {
        return Some(no_op(addr, decision.reason));
    }
    let (checks, phone_number_id) = match (desired, decision.submits) {
        (Some(d), true) => planned_channel_checks(ctx, d),
        _ => (Vec::new(), None),
    };
    let before = recorded.map(recorded_channel_attrs);
    let after = desired
        .map(|d| channel_after(d, recorded, &decision, phone_number_id.as_deref()))
        .or_else(|| removal_after(recorded, &decision));
    let depends_on = desired
        .and_then(|d| d.credentials.clone())
        .map(|c| vec![Address::credentials(c)])
        .unwrap_or_default();
    let unknown_after = known_after_apply(after.as_ref());
    Some(ResourceChange {
        address: addr.clone(),
        action: decision.action,
        reason: decision.reason,
        before,
        after,
        sensitive: Vec::new(),
        unknown_after,
        checks,
        depends_on,
    })
}

fn channel_after(
    d: &crate::model::DesiredChannel,
    recorded: Option<&RecordedChannel>,
    decision: &Decision,
    resolved_id: Option<&str>,
) -> crate::plan::Attributes {
    let status = decision
        .status_after
        .map_or(KNOWN_AFTER_APPLY, |s| s.as_str());
    let version = match recorded {
        Some(r) if !decision.submits => r.version,
        Some(r) => {
            r.version
                .max(r.failed_update.as_ref().map_or(0, |f| f.version))
                + 1
        }
        None => 1,
    };
    let id = if decision.submits {
        resolved_id
    } else {
        recorded.and_then(|r| r.phone_number_id.as_deref())
    };
    after_channel_attrs(d, status, id, Some(version))
}

fn removal_after(
    recorded: Option<&RecordedChannel>,
    decision: &Decision,
) -> Option<crate::plan::Attributes> {
    let r = recorded?;
    match decision.action {
        Action::Deactivate => {
            let mut a = recorded_channel_attrs(r);
            a.insert("status".into(), json!("deactivated"));
            Some(a)
        }
        _ => None,
    }
}

fn planned_channel_checks(
    ctx: &Ctx<'_>,
    d: &crate::model::DesiredChannel,
) -> (Vec<PlannedCheck>, Option<String>) {
    let spec = super::attrs::desired_spec(d);
    let creds = d
        .credentials
        .as_ref()
        .and_then(|c| ctx.input.desired.credentials.get(c));
    let facts = creds.map(|c| CredentialsFacts {
        name: &c.name,
        verified: match ctx.verified.get(&c.name) {
            Some(Ok(_)) => Ok(()),
            Some(Err((_, m))) => Err(m.clone()),
            None => Err("the token could not be read".into()),
        },
        waba: ctx.input.observed.waba(&c.business_id, &c.waba_id),
        waba_id: &c.waba_id,
    });
    let desired = ctx.input.desired;
    let (results, id) = channel_checks(&spec, facts.as_ref(), &|a| {
        desired.knows_marketing_action(a)
    });
    let planned = results
        .into_iter()
        .map(|r| PlannedCheck {
            id: r.id,
            expectation: match r.status {
                CheckStatus::Passed => Expectation::Pass,
                CheckStatus::Failed => Expectation::Fail,
                CheckStatus::Warning => Expectation::Warn,
            },
            message: r.message,
        })
        .collect();
    (planned, id)
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

/// Apply order: credentials created/updated, channel configurations created/updated/
/// reactivated, channel configurations deactivated/deleted, then credentials removed.
fn ordered(mut changes: Vec<ResourceChange>) -> Vec<ResourceChange> {
    fn phase(c: &ResourceChange) -> u8 {
        let removal = matches!(c.action, Action::Delete | Action::Deactivate);
        match (c.address.kind, removal) {
            (ResourceKind::Credentials, false) => 0,
            (ResourceKind::ChannelConfiguration, false) => 1,
            (ResourceKind::ChannelConfiguration, true) => 2,
            (ResourceKind::Credentials, true) => 3,
        }
    }
    changes.sort_by(|a, b| (phase(a), &a.address).cmp(&(phase(b), &b.address)));
    changes
}
