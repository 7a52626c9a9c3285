//! Group commit of state writes. Every change is applied to the in-memory resources and then
//! made durable before the change is reported done; when several changes finish while a write
//! is in flight, the next write carries all of them. State is still written after each
//! resource operation (none is reported before it is on disk), with one fsync'd write per
//! group instead of per change.

use std::collections::BTreeMap;

use tokio::sync::Mutex;

use super::engine::StateWriter;
use crate::model::{Address, RecordedResource};
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
    failed: Option<String>,
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
    ) -> Result<(), String> {
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
