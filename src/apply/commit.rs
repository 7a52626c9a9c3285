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

struct Memory {
    resources: BTreeMap<Address, RecordedResource>,
    /// Bumped by every change applied in memory.
    generation: u64,
    /// Addresses changed in memory since the last write took its changes.
    dirty: BTreeSet<Address>,
}

impl Memory {
    /// Take what changed since the last write: the current record of each dirty address, or
    /// its removal.
    fn take_changes(&mut self) -> StateChanges {
        let mut changes = StateChanges::default();
        for addr in std::mem::take(&mut self.dirty) {
            match self.resources.get(&addr) {
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

pub struct Committer<W> {
    memory: Mutex<Memory>,
    disk: Mutex<Disk<W>>,
}

impl<W: StateWriter> Committer<W> {
    pub fn new(resources: BTreeMap<Address, RecordedResource>, writer: W) -> Self {
        Self {
            memory: Mutex::new(Memory {
                resources,
                generation: 0,
                dirty: BTreeSet::new(),
            }),
            disk: Mutex::new(Disk {
                writer,
                written: 0,
                last: None,
                failed: None,
            }),
        }
    }

    /// A copy of one recorded resource as it stands now.
    pub async fn get(&self, addr: &Address) -> Option<RecordedResource> {
        self.memory.lock().await.resources.get(addr).cloned()
    }

    /// Apply `update` in memory only: it reaches disk with the next write. For transient
    /// records (Processing) whose loss in a crash changes nothing: the next plan submits
    /// the configuration again either way.
    pub async fn note(&self, addr: Address, record: Option<RecordedResource>) {
        let mut memory = self.memory.lock().await;
        put(&mut memory.resources, addr.clone(), record);
        memory.dirty.insert(addr);
        memory.generation += 1;
    }

    /// Apply `update` and return once it is durable.
    pub async fn commit(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> Result<(), PortError> {
        let mine = {
            let mut memory = self.memory.lock().await;
            put(&mut memory.resources, addr.clone(), record);
            memory.dirty.insert(addr);
            memory.generation += 1;
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

/// Apply a kind's record (or its absence) to the resources.
fn put(
    resources: &mut BTreeMap<Address, RecordedResource>,
    addr: Address,
    record: Option<RecordedResource>,
) {
    match record {
        Some(r) => {
            resources.insert(addr, r);
        }
        None => {
            resources.remove(&addr);
        }
    }
}

impl<W: StateWriter + Sync> Records for Committer<W> {
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
