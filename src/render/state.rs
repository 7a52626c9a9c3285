//! Rendering of the state for `wacfg state list|show|history|pull`, human and JSON. The JSON
//! shapes are a stable interface for downstream readers (documented in README.md).

use serde_json::{Value, json};

use crate::kinds::RecordedResource;
use crate::model::Address;
use crate::model::time::rfc3339_or_seconds;
use crate::state::{HistoryEntry, StateDocument, canonical};

/// The status and version columns of a resource, as its kind lists it (kinds without a
/// lifecycle have neither).
fn status_version(resource: &RecordedResource) -> (Option<&str>, Option<u32>) {
    let listing = crate::kinds::of(resource.kind()).listing(resource);
    (listing.status, listing.version)
}

/// `state list`: one line per resource, in dependency order.
pub fn list_human(doc: Option<&StateDocument>) -> String {
    let Some(doc) = doc else {
        return "No state yet.\n".to_string();
    };
    let rows = doc.iter_ordered();
    if rows.is_empty() {
        return format!("The state is empty (serial {}).\n", doc.serial);
    }
    let width = rows
        .iter()
        .map(|(a, _)| a.to_string().len())
        .max()
        .unwrap_or(0)
        .max("ADDRESS".len());
    let mut out = format!("{:<width$}  {:<11}  VERSION\n", "ADDRESS", "STATUS");
    for (address, resource) in rows {
        let (status, version) = status_version(resource);
        let status = status.unwrap_or("-");
        let version = version.map_or("-".to_string(), |v| format!("v{v}"));
        out.push_str(&format!(
            "{:<width$}  {status:<11}  {version}\n",
            address.to_string()
        ));
    }
    out
}

/// `state list --addresses`: one address per line, in the listing's order; nothing at all
/// when there is no state (a completion offers nothing rather than a sentence).
pub fn list_addresses(doc: Option<&StateDocument>) -> String {
    doc.map(|doc| {
        doc.iter_ordered()
            .into_iter()
            .map(|(address, _)| format!("{address}\n"))
            .collect()
    })
    .unwrap_or_default()
}

/// `state list --format json`: `{lineage, serial, resources: [{address, kind, name, status,
/// version}]}`; lineage and serial are null when there is no state yet.
pub fn list_json(doc: Option<&StateDocument>) -> String {
    let resources: Vec<Value> = doc
        .map(|d| d.iter_ordered())
        .unwrap_or_default()
        .into_iter()
        .map(|(address, resource)| {
            let (status, version) = status_version(resource);
            json!({
                "address": address.to_string(),
                "kind": address.kind.as_str(),
                "name": address.name,
                "status": status,
                "version": version,
            })
        })
        .collect();
    let out = json!({
        "lineage": doc.map(|d| d.lineage.to_string()),
        "serial": doc.map(|d| d.serial),
        "resources": resources,
    });
    pretty(&out)
}

/// `state show --format json`: the whole document exactly as stored.
pub fn state_json(doc: &StateDocument) -> String {
    String::from_utf8_lossy(&canonical::encode(doc)).into_owned()
}

/// `state show ADDR --format json`: the resource object as it appears under `resources`.
pub fn resource_json(resource: &RecordedResource) -> String {
    pretty(&serde_json::to_value(resource).unwrap_or(Value::Null))
}

/// `state show`: a header, then every resource.
pub fn state_human(doc: &StateDocument) -> String {
    let mut out = format!(
        "lineage {}  serial {}  written {} by wacfg {}\n",
        doc.lineage, doc.serial, doc.written_at, doc.tool_version
    );
    for (address, resource) in doc.iter_ordered() {
        out.push('\n');
        out.push_str(&resource_human(&address, resource));
    }
    out
}

/// `state show ADDR`: the address, then one `key: value` line per attribute.
pub fn resource_human(address: &Address, resource: &RecordedResource) -> String {
    let mut out = format!("{address}\n");
    let value = serde_json::to_value(resource).unwrap_or(Value::Null);
    flatten("", &value, &mut out);
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if prefix.is_empty() && key == "kind" {
                    continue; // already in the address
                }
                let path = join(prefix, key);
                flatten(&path, v, out);
            }
        }
        Value::Array(items) if items.is_empty() => out.push_str(&format!("  {prefix}: []\n")),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::Null => out.push_str(&format!("  {prefix}: -\n")),
        // Times are kept as Unix seconds (`…_at`); people read them in RFC 3339.
        Value::Number(n) if prefix.ends_with("_at") && n.is_i64() => {
            let shown = n.as_i64().map_or_else(|| n.to_string(), rfc3339_or_seconds);
            out.push_str(&format!("  {prefix}: {shown}\n"));
        }
        Value::String(s) => out.push_str(&format!("  {prefix}: {s}\n")),
        other => out.push_str(&format!("  {prefix}: {other}\n")),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `state history`: newest first.
pub fn history_human(entries: &[HistoryEntry]) -> String {
    if entries.is_empty() {
        return "No state yet.\n".to_string();
    }
    let mut out = String::from("SERIAL  WRITTEN AT            WACFG    RESOURCES\n");
    for e in entries {
        out.push_str(&format!(
            "{:<6}  {:<20}  {:<7}  {}\n",
            e.serial, e.written_at, e.tool_version, e.resource_count
        ));
    }
    out
}

/// `state history --format json`: `[{serial, written_at, tool_version, resource_count}]`.
pub fn history_json(entries: &[HistoryEntry]) -> String {
    pretty(&serde_json::to_value(entries).unwrap_or(Value::Null))
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{ChannelSpec, ChannelStatus, RecordedChannel};

    fn doc() -> StateDocument {
        let mut doc = StateDocument::new();
        doc.serial = 4;
        doc.upsert(RecordedResource::ChannelConfiguration(RecordedChannel {
            name: "Marketing_FR".into(),
            status: ChannelStatus::Active,
            version: 2,
            spec: ChannelSpec::default(),
            phone_number_id: Some("1234".into()),
            checks: Vec::new(),
            failure_reasons: Vec::new(),
            failed_update: None,
            prevent_destroy: false,
            failure_digest: None,
        }));
        doc
    }

    #[test]
    fn list_shows_status_and_version() {
        assert_eq!(
            list_human(Some(&doc())),
            "ADDRESS                             STATUS       VERSION\n\
             channel_configuration.Marketing_FR  active       v2\n"
        );
        let json: Value = serde_json::from_str(&list_json(Some(&doc()))).unwrap();
        assert_eq!(json["serial"], 4);
        assert_eq!(json["resources"][0]["status"], "active");
        assert_eq!(list_human(None), "No state yet.\n");
    }

    #[test]
    fn resource_human_flattens_attributes() {
        let d = doc();
        let addr = Address::channel("Marketing_FR");
        let text = resource_human(&addr, d.get(&addr).unwrap());
        assert!(text.starts_with("channel_configuration.Marketing_FR\n"));
        assert!(text.contains("  phone_number_id: 1234\n"), "{text}");
        assert!(text.contains("  spec.marketing_actions: []\n"), "{text}");
    }

    #[test]
    fn times_are_shown_in_rfc3339() {
        let mut out = String::new();
        flatten(
            "",
            &json!({"token_expires_at": 1_767_225_600, "version": 3}),
            &mut out,
        );
        assert_eq!(
            out,
            "  token_expires_at: 2026-01-01T00:00:00Z\n  version: 3\n"
        );
    }
}
