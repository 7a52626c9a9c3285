//! Planning credentials: verify each entry against the facts read (once, for the kinds after
//! this one too), warn about tokens near expiry, and decide create / update / replace /
//! delete with the generic attribute diff.

use serde_json::json;

use super::model::{DesiredCredentials, RecordedCredentials};
use super::verify::{
    EXPIRY_WARNING_SECS, Verification, VerifyStep, cannot_check, verify_credentials,
};
use crate::diag::Diagnostic;
use crate::kinds::diff;
use crate::kinds::plan_ctx::{PlanCtx, at_source, known_after_apply, no_op};
use crate::model::time::rfc3339_or_seconds;
use crate::model::{
    Action, Address, Attributes, Expectation, KNOWN_AFTER_APPLY, Observed, PlannedCheck,
    ResourceChange, SENSITIVE, TokenFingerprint,
};

/// The attributes a change shows, in the order reasons list them.
const DIFFED: &[&str] = &[
    "business_id",
    "whatsapp_business_account",
    "phone_number",
    "token",
];

/// Verify every declared entry whose token was read, and warn about its token.
pub fn prepare(cx: &mut PlanCtx<'_>) {
    for (name, creds) in &cx.desired.credentials {
        if let Some(fp) = cx.fingerprints.get(&super::secret_key(name)) {
            cx.verified
                .insert(name.clone(), verify_credentials(creds, fp, cx.observed));
            token_diagnostics(&mut cx.diagnostics, creds, fp, cx.observed);
        }
    }
    problem_diagnostics(cx);
}

/// One warning per field of a business portfolio's answer that could not be read, once per
/// portfolio, at the first credentials entry naming it.
fn problem_diagnostics(cx: &mut PlanCtx<'_>) {
    let mut seen = std::collections::BTreeSet::new();
    for creds in cx.desired.credentials.values() {
        if !seen.insert(creds.business_id.clone()) {
            continue;
        }
        let Some(Ok(business)) = cx.observed.businesses.get(&creds.business_id) else {
            continue;
        };
        for p in &business.problems {
            cx.diagnostics.push(at_source(
                Diagnostic::warning(
                    "wacfg::meta::unreadable_field",
                    format!(
                        "Meta's answer for business portfolio {}: `{}` could not be read ({}); the rest was kept",
                        creds.business_id, p.path, p.message
                    ),
                )
                .with_help(
                    "checks that need this field say they could not be made; if it persists, report Meta's answer",
                ),
                &creds.source,
            ));
        }
    }
}

fn token_diagnostics(
    out: &mut Vec<Diagnostic>,
    creds: &DesiredCredentials,
    fp: &TokenFingerprint,
    observed: &Observed,
) {
    let at = |d: Diagnostic| at_source(d, &creds.source);
    match observed.tokens.get(fp) {
        Some(Ok(t)) if !t.valid => out.push(at(Diagnostic::error(
            "wacfg::token::invalid",
            match &t.error {
                Some(why) => format!(
                    "the token of credentials `{}` is invalid: Meta says {why}",
                    creds.name
                ),
                None => format!("the token of credentials `{}` is invalid", creds.name),
            },
        )
        .with_help(format!(
            "create a new system-user token and put it where {} points",
            creds.token
        )))),
        Some(Ok(t)) => match t.expires_at {
            Some(exp) if exp <= observed.read_at => out.push(at(Diagnostic::error(
                "wacfg::token::expired",
                format!(
                    "the token of credentials `{}` expired at {}",
                    creds.name,
                    rfc3339_or_seconds(exp)
                ),
            )
            .with_help(format!(
                "renew the system-user token and put it where {} points",
                creds.token
            )))),
            Some(exp) if exp - observed.read_at <= EXPIRY_WARNING_SECS => {
                let days = (exp - observed.read_at) / 86_400;
                out.push(at(Diagnostic::warning(
                    "wacfg::token::expiring",
                    format!(
                        "the token of credentials `{}` expires in {days} day(s), at {}",
                        creds.name,
                        rfc3339_or_seconds(exp)
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

pub fn change(cx: &mut PlanCtx<'_>, addr: &Address) -> Option<ResourceChange> {
    let desired = cx.desired.credentials.get(&addr.name);
    let recorded = super::recorded(cx.recorded, &addr.name);
    let fp = cx.fingerprints.get(&super::secret_key(&addr.name));
    let verified = cx.verified.get(&addr.name);
    let resolved_id = verified
        .and_then(|v| v.as_ref().ok())
        .map(|r| r.phone_number_id.as_str());
    let (action, reason) = match (desired, recorded) {
        // Credentials exist at Meta (a system user's token, a WABA, a number): wacfg never
        // creates them, it verifies and adopts them.
        (Some(_), None) => (
            Action::Import,
            "not in state: exists at Meta, so it is verified and recorded (nothing is created)"
                .to_string(),
        ),
        (None, Some(_)) => (Action::Delete, "removed from the file".to_string()),
        (Some(d), Some(r)) => {
            // An unread token compares as the recorded one: nothing says it rotated.
            let fp = fp.unwrap_or(&r.token_fingerprint);
            let changed = diff::changed(
                &recorded_attrs(r),
                &desired_attrs(d, Some(fp), None),
                DIFFED,
            );
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
                    format!("{} changed: verified again", diff::list(&changed)),
                )
            }
        }
        (None, None) => return None,
    };
    if action == Action::NoOp {
        return Some(no_op(addr, reason));
    }
    let before = recorded.map(recorded_attrs);
    let after = desired.map(|d| desired_attrs(d, fp, resolved_id));
    let checks = match (action, verified) {
        (Action::Import | Action::Update | Action::Replace, Some(v)) => planned_checks(v),
        _ => Vec::new(),
    };
    let unknown_after = known_after_apply(after.as_ref());
    Some(ResourceChange {
        address: addr.clone(),
        action,
        reason,
        before,
        after,
        sensitive: vec!["token".to_string()],
        unknown_after,
        checks,
        depends_on: Vec::new(),
        moved_from: None,
        destroys: Vec::new(),
    })
}

fn planned_checks(v: &Verification) -> Vec<PlannedCheck> {
    let failed_at = v.as_ref().err().map(|(s, m)| (*s, m.clone()));
    let mut seen_failure = false;
    VerifyStep::ALL
        .iter()
        .map(|step| {
            let (expectation, message) = match &failed_at {
                Some((s, m)) if s == step => {
                    seen_failure = true;
                    if cannot_check(m) {
                        (Expectation::Unknown, m.clone())
                    } else {
                        (Expectation::Fail, m.clone())
                    }
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

/// The token appears only as its fingerprint (never the token), and is listed as sensitive so
/// renderers show `(sensitive value changed)` rather than the value.
pub fn desired_attrs(
    c: &DesiredCredentials,
    fingerprint: Option<&TokenFingerprint>,
    phone_number_id: Option<&str>,
) -> Attributes {
    let mut a = Attributes::new();
    a.insert("name".into(), json!(c.name));
    a.insert("business_id".into(), json!(c.business_id));
    a.insert("whatsapp_business_account".into(), json!(c.waba_id));
    a.insert("phone_number".into(), json!(c.phone_number));
    a.insert(
        "token".into(),
        fingerprint.map_or(json!(SENSITIVE), |fp| json!(fp.0)),
    );
    a.insert(
        "phone_number_id".into(),
        phone_number_id.map_or(json!(KNOWN_AFTER_APPLY), |id| json!(id)),
    );
    a
}

pub fn recorded_attrs(r: &RecordedCredentials) -> Attributes {
    let mut a = Attributes::new();
    a.insert("name".into(), json!(r.name));
    a.insert("business_id".into(), json!(r.business_id));
    a.insert("whatsapp_business_account".into(), json!(r.waba_id));
    a.insert("phone_number".into(), json!(r.phone_number));
    a.insert("token".into(), json!(r.token_fingerprint.0));
    a.insert("phone_number_id".into(), json!(r.phone_number_id));
    a
}
