//! Group commit of state writes. Every change is applied to the in-memory resources and then
//! made durable before the change is reported done; when several changes finish while a write
//! is in flight, the next write carries all of them. State is still written after each
//! resource operation (none is reported before it is on disk), with one fsync'd write per
//! group instead of per change.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use tokio::sync::Mutex;

use super::ports::{PortError, StateWriter};
use crate::kinds::{RecordedResource, Records};
use crate::model::Address;
use crate::plan::PriorState;

struct Memory {
    resources: BTreeMap<Address, RecordedResource>,
    /// Bumped by every change applied in memory.
    generation: u64,
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
    pub async fn note(&self, update: impl FnOnce(&mut BTreeMap<Address, RecordedResource>)) {
        let mut memory = self.memory.lock().await;
        update(&mut memory.resources);
        memory.generation += 1;
    }

    /// Apply `update` and return once it is durable.
    pub async fn commit(
        &self,
        update: impl FnOnce(&mut BTreeMap<Address, RecordedResource>),
    ) -> Result<(), PortError> {
        let mine = {
            let mut memory = self.memory.lock().await;
            update(&mut memory.resources);
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
        let (snapshot, generation) = {
            let memory = self.memory.lock().await;
            (memory.resources.clone(), memory.generation)
        };
        match disk.writer.write(&snapshot).await {
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

    /// The state after the last successful write.
    pub fn into_last(self) -> Option<PriorState> {
        self.disk.into_inner().last
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
        Box::pin(async move { Committer::note(self, |r| put(r, addr, record)).await })
    }

    fn commit(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> BoxFuture<'_, Result<(), PortError>> {
        Box::pin(async move { Committer::commit(self, |r| put(r, addr, record)).await })
    }
}
