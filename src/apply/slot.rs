//! The apply's slots: `--parallelism` bounds how many changes *work* at once (decide, call
//! Meta), not how many wait for the disk. A change holds a slot from its start; it gives the slot
//! back when it commits its last record (`Records::commit_last`), because waiting for a group
//! commit to be durable is no work for Meta (and takes one again should it call Meta after). So while a group's fsync runs, the
//! next changes keep starting and finish into the next group, instead of every group holding at
//! most `parallelism` changes (issue 12: 1,446 fsync'd commits for 10,000 configurations at
//! parallelism 8).

use futures::future::BoxFuture;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::kinds::{PortError, RecordedResource, Records};
use crate::model::Address;

/// How many changes of a phase may be under way at once, waiting for the disk included, per
/// slot. It bounds the memory of changes in flight and the size of a group commit (at most
/// this many changes, about 1 KB each in a journal record), while letting each fsync carry
/// every change that finished during the one before.
const ADMITTED_PER_SLOT: usize = 64;

/// The number of changes under way at once for `parallelism` slots.
pub fn admitted(parallelism: usize) -> usize {
    parallelism.max(1) * ADMITTED_PER_SLOT
}

/// One change's hold on a slot.
pub struct Slot<'s> {
    slots: &'s Semaphore,
    permit: std::sync::Mutex<Option<SemaphorePermit<'s>>>,
}

impl<'s> Slot<'s> {
    pub fn new(slots: &'s Semaphore) -> Self {
        Self {
            slots,
            permit: std::sync::Mutex::new(None),
        }
    }

    fn held(&self) -> bool {
        self.permit.lock().map(|p| p.is_some()).unwrap_or(true)
    }

    /// Take a slot unless this change holds one (waits while all are taken).
    pub async fn hold(&self) {
        if self.held() {
            return;
        }
        // The semaphore is never closed; were it, the change would go on without a slot
        // rather than stop.
        let Ok(permit) = self.slots.acquire().await else {
            return;
        };
        if let Ok(mut mine) = self.permit.lock() {
            // Two calls of one change raced for a slot: the second permit goes back.
            mine.get_or_insert(permit);
        }
    }

    /// Give the slot back (waiting for the disk is not work for Meta).
    pub fn release(&self) {
        if let Ok(mut mine) = self.permit.lock() {
            mine.take();
        }
    }
}

/// The apply's records as one change sees them: its last commit gives the change's slot back
/// while it waits to be durable.
pub struct SlotRecords<'a, 's> {
    pub inner: &'a dyn Records,
    pub slot: &'a Slot<'s>,
}

impl Records for SlotRecords<'_, '_> {
    fn get<'a>(&'a self, addr: &'a Address) -> BoxFuture<'a, Option<RecordedResource>> {
        self.inner.get(addr)
    }

    fn note(&self, addr: Address, record: Option<RecordedResource>) -> BoxFuture<'_, ()> {
        self.inner.note(addr, record)
    }

    fn commit(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> BoxFuture<'_, Result<(), PortError>> {
        self.inner.commit(addr, record)
    }

    fn commit_last(
        &self,
        addr: Address,
        record: Option<RecordedResource>,
    ) -> BoxFuture<'_, Result<(), PortError>> {
        self.slot.release();
        self.inner.commit(addr, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slot_is_taken_once_given_back_and_taken_again() {
        let slots = Semaphore::new(2);
        let a = Slot::new(&slots);
        a.hold().await;
        a.hold().await;
        assert_eq!(slots.available_permits(), 1, "holding twice takes one slot");
        a.release();
        assert_eq!(slots.available_permits(), 2);
        a.hold().await;
        assert_eq!(slots.available_permits(), 1);
        drop(a);
        assert_eq!(
            slots.available_permits(),
            2,
            "a finished change frees its slot"
        );
    }

    #[tokio::test]
    async fn a_change_waits_for_a_slot_when_all_are_taken() {
        let slots = Semaphore::new(1);
        let a = Slot::new(&slots);
        let b = Slot::new(&slots);
        a.hold().await;
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), b.hold()).await;
        assert!(waiting.is_err(), "b must wait while a works");
        a.release();
        b.hold().await;
        assert!(b.held());
    }
}
