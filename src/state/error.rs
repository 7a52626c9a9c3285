//! Everything that can go wrong with the state, each message saying what to do next. No message
//! ever contains a secret: PostgreSQL errors are redacted before they get here.

use super::lock::LockInfo;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },

    /// The file system refused to store more (no space, a quota, a file size limit) while
    /// the local store wrote: what was already written stays readable.
    #[error(
        "no room to write the state {state}: cannot {action} {path}: {source}. Every change \
         reported done before this is saved. Free space on the file system that holds it (or \
         raise the quota or file size limit), then run the command again"
    )]
    NoRoom {
        /// The state file.
        state: String,
        action: &'static str,
        path: String,
        source: std::io::Error,
    },

    #[error(
        "the state {location} is corrupt ({reason}); it was left exactly as it is and nothing \
         will be written over it. {restore}"
    )]
    Corrupt {
        location: String,
        reason: String,
        /// What to restore from: the local backup file or a past serial in PostgreSQL.
        restore: String,
    },

    #[error(
        "the state {location} has format_version {found}, newer than this wacfg ({tool_version}) \
         understands (up to {supported}): upgrade wacfg"
    )]
    TooNew {
        location: String,
        found: u64,
        supported: u32,
        tool_version: &'static str,
    },

    #[error(
        "the state changed underneath this run: expected serial {}, found {}; another run wrote \
         it: re-read the state (re-run plan) and try again",
        show_serial(.expected), show_serial(.found)
    )]
    Conflict {
        expected: Option<u64>,
        found: Option<u64>,
    },

    #[error(
        "the state is locked by {} (pid {}) for `{}` since {}; wait (--lock-timeout), or if that \
         run is dead: wacfg state force-unlock {}",
        .0.holder, .0.pid, .0.operation, .0.started_at, .0.id
    )]
    Locked(LockInfo),

    #[error(
        "the state is locked by another run that has not recorded who it is yet; wait \
         (--lock-timeout) and try again"
    )]
    LockedUnknown,

    #[error("there is no lock with id {id} ({current}); nothing was unlocked")]
    NoSuchLock { id: String, current: String },

    #[error(
        "lock {} is held by a live process on this machine: {} (pid {}) running `{}` since {}; \
         stop that process (kill {}) or wait for it: the lock is freed when it exits",
        .0.id, .0.holder, .0.pid, .0.operation, .0.started_at, .0.pid
    )]
    HeldByLiveProcess(LockInfo),

    #[error(
        "cannot write the state {location}: the next serial after {serial} would pass {max}, the \
         highest this store can record; wacfg never wraps a serial around to 0 nor lets it go \
         backwards, so this state cannot be written any more and was left as it is. Serials \
         this high come from a hand-edited or pushed document (each write adds 1): keep this \
         state for reference and start a new one (another state path or workspace)"
    )]
    SerialExhausted {
        location: String,
        serial: u64,
        max: u64,
    },

    #[error(
        "the state of postgres workspace {workspace} is inconsistent: {problem}. It was neither \
         read nor written (it does not read as \"no state yet\", so nothing starts over). {fix}"
    )]
    Inconsistent {
        workspace: String,
        problem: String,
        /// The `wacfg state recover` command to run.
        fix: String,
    },

    #[error(
        "{}; nothing was changed: `wacfg state history` lists the serials kept",
        match .serial {
            Some(s) => format!("serial {s} is not in the history of postgres workspace {}", .workspace),
            None => format!("the history of postgres workspace {} is empty: there is no serial to recover", .workspace),
        }
    )]
    NoSuchSerial {
        workspace: String,
        serial: Option<u64>,
    },

    #[error(
        "serial {serial} is already the current state of postgres workspace {workspace}, which is \
         consistent: nothing to recover"
    )]
    AlreadyCurrent { workspace: String, serial: u64 },

    #[error(
        "`wacfg state recover` is for PostgreSQL workspaces, which keep every serial; the local \
         state {path} keeps only the previous version, in {backup}: to go back to it, stop every \
         run and copy it over the state (cp {backup} {path})"
    )]
    LocalRecover { path: String, backup: String },

    #[error(
        "serial {serial} is not kept by the local state {location}, which keeps only its \
         current serial and the previous one (kept now: {kept}); PostgreSQL workspaces keep \
         every serial"
    )]
    NotKept {
        location: String,
        serial: u64,
        kept: String,
    },

    #[error("invalid state document {location}: {reason}")]
    Invalid { location: String, reason: String },

    #[error("cannot read the PostgreSQL connection string: {0}")]
    Secret(#[from] crate::model::secret::SecretError),

    /// The message is already redacted (see `postgres::redact`).
    #[error("PostgreSQL ({workspace}): {action}: {message}")]
    Postgres {
        workspace: String,
        action: &'static str,
        message: String,
    },
}

fn show_serial(serial: &Option<u64>) -> String {
    match serial {
        Some(s) => s.to_string(),
        None => "no state".to_string(),
    }
}

impl StateError {
    /// An I/O error of writing the local state at `state` as [`StateError::NoRoom`] when the
    /// file system refused the bytes for lack of room; any other error as it is.
    pub(crate) fn no_room(self, state: &std::path::Path) -> Self {
        use std::io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
        match self {
            StateError::Io {
                action,
                path,
                source,
            } if matches!(source.kind(), StorageFull | FileTooLarge | QuotaExceeded) => {
                StateError::NoRoom {
                    state: state.display().to_string(),
                    action,
                    path,
                    source,
                }
            }
            other => other,
        }
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        StateError::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}
