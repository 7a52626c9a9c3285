//! Apply engine scenarios with an in-memory state writer and live reads from fixtures.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use futures::future::BoxFuture;

use super::*;
use crate::kinds::*;
use crate::model::*;
use crate::plan::fixtures::*;
use crate::plan::{Action, PlanInput, PriorState, plan};

#[derive(Default)]
struct MemoryWriter {
    /// The resources after each write (the recorded ones with every group applied).
    writes: Arc<std::sync::Mutex<Vec<BTreeMap<Address, RecordedResource>>>>,
    /// The changes each write carried.
    groups: Arc<std::sync::Mutex<Vec<StateChanges>>>,
    /// The resources as written so far (seeded with the recorded ones).
    current: BTreeMap<Address, RecordedResource>,
    finished: Arc<std::sync::atomic::AtomicUsize>,
    /// Every write fails with this error.
    fail: Option<PortError>,
    /// Fail every write after this many succeeded (a disk that fills up).
    fail_after: Option<usize>,
    /// Time each write takes, so concurrent changes pile up behind it.
    delay: Option<std::time::Duration>,
}

impl StateWriter for MemoryWriter {
    fn write<'a>(
        &'a mut self,
        changes: &'a StateChanges,
    ) -> BoxFuture<'a, Result<PriorState, PortError>> {
        Box::pin(async move {
            let written = self.writes.lock().unwrap().len();
            if let Some(e) = &self.fail {
                return Err(e.clone());
            }
            if self.fail_after.is_some_and(|n| written >= n) {
                return Err(PortError::Storage("disk full".into()));
            }
            if let Some(d) = self.delay {
                tokio::time::sleep(d).await;
            }
            for (addr, r) in &changes.upserts {
                self.current.insert(addr.clone(), r.clone());
            }
            for addr in &changes.removals {
                self.current.remove(addr);
            }
            self.groups.lock().unwrap().push(changes.clone());
            let mut w = self.writes.lock().unwrap();
            w.push(self.current.clone());
            Ok(PriorState {
                lineage: "l".into(),
                serial: w.len() as u64,
            })
        })
    }

    fn finish(&mut self) -> BoxFuture<'_, Result<(), PortError>> {
        self.finished
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

/// Meta from fixtures: live number reads (failing for the numbers in the second field, as a
/// 5xx would after its retries); no writes are expected from these kinds.
struct FixtureGraph(Observed, Vec<String>);

/// A number as the fixtures' Meta answers it: `failing` numbers answer a transient Graph
/// error (as a 5xx would after its retries), unknown ones "not found".
fn fixture_number(
    observed: &Observed,
    failing: &[String],
    credentials: &str,
    id: &str,
) -> Result<ObservedNumber, PortError> {
    if failing.iter().any(|f| f == id) {
        return Err(PortError::Graph {
            code: Some(2),
            message: "Graph error 2 (OAuthException): service temporarily unavailable".into(),
            outcome_unknown: false,
        });
    }
    let c = crate::plan::fixtures::credentials(credentials);
    observed
        .waba(&c.business_id, &c.waba_id)
        .and_then(|w| w.phone_numbers.get(id).cloned())
        .ok_or_else(|| PortError::Graph {
            code: Some(100),
            message: format!("number {id} not found"),
            outcome_unknown: false,
        })
}

/// A WABA's review status as the fixtures' Meta answers it.
fn fixture_review(
    observed: &Observed,
    credentials: &str,
    waba_id: &str,
) -> Result<Option<String>, PortError> {
    let c = crate::plan::fixtures::credentials(credentials);
    observed
        .waba(&c.business_id, waba_id)
        .map(|w| w.account_review_status.clone())
        .ok_or_else(|| PortError::Graph {
            code: Some(100),
            message: format!("WABA {waba_id} not found"),
            outcome_unknown: false,
        })
}

impl GraphPort for FixtureGraph {
    crate::kinds::ports::graph_port_without_templates!();

    fn read_waba_review<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, PortError>> {
        let out = fixture_review(&self.0, credentials, waba_id);
        Box::pin(async move { out })
    }

    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        let out = fixture_number(&self.0, &self.1, credentials, id);
        Box::pin(async move { out })
    }

    fn write<'a>(
        &'a self,
        _credentials: &'a str,
        request: crate::kinds::GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move {
            Err(PortError::Missing(format!(
                "unexpected write {} {}",
                request.method, request.path
            )))
        })
    }
}

fn run(
    d: &Desired,
    o: &Observed,
    r: BTreeMap<Address, RecordedResource>,
    writer: MemoryWriter,
    interrupted: bool,
) -> ApplyReport {
    run_reading(d, o, r, writer, interrupted, vec![])
}

/// `run`, with the live reads of `failing` numbers answering a Graph error.
fn run_reading(
    d: &Desired,
    o: &Observed,
    r: BTreeMap<Address, RecordedResource>,
    mut writer: MemoryWriter,
    interrupted: bool,
    failing: Vec<String>,
) -> ApplyReport {
    writer.current = r.clone();
    let fps = fingerprints();
    let p = plan(&PlanInput {
        desired: d,
        observed: o,
        prior: None,
        recorded: &r,
        fingerprints: &fps,
        targets: vec![],
        allow_destructive: false,
        options: Default::default(),
    });
    let input = ApplyInput {
        desired: d,
        observed: o,
        fingerprints: &fps,
        recorded: r,
        parallelism: 4,
        interrupted: Arc::new(AtomicBool::new(interrupted)),
        live_max_age: live::MAX_AGE,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(apply(
        &p,
        input,
        writer,
        &FixtureGraph(o.clone(), failing),
        &|_| {},
    ))
}

fn channel_in(w: &BTreeMap<Address, RecordedResource>, name: &str) -> RecordedChannel {
    match w.get(&Address::channel(name)) {
        Some(RecordedResource::ChannelConfiguration(c)) => c.clone(),
        other => panic!("no channel {name}: {other:?}"),
    }
}

#[test]
fn create_from_empty_records_credentials_then_active_channel() {
    let d = desired(vec![
        channel("Marketing_FR", DesiredStatus::Active),
        channel("Later", DesiredStatus::Draft),
    ]);
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run(&d, &observed(), BTreeMap::new(), writer, false);
    assert!(!report.failed(), "{report:?}");
    let last = writes.lock().unwrap().last().cloned().unwrap();
    let m = channel_in(&last, "Marketing_FR");
    assert_eq!(m.status, ChannelStatus::Active);
    assert_eq!(m.version, 1);
    assert_eq!(m.phone_number_id.as_deref(), Some("106540352242922"));
    assert_eq!(channel_in(&last, "Later").status, ChannelStatus::Draft);
    // credentials, Active, Draft: state written after each change (Processing rides along).
    assert_eq!(writes.lock().unwrap().len(), 3);
    assert!(matches!(
        last.get(&Address::credentials("acme_fr")),
        Some(RecordedResource::Credentials(_))
    ));
}

#[test]
fn a_failed_live_read_is_an_api_error_and_leaves_the_configuration_as_it_was() {
    // A Failed configuration submitted again, and a new one: Meta cannot be read for the
    // first's sender. Only a real check failure makes a configuration Failed.
    let mut failed = recorded_channel("Marketing_FR", ChannelStatus::Failed);
    failed.failure_reasons = vec!["sender_connected: was DISCONNECTED".into()];
    let r = recorded(vec![
        RecordedResource::Credentials(recorded_credentials("acme_fr")),
        RecordedResource::ChannelConfiguration(failed.clone()),
    ]);
    let mut other = channel("Support_FR", DesiredStatus::Active);
    other.sender_number = Some(NUMBER_2.into());
    let d = desired(vec![channel("Marketing_FR", DesiredStatus::Active), other]);
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run_reading(
        &d,
        &observed(),
        r,
        writer,
        false,
        vec!["106540352242922".into()],
    );
    let outcome = |name: &str| {
        report
            .results
            .iter()
            .find(|x| x.address == Address::channel(name))
            .map(|x| x.outcome.clone())
            .unwrap()
    };
    assert!(
        matches!(
            outcome("Marketing_FR"),
            ChangeOutcome::Error { class: ErrorClass::Graph, ref message }
                if message.contains("could not be read") && message.contains("temporarily unavailable")
        ),
        "{report:#?}"
    );
    assert_eq!(outcome("Support_FR"), ChangeOutcome::Applied);
    let last = writes.lock().unwrap().last().cloned().unwrap();
    assert_eq!(channel_in(&last, "Marketing_FR"), failed, "left as it was");
    assert_eq!(
        channel_in(&last, "Support_FR").status,
        ChannelStatus::Active
    );
}

#[test]
fn failed_update_keeps_the_previous_version_active() {
    let r = recorded(vec![
        RecordedResource::Credentials(recorded_credentials("acme_fr")),
        RecordedResource::ChannelConfiguration(recorded_channel(
            "Marketing_FR",
            ChannelStatus::Active,
        )),
    ]);
    let mut c = channel("Marketing_FR", DesiredStatus::Active);
    c.sender_number = Some("15559999999".into());
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run(&desired(vec![c]), &observed(), r, writer, false);
    assert!(report.failed());
    assert!(matches!(
        report.results[0].outcome,
        ChangeOutcome::ChecksFailed { .. }
    ));
    let last = writes.lock().unwrap().last().cloned().unwrap();
    let m = channel_in(&last, "Marketing_FR");
    assert_eq!(m.status, ChannelStatus::Active);
    assert_eq!(m.version, 1);
    assert_eq!(m.spec.sender_number.as_deref(), Some(NUMBER_1));
    let failed = m.failed_update.expect("failed update recorded");
    assert_eq!(failed.version, 2);
    assert!(
        failed
            .reasons
            .iter()
            .any(|r| r.starts_with("sender_in_waba"))
    );
}

#[test]
fn new_configuration_failing_its_checks_is_recorded_failed() {
    let mut o = observed();
    if let Some(Ok(b)) = o.businesses.get_mut(BUSINESS) {
        for n in b.wabas.get_mut(WABA).unwrap().phone_numbers.values_mut() {
            n.status = Some("DISCONNECTED".into());
        }
    }
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run(
        &desired(vec![channel("Marketing_FR", DesiredStatus::Active)]),
        &o,
        BTreeMap::new(),
        writer,
        false,
    );
    assert!(report.failed());
    let last = writes.lock().unwrap().last().cloned().unwrap();
    let m = channel_in(&last, "Marketing_FR");
    assert_eq!(m.status, ChannelStatus::Failed);
    assert_eq!(m.failure_reasons.len(), 1, "{:?}", m.failure_reasons);
    assert!(m.failure_reasons[0].starts_with("sender_connected"));
}

#[test]
fn credentials_that_fail_verification_record_nothing_and_skip_their_channels() {
    let mut o = observed();
    if let Some(Ok(b)) = o.businesses.get_mut(BUSINESS) {
        b.wabas.clear();
    }
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run(
        &desired(vec![channel("Marketing_FR", DesiredStatus::Active)]),
        &o,
        BTreeMap::new(),
        writer,
        false,
    );
    let outcomes: Vec<_> = report
        .results
        .iter()
        .map(|r| (r.address.to_string(), r.outcome.clone()))
        .collect();
    assert!(
        matches!(&outcomes[0].1, ChangeOutcome::Error { message, .. } if message.contains("waba_in_business")),
        "{outcomes:?}"
    );
    assert!(
        matches!(&outcomes[1].1, ChangeOutcome::Skipped { why } if why.contains("credentials.acme_fr"))
    );
    assert!(writes.lock().unwrap().is_empty());
}

#[test]
fn interrupted_run_starts_nothing_and_says_so() {
    let report = run(
        &desired(vec![channel("Marketing_FR", DesiredStatus::Active)]),
        &observed(),
        BTreeMap::new(),
        MemoryWriter::default(),
        true,
    );
    assert!(report.interrupted);
    assert!(
        report
            .results
            .iter()
            .all(|r| matches!(r.outcome, ChangeOutcome::Skipped { .. }))
    );
}

#[test]
fn a_state_write_failure_is_the_change_error() {
    let writer = MemoryWriter {
        fail: Some(PortError::Storage("disk full".into())),
        ..Default::default()
    };
    let report = run(
        &desired(vec![]),
        &observed(),
        BTreeMap::new(),
        writer,
        false,
    );
    assert!(
        matches!(&report.results[0].outcome, ChangeOutcome::Error { message, class } if message == "cannot write the state: disk full" && *class == ErrorClass::Storage)
    );
    assert_eq!(report.results[0].action, Action::Import);
}

#[test]
fn a_state_conflict_is_its_own_error_class() {
    let writer = MemoryWriter {
        fail: Some(PortError::StateConflict(
            "expected serial 3, found 4".into(),
        )),
        ..Default::default()
    };
    let report = run(
        &desired(vec![]),
        &observed(),
        BTreeMap::new(),
        writer,
        false,
    );
    match &report.results[0].outcome {
        ChangeOutcome::Error { message, class } => {
            assert_eq!(*class, ErrorClass::StateConflict, "{message}");
            assert_eq!(
                message,
                "the state was changed by another run: expected serial 3, found 4"
            );
        }
        other => panic!("expected a state conflict, got {other:?}"),
    }
    assert!(report.failed());
}

#[test]
fn once_a_state_write_fails_no_further_change_starts_and_the_run_says_why() {
    // 200 configurations, at most 64 under way at once (parallelism 1): the credentials'
    // write and one group succeed, then the disk is full.
    let (d, o) = spread(200, 20);
    let graph = CountingGraph {
        observed: o,
        ..Default::default()
    };
    let writer = MemoryWriter {
        fail_after: Some(2),
        delay: Some(std::time::Duration::from_millis(2)),
        ..Default::default()
    };
    let report = run_counted(&d, &graph, writer, 1, live::MAX_AGE);
    assert_eq!(report.stopped.as_deref(), Some(STATE_UNWRITABLE));
    let (mut applied, mut failed, mut not_started) = (0, 0, 0);
    for r in &report.results {
        match &r.outcome {
            ChangeOutcome::Applied => applied += 1,
            ChangeOutcome::Error { message, class } => {
                assert_eq!(*class, ErrorClass::Storage, "{r:?}");
                assert_eq!(message, "cannot write the state: disk full");
                failed += 1;
            }
            ChangeOutcome::Skipped { why } => {
                assert_eq!(
                    why,
                    "the run stopped sending to Meta before it: the state could not be written"
                );
                not_started += 1;
            }
            other => panic!("{}: {other:?}", r.address),
        }
    }
    assert_eq!(applied + failed + not_started, 201);
    assert!(
        applied >= 2 && failed >= 1,
        "{applied} {failed} {not_started}"
    );
    // At most the 64 under way when the write failed, and those done before it, started.
    assert!(
        not_started >= 200 - 64 - (applied - 1),
        "{applied} {failed} {not_started}"
    );
}

#[test]
fn removal_deactivates_active_and_deletes_draft() {
    let r = recorded(vec![
        RecordedResource::Credentials(recorded_credentials("acme_fr")),
        RecordedResource::ChannelConfiguration(recorded_channel(
            "Marketing_FR",
            ChannelStatus::Active,
        )),
        RecordedResource::ChannelConfiguration(recorded_channel("Draft_One", ChannelStatus::Draft)),
    ]);
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run(&desired(vec![]), &observed(), r, writer, false);
    assert!(!report.failed(), "{report:?}");
    let last = writes.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        channel_in(&last, "Marketing_FR").status,
        ChannelStatus::Deactivated
    );
    assert!(!last.contains_key(&Address::channel("Draft_One")));
}

#[test]
fn deactivation_asked_by_status_records_the_edits_shown_with_it() {
    let r = recorded(vec![
        RecordedResource::Credentials(recorded_credentials("acme_fr")),
        RecordedResource::ChannelConfiguration(recorded_channel(
            "Marketing_FR",
            ChannelStatus::Active,
        )),
    ]);
    let mut c = channel("Marketing_FR", DesiredStatus::Deactivated);
    c.description = Some("Retired".into());
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run(&desired(vec![c]), &observed(), r, writer, false);
    assert!(!report.failed(), "{report:?}");
    let last = writes.lock().unwrap().last().cloned().unwrap();
    let m = channel_in(&last, "Marketing_FR");
    assert_eq!(m.status, ChannelStatus::Deactivated);
    // Without the edit recorded, the next plan would refuse to edit a deactivated one.
    assert_eq!(m.spec.description.as_deref(), Some("Retired"));
}

#[test]
fn concurrent_changes_share_writes_and_every_one_is_durable() {
    let channels: Vec<_> = (0..20)
        .map(|i| channel(&format!("C{i:02}"), DesiredStatus::Active))
        .collect();
    let writer = MemoryWriter {
        delay: Some(std::time::Duration::from_millis(5)),
        ..Default::default()
    };
    let writes = writer.writes.clone();
    let (groups, finished) = (writer.groups.clone(), writer.finished.clone());
    let report = run(
        &desired(channels),
        &observed(),
        BTreeMap::new(),
        writer,
        false,
    );
    assert!(!report.failed(), "{report:?}");
    // Each write carried only what changed since the previous one, never the whole map;
    // together they carry every change, and the final document was assembled once. A change
    // waiting for the disk gives its slot back (`slot`), so a write carries every change that
    // finished while the one before it ran, not at most the 4 (the parallelism) in flight.
    let groups = groups.lock().unwrap();
    assert!(groups.iter().all(|g| !g.is_empty()), "{groups:?}");
    let largest = groups.iter().map(|g| g.upserts.len()).max().unwrap_or(0);
    assert!(
        largest > 4,
        "a group is bounded by the parallelism: at most {largest} changes in {} writes",
        groups.len()
    );
    let carried: std::collections::BTreeSet<_> = groups
        .iter()
        .flat_map(|g| g.upserts.iter().map(|(a, _)| a.clone()))
        .collect();
    assert_eq!(carried.len(), 21);
    assert_eq!(finished.load(std::sync::atomic::Ordering::SeqCst), 1);
    let writes = writes.lock().unwrap();
    let last = writes.last().cloned().unwrap();
    for i in 0..20 {
        assert_eq!(
            channel_in(&last, &format!("C{i:02}")).status,
            ChannelStatus::Active
        );
    }
    // One credentials write, then 20 configurations: 21 changes; the configurations that
    // finish while the first of them is written share the next write.
    assert!(writes.len() <= 4, "{} writes for 21 changes", writes.len());
    assert_eq!(report.state.as_ref().unwrap().serial, writes.len() as u64);
}

/// Meta rate-limited for an hour: the first call answers 80008 with "wait 60 min" and trips
/// the run's stop; every call after that is refused without being sent. Counts what was sent.
#[derive(Default)]
struct SpentBudget {
    sent: std::sync::Mutex<Vec<String>>,
    refused: std::sync::atomic::AtomicUsize,
    stop: std::sync::Mutex<Option<String>>,
}

const WAIT_AN_HOUR: &str = "Meta asked to wait 60 min (Graph error 80008)";

impl SpentBudget {
    fn call(&self, what: String) -> Result<(), PortError> {
        if let Some(why) = self.halted() {
            self.refused
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return Err(PortError::NotAttempted(why));
        }
        self.sent.lock().unwrap().push(what);
        *self.stop.lock().unwrap() = Some(WAIT_AN_HOUR.into());
        Err(PortError::Graph {
            code: Some(80008),
            message: "Graph API error 80008: rate limited; hint: wait about 60 min".into(),
            outcome_unknown: false,
        })
    }
}

impl GraphPort for SpentBudget {
    crate::kinds::ports::graph_port_without_templates!();

    fn read_number<'a>(
        &'a self,
        _credentials: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        let out = self.call(format!("read {id}"));
        Box::pin(async move { out.map(|()| unreachable!()) })
    }

    fn write<'a>(
        &'a self,
        _credentials: &'a str,
        request: crate::kinds::GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>> {
        let out = self.call(format!("{} {}", request.method, request.path));
        Box::pin(async move { out })
    }

    fn halted(&self) -> Option<String> {
        self.stop.lock().unwrap().clone()
    }
}

#[test]
fn once_meta_says_wait_an_hour_nothing_more_is_sent_and_the_rest_is_not_attempted() {
    let names: Vec<String> = (0..12).map(|i| format!("Channel_{i:02}")).collect();
    let d = desired(
        names
            .iter()
            .map(|n| channel(n, DesiredStatus::Active))
            .collect(),
    );
    let o = observed();
    let fps = fingerprints();
    let p = plan(&PlanInput {
        desired: &d,
        observed: &o,
        prior: None,
        recorded: &BTreeMap::new(),
        fingerprints: &fps,
        targets: vec![],
        allow_destructive: false,
        options: Default::default(),
    });
    let graph = SpentBudget::default();
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(apply(
        &p,
        ApplyInput {
            desired: &d,
            observed: &o,
            fingerprints: &fps,
            recorded: BTreeMap::new(),
            parallelism: 4,
            interrupted: Arc::new(AtomicBool::new(false)),
            live_max_age: live::MAX_AGE,
        },
        writer,
        &graph,
        &|_| {},
    ));
    // One call reached Meta (the read ahead); nothing was sent after it said to wait an hour.
    assert_eq!(graph.sent.lock().unwrap().len(), 1, "{:?}", graph.sent);
    assert_eq!(report.stopped.as_deref(), Some(WAIT_AN_HOUR));
    assert!(!report.interrupted);
    assert!(report.failed(), "the run did not complete");
    let channels: Vec<&ChangeResult> = report
        .results
        .iter()
        .filter(|r| r.address.to_string().starts_with("channel_configuration."))
        .collect();
    assert_eq!(channels.len(), names.len());
    // The one call sent was the phase's read ahead of the sender they share, before any of
    // them started: Meta said to wait an hour, so every one was not attempted, never failed.
    for r in &channels {
        match &r.outcome {
            ChangeOutcome::Skipped { why } => {
                assert!(why.contains(WAIT_AN_HOUR), "{}: {why}", r.address)
            }
            other => panic!("{}: {other:?}", r.address),
        }
    }
    // The state is saved as usual: the credentials verified before are recorded.
    let last = writes.lock().unwrap().last().cloned().unwrap_or_default();
    assert!(
        last.keys()
            .all(|a| !a.to_string().starts_with("channel_configuration.")),
        "nothing recorded for configurations Meta never saw: {last:?}"
    );
}

/// Meta from fixtures, counting the live reads: how many numbers were read on their own and
/// the numbers of each batched read. Once `turn` is set, numbers read after the first batched
/// read answer that status (Meta changing while the apply runs).
#[derive(Default)]
struct CountingGraph {
    observed: Observed,
    failing: Vec<String>,
    singles: std::sync::Mutex<Vec<String>>,
    batches: std::sync::Mutex<Vec<Vec<String>>>,
    turn: Option<&'static str>,
    /// WABAs whose review was read on their own, and the WABAs of each batched read.
    waba_singles: std::sync::Mutex<Vec<String>>,
    waba_batches: std::sync::Mutex<Vec<Vec<String>>>,
    /// The review status Meta answers at apply time, when not the observed one.
    review_now: Option<&'static str>,
}

impl CountingGraph {
    fn answer(&self, credentials: &str, id: &str) -> Result<ObservedNumber, PortError> {
        let mut n = fixture_number(&self.observed, &self.failing, credentials, id)?;
        if let Some(status) = self.turn
            && !self.batches.lock().unwrap().is_empty()
        {
            n.status = Some(status.into());
        }
        Ok(n)
    }

    fn review(&self, credentials: &str, waba_id: &str) -> Result<Option<String>, PortError> {
        let observed = fixture_review(&self.observed, credentials, waba_id)?;
        Ok(self.review_now.map(String::from).or(observed))
    }
}

impl GraphPort for CountingGraph {
    crate::kinds::ports::graph_port_without_templates!();

    fn read_waba_review<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, PortError>> {
        self.waba_singles.lock().unwrap().push(waba_id.to_string());
        let out = self.review(credentials, waba_id);
        Box::pin(async move { out })
    }

    fn read_waba_reviews<'a>(
        &'a self,
        reads: &'a [WabaRead],
    ) -> BoxFuture<'a, Vec<Result<Option<String>, PortError>>> {
        let out: Vec<_> = reads
            .iter()
            .map(|r| self.review(&r.credentials, &r.waba_id))
            .collect();
        self.waba_batches
            .lock()
            .unwrap()
            .push(reads.iter().map(|r| r.waba_id.clone()).collect());
        Box::pin(async move { out })
    }

    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        self.singles.lock().unwrap().push(id.to_string());
        let out = self.answer(credentials, id);
        Box::pin(async move { out })
    }

    fn read_numbers<'a>(
        &'a self,
        reads: &'a [NumberRead],
    ) -> BoxFuture<'a, Vec<Result<ObservedNumber, PortError>>> {
        let out: Vec<_> = reads
            .iter()
            .map(|r| self.answer(&r.credentials, &r.phone_number_id))
            .collect();
        self.batches
            .lock()
            .unwrap()
            .push(reads.iter().map(|r| r.phone_number_id.clone()).collect());
        Box::pin(async move { out })
    }

    fn write<'a>(
        &'a self,
        _credentials: &'a str,
        _request: crate::kinds::GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async { Err(PortError::Missing("unexpected write".into())) })
    }
}

/// `count` new configurations on `numbers` sender numbers of the fixture WABA (configuration
/// `i` on number `i % numbers`), and Meta's view holding those numbers.
fn spread(count: usize, numbers: usize) -> (Desired, Observed) {
    let mut o = observed();
    if let Some(Ok(b)) = o.businesses.get_mut(BUSINESS)
        && let Some(w) = b.wabas.get_mut(WABA)
    {
        for k in 0..numbers {
            let id = format!("20000000000{k:04}");
            w.phone_numbers
                .insert(id.clone(), number(&id, &format!("1555020{k:04}")));
        }
    }
    let channels = (0..count)
        .map(|i| {
            let mut c = channel(&format!("C{i:03}"), DesiredStatus::Active);
            c.sender_number = Some(format!("1555020{:04}", i % numbers));
            c
        })
        .collect();
    (desired(channels), o)
}

fn run_counted(
    d: &Desired,
    graph: &CountingGraph,
    writer: MemoryWriter,
    parallelism: usize,
    live_max_age: std::time::Duration,
) -> ApplyReport {
    let fps = fingerprints();
    let p = plan(&PlanInput {
        desired: d,
        observed: &graph.observed,
        prior: None,
        recorded: &BTreeMap::new(),
        fingerprints: &fps,
        targets: vec![],
        allow_destructive: false,
        options: Default::default(),
    });
    let input = ApplyInput {
        desired: d,
        observed: &graph.observed,
        fingerprints: &fps,
        recorded: BTreeMap::new(),
        parallelism,
        interrupted: Arc::new(AtomicBool::new(false)),
        live_max_age,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(apply(&p, input, writer, graph, &|_| {}))
}

fn outcome_of<'r>(report: &'r ApplyReport, name: &str) -> &'r ChangeOutcome {
    &report
        .results
        .iter()
        .find(|r| r.address == Address::channel(name))
        .unwrap_or_else(|| panic!("no result for {name}"))
        .outcome
}

#[test]
fn each_sender_is_read_once_per_apply_in_one_batched_read_not_once_per_configuration() {
    let (d, o) = spread(200, 20);
    let graph = CountingGraph {
        observed: o,
        ..Default::default()
    };
    let report = run_counted(&d, &graph, MemoryWriter::default(), 8, live::MAX_AGE);
    assert!(!report.failed(), "{report:?}");
    let active = report
        .results
        .iter()
        .filter(|r| r.status.as_deref() == Some("active"))
        .count();
    assert_eq!(active, 200);
    let batches = graph.batches.lock().unwrap();
    assert_eq!(
        batches.len(),
        1,
        "one read ahead for the phase: {batches:?}"
    );
    let mut ids = batches[0].clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each number once: {:?}", batches[0]);
    assert_eq!(batches[0].len(), 20);
    assert!(
        graph.singles.lock().unwrap().is_empty(),
        "no configuration read its sender on its own: {:?}",
        graph.singles
    );
}

#[test]
fn the_wabas_review_is_read_live_once_per_apply_in_a_batch_and_decides_the_check() {
    // 200 configurations of one WABA: its review is read once, batched, not per
    // configuration; the plan saw it APPROVED.
    let (d, o) = spread(200, 20);
    let graph = CountingGraph {
        observed: o.clone(),
        ..Default::default()
    };
    let report = run_counted(&d, &graph, MemoryWriter::default(), 8, live::MAX_AGE);
    assert!(!report.failed(), "{report:?}");
    assert_eq!(
        *graph.waba_batches.lock().unwrap(),
        vec![vec![WABA.to_string()]]
    );
    assert!(graph.waba_singles.lock().unwrap().is_empty());

    // Meta put the WABA back in review since: apply's read, not the plan's, decides.
    let graph = CountingGraph {
        observed: o,
        review_now: Some("PENDING"),
        ..Default::default()
    };
    let report = run_counted(&d, &graph, MemoryWriter::default(), 8, live::MAX_AGE);
    let reason = format!("WABA {WABA} review status is PENDING, expected APPROVED");
    assert!(
        matches!(outcome_of(&report, "C000"), ChangeOutcome::ChecksFailed { reasons } if reasons.iter().any(|r| r.contains(&reason))),
        "{:?}",
        outcome_of(&report, "C000")
    );
}

#[test]
fn a_number_meta_cannot_answer_in_the_batch_fails_only_the_configurations_on_it() {
    let (d, o) = spread(40, 4);
    let broken = "200000000000002".to_string();
    let graph = CountingGraph {
        observed: o,
        failing: vec![broken.clone()],
        ..Default::default()
    };
    let writer = MemoryWriter::default();
    let writes = writer.writes.clone();
    let report = run_counted(&d, &graph, writer, 8, live::MAX_AGE);
    let last = writes.lock().unwrap().last().cloned().unwrap();
    for i in 0..40 {
        let name = format!("C{i:03}");
        if i % 4 == 2 {
            // Meta's error, as an API error: not a failed check, nothing recorded.
            match outcome_of(&report, &name) {
                ChangeOutcome::Error { message, .. } => assert!(
                    message.contains("could not be read from Meta")
                        && message.contains("temporarily unavailable"),
                    "{name}: {message}"
                ),
                other => panic!("{name}: {other:?}"),
            }
            assert!(!last.contains_key(&Address::channel(&name)), "{name}");
        } else {
            assert!(
                matches!(outcome_of(&report, &name), ChangeOutcome::Applied),
                "{name}: {:?}",
                outcome_of(&report, &name)
            );
            assert_eq!(channel_in(&last, &name).status, ChannelStatus::Active);
        }
    }
    // The failed number was asked once, in the batch, not once per configuration on it.
    assert_eq!(graph.batches.lock().unwrap().len(), 1);
    assert!(
        graph.singles.lock().unwrap().is_empty(),
        "{:?}",
        graph.singles
    );
}

#[test]
fn a_fact_that_aged_past_the_limit_while_changes_waited_is_read_again_and_used() {
    // Configurations on one number at parallelism 1, each state write taking 60 ms. Meta
    // disconnects the number right after the phase's read ahead. A change waiting for the disk
    // gives its slot back, so the first `admitted(1)` configurations start at once; the next
    // ones wait for those to finish, i.e. for the first writes.
    let first = super::slot::admitted(1);
    let slow = || MemoryWriter {
        delay: Some(std::time::Duration::from_millis(60)),
        ..Default::default()
    };
    let graph = |o: Observed| CountingGraph {
        observed: o,
        turn: Some("DISCONNECTED"),
        ..Default::default()
    };

    // Facts trusted for a minute: every configuration uses the one read ahead.
    let (d, o) = spread(first + 2, 1);
    let fresh = graph(o);
    let report = run_counted(&d, &fresh, slow(), 1, live::MAX_AGE);
    assert!(!report.failed(), "{report:?}");
    assert!(fresh.singles.lock().unwrap().is_empty());

    // Trusted for 30 ms: the configurations that started at once use the fact read ahead;
    // each of the two that started after a 60 ms write finds it old, reads the number again,
    // and its checks see the disconnection.
    let (d, o) = spread(first + 2, 1);
    let aging = graph(o);
    let report = run_counted(&d, &aging, slow(), 1, std::time::Duration::from_millis(30));
    assert_eq!(aging.batches.lock().unwrap().len(), 1);
    assert_eq!(
        aging.singles.lock().unwrap().len(),
        2,
        "{:?}",
        aging.singles
    );
    for i in 0..first {
        let name = format!("C{i:03}");
        assert!(
            matches!(outcome_of(&report, &name), ChangeOutcome::Applied),
            "{name}"
        );
    }
    for i in first..first + 2 {
        let name = format!("C{i:03}");
        match outcome_of(&report, &name) {
            ChangeOutcome::ChecksFailed { reasons, .. } => assert!(
                reasons.iter().any(|r| r.contains("DISCONNECTED")),
                "{name}: {reasons:?}"
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
}
