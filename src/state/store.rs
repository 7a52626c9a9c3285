//! The one store interface the commands and `apply` use: read, compare-and-swap write, lock,
//! force-unlock and history, over the local file store or PostgreSQL.

use std::time::Duration;

use super::canonical;
use super::document::{
    FORMAT_VERSION, HistoryEntry, ResourceChanges, StateDocument, StateRef, now_rfc3339,
};
use super::error::StateError;
use super::local::{LocalLock, LocalStore};
use super::lock::LockInfo;
use super::postgres::PgStore;
use super::postgres_lock::PgLock;
use crate::model::{SecretAccess, StateSettings};

pub enum Store {
    Local(LocalStore),
    // Boxed: a PostgreSQL store (client, connection string) is much larger than a path.
    Postgres(Box<PgStore>),
}

/// [`open_store_within`] reading a `file:` connection string from any path: for settings the
/// caller built itself (tests, benches). Commands, whose settings come from a configuration
/// file, use [`open_store_within`] with the operator's [`SecretAccess`].
pub async fn open_store(settings: &StateSettings) -> Result<Store, StateError> {
    open_store_within(settings, &SecretAccess::anywhere()).await
}

/// Open the store the configuration names. For PostgreSQL this resolves the connection string
/// (a `file:` reference only within `access`), connects and runs pending migrations.
pub async fn open_store_within(
    settings: &StateSettings,
    access: &SecretAccess,
) -> Result<Store, StateError> {
    match settings {
        StateSettings::Local { path } => Ok(Store::Local(LocalStore::new(path))),
        StateSettings::Postgres { url, workspace } => {
            let conn = url.resolve(access)?;
            Ok(Store::Postgres(Box::new(
                PgStore::connect(&conn, workspace).await?,
            )))
        }
    }
}

/// A held state lock. Dropping it releases the lock; `release` does so and reports errors.
pub struct LockGuard {
    pub info: LockInfo,
    /// The lock of a crashed run that was found and replaced, if any (worth a warning).
    pub replaced_stale: Option<LockInfo>,
    inner: GuardInner,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("info", &self.info)
            .field("replaced_stale", &self.replaced_stale)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the connection string: only where the state lives.
        write!(f, "Store({})", self.describe())
    }
}

enum GuardInner {
    Local(LocalLock),
    Postgres(PgLock),
}

impl LockGuard {
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// Release the lock now.
    pub async fn release(self) -> Result<(), StateError> {
        match self.inner {
            GuardInner::Local(lock) => {
                drop(lock);
                Ok(())
            }
            GuardInner::Postgres(lock) => lock.release().await,
        }
    }

    /// Simulate a crash of the holder: the lock itself is freed (as the OS or the database
    /// server does when a process dies) but its holder information is left behind.
    #[doc(hidden)]
    pub fn abandon(self) {
        match self.inner {
            GuardInner::Local(lock) => lock.abandon(),
            GuardInner::Postgres(lock) => lock.abandon(),
        }
    }
}

impl Store {
    /// Where the state lives, for messages: a file path or `postgres workspace NAME`. Never
    /// contains the connection string.
    pub fn describe(&self) -> String {
        match self {
            Store::Local(s) => s.path().display().to_string(),
            Store::Postgres(s) => format!("postgres workspace {}", s.workspace()),
        }
    }

    /// The current state, checksum verified and upgraded; `None` when there is none yet.
    pub async fn read(&self) -> Result<Option<StateDocument>, StateError> {
        match self {
            Store::Local(s) => s.read(),
            Store::Postgres(s) => s.read().await,
        }
    }

    /// [`Store::read`] for planning (plan, drift, apply): a document assembled from a journal
    /// or from rows is not sealed (empty `checksum`), which saves hashing the whole state
    /// again. Commands that print or push a document use `read`.
    pub async fn read_unsealed(&self) -> Result<Option<StateDocument>, StateError> {
        match self {
            Store::Local(s) => {
                let store = s.clone();
                tokio::task::spawn_blocking(move || store.read_unsealed())
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            }
            Store::Postgres(s) => s.read_unsealed().await,
        }
    }

    /// Write `doc` if the stored serial is still `expected_serial` (`None`: no state yet).
    /// Returns what was written: serial +1, this tool's version, a fresh checksum.
    pub async fn write(
        &self,
        doc: &StateDocument,
        expected_serial: Option<u64>,
    ) -> Result<StateDocument, StateError> {
        match self {
            Store::Local(s) => {
                // File writes end in fsyncs: run them off the async workers, so an apply's
                // other changes progress (and share the next write) meanwhile.
                let (store, doc) = (s.clone(), doc.clone());
                tokio::task::spawn_blocking(move || store.write(&doc, expected_serial))
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            }
            Store::Postgres(s) => s.write(doc, expected_serial).await,
        }
    }

    /// A kept serial as it was written, verified: PostgreSQL rebuilds any serial of its
    /// history (the nearest whole document below it and the changes above it); the local
    /// store keeps the current serial, the snapshot's while a journal is pending, and the
    /// backup's.
    pub async fn read_serial(&self, serial: u64) -> Result<StateDocument, StateError> {
        match self {
            Store::Local(s) => s.read_serial(serial),
            Store::Postgres(s) => s.read_serial(serial).await,
        }
    }

    /// Make one group of changes durable as the serial after `expected_serial` (compare-and-
    /// swap, as [`Store::write`]; `None`: no state yet, which `lineage` then starts). Costs the
    /// size of the changes, not of the state: the local store appends them to its journal, and
    /// PostgreSQL upserts their rows. Returns the new (lineage, serial).
    pub async fn append(
        &self,
        lineage: uuid::Uuid,
        changes: &ResourceChanges,
        expected_serial: Option<u64>,
    ) -> Result<StateRef, StateError> {
        match self {
            Store::Local(s) => {
                let (store, changes) = (s.clone(), changes.clone());
                tokio::task::spawn_blocking(move || {
                    store.append(lineage, &changes, expected_serial)
                })
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            }
            Store::Postgres(s) => s.append(lineage, changes, expected_serial).await,
        }
    }

    /// After the appends of an apply: the local store folds its journal into the snapshot
    /// once the journal has grown large (`LocalStore::fold_if_due`); PostgreSQL's rows already
    /// are the state.
    pub async fn finish(&self) -> Result<(), StateError> {
        match self {
            Store::Local(s) => {
                let store = s.clone();
                tokio::task::spawn_blocking(move || store.fold_if_due().map(|_| ()))
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            }
            Store::Postgres(_) => Ok(()),
        }
    }

    /// Lock the state for `operation`, waiting up to `timeout` for another holder to finish.
    pub async fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError> {
        match self {
            Store::Local(s) => {
                let (lock, info, stale) = s.lock(operation, timeout).await?;
                Ok(LockGuard {
                    info,
                    replaced_stale: stale,
                    inner: GuardInner::Local(lock),
                })
            }
            Store::Postgres(s) => {
                let (lock, info, stale) = s.lock(operation, timeout).await?;
                Ok(LockGuard {
                    info,
                    replaced_stale: stale,
                    inner: GuardInner::Postgres(lock),
                })
            }
        }
    }

    /// Clear the lock `id` left by a dead run. Returns what it was.
    pub async fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        match self {
            Store::Local(s) => s.force_unlock(id),
            Store::Postgres(s) => s.force_unlock(id).await,
        }
    }

    /// Make a copy of a kept serial (`None`: the newest) the current state, as a new serial;
    /// the way out of an inconsistent PostgreSQL workspace. The caller holds the lock. Returns
    /// what was written and the serial it copies. The local store keeps no history to choose
    /// from: refused, naming its backup file.
    pub async fn recover(&self, to: Option<u64>) -> Result<(StateDocument, u64), StateError> {
        match self {
            Store::Local(s) => Err(StateError::LocalRecover {
                path: s.path().display().to_string(),
                backup: s.backup_path().display().to_string(),
            }),
            Store::Postgres(s) => s.recover(to).await,
        }
    }

    /// Past serials, newest first (local: the current one and the backup's).
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, StateError> {
        match self {
            Store::Local(s) => s.history(),
            Store::Postgres(s) => s.history().await,
        }
    }
}

/// The document as it will be written after `found`, and its bytes: the next serial (always
/// above both the stored one and the document's own), this tool's version and format, now, and
/// its checksum. A serial never wraps around: past `max` (the highest the store can record)
/// the write is refused.
pub(crate) fn prepare(
    doc: &StateDocument,
    found: Option<u64>,
    max: u64,
    location: &str,
) -> Result<(StateDocument, Vec<u8>), StateError> {
    let current = doc.serial.max(found.unwrap_or(0));
    let serial = current
        .checked_add(1)
        .filter(|next| *next <= max)
        .ok_or_else(|| StateError::SerialExhausted {
            location: location.to_string(),
            serial: current,
            max,
        })?;
    let mut next = doc.clone();
    next.format_version = FORMAT_VERSION;
    next.serial = serial;
    next.tool_version = env!("CARGO_PKG_VERSION").to_string();
    next.written_at = now_rfc3339();
    let bytes = canonical::seal_and_encode(&mut next);
    Ok((next, bytes))
}
