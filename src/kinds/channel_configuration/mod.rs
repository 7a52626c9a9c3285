//! The `channel_configuration` kind: a name, marketing actions, the credentials and sender it
//! sends with, and the source product's lifecycle (draft, processing, active, failed,
//! deactivated) with its checks. Applying runs the checks on fresh facts and records the
//! outcome; nothing is written to Meta (the platform holds channel configurations).

mod apply;
pub mod attrs;
mod build;
pub mod checks;
mod drift;
pub mod lifecycle;
pub mod model;
mod plan;
pub mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use futures::future::BoxFuture;

pub use model::{
    ChannelSpec, ChannelStatus, DesiredChannel, DesiredStatus, FailedUpdate, RecordedChannel,
};
pub use rules::declared_actions;

use super::{Desired, ExecCtx, Kind, Listing, PlanCtx, RecordedResource};
use crate::config::SourceFile;
use crate::diag::Diagnostic;
use crate::model::{Address, ChangeResult, Drift, Observed, ResourceChange, ResourceKind};

pub struct ChannelConfigurations;

impl Kind for ChannelConfigurations {
    fn kind(&self) -> ResourceKind {
        ResourceKind::ChannelConfiguration
    }

    fn list_key(&self) -> &'static str {
        "channel_configurations"
    }

    fn noun(&self) -> (&'static str, &'static str) {
        ("channel configuration", "channel configurations")
    }

    fn check(&self, files: &[SourceFile], out: &mut Vec<Diagnostic>) {
        rules::check(files, out);
    }

    fn build(&self, files: &[SourceFile], _base_dir: &Path, desired: &mut Desired) {
        desired.channel_configurations = build::build(files);
    }

    fn declared<'a>(&self, desired: &'a Desired) -> Vec<&'a str> {
        desired
            .channel_configurations
            .keys()
            .map(String::as_str)
            .collect()
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
        matches!(recorded, Some(RecordedResource::ChannelConfiguration(r)) if r.prevent_destroy)
            || desired
                .channel_configurations
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
        if let RecordedResource::ChannelConfiguration(c) = recorded {
            drift::detect(out, c, all, observed);
        }
    }

    fn live_reads<'a>(
        &'a self,
        change: &'a ResourceChange,
        cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Vec<super::LiveRead>> {
        Box::pin(apply::live_reads(change, cx))
    }

    fn execute<'a>(
        &'a self,
        change: &'a ResourceChange,
        cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, ChangeResult> {
        Box::pin(apply::execute(change, cx))
    }

    fn listing<'a>(&self, recorded: &'a RecordedResource) -> Listing<'a> {
        match recorded {
            RecordedResource::ChannelConfiguration(c) => Listing {
                status: Some(c.status.as_str()),
                version: Some(c.version),
            },
            _ => Listing::default(),
        }
    }
}
