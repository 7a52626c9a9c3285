//! The `message_template` kind: WhatsApp message templates as code. One entry per template
//! name with its languages (Meta's identity is name + language, each language its own
//! template id). Meta reviews every submission (PENDING → APPROVED | REJECTED), limits edits
//! of APPROVED templates, locks the name of a deleted APPROVED template for 30 days and may
//! pause, disable or re-categorise a template on its own: the lifecycle models each of these,
//! the plan shows them, and apply never sends a create twice.

pub mod adopt;
mod apply;
mod build;
pub mod components;
mod drift;
pub mod graph;
pub mod lifecycle;
pub mod media;
pub mod model;
pub mod pacing;
pub mod placeholders;
pub mod plan;
pub mod review;
pub mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use futures::future::BoxFuture;

pub use model::{DesiredTemplate, RecordedLanguage, RecordedTemplate};

use super::{Desired, ExecCtx, Kind, Listing, PlanCtx, PortError, RecordedResource, Review};
use crate::config::SourceFile;
use crate::diag::Diagnostic;
use crate::model::{Address, ChangeResult, Drift, Observed, ResourceChange, ResourceKind};

pub struct MessageTemplates;

impl Kind for MessageTemplates {
    fn kind(&self) -> ResourceKind {
        ResourceKind::MessageTemplate
    }

    fn list_key(&self) -> &'static str {
        "message_templates"
    }

    fn noun(&self) -> (&'static str, &'static str) {
        ("message template", "message templates")
    }

    fn check(&self, files: &[SourceFile], out: &mut Vec<Diagnostic>) {
        rules::check(files, out);
    }

    fn build(&self, files: &[SourceFile], base_dir: &Path, desired: &mut Desired) {
        desired.message_templates = build::build(files, base_dir);
    }

    fn declared<'a>(&self, desired: &'a Desired) -> Vec<&'a str> {
        desired
            .message_templates
            .keys()
            .map(String::as_str)
            .collect()
    }

    fn template_wabas<'a>(
        &self,
        desired: &'a Desired,
        recorded: &'a BTreeMap<Address, RecordedResource>,
    ) -> Vec<(&'a str, &'a str)> {
        let declared = desired.message_templates.values().filter_map(|t| {
            let creds = desired.credentials.get(&t.credentials)?;
            Some((creds.waba_id.as_str(), t.credentials.as_str()))
        });
        let kept = recorded.values().filter_map(|r| match r {
            RecordedResource::MessageTemplate(t) => {
                Some((t.waba_id.as_str(), t.credentials.as_str()))
            }
            _ => None,
        });
        declared.chain(kept).collect()
    }

    fn prepare(&self, cx: &mut PlanCtx<'_>) {
        cx.template_creations = pacing::budgets(cx.recorded, cx.observed.read_at)
            .into_iter()
            .map(|(waba, b)| (waba, pacing::Spending::new(b)))
            .collect();
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
        matches!(recorded, Some(RecordedResource::MessageTemplate(r)) if r.prevent_destroy)
            || desired
                .message_templates
                .get(name)
                .is_some_and(|d| d.prevent_destroy)
    }

    fn drift(
        &self,
        recorded: &RecordedResource,
        _all: &BTreeMap<Address, RecordedResource>,
        observed: &Observed,
        out: &mut Vec<Drift>,
    ) {
        if let RecordedResource::MessageTemplate(t) = recorded {
            drift::detect(out, t, observed);
        }
    }

    fn refresh(
        &self,
        recorded: &RecordedResource,
        observed: &Observed,
    ) -> Option<RecordedResource> {
        match recorded {
            RecordedResource::MessageTemplate(t) => {
                drift::refresh(t, observed).map(RecordedResource::MessageTemplate)
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

    fn awaiting(&self, recorded: &RecordedResource) -> Vec<String> {
        match recorded {
            RecordedResource::MessageTemplate(t) => review::undecided(t),
            _ => Vec::new(),
        }
    }

    fn review<'a>(
        &'a self,
        addr: &'a Address,
        cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Option<Result<Review, PortError>>> {
        Box::pin(review::poll(addr, cx))
    }

    fn listing<'a>(&self, recorded: &'a RecordedResource) -> Listing<'a> {
        match recorded {
            RecordedResource::MessageTemplate(t) => Listing {
                status: t.languages.values().next().map(|l| l.status.as_str()),
                version: None,
            },
            _ => Listing::default(),
        }
    }
}
