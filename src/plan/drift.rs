//! Drift: what changed at Meta since the last apply (Observed vs Recorded). Reported, never
//! acted on by itself.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::types::Drift;
use crate::model::{Address, ChannelStatus, Observed, RecordedCredentials, RecordedResource};

fn val(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| json!(s))
}

/// Every drift, in address then attribute order.
pub fn detect(recorded: &BTreeMap<Address, RecordedResource>, observed: &Observed) -> Vec<Drift> {
    let mut out = Vec::new();
    let creds: BTreeMap<&str, &RecordedCredentials> = recorded
        .values()
        .filter_map(|r| match r {
            RecordedResource::Credentials(c) => Some((c.name.as_str(), c)),
            _ => None,
        })
        .collect();
    for c in creds.values() {
        credentials_drift(&mut out, c, observed);
    }
    for r in recorded.values() {
        let RecordedResource::ChannelConfiguration(ch) = r else {
            continue;
        };
        if ch.status != ChannelStatus::Active {
            continue;
        }
        let (Some(cname), Some(id)) = (
            ch.spec.credentials.as_deref(),
            ch.phone_number_id.as_deref(),
        ) else {
            continue;
        };
        let Some(c) = creds.get(cname) else { continue };
        let Some(waba) = observed.waba(&c.business_id, &c.waba_id) else {
            continue;
        };
        if !waba.phone_numbers.contains_key(id) {
            out.push(Drift {
                address: Address::channel(&ch.name),
                attribute: "sender_number".into(),
                recorded: json!(ch.spec.sender_number),
                observed: Value::Null,
                message: format!(
                    "the sender {} (phone number ID {id}) is no longer in WABA {}: messages sent with this configuration will fail",
                    ch.spec.sender_number.as_deref().unwrap_or(""),
                    c.waba_id
                ),
            });
        }
    }
    out.sort_by(|a, b| (&a.address, &a.attribute).cmp(&(&b.address, &b.attribute)));
    out
}

fn credentials_drift(out: &mut Vec<Drift>, c: &RecordedCredentials, observed: &Observed) {
    let addr = Address::credentials(&c.name);
    let mut push = |attribute: &str, recorded: Value, observed: Value, message: String| {
        out.push(Drift {
            address: addr.clone(),
            attribute: attribute.into(),
            recorded,
            observed,
            message,
        });
    };
    // A business that could not be read says nothing about drift: the plan reports the error.
    let Some(Ok(business)) = observed.businesses.get(&c.business_id) else {
        return;
    };
    let Some(waba) = business.wabas.get(&c.waba_id) else {
        push(
            "whatsapp_business_account",
            json!(c.waba_id),
            Value::Null,
            format!(
                "WABA {} is no longer part of business portfolio {}",
                c.waba_id, c.business_id
            ),
        );
        return;
    };
    if waba.account_review_status != c.account_review_status {
        push(
            "account_review_status",
            val(&c.account_review_status),
            val(&waba.account_review_status),
            "the WABA's review status changed".into(),
        );
    }
    let Some(n) = waba.phone_numbers.get(&c.phone_number_id) else {
        push(
            "phone_number",
            json!(c.phone_number),
            Value::Null,
            format!(
                "phone number {} (ID {}) has left WABA {}",
                c.phone_number, c.phone_number_id, c.waba_id
            ),
        );
        return;
    };
    let facts: [(&str, &Option<String>, &Option<String>, &str); 5] = [
        (
            "quality_rating",
            &c.quality_rating,
            &n.quality_rating,
            "the quality rating changed",
        ),
        (
            "throughput",
            &c.throughput_level,
            &n.throughput_level,
            "the throughput level changed",
        ),
        (
            "messaging_limit",
            &c.messaging_limit,
            &n.messaging_limit,
            "the messaging limit changed",
        ),
        (
            "number_status",
            &c.number_status,
            &n.status,
            "the number's status changed",
        ),
        (
            "name_status",
            &c.name_status,
            &n.name_status,
            "the display name's status changed",
        ),
    ];
    for (attr, rec, obs, msg) in facts {
        if rec != obs {
            push(attr, val(rec), val(obs), msg.to_string());
        }
    }
    if n.verified_name != c.verified_name {
        push(
            "verified_name",
            json!(c.verified_name),
            json!(n.verified_name),
            "the verified name changed".into(),
        );
    }
}
