//! What a kind reads while it plans: the three inputs (desired, observed, recorded), the
//! secrets' fingerprints, facts earlier kinds derived (credentials verification), and where
//! refusals go. Built by the planner from its `PlanInput`.

use std::collections::BTreeMap;

use super::credentials::Verification;
use super::message_template::pacing::Spending;
use super::{Desired, RecordedResource};
use crate::diag::{Diagnostic, Span};
use crate::model::{Address, SourceLocation, TokenFingerprint};

pub struct PlanCtx<'a> {
    pub desired: &'a Desired,
    pub observed: &'a crate::model::Observed,
    pub recorded: &'a BTreeMap<Address, RecordedResource>,
    /// Fingerprint of each secret the file references, by secret key (see
    /// `kinds::credentials::secret_key` and `kinds::webhook::secret_key`).
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    /// Result of verifying each desired credentials entry against the observed facts.
    pub verified: BTreeMap<String, Verification>,
    pub diagnostics: Vec<Diagnostic>,
    /// `--retry-failed`: submit failed configurations again even when nothing they depend
    /// on changed.
    pub retry_failed: bool,
    /// Meta's template creations left this hour per WABA, as the plan spends them (empty
    /// until the template kind prepares it; an absent WABA has its whole budget).
    pub template_creations: BTreeMap<String, Spending>,
    /// `--target`: when not empty, only these addresses (and what they depend on) are
    /// planned, so only they spend a budget counted across resources.
    pub targets: Vec<Address>,
}

impl<'a> PlanCtx<'a> {
    pub fn new(
        desired: &'a Desired,
        observed: &'a crate::model::Observed,
        recorded: &'a BTreeMap<Address, RecordedResource>,
        fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    ) -> Self {
        Self {
            desired,
            observed,
            recorded,
            fingerprints,
            verified: BTreeMap::new(),
            diagnostics: Vec::new(),
            retry_failed: false,
            template_creations: BTreeMap::new(),
            targets: Vec::new(),
        }
    }

    pub fn recorded(&self, addr: &Address) -> Option<&'a RecordedResource> {
        self.recorded.get(addr)
    }
}

/// A diagnostic placed at a declaration's start.
pub fn at_source(diag: Diagnostic, source: &SourceLocation) -> Diagnostic {
    diag.at(
        source.file.clone(),
        Span {
            line: source.line,
            column: source.column,
            offset: 0,
            len: 0,
        },
    )
}

/// The attributes only apply can tell.
pub fn known_after_apply(after: Option<&crate::model::Attributes>) -> Vec<String> {
    after.map_or_else(Vec::new, |a| {
        a.iter()
            .filter(|(_, v)| v.as_str() == Some(crate::model::KNOWN_AFTER_APPLY))
            .map(|(k, _)| k.clone())
            .collect()
    })
}

/// A resource with nothing to do: listed with its reason, without attributes (renderers hide
/// it, and 10,000 unchanged configurations should cost next to nothing).
pub fn no_op(addr: &Address, reason: impl Into<String>) -> crate::model::ResourceChange {
    crate::model::ResourceChange {
        address: addr.clone(),
        action: crate::model::Action::NoOp,
        reason: reason.into(),
        before: None,
        after: None,
        sensitive: Vec::new(),
        unknown_after: Vec::new(),
        checks: Vec::new(),
        depends_on: Vec::new(),
        moved_from: None,
        destroys: Vec::new(),
    }
}
