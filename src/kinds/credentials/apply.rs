//! Applying credentials: verify again on the facts read just before apply, then record the
//! result; removing them forgets the record. Nothing is written to Meta.

use super::verify::verify_credentials;
use crate::kinds::outcome::{applied, failed, port_error};
use crate::kinds::{ExecCtx, RecordedResource};
use crate::model::{Action, ChangeResult, ErrorClass, ResourceChange};

pub async fn execute(change: &ResourceChange, cx: &ExecCtx<'_>) -> ChangeResult {
    let name = &change.address.name;
    if change.action == Action::Delete {
        return match cx.records.commit_last(change.address.clone(), None).await {
            Ok(()) => applied(change, None),
            Err(e) => port_error(change, &e),
        };
    }
    let (Some(d), Some(fp)) = (
        cx.desired.credentials.get(name),
        cx.fingerprints.get(&super::secret_key(name)),
    ) else {
        return failed(
            change,
            ErrorClass::Config,
            format!("credentials `{name}` are not in the configuration"),
        );
    };
    match verify_credentials(d, fp, cx.observed) {
        Ok(rec) => match cx
            .records
            .commit_last(
                change.address.clone(),
                Some(RecordedResource::Credentials(rec)),
            )
            .await
        {
            Ok(()) => applied(change, None),
            Err(e) => port_error(change, &e),
        },
        Err((step, why)) => failed(
            change,
            ErrorClass::Verification,
            format!("verification failed at step `{}`: {why}", step.id()),
        ),
    }
}
