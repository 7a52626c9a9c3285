//! The Plan as plain, versioned data: what the planner returns, what every renderer reads and
//! what a saved plan file holds. The human rendering is derived from this same data, so the
//! JSON and human forms can never disagree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::model::Address;
pub use crate::model::change::*;

/// Bumped in its minor part when fields are added; in its major part when they change.
pub const PLAN_FORMAT_VERSION: &str = "1.1";

/// Lineage and serial of the state a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorState {
    pub lineage: String,
    pub serial: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Summary {
    pub create: usize,
    /// Added in 1.1 (absent from older saved plans).
    #[serde(default)]
    pub import: usize,
    #[serde(default, rename = "move")]
    pub moved: usize,
    pub update: usize,
    pub reactivate: usize,
    pub deactivate: usize,
    pub delete: usize,
    pub replace: usize,
    #[serde(default)]
    pub refresh: usize,
    pub no_op: usize,
}

impl Summary {
    pub fn count(&mut self, action: Action) {
        match action {
            Action::Create => self.create += 1,
            Action::Import => self.import += 1,
            Action::Move => self.moved += 1,
            Action::Update => self.update += 1,
            Action::Reactivate => self.reactivate += 1,
            Action::Deactivate => self.deactivate += 1,
            Action::Delete => self.delete += 1,
            Action::Replace => self.replace += 1,
            Action::Refresh => self.refresh += 1,
            Action::NoOp => self.no_op += 1,
        }
    }

    pub fn has_changes(&self) -> bool {
        self.create
            + self.import
            + self.moved
            + self.update
            + self.reactivate
            + self.deactivate
            + self.delete
            + self.replace
            + self.refresh
            > 0
    }
}

/// What a saved plan relied on, so `apply FILE` can refuse a stale plan and say why. The
/// plan digest is a plain SHA-256: it detects an accidental edit, not a deliberate one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Digests {
    /// `Desired::config_digest`.
    pub config: String,
    /// Fingerprint of each credentials entry's token, by credentials name.
    pub tokens: BTreeMap<String, String>,
    /// Digest of the Meta facts each business (and token) contributed. Not compared on its
    /// own at apply: Meta counts only through the re-derived changes (`stale::differences`).
    pub observed: BTreeMap<String, String>,
    /// Digest of the plan itself (everything but this field); printed for `--expect-digest`.
    pub plan: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub tool_version: String,
    /// `None` when there is no state yet.
    pub prior_state: Option<PriorState>,
    /// In apply order: credentials created/updated, then channel configurations, then
    /// removals in reverse dependency order. No-ops included (renderers hide them).
    pub resource_changes: Vec<ResourceChange>,
    pub resource_drift: Vec<Drift>,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
    /// `--target` addresses, when the plan was limited to them.
    pub targets: Vec<Address>,
    /// Set when the plan must not be applied (safety threshold, prevent_destroy, errors).
    pub refused: bool,
    pub digests: Digests,
    /// The Graph API endpoint the plan read Meta from, when it is not Meta's own
    /// (`https://graph.facebook.com`): named in every plan format's header. Absent for Meta's.
    /// Not part of `digests.plan`: a simulator's random port must not make a digest differ
    /// run to run, and apply never reads it (it talks to the endpoint the operator allows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_api: Option<GraphEndpoint>,
    /// The environment the configuration names (`environment:`), shown in every plan
    /// format's header. Covered by `digests.plan`. Absent when the configuration names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The git commit of the configuration the plan was made from, when it lives in a git
    /// checkout (or `WACFG_COMMIT` names it): shown in the markdown plan so a reviewer knows
    /// what was planned. Covered by `digests.plan`, like everything a reviewer sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<PlanCommit>,
    /// `--retry-failed` / `--refresh-only`, when given: `apply FILE` re-derives the changes
    /// with the same options. Absent when neither was.
    #[serde(default, skip_serializing_if = "super::input::PlanOptions::is_default")]
    pub options: super::input::PlanOptions,
}

impl Plan {
    /// The header line every format prints when the configuration names its environment.
    pub fn environment_header(&self) -> Option<String> {
        self.environment
            .as_ref()
            .map(|name| format!("Environment: {name}"))
    }
}

/// The commit a plan was made at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCommit {
    /// The full commit id (`git rev-parse HEAD`, or `WACFG_COMMIT`).
    pub sha: String,
    /// The configuration had uncommitted changes: the plan is not exactly that commit's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub modified: bool,
}

/// A Graph API endpoint other than Meta's and who chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphEndpoint {
    /// The base URL requests went to, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Who chose it: `--graph-url` or `WACFG_GRAPH_URL` (the configuration file alone may
    /// name only Meta's host).
    pub set_by: String,
}

impl GraphEndpoint {
    /// The header line every format prints, e.g.
    /// `Graph API: http://127.0.0.1:8080 (set by WACFG_GRAPH_URL)`.
    pub fn header(&self) -> String {
        format!("Graph API: {} (set by {})", self.url, self.set_by)
    }
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.has_changes()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }

    /// The changes that do something.
    pub fn actionable(&self) -> impl Iterator<Item = &ResourceChange> {
        self.resource_changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
    }
}
