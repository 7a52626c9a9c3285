//! The PostgreSQL lock: a session advisory lock per workspace on a dedicated connection, and
//! its holder row in `wacfg.locks` (trusted only while that row's backend holds the lock, as
//! `pg_locks` shows). See `postgres` for the store itself.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::error::StateError;
use super::lock::LockInfo;
use super::postgres::{PgStore, RFC3339, open_connection};

const POLL: Duration = Duration::from_millis(100);

/// A held advisory lock on its own connection.
pub struct PgLock {
    client: Option<Client>,
    workspace: String,
    id: String,
    key: i64,
}

impl PgStore {
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
        // A bigint advisory key shows in pg_locks split into classid (high) and objid (low);
        // pg_locks lists every database's locks, and advisory keys are per database.
        let bits = self.key as u64;
        let (high, low) = ((bits >> 32) as i64, (bits & 0xffff_ffff) as i64);
        let row = client
            .query_opt(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                   AND objsubid = 1
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND classid = $1::bigint::oid AND objid = $2::bigint::oid",
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
