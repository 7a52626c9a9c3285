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
}
