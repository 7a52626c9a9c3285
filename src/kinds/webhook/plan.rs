//! Planning a webhook: the generic diff of its attributes decides create, update (a Meta
//! write, or a platform setting only), replace (another WABA) or delete (unsubscribe, which
//! stops inbound delivery: destructive). The verify token shows only as a fingerprint.

use serde_json::{Value, json};

use super::model::{DesiredWebhook, Keywords, RecordedWebhook, WebhookScope};
use crate::kinds::RecordedResource;
use crate::kinds::diff;
use crate::kinds::plan_ctx::{PlanCtx, known_after_apply, no_op};
use crate::model::{
    Action, Address, Attributes, Expectation, KNOWN_AFTER_APPLY, PlannedCheck, ResourceChange,
    SENSITIVE, TokenFingerprint,
};

/// Every attribute a change compares, in the order reasons list them.
const DIFFED: &[&str] = &[
    "credentials",
    "whatsapp_business_account",
    "scope",
    "phone_number_id",
    "callback_url",
    "verify_token",
    "prevent_destroy",
];

/// The attributes whose change needs a write to Meta (the others are platform settings).
pub const WRITTEN_TO_META: &[&str] = &[
    "credentials",
    "whatsapp_business_account",
    "scope",
    "phone_number_id",
    "callback_url",
    "verify_token",
];

pub fn change(cx: &mut PlanCtx<'_>, addr: &Address) -> Option<ResourceChange> {
    let desired = cx.desired.webhooks.get(&addr.name);
    let recorded = match cx.recorded(addr) {
        Some(RecordedResource::Webhook(r)) => Some(r),
        _ => None,
    };
    let fp = cx.fingerprints.get(&super::secret_key(&addr.name));
    let after = desired.map(|d| desired_attrs(cx, d, fp, recorded));
    let before = recorded.map(recorded_attrs);
    let (action, reason, writes) = match (desired, recorded, &after, &before) {
        (Some(d), None, _, _) => (Action::Create, create_reason(cx, d), true),
        (None, Some(r), _, _) => (
            Action::Delete,
            format!(
                "removed from the file: unsubscribes from WABA {} (inbound messages stop)",
                r.waba_id
            ),
            true,
        ),
        (Some(_), Some(r), Some(after), Some(before)) => {
            // An unread verify token compares as the recorded one: nothing says it rotated.
            let mut after = after.clone();
            if fp.is_none() {
                after.insert("verify_token".into(), json!(r.verify_token_fingerprint.0));
            }
            let mut changed = diff::changed(before, &after, DIFFED);
            if keyword_attrs_differ(before, &after) {
                changed.push("keywords");
            }
            let writes = changed.iter().any(|c| WRITTEN_TO_META.contains(c));
            if changed.is_empty() {
                return Some(no_op(addr, "unchanged"));
            } else if before.get("whatsapp_business_account")
                != after.get("whatsapp_business_account")
            {
                (
                    Action::Replace,
                    "another WABA: unsubscribes the old one, then subscribes the new one".into(),
                    true,
                )
            } else if writes {
                (
                    Action::Update,
                    format!(
                        "{} changed: sent to Meta, which verifies the callback again",
                        diff::list(&changed)
                    ),
                    true,
                )
            } else {
                (
                    Action::Update,
                    format!(
                        "{} changed: platform settings, nothing sent to Meta",
                        diff::list(&changed)
                    ),
                    false,
                )
            }
        }
        _ => return None,
    };
    let checks = match (desired, writes, action) {
        (Some(d), true, Action::Create | Action::Update | Action::Replace) => planned_checks(cx, d),
        _ => Vec::new(),
    };
    let unknown_after = known_after_apply(after.as_ref());
    let depends_on = desired
        .map(|d| vec![Address::credentials(&d.credentials)])
        .unwrap_or_default();
    Some(ResourceChange {
        address: addr.clone(),
        action,
        reason,
        before,
        after,
        sensitive: vec!["verify_token".to_string()],
        unknown_after,
        checks,
        depends_on,
        moved_from: None,
        destroys: Vec::new(),
    })
}

/// Says when Meta already has a callback for the WABA that wacfg did not set.
fn create_reason(cx: &PlanCtx<'_>, d: &DesiredWebhook) -> String {
    let base = "not in state: subscribes the WABA with this callback; Meta verifies it";
    let existing = cx
        .desired
        .credentials
        .get(&d.credentials)
        .and_then(|c| cx.observed.waba(&c.business_id, &c.waba_id))
        .and_then(|w| w.subscribed_apps.as_ref())
        .and_then(|apps| apps.iter().find_map(|a| a.override_callback_uri.clone()));
    match existing {
        Some(uri) if uri != d.callback_url => {
            format!("{base} (replaces the override {uri} set outside wacfg)")
        }
        _ => base.to_string(),
    }
}

fn planned_checks(cx: &PlanCtx<'_>, d: &DesiredWebhook) -> Vec<PlannedCheck> {
    let credentials = match cx.verified.get(&d.credentials) {
        Some(Ok(_)) => PlannedCheck {
            id: "credentials_valid".into(),
            expectation: Expectation::Pass,
            message: format!("credentials `{}` are valid", d.credentials),
        },
        Some(Err((_, why))) => PlannedCheck {
            id: "credentials_valid".into(),
            expectation: Expectation::Fail,
            message: format!("credentials `{}` are not valid: {why}", d.credentials),
        },
        None => PlannedCheck {
            id: "credentials_valid".into(),
            expectation: Expectation::Unknown,
            message: format!("credentials `{}` could not be checked", d.credentials),
        },
    };
    let callback = PlannedCheck {
        id: "callback_verified".into(),
        expectation: Expectation::Unknown,
        message: format!(
            "Meta calls {} with hub.mode=subscribe and the verify token; it must answer 200 with hub.challenge",
            d.callback_url
        ),
    };
    vec![credentials, callback]
}

fn desired_attrs(
    cx: &PlanCtx<'_>,
    d: &DesiredWebhook,
    fp: Option<&TokenFingerprint>,
    recorded: Option<&RecordedWebhook>,
) -> Attributes {
    let creds = cx.desired.credentials.get(&d.credentials);
    let phone_number_id = match d.scope {
        WebhookScope::Waba => Value::Null,
        WebhookScope::PhoneNumber => match cx.verified.get(&d.credentials) {
            Some(Ok(r)) => json!(r.phone_number_id),
            _ => match recorded.and_then(|r| r.phone_number_id.as_ref()) {
                Some(id) => json!(id),
                None => json!(KNOWN_AFTER_APPLY),
            },
        },
    };
    let mut a = Attributes::new();
    a.insert("name".into(), json!(d.name));
    a.insert("credentials".into(), json!(d.credentials));
    a.insert(
        "whatsapp_business_account".into(),
        creds.map_or(json!(KNOWN_AFTER_APPLY), |c| json!(c.waba_id)),
    );
    a.insert("scope".into(), json!(d.scope.as_str()));
    a.insert("phone_number_id".into(), phone_number_id);
    a.insert("callback_url".into(), json!(d.callback_url));
    a.insert(
        "verify_token".into(),
        fp.map_or(json!(SENSITIVE), |fp| json!(fp.0)),
    );
    insert_keywords(&mut a, &d.keywords);
    a.insert("prevent_destroy".into(), json!(d.prevent_destroy));
    a
}

/// Keywords as one attribute per category field (`keywords.opt_out.reply`), so a plan shows
/// which reply or word list changed, line by line.
fn insert_keywords(a: &mut Attributes, keywords: &Keywords) {
    for (category, c) in keywords {
        if !c.keywords.is_empty() {
            a.insert(format!("keywords.{category}.keywords"), json!(c.keywords));
        }
        if let Some(reply) = &c.reply {
            a.insert(format!("keywords.{category}.reply"), json!(reply));
        }
    }
}

fn keyword_attrs_differ(before: &Attributes, after: &Attributes) -> bool {
    let of = |a: &Attributes| -> Vec<(String, Value)> {
        a.iter()
            .filter(|(k, _)| k.starts_with("keywords."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    of(before) != of(after)
}

pub fn recorded_attrs(r: &RecordedWebhook) -> Attributes {
    let mut a = Attributes::new();
    a.insert("name".into(), json!(r.name));
    a.insert("credentials".into(), json!(r.credentials));
    a.insert("whatsapp_business_account".into(), json!(r.waba_id));
    a.insert("scope".into(), json!(r.scope.as_str()));
    a.insert("phone_number_id".into(), json!(r.phone_number_id));
    a.insert("callback_url".into(), json!(r.callback_url));
    a.insert("verify_token".into(), json!(r.verify_token_fingerprint.0));
    insert_keywords(&mut a, &r.keywords);
    a.insert("prevent_destroy".into(), json!(r.prevent_destroy));
    a
}
