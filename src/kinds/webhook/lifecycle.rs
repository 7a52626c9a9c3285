//! The webhook lifecycle, pure: the record a desired webhook leads to once Meta accepted it,
//! and the Graph writes (in order, each with the credentials whose token sends it) that take
//! Meta from the recorded webhook to that record. Apply only executes them.

use super::graph::{number_override, subscribe_waba, unsubscribe_waba};
use super::model::{DesiredWebhook, RecordedWebhook, WebhookScope};
use super::plan::{WRITTEN_TO_META, recorded_attrs};
use crate::kinds::credentials::RecordedCredentials;
use crate::kinds::diff;
use crate::kinds::ports::GraphRequest;
use crate::model::TokenFingerprint;

/// The record once Meta accepted `d` for the WABA (and number) of `creds`.
pub fn record(
    d: &DesiredWebhook,
    creds: &RecordedCredentials,
    fingerprint: &TokenFingerprint,
) -> RecordedWebhook {
    RecordedWebhook {
        name: d.name.clone(),
        credentials: d.credentials.clone(),
        waba_id: creds.waba_id.clone(),
        phone_number_id: (d.scope == WebhookScope::PhoneNumber)
            .then(|| creds.phone_number_id.clone()),
        scope: d.scope,
        callback_url: d.callback_url.clone(),
        verify_token_fingerprint: fingerprint.clone(),
        keywords: d.keywords.clone(),
        prevent_destroy: d.prevent_destroy,
    }
}

/// Whether going from `before` to `after` needs Meta: the generic diff of their attributes
/// over the ones the plan also calls written to Meta (anything but keywords and
/// prevent_destroy), so the plan's reason and the engine's writes cannot disagree.
pub fn needs_write(before: Option<&RecordedWebhook>, after: &RecordedWebhook) -> bool {
    let Some(b) = before else { return true };
    !diff::changed(&recorded_attrs(b), &recorded_attrs(after), WRITTEN_TO_META).is_empty()
}

/// The writes from `before` to `after`: the old WABA unsubscribed if it changes, an old number
/// override cleared if it moves or goes, then the new subscription (and number override).
pub fn writes(
    before: Option<&RecordedWebhook>,
    after: &RecordedWebhook,
    verify_token_key: &str,
) -> Vec<(String, GraphRequest)> {
    let mut out = Vec::new();
    if !needs_write(before, after) {
        return out;
    }
    if let Some(b) = before {
        let old_number = b
            .phone_number_id
            .as_deref()
            .filter(|_| b.scope == WebhookScope::PhoneNumber);
        let new_number = after
            .phone_number_id
            .as_deref()
            .filter(|_| after.scope == WebhookScope::PhoneNumber);
        if let Some(id) = old_number
            && (b.waba_id != after.waba_id || old_number != new_number)
        {
            out.push((b.credentials.clone(), number_override(id, None)));
        }
        if b.waba_id != after.waba_id {
            out.push((b.credentials.clone(), unsubscribe_waba(&b.waba_id)));
        }
    }
    let callback = Some((after.callback_url.as_str(), verify_token_key));
    match (after.scope, after.phone_number_id.as_deref()) {
        (WebhookScope::PhoneNumber, Some(id)) => {
            out.push((
                after.credentials.clone(),
                subscribe_waba(&after.waba_id, None),
            ));
            out.push((after.credentials.clone(), number_override(id, callback)));
        }
        _ => out.push((
            after.credentials.clone(),
            subscribe_waba(&after.waba_id, callback),
        )),
    }
    out
}

/// The writes that remove a webhook: its number override, then the WABA subscription.
pub fn removal(before: &RecordedWebhook) -> Vec<(String, GraphRequest)> {
    let mut out = Vec::new();
    if let (WebhookScope::PhoneNumber, Some(id)) = (before.scope, before.phone_number_id.as_deref())
    {
        out.push((before.credentials.clone(), number_override(id, None)));
    }
    out.push((
        before.credentials.clone(),
        unsubscribe_waba(&before.waba_id),
    ));
    out
}
