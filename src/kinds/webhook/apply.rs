//! Carrying out a webhook change: the lifecycle says which record and which writes; this
//! sends the writes in order (each safe to repeat) and commits the record only once Meta
//! accepted them all, so a failed verification records nothing.

use super::lifecycle::{record, removal, writes};
use super::model::RecordedWebhook;
use crate::kinds::outcome::{applied, failed, port_error};
use crate::kinds::ports::GraphRequest;
use crate::kinds::{ExecCtx, PortError, RecordedResource};
use crate::model::{Action, Address, ChangeResult, ErrorClass, ResourceChange};

pub async fn execute(change: &ResourceChange, cx: &ExecCtx<'_>) -> ChangeResult {
    let addr = &change.address;
    let recorded = match cx.records.get(addr).await {
        Some(RecordedResource::Webhook(r)) => Some(r),
        _ => None,
    };
    if change.action == Action::Delete {
        let Some(r) = recorded else {
            return applied(change, None);
        };
        return match send(cx, removal(&r)).await {
            Ok(()) => commit(change, cx, None).await,
            Err(e) => port_error(change, &e),
        };
    }
    let Some(d) = cx.desired.webhooks.get(&addr.name) else {
        return failed(
            change,
            ErrorClass::Config,
            format!("{addr} is not in the configuration"),
        );
    };
    let key = super::secret_key(&d.name);
    let Some(fp) = cx.fingerprints.get(&key) else {
        return failed(
            change,
            ErrorClass::Config,
            format!(
                "the verify token of {addr} was not read: set {}",
                d.verify_token
            ),
        );
    };
    let creds = match cx.records.get(&Address::credentials(&d.credentials)).await {
        Some(RecordedResource::Credentials(c)) => c,
        _ => {
            return failed(
                change,
                ErrorClass::Verification,
                format!(
                    "credentials `{}` are not applied: apply them first (their verification failed or was skipped)",
                    d.credentials
                ),
            );
        }
    };
    let next = record(d, &creds, fp);
    match send(cx, writes(recorded.as_ref(), &next, &key)).await {
        Ok(()) => commit(change, cx, Some(next)).await,
        Err(e) => port_error(change, &e),
    }
}

async fn send(cx: &ExecCtx<'_>, requests: Vec<(String, GraphRequest)>) -> Result<(), PortError> {
    for (credentials, request) in requests {
        cx.graph.write(&credentials, request).await?;
    }
    Ok(())
}

async fn commit(
    change: &ResourceChange,
    cx: &ExecCtx<'_>,
    next: Option<RecordedWebhook>,
) -> ChangeResult {
    let record = next.map(RecordedResource::Webhook);
    match cx.records.commit_last(change.address.clone(), record).await {
        Ok(()) => applied(change, None),
        Err(e) => port_error(change, &e),
    }
}
