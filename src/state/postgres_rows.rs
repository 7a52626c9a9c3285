//! The PostgreSQL store's rows (schema v4 and v5, see `postgres_schema`): the current state as one row
//! per resource in `wacfg.resources`, and the history in `wacfg.state_history` as a log where
//! each serial holds either a whole document (the first write of a workspace, `state push`,
//! `rm`, `mv`, `recover`, and every serial written before v4) or only the changes of one group
//! commit of an apply (a journal record, see `journal`, its hash in `checksum`).
//!
//! This module owns that SQL: the append of one group (one statement: compare-and-swap of the
//! serial, upserts, removals, history row), bringing the rows in step with a whole document,
//! reading and verifying the rows, and rebuilding any kept serial from the nearest whole
//! document below it and the changes above it. `postgres` decides when each is used.
//!
//! Each row's `checksum` is `sha256:` of the resource's JSON in sorted-key canonical form,
//! computed by wacfg, and since schema v5 the `json` body is that very text: a read hashes the
//! text it receives and compares (a row moved from v4's `jsonb`, whose keys PostgreSQL
//! reordered, is parsed and canonicalised first), so a row edited by hand no longer matches
//! and is refused; and a whole-document write compares checksums to send only the rows that
//! changed. The row count of the current serial is kept in its history row (`resource_count`),
//! so a row deleted or added by hand is refused too.

use std::collections::BTreeMap;

use tokio_postgres::GenericClient;

use super::canonical::{self, Origin};
use super::document::{FORMAT_VERSION, StateDocument};
use super::error::StateError;
use super::journal;
use super::postgres::{Current, PgStore, RFC3339};
use crate::kinds::RecordedResource;
use crate::model::ResourceKind;

/// Insert or replace rows given as four parallel arrays (address, kind, body as text,
/// checksum) for workspace $1 at serial $2. An identical row is left alone (no dead tuple, its
/// serial kept).
const UPSERT: &str = "
INSERT INTO wacfg.resources AS r (workspace, address, kind, serial, body, checksum)
SELECT $1, u.a, u.k, $2, u.b::json, u.c
FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(a, k, b, c)
ON CONFLICT (workspace, address) DO UPDATE
SET kind = EXCLUDED.kind, serial = EXCLUDED.serial, body = EXCLUDED.body,
    checksum = EXCLUDED.checksum
WHERE (r.kind, r.checksum, r.body::text)
      IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.checksum, EXCLUDED.body::text)";

/// One group commit as one statement, so one round trip and one commit: the compare-and-swap
/// of the serial (only from a consistent state whose rows are in step: its serial kept in the
/// history with the same lineage, nothing above it), then, only if it swapped, the rows
/// upserted and removed and the history row holding the changes, its `resource_count` the
/// previous serial's plus the rows inserted minus those removed. Returns whether it swapped.
///
/// $1 workspace, $2 lineage, $3 new serial, $4 expected serial, $5/$6/$7/$13 rows (address,
/// kind, body, checksum), $8 removed addresses, $9 tool version, $10 written at, $11 changes'
/// checksum, $12 changes.
pub(crate) const APPEND: &str = "
WITH cas AS (
    UPDATE wacfg.state SET serial = $3, rows_serial = $3, updated_at = now()
    WHERE workspace = $1 AND serial = $4 AND rows_serial = $4 AND lineage = $2::text::uuid
      AND EXISTS (SELECT 1 FROM wacfg.state_history h WHERE h.workspace = $1
                  AND h.serial = $4 AND h.lineage = $2::text::uuid)
      AND NOT EXISTS (SELECT 1 FROM wacfg.state_history h WHERE h.workspace = $1
                      AND h.serial > $4)
    RETURNING serial
),
up AS (
    INSERT INTO wacfg.resources AS r (workspace, address, kind, serial, body, checksum)
    SELECT $1, u.a, u.k, $3, u.b::json, u.c
    FROM unnest($5::text[], $6::text[], $7::text[], $13::text[]) AS u(a, k, b, c), cas
    ON CONFLICT (workspace, address) DO UPDATE
    SET kind = EXCLUDED.kind, serial = EXCLUDED.serial, body = EXCLUDED.body,
        checksum = EXCLUDED.checksum
    WHERE (r.kind, r.checksum, r.body::text)
          IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.checksum, EXCLUDED.body::text)
    RETURNING (xmax = 0) AS inserted
),
gone AS (
    DELETE FROM wacfg.resources r USING cas
    WHERE r.workspace = $1 AND r.address = ANY($8::text[])
    RETURNING 1
),
hist AS (
    INSERT INTO wacfg.state_history
        (workspace, serial, lineage, tool_version, written_at, resource_count, checksum, changes)
    SELECT $1, $3, $2::text::uuid, $9, $10::text::timestamptz,
           COALESCE((SELECT resource_count FROM wacfg.state_history
                     WHERE workspace = $1 AND serial = $4), 0)
           + (SELECT count(*) FROM up WHERE inserted)::integer
           - (SELECT count(*) FROM gone)::integer,
           $11, $12
    FROM cas
    RETURNING 1
)
SELECT (SELECT count(*) FROM cas) + (SELECT count(*) FROM hist)";

/// Resources as the four parallel arrays of [`UPSERT`] and [`APPEND`].
#[derive(Default)]
pub(crate) struct Rows {
    addresses: Vec<String>,
    kinds: Vec<String>,
    bodies: Vec<String>,
    checksums: Vec<String>,
}

impl Rows {
    fn push(&mut self, address: &str, body: String, checksum: String) {
        self.addresses.push(address.to_string());
        self.kinds.push(kind_of(address).to_string());
        self.bodies.push(body);
        self.checksums.push(checksum);
    }
}

/// A resource's row body, its JSON in sorted-key canonical form, and that text's checksum:
/// the checksum is over the canonical form so that rows moved from v4's `jsonb` (which hands
/// keys back in its own order) verify too, and the body *is* that form so that a read of a row
/// written since v5 checks it by hashing its text as it arrives (`verified_row`).
fn body_of(resource: &RecordedResource) -> (String, String) {
    // Plain data into a Value: serialisation cannot fail.
    let value = serde_json::to_value(resource).unwrap_or_default();
    let bytes = canonical::sorted_bytes(&value);
    let checksum = canonical::sha256_text(&bytes);
    // serde_json writes UTF-8.
    (String::from_utf8(bytes).unwrap_or_default(), checksum)
}

/// The rows of `resources` (keyed by address).
pub(crate) fn rows<'a>(
    resources: impl Iterator<Item = (&'a String, &'a RecordedResource)>,
) -> Rows {
    let mut rows = Rows::default();
    for (address, resource) in resources {
        let (body, checksum) = body_of(resource);
        rows.push(address, body, checksum);
    }
    rows
}

fn kind_of(address: &str) -> &str {
    address.split_once('.').map_or("", |(kind, _)| kind)
}

/// One group commit with `statement`, [`APPEND`] prepared on `client`. `Ok(false)`: the
/// compare-and-swap did not pass.
pub(crate) async fn append<C: GenericClient>(
    client: &C,
    statement: &tokio_postgres::Statement,
    workspace: &str,
    record: &journal::Record,
    expected: i64,
    rows: &Rows,
    removals: &[String],
) -> Result<bool, tokio_postgres::Error> {
    let (changes, checksum) = journal::encode_parts(record);
    let serial = i64::try_from(record.serial).unwrap_or(i64::MAX);
    let row = client
        .query_one(
            statement,
            &[
                &workspace,
                &record.lineage.to_string(),
                &serial,
                &expected,
                &rows.addresses,
                &rows.kinds,
                &rows.bodies,
                &removals,
                &record.tool_version,
                &record.written_at,
                &checksum,
                &changes,
                &rows.checksums,
            ],
        )
        .await?;
    Ok(row.get::<_, i64>(0) == 2)
}

/// Bring the workspace's rows in step with a whole document written as `serial` (inside the
/// transaction that writes it). Rows whose checksum already matches are not sent, rows no
/// longer in the document are removed: a `state rm` of one resource changes one row. `force`
/// (recover, migration) rewrites every row that differs in any way, a damaged one included.
pub(crate) async fn replace_all<C: GenericClient>(
    client: &C,
    workspace: &str,
    serial: i64,
    resources: &BTreeMap<String, RecordedResource>,
    force: bool,
) -> Result<(), tokio_postgres::Error> {
    let existing: BTreeMap<String, String> = client
        .query(
            "SELECT address, checksum FROM wacfg.resources WHERE workspace = $1",
            &[&workspace],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut rows = Rows::default();
    for (address, resource) in resources {
        let (body, checksum) = body_of(resource);
        if force || existing.get(address) != Some(&checksum) {
            rows.push(address, body, checksum);
        }
    }
    if !rows.addresses.is_empty() {
        client
            .execute(
                UPSERT,
                &[
                    &workspace,
                    &serial,
                    &rows.addresses,
                    &rows.kinds,
                    &rows.bodies,
                    &rows.checksums,
                ],
            )
            .await?;
    }
    let gone: Vec<&String> = existing
        .keys()
        .filter(|a| !resources.contains_key(*a))
        .collect();
    if !gone.is_empty() {
        client
            .execute(
                "DELETE FROM wacfg.resources WHERE workspace = $1 AND address = ANY($2::text[])",
                &[&workspace, &gone],
            )
            .await?;
    }
    Ok(())
}

/// The current state from its rows, every row verified: its checksum, its kind and address
/// against its body, its serial not above the current one, and their number the one the
/// current serial's history row recorded. `seal`: compute the document's checksum (not needed
/// to plan from it).
pub(crate) async fn read_current<C: GenericClient>(
    store: &PgStore,
    client: &C,
    current: &Current,
    seal: bool,
) -> Result<StateDocument, StateError> {
    let rows = client
        .query(
            "SELECT address, kind, body::text, checksum, serial FROM wacfg.resources
             WHERE workspace = $1",
            &[&store.workspace],
        )
        .await
        .map_err(store.err("read the resources"))?;
    let corrupt = |reason: String| StateError::Corrupt {
        location: format!(
            "of postgres workspace {} (wacfg.resources, serial {})",
            store.workspace, current.serial
        ),
        reason,
        restore: format!(
            "The history still holds every serial: `wacfg state recover --to-serial {}` \
             rebuilds the rows from it (`wacfg state history` lists the serials kept).",
            current.serial
        ),
    };
    // Verifying 10,000 rows is CPU work: off the async workers, so the apply's read of Meta
    // goes on meanwhile.
    let serial = current.serial;
    let resources = tokio::task::spawn_blocking(move || verified_rows(&rows, serial))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        .map_err(corrupt)?;
    if resources.len() != usize::try_from(current.count).unwrap_or(usize::MAX) {
        return Err(corrupt(format!(
            "it holds {} resource rows, serial {} recorded {}",
            resources.len(),
            current.serial,
            current.count
        )));
    }
    let mut doc = StateDocument {
        format_version: FORMAT_VERSION,
        lineage: current.lineage.parse().unwrap_or_default(),
        serial: current.serial as u64,
        tool_version: current.tool_version.clone(),
        written_at: current.written_at.clone(),
        resources,
        checksum: String::new(),
    };
    if seal {
        canonical::seal(&mut doc);
    }
    Ok(doc)
}

/// Verify and decode resource rows (address, kind, body text, checksum, serial), on both
/// cores for a large state: each row's body is hashed or parsed once (see [`verified_row`])
/// and decoded as its kind. The first bad row (in row order) is the error.
fn verified_rows(
    rows: &[tokio_postgres::Row],
    current_serial: i64,
) -> Result<BTreeMap<String, RecordedResource>, String> {
    // Below this many rows per thread, a second thread costs more than it saves.
    const MIN_PER_THREAD: usize = 2_000;
    let decode =
        |chunk: &[tokio_postgres::Row]| -> Result<Vec<(String, RecordedResource)>, String> {
            chunk
                .iter()
                .map(|row| verified_row(row, current_serial))
                .collect()
        };
    let chunks: Vec<Result<Vec<(String, RecordedResource)>, String>> =
        if rows.len() < 2 * MIN_PER_THREAD {
            vec![decode(rows)]
        } else {
            let half = rows.len().div_ceil(2);
            std::thread::scope(|scope| {
                let first = scope.spawn(|| decode(&rows[..half]));
                let second = decode(&rows[half..]);
                vec![
                    first
                        .join()
                        .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                    second,
                ]
            })
        };
    let mut resources = BTreeMap::new();
    for chunk in chunks {
        resources.extend(chunk?);
    }
    Ok(resources)
}

/// One row, verified: not above the current serial, its body hashing to its checksum, its
/// kind and address those of the body.
fn verified_row(
    row: &tokio_postgres::Row,
    current_serial: i64,
) -> Result<(String, RecordedResource), String> {
    let (address, kind, body, checksum, serial): (String, String, String, String, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    if serial > current_serial {
        return Err(format!(
            "the row of `{address}` was written by serial {serial}, above the current serial"
        ));
    }
    let kind_of_row = ResourceKind::parse(&kind)
        .filter(|_| kind_of(&address) == kind)
        .ok_or_else(|| format!("the row of `{address}` has kind `{kind}`"))?;
    let not_a = |e: serde_json::Error| format!("the row of `{address}` is not a {kind}: {e}");
    // A body wacfg wrote since v5 is its own canonical form: hashing the text verifies every
    // byte of it, and it is decoded straight from the text. Otherwise (a row moved from v4's
    // `jsonb`, or one edited by hand) the body is parsed and its canonical form hashed.
    let resource = if canonical::sha256_text(body.as_bytes()) == checksum {
        let mut de = serde_json::Deserializer::from_str(&body);
        let resource = RecordedResource::deserialize_as(kind_of_row, &mut de).map_err(not_a)?;
        de.end().map_err(not_a)?;
        resource
    } else {
        let value: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| format!("the row of `{address}` is not JSON: {e}"))?;
        let actual = canonical::sorted_checksum(&value);
        if actual != checksum {
            return Err(format!(
                "the row of `{address}` says {checksum}, its body hashes to {actual}"
            ));
        }
        RecordedResource::deserialize_as(kind_of_row, value).map_err(not_a)?
    };
    let own = resource.address().to_string();
    if own != address {
        return Err(format!("the row of `{address}` holds `{own}`"));
    }
    Ok((address, resource))
}

/// Serial `serial` as it was written, rebuilt from the history: the nearest whole document at
/// or below it (verified; none when the workspace was started by an apply's first group),
/// then each later serial's changes (verified, one serial apart, same lineage) in order.
/// `NoSuchSerial` when the history does not hold it.
pub(crate) async fn rebuild<C: GenericClient>(
    store: &PgStore,
    client: &C,
    serial: i64,
) -> Result<StateDocument, StateError> {
    let sql = format!(
        "SELECT serial, lineage::text, tool_version,
                to_char(written_at AT TIME ZONE 'UTC', {RFC3339}), document, changes, checksum
         FROM wacfg.state_history
         WHERE workspace = $1 AND serial <= $2
           AND serial >= COALESCE((SELECT max(serial) FROM wacfg.state_history
                                   WHERE workspace = $1 AND serial <= $2
                                     AND document IS NOT NULL), 0)
         ORDER BY serial"
    );
    let rows = client
        .query(&sql, &[&store.workspace, &serial])
        .await
        .map_err(store.err("read the history"))?;
    if rows.last().map(|r| r.get::<_, i64>(0)) != Some(serial) {
        return Err(StateError::NoSuchSerial {
            workspace: store.workspace.clone(),
            serial: Some(serial as u64),
        });
    }
    let corrupt = |at: i64, reason: String| StateError::Corrupt {
        location: format!(
            "of postgres workspace {} (history serial {at}, rebuilding serial {serial})",
            store.workspace
        ),
        reason,
        restore: "`wacfg state history` lists the serials kept; `wacfg state recover \
                  --to-serial N` makes one that rebuilds the current state."
            .into(),
    };
    let mut base: Option<StateDocument> = None;
    let mut records = Vec::new();
    let mut previous: Option<i64> = None;
    for row in &rows {
        let at: i64 = row.get(0);
        let lineage: String = row.get(1);
        let document: Option<String> = row.get(4);
        match (previous, &document) {
            (Some(p), _) if at != p + 1 => {
                return Err(corrupt(
                    at,
                    format!("serial {} is missing from the history", p + 1),
                ));
            }
            (None, None) if at != 1 => {
                return Err(corrupt(
                    at,
                    format!(
                        "it holds only changes, and no whole document is kept below it (serials \
                         1 to {} are missing)",
                        at - 1
                    ),
                ));
            }
            _ => {}
        }
        previous = Some(at);
        if let Some(text) = document {
            let doc = canonical::decode(text.as_bytes(), &store.origin(at))?;
            if doc.serial != at as u64 || doc.lineage.to_string() != lineage {
                return Err(corrupt(
                    at,
                    format!(
                        "it holds the document of serial {} (lineage {})",
                        doc.serial, doc.lineage
                    ),
                ));
            }
            base = Some(doc);
            continue;
        }
        let changes: String = row.get::<_, Option<String>>(5).unwrap_or_default();
        let checksum: String = row.get(6);
        let record = journal::decode_record(&checksum, changes.as_bytes())
            .map_err(|why| corrupt(at, format!("its changes: {why}")))?;
        if record.serial != at as u64 || record.lineage.to_string() != lineage {
            return Err(corrupt(
                at,
                format!(
                    "its changes are those of serial {} (lineage {})",
                    record.serial, record.lineage
                ),
            ));
        }
        records.push(record);
    }
    if records.is_empty()
        && let Some(doc) = base
    {
        return Ok(doc);
    }
    let lineage = base.as_ref().map(|d| d.lineage);
    if let Some(other) = records
        .iter()
        .find(|r| Some(r.lineage) != lineage && lineage.is_some())
    {
        return Err(corrupt(
            other.serial as i64,
            format!(
                "its changes have lineage {}, the document below has another",
                other.lineage
            ),
        ));
    }
    let refs: Vec<&journal::Record> = records.iter().collect();
    let mut doc = journal::apply(base, &refs).ok_or_else(|| corrupt(serial, "empty".into()))?;
    canonical::seal(&mut doc);
    Ok(doc)
}

/// The data half of migration v4: every workspace's current document, verified, copied into
/// rows. A workspace whose document does not verify (or whose rows disagree with its history)
/// is left as it was: still read from its history document, refused as before, until `wacfg
/// state recover` or a whole write brings its rows in step.
pub(crate) async fn materialize_all<C: GenericClient>(
    client: &C,
) -> Result<(), tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT s.workspace, s.serial, h.document
             FROM wacfg.state s
             JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
                                        AND h.lineage = s.lineage
             WHERE h.document IS NOT NULL",
            &[],
        )
        .await?;
    for row in rows {
        let (workspace, serial, text): (String, i64, String) = (row.get(0), row.get(1), row.get(2));
        let origin = Origin {
            location: String::new(),
            restore: String::new(),
        };
        let Ok(doc) = canonical::decode(text.as_bytes(), &origin) else {
            continue;
        };
        if doc.serial != serial as u64 {
            continue;
        }
        replace_all(client, &workspace, serial, &doc.resources, true).await?;
        client
            .execute(
                "UPDATE wacfg.state SET rows_serial = serial WHERE workspace = $1",
                &[&workspace],
            )
            .await?;
    }
    Ok(())
}

/// Schema v5's data move: each row whose `jsonb`-era body verifies gets its canonical text as
/// its body (its checksum unchanged), so reads verify it by hashing the text. A row that does
/// not verify is left as it is, for the read to refuse as before.
pub(crate) async fn canonicalise_all<C: GenericClient>(
    client: &C,
) -> Result<(), tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT workspace, address, body::text, checksum FROM wacfg.resources",
            &[],
        )
        .await?;
    let (mut workspaces, mut addresses, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        let (body, checksum): (&str, &str) = (row.get(2), row.get(3));
        let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
            continue;
        };
        let canonical = canonical::sorted_bytes(&value);
        if canonical::sha256_text(&canonical) != checksum || canonical == body.as_bytes() {
            continue;
        }
        workspaces.push(row.get::<_, &str>(0));
        addresses.push(row.get::<_, &str>(1));
        bodies.push(String::from_utf8(canonical).unwrap_or_default());
    }
    if !addresses.is_empty() {
        client
            .execute(
                "UPDATE wacfg.resources r SET body = u.b::json
                 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(w, a, b)
                 WHERE r.workspace = u.w AND r.address = u.a",
                &[&workspaces, &addresses, &bodies],
            )
            .await?;
    }
    Ok(())
}
