//! The facts changes read from Meta while they run, read once per apply. Before a phase
//! starts, the engine asks each change's kind what it will read (`Kind::live_reads`) and reads
//! every distinct object once, in Graph batches ([`GraphPort::read_numbers`]); the changes then
//! find their reads answered here. Still a read at apply time, never the plan's.
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
use crate::kinds::{GraphRequest, LiveRead, NumberRead};
use crate::model::ObservedNumber;

/// How long a fact read at apply time is trusted: one minute. A sender's status or name
/// status changes on Meta's side on a scale of minutes to days, and an apply's phase normally
/// runs in seconds; a fact that aged past this while a change waited is read again.
pub const MAX_AGE: Duration = Duration::from_secs(60);

type Answer = Result<ObservedNumber, PortError>;

/// One number's latest read: when it was sent and what it answered. Behind its own async
/// lock, so changes that find it old reread it once between them, not each.
type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Answer)>>>;

/// The Graph port with the phase's facts read ahead.
pub struct LiveFacts<'g> {
    inner: &'g dyn GraphPort,
    max_age: Duration,
    numbers: Mutex<BTreeMap<NumberRead, Slot>>,
}

impl<'g> LiveFacts<'g> {
    pub fn new(inner: &'g dyn GraphPort, max_age: Duration) -> Self {
        Self {
            inner,
            max_age,
            numbers: Mutex::new(BTreeMap::new()),
        }
    }

    fn slot(&self, read: &NumberRead) -> Slot {
        let mut numbers = self.numbers.lock().unwrap_or_else(|e| e.into_inner());
        numbers.entry(read.clone()).or_default().clone()
    }

    fn fresh(&self, kept: &Option<(Instant, Answer)>) -> Option<Answer> {
        kept.as_ref()
            .filter(|(at, _)| at.elapsed() < self.max_age)
            .map(|(_, answer)| answer.clone())
    }

    /// Read every distinct fact of `reads` not already fresh, in one batched call.
    pub async fn read_ahead(&self, reads: Vec<LiveRead>) {
        let mut wanted: Vec<NumberRead> = Vec::new();
        for LiveRead::Number(read) in reads {
            wanted.push(read);
        }
        wanted.sort();
        wanted.dedup();
        let mut held = Vec::new();
        let mut to_read = Vec::new();
        for read in wanted {
            let slot = self.slot(&read);
            let guard = slot.clone().lock_owned().await;
            if self.fresh(&guard).is_none() {
                held.push(guard);
                to_read.push(read);
            }
        }
        if to_read.is_empty() {
            return;
        }
        let sent = Instant::now();
        let answers = self.inner.read_numbers(&to_read).await;
        for (mut guard, answer) in held.into_iter().zip(answers) {
            if !matches!(answer, Err(PortError::NotAttempted(_))) {
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
            let slot = self.slot(&read);
            let mut kept = slot.lock().await;
            if let Some(answer) = self.fresh(&kept) {
                return answer;
            }
            let sent = Instant::now();
            let answer = self.inner.read_number(credentials, phone_number_id).await;
            if !matches!(answer, Err(PortError::NotAttempted(_))) {
                *kept = Some((sent, answer.clone()));
            }
            answer
        })
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
