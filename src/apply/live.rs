//! The facts changes read from Meta while they run, read once per apply. Before a phase
//! starts, the engine asks each change's kind what it will read (`Kind::live_reads`) and reads
//! every distinct object once, in Graph batches ([`GraphPort::read_live`]: the senders' status
//! and name status and the WABAs' review status, in the same batches per token); the changes
//! then find their reads answered here. Still a read at apply time, never the plan's.
//!
//! A fact is reused while it is younger than [`MAX_AGE`], counted from when its read was sent.
//! A change that waited (Meta's pacing, a rate-limit wait, a long retry, a slow state store)
//! may come to a fact older than that: it is read again, once, and the new answer serves the
//! changes after it. A read refused unsent (the run stopped talking to Meta) is not kept, so
//! each change still sees its own refusal; any other error is kept like an answer, so a number
//! Meta could not answer for fails its own configurations only, once, not once per
//! configuration.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::ports::{GraphPort, PortError};
use crate::kinds::{GraphRequest, LiveRead, NumberRead, WabaRead};
use crate::model::ObservedNumber;

/// How long a fact read at apply time is trusted: one minute. A sender's status or name
/// status, or a WABA's review, changes on Meta's side on a scale of minutes to days, and an
/// apply's phase normally runs in seconds; a fact that aged past this while a change waited is
/// read again.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// One fact's latest read: when it was sent and what it answered. Behind its own async lock,
/// so changes that find it old reread it once between them, not each.
type Slot<T> = Arc<tokio::sync::Mutex<Option<(Instant, Result<T, PortError>)>>>;

type Slots<K, T> = Mutex<BTreeMap<K, Slot<T>>>;

/// The Graph port with the phase's facts read ahead.
pub struct LiveFacts<'g> {
    inner: &'g dyn GraphPort,
    max_age: Duration,
    numbers: Slots<NumberRead, ObservedNumber>,
    /// WABA review statuses (`None`: Meta did not say).
    wabas: Slots<WabaRead, Option<String>>,
}

fn slot<K: Ord + Clone, T>(slots: &Slots<K, T>, key: &K) -> Slot<T> {
    let mut slots = slots.lock().unwrap_or_else(|e| e.into_inner());
    slots.entry(key.clone()).or_default().clone()
}

/// What a read answered, kept unless it was refused unsent.
fn keep<T>(answer: &Result<T, PortError>) -> bool {
    !matches!(answer, Err(PortError::NotAttempted(_)))
}

/// Each key of `wanted` whose slot is not fresh, with its slot held until the answer is in.
async fn stale<K: Ord + Clone, T: Clone>(
    facts: &LiveFacts<'_>,
    slots: &Slots<K, T>,
    mut wanted: Vec<K>,
) -> (
    Vec<K>,
    Vec<tokio::sync::OwnedMutexGuard<Option<(Instant, Result<T, PortError>)>>>,
) {
    wanted.sort();
    wanted.dedup();
    let mut keys = Vec::new();
    let mut held = Vec::new();
    for key in wanted {
        let guard = slot(slots, &key).lock_owned().await;
        if facts.fresh(&guard).is_none() {
            held.push(guard);
            keys.push(key);
        }
    }
    (keys, held)
}

impl<'g> LiveFacts<'g> {
    pub fn new(inner: &'g dyn GraphPort, max_age: Duration) -> Self {
        Self {
            inner,
            max_age,
            numbers: Mutex::new(BTreeMap::new()),
            wabas: Mutex::new(BTreeMap::new()),
        }
    }

    fn fresh<T: Clone>(
        &self,
        kept: &Option<(Instant, Result<T, PortError>)>,
    ) -> Option<Result<T, PortError>> {
        kept.as_ref()
            .filter(|(at, _)| at.elapsed() < self.max_age)
            .map(|(_, answer)| answer.clone())
    }

    /// Read every distinct fact of `reads` not already fresh, numbers and WABAs in one
    /// batched call.
    pub async fn read_ahead(&self, reads: Vec<LiveRead>) {
        let mut numbers = Vec::new();
        let mut wabas = Vec::new();
        for read in reads {
            match read {
                LiveRead::Number(n) => numbers.push(n),
                LiveRead::Waba(w) => wabas.push(w),
            }
        }
        let (numbers, held_numbers) = stale(self, &self.numbers, numbers).await;
        let (wabas, held_wabas) = stale(self, &self.wabas, wabas).await;
        let sent = Instant::now();
        // Both kinds of fact in the same Graph batches (the port over Meta groups them per
        // token), so the WABAs' reviews cost no requests of their own when they fit.
        let (number_answers, waba_answers) = if numbers.is_empty() && wabas.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            self.inner.read_live(&numbers, &wabas).await
        };
        for (mut guard, answer) in held_numbers.into_iter().zip(number_answers) {
            if keep(&answer) {
                *guard = Some((sent, answer));
            }
        }
        for (mut guard, answer) in held_wabas.into_iter().zip(waba_answers) {
            if keep(&answer) {
                *guard = Some((sent, answer));
            }
        }
    }
}

impl GraphPort for LiveFacts<'_> {
    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        phone_number_id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        Box::pin(async move {
            let read = NumberRead {
                credentials: credentials.to_string(),
                phone_number_id: phone_number_id.to_string(),
            };
            let slot = slot(&self.numbers, &read);
            let mut kept = slot.lock().await;
            if let Some(answer) = self.fresh(&kept) {
                return answer;
            }
            let sent = Instant::now();
            let answer = self.inner.read_number(credentials, phone_number_id).await;
            if keep(&answer) {
                *kept = Some((sent, answer.clone()));
            }
            answer
        })
    }

    fn read_waba_review<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, PortError>> {
        Box::pin(async move {
            let read = WabaRead {
                credentials: credentials.to_string(),
                waba_id: waba_id.to_string(),
            };
            let slot = slot(&self.wabas, &read);
            let mut kept = slot.lock().await;
            if let Some(answer) = self.fresh(&kept) {
                return answer;
            }
            let sent = Instant::now();
            let answer = self.inner.read_waba_review(credentials, waba_id).await;
            if keep(&answer) {
                *kept = Some((sent, answer.clone()));
            }
            answer
        })
    }

    fn read_waba_reviews<'a>(
        &'a self,
        reads: &'a [WabaRead],
    ) -> BoxFuture<'a, Vec<Result<Option<String>, PortError>>> {
        self.inner.read_waba_reviews(reads)
    }

    fn read_numbers<'a>(
        &'a self,
        reads: &'a [NumberRead],
    ) -> BoxFuture<'a, Vec<Result<ObservedNumber, PortError>>> {
        self.inner.read_numbers(reads)
    }

    fn write<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>> {
        self.inner.write(credentials, request)
    }

    fn write_answer<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<serde_json::Value, PortError>> {
        self.inner.write_answer(credentials, request)
    }

    fn read_template<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
        name: &'a str,
    ) -> BoxFuture<
        'a,
        Result<std::collections::BTreeMap<String, crate::model::ObservedTemplate>, PortError>,
    > {
        self.inner.read_template(credentials, waba_id, name)
    }

    fn upload<'a>(
        &'a self,
        credentials: &'a str,
        file: &'a crate::kinds::MediaFile,
    ) -> BoxFuture<'a, Result<String, PortError>> {
        self.inner.upload(credentials, file)
    }

    fn halted(&self) -> Option<String> {
        self.inner.halted()
    }
}
