//! The local store's journal (`<state>.journal`): the changes of each group commit of an apply,
//! appended beside the checksummed snapshot so that a write costs the size of its changes, not
//! of the estate. Encoding, decoding and folding only; the file I/O is in `local`.
//!
//! One record per line: `sha256:<hex> <json>\n`, the hash over the JSON bytes. A record carries
//! the lineage and the serial it makes current (one serial per group, so a saved plan's pin and
//! the compare-and-swap work as with whole-document writes), when and by which version it was
//! written, and the resources it upserts and removes (keyed by address).
//!
//! The state is the snapshot with the journal's records above its serial applied in order.
//! Records at or below the snapshot's serial were already folded (a crash between the
//! snapshot's rename and the journal's removal leaves them) and are skipped. Appends are
//! sequential and each is fsync'd before the next starts, so a crash can only tear the last
//! record: a last line without its newline or whose hash does not match is dropped (it was
//! never reported durable). Any other bad record is corruption and is refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::document::{FORMAT_VERSION, StateDocument, resources_by_key};
use crate::kinds::RecordedResource;

/// One group commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub lineage: Uuid,
    /// The serial this record makes current: the previous one + 1.
    pub serial: u64,
    pub tool_version: String,
    pub written_at: String,
    /// Resources written or replaced, keyed by address text.
    #[serde(deserialize_with = "resources_by_key")]
    pub upserts: BTreeMap<String, RecordedResource>,
    /// Addresses removed.
    pub removals: Vec<String>,
}

/// The record's line: `sha256:<hex> <json>\n`.
pub fn encode(record: &Record) -> Vec<u8> {
    // Plain data into a Vec: serialisation cannot fail.
    let json = serde_json::to_vec(record).unwrap_or_default();
    let mut line = Vec::with_capacity(json.len() + 73);
    line.extend_from_slice(b"sha256:");
    line.extend_from_slice(hex::encode(Sha256::digest(&json)).as_bytes());
    line.push(b' ');
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

/// The records of a journal and how many of its bytes are valid.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<Record>,
    /// Bytes up to the end of the last valid record: where the next append starts.
    pub valid_len: u64,
    /// A torn last record was dropped.
    pub torn: bool,
}

/// Decode a journal. Errors (corruption that a crash cannot cause) say which record and why.
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut offset = 0usize;
    let mut number = 0usize;
    while offset < bytes.len() {
        number += 1;
        let rest = &bytes[offset..];
        let Some(end) = rest.iter().position(|b| *b == b'\n') else {
            // No newline: the last append was cut short by a crash.
            parsed.torn = true;
            break;
        };
        let line = &rest[..end];
        let last = offset + end + 1 == bytes.len();
        match decode_line(line) {
            Ok(record) => parsed.records.push(record),
            // A complete last line that fails its hash: written but not all of it reached the
            // disk before the crash (the fsync that would have made it durable never returned).
            Err(_) if last => {
                parsed.torn = true;
                break;
            }
            Err(why) => return Err(format!("record {number} (byte {offset}): {why}")),
        }
        offset += end + 1;
        parsed.valid_len = offset as u64;
    }
    Ok(parsed)
}

/// One record from its JSON and its `sha256:<hex>` (how PostgreSQL's history keeps a group's
/// changes): verified and checked like a journal line.
pub fn decode_record(checksum: &str, json: &[u8]) -> Result<Record, String> {
    let mut line = Vec::with_capacity(checksum.len() + 1 + json.len());
    line.extend_from_slice(checksum.as_bytes());
    line.push(b' ');
    line.extend_from_slice(json);
    decode_line(&line)
}

/// The record's JSON and its `sha256:<hex>`, the two halves of [`encode`]'s line.
pub fn encode_parts(record: &Record) -> (String, String) {
    // Plain data into a String: serialisation cannot fail.
    let json = serde_json::to_string(record).unwrap_or_default();
    let checksum = format!("sha256:{}", hex::encode(Sha256::digest(json.as_bytes())));
    (json, checksum)
}

fn decode_line(line: &[u8]) -> Result<Record, String> {
    let (hash, json) = line
        .strip_prefix(b"sha256:")
        .and_then(|l| (l.len() > 65 && l[64] == b' ').then(|| (&l[..64], &l[65..])))
        .ok_or("it does not start with `sha256:<hex> `")?;
    let actual = hex::encode(Sha256::digest(json));
    if actual.as_bytes() != hash {
        return Err(format!(
            "checksum mismatch: it says sha256:{}, its content hashes to sha256:{actual}",
            String::from_utf8_lossy(hash)
        ));
    }
    let record: Record =
        serde_json::from_slice(json).map_err(|e| format!("it is not a journal record: {e}"))?;
    for (key, resource) in &record.upserts {
        let address = resource.address().to_string();
        if *key != address {
            return Err(format!(
                "resource key `{key}` does not match the resource's address `{address}`"
            ));
        }
    }
    Ok(record)
}

/// The records above the snapshot's serial, checked to follow it: same lineage, serials one
/// apart. Returns them in order.
pub fn pending(snapshot: Option<(Uuid, u64)>, records: &[Record]) -> Result<Vec<&Record>, String> {
    let base = snapshot.map_or(0, |(_, serial)| serial);
    let mut lineage = snapshot.map(|(lineage, _)| lineage);
    let mut out = Vec::new();
    for (expected, record) in (base + 1..).zip(records.iter().filter(|r| r.serial > base)) {
        if record.serial != expected {
            return Err(format!(
                "journal record for serial {} does not follow serial {}",
                record.serial,
                expected - 1
            ));
        }
        match lineage {
            Some(l) if l != record.lineage => {
                return Err(format!(
                    "journal record for serial {} has lineage {}, the state has {l}",
                    record.serial, record.lineage
                ));
            }
            _ => lineage = Some(record.lineage),
        }
        out.push(record);
    }
    Ok(out)
}

/// The snapshot with `records` (from [`pending`]) applied; `None` when there is neither. The
/// result is not sealed: its checksum is left for the caller to compute.
pub fn apply(snapshot: Option<StateDocument>, records: &[&Record]) -> Option<StateDocument> {
    let Some(first) = records.first() else {
        return snapshot;
    };
    let mut doc = snapshot.unwrap_or_else(|| StateDocument {
        lineage: first.lineage,
        ..StateDocument::new()
    });
    for record in records {
        for (key, resource) in &record.upserts {
            doc.resources.insert(key.clone(), resource.clone());
        }
        for key in &record.removals {
            doc.resources.remove(key);
        }
        doc.serial = record.serial;
        doc.tool_version.clone_from(&record.tool_version);
        doc.written_at.clone_from(&record.written_at);
    }
    doc.format_version = FORMAT_VERSION;
    Some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::credentials::RecordedCredentials;

    fn record(serial: u64, lineage: Uuid, name: &str) -> Record {
        let creds: RecordedCredentials = serde_json::from_value(serde_json::json!({
            "name": name, "business_id": "1", "waba_id": "2", "phone_number": "15550100001",
            "phone_number_id": "3", "display_phone_number": "+1 555-010-0001",
            "verified_name": "Acme", "token_fingerprint": "sha256:00", "token_expires_at": null,
            "quality_rating": null, "throughput_level": null, "messaging_limit": null,
            "number_status": null, "name_status": null, "account_review_status": null,
            "observed_at": 0
        }))
        .unwrap();
        let creds = RecordedResource::Credentials(creds);
        Record {
            lineage,
            serial,
            tool_version: "0.0.0".into(),
            written_at: "2026-12-01T00:00:00Z".into(),
            upserts: BTreeMap::from([(creds.address().to_string(), creds)]),
            removals: vec![],
        }
    }

    #[test]
    fn records_round_trip_and_a_torn_last_record_is_dropped() {
        let l = Uuid::new_v4();
        let mut bytes = encode(&record(1, l, "a"));
        bytes.extend(encode(&record(2, l, "b")));
        let whole = parse(&bytes).unwrap();
        assert_eq!(whole.records.len(), 2);
        assert!(!whole.torn);
        assert_eq!(whole.valid_len, bytes.len() as u64);
        // Cut anywhere inside the second record: the first stays, the second is dropped.
        let first_len = encode(&record(1, l, "a")).len();
        for cut in first_len + 1..bytes.len() {
            let parsed = parse(&bytes[..cut]).unwrap();
            assert_eq!(parsed.records.len(), 1, "cut at {cut}");
            assert!(parsed.torn);
            assert_eq!(parsed.valid_len, first_len as u64);
        }
    }

    #[test]
    fn a_damaged_record_before_the_last_is_corruption() {
        let l = Uuid::new_v4();
        let mut bytes = encode(&record(1, l, "a"));
        bytes.extend(encode(&record(2, l, "b")));
        bytes[90] ^= 1;
        let err = parse(&bytes).unwrap_err();
        assert!(err.starts_with("record 1 (byte 0):"), "{err}");
        // The same damage in the last record is a torn write.
        let mut last = encode(&record(1, l, "a"));
        last[90] ^= 1;
        assert!(parse(&last).unwrap().torn);
    }

    #[test]
    fn pending_skips_folded_records_and_refuses_gaps_and_other_lineages() {
        let l = Uuid::new_v4();
        let records = vec![record(4, l, "a"), record(5, l, "b"), record(6, l, "c")];
        let p = pending(Some((l, 4)), &records).unwrap();
        assert_eq!(p.iter().map(|r| r.serial).collect::<Vec<_>>(), [5, 6]);
        assert!(pending(Some((l, 6)), &records).unwrap().is_empty());
        assert!(
            pending(Some((l, 2)), &records)
                .unwrap_err()
                .contains("serial 4")
        );
        let other = Uuid::new_v4();
        assert!(
            pending(Some((other, 4)), &records)
                .unwrap_err()
                .contains("lineage")
        );
        let doc = apply(None, &pending(None, &[record(1, l, "a")]).unwrap()).unwrap();
        assert_eq!((doc.lineage, doc.serial, doc.resources.len()), (l, 1, 1));
    }
}
