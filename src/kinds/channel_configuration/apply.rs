//! Carrying out a channel configuration change: decide again with the lifecycle on the
//! record as it stands now, read fresh facts (a live read of the sender, which apply reads
//! ahead for the whole phase, once per number: `live_reads`), run the checks on them, and
//! commit the record the lifecycle says the outcome leaves. A failure to read Meta is an API
//! error that changes nothing; only a check that fails on facts makes a configuration Failed.

use super::attrs::desired_spec;
use super::checks::{
    CredentialsFacts, WebhookFact, channel_checks, declared_webhook, failure_reasons,
    observed_webhook, webhook_check,
};
use super::lifecycle::{
    decide, new_record, record_checked, record_deactivated, record_processing, record_unchecked,
};
use super::model::{ChannelStatus, DesiredChannel, RecordedChannel};
use crate::kinds::outcome::{applied, checks_failed, failed, port_error};
use crate::kinds::{ExecCtx, LiveRead, NumberRead, PortError, RecordedResource, WabaRead};
use crate::model::{Action, Address, ChangeResult, CheckResult, ErrorClass, ResourceChange};

pub async fn execute(change: &ResourceChange, cx: &ExecCtx<'_>) -> ChangeResult {
    let addr = &change.address;
    let recorded = current(cx, addr).await;
    let Some(d) = cx.desired.channel_configurations.get(&addr.name) else {
        return remove(change, cx, recorded.as_ref(), None).await;
    };
    let decision = match decide(Some(d), recorded.as_ref()) {
        Ok(x) => x,
        Err(refusal) => return failed(change, ErrorClass::Lifecycle, refusal.message),
    };
    if change.action == Action::Deactivate {
        return remove(change, cx, recorded.as_ref(), Some(d)).await;
    }
    if change.action == Action::Import {
        return import(change, d, recorded, cx).await;
    }
    if !decision.submits {
        let status = decision.status_after.unwrap_or(ChannelStatus::Draft);
        let next = record_unchecked(d, recorded.as_ref(), status);
        return commit(change, cx, next, Some(status.as_str())).await;
    }
    submit(change, d, recorded, cx).await
}

/// The sender number `execute` will read live, when the change submits a version (the same
/// decision `execute` makes, on the record as it stands when the phase starts).
pub async fn live_reads(change: &ResourceChange, cx: &ExecCtx<'_>) -> Vec<LiveRead> {
    if change.action == Action::Deactivate {
        return Vec::new();
    }
    let Some(d) = cx.desired.channel_configurations.get(&change.address.name) else {
        return Vec::new();
    };
    let recorded = current(cx, &change.address).await;
    match decide(Some(d), recorded.as_ref()) {
        Ok(decision) if decision.submits => sender_read(d, cx)
            .map(LiveRead::Number)
            .into_iter()
            .chain(waba_read(d, cx).map(LiveRead::Waba))
            .collect(),
        _ => Vec::new(),
    }
}

/// The credentials' WABA, whose review status the checks read live, with the credentials to
/// read it with; `None` when the WABA was not observed (the checks say so).
fn waba_read(d: &DesiredChannel, cx: &ExecCtx<'_>) -> Option<WabaRead> {
    let c = cx
        .desired
        .credentials
        .get(d.credentials.as_deref().unwrap_or_default())?;
    cx.observed.waba(&c.business_id, &c.waba_id)?;
    Some(WabaRead {
        credentials: c.name.clone(),
        waba_id: c.waba_id.clone(),
    })
}

/// The sender's phone number ID in the credentials' WABA as observed, with the credentials
/// to read it with; `None` when the checks will not find it there (they say so).
fn sender_read(d: &DesiredChannel, cx: &ExecCtx<'_>) -> Option<NumberRead> {
    let c = cx
        .desired
        .credentials
        .get(d.credentials.as_deref().unwrap_or_default())?;
    let sender = d.sender_number.as_deref().unwrap_or("");
    let n = cx
        .observed
        .waba(&c.business_id, &c.waba_id)?
        .number_by_digits(sender)?;
    Some(NumberRead {
        credentials: c.name.clone(),
        phone_number_id: n.id.clone(),
    })
}

async fn current(cx: &ExecCtx<'_>, addr: &Address) -> Option<RecordedChannel> {
    match cx.records.get(addr).await {
        Some(RecordedResource::ChannelConfiguration(c)) => Some(c),
        _ => None,
    }
}

async fn commit(
    change: &ResourceChange,
    cx: &ExecCtx<'_>,
    next: RecordedChannel,
    status: Option<&str>,
) -> ChangeResult {
    let record = Some(RecordedResource::ChannelConfiguration(next));
    match cx.records.commit_last(change.address.clone(), record).await {
        Ok(()) => applied(change, status),
        Err(e) => port_error(change, &e),
    }
}

/// Delete, or deactivate (see `lifecycle::record_deactivated`).
async fn remove(
    change: &ResourceChange,
    cx: &ExecCtx<'_>,
    recorded: Option<&RecordedChannel>,
    asked: Option<&DesiredChannel>,
) -> ChangeResult {
    if change.action != Action::Deactivate {
        return match cx.records.commit_last(change.address.clone(), None).await {
            Ok(()) => applied(change, None),
            Err(e) => port_error(change, &e),
        };
    }
    match recorded {
        Some(r) => {
            commit(
                change,
                cx,
                record_deactivated(r, asked),
                Some("deactivated"),
            )
            .await
        }
        None => applied(change, Some("deactivated")),
    }
}

/// Submit a version: read the facts the checks need first (a failure to read Meta is an API
/// error that leaves the configuration as it was, never a failed check), then Processing while
/// the checks run (so an interrupted apply is seen and resubmitted), then what
/// `lifecycle::record_checked` says.
async fn submit(
    change: &ResourceChange,
    d: &DesiredChannel,
    recorded: Option<RecordedChannel>,
    cx: &ExecCtx<'_>,
) -> ChangeResult {
    let addr = &change.address;
    let facts = match gather(d, cx).await {
        Ok(facts) => facts,
        Err(e) => return port_error(change, &e),
    };
    let was_active = recorded
        .as_ref()
        .is_some_and(|r| r.status == ChannelStatus::Active);
    if !was_active {
        let base = recorded.clone().unwrap_or_else(|| new_record(d));
        // Kept in memory, written with whatever write comes next. Losing it in a crash changes
        // nothing: the next plan submits again.
        let processing = RecordedResource::ChannelConfiguration(record_processing(d, &base));
        cx.records.note(addr.clone(), Some(processing)).await;
    }
    let (checks, phone_number_id) = run_checks(d, cx, &facts);
    let reasons = failure_reasons(&checks);
    let next = record_checked(
        d,
        recorded.as_ref(),
        checks.clone(),
        reasons.clone(),
        phone_number_id,
    );
    let status = next.status;
    let record = Some(RecordedResource::ChannelConfiguration(next));
    match cx.records.commit_last(addr.clone(), record).await {
        Ok(()) if reasons.is_empty() => ChangeResult {
            checks,
            ..applied(change, Some(status.as_str()))
        },
        Ok(()) => checks_failed(change, status.as_str(), reasons, checks),
        Err(e) => port_error(change, &e),
    }
}

/// `wacfg import`: an existing configuration is recorded as active, version 1, when its checks
/// pass on the facts read now; when one fails nothing is recorded (it is not a submission that
/// failed, and the operator is told why).
async fn import(
    change: &ResourceChange,
    d: &DesiredChannel,
    recorded: Option<RecordedChannel>,
    cx: &ExecCtx<'_>,
) -> ChangeResult {
    if recorded.is_some() {
        return failed(
            change,
            ErrorClass::Lifecycle,
            format!("{} is already in the state", change.address),
        );
    }
    let facts = match gather(d, cx).await {
        Ok(facts) => facts,
        Err(e) => return port_error(change, &e),
    };
    let (checks, phone_number_id) = run_checks(d, cx, &facts);
    let reasons = failure_reasons(&checks);
    if !reasons.is_empty() {
        return checks_failed(change, "not imported", reasons, checks);
    }
    let next = record_checked(d, None, checks.clone(), Vec::new(), phone_number_id);
    let status = next.status;
    match cx
        .records
        .commit(
            change.address.clone(),
            Some(RecordedResource::ChannelConfiguration(next)),
        )
        .await
    {
        Ok(()) => ChangeResult {
            checks,
            ..applied(change, Some(status.as_str()))
        },
        Err(e) => port_error(change, &e),
    }
}

/// What the checks read, as it stands now.
struct Facts<'a> {
    /// The credentials as recorded now (applied earlier in this run or before).
    recorded_creds: Option<crate::kinds::RecordedCredentials>,
    /// The credentials' WABA as observed, with the sender's facts read live (then a copy
    /// holding only the sender among its numbers, `ObservedWaba::with_only_number`).
    waba: Option<std::borrow::Cow<'a, crate::model::ObservedWaba>>,
    webhook: WebhookFact,
}

/// Read the facts the checks need: the recorded credentials, the observed WABA, live reads
/// of the sender (status and name status can change between plan and apply) and of the WABA's
/// review status, and the webhook.
/// Meta not answering is an error, not a fact.
async fn gather<'a>(d: &DesiredChannel, cx: &ExecCtx<'a>) -> Result<Facts<'a>, PortError> {
    let creds_name = d.credentials.clone().unwrap_or_default();
    let desired_creds = cx.desired.credentials.get(&creds_name);
    let recorded_creds = match cx.records.get(&Address::credentials(&creds_name)).await {
        Some(RecordedResource::Credentials(c)) => Some(c),
        _ => None,
    };
    if let Some(c) = desired_creds
        && let Some(Err(e)) = cx.observed.businesses.get(&c.business_id)
    {
        return Err(PortError::Graph {
            code: e.code,
            message: format!(
                "business portfolio {} could not be read from Meta, so the checks could not run: {}",
                c.business_id, e.message
            ),
            outcome_unknown: false,
        });
    }
    let mut waba = desired_creds
        .and_then(|c| cx.observed.waba(&c.business_id, &c.waba_id))
        .map(std::borrow::Cow::Borrowed);
    let sender = d.sender_number.as_deref().unwrap_or("");
    if let (Some(read), Some(w)) = (sender_read(d, cx), waba.as_mut()) {
        let fresh = cx
            .graph
            .read_number(&read.credentials, &read.phone_number_id)
            .await
            .map_err(|e| checks_could_not_run(e, &format!("the sender {sender}")))?;
        // The checks look up only the sender: copying every number of the WABA for each
        // configuration was a third of a 10,000-configuration apply's CPU time.
        *w = std::borrow::Cow::Owned(w.with_only_number(read.phone_number_id, fresh));
    }
    if let (Some(read), Some(w)) = (waba_read(d, cx), waba.as_mut()) {
        let review = cx
            .graph
            .read_waba_review(&read.credentials, &read.waba_id)
            .await
            .map_err(|e| checks_could_not_run(e, &format!("WABA {}", read.waba_id)))?;
        if w.account_review_status != review {
            // Only the review changes: a copy without the other numbers when the sender was
            // not found among them (then the checks find no sender either way).
            let only = match w {
                std::borrow::Cow::Owned(owned) => owned,
                std::borrow::Cow::Borrowed(b) => {
                    *w = std::borrow::Cow::Owned(b.without_numbers());
                    w.to_mut()
                }
            };
            only.account_review_status = review;
        }
    }
    let webhook = match desired_creds {
        Some(c) => webhook_fact(cx, &c.waba_id, waba.as_deref()).await,
        None => WebhookFact::Missing,
    };
    Ok(Facts {
        recorded_creds,
        waba,
        webhook,
    })
}

/// The checks, pure over the facts gathered.
fn run_checks(
    d: &DesiredChannel,
    cx: &ExecCtx<'_>,
    facts: &Facts,
) -> (Vec<CheckResult>, Option<String>) {
    let spec = desired_spec(d);
    let creds_name = d.credentials.clone().unwrap_or_default();
    let desired_creds = cx.desired.credentials.get(&creds_name);
    let fp = cx
        .fingerprints
        .get(&crate::kinds::credentials::secret_key(&creds_name));
    let verified = match (&facts.recorded_creds, fp) {
        (Some(r), Some(fp)) if &r.token_fingerprint == fp => Ok(()),
        (Some(_), _) => Err(
            "the recorded token differs from the configured one: apply the credentials first"
                .to_string(),
        ),
        (None, _) => Err("not applied".to_string()),
    };
    let credentials = desired_creds.map(|c| CredentialsFacts {
        name: &c.name,
        verified,
        waba: facts.waba.as_deref(),
        waba_id: &c.waba_id,
    });
    let (mut checks, id) = channel_checks(&spec, credentials.as_ref(), &|a| {
        cx.desired.knows_marketing_action(a)
    });
    if let Some(c) = desired_creds {
        checks.push(webhook_check(&facts.webhook, &c.waba_id, &c.name));
    }
    (checks, id)
}

/// The webhook of the WABA as it stands now: declared and recorded (applied earlier in this
/// run or before), or reported by Meta.
async fn webhook_fact(
    cx: &ExecCtx<'_>,
    waba_id: &str,
    waba: Option<&crate::model::ObservedWaba>,
) -> WebhookFact {
    if let Some(name) = declared_webhook(cx.desired, waba_id)
        && cx.records.get(&Address::webhook(name)).await.is_some()
    {
        return WebhookFact::Managed(name.to_string());
    }
    if observed_webhook(waba) {
        WebhookFact::Observed
    } else {
        WebhookFact::Missing
    }
}

/// A live read's Graph error, saying what could not be read and that the checks did not run
/// (an API failure, never a failed check).
fn checks_could_not_run(e: PortError, what: &str) -> PortError {
    match e {
        PortError::Graph {
            code,
            message,
            outcome_unknown,
        } => PortError::Graph {
            code,
            message: format!(
                "{what} could not be read from Meta, so the checks could not run: {message}"
            ),
            outcome_unknown,
        },
        other => other,
    }
}
