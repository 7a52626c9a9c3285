//! Resource kinds, behind one seam. Each kind lives in its own folder — its Desired and
//! Recorded model, its validation rules, its lifecycle (the decision *and* the record it leads
//! to), its Graph reads and writes, its tests — and implements [`Kind`]. `registry.rs` lists
//! them, one line each, in dependency order; the validator, planner, apply engine, drift,
//! safety, state listing and renderers loop over that list and never name a kind.
//!
//! This layer sits above `model`, `diag`, `config`, `rules` and `remote`, and below `validate`,
//! `plan`, `state`, `apply` and `render`. It does no I/O of its own: a kind's execution talks
//! to Meta and to state through the ports in `ports.rs`.

pub mod channel_configuration;
pub mod credentials;
mod desired;
pub mod diff;
pub mod message_template;
pub mod outcome;
pub mod phases;
pub mod plan_ctx;
pub mod ports;
mod registry;
pub mod webhook;

use std::path::Path;

use futures::future::BoxFuture;

pub use desired::Desired;
pub use plan_ctx::PlanCtx;
pub use ports::{
    ExecCtx, GraphPort, GraphRequest, LiveAnswers, LiveRead, MediaFile, MediaFiles, NoMediaFiles,
    NumberRead, Pacing, PortError, Records, WabaRead,
};
pub use registry::{DesiredResources, KINDS, RecordedResource, of};

use crate::config::SourceFile;
use crate::diag::Diagnostic;
use crate::model::{Address, ChangeResult, Drift, Observed, ResourceChange, ResourceKind};

/// How a state listing shows one recorded resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Listing<'a> {
    pub status: Option<&'a str>,
    pub version: Option<u32>,
}

/// Where Meta's review of one resource stands after a poll (`Kind::review`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Review {
    /// Parts still in review (a template's language codes).
    pub pending: Vec<String>,
    /// Parts Meta rejected, each a sentence with the reason and what to change.
    pub rejected: Vec<String>,
    /// The status to show: REJECTED when a part was rejected, PENDING while one is in
    /// review, else Meta's decision.
    pub status: String,
}

/// A secret an entry references, to read at plan time (never at validate time).
pub struct SecretNeed<'a> {
    /// Its key among the resolved secrets and fingerprints.
    pub key: String,
    pub reference: &'a crate::model::SecretRef,
    /// How messages name it: "credentials `acme_fr`".
    pub owner: String,
    /// A Graph access token (reads and writes are made with it), rather than a value sent.
    pub is_access_token: bool,
}

/// One kind of resource. Implementations are unit structs registered in `registry.rs`.
pub trait Kind: Sync {
    fn kind(&self) -> ResourceKind;
    /// The top-level list of the configuration file holding its entries (`webhooks`).
    fn list_key(&self) -> &'static str;
    /// How messages name one entry and several: `("webhook", "webhooks")`.
    fn noun(&self) -> (&'static str, &'static str);

    /// The kind's code rules beyond the JSON Schema, over every loaded file (names and their
    /// uniqueness included). Offline: no secret, no network.
    fn check(&self, files: &[SourceFile], out: &mut Vec<Diagnostic>);
    /// Add the entries of a configuration with no errors to `desired`.
    fn build(&self, files: &[SourceFile], base_dir: &Path, desired: &mut Desired);
    /// Names the file declares, in order.
    fn declared<'a>(&self, desired: &'a Desired) -> Vec<&'a str>;
    /// The secrets its entries reference.
    fn secrets<'a>(&self, _desired: &'a Desired) -> Vec<SecretNeed<'a>> {
        Vec::new()
    }
    /// How messages name the secret under `key` (a key [`Kind::secrets`] gives), when the key
    /// is one of this kind's: "the verify token of webhook `x`". Works from the key alone, as
    /// a saved plan names secrets the file may no longer declare.
    fn secret_owner(&self, _key: &str) -> Option<String> {
        None
    }
    /// The WABAs whose message templates a plan needs read for this kind's entries in the
    /// file and in state, each with the credentials whose token reads it.
    fn template_wabas<'a>(
        &self,
        _desired: &'a Desired,
        _recorded: &'a std::collections::BTreeMap<Address, RecordedResource>,
    ) -> Vec<(&'a str, &'a str)> {
        Vec::new()
    }

    /// Facts the kind derives once per plan for itself and the kinds after it.
    fn prepare(&self, _cx: &mut PlanCtx<'_>) {}
    /// Decide one address declared or recorded. A refusal is pushed on `cx.diagnostics`.
    fn plan(&self, cx: &mut PlanCtx<'_>, addr: &Address) -> Option<ResourceChange>;
    /// `prevent_destroy` as the file or the state sets it.
    fn prevent_destroy(
        &self,
        desired: &Desired,
        recorded: Option<&RecordedResource>,
        name: &str,
    ) -> bool;
    /// What changed at Meta since the last apply, for one recorded resource of this kind.
    fn drift(
        &self,
        recorded: &RecordedResource,
        all: &std::collections::BTreeMap<Address, RecordedResource>,
        observed: &Observed,
        out: &mut Vec<Drift>,
    );
    /// The facts `execute` will read from Meta for `change` (`ExecCtx::graph`), so apply reads
    /// them for the whole phase at once, batched, just before it runs. Naming fewer is never
    /// wrong: `execute` reads what was not read ahead.
    fn live_reads<'a>(
        &'a self,
        _change: &'a ResourceChange,
        _cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Vec<LiveRead>> {
        Box::pin(async { Vec::new() })
    }

    /// The record with what Meta says now (`--refresh-only`), when the kind can accept its
    /// drift by recording it; `None` when it cannot (the file has to change instead).
    fn refresh(
        &self,
        _recorded: &RecordedResource,
        _observed: &Observed,
    ) -> Option<RecordedResource> {
        None
    }
    /// Carry one planned change out: decide again on fresh facts, write to Meta, record.
    fn execute<'a>(
        &'a self,
        change: &'a ResourceChange,
        cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, ChangeResult>;
    /// The parts of a recorded resource Meta accepted but has not decided on yet (a
    /// template's languages in review): what `apply --wait` waits for. Pure; empty for kinds
    /// Meta does not review.
    fn awaiting(&self, _recorded: &RecordedResource) -> Vec<String> {
        Vec::new()
    }
    /// Read Meta's review of the resource at `addr` now and record its decisions (no write
    /// to Meta). `None`: not a resource of this kind in state, or a kind Meta does not review.
    fn review<'a>(
        &'a self,
        _addr: &'a Address,
        _cx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Option<Result<Review, PortError>>> {
        Box::pin(async { None })
    }
    /// Why `wacfg import` refuses entries of this kind, when it does (a kind whose object
    /// only apply sets up); `None` when they can be imported.
    fn import_refusal(&self) -> Option<&'static str> {
        None
    }
    /// Status and version for state listings (kinds without a lifecycle have neither).
    fn listing<'a>(&self, _recorded: &'a RecordedResource) -> Listing<'a> {
        Listing::default()
    }
}

/// The registered kind for an address.
pub fn kind_of(addr: &Address) -> &'static dyn Kind {
    of(addr.kind)
}

pub use channel_configuration::{
    ChannelSpec, ChannelStatus, DesiredChannel, DesiredStatus, FailedUpdate, RecordedChannel,
};
pub use credentials::{DesiredCredentials, RecordedCredentials};
pub use webhook::{DesiredWebhook, RecordedWebhook, WebhookScope};
