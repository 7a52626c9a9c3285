//! A planned change as plain data: its action, before/after attributes, the checks it will
//! run, and drift. The planner and every kind produce these; renderers and the apply engine
//! read them. (The whole `Plan` around them lives in `plan`.)

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use super::Address;

/// What a change does. The order of the variants is the order of the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    /// Record an object that already exists at Meta (credentials are never created by wacfg:
    /// they are verified and adopted).
    Import,
    /// A rename (`moved:` or `wacfg state mv`): the record keeps its history and version under
    /// its new address. A rename with other edits is that edit's action with `moved_from` set.
    Move,
    Update,
    Reactivate,
    Deactivate,
    Delete,
    /// Delete then create (the identity of the remote object changes).
    Replace,
    /// Record what Meta says now in state (`--refresh-only`): accepts drift, writes nothing
    /// to Meta.
    Refresh,
    NoOp,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Import => "import",
            Action::Move => "move",
            Action::Update => "update",
            Action::Reactivate => "reactivate",
            Action::Deactivate => "deactivate",
            Action::Delete => "delete",
            Action::Replace => "replace",
            Action::Refresh => "refresh",
            Action::NoOp => "no-op",
        }
    }

    /// Deletes and deactivations count against the safety threshold.
    pub fn is_destructive(self) -> bool {
        matches!(self, Action::Delete | Action::Deactivate | Action::Replace)
    }
}

/// What the planner expects of a check, from the facts read at plan time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    Pass,
    /// Expected to fail: the change will leave the configuration Failed (or the previous
    /// version Active). Shown as a warning.
    Fail,
    /// Expected to pass with a warning (RED quality rating).
    Warn,
    /// Cannot be known before apply (e.g. credentials created in the same apply).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedCheck {
    /// Stable id, e.g. `sender_connected`.
    pub id: String,
    pub expectation: Expectation,
    pub message: String,
}

/// Attributes of a resource as shown in a plan: ordered, plain JSON values. Sensitive values
/// are never here in clear: they appear as the string `(sensitive)`.
pub type Attributes = BTreeMap<String, Value>;

/// Marker for an attribute whose value is only known once apply has run.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";
/// Marker for a sensitive attribute's value.
pub const SENSITIVE: &str = "(sensitive)";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: Address,
    pub action: Action,
    /// Why, in a few words a reviewer reads: "not in state", "sender_number changed", …
    pub reason: String,
    pub before: Option<Attributes>,
    pub after: Option<Attributes>,
    /// Attribute names whose values are sensitive (changes shown as "(sensitive value changed)").
    pub sensitive: Vec<String>,
    /// Attribute names whose value is known only after apply.
    pub unknown_after: Vec<String>,
    /// Checks this change will run at apply time.
    pub checks: Vec<PlannedCheck>,
    /// Addresses this change waits for.
    pub depends_on: Vec<Address>,
    /// The address the record is renamed from (`moved:` in the file), carried out before the
    /// change itself; the record keeps its history and version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Address>,
    /// What of the resource this change deletes at Meta although the resource itself stays
    /// (an update removing one language of a message template deletes that template at
    /// Meta): `language fr_FR`. Such a change counts as destructive like a delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destroys: Vec<String>,
}

impl ResourceChange {
    /// Whether the change deletes something at Meta: its action does (delete, deactivate,
    /// replace), or it destroys part of the resource (`destroys`). Such changes are what
    /// `prevent_destroy` refuses and the safety threshold counts.
    pub fn is_destructive(&self) -> bool {
        self.action.is_destructive() || !self.destroys.is_empty()
    }
}

/// One fact that changed at Meta since the last apply (Observed vs Recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub address: Address,
    pub attribute: String,
    pub recorded: Value,
    pub observed: Value,
    pub message: String,
}
