//! The `credentials` kind: a system-user token (by reference), the business portfolio, the
//! WABA and the sending number. Applying verifies them with Meta and records the resolved IDs
//! and facts; nothing is written to Meta.

mod apply;
mod build;
mod drift;
pub mod model;
mod plan;
mod rules;
#[cfg(test)]
mod tests;
pub mod verify;

use std::collections::BTreeMap;
use std::path::Path;

use futures::future::BoxFuture;

pub use model::{DesiredCredentials, RecordedCredentials};
pub use rules::{check_references, entries_of as rules_entries};
pub use verify::{
    EXPIRY_WARNING_SECS, REQUIRED_SCOPES, Verification, VerifyStep, verify_credentials,
};

use super::{Desired, ExecCtx, Kind, PlanCtx, RecordedResource, SecretNeed};
use crate::config::SourceFile;
use crate::diag::Diagnostic;
use crate::model::{Address, ChangeResult, Drift, Observed, ResourceChange, ResourceKind};

/// The key of a credentials entry's token among the resolved secrets: its name.
pub fn secret_key(name: &str) -> String {
    name.to_string()
}

pub struct Credentials;

impl Kind for Credentials {
    fn kind(&self) -> ResourceKind {
        ResourceKind::Credentials
    }

    fn list_key(&self) -> &'static str {
        "credentials"
    }

    fn noun(&self) -> (&'static str, &'static str) {
        ("credentials entry", "credentials entries")
    }

    fn check(&self, files: &[SourceFile], out: &mut Vec<Diagnostic>) {
        rules::check(files, out);
    }

    fn build(&self, files: &[SourceFile], base_dir: &Path, desired: &mut Desired) {
        desired.credentials = build::build(files, base_dir);
    }

    fn declared<'a>(&self, desired: &'a Desired) -> Vec<&'a str> {
        desired.credentials.keys().map(String::as_str).collect()
    }

    fn secrets<'a>(&self, desired: &'a Desired) -> Vec<SecretNeed<'a>> {
        desired
            .credentials
            .values()
            .map(|c| SecretNeed {
                key: secret_key(&c.name),
                reference: &c.token,
                owner: format!("credentials `{}`", c.name),
                is_access_token: true,
            })
            .collect()
    }

    fn secret_owner(&self, key: &str) -> Option<String> {
        // Other kinds' keys have a `kind:` prefix; a name never holds `:`.
        (!key.contains(':')).then(|| format!("the token of credentials `{key}`"))
    }

    fn prepare(&self, cx: &mut PlanCtx<'_>) {
        plan::prepare(cx);
    }

    fn plan(&self, cx: &mut PlanCtx<'_>, addr: &Address) -> Option<ResourceChange> {
        plan::change(cx, addr)
    }

    fn prevent_destroy(&self, _: &Desired, _: Option<&RecordedResource>, _: &str) -> bool {
        false
    }

    fn drift(
        &self,
        recorded: &RecordedResource,
        _all: &BTreeMap<Address, RecordedResource>,
        observed: &Observed,
        out: &mut Vec<Drift>,
    ) {
        if let RecordedResource::Credentials(c) = recorded {
            drift::detect(out, c, observed);
        }
    }

    fn refresh(
        &self,
        recorded: &RecordedResource,
        observed: &Observed,
    ) -> Option<RecordedResource> {
        match recorded {
            RecordedResource::Credentials(c) => {
                drift::refresh(c, observed).map(RecordedResource::Credentials)
            }
            _ => None,
        }
    }

    fn execute<'a>(
        &'a self,
        change: &'a ResourceChange,
        cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, ChangeResult> {
        Box::pin(apply::execute(change, cx))
    }
}

/// The recorded credentials named `name`, if any.
pub fn recorded<'a>(
    recorded: &'a BTreeMap<Address, RecordedResource>,
    name: &str,
) -> Option<&'a RecordedCredentials> {
    match recorded.get(&Address::credentials(name)) {
        Some(RecordedResource::Credentials(c)) => Some(c),
        _ => None,
    }
}
