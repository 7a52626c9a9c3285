//! Group commit of state writes. Every change is applied to the in-memory resources and then
//! made durable before the change is reported done; when several changes finish while a write
//! is in flight, the next write carries all of them. State is still written after each
//! resource operation (none is reported before it is on disk), with one fsync'd write per
//! group instead of per change. A write carries only the resources changed since the previous
//! one (`StateChanges`), so its cost follows the group, not the size of the estate; the final
//! document is assembled once, by `finish`, at the end of the apply.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::BoxFuture;
use tokio::sync::Mutex;

use super::ports::{PortError, StateChanges, StateWriter};
use crate::kinds::{RecordedResource, Records};
use crate::model::Address;
use crate::plan::PriorState;

/// The records as this apply changed them: what it changed over the records it started from
/// (a copy of 10,000 records per apply cost more than the change of one).
struct Memory<'a> {
    base: &'a BTreeMap<Address, RecordedResource>,
    /// Records this apply wrote (`Some`) or removed (`None`).
    changed: BTreeMap<Address, Option<RecordedResource>>,
    /// Bumped by every change applied in memory.
    generation: u64,
    /// Addresses changed in memory since the last write took its changes.
    dirty: BTreeSet<Address>,
}

impl Memory<'_> {
    fn current(&self, addr: &Address) -> Option<&RecordedResource> {
        match self.changed.get(addr) {
            Some(changed) => changed.as_ref(),
            None => self.base.get(addr),
        }
    }

    /// Apply a kind's record (or its absence).
    fn put(&mut self, addr: Address, record: Option<RecordedResource>) {
        self.dirty.insert(addr.clone());
        self.changed.insert(addr, record);
        self.generation += 1;
    }

    /// Take what changed since the last write: the current record of each dirty address, or
    /// its removal.
    fn take_changes(&mut self) -> StateChanges {
        let mut changes = StateChanges::default();
        for addr in std::mem::take(&mut self.dirty) {
            match self.current(&addr) {
                Some(r) => changes.upserts.push((addr, r.clone())),
                None => changes.removals.push(addr),
            }
        }
        changes
    }
}

struct Disk<W> {
    writer: W,
    /// The generation the last successful write carried.
    written: u64,
    last: Option<PriorState>,
    /// After a failed write nothing more is written: later changes fail with the same error,
    /// so no change is ever reported done without being on disk.
    failed: Option<PortError>,
}

pub struct Committer<'a, W> {
    memory: Mutex<Memory<'a>>,
    disk: Mutex<Disk<W>>,
    /// The first failed write's error, for the engine to stop starting changes on (read
    /// without waiting for the disk).
    write_failed: std::sync::OnceLock<PortError>,
}

impl<'a, W: StateWriter> Committer<'a, W> {
    /// Over the records the apply starts from.
    pub fn new(base: &'a BTreeMap<Address, RecordedResource>, writer: W) -> Self {
        Self {
            memory: Mutex::new(Memory {
                base,
                changed: BTreeMap::new(),
                generation: 0,
                dirty: BTreeSet::new(),
            }),
            disk: Mutex::new(Disk {
                writer,
                written: 0,
                last: None,
                failed: None,
            }),
            write_failed: std::sync::OnceLock::new(),
        }
    }

    /// The error of the write that failed, once one did: nothing more can be recorded, so
    /// no change should start.
    pub fn write_failed(&self) -> Option<&PortError> {
        self.write_failed.get()
    }

    /// A copy of one recorded resource as it stands now.
    pub async fn get(&self, addr: &Address) -> Option<RecordedResource> {
        self.memory.lock().await.current(addr).cloned()
    }

    /// Apply `update` in memory only: it reaches disk with the next write. For transient
    /// records (Processing) whose loss in a crash changes nothing: the next plan submits
    /// the configuration again either way.
    pub async fn note(&self, addr: Address, record: Option<RecordedResource>) {
        self.memory.lock().await.put(addr, record);
    }

    /// Apply `update` and return once it is durable.
    pub async fn commit(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> Result<(), PortError> {
        let mine = {
            let mut memory = self.memory.lock().await;
            memory.put(addr, record);
            memory.generation
        };
        let mut disk = self.disk.lock().await;
        if let Some(e) = &disk.failed {
            return Err(e.clone());
        }
        if disk.written >= mine {
            // A write that started after this change was applied already carried it.
            return Ok(());
        }
        let (changes, generation) = {
            let mut memory = self.memory.lock().await;
            (memory.take_changes(), memory.generation)
        };
        match disk.writer.write(&changes).await {
            Ok(state) => {
                disk.written = generation;
                disk.last = Some(state);
                Ok(())
            }
            Err(e) => {
                disk.failed = Some(e.clone());
                let _ = self.write_failed.set(e.clone());
                Err(e)
            }
        }
    }

    /// End of the apply: the writer assembles the final document once. Returns the state
    /// after the last successful write, and the error of that final step if it failed (every
    /// change is durable all the same).
    pub async fn finish(self) -> (Option<PriorState>, Option<PortError>) {
        let mut disk = self.disk.into_inner();
        if disk.failed.is_some() || disk.last.is_none() {
            return (disk.last, None);
        }
        let failed = disk.writer.finish().await.err();
        (disk.last, failed)
    }
}

impl<W: StateWriter + Sync> Records for Committer<'_, W> {
    fn get<'a>(&'a self, addr: &'a Address) -> BoxFuture<'a, Option<RecordedResource>> {
        Box::pin(Committer::get(self, addr))
    }

    fn note(&self, addr: Address, record: Option<RecordedResource>) -> BoxFuture<'_, ()> {
        Box::pin(Committer::note(self, addr, record))
    }

    fn commit(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> BoxFuture<'_, Result<(), PortError>> {
        Box::pin(Committer::commit(self, addr, record))
    }
}
