//! References between declarations: a channel configuration's `credentials` must name a
//! declared entry, and each marketing action must be a core one or declared by the file.
//! Unknown names get a "did you mean".

use std::collections::BTreeSet;

use super::suggest::did_you_mean;
use super::util::{Entry, at_node};
use crate::config::{Node, SourceFile};
use crate::diag::Diagnostic;
use crate::model::CORE_MARKETING_ACTIONS;

/// The custom marketing actions declared under top-level `marketing_actions`, in every file.
pub fn declared_actions(files: &[SourceFile]) -> BTreeSet<String> {
    files
        .iter()
        .filter_map(|f| f.tree.as_ref()?.get("marketing_actions")?.as_seq())
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// `credentials:` of each channel configuration names a declared credentials entry.
pub fn check_credentials_refs(
    channels: &[Entry<'_>],
    credentials: &[Entry<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let names: BTreeSet<&str> = credentials.iter().filter_map(Entry::name).collect();
    for channel in channels {
        let Some(target) = channel.node.get_str("credentials") else {
            continue;
        };
        if names.contains(target) {
            continue;
        }
        let hint = did_you_mean(target, names.iter().copied());
        let help = if names.is_empty() {
            "declare it under `credentials:` (no credentials are declared)".to_string()
        } else {
            format!(
                "{hint}declared credentials: {}",
                names.iter().copied().collect::<Vec<_>>().join(", ")
            )
        };
        out.push(
            channel.at_field(
                Diagnostic::error(
                    "wacfg::reference::unknown_credentials",
                    format!(
                        "{} uses credentials `{target}`, which are not declared",
                        channel.label()
                    ),
                )
                .with_help(help),
                "credentials",
            ),
        );
    }
}

/// Credentials that no channel configuration uses: allowed, but worth a look.
pub fn warn_unused_credentials(
    channels: &[Entry<'_>],
    credentials: &[Entry<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let used: BTreeSet<&str> = channels
        .iter()
        .filter_map(|c| c.node.get_str("credentials"))
        .collect();
    for cred in credentials {
        let Some(name) = cred.name() else { continue };
        if !used.contains(name) {
            out.push(cred.at_field(
                Diagnostic::warning(
                    "wacfg::credentials::unused",
                    format!("credentials `{name}` are not used by any channel configuration"),
                )
                .with_help("this is allowed (they are still verified on apply); remove them if they are left over"),
                "name",
            ));
        }
    }
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
