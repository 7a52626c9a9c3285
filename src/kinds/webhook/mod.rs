//! The `webhook` kind: the source product's step between credentials and channel
//! configurations. Meta's `subscribed_apps` subscription of the credentials' WABA with a
//! verified callback override (or the sender number's own override), one per WABA, plus the
//! inbound keyword categories and replies the platform answers with. Applying writes to Meta;
//! removing unsubscribes (destructive: it stops inbound delivery).

mod apply;
mod build;
mod drift;
pub mod graph;
pub mod lifecycle;
pub mod model;
mod plan;
pub mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use futures::future::BoxFuture;

pub use model::{DesiredWebhook, KeywordCategory, Keywords, RecordedWebhook, WebhookScope};

use super::{Desired, ExecCtx, Kind, PlanCtx, RecordedResource, SecretNeed};
use crate::config::SourceFile;
use crate::diag::Diagnostic;
use crate::model::{Address, ChangeResult, Drift, Observed, ResourceChange, ResourceKind};

/// What starts the key of a webhook's verify token among the resolved secrets.
const SECRET_PREFIX: &str = "webhook:";

/// The key of a webhook's verify token among the resolved secrets (`:` is in no name).
pub fn secret_key(name: &str) -> String {
    format!("{SECRET_PREFIX}{name}")
}

pub struct Webhooks;

impl Kind for Webhooks {
    fn kind(&self) -> ResourceKind {
        ResourceKind::Webhook
    }

    fn list_key(&self) -> &'static str {
        "webhooks"
    }

    fn noun(&self) -> (&'static str, &'static str) {
        ("webhook", "webhooks")
    }

    fn check(&self, files: &[SourceFile], out: &mut Vec<Diagnostic>) {
        rules::check(files, out);
    }

    fn build(&self, files: &[SourceFile], base_dir: &Path, desired: &mut Desired) {
        desired.webhooks = build::build(files, base_dir);
    }

    fn declared<'a>(&self, desired: &'a Desired) -> Vec<&'a str> {
        desired.webhooks.keys().map(String::as_str).collect()
    }

    fn secrets<'a>(&self, desired: &'a Desired) -> Vec<SecretNeed<'a>> {
        desired
            .webhooks
            .values()
            .map(|w| SecretNeed {
                key: secret_key(&w.name),
                reference: &w.verify_token,
                owner: format!("the verify token of webhook `{}`", w.name),
                is_access_token: false,
            })
            .collect()
    }

    fn secret_owner(&self, key: &str) -> Option<String> {
        let name = key.strip_prefix(SECRET_PREFIX)?;
        Some(format!("the verify token of webhook `{name}`"))
    }

    fn plan(&self, cx: &mut PlanCtx<'_>, addr: &Address) -> Option<ResourceChange> {
        plan::change(cx, addr)
    }

    fn prevent_destroy(
        &self,
        desired: &Desired,
        recorded: Option<&RecordedResource>,
        name: &str,
    ) -> bool {
        matches!(recorded, Some(RecordedResource::Webhook(r)) if r.prevent_destroy)
            || desired
                .webhooks
                .get(name)
                .is_some_and(|d| d.prevent_destroy)
    }

    fn drift(
        &self,
        recorded: &RecordedResource,
        all: &BTreeMap<Address, RecordedResource>,
        observed: &Observed,
        out: &mut Vec<Drift>,
    ) {
        if let RecordedResource::Webhook(w) = recorded {
            drift::detect(out, w, all, observed);
        }
    }

    fn import_refusal(&self) -> Option<&'static str> {
        Some("a webhook's subscription is set by apply (`wacfg apply` records it once set)")
    }

    fn execute<'a>(
        &'a self,
        change: &'a ResourceChange,
        cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, ChangeResult> {
        Box::pin(apply::execute(change, cx))
    }
}
