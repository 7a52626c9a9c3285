//! Upgrades of older state formats to [`FORMAT_VERSION`](super::FORMAT_VERSION), applied on read
//! after the checksum was verified. Each step takes format N to N+1 on the raw JSON value, so a
//! step never depends on today's Rust types.
//!
//! - format 1 → 2: `resources` was an array of resources; it became an object keyed by address
//!   (`credentials.<name>`, `channel_configuration.<name>`), so a resource is found without a
//!   scan and two entries for one address cannot exist.

use serde_json::{Map, Value};

use super::document::FORMAT_VERSION;

/// Bring a verified document value from `from` up to the current format.
pub fn upgrade(mut value: Value, from: u64) -> Result<Value, String> {
    let mut version = from;
    while version < u64::from(FORMAT_VERSION) {
        value = match version {
            1 => v1_to_v2(value)?,
            other => return Err(format!("no upgrade from format_version {other}")),
        };
        version += 1;
        if let Value::Object(map) = &mut value {
            map.insert("format_version".into(), Value::from(version));
        }
    }
    Ok(value)
}

fn v1_to_v2(value: Value) -> Result<Value, String> {
    let Value::Object(mut map) = value else {
        return Err("the document is not an object".into());
    };
    let resources = match map.remove("resources") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err("format 1 `resources` must be an array".into()),
        None => Vec::new(),
    };
    let mut keyed = Map::new();
    for item in resources {
        let address = address_of(&item)?;
        if keyed.insert(address.clone(), item).is_some() {
            return Err(format!("format 1 state lists {address} twice"));
        }
    }
    map.insert("resources".into(), Value::Object(keyed));
    Ok(Value::Object(map))
}

/// `<kind>.<name>` of a format 1 resource entry.
fn address_of(item: &Value) -> Result<String, String> {
    let kind = item.get("kind").and_then(Value::as_str);
    let name = item.get("name").and_then(Value::as_str);
    match (kind, name) {
        (Some(kind @ ("credentials" | "channel_configuration")), Some(name)) => {
            Ok(format!("{kind}.{name}"))
        }
        _ => Err(format!(
            "format 1 resource without a valid kind and name: {item}"
        )),
    }
}
