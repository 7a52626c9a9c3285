//! The channel configuration checks, as pure functions of the facts. The planner uses them
//! to say what will happen; apply runs them again on fresh facts to decide what happens.

use super::model::ChannelSpec;
use crate::model::{CheckResult, CheckStatus, ObservedNumber, ObservedWaba};

/// Stable check ids, in the order they run.
pub const CHECK_IDS: &[&str] = &[
    "credentials_valid",
    "sender_in_waba",
    "sender_connected",
    "display_name_approved",
    "waba_approved",
    "marketing_actions_known",
    "quality_rating",
    "webhook_registered",
];

/// Whether the check decides on Meta's facts. `marketing_actions_known` reads the file alone,
/// so Meta being unreadable never makes it unknown.
pub fn reads_meta(id: &str) -> bool {
    id != "marketing_actions_known"
}

fn pass(id: &str, message: String) -> CheckResult {
    CheckResult {
        id: id.to_string(),
        status: CheckStatus::Passed,
        message,
    }
}

fn fail(id: &str, message: String) -> CheckResult {
    CheckResult {
        id: id.to_string(),
        status: CheckStatus::Failed,
        message,
    }
}

/// What a channel configuration's checks know about its credentials.
pub struct CredentialsFacts<'a> {
    pub name: &'a str,
    /// `Ok` when the credentials are (or will be, earlier in this apply) verified.
    pub verified: Result<(), String>,
    pub waba: Option<&'a ObservedWaba>,
    pub waba_id: &'a str,
}

/// Run the channel configuration checks. Returns every check's result (in CHECK_IDS order)
/// and the sender's phone number ID when it was found.
pub fn channel_checks(
    spec: &ChannelSpec,
    creds: Option<&CredentialsFacts<'_>>,
    knows_action: &dyn Fn(&str) -> bool,
) -> (Vec<CheckResult>, Option<String>) {
    let mut out = Vec::with_capacity(CHECK_IDS.len());
    let sender = spec.sender_number.as_deref().unwrap_or("");
    match creds {
        None => out.push(fail(
            "credentials_valid",
            format!(
                "credentials `{}` are not applied; declare them and apply",
                spec.credentials.as_deref().unwrap_or("")
            ),
        )),
        Some(c) => out.push(match &c.verified {
            Ok(()) => pass(
                "credentials_valid",
                format!("credentials `{}` are applied and valid", c.name),
            ),
            Err(why) => fail(
                "credentials_valid",
                format!("credentials `{}` are not valid: {why}", c.name),
            ),
        }),
    }
    let number: Option<&ObservedNumber> = creds
        .and_then(|c| c.waba)
        .and_then(|w| w.number_by_digits(sender));
    let waba_id = creds.map(|c| c.waba_id).unwrap_or("");
    out.push(match number {
        Some(_) => pass(
            "sender_in_waba",
            format!("sender {sender} is a number of WABA {waba_id}"),
        ),
        None => fail(
            "sender_in_waba",
            format!("sender {sender} is not a phone number of WABA {waba_id}"),
        ),
    });
    out.push(number_field_check(
        "sender_connected",
        number.map(|n| n.status.as_deref()),
        &["CONNECTED"],
        &format!("sender {sender} status"),
    ));
    out.push(number_field_check(
        "display_name_approved",
        number.map(|n| n.name_status.as_deref()),
        &["APPROVED", "AVAILABLE_WITHOUT_REVIEW"],
        "display name status",
    ));
    out.push(number_field_check(
        "waba_approved",
        creds
            .and_then(|c| c.waba)
            .map(|w| w.account_review_status.as_deref()),
        &["APPROVED"],
        &format!("WABA {waba_id} review status"),
    ));
    let unknown: Vec<&str> = spec
        .marketing_actions
        .iter()
        .map(String::as_str)
        .filter(|a| !knows_action(a))
        .collect();
    out.push(if unknown.is_empty() {
        pass(
            "marketing_actions_known",
            "every marketing action is known".into(),
        )
    } else {
        fail(
            "marketing_actions_known",
            format!("unknown marketing action(s): {}", unknown.join(", ")),
        )
    });
    out.push(quality_check(number));
    (out, number.map(|n| n.id.clone()))
}

fn number_field_check(
    id: &str,
    value: Option<Option<&str>>,
    accepted: &[&str],
    what: &str,
) -> CheckResult {
    match value {
        None => fail(id, format!("{what} unknown: the sender was not found")),
        Some(Some(v)) if accepted.contains(&v) => pass(id, format!("{what} is {v}")),
        Some(Some(v)) => fail(
            id,
            format!("{what} is {v}, expected {}", accepted.join(" or ")),
        ),
        Some(None) => fail(id, format!("{what} is not reported by Meta")),
    }
}

fn quality_check(number: Option<&ObservedNumber>) -> CheckResult {
    match number.and_then(|n| n.quality_rating.as_deref()) {
        Some("RED") => CheckResult {
            id: "quality_rating".into(),
            status: CheckStatus::Warning,
            message: "quality rating is RED: messages may be limited; review recent feedback"
                .into(),
        },
        Some(q) => pass("quality_rating", format!("quality rating is {q}")),
        None => pass("quality_rating", "quality rating not reported".into()),
    }
}

/// The reasons a set of check results failed, in check order.
pub fn failure_reasons(checks: &[CheckResult]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.status == CheckStatus::Failed)
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect()
}

/// What is known about the webhook of a configuration's WABA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookFact {
    /// A webhook the file declares for this WABA (and, at apply, recorded).
    Managed(String),
    /// Meta reports an app subscribed to the WABA's webhooks (set outside wacfg).
    Observed,
    /// Neither.
    Missing,
}

/// `webhook_registered`: a warning, never a failure, when nothing receives the WABA's inbound
/// messages, since opt-out keywords (STOP) then go unanswered.
pub fn webhook_check(fact: &WebhookFact, waba_id: &str, credentials: &str) -> CheckResult {
    match fact {
        WebhookFact::Managed(name) => pass(
            "webhook_registered",
            format!("webhook `{name}` receives WABA {waba_id}'s messages"),
        ),
        WebhookFact::Observed => pass(
            "webhook_registered",
            format!("an app receives WABA {waba_id}'s messages"),
        ),
        WebhookFact::Missing => CheckResult {
            id: "webhook_registered".into(),
            status: CheckStatus::Warning,
            message: format!(
                "no webhook for WABA {waba_id}: STOP goes unanswered; add one for `{credentials}` under `webhooks:`"
            ),
        },
    }
}

/// The webhook the file declares for `waba_id`, if any.
pub fn declared_webhook<'a>(desired: &'a crate::kinds::Desired, waba_id: &str) -> Option<&'a str> {
    desired.webhooks.values().find_map(|w| {
        let creds = desired.credentials.get(&w.credentials)?;
        (creds.waba_id == waba_id).then_some(w.name.as_str())
    })
}

/// Whether Meta reports an app subscribed to the WABA's webhooks.
pub fn observed_webhook(waba: Option<&ObservedWaba>) -> bool {
    waba.and_then(|w| w.subscribed_apps.as_ref())
        .is_some_and(|apps| !apps.is_empty())
}

/// What a failed submission depended on, as one digest: the spec submitted and each failing
/// check with its message (which names the fact it read: a status, a review state, an unknown
/// action). The same digest at the next plan means nothing the failure depended on changed,
/// so submitting again would fail the same way. Passing and warning checks are left out: a
/// change in them cannot make the failing ones pass.
pub fn failure_digest(spec: &ChannelSpec, checks: &[CheckResult]) -> String {
    use sha2::{Digest, Sha256};
    let failing: Vec<(&str, &str)> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Failed)
        .map(|c| (c.id.as_str(), c.message.as_str()))
        .collect();
    let text = serde_json::to_vec(&(spec, failing)).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(&text)))
}
