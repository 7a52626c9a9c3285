//! The PostgreSQL store: schema `wacfg` (see `postgres_schema`), one `wacfg.state` row per
//! workspace pointing at its current serial in the insert-only `wacfg.state_history`, and its
//! current resources as rows in `wacfg.resources` (see `postgres_rows`).
//!
//! - An apply's group commit (`append`) is one statement: compare-and-swap of the serial on
//!   `wacfg.state`, the group's rows upserted and removed, and a history row holding only the
//!   group's changes. It costs the size of the changes, not of the state.
//! - A whole-document write (`write`: first write, `state push`/`rm`/`mv`; and `recover`) is one
//!   transaction: compare-and-swap, the rows brought in step (only those that differ change),
//!   the document inserted into the history. Past serials are never updated, so a corrupt
//!   serial is never overwritten either; any of them is rebuilt from the nearest whole document
//!   below it and the changes above it (`read_serial`, `recover`).
//! - `read` takes the current serial's whole document when it has one, else the rows (each
//!   verified); `docs/state-writes.md` has the crash analysis.
//! - The lock is a session advisory lock on a dedicated connection, keyed by the first 8 bytes
//!   of SHA-256 of the workspace name: the server frees it when the process or its connection
//!   dies. Who holds it is written to `wacfg.locks`, trusted only while that row's backend
//!   still holds the advisory lock (checked in `pg_locks`).
//! - Reads and writes check that `wacfg.state` and `wacfg.state_history` agree (see
//!   [`PgStore::inspect`]); `recover` is the way out when they do not.
//! - TLS and its verification come from the connection string (see `postgres_tls`).
//! - The connection string may hold a password: it is never printed, and every error message
//!   passes through [`redact`].

use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tokio_postgres::{Client, GenericClient};

use super::canonical::{self, Origin};
use super::document::{HistoryEntry, ResourceChanges, StateDocument, StateRef, now_rfc3339};
use super::error::StateError;
use super::{journal, postgres_rows, postgres_schema, postgres_tls};

/// `to_char` format for RFC 3339 in UTC.
/// The highest serial the `bigint` columns hold.
pub(crate) const MAX_SERIAL: u64 = i64::MAX as u64;

pub(crate) const RFC3339: &str = r#"'YYYY-MM-DD"T"HH24:MI:SS"Z"'"#;

pub struct PgStore {
    pub(crate) client: Mutex<Client>,
    /// Kept to open lock connections; never printed.
    pub(crate) conn: String,
    pub(crate) workspace: String,
    pub(crate) key: i64,
    /// The group-commit statement, prepared once per connection: parsing and planning it
    /// again for each of an apply's groups cost as much as its commit.
    append_statement: std::sync::Mutex<Option<tokio_postgres::Statement>>,
}

/// The advisory-lock key of a name: the first 8 bytes of its SHA-256, big-endian.
pub fn advisory_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Remove the connection string and its password from a message.
pub fn redact(message: &str, conn: &str) -> String {
    let mut out = message.replace(conn, "<connection string>");
    for secret in password_of(conn) {
        if !secret.is_empty() {
            out = out.replace(&secret, "***");
        }
    }
    out
}

/// The password in a URL (`postgres://u:p@h/db`) or key=value (`password=p`) connection string,
/// raw and percent-decoded.
fn password_of(conn: &str) -> Vec<String> {
    if conn.contains("://") {
        let Ok(url) = url::Url::parse(conn) else {
            return Vec::new();
        };
        let Some(raw) = url.password() else {
            return Vec::new();
        };
        let decoded = percent_decode(raw);
        return vec![raw.to_string(), decoded];
    }
    conn.split_whitespace()
        .filter_map(|part| part.strip_prefix("password="))
        .map(|p| p.trim_matches('\'').to_string())
        .collect()
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("p={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The whole cause chain of a driver error, redacted.
fn error_text(err: &tokio_postgres::Error, conn: &str) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    redact(&text, conn)
}

impl PgStore {
    /// Connect and bring the schema up to date.
    pub async fn connect(conn: &str, workspace: &str) -> Result<Self, StateError> {
        if workspace.trim().is_empty() {
            return Err(StateError::Postgres {
                workspace: workspace.to_string(),
                action: "open the store",
                message: "the workspace name is empty: set state.workspace".into(),
            });
        }
        let mut client = open_connection(conn, workspace).await?;
        let newer = postgres_schema::migrate(&mut client)
            .await
            .map_err(|e| pg_error(workspace, "create or migrate the wacfg schema", &e, conn))?;
        if let Some(version) = newer {
            return Err(StateError::Postgres {
                workspace: workspace.to_string(),
                action: "open the store",
                message: format!(
                    "the wacfg schema is at version {version}, written by a newer wacfg (this \
                     one knows versions up to {}): run that wacfg or a newer one; this one \
                     changes nothing",
                    postgres_schema::LATEST
                ),
            });
        }
        Ok(Self {
            client: Mutex::new(client),
            conn: conn.to_string(),
            workspace: workspace.to_string(),
            key: advisory_key(workspace),
            append_statement: std::sync::Mutex::new(None),
        })
    }

    /// Create or migrate the `wacfg` schema of `conn` up to version `upto` only, as an earlier
    /// wacfg left it: for the migration tests.
    #[doc(hidden)]
    pub async fn migrate_schema_to(conn: &str, upto: i32) -> Result<(), StateError> {
        let mut client = open_connection(conn, "migration").await?;
        postgres_schema::migrate_to(&mut client, upto)
            .await
            .map(|_| ())
            .map_err(|e| pg_error("migration", "migrate the wacfg schema", &e, conn))
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    pub(crate) fn err(
        &self,
        action: &'static str,
    ) -> impl Fn(tokio_postgres::Error) -> StateError + '_ {
        move |e| pg_error(&self.workspace, action, &e, &self.conn)
    }

    /// The current state, refused when `wacfg.state` and `wacfg.state_history` disagree
    /// (see [`PgStore::inspect`]): an inconsistent workspace never reads as "no state yet".
    pub async fn read(&self) -> Result<Option<StateDocument>, StateError> {
        let client = self.client.lock().await;
        self.read_on(&*client).await
    }

    /// [`PgStore::read`] for planning: a state read from its rows is not sealed (its
    /// `checksum` is empty); every row is verified all the same.
    pub async fn read_unsealed(&self) -> Result<Option<StateDocument>, StateError> {
        let client = self.client.lock().await;
        self.read_sealing(&*client, false).await
    }

    /// [`PgStore::read`] on `client` (a transaction, for `recover`). The current serial's whole
    /// document when it has one (verified as a document); else the rows, each verified; else
    /// (rows not in step with a serial that holds only changes) the serial rebuilt from the
    /// history.
    pub(crate) async fn read_on<C: GenericClient>(
        &self,
        client: &C,
    ) -> Result<Option<StateDocument>, StateError> {
        self.read_sealing(client, true).await
    }

    async fn read_sealing<C: GenericClient>(
        &self,
        client: &C,
        seal: bool,
    ) -> Result<Option<StateDocument>, StateError> {
        let Some(current) = self.inspect(client).await? else {
            return Ok(None);
        };
        let Some(text) = &current.text else {
            let doc = if current.rows {
                postgres_rows::read_current(self, client, &current, seal).await?
            } else {
                postgres_rows::rebuild(self, client, current.serial).await?
            };
            return Ok(Some(doc));
        };
        let doc = canonical::decode(text.as_bytes(), &self.origin(current.serial))?;
        let serial = current.serial as u64;
        if doc.serial != serial {
            return Err(self.inconsistent(
                format!(
                    "serial {serial} holds the document of serial {} (history rows were changed \
                     by hand)",
                    doc.serial
                ),
                "Run `wacfg state history` to see the serials kept, then `wacfg state recover \
                 --to-serial N` with the one to make current."
                    .into(),
            ));
        }
        if doc.lineage.to_string() != current.lineage {
            return Err(self.inconsistent(
                format!(
                    "serial {serial}'s document has lineage {} but its rows say {}",
                    doc.lineage, current.lineage
                ),
                recover_to(serial),
            ));
        }
        Ok(Some(doc))
    }

    /// Serial `serial` as it was written, rebuilt from the history (verified); `NoSuchSerial`
    /// when the history does not hold it.
    pub async fn read_serial(&self, serial: u64) -> Result<StateDocument, StateError> {
        let client = self.client.lock().await;
        postgres_rows::rebuild(self, &*client, to_i64(serial)).await
    }

    /// What `wacfg.state` points at, checked against the history: `None` when the workspace
    /// has neither a state row nor history; an `Inconsistent` error, naming the `wacfg state
    /// recover` command to run, when the state row is missing but history exists, when its
    /// serial is not in the history, when the history holds serials above it (the next write
    /// would collide with them), or when the lineages differ.
    pub(crate) async fn inspect<C: GenericClient>(
        &self,
        client: &C,
    ) -> Result<Option<Current>, StateError> {
        let row = client
            .query_one(
                &format!(
                    "SELECT s.serial, s.lineage::text, h.serial, h.lineage::text, h.document,
                        (SELECT max(serial) FROM wacfg.state_history WHERE workspace = $1),
                        s.rows_serial, h.resource_count, h.tool_version,
                        to_char(h.written_at AT TIME ZONE 'UTC', {RFC3339})
                 FROM (SELECT 1) AS one
                 LEFT JOIN wacfg.state s ON s.workspace = $1
                 LEFT JOIN wacfg.state_history h ON h.workspace = $1 AND h.serial = s.serial"
                ),
                &[&self.workspace],
            )
            .await
            .map_err(self.err("read the state"))?;
        let state: Option<i64> = row.get(0);
        let state_lineage: Option<String> = row.get(1);
        let kept: Option<i64> = row.get(2);
        let kept_lineage: Option<String> = row.get(3);
        let latest: Option<i64> = row.get(5);
        let Some(serial) = state else {
            return match latest {
                None => Ok(None),
                Some(latest) => Err(self.inconsistent(
                    format!(
                        "there is no current-state row in wacfg.state, but the history holds \
                         serials up to {latest}"
                    ),
                    recover_latest(latest),
                )),
            };
        };
        if kept.is_none() {
            let (problem, fix) = match latest {
                Some(latest) => (
                    format!(
                        "the current serial {serial} is not in the history (wacfg.state_history \
                         holds serials up to {latest})"
                    ),
                    recover_latest(latest),
                ),
                None => (
                    format!("the current serial {serial} is not in the history, which is empty"),
                    "No serial is kept to recover from: push a state saved with `wacfg state \
                     pull` into a new workspace (`wacfg state push FILE`)."
                        .into(),
                ),
            };
            return Err(self.inconsistent(problem, fix));
        }
        if let Some(latest) = latest.filter(|latest| *latest > serial) {
            return Err(self.inconsistent(
                format!(
                    "the history holds serials above the current serial {serial} (up to \
                     {latest}): wacfg.state was moved back by hand, and the next write would \
                     collide with serial {}",
                    serial + 1
                ),
                format!(
                    "To keep serial {serial} as the current state, run `wacfg state recover \
                     --to-serial {serial}`; to return to the newest, run `wacfg state recover \
                     --latest`. Either writes a new serial ({}) and keeps every past one.",
                    latest + 1
                ),
            ));
        }
        let (state_lineage, kept_lineage) = (
            state_lineage.unwrap_or_default(),
            kept_lineage.unwrap_or_default(),
        );
        if state_lineage != kept_lineage {
            return Err(self.inconsistent(
                format!(
                    "wacfg.state says lineage {state_lineage} but serial {serial} in the history \
                     has lineage {kept_lineage}"
                ),
                recover_to(serial as u64),
            ));
        }
        Ok(Some(Current {
            serial,
            lineage: state_lineage,
            text: row.get(4),
            rows: row.get::<_, Option<i64>>(6) == Some(serial),
            count: row.get::<_, Option<i32>>(7).unwrap_or(0),
            tool_version: row.get::<_, Option<String>>(8).unwrap_or_default(),
            written_at: row.get::<_, Option<String>>(9).unwrap_or_default(),
        }))
    }

    fn inconsistent(&self, problem: String, fix: String) -> StateError {
        StateError::Inconsistent {
            workspace: self.workspace.clone(),
            problem,
            fix,
        }
    }

    pub(crate) fn origin(&self, serial: i64) -> Origin {
        let restore = if serial > 1 {
            format!(
                "Make an earlier serial current: `wacfg state recover --to-serial {}` \
                 (`wacfg state history` lists those kept).",
                serial - 1
            )
        } else {
            "No earlier serial is kept in the history.".to_string()
        };
        Origin {
            location: format!("of postgres workspace {} (serial {serial})", self.workspace),
            restore,
        }
    }

    pub async fn write(
        &self,
        doc: &StateDocument,
        expected: Option<u64>,
    ) -> Result<StateDocument, StateError> {
        let location = format!("of postgres workspace {}", self.workspace);
        // The serial columns are bigint: i64::MAX is the highest serial PostgreSQL can record.
        let (next, bytes) = super::store::prepare(doc, expected, MAX_SERIAL, &location)?;
        let body = String::from_utf8(bytes).unwrap_or_default();
        let lineage = next.lineage.to_string();
        let serial = to_i64(next.serial);
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(self.err("begin the write"))?;
        let swapped = match expected {
            None => {
                // Not over a workspace whose state row was lost while its history was kept.
                tx.execute(
                    "INSERT INTO wacfg.state (workspace, lineage, serial, rows_serial)
                     SELECT $1, $2::text::uuid, $3, $3
                     WHERE NOT EXISTS (SELECT 1 FROM wacfg.state_history WHERE workspace = $1)
                     ON CONFLICT (workspace) DO NOTHING",
                    &[&self.workspace, &lineage, &serial],
                )
                .await
            }
            Some(old) => {
                let old = to_i64(old);
                // Only from a consistent state: its serial kept in the history with the same
                // lineage, and nothing above it.
                tx.execute(
                    "UPDATE wacfg.state SET lineage = $2::text::uuid, serial = $3, rows_serial = $3,
                       updated_at = now()
                     WHERE workspace = $1 AND serial = $4
                       AND EXISTS (SELECT 1 FROM wacfg.state_history h WHERE h.workspace = $1
                                   AND h.serial = $4 AND h.lineage = wacfg.state.lineage)
                       AND NOT EXISTS (SELECT 1 FROM wacfg.state_history h
                                       WHERE h.workspace = $1 AND h.serial > $4)",
                    &[&self.workspace, &lineage, &serial, &old],
                )
                .await
            }
        }
        .map_err(self.err("compare-and-swap the serial"))?;
        if swapped != 1 {
            // An inconsistent workspace is named as such, not as a lost race.
            let found = self.inspect(&tx).await?.map(|c| c.serial as u64);
            return Err(StateError::Conflict { expected, found });
        }
        postgres_rows::replace_all(&tx, &self.workspace, serial, &next.resources, false)
            .await
            .map_err(self.err("write the resource rows"))?;
        insert_history(&tx, &self.workspace, &next, &body)
            .await
            .map_err(|e| self.history_error(e))?;
        tx.commit().await.map_err(self.err("commit the write"))?;
        Ok(next)
    }

    /// One group of changes as the next serial (see `postgres_rows::append`): the rows and a
    /// history row of the changes only, in one statement. The workspace's first write (no
    /// state yet) is a whole document, the base later serials are rebuilt from; so is a group
    /// over rows not in step with the current serial (a wacfg older than schema v4 wrote it).
    pub async fn append(
        &self,
        lineage: uuid::Uuid,
        changes: &ResourceChanges,
        expected: Option<u64>,
    ) -> Result<StateRef, StateError> {
        let Some(old) = expected else {
            let doc = with_changes(
                StateDocument {
                    lineage,
                    ..StateDocument::new()
                },
                changes,
            );
            return Ok(self.write(&doc, None).await?.state_ref());
        };
        let serial = old
            .checked_add(1)
            .filter(|next| *next <= MAX_SERIAL)
            .ok_or_else(|| StateError::SerialExhausted {
                location: format!("of postgres workspace {}", self.workspace),
                serial: old,
                max: MAX_SERIAL,
            })?;
        // An address both upserted and removed is upserted (one row, one change).
        let removals: Vec<String> = changes
            .removals
            .iter()
            .filter(|k| !changes.upserts.contains_key(*k))
            .cloned()
            .collect();
        let record = journal::Record {
            lineage,
            serial,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            written_at: now_rfc3339(),
            upserts: changes.upserts.clone(),
            removals: removals.clone(),
        };
        let rows = postgres_rows::rows(changes.upserts.iter());
        let client = self.client.lock().await;
        let cached = self.append_statement.lock().ok().and_then(|s| s.clone());
        let statement = match cached {
            Some(statement) => statement,
            None => {
                let statement = client
                    .prepare(postgres_rows::APPEND)
                    .await
                    .map_err(self.err("prepare the group write"))?;
                if let Ok(mut slot) = self.append_statement.lock() {
                    *slot = Some(statement.clone());
                }
                statement
            }
        };
        let swapped = postgres_rows::append(
            &*client,
            &statement,
            &self.workspace,
            &record,
            to_i64(old),
            &rows,
            &removals,
        )
        .await
        .map_err(|e| self.history_error(e))?;
        if swapped {
            return Ok(StateRef { lineage, serial });
        }
        // Why not: a lost race, an inconsistent workspace (named as such), or rows not in step.
        let current = self.inspect(&*client).await?;
        drop(client);
        match current {
            Some(c) if c.serial == to_i64(old) && c.lineage == lineage.to_string() && !c.rows => {
                let doc = self.read().await?.unwrap_or_default();
                let written = self.write(&with_changes(doc, changes), Some(old)).await?;
                Ok(written.state_ref())
            }
            other => Err(StateError::Conflict {
                expected,
                found: other.map(|c| c.serial as u64),
            }),
        }
    }

    /// A failed history insert; a duplicate serial means rows were changed by hand.
    fn history_error(&self, e: tokio_postgres::Error) -> StateError {
        if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
            return self.inconsistent(
                "the serial being written is already in the history (rows were changed by hand)"
                    .into(),
                "Run `wacfg state history` to see the serials kept, then `wacfg state recover \
                 --latest` (or `--to-serial N`)."
                    .into(),
            );
        }
        self.err("record the new serial")(e)
    }

    /// Make a copy of a kept serial (`None`: the newest) the current state, written as a new
    /// serial above every one recorded: history stays insert-only and serials never go back.
    /// Works on an inconsistent workspace too (that is what it is for). The caller holds the
    /// lock. Returns what was written and the serial it copies.
    pub async fn recover(&self, to: Option<u64>) -> Result<(StateDocument, u64), StateError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(self.err("begin the recovery"))?;
        let row = tx
            .query_one(
                "SELECT (SELECT max(serial) FROM wacfg.state_history WHERE workspace = $1),
                        (SELECT serial FROM wacfg.state WHERE workspace = $1)",
                &[&self.workspace],
            )
            .await
            .map_err(self.err("read the history"))?;
        let (latest, state): (Option<i64>, Option<i64>) = (row.get(0), row.get(1));
        let Some(latest) = latest else {
            return Err(StateError::NoSuchSerial {
                workspace: self.workspace.clone(),
                serial: to,
            });
        };
        let from = match to {
            Some(serial) => i64::try_from(serial).unwrap_or(i64::MAX),
            None => latest,
        };
        // Refused only when the current serial reads back whole: damaged rows are recovered
        // from the history like any other damage.
        if let Ok(Some(current)) = self.read_on(&tx).await
            && current.serial == from as u64
        {
            return Err(StateError::AlreadyCurrent {
                workspace: self.workspace.clone(),
                serial: from as u64,
            });
        }
        let doc = postgres_rows::rebuild(self, &tx, from).await?;
        let top = latest.max(state.unwrap_or(0)).max(0) as u64;
        let location = format!("of postgres workspace {}", self.workspace);
        let (next, bytes) = super::store::prepare(&doc, Some(top), MAX_SERIAL, &location)?;
        let body = String::from_utf8(bytes).unwrap_or_default();
        tx.execute(
            "INSERT INTO wacfg.state (workspace, lineage, serial, rows_serial)
             VALUES ($1, $2::text::uuid, $3, $3)
             ON CONFLICT (workspace) DO UPDATE
               SET lineage = EXCLUDED.lineage, serial = EXCLUDED.serial,
                   rows_serial = EXCLUDED.rows_serial, updated_at = now()",
            &[
                &self.workspace,
                &next.lineage.to_string(),
                &to_i64(next.serial),
            ],
        )
        .await
        .map_err(self.err("point the state at the recovered serial"))?;
        let serial = to_i64(next.serial);
        postgres_rows::replace_all(&tx, &self.workspace, serial, &next.resources, true)
            .await
            .map_err(self.err("write the resource rows"))?;
        insert_history(&tx, &self.workspace, &next, &body)
            .await
            .map_err(|e| self.history_error(e))?;
        tx.commit().await.map_err(self.err("commit the recovery"))?;
        Ok((next, from as u64))
    }

    pub async fn history(&self) -> Result<Vec<HistoryEntry>, StateError> {
        let client = self.client.lock().await;
        let sql = format!(
            "SELECT serial, to_char(written_at AT TIME ZONE 'UTC', {RFC3339}), tool_version,
                    resource_count
             FROM wacfg.state_history WHERE workspace = $1 ORDER BY serial DESC"
        );
        let rows = client
            .query(&sql, &[&self.workspace])
            .await
            .map_err(self.err("read the history"))?;
        Ok(rows
            .iter()
            .map(|row| HistoryEntry {
                serial: row.get::<_, i64>(0) as u64,
                written_at: row.get(1),
                tool_version: row.get(2),
                resource_count: row.get::<_, i32>(3) as usize,
            })
            .collect())
    }
}

/// What `wacfg.state` points at, consistent with the history.
pub(crate) struct Current {
    pub(crate) serial: i64,
    pub(crate) lineage: String,
    /// The current serial's whole document, when it holds one (not only changes).
    pub(crate) text: Option<String>,
    /// `wacfg.resources` holds this serial (`rows_serial` = `serial`).
    pub(crate) rows: bool,
    /// The number of resources the current serial's history row recorded.
    pub(crate) count: i32,
    pub(crate) tool_version: String,
    pub(crate) written_at: String,
}

/// `doc` with a group's changes applied.
fn with_changes(mut doc: StateDocument, changes: &ResourceChanges) -> StateDocument {
    for (key, r) in &changes.upserts {
        doc.resources.insert(key.clone(), r.clone());
    }
    for key in &changes.removals {
        if !changes.upserts.contains_key(key) {
            doc.resources.remove(key);
        }
    }
    doc
}

fn recover_latest(latest: i64) -> String {
    format!(
        "Run `wacfg state recover --latest` to make a copy of serial {latest}, the newest kept, \
         the current state (or `wacfg state history`, then `wacfg state recover --to-serial N`)."
    )
}

fn recover_to(serial: u64) -> String {
    format!(
        "Run `wacfg state recover --to-serial {serial}` to make a copy of serial {serial} the \
         current state with a consistent lineage."
    )
}

async fn insert_history(
    tx: &tokio_postgres::Transaction<'_>,
    workspace: &str,
    next: &StateDocument,
    body: &str,
) -> Result<u64, tokio_postgres::Error> {
    let count = i32::try_from(next.resources.len()).unwrap_or(i32::MAX);
    tx.execute(
        "INSERT INTO wacfg.state_history
           (workspace, serial, lineage, tool_version, written_at, resource_count, checksum, document)
         VALUES ($1, $2, $3::text::uuid, $4, $5::text::timestamptz, $6, $7, $8)",
        &[
            &workspace,
            &to_i64(next.serial),
            &next.lineage.to_string(),
            &next.tool_version,
            &next.written_at,
            &count,
            &next.checksum,
            &body,
        ],
    )
    .await
}

pub(crate) async fn open_connection(conn: &str, workspace: &str) -> Result<Client, StateError> {
    let refuse = |message: String| StateError::Postgres {
        workspace: workspace.to_string(),
        action: "connect",
        message: redact(&message, conn),
    };
    let (rest, tls) = postgres_tls::split(conn).map_err(refuse)?;
    let (mode, tls_config) = postgres_tls::client_config(&tls).map_err(refuse)?;
    let mut config: tokio_postgres::Config = rest
        .parse()
        .map_err(|e| pg_error(workspace, "connect", &e, conn))?;
    if let Some(warning) = postgres_tls::unverified_remote(tls.mode, config.get_hosts()) {
        // Once per run, however many connections it opens. Host names only: no credentials.
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| eprintln!("warning: {warning}"));
    }
    config.ssl_mode(mode);
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config);
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|e| pg_error(workspace, "connect", &e, conn))?;
    tokio::spawn(connection);
    Ok(client)
}

fn pg_error(
    workspace: &str,
    action: &'static str,
    err: &tokio_postgres::Error,
    conn: &str,
) -> StateError {
    StateError::Postgres {
        workspace: workspace.to_string(),
        action,
        message: error_text(err, conn),
    }
}

fn to_i64(serial: u64) -> i64 {
    i64::try_from(serial).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_in_both_connection_string_forms() {
        let url = "postgres://wacfg:s3cr%40t@db.example:5432/state";
        let msg = redact(
            "failed for postgres://wacfg:s3cr%40t@db.example:5432/state s3cr@t",
            url,
        );
        assert!(!msg.contains("s3cr"), "{msg}");
        let kv = "host=db user=wacfg password=hunter2-test dbname=state";
        assert_eq!(redact("bad password hunter2-test", kv), "bad password ***");
    }

    #[test]
    fn advisory_key_is_the_first_8_bytes_of_sha256() {
        // sha256("") = e3b0c442 98fc1c14 ...
        assert_eq!(
            advisory_key(""),
            i64::from_be_bytes([0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14])
        );
        assert_ne!(advisory_key("a"), advisory_key("b"));
    }
}
