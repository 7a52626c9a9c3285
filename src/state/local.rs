//! The local store: one JSON file (default `wacfg.state.json` beside the configuration).
//!
//! - Writes are atomic: a temp file in the same directory, fsync, rename over the state, fsync of
//!   the directory. Before the rename the current file is hard-linked to `<path>.backup`, so the
//!   previous version is always kept (a copy is made where hard links are not supported).
//! - The compare-and-swap on the serial (read, compare, rename) runs under an exclusive OS lock on
//!   the state's directory, held for milliseconds, so two writers cannot both pass the check.
//! - The operation lock is an OS lock (`File::try_lock`, i.e. `flock`) on `<path>.lock`, plus
//!   `<path>.lock.info` (JSON [`LockInfo`]) saying who holds it. The OS frees the lock when its
//!   process dies; an info file whose OS lock is free was left by a crashed run and is replaced.
//! - An apply writes each group commit as one record appended to `<path>.journal` and fsync'd
//!   (see `journal`), not the whole document: the state is the snapshot with the journal's
//!   records applied. The journal is folded into the snapshot (an ordinary atomic write that
//!   keeps the last record's serial, then the journal removed) once it has grown to half the
//!   snapshot (`fold_if_due`), at the end of an apply or when a run takes the operation lock,
//!   so a small apply writes only its records. A whole-document write removes the journal
//!   after its rename. See `docs/state-writes.md` for the crash analysis.
//! - History is what the directory holds: the current serial, the snapshot's when a journal is
//!   pending, and the backup's.
//! - A state path that is a symbolic link is resolved once, when the store is made: the temp
//!   file, the rename, the backup and both locks are beside the link's target, so the link keeps
//!   pointing at the current state and a run through the link and a run through the target share
//!   one lock.
//! - Temp files left by killed or failed writes (`.<name>.tmp-*`, `<name>.backup.tmp-*`) are
//!   removed by the next write, under the directory lock that every write holds from staging to
//!   rename, so none of them can belong to a live writer. Lock info temp files
//!   (`<name>.lock.info.tmp-*`) are removed by the next run that takes the operation lock, the
//!   only lock under which they are written.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::canonical::{self, Origin};
use super::document::{HistoryEntry, ResourceChanges, StateDocument, StateRef, now_rfc3339};
use super::error::StateError;
use super::journal;
use super::lock::LockInfo;

/// How often a waiting `lock` retries.
const POLL: Duration = Duration::from_millis(50);

/// Symbolic links followed before giving up (Linux's own limit); the first read or write then
/// reports the loop.
const MAX_LINKS: usize = 40;

/// Bytes this handle verified, and their serial.
type Verified = (Vec<u8>, u64);

/// What this handle knows the files held after it last read them in full or appended to the
/// journal: when the snapshot is still the same file and the journal still ends where it
/// ended then, the next append needs to read neither (its compare-and-swap costs two
/// `stat`s), and a read made before the operation lock was taken is still the state.
#[derive(Debug, Clone, PartialEq)]
struct JournalMark {
    snapshot: Option<FileId>,
    journal: Option<FileId>,
    /// The state the files held (`None`: no state yet).
    state: Option<StateRef>,
}

/// A file's identity: device, inode, length and modification time (ns). Every write of the
/// store either renames a new file over the snapshot (a new inode) or appends to the journal
/// (a new length and time), so equal identities mean equal content.
type FileId = (u64, u64, u64, i64);

fn identity(m: &fs::Metadata) -> FileId {
    (
        m.dev(),
        m.ino(),
        m.len(),
        m.mtime().saturating_mul(1_000_000_000) + m.mtime_nsec(),
    )
}

#[derive(Clone)]
pub struct LocalStore {
    path: PathBuf,
    /// The bytes and serial last read or written and verified by this handle: when the file
    /// still holds exactly these bytes, a write need not verify it again.
    verified: Arc<Mutex<Option<Verified>>>,
    mark: Arc<Mutex<Option<JournalMark>>>,
}

/// The state as the files hold it: the snapshot, the journal's records above it applied.
struct OnDisk {
    /// The current state (unsealed when journal records were applied).
    doc: Option<StateDocument>,
    /// Records above the snapshot were applied.
    journaled: bool,
    /// Where the next journal append starts (the valid prefix), when a journal exists.
    journal_len: Option<u64>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalStore({})", self.path.display())
    }
}

/// A held operation lock; released (info file removed, OS lock dropped) on drop.
#[derive(Debug)]
pub struct LocalLock {
    file: Option<File>,
    info_path: PathBuf,
    id: String,
    abandoned: bool,
}

impl LocalStore {
    /// The store of the state file `path`, or of its target when `path` is a symbolic link
    /// (resolved here, once).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: resolve_links(path.into()),
            verified: Arc::default(),
            mark: Arc::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn backup_path(&self) -> PathBuf {
        suffixed(&self.path, ".backup")
    }

    /// The journal of group commits beside the snapshot (see `journal`).
    pub fn journal_path(&self) -> PathBuf {
        suffixed(&self.path, ".journal")
    }

    pub fn lock_path(&self) -> PathBuf {
        suffixed(&self.path, ".lock")
    }

    pub fn lock_info_path(&self) -> PathBuf {
        suffixed(&self.path, ".lock.info")
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn origin(&self) -> Origin {
        let backup = self.backup_path();
        let restore = if backup.exists() {
            format!(
                "Restore the previous version: check {b} (it is verified the same way on read), \
                 then: cp {b} {p}",
                b = backup.display(),
                p = self.path.display()
            )
        } else {
            format!(
                "There is no backup ({} does not exist): restore the file from your own copies",
                backup.display()
            )
        };
        Origin {
            location: format!("file {}", self.path.display()),
            restore,
        }
    }

    /// The current state, verified: the snapshot with the journal's records applied; `None`
    /// when there is none yet. Changes no file (a torn last journal record is skipped here and
    /// removed by the next write under the lock).
    pub fn read(&self) -> Result<Option<StateDocument>, StateError> {
        let mut doc = self.read_unsealed()?;
        if let Some(doc) = doc.as_mut().filter(|d| d.checksum.is_empty()) {
            canonical::seal(doc);
        }
        Ok(doc)
    }

    /// The current state for planning: as [`read`](Self::read), but a document with journal
    /// records applied is not sealed (its `checksum` is empty). Plan, drift and apply use the
    /// lineage, serial and resources only; sealing hashes the whole document again.
    pub fn read_unsealed(&self) -> Result<Option<StateDocument>, StateError> {
        let mut disk = self.read_disk()?;
        if disk.journaled
            && let Some(doc) = disk.doc.as_mut()
        {
            doc.checksum = String::new();
        }
        Ok(disk.doc)
    }

    /// Whether the files are still exactly as `other` (a handle on the same state) last read
    /// or appended them: then what it read is the state now, and this handle takes over what
    /// it knows, so its first append need not read the files again. For a read made before
    /// the operation lock was taken.
    pub fn adopt_read(&self, other: &LocalStore) -> bool {
        if other.path != self.path {
            return false;
        }
        let Some(mark) = other.mark.lock().ok().and_then(|m| m.clone()) else {
            return false;
        };
        let now = (
            metadata(&self.path).ok().flatten().map(|m| identity(&m)),
            metadata(&self.journal_path())
                .ok()
                .flatten()
                .map(|m| identity(&m)),
        );
        if now != (mark.snapshot, mark.journal) {
            return false;
        }
        if let Ok(mut mine) = self.mark.lock() {
            *mine = Some(mark);
        }
        true
    }

    /// The snapshot only, verified, and its identity as read.
    fn read_snapshot(&self) -> Result<(Option<StateDocument>, Option<FileId>), StateError> {
        match read_with_identity(&self.path) {
            Ok((bytes, id)) => {
                let doc = canonical::decode(&bytes, &self.origin())?;
                self.remember(bytes, doc.serial);
                Ok((Some(doc), Some(id)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, None)),
            Err(e) => Err(StateError::io("read the state file", &self.path, e)),
        }
    }

    /// The journal's bytes and identity as read, `None` when there is no journal.
    fn read_journal(&self) -> Result<Option<(Vec<u8>, FileId)>, StateError> {
        let path = self.journal_path();
        match read_with_identity(&path) {
            Ok(read) => Ok(Some(read)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::io("read the state journal", &path, e)),
        }
    }

    fn set_mark(&self, mark: Option<JournalMark>) {
        if let Ok(mut mine) = self.mark.lock() {
            *mine = mark;
        }
    }

    fn journal_corrupt(&self, reason: String) -> StateError {
        let journal = self.journal_path();
        StateError::Corrupt {
            location: format!("journal {}", journal.display()),
            reason,
            restore: format!(
                "A crash can only cut the last record short, which is skipped: this is damage \
                 or a hand edit. The snapshot {p} holds the state as of its own serial; to \
                 fall back to it (losing the journal's later changes, which `wacfg plan` will \
                 then show again), move {j} away.",
                p = self.path.display(),
                j = journal.display()
            ),
        }
    }

    /// The state the files hold. Also remembers their identities (`JournalMark`) when the
    /// journal has no torn tail, for the next append and for `adopt_read`.
    fn read_disk(&self) -> Result<OnDisk, StateError> {
        let (snapshot, snapshot_id) = self.read_snapshot()?;
        let Some((bytes, journal_id)) = self.read_journal()? else {
            self.set_mark(Some(JournalMark {
                snapshot: snapshot_id,
                journal: None,
                state: snapshot.as_ref().map(StateDocument::state_ref),
            }));
            return Ok(OnDisk {
                doc: snapshot,
                journaled: false,
                journal_len: None,
            });
        };
        let parsed = journal::parse(&bytes).map_err(|why| self.journal_corrupt(why))?;
        let base = snapshot.as_ref().map(|d| (d.lineage, d.serial));
        let pending =
            journal::pending(base, &parsed.records).map_err(|why| self.journal_corrupt(why))?;
        let journaled = !pending.is_empty();
        let doc = journal::apply(snapshot, &pending);
        // A torn tail is cut by the next append, which must then read the files.
        let whole = parsed.valid_len == bytes.len() as u64;
        self.set_mark(whole.then(|| JournalMark {
            snapshot: snapshot_id,
            journal: Some(journal_id),
            state: doc.as_ref().map(StateDocument::state_ref),
        }));
        Ok(OnDisk {
            doc,
            journaled,
            journal_len: Some(parsed.valid_len),
        })
    }

    /// Compare-and-swap write: refused unless the stored serial is `expected`.
    pub fn write(
        &self,
        doc: &StateDocument,
        expected: Option<u64>,
    ) -> Result<StateDocument, StateError> {
        self.write_whole(doc, expected)
            .map_err(|e| e.no_room(&self.path))
    }

    fn write_whole(
        &self,
        doc: &StateDocument,
        expected: Option<u64>,
    ) -> Result<StateDocument, StateError> {
        let dir_lock = self.lock_dir()?;
        // The current file is verified: a corrupt state is refused, never overwritten.
        let snapshot = match fs::read(&self.path) {
            Ok(bytes) => Some(self.verified_serial(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StateError::io("read the state file", &self.path, e)),
        };
        // A pending journal moves the current serial past the snapshot's.
        let found = if self.journal_path().exists() {
            self.read_disk()?.doc.map(|d| d.serial)
        } else {
            snapshot
        };
        if found != expected {
            return Err(StateError::Conflict { expected, found });
        }
        let location = self.path.display().to_string();
        let (next, bytes) = super::store::prepare(doc, found, u64::MAX, &location)?;
        self.stage_locked(&bytes, dir_lock)?.commit()?;
        // The new snapshot's serial is above every journal record: they are stale now.
        self.remove_journal()?;
        self.remember(bytes, next.serial);
        Ok(next)
    }

    /// Append `changes` to the journal as the serial after `expected` (compare-and-swap: the
    /// state's current serial must be `expected`; `None`, no state yet, then `lineage` starts
    /// it). One fsync'd append of the changes' size: the snapshot is neither read nor written
    /// while the files are as this handle's last append left them.
    /// A file system out of room fails it with [`StateError::NoRoom`]: the torn bytes it may
    /// leave are the journal's torn tail, dropped by readers and by the next append.
    pub fn append(
        &self,
        lineage: uuid::Uuid,
        changes: &ResourceChanges,
        expected: Option<u64>,
    ) -> Result<StateRef, StateError> {
        self.append_record(lineage, changes, expected)
            .map_err(|e| e.no_room(&self.path))
    }

    fn append_record(
        &self,
        lineage: uuid::Uuid,
        changes: &ResourceChanges,
        expected: Option<u64>,
    ) -> Result<StateRef, StateError> {
        let _dir_lock = self.lock_dir()?;
        let journal_path = self.journal_path();
        let snapshot_id = metadata(&self.path)?.map(|m| identity(&m));
        let journal_meta = metadata(&journal_path)?;
        let journal_id = journal_meta.as_ref().map(identity);
        let known = self
            .mark
            .lock()
            .ok()
            .and_then(|m| m.clone())
            .filter(|m| m.snapshot == snapshot_id && m.journal == journal_id);
        let (current, journal_len) = match known {
            Some(m) => (m.state, journal_meta.as_ref().map_or(0, |j| j.len())),
            None => {
                let disk = self.read_disk()?;
                let current = disk.doc.map(|d| d.state_ref());
                (current, disk.journal_len.unwrap_or(0))
            }
        };
        let found = current.map(|c| c.serial);
        if found != expected {
            return Err(StateError::Conflict { expected, found });
        }
        let serial =
            found
                .unwrap_or(0)
                .checked_add(1)
                .ok_or_else(|| StateError::SerialExhausted {
                    location: self.path.display().to_string(),
                    serial: u64::MAX,
                    max: u64::MAX,
                })?;
        let record = journal::Record {
            lineage: current.map_or(lineage, |c| c.lineage),
            serial,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            written_at: now_rfc3339(),
            upserts: changes.upserts.clone(),
            removals: changes.removals.clone(),
        };
        let line = journal::encode(&record);
        let created = journal_meta.is_none();
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&journal_path)
            .map_err(|e| StateError::io("open the state journal", &journal_path, e))?;
        // Drop a torn record left by a crash before appending after it.
        file.set_len(journal_len)
            .and_then(|_| std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(journal_len)))
            .and_then(|_| file.write_all(&line))
            .and_then(|_| file.sync_data())
            .map_err(|e| StateError::io("append to the state journal", &journal_path, e))?;
        if created {
            sync_dir(&self.dir())?;
        }
        let meta = file
            .metadata()
            .map_err(|e| StateError::io("read the metadata of", &journal_path, e))?;
        let state = StateRef {
            lineage: record.lineage,
            serial,
        };
        self.set_mark(Some(JournalMark {
            snapshot: snapshot_id,
            journal: Some(identity(&meta)),
            state: Some(state),
        }));
        Ok(state)
    }

    /// Fold the journal into the snapshot: the snapshot rewritten atomically with the
    /// journal's records applied, keeping the last record's serial, then the journal removed.
    /// Nothing to do without a journal. A crash between the two leaves records at or below the
    /// snapshot's serial, which every reader skips and the next fold removes.
    pub fn fold(&self) -> Result<(), StateError> {
        self.fold_journal().map_err(|e| e.no_room(&self.path))
    }

    fn fold_journal(&self) -> Result<(), StateError> {
        if !self.journal_path().exists() {
            return Ok(());
        }
        let dir_lock = self.lock_dir()?;
        let disk = self.read_disk()?;
        if disk.journaled
            && let Some(mut doc) = disk.doc
        {
            let bytes = canonical::seal_and_encode(&mut doc);
            self.stage_locked(&bytes, dir_lock)?.commit()?;
            self.remember(bytes, doc.serial);
        }
        self.remove_journal()
    }

    /// Fold the journal when it has grown to half the snapshot's size (or there is no
    /// snapshot yet); otherwise leave it for a later run. Folding rewrites the whole snapshot,
    /// so folding after every apply made an apply of 1 change out of 10,000 write 12.7 MB;
    /// this way the bytes written stay proportional to the changes (each fold writes the
    /// snapshot once per half-snapshot of journal appended) and a read replays at most half a
    /// snapshot's worth of records. Returns whether it folded.
    pub fn fold_if_due(&self) -> Result<bool, StateError> {
        let Some(journal) = metadata(&self.journal_path())? else {
            return Ok(false);
        };
        let snapshot = metadata(&self.path)?.map_or(0, |m| m.len());
        if !fold_due(snapshot, journal.len()) {
            return Ok(false);
        }
        self.fold()?;
        Ok(true)
    }

    fn remove_journal(&self) -> Result<(), StateError> {
        self.set_mark(None);
        match fs::remove_file(self.journal_path()) {
            Ok(()) => sync_dir(&self.dir()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StateError::io("remove", &self.journal_path(), e)),
        }
    }

    fn remember(&self, bytes: Vec<u8>, serial: u64) {
        if let Ok(mut cache) = self.verified.lock() {
            *cache = Some((bytes, serial));
        }
    }

    /// The serial of the current file's bytes, verified unless they are exactly the bytes this
    /// handle last verified.
    fn verified_serial(&self, bytes: &[u8]) -> Result<u64, StateError> {
        let known = self.verified.lock().ok().and_then(|cache| {
            cache
                .as_ref()
                .filter(|(b, _)| b.as_slice() == bytes)
                .map(|(_, serial)| *serial)
        });
        match known {
            Some(serial) => Ok(serial),
            None => canonical::verified_serial(bytes, &self.origin()),
        }
    }

    /// Exclusive OS lock on the directory for the read-compare-rename of a write.
    fn lock_dir(&self) -> Result<File, StateError> {
        let dir = self.dir();
        let file = File::open(&dir).map_err(|e| StateError::io("open the directory", &dir, e))?;
        file.lock()
            .map_err(|e| StateError::io("lock the directory", &dir, e))?;
        Ok(file)
    }

    /// First half of an atomic write: the new content in a synced temp file beside the state.
    /// The staged write holds the directory lock until it is committed or dropped.
    pub fn stage(&self, doc: &StateDocument) -> Result<StagedWrite, StateError> {
        let dir_lock = self.lock_dir()?;
        self.stage_locked(&canonical::encode(doc), dir_lock)
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "wacfg.state.json".into())
    }

    /// Stage under `dir_lock`, first removing what killed or failed writes left.
    fn stage_locked(&self, bytes: &[u8], dir_lock: File) -> Result<StagedWrite, StateError> {
        let name = self.file_name();
        // Every write holds the directory lock from staging to rename, so a temp file found
        // while holding it belongs to no live writer.
        remove_matching(
            &self.dir(),
            &[&format!(".{name}.tmp-"), &format!("{name}.backup.tmp-")],
        );
        let temp = self.dir().join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        if let Err(e) = write_synced(&temp, bytes) {
            // What was written of it is of no use, and takes the room a retry needs.
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        Ok(StagedWrite {
            temp,
            store: self.clone(),
            done: false,
            _dir_lock: dir_lock,
        })
    }

    /// Take the operation lock, waiting up to `timeout`. Returns the guard, its info and the
    /// info of a crashed run's lock it replaced, if any.
    pub async fn lock(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<(LocalLock, LockInfo, Option<LockInfo>), StateError> {
        let lock_path = self.lock_path();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StateError::io("open the lock file", &lock_path, e))?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => {
                    return Err(StateError::io("lock", &lock_path, e));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(match self.read_lock_info() {
                    Some(info) => StateError::Locked(info),
                    None => StateError::LockedUnknown,
                });
            }
            tokio::time::sleep(POLL.min(deadline - now)).await;
        }
        // We hold the OS lock, so any info file left is from a run that died holding it, and
        // any temp file of an info file too (they are only written under this lock).
        let stale = self.read_lock_info();
        remove_matching(
            &self.dir(),
            &[&format!("{}.lock.info.tmp-", self.file_name())],
        );
        let info = LockInfo::for_this_process(operation);
        let json = serde_json::to_vec_pretty(&info).unwrap_or_default();
        write_replacing(&self.lock_info_path(), &json)?;
        let guard = LocalLock {
            file: Some(file),
            info_path: self.lock_info_path(),
            id: info.id.clone(),
            abandoned: false,
        };
        // A journal left by earlier runs (or by one that died before it could fold): fold it
        // now, under the lock, if it has grown large (`fold_if_due`).
        self.fold_if_due()?;
        Ok((guard, info, stale))
    }

    fn read_lock_info(&self) -> Option<LockInfo> {
        let bytes = fs::read(self.lock_info_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Clear the lock `id` if its process is gone. A live process on this machine keeps its OS
    /// lock whatever we do, so that case is refused with its pid.
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        let Some(info) = self.read_lock_info() else {
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
        let lock_path = self.lock_path();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StateError::io("open the lock file", &lock_path, e))?;
        match file.try_lock() {
            Ok(()) => {
                remove_if_exists(&self.lock_info_path())?;
                Ok(info)
            }
            Err(TryLockError::WouldBlock) => Err(StateError::HeldByLiveProcess(info)),
            Err(TryLockError::Error(e)) => Err(StateError::io("lock", &lock_path, e)),
        }
    }

    /// Serial `serial` if this directory still holds it (see [`LocalStore::history`]).
    pub fn read_serial(&self, serial: u64) -> Result<StateDocument, StateError> {
        let backup = LocalStore::new(self.backup_path());
        let candidates = [
            self.read()?,
            self.read_snapshot()?.0,
            backup.read().ok().flatten(),
        ];
        let mut kept: Vec<u64> = candidates.iter().flatten().map(|d| d.serial).collect();
        kept.dedup();
        candidates
            .into_iter()
            .flatten()
            .find(|d| d.serial == serial)
            .ok_or_else(|| StateError::NotKept {
                location: self.path.display().to_string(),
                serial,
                kept: kept
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The current serial and the backup's, newest first. A backup that fails verification is
    /// left out (the current state is still listed).
    pub fn history(&self) -> Result<Vec<HistoryEntry>, StateError> {
        let mut entries = Vec::new();
        let disk = self.read_disk()?;
        if let Some(doc) = &disk.doc {
            entries.push(doc.history_entry());
        }
        if disk.journaled
            && let Some(snapshot) = self.read_snapshot()?.0
        {
            entries.push(snapshot.history_entry());
        }
        let backup = LocalStore::new(self.backup_path());
        if let Ok(Some(doc)) = backup.read() {
            entries.push(doc.history_entry());
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.serial));
        entries.dedup_by_key(|e| e.serial);
        Ok(entries)
    }
}

/// A new state version written to a synced temp file, not yet in place. Dropping it without
/// `commit` removes the temp file; the state is untouched either way until `commit`. It holds
/// the directory lock until it is dropped.
#[derive(Debug)]
pub struct StagedWrite {
    temp: PathBuf,
    store: LocalStore,
    done: bool,
    _dir_lock: File,
}

impl StagedWrite {
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Second half: keep the current file as the backup, rename the temp file over the state,
    /// fsync the directory.
    pub fn commit(mut self) -> Result<(), StateError> {
        let path = self.store.path.clone();
        if path.exists() {
            keep_backup(&path, &self.store.backup_path())?;
        }
        fs::rename(&self.temp, &path).map_err(|e| StateError::io("rename into", &path, e))?;
        self.done = true;
        sync_dir(&self.store.dir())
    }

    /// What a crash before the rename leaves behind: the temp file, and the state untouched
    /// (the directory lock is freed, as the OS frees a dead process's locks).
    pub fn abandon(mut self) {
        self.done = true;
    }
}

impl Drop for StagedWrite {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

impl LocalLock {
    /// What a crashed run leaves: the OS lock freed (its process is gone), the info file kept.
    pub fn abandon(mut self) {
        self.abandoned = true;
        self.file.take();
    }
}

impl Drop for LocalLock {
    fn drop(&mut self) {
        if !self.abandoned {
            // Remove the info only if it is still ours (force-unlock may have replaced it).
            let ours = fs::read(&self.info_path)
                .ok()
                .and_then(|b| serde_json::from_slice::<LockInfo>(&b).ok())
                .is_some_and(|i| i.id == self.id);
            if ours {
                let _ = fs::remove_file(&self.info_path);
            }
        }
        // Dropping the file releases the OS lock.
        self.file.take();
    }
}

/// The file a state path names: symbolic links followed (a relative target against the link's
/// directory), whether or not the final target exists yet. A path that is not a link is
/// returned as it is.
fn resolve_links(path: PathBuf) -> PathBuf {
    let mut current = path;
    for _ in 0..MAX_LINKS {
        let Ok(target) = fs::read_link(&current) else {
            break;
        };
        current = match current.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    current
}

/// Remove the regular files of `dir` whose names start with one of `prefixes`, best effort
/// (a file that cannot be removed now is removed by a later run).
fn remove_matching(dir: &Path, prefixes: &[&str]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && prefixes.iter().any(|p| name.starts_with(p)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn metadata(path: &Path) -> Result<Option<fs::Metadata>, StateError> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StateError::io("read the metadata of", path, e)),
    }
}

/// A file's bytes and its identity as opened (`fstat` of the handle read from).
fn read_with_identity(path: &Path) -> std::io::Result<(Vec<u8>, FileId)> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    // Compare against what was read: an append racing this read changes the length.
    let id = identity(&meta);
    let len = bytes.len() as u64;
    Ok((bytes, (id.0, id.1, len, id.3)))
}

/// Whether a journal of `journal` bytes beside a snapshot of `snapshot` bytes is to be folded:
/// always without a snapshot, else once the journal reaches half the snapshot.
fn fold_due(snapshot: u64, journal: u64) -> bool {
    snapshot == 0 || journal >= snapshot / 2
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| StateError::io("create", path, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| StateError::io("write", path, e))
}

/// Replace a small file atomically (temp + rename), without fsync: used for lock info.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let temp = suffixed(path, &format!(".tmp-{}", std::process::id()));
    fs::write(&temp, bytes).map_err(|e| StateError::io("write", &temp, e))?;
    fs::rename(&temp, path).map_err(|e| StateError::io("rename into", path, e))
}

/// Make `backup` the current `path` (hard link, or a copy), atomically replacing the old backup.
fn keep_backup(path: &Path, backup: &Path) -> Result<(), StateError> {
    let temp = suffixed(backup, &format!(".tmp-{}", std::process::id()));
    remove_if_exists(&temp)?;
    if fs::hard_link(path, &temp).is_err() {
        let bytes = fs::read(path).map_err(|e| StateError::io("read", path, e))?;
        write_synced(&temp, &bytes)?;
    }
    fs::rename(&temp, backup).map_err(|e| StateError::io("rename into", backup, e))
}

fn remove_if_exists(path: &Path) -> Result<(), StateError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(StateError::io("remove", path, e))
        }
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StateError::io("sync the directory", dir, e))
}
