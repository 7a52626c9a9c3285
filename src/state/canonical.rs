//! The canonical serialisation and the checksum, and the encoding/verified decoding of a state
//! document.
//!
//! Canonical form: the JSON value with every object's keys sorted by their UTF-8 bytes, no
//! whitespace, strings escaped as serde_json escapes them, integers in decimal. The checksum is
//! `sha256:<hex>` of the canonical form of the document's top-level object without its
//! `checksum` key. Hashing the parsed value (not the file's bytes) keeps the checksum valid
//! through pretty-printing, hand formatting or PostgreSQL's `jsonb`, which reorders keys.
//!
//! wacfg writes the canonical form of the whole document. Since `checksum` sorts first, a file
//! reads `{"checksum":"sha256:<hex>",<the rest>}`, and the hashed bytes are `{` + `<the rest>`:
//! reading such a file verifies it by hashing its bytes, without re-serialising it (the fast
//! path that keeps a 10,000-resource state within its time budget). Any other layout takes the
//! general path and is verified all the same.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::document::{FORMAT_VERSION, StateDocument};
use super::error::StateError;
use super::upgrade;

/// Where a document came from, for error messages: its location and what to restore it from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub location: String,
    pub restore: String,
}

/// Write the canonical form of `value` into `out`; top-level keys in `skip` are left out.
fn write_canonical(value: &Value, skip: &[&str], out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()))
                .collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(value, &[], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, &[], out);
            }
            out.push(b']');
        }
        Value::String(s) => write_string(s, out),
        // null, booleans and numbers print the same way whatever their source text was.
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// The canonical bytes of a document value, without its checksum.
pub fn canonical_bytes(document: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    write_canonical(document, &["checksum"], &mut out);
    out
}

/// `sha256:<hex>` of the canonical form of a document value (its `checksum` key ignored).
pub fn checksum_of(document: &Value) -> String {
    let digest = Sha256::digest(canonical_bytes(document));
    format!("sha256:{}", hex::encode(digest))
}

/// Set the document's checksum from its content.
pub fn seal(doc: &mut StateDocument) {
    seal_and_encode(doc);
}

/// Set the document's checksum and return the bytes to store: its canonical form (checksum
/// first) and a newline. One serialisation serves both.
pub fn seal_and_encode(doc: &mut StateDocument) -> Vec<u8> {
    // A document is plain data: serialising it to a Value cannot fail.
    let value = serde_json::to_value(&*doc).unwrap_or(Value::Null);
    let body = canonical_bytes(&value);
    doc.checksum = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
    let mut bytes = Vec::with_capacity(body.len() + 96);
    bytes.extend_from_slice(b"{\"checksum\":");
    write_string(&doc.checksum, &mut bytes);
    if body.len() > 2 {
        bytes.push(b',');
    }
    bytes.extend_from_slice(&body[1..]);
    bytes.push(b'\n');
    bytes
}

/// The bytes of a document as stored: its canonical form, checksum included, and a newline.
pub fn encode(doc: &StateDocument) -> Vec<u8> {
    let value = serde_json::to_value(doc).unwrap_or(Value::Null);
    let mut bytes = Vec::with_capacity(64 * 1024);
    write_canonical(&value, &[], &mut bytes);
    bytes.push(b'\n');
    bytes
}

const FAST_PREFIX: &[u8] = b"{\"checksum\":\"sha256:";

/// The fast path: bytes in the layout `seal_and_encode` writes whose hash matches.
fn fast_verified(bytes: &[u8]) -> bool {
    let hex_end = FAST_PREFIX.len() + 64;
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if body.len() < hex_end + 3
        || !body.starts_with(FAST_PREFIX)
        || &body[hex_end..hex_end + 2] != b"\","
    {
        return false;
    }
    let mut hasher = Sha256::new();
    hasher.update(b"{");
    hasher.update(&body[hex_end + 2..]);
    hex::encode(hasher.finalize()).as_bytes() == &body[FAST_PREFIX.len()..hex_end]
}

/// Parse, verify the checksum, upgrade older formats and type-check a state document.
pub fn decode(bytes: &[u8], origin: &Origin) -> Result<StateDocument, StateError> {
    if fast_verified(bytes)
        && let Ok(doc) = serde_json::from_slice::<StateDocument>(bytes)
        && doc.format_version == FORMAT_VERSION
        && check_keys(&doc).is_ok()
    {
        return Ok(doc);
    }
    let (value, format) = verified_value(bytes, origin)?;
    let value = upgrade::upgrade(value, format).map_err(|reason| invalid(origin, reason))?;
    check_kinds(&value).map_err(|reason| invalid(origin, reason))?;
    let mut doc: StateDocument =
        serde_json::from_value(value).map_err(|e| invalid(origin, e.to_string()))?;
    check_keys(&doc).map_err(|reason| invalid(origin, reason))?;
    if format < u64::from(FORMAT_VERSION) {
        // The upgraded document is new content: give it its own checksum.
        seal(&mut doc);
    }
    Ok(doc)
}

/// The serial of a verified document, without building the typed document: what a write needs
/// to know about the state it replaces.
pub fn verified_serial(bytes: &[u8], origin: &Origin) -> Result<u64, StateError> {
    #[derive(serde::Deserialize)]
    struct SerialOnly {
        serial: u64,
    }
    if fast_verified(bytes)
        && let Ok(only) = serde_json::from_slice::<SerialOnly>(bytes)
    {
        return Ok(only.serial);
    }
    let (value, _) = verified_value(bytes, origin)?;
    value
        .get("serial")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid(origin, "its serial is missing".into()))
}

/// Parse and verify the checksum; returns the value and its format_version.
fn verified_value(bytes: &[u8], origin: &Origin) -> Result<(Value, u64), StateError> {
    let corrupt = |reason: String| StateError::Corrupt {
        location: origin.location.clone(),
        reason,
        restore: origin.restore.clone(),
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("it is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(corrupt("it is not a JSON object".to_string()));
    };
    let format = format_version(&map).ok_or_else(|| {
        corrupt("its format_version is missing or not a positive integer".to_string())
    })?;
    if format > u64::from(FORMAT_VERSION) {
        return Err(StateError::TooNew {
            location: origin.location.clone(),
            found: format,
            supported: FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
        });
    }
    let recorded = match map.get("checksum") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(corrupt("its checksum is missing".to_string())),
    };
    let value = Value::Object(map);
    let actual = checksum_of(&value);
    if actual != recorded {
        return Err(corrupt(format!(
            "checksum mismatch: the file says {recorded}, its content hashes to {actual}"
        )));
    }
    Ok((value, format))
}

fn invalid(origin: &Origin, reason: String) -> StateError {
    StateError::Invalid {
        location: origin.location.clone(),
        reason,
    }
}

fn format_version(map: &Map<String, Value>) -> Option<u64> {
    map.get("format_version")?.as_u64().filter(|v| *v >= 1)
}

/// Every resource's `kind` is its key's (the typed reading takes the kind from the key).
fn check_kinds(value: &Value) -> Result<(), String> {
    let Some(resources) = value.get("resources").and_then(Value::as_object) else {
        return Ok(()); // the typed reading reports a missing or malformed `resources`
    };
    for (key, resource) in resources {
        let kind = resource.get("kind").and_then(Value::as_str).unwrap_or("");
        if key.split_once('.').map(|(k, _)| k) != Some(kind) {
            return Err(format!("resource `{key}` has kind `{kind}`"));
        }
    }
    Ok(())
}

/// Every resource is filed under its own address.
fn check_keys(doc: &StateDocument) -> Result<(), String> {
    for (key, resource) in &doc.resources {
        let address = resource.address().to_string();
        if *key != address {
            return Err(format!(
                "resource key `{key}` does not match the resource's address `{address}`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_ignores_layout() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": [1, "x"], "x": null}}"#).unwrap();
        let b = json!({"a": {"x": null, "y": [1, "x"]}, "b": 1, "checksum": "ignored"});
        assert_eq!(
            canonical_bytes(&a),
            br#"{"a":{"x":null,"y":[1,"x"]},"b":1}"#
        );
        assert_eq!(checksum_of(&a), checksum_of(&b));
        assert_ne!(checksum_of(&a), checksum_of(&json!({"b": 2})));
    }

    #[test]
    fn sealed_document_round_trips_and_a_changed_value_is_refused() {
        let mut doc = StateDocument::new();
        doc.serial = 3;
        seal(&mut doc);
        let origin = Origin {
            location: "file t.json".into(),
            restore: "restore t.json.backup".into(),
        };
        let bytes = encode(&doc);
        assert_eq!(decode(&bytes, &origin).unwrap(), doc);
        assert!(
            bytes.starts_with(b"{\"checksum\":\"sha256:"),
            "checksum first"
        );
        // Another layout of the same content takes the general path and still verifies.
        let pretty = serde_json::to_vec_pretty(&doc).unwrap();
        assert_eq!(decode(&pretty, &origin).unwrap(), doc);
        let edited = String::from_utf8(bytes)
            .unwrap()
            .replace("\"serial\":3", "\"serial\":4");
        let err = decode(edited.as_bytes(), &origin).unwrap_err().to_string();
        assert!(
            err.contains("checksum mismatch") && err.contains("t.json.backup"),
            "{err}"
        );
    }
}
