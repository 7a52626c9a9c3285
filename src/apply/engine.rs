//! The apply engine: carries a plan's changes out phase by phase (`kinds::phases`),
//! independent changes concurrently, and has each change's kind execute it. It decides
//! nothing: kinds decide (from their lifecycle) and record; the engine orders, skips what
//! depends on a failure, stops starting work on Ctrl-C or once the run stopped talking to
//! Meta (`GraphPort::halted`), and collects the report. Before each phase it reads, in Graph
//! batches, every fact the phase's changes will read from Meta (`live`), once per object.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures::StreamExt;
use futures::future::BoxFuture;
use tokio::sync::Semaphore;

use super::commit::Committer;
use super::live::LiveFacts;
use super::ports::{GraphPort, PortError, StateWriter};
use super::report::{ApplyReport, ChangeOutcome, ChangeResult};
use super::slot::{Slot, SlotRecords, admitted};
use super::wait::WaitFor;
use crate::kinds::GraphRequest;
use crate::kinds::outcome::{failed, port_error, result};
use crate::kinds::{
    Desired, ExecCtx, MediaFiles, NoMediaFiles, Pacing, RecordedResource, kind_of, phases,
};
use crate::model::{Action, Address, ErrorClass, Observed, ObservedNumber, TokenFingerprint};
use crate::plan::{Plan, ResourceChange};

/// What apply needs besides the plan.
pub struct ApplyInput<'a> {
    pub desired: &'a Desired,
    /// Facts read just before apply (the same read the stale check used).
    pub observed: &'a Observed,
    /// Secret fingerprints by secret key, as the planner saw them.
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub recorded: BTreeMap<Address, RecordedResource>,
    pub parallelism: usize,
    /// Set by the Ctrl-C handler: finish what is in flight, start nothing new.
    pub interrupted: Arc<AtomicBool>,
    /// How long a fact read at apply time is reused before a change reads it again
    /// (`live::MAX_AGE`).
    pub live_max_age: std::time::Duration,
}

/// Progress events, for the renderer to print as they happen.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    Started(&'a ResourceChange),
    Finished(&'a ChangeResult),
    /// `apply --wait`: the changes are done; `count` resources are in Meta's review.
    AwaitingReview {
        count: usize,
    },
    /// A poll found these parts of `address` still in review.
    InReview {
        address: &'a Address,
        pending: &'a [String],
        elapsed: std::time::Duration,
    },
    /// Meta decided: the change's result with the decision.
    Reviewed {
        result: &'a ChangeResult,
        elapsed: std::time::Duration,
    },
}

/// Carry out every actionable change of `plan`, phase by phase.
pub async fn apply<W: StateWriter + Sync>(
    plan: &Plan,
    input: ApplyInput<'_>,
    writer: W,
    graph: &dyn GraphPort,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> ApplyReport {
    apply_waiting(plan, input, Extras::default(), writer, graph, progress).await
}

/// What `apply` (the command) adds to an apply: a wait for Meta's review, and the media files
/// a template header uploads.
pub struct Extras<'a> {
    /// `apply --wait`: wait for Meta's review of what was submitted (see `wait.rs`).
    pub wait: Option<WaitFor>,
    pub files: &'a dyn MediaFiles,
}

impl Default for Extras<'_> {
    fn default() -> Self {
        Extras {
            wait: None,
            files: &NoMediaFiles,
        }
    }
}

/// As [`apply`], with the `extras`: media files read for uploads, and with a wait, Meta's
/// review of what it submitted awaited and each decision recorded.
pub async fn apply_waiting<W: StateWriter + Sync>(
    plan: &Plan,
    input: ApplyInput<'_>,
    extras: Extras<'_>,
    writer: W,
    graph: &dyn GraphPort,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> ApplyReport {
    let records = Committer::new(&input.recorded, writer);
    let live = LiveFacts::new(graph, input.live_max_age);
    let pacing = Pacing::default();
    let cx = ExecCtx {
        desired: input.desired,
        prior: &input.recorded,
        pacing: &pacing,
        files: extras.files,
        observed: input.observed,
        fingerprints: input.fingerprints,
        records: &records,
        graph: &live,
    };
    let mut report = ApplyReport::default();
    let mut failed: Vec<Address> = Vec::new();
    let changes: Vec<&ResourceChange> = plan.actionable().collect();
    for phase in 0..phases::count() {
        let batch: Vec<&ResourceChange> = changes
            .iter()
            .copied()
            .filter(|c| phases::phase_of(c) == phase)
            .collect();
        if batch.is_empty() {
            continue;
        }
        if records.write_failed().is_none() {
            read_ahead(&batch, &failed, &cx, &live, &input).await;
        }
        let slots = Semaphore::new(input.parallelism.max(1));
        let results: Vec<ChangeResult> = futures::stream::iter(batch)
            .map(|change| {
                let (failed, cx, input, live, slots) = (&failed, &cx, &input, &live, &slots);
                let records = &records;
                async move {
                    let slot = Slot::new(slots);
                    slot.hold().await;
                    if input.interrupted.load(Ordering::SeqCst) {
                        return skipped(change, "interrupted before it started (Ctrl-C)");
                    }
                    if let Some(why) = graph.halted() {
                        return skipped(change, &not_attempted(&why));
                    }
                    // A change that cannot be recorded must not change Meta either.
                    if records.write_failed().is_some() {
                        return skipped(change, &not_attempted(STATE_UNWRITABLE));
                    }
                    if let Some(dep) = change.depends_on.iter().find(|d| failed.contains(d)) {
                        return skipped(change, &format!("{dep} failed"));
                    }
                    progress(Progress::Started(change));
                    let counted = Counted::new(live, &slot);
                    let records = SlotRecords {
                        inner: cx.records,
                        slot: &slot,
                    };
                    let own = ExecCtx {
                        graph: &counted,
                        records: &records,
                        ..*cx
                    };
                    let mut result = match execute(change, &own).await {
                        Some(r) => r,
                        None => kind_of(&change.address).execute(change, &own).await,
                    };
                    // Every call it made was refused before being sent: Meta never saw this
                    // change, so it was not attempted, not failed.
                    if let (ChangeOutcome::Error { .. }, Some(why)) =
                        (&result.outcome, counted.never_sent())
                    {
                        result = skipped(change, &not_attempted(&why));
                    }
                    progress(Progress::Finished(&result));
                    result
                }
            })
            .buffer_unordered(admitted(input.parallelism))
            .collect()
            .await;
        for r in results {
            if !matches!(r.outcome, ChangeOutcome::Applied) {
                failed.push(r.address.clone());
            }
            report.results.push(r);
        }
    }
    // The report lists results in the plan's order. Each position is looked up once: a
    // search of the changes per comparison made this sort quadratic (at 10,000 changes
    // finishing out of order, half of an apply's CPU time).
    let order: std::collections::HashMap<&Address, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.address, i))
        .collect();
    report
        .results
        .sort_by_cached_key(|r| order.get(&r.address).copied().unwrap_or(usize::MAX));
    if let Some(wait) = &extras.wait
        && !input.interrupted.load(Ordering::SeqCst)
    {
        report.review = super::wait::reviews(
            &mut report.results,
            &cx,
            wait,
            &input.interrupted,
            input.parallelism,
            progress,
        )
        .await;
    }
    report.interrupted = input.interrupted.load(Ordering::SeqCst);
    report.stopped = graph
        .halted()
        .or_else(|| records.write_failed().map(|_| STATE_UNWRITABLE.to_string()))
        .filter(|_| report.failed());
    let (state, finish_failed) = records.finish().await;
    report.state = state;
    report.finish_warning = finish_failed.map(|e| e.to_string());
    // Freeing every record of a large state takes milliseconds the report need not wait for.
    let recorded = input.recorded;
    std::thread::spawn(move || drop(recorded));
    report
}

/// Read what the changes of a phase that will run read from Meta, once per object, before
/// the first of them starts (nothing when no change of it will start).
async fn read_ahead(
    batch: &[&ResourceChange],
    failed: &[Address],
    cx: &ExecCtx<'_>,
    live: &LiveFacts<'_>,
    input: &ApplyInput<'_>,
) {
    if input.interrupted.load(Ordering::SeqCst) || live.halted().is_some() {
        return;
    }
    let mut reads = Vec::new();
    for change in batch {
        if !change.depends_on.iter().any(|d| failed.contains(d)) {
            reads.extend(kind_of(&change.address).live_reads(change, cx).await);
        }
    }
    live.read_ahead(reads).await;
}

/// What the engine carries out itself, the same for every kind: a rename (`moved_from`) before
/// the change (an unchanged resource's `move` is only that), and a refresh (the record with
/// what Meta says now, from `Kind::refresh`). `None`: the kind executes the change.
async fn execute(change: &ResourceChange, cx: &ExecCtx<'_>) -> Option<ChangeResult> {
    if let Some(from) = &change.moved_from
        && let Err(failure) = rename(change, from, cx).await
    {
        return Some(failure);
    }
    match change.action {
        Action::Move => Some(result(change, ChangeOutcome::Applied)),
        Action::Refresh => Some(refresh(change, cx).await),
        _ => None,
    }
}

/// Move the record at `from` to `to`, in one state write (the removal is noted in memory and
/// carried by the write of the insertion). Already moved (a retry after a crash): nothing to do.
async fn rename(
    change: &ResourceChange,
    from: &Address,
    cx: &ExecCtx<'_>,
) -> Result<(), ChangeResult> {
    let to = &change.address;
    let Some(record) = cx.records.get(from).await else {
        return Ok(());
    };
    if cx.records.get(to).await.is_some() {
        return Err(failed(
            change,
            ErrorClass::Lifecycle,
            format!("state records both {from} and {to}: the rename was not made"),
        ));
    }
    cx.records.note(from.clone(), None).await;
    cx.records
        .commit(to.clone(), Some(record.renamed(&to.name)))
        .await
        .map_err(|e| port_error(change, &e))
}

/// Record what Meta says now (read just before apply).
async fn refresh(change: &ResourceChange, cx: &ExecCtx<'_>) -> ChangeResult {
    let addr = &change.address;
    let Some(record) = cx.records.get(addr).await else {
        return failed(
            change,
            ErrorClass::Lifecycle,
            format!("{addr} is no longer in state: nothing to refresh"),
        );
    };
    let Some(next) = kind_of(addr).refresh(&record, cx.observed) else {
        return failed(
            change,
            ErrorClass::Lifecycle,
            "what Meta says now cannot be recorded: plan again".to_string(),
        );
    };
    match cx.records.commit_last(addr.clone(), Some(next)).await {
        Ok(()) => result(change, ChangeOutcome::Applied),
        Err(e) => port_error(change, &e),
    }
}

fn skipped(change: &ResourceChange, why: &str) -> ChangeResult {
    result(
        change,
        ChangeOutcome::Skipped {
            why: why.to_string(),
        },
    )
}

/// Why the run stopped once a state write failed (the failed write's error is the result of
/// the changes it carried).
pub const STATE_UNWRITABLE: &str = "the state could not be written";

fn not_attempted(why: &str) -> String {
    format!("the run stopped sending to Meta before it: {why}")
}

/// One change's view of the Graph port, counting which calls were sent and which the port
/// refused unsent ([`PortError::NotAttempted`]).
/// Each call first takes the change's slot back if its last commit gave it up (`slot`).
struct Counted<'g, 's> {
    inner: &'g dyn GraphPort,
    slot: &'g Slot<'s>,
    sent: AtomicUsize,
    refused: std::sync::Mutex<Option<String>>,
}

impl<'g, 's> Counted<'g, 's> {
    fn new(inner: &'g dyn GraphPort, slot: &'g Slot<'s>) -> Self {
        Self {
            inner,
            slot,
            sent: AtomicUsize::new(0),
            refused: std::sync::Mutex::new(None),
        }
    }

    fn note<T>(&self, out: Result<T, PortError>) -> Result<T, PortError> {
        match &out {
            Err(PortError::NotAttempted(why)) => {
                let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
                refused.get_or_insert_with(|| why.clone());
            }
            _ => {
                self.sent.fetch_add(1, Ordering::SeqCst);
            }
        }
        out
    }

    /// Why, when calls were refused and none was sent.
    fn never_sent(&self) -> Option<String> {
        if self.sent.load(Ordering::SeqCst) > 0 {
            return None;
        }
        self.refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl GraphPort for Counted<'_, '_> {
    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        phone_number_id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        Box::pin(async move {
            self.slot.hold().await;
            self.note(self.inner.read_number(credentials, phone_number_id).await)
        })
    }

    fn read_numbers<'a>(
        &'a self,
        reads: &'a [crate::kinds::NumberRead],
    ) -> BoxFuture<'a, Vec<Result<ObservedNumber, PortError>>> {
        Box::pin(async move {
            self.slot.hold().await;
            let answers = self.inner.read_numbers(reads).await;
            answers.into_iter().map(|a| self.note(a)).collect()
        })
    }

    fn read_waba_review<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, PortError>> {
        Box::pin(async move {
            self.slot.hold().await;
            self.note(self.inner.read_waba_review(credentials, waba_id).await)
        })
    }

    fn read_waba_reviews<'a>(
        &'a self,
        reads: &'a [crate::kinds::WabaRead],
    ) -> BoxFuture<'a, Vec<Result<Option<String>, PortError>>> {
        Box::pin(async move {
            self.slot.hold().await;
            let answers = self.inner.read_waba_reviews(reads).await;
            answers.into_iter().map(|a| self.note(a)).collect()
        })
    }

    fn read_live<'a>(
        &'a self,
        numbers: &'a [crate::kinds::NumberRead],
        wabas: &'a [crate::kinds::WabaRead],
    ) -> BoxFuture<'a, crate::kinds::LiveAnswers> {
        Box::pin(async move {
            self.slot.hold().await;
            let (numbers, wabas) = self.inner.read_live(numbers, wabas).await;
            (
                numbers.into_iter().map(|a| self.note(a)).collect(),
                wabas.into_iter().map(|a| self.note(a)).collect(),
            )
        })
    }

    fn write<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move {
            self.slot.hold().await;
            self.note(self.inner.write(credentials, request).await)
        })
    }

    fn write_answer<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<serde_json::Value, PortError>> {
        Box::pin(async move {
            self.slot.hold().await;
            self.note(self.inner.write_answer(credentials, request).await)
        })
    }

    fn read_template<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<BTreeMap<String, crate::model::ObservedTemplate>, PortError>> {
        Box::pin(async move {
            self.slot.hold().await;
            self.note(self.inner.read_template(credentials, waba_id, name).await)
        })
    }

    fn upload<'a>(
        &'a self,
        credentials: &'a str,
        file: &'a crate::kinds::MediaFile,
    ) -> BoxFuture<'a, Result<String, PortError>> {
        Box::pin(async move {
            self.slot.hold().await;
            self.note(self.inner.upload(credentials, file).await)
        })
    }

    fn halted(&self) -> Option<String> {
        self.inner.halted()
    }
}
