//! The state document: what wacfg manages, with the lineage/serial pair that orders its versions
//! and the checksum that detects corruption or hand edits. Plain data, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::kinds::RecordedResource;
use crate::model::Address;

/// The format this wacfg writes. Older formats are upgraded on read (see `upgrade`).
pub const FORMAT_VERSION: u32 = 2;

/// One version of the state. Field order is the order in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    pub format_version: u32,
    /// Fixed when the state is created; a state with another lineage is another state.
    pub lineage: Uuid,
    /// +1 on every write; 0 for a document never written.
    pub serial: u64,
    /// The wacfg version that wrote this serial.
    pub tool_version: String,
    /// When this serial was written (RFC 3339, UTC).
    pub written_at: String,
    /// Keyed by address text: `credentials.<name>`, `channel_configuration.<name>`.
    #[serde(deserialize_with = "resources_by_key")]
    pub resources: BTreeMap<String, RecordedResource>,
    /// `sha256:<hex>` over the canonical serialisation of every other field.
    pub checksum: String,
}

/// What one group commit changes in a state: resources upserted (keyed by address text) and
/// addresses removed. What the stores write per group instead of the whole document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceChanges {
    pub upserts: BTreeMap<String, RecordedResource>,
    pub removals: Vec<String>,
}

/// The identity of one state version: what a saved plan pins so that applying it against a
/// state that moved on is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateRef {
    pub lineage: Uuid,
    pub serial: u64,
}

impl std::fmt::Display for StateRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lineage {} serial {}", self.lineage, self.serial)
    }
}

/// One past serial, for `wacfg state history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub serial: u64,
    pub written_at: String,
    pub tool_version: String,
    pub resource_count: usize,
}

impl StateDocument {
    /// A new, empty, never-written state with a fresh lineage.
    pub fn new() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            lineage: Uuid::new_v4(),
            serial: 0,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            written_at: String::new(),
            resources: BTreeMap::new(),
            checksum: String::new(),
        }
    }

    pub fn state_ref(&self) -> StateRef {
        StateRef {
            lineage: self.lineage,
            serial: self.serial,
        }
    }

    pub fn get(&self, address: &Address) -> Option<&RecordedResource> {
        self.resources.get(&address.to_string())
    }

    /// Insert or replace a resource under its own address.
    pub fn upsert(&mut self, resource: RecordedResource) {
        self.resources
            .insert(resource.address().to_string(), resource);
    }

    pub fn remove(&mut self, address: &Address) -> Option<RecordedResource> {
        self.resources.remove(&address.to_string())
    }

    /// Resources in dependency order (credentials first), as typed addresses.
    pub fn iter_ordered(&self) -> Vec<(Address, &RecordedResource)> {
        let mut all: Vec<_> = self.resources.values().map(|r| (r.address(), r)).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    pub fn history_entry(&self) -> HistoryEntry {
        HistoryEntry {
            serial: self.serial,
            written_at: self.written_at.clone(),
            tool_version: self.tool_version.clone(),
            resource_count: self.resources.len(),
        }
    }
}

impl Default for StateDocument {
    fn default() -> Self {
        Self::new()
    }
}

/// Now, RFC 3339 in UTC to the second: `2026-11-25T09:12:03Z`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Read `resources` choosing each entry's type from its key's kind. serde's internally tagged
/// enums buffer every entry into an intermediate tree to find the tag first; this reads each
/// entry once, which matters for a large state. The entries' own `kind` is checked against
/// their key by `canonical::decode` wherever the bytes are not already verified as wacfg's own.
pub(crate) fn resources_by_key<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, RecordedResource>, D::Error> {
    deserializer.deserialize_map(ResourcesVisitor)
}

struct ResourcesVisitor;

impl<'de> serde::de::Visitor<'de> for ResourcesVisitor {
    type Value = BTreeMap<String, RecordedResource>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object of resources keyed by address")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let kind = key
                .split_once('.')
                .and_then(|(kind, _)| crate::model::ResourceKind::parse(kind));
            let Some(kind) = kind else {
                return Err(serde::de::Error::custom(format!(
                    "`{key}` is not a resource address"
                )));
            };
            let resource = map.next_value_seed(KindSeed(kind))?;
            out.insert(key, resource);
        }
        Ok(out)
    }
}

/// Reads one resource as the kind its key names.
struct KindSeed(crate::model::ResourceKind);

impl<'de> serde::de::DeserializeSeed<'de> for KindSeed {
    type Value = RecordedResource;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        RecordedResource::deserialize_as(self.0, d)
    }
}
