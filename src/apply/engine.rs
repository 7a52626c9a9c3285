//! The apply engine: carries a plan's changes out in dependency order, independent changes
//! concurrently, and writes state after each one. It decides nothing the planner did not:
//! each change is executed from the same lifecycle table, on facts read just before apply
//! plus a live read of each sender number.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;

use super::commit::Committer;
use super::report::{ApplyReport, ChangeOutcome, ChangeResult};
use crate::model::{
    Address, ChannelStatus, CheckStatus, Desired, DesiredChannel, DesiredCredentials, FailedUpdate,
    Observed, ObservedNumber, RecordedChannel, RecordedResource, ResourceKind, TokenFingerprint,
};
use crate::plan::attrs::desired_spec;
use crate::plan::checks::{CredentialsFacts, channel_checks, failure_reasons, verify_credentials};
use crate::plan::lifecycle::decide;
use crate::plan::{Action, Plan, PriorState, ResourceChange};

/// Writes the whole set of resources as the next state serial.
pub trait StateWriter: Send {
    fn write(
        &mut self,
        resources: &BTreeMap<Address, RecordedResource>,
    ) -> impl Future<Output = Result<PriorState, String>> + Send;
}

/// Live reads apply makes while it runs the checks.
pub trait LiveReads: Sync {
    /// Read a phone number's current facts with the credentials' token.
    fn number(
        &self,
        creds: &DesiredCredentials,
        phone_number_id: &str,
    ) -> impl Future<Output = Result<ObservedNumber, String>> + Send;
}

/// What apply needs besides the plan.
pub struct ApplyInput<'a> {
    pub desired: &'a Desired,
    /// Facts read just before apply (the same read the stale check used).
    pub observed: &'a Observed,
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub recorded: BTreeMap<Address, RecordedResource>,
    pub parallelism: usize,
    /// Set by the Ctrl-C handler: finish what is in flight, start nothing new.
    pub interrupted: Arc<AtomicBool>,
}

/// Progress events, for the renderer to print as they happen.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    Started(&'a ResourceChange),
    Finished(&'a ChangeResult),
}

/// Carry out every actionable change of `plan`, phase by phase.
pub async fn apply<W: StateWriter, R: LiveReads>(
    plan: &Plan,
    input: ApplyInput<'_>,
    writer: W,
    live: &R,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> ApplyReport {
    let shared = Committer::new(input.recorded.clone(), writer);
    let mut report = ApplyReport::default();
    let mut failed: Vec<Address> = Vec::new();
    let changes: Vec<&ResourceChange> = plan.actionable().collect();
    for phase in 0..4u8 {
        let batch: Vec<&ResourceChange> = changes
            .iter()
            .copied()
            .filter(|c| phase_of(c) == phase)
            .collect();
        let results: Vec<ChangeResult> = futures::stream::iter(batch)
            .map(|change| {
                let failed = &failed;
                let shared = &shared;
                let input = &input;
                async move {
                    if input.interrupted.load(Ordering::SeqCst) {
                        return skipped(change, "interrupted before it started (Ctrl-C)");
                    }
                    if let Some(dep) = change.depends_on.iter().find(|d| failed.contains(d)) {
                        return skipped(change, &format!("{dep} failed"));
                    }
                    progress(Progress::Started(change));
                    let result = execute(change, input, shared, live).await;
                    progress(Progress::Finished(&result));
                    result
                }
            })
            .buffer_unordered(input.parallelism.max(1))
            .collect()
            .await;
        for r in results {
            if !matches!(r.outcome, ChangeOutcome::Applied) {
                failed.push(r.address.clone());
            }
            report.results.push(r);
        }
    }
    report.results.sort_by_key(|r| {
        changes
            .iter()
            .position(|c| c.address == r.address)
            .unwrap_or(usize::MAX)
    });
    report.interrupted = input.interrupted.load(Ordering::SeqCst);
    report.state = shared.into_last();
    report
}

fn phase_of(c: &ResourceChange) -> u8 {
    let removal = matches!(c.action, Action::Delete | Action::Deactivate);
    match (c.address.kind, removal) {
        (ResourceKind::Credentials, false) => 0,
        (ResourceKind::ChannelConfiguration, false) => 1,
        (ResourceKind::ChannelConfiguration, true) => 2,
        (ResourceKind::Credentials, true) => 3,
    }
}

fn result(change: &ResourceChange, outcome: ChangeOutcome) -> ChangeResult {
    ChangeResult {
        address: change.address.clone(),
        action: change.action,
        outcome,
        status: None,
        checks: Vec::new(),
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

fn error(change: &ResourceChange, message: String) -> ChangeResult {
    result(change, ChangeOutcome::Error { message })
}

async fn execute<W: StateWriter, R: LiveReads>(
    change: &ResourceChange,
    input: &ApplyInput<'_>,
    shared: &Committer<W>,
    live: &R,
) -> ChangeResult {
    let addr = &change.address;
    match addr.kind {
        ResourceKind::Credentials => execute_credentials(change, input, shared).await,
        ResourceKind::ChannelConfiguration => {
            match input.desired.channel_configurations.get(&addr.name) {
                Some(d) => execute_channel(change, d, input, shared, live).await,
                None => execute_removal(change, shared, None).await,
            }
        }
    }
}

async fn execute_credentials<W: StateWriter>(
    change: &ResourceChange,
    input: &ApplyInput<'_>,
    shared: &Committer<W>,
) -> ChangeResult {
    let name = &change.address.name;
    if change.action == Action::Delete {
        return match shared
            .commit(|r| {
                r.remove(&change.address);
            })
            .await
        {
            Ok(()) => result(change, ChangeOutcome::Applied),
            Err(e) => error(change, e),
        };
    }
    let (Some(d), Some(fp)) = (
        input.desired.credentials.get(name),
        input.fingerprints.get(name),
    ) else {
        return error(
            change,
            format!("credentials `{name}` are not in the configuration"),
        );
    };
    match verify_credentials(d, fp, input.observed) {
        Ok(rec) => match shared
            .commit(|r| {
                r.insert(change.address.clone(), RecordedResource::Credentials(rec));
            })
            .await
        {
            Ok(()) => result(change, ChangeOutcome::Applied),
            Err(e) => error(change, e),
        },
        Err((step, why)) => error(
            change,
            format!("verification failed at step `{}`: {why}", step.id()),
        ),
    }
}

/// Delete, or deactivate. A deactivation asked by `status: deactivated` (`asked` = the file's
/// entry) also records the file's spec: the plan shows the edits made in the same change, and
/// recording only the status would leave them pending on a configuration that cannot be
/// edited, every later plan refused. Reactivation runs the checks again, so an unchecked
/// sender is never used.
async fn execute_removal<W: StateWriter>(
    change: &ResourceChange,
    shared: &Committer<W>,
    asked: Option<&DesiredChannel>,
) -> ChangeResult {
    let addr = change.address.clone();
    let deactivate = change.action == Action::Deactivate;
    let outcome = shared
        .commit(|r| {
            if !deactivate {
                r.remove(&addr);
            } else if let Some(RecordedResource::ChannelConfiguration(c)) = r.get_mut(&addr) {
                c.status = ChannelStatus::Deactivated;
                if let Some(d) = asked {
                    c.spec = desired_spec(d);
                    c.prevent_destroy = d.prevent_destroy;
                    c.failed_update = None;
                }
            }
        })
        .await;
    match outcome {
        Ok(()) => ChangeResult {
            status: deactivate.then(|| "deactivated".to_string()),
            ..result(change, ChangeOutcome::Applied)
        },
        Err(e) => error(change, e),
    }
}

async fn current_channel<W: StateWriter>(
    shared: &Committer<W>,
    addr: &Address,
) -> Option<RecordedChannel> {
    match shared.get(addr).await {
        Some(RecordedResource::ChannelConfiguration(c)) => Some(c),
        _ => None,
    }
}

async fn execute_channel<W: StateWriter, R: LiveReads>(
    change: &ResourceChange,
    d: &DesiredChannel,
    input: &ApplyInput<'_>,
    shared: &Committer<W>,
    live: &R,
) -> ChangeResult {
    let addr = &change.address;
    let recorded = current_channel(shared, addr).await;
    let decision = match decide(Some(d), recorded.as_ref()) {
        Ok(x) => x,
        Err(refusal) => return error(change, refusal.message),
    };
    if change.action == Action::Deactivate {
        return execute_removal(change, shared, Some(d)).await;
    }
    let spec = desired_spec(d);
    if !decision.submits {
        let status = decision.status_after.unwrap_or(ChannelStatus::Draft);
        let mut next = recorded.clone().unwrap_or_else(|| new_channel(d));
        next.status = status;
        next.spec = spec;
        next.prevent_destroy = d.prevent_destroy;
        next.failed_update = None;
        if recorded.is_none() {
            next.version = 1;
        }
        let rec = next.clone();
        return match shared
            .commit(|r| {
                r.insert(addr.clone(), RecordedResource::ChannelConfiguration(rec));
            })
            .await
        {
            Ok(()) => ChangeResult {
                status: Some(status.as_str().into()),
                ..result(change, ChangeOutcome::Applied)
            },
            Err(e) => error(change, e),
        };
    }
    submit(change, d, recorded, input, shared, live).await
}

fn new_channel(d: &DesiredChannel) -> RecordedChannel {
    RecordedChannel {
        name: d.name.clone(),
        status: ChannelStatus::Draft,
        version: 0,
        spec: desired_spec(d),
        phone_number_id: None,
        checks: Vec::new(),
        failure_reasons: Vec::new(),
        failed_update: None,
        prevent_destroy: d.prevent_destroy,
    }
}

/// Submit a version: Processing while the checks run (so an interrupted apply is seen and
/// resubmitted), then Active, Failed, or the previous version kept Active.
async fn submit<W: StateWriter, R: LiveReads>(
    change: &ResourceChange,
    d: &DesiredChannel,
    recorded: Option<RecordedChannel>,
    input: &ApplyInput<'_>,
    shared: &Committer<W>,
    live: &R,
) -> ChangeResult {
    let addr = &change.address;
    let spec = desired_spec(d);
    let was_active = recorded
        .as_ref()
        .is_some_and(|r| r.status == ChannelStatus::Active);
    let base = recorded.unwrap_or_else(|| new_channel(d));
    let version = base
        .version
        .max(base.failed_update.as_ref().map_or(0, |f| f.version))
        + 1;
    if !was_active {
        let mut processing = base.clone();
        processing.status = ChannelStatus::Processing;
        processing.spec = spec.clone();
        processing.version = version;
        // Processing while the checks run: kept in memory, written with whatever write comes
        // next. Losing it in a crash changes nothing: the next plan submits again.
        shared
            .note(|r| {
                r.insert(
                    addr.clone(),
                    RecordedResource::ChannelConfiguration(processing),
                );
            })
            .await;
    }
    let (checks, phone_number_id) = run_checks(d, input, shared, live).await;
    let reasons = failure_reasons(&checks);
    let passed = reasons.is_empty();
    let mut next = base;
    next.prevent_destroy = d.prevent_destroy;
    if passed {
        next.status = ChannelStatus::Active;
        next.version = version;
        next.spec = spec;
        next.phone_number_id = phone_number_id;
        next.checks = checks.clone();
        next.failure_reasons = Vec::new();
        next.failed_update = None;
    } else if was_active {
        next.failed_update = Some(FailedUpdate {
            version,
            spec,
            checks: checks.clone(),
            reasons: reasons.clone(),
        });
    } else {
        next.status = ChannelStatus::Failed;
        next.version = version;
        next.spec = spec;
        next.phone_number_id = phone_number_id;
        next.checks = checks.clone();
        next.failure_reasons = reasons.clone();
    }
    let status = next.status;
    match shared
        .commit(|r| {
            r.insert(addr.clone(), RecordedResource::ChannelConfiguration(next));
        })
        .await
    {
        Ok(()) => ChangeResult {
            address: addr.clone(),
            action: change.action,
            outcome: if passed {
                ChangeOutcome::Applied
            } else {
                ChangeOutcome::ChecksFailed { reasons }
            },
            status: Some(status.as_str().to_string()),
            checks,
        },
        Err(e) => error(change, e),
    }
}

/// The checks on fresh facts: the credentials as recorded now (applied earlier in this run or
/// before), the observed WABA, and a live read of the sender number.
async fn run_checks<W: StateWriter, R: LiveReads>(
    d: &DesiredChannel,
    input: &ApplyInput<'_>,
    shared: &Committer<W>,
    live: &R,
) -> (Vec<crate::model::CheckResult>, Option<String>) {
    let spec = desired_spec(d);
    let creds_name = d.credentials.clone().unwrap_or_default();
    let desired_creds = input.desired.credentials.get(&creds_name);
    let recorded_creds = match shared.get(&Address::credentials(&creds_name)).await {
        Some(RecordedResource::Credentials(c)) => Some(c),
        _ => None,
    };
    let mut waba = desired_creds
        .and_then(|c| input.observed.waba(&c.business_id, &c.waba_id))
        .cloned();
    // Refresh the sender's live facts: status and name status can change between plan and apply.
    if let (Some(c), Some(w)) = (desired_creds, waba.as_mut())
        && let Some(n) = w
            .number_by_digits(spec.sender_number.as_deref().unwrap_or(""))
            .cloned()
    {
        match live.number(c, &n.id).await {
            Ok(fresh) => {
                w.phone_numbers.insert(n.id.clone(), fresh);
            }
            Err(e) => {
                let check = crate::model::CheckResult {
                    id: "sender_connected".into(),
                    status: CheckStatus::Failed,
                    message: format!("the sender could not be read from Meta: {e}"),
                };
                return (vec![check], None);
            }
        }
    }
    let verified = match (&recorded_creds, input.fingerprints.get(&creds_name)) {
        (Some(r), Some(fp)) if &r.token_fingerprint == fp => Ok(()),
        (Some(_), _) => Err(
            "the recorded token differs from the configured one: apply the credentials first"
                .to_string(),
        ),
        (None, _) => Err("not applied".to_string()),
    };
    let facts = desired_creds.map(|c| CredentialsFacts {
        name: &c.name,
        verified,
        waba: waba.as_ref(),
        waba_id: &c.waba_id,
    });
    channel_checks(&spec, facts.as_ref(), &|a| {
        input.desired.knows_marketing_action(a)
    })
}
