//! Planning a channel configuration: the lifecycle decides the action, the checks say what
//! they will find on the facts read, and the attributes show before and after.

use serde_json::json;

use super::attrs::{after_channel_attrs, desired_spec, recorded_channel_attrs};
use super::checks::{
    CredentialsFacts, WebhookFact, channel_checks, declared_webhook, failure_digest,
    observed_webhook, webhook_check,
};
use super::lifecycle::{Decision, decide_with, next_version, recorded_failure_digest};
use super::model::{DesiredChannel, RecordedChannel};
use crate::diag::Diagnostic;
use crate::kinds::RecordedResource;
use crate::kinds::credentials::verify::CANNOT_CHECK;
use crate::kinds::plan_ctx::{PlanCtx, at_source, known_after_apply, no_op};
use crate::model::{
    Action, Address, Attributes, CheckResult, CheckStatus, Expectation, KNOWN_AFTER_APPLY,
    PlannedCheck, ResourceChange,
};

pub fn change(cx: &mut PlanCtx<'_>, addr: &Address) -> Option<ResourceChange> {
    let desired = cx.desired.channel_configurations.get(&addr.name);
    let recorded = match cx.recorded(addr) {
        Some(RecordedResource::ChannelConfiguration(r)) => Some(r),
        _ => None,
    };
    let holds = match (desired, recorded) {
        (Some(d), Some(r)) if !cx.retry_failed => failure_holds(cx, d, r),
        _ => false,
    };
    let decision = match decide_with(desired, recorded, holds) {
        Ok(d) => d,
        Err(refusal) => {
            let mut diag = Diagnostic::error(refusal.code, refusal.message).with_help(refusal.help);
            if let Some(d) = desired {
                diag = at_source(diag, &d.source);
            }
            cx.diagnostics.push(diag);
            return None;
        }
    };
    if decision.action == Action::NoOp {
        if holds && let Some(d) = desired {
            cx.diagnostics.push(at_source(
                Diagnostic::warning(
                    "wacfg::lifecycle::failure_holds",
                    format!("channel configuration `{}`: {}", d.name, decision.reason),
                )
                .with_help("a change to the file or to the facts its failing checks read submits it again; so does `--retry-failed`"),
                &d.source,
            ));
        }
        return Some(no_op(addr, decision.reason));
    }
    let (checks, phone_number_id) = match (desired, decision.submits) {
        (Some(d), true) => planned_checks(cx, d),
        _ => (Vec::new(), None),
    };
    let before = recorded.map(recorded_channel_attrs);
    let after = desired
        .map(|d| after_attrs(d, recorded, &decision, phone_number_id.as_deref()))
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
        moved_from: None,
        destroys: Vec::new(),
    })
}

fn after_attrs(
    d: &DesiredChannel,
    recorded: Option<&RecordedChannel>,
    decision: &Decision,
    resolved_id: Option<&str>,
) -> Attributes {
    let status = decision
        .status_after
        .map_or(KNOWN_AFTER_APPLY, |s| s.as_str());
    let version = match recorded {
        Some(r) if !decision.submits => r.version,
        Some(r) => next_version(r),
        None => 1,
    };
    let id = if decision.submits {
        resolved_id
    } else {
        recorded.and_then(|r| r.phone_number_id.as_deref())
    };
    after_channel_attrs(d, status, id, Some(version))
}

fn removal_after(recorded: Option<&RecordedChannel>, decision: &Decision) -> Option<Attributes> {
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

/// Whether the recorded failed submission would fail the same way now: same spec asked, and
/// the checks run on the facts read now fail with the same messages (`failure_digest`).
fn failure_holds(cx: &PlanCtx<'_>, d: &DesiredChannel, r: &RecordedChannel) -> bool {
    let Some(recorded) = recorded_failure_digest(r) else {
        return false;
    };
    let (results, _) = check_results(cx, d);
    failure_digest(&desired_spec(d), &results) == recorded
}

fn planned_checks(cx: &PlanCtx<'_>, d: &DesiredChannel) -> (Vec<PlannedCheck>, Option<String>) {
    let (results, id) = check_results(cx, d);
    let unreadable = unreadable_portfolio(cx, d);
    let mut first = true;
    let planned = results
        .into_iter()
        .map(|r| match &unreadable {
            // Meta's facts are missing, not wrong: the check cannot be known before apply,
            // which reads them again (an API failure is never a failing check). Meta's error
            // is given once, with the first such check.
            Some((short, error))
                if r.status != CheckStatus::Passed && super::checks::reads_meta(&r.id) =>
            {
                let message = if std::mem::take(&mut first) {
                    format!("{CANNOT_CHECK}{short}: {error}")
                } else {
                    format!("{CANNOT_CHECK}{short}")
                };
                PlannedCheck {
                    id: r.id,
                    expectation: Expectation::Unknown,
                    message,
                }
            }
            _ => PlannedCheck {
                id: r.id,
                expectation: match r.status {
                    CheckStatus::Passed => Expectation::Pass,
                    CheckStatus::Failed => Expectation::Fail,
                    CheckStatus::Warning => Expectation::Warn,
                },
                message: r.message,
            },
        })
        .collect();
    (planned, id)
}

/// When the business portfolio of the configuration's credentials could not be read from
/// Meta at plan time: what could not be read, and Meta's error.
fn unreadable_portfolio(cx: &PlanCtx<'_>, d: &DesiredChannel) -> Option<(String, String)> {
    let c = d
        .credentials
        .as_ref()
        .and_then(|c| cx.desired.credentials.get(c))?;
    match cx.observed.businesses.get(&c.business_id) {
        Some(Err(e)) => Some((
            format!(
                "business portfolio {} could not be read from Meta",
                c.business_id
            ),
            e.message.clone(),
        )),
        _ => None,
    }
}

/// The checks run on the facts read at plan time.
fn check_results(cx: &PlanCtx<'_>, d: &DesiredChannel) -> (Vec<CheckResult>, Option<String>) {
    let spec = desired_spec(d);
    let creds = d
        .credentials
        .as_ref()
        .and_then(|c| cx.desired.credentials.get(c));
    let facts = creds.map(|c| CredentialsFacts {
        name: &c.name,
        verified: match cx.verified.get(&c.name) {
            Some(Ok(_)) => Ok(()),
            Some(Err((_, m))) => Err(m.clone()),
            None => Err("the token could not be read".into()),
        },
        waba: cx.observed.waba(&c.business_id, &c.waba_id),
        waba_id: &c.waba_id,
    });
    let desired = cx.desired;
    let (mut results, id) = channel_checks(&spec, facts.as_ref(), &|a| {
        desired.knows_marketing_action(a)
    });
    if let Some(c) = creds {
        let fact = match declared_webhook(desired, &c.waba_id) {
            Some(name) => WebhookFact::Managed(name.to_string()),
            None if observed_webhook(cx.observed.waba(&c.business_id, &c.waba_id)) => {
                WebhookFact::Observed
            }
            None => WebhookFact::Missing,
        };
        results.push(webhook_check(&fact, &c.waba_id, &c.name));
    }
    (results, id)
}
