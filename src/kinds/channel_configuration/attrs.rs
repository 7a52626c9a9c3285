//! A channel configuration's plan attributes, from the Desired and the Recorded side, so a
//! change's before/after are derived the same way everywhere.

use serde_json::{Value, json};

use super::model::{ChannelSpec, DesiredChannel, RecordedChannel};
use crate::model::{Attributes, KNOWN_AFTER_APPLY};

/// The spec a desired channel configuration asks for.
pub fn desired_spec(c: &DesiredChannel) -> ChannelSpec {
    ChannelSpec {
        description: c.description.clone(),
        marketing_actions: c.marketing_actions.clone(),
        credentials: c.credentials.clone(),
        sender_number: c.sender_number.clone(),
        execution_field: c.execution_field.clone(),
        templates: c.templates.clone(),
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
    let mut a = spec_attrs(spec);
    a.insert("name".into(), json!(name));
    a.insert("channel".into(), json!("whatsapp"));
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

/// The spec's attributes in the order reasons list them.
const SPEC_FIELDS: &[&str] = &[
    "description",
    "marketing_actions",
    "credentials",
    "sender_number",
    "execution_field",
    "templates",
];

/// Names of the spec fields that differ, in a fixed order (the generic attribute diff over
/// the spec's attributes; equal specs cost one comparison).
pub fn spec_changes(before: &ChannelSpec, after: &ChannelSpec) -> Vec<&'static str> {
    if before == after {
        return Vec::new();
    }
    crate::kinds::diff::changed(&spec_attrs(before), &spec_attrs(after), SPEC_FIELDS)
}

fn spec_attrs(spec: &ChannelSpec) -> Attributes {
    let mut a = Attributes::new();
    a.insert("description".into(), opt(&spec.description));
    a.insert("marketing_actions".into(), json!(spec.marketing_actions));
    a.insert("credentials".into(), opt(&spec.credentials));
    a.insert("sender_number".into(), opt(&spec.sender_number));
    a.insert("execution_field".into(), opt(&spec.execution_field));
    // Only when it lists any: a configuration without templates shows as it always did.
    if !spec.templates.is_empty() {
        a.insert("templates".into(), json!(spec.templates));
    }
    a
}
