//! The PostgreSQL store: schema `wacfg` (see `postgres_schema`), one `wacfg.state` row per
//! workspace pointing at its current serial in the insert-only `wacfg.state_history`.
//!
//! - A write is one transaction: compare-and-swap of the serial on `wacfg.state`, then the new
//!   document inserted into the history. Past documents are never updated, so a corrupt serial
//!   is never overwritten either.
//! - The lock is a session advisory lock on a dedicated connection, keyed by the first 8 bytes
//!   of SHA-256 of the workspace name: the server frees it when the process or its connection
//!   dies. Who holds it is written to `wacfg.locks`, trusted only while that row's backend
//!   still holds the advisory lock (checked in `pg_locks`).
//! - The connection string may hold a password: it is never printed, and every error message
//!   passes through [`redact`].

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

use super::canonical::{self, Origin};
use super::document::{HistoryEntry, StateDocument};
use super::error::StateError;
use super::lock::LockInfo;
use super::postgres_schema;

const POLL: Duration = Duration::from_millis(100);

/// `to_char` format for RFC 3339 in UTC.
const RFC3339: &str = r#"'YYYY-MM-DD"T"HH24:MI:SS"Z"'"#;

pub struct PgStore {
    client: Mutex<Client>,
    /// Kept to open lock connections; never printed.
    conn: String,
    workspace: String,
    key: i64,
}

/// A held advisory lock on its own connection.
pub struct PgLock {
    client: Option<Client>,
    workspace: String,
    id: String,
    key: i64,
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
        postgres_schema::migrate(&mut client)
            .await
            .map_err(|e| pg_error(workspace, "create or migrate the wacfg schema", &e, conn))?;
        Ok(Self {
            client: Mutex::new(client),
            conn: conn.to_string(),
            workspace: workspace.to_string(),
            key: advisory_key(workspace),
        })
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    fn err(&self, action: &'static str) -> impl Fn(tokio_postgres::Error) -> StateError + '_ {
        move |e| pg_error(&self.workspace, action, &e, &self.conn)
    }

    pub async fn read(&self) -> Result<Option<StateDocument>, StateError> {
        let client = self.client.lock().await;
        let row = client
            .query_opt(
                "SELECT s.serial, h.document::text FROM wacfg.state s
                 JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
                 WHERE s.workspace = $1",
                &[&self.workspace],
            )
            .await
            .map_err(self.err("read the state"))?;
        let Some(row) = row else { return Ok(None) };
        let serial: i64 = row.get(0);
        let text: String = row.get(1);
        canonical::decode(text.as_bytes(), &self.origin(serial)).map(Some)
    }

    fn origin(&self, serial: i64) -> Origin {
        let restore = format!(
            "Restore the previous serial (`wacfg state history` lists those kept): UPDATE \
             wacfg.state SET serial = {} WHERE workspace = '{}'",
            serial - 1,
            self.workspace.replace('\'', "''")
        );
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
        let next = super::store::prepare(doc, expected);
        let body = String::from_utf8(canonical::encode(&next)).unwrap_or_default();
        let lineage = next.lineage.to_string();
        let serial = to_i64(next.serial);
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(self.err("begin the write"))?;
        let swapped = match expected {
            None => {
                tx.execute(
                    "INSERT INTO wacfg.state (workspace, lineage, serial)
                     VALUES ($1, $2::text::uuid, $3) ON CONFLICT (workspace) DO NOTHING",
                    &[&self.workspace, &lineage, &serial],
                )
                .await
            }
            Some(old) => {
                let old = to_i64(old);
                tx.execute(
                    "UPDATE wacfg.state SET lineage = $2::text::uuid, serial = $3, updated_at = now()
                     WHERE workspace = $1 AND serial = $4",
                    &[&self.workspace, &lineage, &serial, &old],
                )
                .await
            }
        }
        .map_err(self.err("compare-and-swap the serial"))?;
        if swapped != 1 {
            let found = tx
                .query_opt(
                    "SELECT serial FROM wacfg.state WHERE workspace = $1",
                    &[&self.workspace],
                )
                .await
                .map_err(self.err("read the current serial"))?
                .map(|row| row.get::<_, i64>(0) as u64);
            return Err(StateError::Conflict { expected, found });
        }
        let count = i32::try_from(next.resources.len()).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO wacfg.state_history
               (workspace, serial, lineage, tool_version, written_at, resource_count, checksum, document)
             VALUES ($1, $2, $3::text::uuid, $4, $5::text::timestamptz, $6, $7, $8::text::jsonb)",
            &[
                &self.workspace,
                &serial,
                &lineage,
                &next.tool_version,
                &next.written_at,
                &count,
                &next.checksum,
                &body,
            ],
        )
        .await
        .map_err(self.err("record the new serial"))?;
        tx.commit().await.map_err(self.err("commit the write"))?;
        Ok(next)
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

    /// Take the workspace's advisory lock on a new connection, waiting up to `timeout`.
    pub async fn lock(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<(PgLock, LockInfo, Option<LockInfo>), StateError> {
        let client = open_connection(&self.conn, &self.workspace).await?;
        let deadline = Instant::now() + timeout;
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&self.key])
                .await
                .map_err(self.err("take the advisory lock"))?
                .get(0);
            if got {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(match self.live_holder(&client).await? {
                    Some(info) => StateError::Locked(info),
                    None => StateError::LockedUnknown,
                });
            }
            tokio::time::sleep(POLL.min(deadline - now)).await;
        }
        // We hold the lock: a row left in wacfg.locks is from a session that died.
        let stale = self.holder_row(&client).await?.map(|(info, _)| info);
        let info = LockInfo::for_this_process(operation);
        client
            .execute(
                "INSERT INTO wacfg.locks (workspace, id, holder, pid, operation, started_at, backend_pid)
                 VALUES ($1, $2::text::uuid, $3, $4, $5, $6::text::timestamptz, pg_backend_pid())
                 ON CONFLICT (workspace) DO UPDATE SET id = EXCLUDED.id, holder = EXCLUDED.holder,
                   pid = EXCLUDED.pid, operation = EXCLUDED.operation,
                   started_at = EXCLUDED.started_at, backend_pid = EXCLUDED.backend_pid",
                &[
                    &self.workspace,
                    &info.id,
                    &info.holder,
                    &(info.pid as i32),
                    &info.operation,
                    &info.started_at,
                ],
            )
            .await
            .map_err(self.err("record the lock holder"))?;
        let lock = PgLock {
            client: Some(client),
            workspace: self.workspace.clone(),
            id: info.id.clone(),
            key: self.key,
        };
        Ok((lock, info, stale))
    }

    /// The row in wacfg.locks and its backend pid.
    async fn holder_row(&self, client: &Client) -> Result<Option<(LockInfo, i32)>, StateError> {
        let sql = format!(
            "SELECT id::text, holder, pid, operation,
                    to_char(started_at AT TIME ZONE 'UTC', {RFC3339}), backend_pid
             FROM wacfg.locks WHERE workspace = $1"
        );
        let row = client
            .query_opt(&sql, &[&self.workspace])
            .await
            .map_err(self.err("read the lock holder"))?;
        Ok(row.map(|row| {
            let info = LockInfo {
                id: row.get(0),
                holder: row.get(1),
                pid: row.get::<_, i32>(2) as u32,
                operation: row.get(3),
                started_at: row.get(4),
            };
            (info, row.get(5))
        }))
    }

    /// The backend pid holding this workspace's advisory lock, if any.
    async fn lock_backend(&self, client: &Client) -> Result<Option<i32>, StateError> {
        // A bigint advisory key shows in pg_locks split into classid (high) and objid (low).
        let bits = self.key as u64;
        let (high, low) = ((bits >> 32) as i64, (bits & 0xffff_ffff) as i64);
        let row = client
            .query_opt(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                   AND objsubid = 1 AND classid = $1::bigint::oid AND objid = $2::bigint::oid",
                &[&high, &low],
            )
            .await
            .map_err(self.err("inspect pg_locks"))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The lock holder's info, if its row belongs to the session that holds the lock.
    async fn live_holder(&self, client: &Client) -> Result<Option<LockInfo>, StateError> {
        let backend = self.lock_backend(client).await?;
        let row = self.holder_row(client).await?;
        Ok(match (row, backend) {
            (Some((info, row_pid)), Some(pid)) if row_pid == pid => Some(info),
            _ => None,
        })
    }

    /// Clear lock `id`: end the session holding it (a hung or unreachable runner keeps its
    /// connection, and so the lock, open) and delete its row.
    pub async fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        let client = self.client.lock().await;
        let Some((info, row_pid)) = self.holder_row(&client).await? else {
            return Err(StateError::NoSuchLock {
                id: id.to_string(),
                current: "the state is not locked".into(),
            });
        };
        if info.id != id {
            return Err(StateError::NoSuchLock {
                id: id.to_string(),
                current: format!("the current lock is {}", info.id),
            });
        }
        if self.lock_backend(&client).await? == Some(row_pid) {
            client
                .execute("SELECT pg_terminate_backend($1)", &[&row_pid])
                .await
                .map_err(self.err("end the session holding the lock"))?;
            self.wait_until_free(&client).await?;
        }
        client
            .execute(
                "DELETE FROM wacfg.locks WHERE workspace = $1 AND id = $2::text::uuid",
                &[&self.workspace, &info.id],
            )
            .await
            .map_err(self.err("delete the lock holder"))?;
        Ok(info)
    }

    async fn wait_until_free(&self, client: &Client) -> Result<(), StateError> {
        for _ in 0..50 {
            if self.lock_backend(client).await?.is_none() {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
        Err(StateError::Postgres {
            workspace: self.workspace.clone(),
            action: "force-unlock",
            message: "the session holding the lock was asked to end but still holds it after 5s; \
                      try again"
                .into(),
        })
    }
}

impl PgLock {
    /// Delete the holder row and unlock, then close the connection.
    pub async fn release(mut self) -> Result<(), StateError> {
        let Some(client) = self.client.take() else {
            return Ok(());
        };
        release_on(&client, &self.workspace, &self.id, self.key)
            .await
            .map_err(|e| StateError::Postgres {
                workspace: self.workspace.clone(),
                action: "release the lock",
                // Errors from an open connection never contain the connection string.
                message: e.to_string(),
            })
    }

    /// What a crashed run leaves: the connection closes (the server frees the lock) and the
    /// holder row stays behind.
    pub fn abandon(mut self) {
        self.client.take();
    }
}

async fn release_on(
    client: &Client,
    workspace: &str,
    id: &str,
    key: i64,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM wacfg.locks WHERE workspace = $1 AND id = $2::text::uuid",
            &[&workspace, &id],
        )
        .await?;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await?;
    Ok(())
}

impl Drop for PgLock {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        // Best effort: clean up on the runtime if there is one. Either way the connection
        // closes, and with it the server frees the advisory lock.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let (workspace, id, key) = (self.workspace.clone(), self.id.clone(), self.key);
            handle.spawn(async move {
                let _ = release_on(&client, &workspace, &id, key).await;
            });
        }
    }
}

async fn open_connection(conn: &str, workspace: &str) -> Result<Client, StateError> {
    let (client, connection) = tokio_postgres::connect(conn, NoTls)
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
