//! Plan attributes of each resource, from the Desired and the Recorded side, so a change's
//! before/after are derived the same way everywhere.

use serde_json::{Value, json};

use super::types::{Attributes, KNOWN_AFTER_APPLY, SENSITIVE};
use crate::model::{
    ChannelSpec, DesiredChannel, DesiredCredentials, RecordedChannel, RecordedCredentials,
    TokenFingerprint,
};

/// The spec a desired channel configuration asks for.
pub fn desired_spec(c: &DesiredChannel) -> ChannelSpec {
    ChannelSpec {
        description: c.description.clone(),
        marketing_actions: c.marketing_actions.clone(),
        credentials: c.credentials.clone(),
        sender_number: c.sender_number.clone(),
        execution_field: c.execution_field.clone(),
    }
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

/// Attributes of a channel configuration spec, plus status and phone number ID.
pub fn channel_attrs(
    name: &str,
    spec: &ChannelSpec,
    status: &str,
    phone_number_id: Value,
) -> Attributes {
    let mut a = Attributes::new();
    a.insert("name".into(), json!(name));
    a.insert("channel".into(), json!("whatsapp"));
    a.insert("description".into(), opt(&spec.description));
    a.insert("marketing_actions".into(), json!(spec.marketing_actions));
    a.insert("credentials".into(), opt(&spec.credentials));
    a.insert("sender_number".into(), opt(&spec.sender_number));
    a.insert("execution_field".into(), opt(&spec.execution_field));
    a.insert("status".into(), json!(status));
    a.insert("phone_number_id".into(), phone_number_id);
    a
}

pub fn recorded_channel_attrs(r: &RecordedChannel) -> Attributes {
    let mut a = channel_attrs(&r.name, &r.spec, r.status.as_str(), opt(&r.phone_number_id));
    a.insert("version".into(), json!(r.version));
    a
}

/// The channel attributes a change leads to. `phone_number_id` is the one the checks resolved
/// at plan time, when known.
pub fn after_channel_attrs(
    d: &DesiredChannel,
    status: &str,
    phone_number_id: Option<&str>,
    version: Option<u32>,
) -> Attributes {
    let id = match (status, phone_number_id) {
        ("draft", _) => Value::Null,
        (_, Some(id)) => json!(id),
        _ => json!(KNOWN_AFTER_APPLY),
    };
    let mut a = channel_attrs(&d.name, &desired_spec(d), status, id);
    a.insert(
        "version".into(),
        version.map_or(json!(KNOWN_AFTER_APPLY), |v| json!(v)),
    );
    a
}

/// The token appears only as its fingerprint (never the token), and is listed as sensitive so
/// renderers show `(sensitive value changed)` rather than the value.
pub fn desired_credentials_attrs(
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

pub fn recorded_credentials_attrs(r: &RecordedCredentials) -> Attributes {
    let mut a = Attributes::new();
    a.insert("name".into(), json!(r.name));
    a.insert("business_id".into(), json!(r.business_id));
    a.insert("whatsapp_business_account".into(), json!(r.waba_id));
    a.insert("phone_number".into(), json!(r.phone_number));
    a.insert("token".into(), json!(r.token_fingerprint.0));
    a.insert("phone_number_id".into(), json!(r.phone_number_id));
    a
}

/// Names of the spec fields that differ, in a fixed order.
pub fn spec_changes(before: &ChannelSpec, after: &ChannelSpec) -> Vec<&'static str> {
    let mut out = Vec::new();
    if before.description != after.description {
        out.push("description");
    }
    if before.marketing_actions != after.marketing_actions {
        out.push("marketing_actions");
    }
    if before.credentials != after.credentials {
        out.push("credentials");
    }
    if before.sender_number != after.sender_number {
        out.push("sender_number");
    }
    if before.execution_field != after.execution_field {
        out.push("execution_field");
    }
    out
}
