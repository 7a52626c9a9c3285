//! Webhook entries of a valid configuration as `DesiredWebhook`.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{DesiredWebhook, KeywordCategory, Keywords, WebhookScope};
use crate::config::{Node, SourceFile};
use crate::rules::{Entry, flag, secret_ref, source_of, text};

pub fn build(files: &[SourceFile], base_dir: &Path) -> BTreeMap<String, DesiredWebhook> {
    super::rules::entries_of(files)
        .iter()
        .map(|entry| DesiredWebhook {
            name: text(entry, "name").unwrap_or_default(),
            credentials: text(entry, "credentials").unwrap_or_default(),
            callback_url: text(entry, "callback_url").unwrap_or_default(),
            verify_token: secret_ref(
                entry.node.get_str("verify_token").unwrap_or_default(),
                base_dir,
            ),
            scope: match entry.node.get_str("scope") {
                Some("phone_number") => WebhookScope::PhoneNumber,
                _ => WebhookScope::Waba,
            },
            keywords: keywords(entry),
            prevent_destroy: flag(entry, "prevent_destroy"),
            source: source_of(entry),
        })
        .map(|w| (w.name.clone(), w))
        .collect()
}

fn keywords(entry: &Entry<'_>) -> Keywords {
    let Some(categories) = entry.node.get("keywords").and_then(Node::as_map) else {
        return Keywords::new();
    };
    categories
        .iter()
        .map(|(key, node)| {
            let keywords = node
                .get("keywords")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect();
            let reply = node.get_str("reply").map(str::to_string);
            (key.name.clone(), KeywordCategory { keywords, reply })
        })
        .collect()
}
