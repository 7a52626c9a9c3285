//! Desired: what the configuration file asks for, after validation. Only a file with no
//! errors becomes a `Desired`; every field is already checked. The resources are per kind,
//! keyed by name and ordered, so everything derived from them is deterministic.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

use super::DesiredResources;
use crate::model::{CORE_MARKETING_ACTIONS, MetaSettings, Moved, Safety, StateSettings};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desired {
    pub meta: MetaSettings,
    pub state: StateSettings,
    pub safety: Safety,
    /// Custom marketing actions declared by the file (the core ones are always known).
    pub marketing_actions: Vec<String>,
    /// `moved:` entries (renames), checked: each target is declared, no chains or duplicates.
    #[serde(default)]
    pub moved: Vec<Moved>,
    /// Every kind's entries (`desired.credentials`, `desired.webhooks`, …).
    #[serde(flatten)]
    pub resources: DesiredResources,
    /// SHA-256 over the configuration's bytes (all files, in load order): a saved plan pins it.
    pub config_digest: String,
    /// The environment the configuration names (`environment:`, the last source's wins),
    /// shown in every plan header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Desired {
    /// Whether a marketing action is known: a core one or one the file declares.
    pub fn knows_marketing_action(&self, action: &str) -> bool {
        CORE_MARKETING_ACTIONS.contains(&action)
            || self.marketing_actions.iter().any(|a| a == action)
    }
}

impl Deref for Desired {
    type Target = DesiredResources;
    fn deref(&self) -> &DesiredResources {
        &self.resources
    }
}

impl DerefMut for Desired {
    fn deref_mut(&mut self) -> &mut DesiredResources {
        &mut self.resources
    }
}
