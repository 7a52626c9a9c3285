//! `moved:` entries (renames): each `{from, to}` names two addresses of the same kind (their
//! form is the JSON Schema's pattern); the
//! target must be declared and the source no longer; no entry may repeat a source or a
//! target, and none may start where another ends (a chain, or a cycle). Offline checks and
//! the typed `Moved` list they let through.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Node, SourceFile};
use crate::diag::{Diagnostic, Related, Span};
use crate::kinds::KINDS;
use crate::model::{Address, Moved, ResourceKind, SourceLocation};

/// One `moved:` item as written, with where it is.
struct Item<'a> {
    file: &'a std::path::Path,
    index: usize,
    node: &'a Node,
    from: Option<Address>,
    to: Option<Address>,
}

fn items(files: &[SourceFile]) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    for file in files {
        let Some(list) = file
            .tree
            .as_ref()
            .and_then(|t| t.get("moved"))
            .and_then(Node::as_seq)
        else {
            continue;
        };
        for (index, node) in list.iter().enumerate() {
            let parse = |key: &str| node.get_str(key).and_then(|t| t.parse::<Address>().ok());
            out.push(Item {
                file: &file.path,
                index,
                node,
                from: parse("from"),
                to: parse("to"),
            });
        }
    }
    out
}

/// Every name each kind declares, across the files.
fn declared(files: &[SourceFile]) -> BTreeMap<ResourceKind, BTreeSet<String>> {
    let mut out: BTreeMap<ResourceKind, BTreeSet<String>> = BTreeMap::new();
    for kind in KINDS {
        let names = out.entry(kind.kind()).or_default();
        for entry in crate::rules::entries(files, kind.list_key(), kind.noun().0) {
            if let Some(name) = entry.node.get_str("name") {
                names.insert(name.to_string());
            }
        }
    }
    out
}

fn span_of(item: &Item<'_>, key: &str) -> Span {
    item.node
        .entry(key)
        .map_or_else(|| item.node.span.clone(), |(_, v)| v.span.clone())
}

fn error(item: &Item<'_>, key: &str, code: &str, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(code.to_string(), message)
        .with_help(help.to_string())
        .at(item.file, span_of(item, key))
        .with_pointer(format!("/moved/{}/{key}", item.index))
}

/// The code rules over `moved:` (the JSON Schema checks its shape).
pub fn check(files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    let items = items(files);
    if items.is_empty() {
        return;
    }
    let declared = declared(files);
    let is_declared = |a: &Address| declared.get(&a.kind).is_some_and(|n| n.contains(&a.name));
    let mut sources: BTreeMap<&Address, &Item<'_>> = BTreeMap::new();
    let mut targets: BTreeMap<&Address, &Item<'_>> = BTreeMap::new();
    for item in &items {
        // An address that does not parse is the JSON Schema's (pattern) to report.
        let (Some(from), Some(to)) = (&item.from, &item.to) else {
            continue;
        };
        if from == to {
            out.push(error(
                item,
                "to",
                "wacfg::moved::same_address",
                format!("`moved` from {from} to itself"),
                "name the old address in `from` and the new one in `to`, or remove the entry",
            ));
            continue;
        }
        if from.kind != to.kind {
            out.push(error(
                item,
                "to",
                "wacfg::moved::kind_mismatch",
                format!("`moved` from {from} to {to}: a resource cannot change kind"),
                "both addresses must start with the same kind",
            ));
            continue;
        }
        if !is_declared(to) {
            out.push(error(
                item,
                "to",
                "wacfg::moved::target_not_declared",
                format!("`moved` target {to} is not declared in the configuration"),
                "declare the entry under its new name, or fix `to`",
            ));
        }
        if is_declared(from) {
            out.push(error(
                item,
                "from",
                "wacfg::moved::source_still_declared",
                format!("`moved` source {from} is still declared in the configuration"),
                "remove or rename the old entry: the record moves to the new name",
            ));
        }
        for (key, seen, addr) in [("from", &mut sources, from), ("to", &mut targets, to)] {
            match seen.get(addr) {
                Some(first) => {
                    let mut d = error(
                        item,
                        key,
                        "wacfg::moved::duplicate",
                        format!("{addr} appears as `{key}` of two `moved` entries"),
                        "keep one entry per rename",
                    );
                    d.related.push(Related {
                        message: "first here".into(),
                        file: Some(first.file.to_path_buf()),
                        span: Some(span_of(first, key)),
                    });
                    out.push(d);
                }
                None => {
                    seen.insert(addr, item);
                }
            }
        }
    }
    for item in &items {
        let Some(to) = &item.to else { continue };
        if let Some(next) = sources.get(to)
            && item.from.as_ref() != Some(to)
        {
            let mut d = error(
                item,
                "to",
                "wacfg::moved::chain",
                format!(
                    "`moved` target {to} is itself moved to {}: chained or circular renames",
                    next.to
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string)
                ),
                "write one entry from the oldest address straight to the newest",
            );
            d.related.push(Related {
                message: "moved on here".into(),
                file: Some(next.file.to_path_buf()),
                span: Some(span_of(next, "from")),
            });
            out.push(d);
        }
    }
}

/// The `moved:` entries of a configuration with no errors.
pub fn build(files: &[SourceFile]) -> Vec<Moved> {
    items(files)
        .into_iter()
        .filter_map(|item| {
            Some(Moved {
                from: item.from?,
                to: item.to?,
                source: SourceLocation {
                    file: item.file.to_path_buf(),
                    line: item.node.span.line,
                    column: item.node.span.column,
                },
            })
        })
        .collect()
}
