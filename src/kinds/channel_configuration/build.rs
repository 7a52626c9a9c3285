//! Channel configuration entries of a valid configuration as `DesiredChannel`.

use std::collections::BTreeMap;

use super::model::{DesiredChannel, DesiredStatus};
use crate::config::SourceFile;
use crate::rules::{flag, source_of, strings, text};

pub fn build(files: &[SourceFile]) -> BTreeMap<String, DesiredChannel> {
    super::rules::entries_of(files)
        .iter()
        .map(|entry| {
            let mut actions = strings(entry, "marketing_actions");
            actions.sort();
            actions.dedup();
            let mut templates = strings(entry, "templates");
            templates.sort();
            templates.dedup();
            let status = match entry.node.get_str("status") {
                Some("draft") => DesiredStatus::Draft,
                Some("deactivated") => DesiredStatus::Deactivated,
                _ => DesiredStatus::Active,
            };
            DesiredChannel {
                name: text(entry, "name").unwrap_or_default(),
                description: text(entry, "description"),
                marketing_actions: actions,
                credentials: text(entry, "credentials"),
                sender_number: text(entry, "sender_number"),
                execution_field: text(entry, "execution_field"),
                templates,
                status,
                prevent_destroy: flag(entry, "prevent_destroy"),
                source: source_of(entry),
            }
        })
        .map(|c| (c.name.clone(), c))
        .collect()
}
