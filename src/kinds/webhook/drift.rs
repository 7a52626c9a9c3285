//! Webhook drift: the subscription or its callback override changed at Meta outside wacfg
//! (read in the same batched read as the WABA). Reported, never acted on by itself.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::model::{RecordedWebhook, WebhookScope};
use crate::kinds::RecordedResource;
use crate::model::{Address, Drift, Observed};

pub fn detect(
    out: &mut Vec<Drift>,
    r: &RecordedWebhook,
    all: &BTreeMap<Address, RecordedResource>,
    observed: &Observed,
) {
    let Some(creds) = crate::kinds::credentials::recorded(all, &r.credentials) else {
        return;
    };
    let Some(waba) = observed.waba(&creds.business_id, &r.waba_id) else {
        return;
    };
    let mut push = |attribute: &str, recorded: Value, observed: Value, message: String| {
        out.push(Drift {
            address: Address::webhook(&r.name),
            attribute: attribute.into(),
            recorded,
            observed,
            message,
        });
    };
    // Meta did not report the edge: nothing to compare.
    let Some(apps) = &waba.subscribed_apps else {
        return;
    };
    if apps.is_empty() {
        push(
            "subscribed",
            json!(true),
            json!(false),
            format!(
                "no app is subscribed to WABA {} any more: inbound messages are not delivered",
                r.waba_id
            ),
        );
        return;
    }
    match r.scope {
        WebhookScope::Waba => {
            if !apps
                .iter()
                .any(|a| a.override_callback_uri.as_deref() == Some(&r.callback_url))
            {
                let now = apps.iter().find_map(|a| a.override_callback_uri.clone());
                push(
                    "callback_url",
                    json!(r.callback_url),
                    json!(now),
                    format!(
                        "the callback override of WABA {} was changed outside wacfg",
                        r.waba_id
                    ),
                );
            }
        }
        WebhookScope::PhoneNumber => {
            let Some(id) = &r.phone_number_id else { return };
            // The number left the WABA: the credentials report that.
            let Some(number) = waba.phone_numbers.get(id) else {
                return;
            };
            // The read always asks for `webhook_configuration`; Meta leaves it out when no
            // level has a callback, so its absence means no override.
            let now = number
                .webhook_configuration
                .as_ref()
                .and_then(|c| c.phone_number.clone());
            if now.as_deref() != Some(&r.callback_url) {
                push(
                    "callback_url",
                    json!(r.callback_url),
                    json!(now),
                    format!("the callback override of number {id} was changed outside wacfg"),
                );
            }
        }
    }
}
