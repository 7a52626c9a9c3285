//! The checksum, and the encoding and verified decoding of a state document.
//!
//! Format 2 (current): the checksum is `sha256:<hex>` of the document's compact JSON without
//! its `checksum` member, fields in the order wacfg writes them (the schema's order; resources
//! by address). wacfg writes `{"checksum":"sha256:<hex>",<the rest>}` and a newline, so the
//! hashed bytes are `{` + `<the rest>`: anyone can verify a file by hashing its bytes, and a
//! read does exactly that, without re-serialising (which keeps a 10,000-resource state within
//! its time budget). A file laid out otherwise (reformatted by hand) is read, re-serialised in
//! that order and verified the same way.
//!
//! Format 1 checksums were over the canonical form of the JSON value: every object's keys
//! sorted by their UTF-8 bytes, no whitespace ([`checksum_of`]); format 1 files are verified
//! that way, then upgraded.

use serde::Serialize;
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

/// Write the sorted-key canonical form of `value`; top-level keys in `skip` are left out.
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
                let _ = serde_json::to_writer(&mut *out, key);
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
        // Strings, numbers, booleans and null print the same whatever their source text was.
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

/// The sorted-key canonical bytes of a document value, without its checksum (format 1).
pub fn canonical_bytes(document: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    write_canonical(document, &["checksum"], &mut out);
    out
}

/// The format 1 checksum: `sha256:<hex>` of [`canonical_bytes`].
pub fn checksum_of(document: &Value) -> String {
    sha256_text(&canonical_bytes(document))
}

/// `sha256:<hex>` of any value's sorted-key canonical bytes (nothing left out): the same for
/// every key order a store hands the value back in (PostgreSQL's `jsonb` reorders keys).
pub fn sorted_checksum(value: &Value) -> String {
    sha256_text(&sorted_bytes(value))
}

/// A value's sorted-key canonical JSON (nothing left out): the text [`sorted_checksum`] hashes.
pub fn sorted_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_canonical(value, &[], &mut out);
    out
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_text(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The document without its checksum, fields in `StateDocument` order.
#[derive(Serialize)]
struct Body<'a> {
    format_version: u32,
    lineage: &'a uuid::Uuid,
    serial: u64,
    tool_version: &'a str,
    written_at: &'a str,
    resources: &'a std::collections::BTreeMap<String, crate::kinds::RecordedResource>,
}

/// The hashed bytes: the compact JSON of everything but the checksum.
fn body_bytes(doc: &StateDocument) -> Vec<u8> {
    let body = Body {
        format_version: doc.format_version,
        lineage: &doc.lineage,
        serial: doc.serial,
        tool_version: &doc.tool_version,
        written_at: &doc.written_at,
        resources: &doc.resources,
    };
    // Plain data into a Vec: serialisation cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// `{"checksum":"…",` + the body after its `{`, and a newline.
fn splice(checksum: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(body.len() + 96);
    bytes.extend_from_slice(b"{\"checksum\":");
    let _ = serde_json::to_writer(&mut bytes, checksum);
    bytes.push(b',');
    bytes.extend_from_slice(&body[1..]);
    bytes.push(b'\n');
    bytes
}

/// Set the document's checksum from its content.
pub fn seal(doc: &mut StateDocument) {
    doc.checksum = sha256_text(&body_bytes(doc));
}

/// Set the document's checksum and return the bytes to store. One serialisation serves both.
pub fn seal_and_encode(doc: &mut StateDocument) -> Vec<u8> {
    let body = body_bytes(doc);
    doc.checksum = sha256_text(&body);
    splice(&doc.checksum, &body)
}

/// The bytes of a document as stored, with the checksum it carries.
pub fn encode(doc: &StateDocument) -> Vec<u8> {
    splice(&doc.checksum, &body_bytes(doc))
}

const FAST_PREFIX: &[u8] = b"{\"checksum\":\"sha256:";

/// For bytes laid out as wacfg writes them: whether their hash matches (and the hash found).
/// `None` for any other layout.
fn fast_check(bytes: &[u8]) -> Option<Result<(), String>> {
    let hex_end = FAST_PREFIX.len() + 64;
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if body.len() < hex_end + 3
        || !body.starts_with(FAST_PREFIX)
        || &body[hex_end..hex_end + 2] != b"\","
    {
        return None;
    }
    let mut hasher = Sha256::new();
    hasher.update(b"{");
    hasher.update(&body[hex_end + 2..]);
    let actual = hex::encode(hasher.finalize());
    let recorded = &body[FAST_PREFIX.len()..hex_end];
    Some(if actual.as_bytes() == recorded {
        Ok(())
    } else {
        Err(format!(
            "checksum mismatch: the file says sha256:{}, its content hashes to sha256:{actual}",
            String::from_utf8_lossy(recorded)
        ))
    })
}

fn corrupt(origin: &Origin, reason: String) -> StateError {
    StateError::Corrupt {
        location: origin.location.clone(),
        reason,
        restore: origin.restore.clone(),
    }
}

/// Verify the checksum, upgrade older formats and type-check a state document.
pub fn decode(bytes: &[u8], origin: &Origin) -> Result<StateDocument, StateError> {
    // Hashing the bytes and parsing them are independent: on a large state each takes tens of
    // milliseconds, so the hash runs on another thread while this one parses. Nothing parsed
    // is returned unless the hash matched.
    let (check, parsed) = std::thread::scope(|scope| {
        let hash = scope.spawn(|| fast_check(bytes));
        let parsed = serde_json::from_slice::<StateDocument>(bytes);
        let check = hash
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (check, parsed)
    });
    match check {
        Some(Err(reason)) => return Err(corrupt(origin, reason)),
        Some(Ok(())) => {
            if let Ok(doc) = parsed
                && doc.format_version == FORMAT_VERSION
            {
                check_keys(&doc).map_err(|reason| invalid(origin, reason))?;
                return Ok(doc);
            }
        }
        None => {}
    }
    decode_any_layout(bytes, origin)
}

/// The serial of a verified document: what a write needs to know about the state it replaces.
pub fn verified_serial(bytes: &[u8], origin: &Origin) -> Result<u64, StateError> {
    #[derive(serde::Deserialize)]
    struct SerialOnly {
        serial: u64,
    }
    match fast_check(bytes) {
        Some(Err(reason)) => Err(corrupt(origin, reason)),
        Some(Ok(())) => match serde_json::from_slice::<SerialOnly>(bytes) {
            Ok(only) => Ok(only.serial),
            Err(_) => decode(bytes, origin).map(|d| d.serial),
        },
        None => decode_any_layout(bytes, origin).map(|d| d.serial),
    }
}

/// The general path: parse, check the format, verify, upgrade, type-check.
fn decode_any_layout(bytes: &[u8], origin: &Origin) -> Result<StateDocument, StateError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(origin, format!("it is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(corrupt(origin, "it is not a JSON object".to_string()));
    };
    let format = format_version(&map).ok_or_else(|| {
        corrupt(
            origin,
            "its format_version is missing or not a positive integer".to_string(),
        )
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
        _ => return Err(corrupt(origin, "its checksum is missing".to_string())),
    };
    let value = Value::Object(map);
    if format < u64::from(FORMAT_VERSION) {
        verify(&recorded, checksum_of(&value), origin)?;
    }
    let value = upgrade::upgrade(value, format).map_err(|reason| invalid(origin, reason))?;
    check_kinds(&value).map_err(|reason| invalid(origin, reason))?;
    let mut doc: StateDocument = serde_json::from_value(value).map_err(|e| {
        // Unverified yet: a document that does not even type-check is as good as corrupt.
        corrupt(origin, format!("it is not a state document: {e}"))
    })?;
    if format == u64::from(FORMAT_VERSION) {
        verify(&recorded, sha256_text(&body_bytes(&doc)), origin)?;
    }
    check_keys(&doc).map_err(|reason| invalid(origin, reason))?;
    if format < u64::from(FORMAT_VERSION) {
        // The upgraded document is new content: give it its own checksum.
        seal(&mut doc);
    }
    Ok(doc)
}

fn verify(recorded: &str, actual: String, origin: &Origin) -> Result<(), StateError> {
    if recorded == actual {
        return Ok(());
    }
    Err(corrupt(
        origin,
        format!("checksum mismatch: the file says {recorded}, its content hashes to {actual}"),
    ))
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
