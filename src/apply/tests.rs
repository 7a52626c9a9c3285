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
    writes: Arc<std::sync::Mutex<Vec<BTreeMap<Address, RecordedResource>>>>,
    fail: bool,
    /// Time each write takes, so concurrent changes pile up behind it.
    delay: Option<std::time::Duration>,
}

impl StateWriter for MemoryWriter {
    fn write<'a>(
        &'a mut self,
        resources: &'a BTreeMap<Address, RecordedResource>,
    ) -> BoxFuture<'a, Result<PriorState, PortError>> {
        Box::pin(async move {
            if self.fail {
                return Err(PortError::Storage("disk full".into()));
            }
            if let Some(d) = self.delay {
                tokio::time::sleep(d).await;
            }
            let mut w = self.writes.lock().unwrap();
            w.push(resources.clone());
            Ok(PriorState {
                lineage: "l".into(),
                serial: w.len() as u64,
            })
        })
    }
}

/// Meta from fixtures: live number reads (failing for the numbers in the second field, as a
/// 5xx would after its retries); no writes are expected from these kinds.
struct FixtureGraph(Observed, Vec<String>);

impl GraphPort for FixtureGraph {
    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        Box::pin(async move {
            if self.1.iter().any(|failing| failing == id) {
                return Err(PortError::Graph {
                    code: Some(2),
                    message: "Graph error 2 (OAuthException): service temporarily unavailable"
                        .into(),
                    outcome_unknown: false,
                });
            }
            let c = crate::plan::fixtures::credentials(credentials);
            self.0
                .waba(&c.business_id, &c.waba_id)
                .and_then(|w| w.phone_numbers.get(id).cloned())
                .ok_or_else(|| PortError::Graph {
                    code: Some(100),
                    message: format!("number {id} not found"),
                    outcome_unknown: false,
                })
        })
    }

    fn read_subscriptions<'a>(
        &'a self,
        _credentials: &'a str,
        _waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObservedSubscription>, PortError>> {
        Box::pin(async { Ok(Vec::new()) })
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
    writer: MemoryWriter,
    interrupted: bool,
    failing: Vec<String>,
) -> ApplyReport {
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
        fail: true,
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
    let report = run(
        &desired(channels),
        &observed(),
        BTreeMap::new(),
        writer,
        false,
    );
    assert!(!report.failed(), "{report:?}");
    let writes = writes.lock().unwrap();
    let last = writes.last().cloned().unwrap();
    for i in 0..20 {
        assert_eq!(
            channel_in(&last, &format!("C{i:02}")).status,
            ChannelStatus::Active
        );
    }
    // One credentials write, then 20 configurations: 21 changes; with 4 in flight they
    // share writes.
    assert!(writes.len() < 21, "{} writes for 21 changes", writes.len());
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
    fn read_number<'a>(
        &'a self,
        _credentials: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        let out = self.call(format!("read {id}"));
        Box::pin(async move { out.map(|()| unreachable!()) })
    }

    fn read_subscriptions<'a>(
        &'a self,
        _credentials: &'a str,
        waba: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObservedSubscription>, PortError>> {
        let out = self.call(format!("subscriptions {waba}"));
        Box::pin(async move { out.map(|()| Vec::new()) })
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
        },
        writer,
        &graph,
        &|_| {},
    ));
    // One call reached Meta; nothing was sent after it said to wait an hour.
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
    // The one that was sent failed with Meta's error; every other one was not attempted
    // (whether it had not started or its first call was refused), never failed.
    let errors: Vec<_> = channels
        .iter()
        .filter(|r| matches!(r.outcome, ChangeOutcome::Error { .. }))
        .collect();
    assert_eq!(errors.len(), 1, "{channels:#?}");
    for r in channels
        .iter()
        .filter(|r| !matches!(r.outcome, ChangeOutcome::Error { .. }))
    {
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
