//! Channel configuration rules beyond the schema: names and their uniqueness, the sender
//! number, what an active configuration needs, and references — `credentials` names a declared
//! entry, each marketing action is a core one or declared by the file ("did you mean").

use std::collections::BTreeSet;

use crate::config::{Node, SourceFile};
use crate::diag::Diagnostic;
use crate::model::CORE_MARKETING_ACTIONS;
use crate::rules::{
    Entry, at_node, check_names, check_phone_field, check_unique, did_you_mean, entries,
};

/// The custom marketing actions declared under top-level `marketing_actions`, in every file.
pub fn declared_actions(files: &[SourceFile]) -> BTreeSet<String> {
    files
        .iter()
        .filter_map(|f| f.tree.as_ref()?.get("marketing_actions")?.as_seq())
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// Each marketing action of each channel configuration is known; repeats are warnings.
pub fn check_marketing_actions(
    channels: &[Entry<'_>],
    declared: &BTreeSet<String>,
    out: &mut Vec<Diagnostic>,
) {
    let known = || {
        CORE_MARKETING_ACTIONS
            .iter()
            .copied()
            .chain(declared.iter().map(String::as_str))
    };
    for channel in channels {
        let Some(items) = channel.node.get("marketing_actions").and_then(Node::as_seq) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let Some(action) = item.as_str() else {
                continue;
            };
            // Built only when reporting: this loop runs for every action of every channel.
            let pointer = || format!("{}/{i}", channel.field_pointer("marketing_actions"));
            if !seen.insert(action) {
                out.push(at_node(
                    Diagnostic::warning(
                        "wacfg::marketing_action::repeated",
                        format!(
                            "marketing action `{action}` is listed twice in {}",
                            channel.label()
                        ),
                    )
                    .with_help("remove the repeat; it has no effect"),
                    channel.file,
                    item,
                    &pointer(),
                ));
                continue;
            }
            if CORE_MARKETING_ACTIONS.contains(&action) || declared.contains(action) {
                continue;
            }
            let hint = did_you_mean(action, known());
            out.push(at_node(
                Diagnostic::error(
                    "wacfg::marketing_action::unknown",
                    format!("marketing action `{action}` of {} is not known", channel.label()),
                )
                .with_help(format!(
                    "{hint}use a core action ({}) or declare it under top-level `marketing_actions`",
                    CORE_MARKETING_ACTIONS.join(", ")
                )),
                channel.file,
                item,
                &pointer(),
            ));
        }
    }
}

/// A channel configuration that is not a draft needs credentials, a sender and actions.
pub fn check_draft_requirements(entry: &Entry<'_>, out: &mut Vec<Diagnostic>) {
    let status = entry.node.get_str("status").unwrap_or("active");
    if status == "draft" || !matches!(status, "active" | "deactivated") {
        return;
    }
    for key in ["credentials", "sender_number", "marketing_actions"] {
        let missing = match entry.node.get(key) {
            None => true,
            Some(v) => v.as_seq().is_some_and(<[Node]>::is_empty),
        };
        if missing {
            let what = if key == "marketing_actions" {
                "marketing actions".to_string()
            } else {
                format!("`{key}`")
            };
            out.push(
                entry.at_field(
                    Diagnostic::error(
                        "wacfg::channel::missing_for_active",
                        format!("{} is {status} but has no {what}", entry.label()),
                    )
                    .with_help(format!(
                        "add `{key}`, or set `status: draft` to save it without checks"
                    )),
                    key,
                ),
            );
        }
    }
}

pub fn entries_of(files: &[SourceFile]) -> Vec<Entry<'_>> {
    entries(files, "channel_configurations", "channel configuration")
}

/// Every channel configuration rule beyond the schema.
pub fn check(files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    let channels = entries_of(files);
    let credentials = crate::kinds::credentials::rules_entries(files);
    check_names(&channels, out);
    check_unique(&channels, "channel configuration", out);
    for entry in &channels {
        check_phone_field(entry, "sender_number", out);
        check_draft_requirements(entry, out);
    }
    crate::kinds::credentials::check_references(&channels, &credentials, out);
    check_marketing_actions(&channels, &declared_actions(files), out);
}
