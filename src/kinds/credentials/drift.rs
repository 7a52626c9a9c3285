//! Credentials drift: what changed at Meta since they were verified — the WABA left the
//! portfolio, the number left the WABA, its quality, throughput, limit, statuses or name.

use serde_json::{Value, json};

use super::model::RecordedCredentials;
use crate::model::{Address, Drift, Observed};

fn val(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| json!(s))
}

pub fn detect(out: &mut Vec<Drift>, c: &RecordedCredentials, observed: &Observed) {
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

/// The record with Meta's facts as they are now, when its WABA and number are still there
/// (a WABA or number gone is not a fact to record: the file has to change).
pub fn refresh(c: &RecordedCredentials, observed: &Observed) -> Option<RecordedCredentials> {
    let Some(Ok(business)) = observed.businesses.get(&c.business_id) else {
        return None;
    };
    let waba = business.wabas.get(&c.waba_id)?;
    let n = waba.phone_numbers.get(&c.phone_number_id)?;
    Some(RecordedCredentials {
        account_review_status: waba.account_review_status.clone(),
        quality_rating: n.quality_rating.clone(),
        throughput_level: n.throughput_level.clone(),
        messaging_limit: n.messaging_limit.clone(),
        number_status: n.status.clone(),
        name_status: n.name_status.clone(),
        verified_name: n.verified_name.clone(),
        display_phone_number: n.display_phone_number.clone(),
        observed_at: observed.read_at,
        ..c.clone()
    })
}
