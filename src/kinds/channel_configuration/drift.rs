//! Channel configuration drift: an Active configuration's sender has left its WABA at Meta.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::model::{ChannelStatus, RecordedChannel};
use crate::kinds::RecordedResource;
use crate::model::{Address, Drift, Observed};

pub fn detect(
    out: &mut Vec<Drift>,
    ch: &RecordedChannel,
    all: &BTreeMap<Address, RecordedResource>,
    observed: &Observed,
) {
    if ch.status != ChannelStatus::Active {
        return;
    }
    let (Some(cname), Some(id)) = (
        ch.spec.credentials.as_deref(),
        ch.phone_number_id.as_deref(),
    ) else {
        return;
    };
    let Some(c) = crate::kinds::credentials::recorded(all, cname) else {
        return;
    };
    let Some(waba) = observed.waba(&c.business_id, &c.waba_id) else {
        return;
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
