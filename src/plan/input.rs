//! What the planner reads. No I/O happens behind any of it.

use std::collections::BTreeMap;

use super::types::PriorState;
use crate::kinds::{Desired, RecordedResource};
use crate::model::{Address, Observed, TokenFingerprint};

pub struct PlanInput<'a> {
    pub desired: &'a Desired,
    pub observed: &'a Observed,
    pub prior: Option<PriorState>,
    pub recorded: &'a BTreeMap<Address, RecordedResource>,
    /// Fingerprint of each secret the file references, by secret key (a credentials entry's
    /// token under its name; a webhook's verify token under `kinds::webhook::secret_key`).
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub targets: Vec<Address>,
    pub allow_destructive: bool,
    pub options: PlanOptions,
}

/// How the plan is asked for (`plan`/`apply` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PlanOptions {
    /// `--retry-failed`: submit failed channel configurations again even when nothing they
    /// depend on changed.
    pub retry_failed: bool,
    /// `--refresh-only`: plan only recording Meta's facts in state (accepting drift).
    pub refresh_only: bool,
}

impl PlanOptions {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}
