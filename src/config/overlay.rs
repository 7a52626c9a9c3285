//! Several `-c` sources as one configuration: each later source overlays the ones before it.
//! An entry of a kind's list whose name an earlier source declares is patched field by field
//! (a mapping is patched recursively, a `null` removes a field, anything else replaces); an
//! entry with a new name is added. The settings blocks (`meta`, `state`, `safety`, `vars`)
//! are patched the same way and `environment` is replaced; the result lives in the later file,
//! so each block is still declared once. Everything else (`version`, unknown keys) stays where
//! it was written, for the schema to judge.
//!
//! Diagnostics keep pointing at the file and line each value came from: before merging, every
//! span is moved into one address space (each file's byte offsets shifted past the files
//! before it), so a span alone says which file it belongs to; [`Layout::locate`] moves a
//! diagnostic back into its file once validation is done.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::load::{Loaded, SourceFile};
use super::node::{Key, Node, Value};
use crate::diag::{Diagnostic, Span};

/// Top-level blocks patched (mappings) or replaced (anything else) by a later source.
pub const BLOCKS: [&str; 5] = ["meta", "state", "safety", "vars", "environment"];

/// Where each file's bytes sit in the shared address space of a merged configuration.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Path, first offset, length: in load order.
    files: Vec<(PathBuf, usize, usize)>,
}

impl Layout {
    /// Move a diagnostic (and its related places) produced on merged trees back into the
    /// file its span belongs to.
    pub fn locate(&self, diag: &mut Diagnostic) {
        if let (Some(file), Some(span)) = (diag.file.as_mut(), diag.span.as_mut()) {
            self.place(file, span);
        }
        for related in &mut diag.related {
            if let (Some(file), Some(span)) = (related.file.as_mut(), related.span.as_mut()) {
                self.place(file, span);
            }
        }
    }

    fn place(&self, file: &mut PathBuf, span: &mut Span) {
        // A span with no line is a whole-file place the rule chose itself: keep it.
        if span.line == 0 {
            return;
        }
        if let Some((path, base, _)) = self
            .files
            .iter()
            .find(|(_, base, len)| (*base..=base + len).contains(&span.offset))
        {
            file.clone_from(path);
            span.offset -= base;
        }
    }
}

/// Merge `sources` (each what one `-c` loaded) into one. `lists` names the top-level lists
/// whose entries are matched by name. One source is returned as it is, with no layout.
pub fn merge(mut sources: Vec<Loaded>, lists: &[&str]) -> (Loaded, Option<Layout>) {
    if sources.len() < 2 {
        return (sources.pop().unwrap_or_default(), None);
    }
    let mut layout = Layout::default();
    let mut next = 0;
    for file in sources.iter_mut().flat_map(|s| s.files.iter_mut()) {
        layout
            .files
            .push((file.path.clone(), next, file.bytes.len()));
        if let Some(tree) = file.tree.as_mut() {
            shift(tree, next);
        }
        // One byte apart, so an offset at a file's very end is not the next file's start.
        next += file.bytes.len() + 1;
    }
    let mut rest = sources.split_off(1);
    let mut merged = sources.pop().unwrap_or_default();
    for source in rest.drain(..) {
        merged.diagnostics.extend(source.diagnostics);
        let mut seen_blocks = BTreeSet::new();
        let mut seen_names = BTreeSet::new();
        for mut file in source.files {
            if let Some(tree) = file.tree.take() {
                file.tree = Some(overlay_file(
                    tree,
                    &mut merged.files,
                    lists,
                    &mut seen_blocks,
                    &mut seen_names,
                ));
            }
            merged.files.push(file);
        }
    }
    (merged, Some(layout))
}

/// Apply one overlay file's tree to the files before it; return what stays in the file.
fn overlay_file(
    tree: Node,
    earlier: &mut [SourceFile],
    lists: &[&str],
    seen_blocks: &mut BTreeSet<String>,
    seen_names: &mut BTreeSet<(String, String)>,
) -> Node {
    let Value::Map(entries) = tree.value else {
        return tree;
    };
    let mut kept: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        // A second declaration in the same source is left in place: the one-file rule reports it.
        if BLOCKS.contains(&key.name.as_str()) && seen_blocks.insert(key.name.clone()) {
            match take_block(earlier, &key.name) {
                Some(before) if value.value == Value::Null => drop(before),
                Some(before) => kept.push((key, patch(before, value))),
                None if value.value == Value::Null => {}
                None => kept.push((key, value)),
            }
            continue;
        }
        let is_list = lists.contains(&key.name.as_str());
        match value.value {
            Value::Seq(items) if is_list => {
                let mut added = Vec::new();
                for item in items {
                    let name = item.get_str("name").map(str::to_string);
                    let target = name
                        .filter(|n| seen_names.insert((key.name.clone(), n.clone())))
                        .and_then(|n| find_entry(earlier, &key.name, &n));
                    match target {
                        Some(target) => {
                            let before = std::mem::replace(target, null_at(&item.span));
                            *target = patch(before, item);
                        }
                        None => added.push(item),
                    }
                }
                kept.push((
                    key,
                    Node {
                        value: Value::Seq(added),
                        span: value.span,
                    },
                ));
            }
            other => kept.push((
                key,
                Node {
                    value: other,
                    span: value.span,
                },
            )),
        }
    }
    Node {
        value: Value::Map(kept),
        span: tree.span,
    }
}

fn null_at(span: &Span) -> Node {
    Node {
        value: Value::Null,
        span: span.clone(),
    }
}

/// Remove a top-level block from the earlier files and return it.
fn take_block(files: &mut [SourceFile], name: &str) -> Option<Node> {
    for file in files.iter_mut().rev() {
        let Some(Node {
            value: Value::Map(entries),
            ..
        }) = file.tree.as_mut()
        else {
            continue;
        };
        if let Some(i) = entries.iter().position(|(k, _)| k.name == name) {
            return Some(entries.remove(i).1);
        }
    }
    None
}

/// The first entry of list `list` named `name` in the earlier files.
fn find_entry<'a>(files: &'a mut [SourceFile], list: &str, name: &str) -> Option<&'a mut Node> {
    files.iter_mut().find_map(|file| {
        let Value::Map(entries) = &mut file.tree.as_mut()?.value else {
            return None;
        };
        let (_, items) = entries.iter_mut().find(|(k, _)| k.name == list)?;
        let Value::Seq(items) = &mut items.value else {
            return None;
        };
        items
            .iter_mut()
            .find(|item| item.as_map().is_some() && item.get_str("name") == Some(name))
    })
}

/// `patch` over `target`: two mappings merge key by key (a `null` removes the key, a key
/// `target` lacks is added), anything else replaces. The merged mapping keeps `target`'s
/// place, so a message about the whole entry points where it was first declared.
fn patch(target: Node, patch: Node) -> Node {
    match (target.value, patch.value) {
        (Value::Map(mut entries), Value::Map(changes)) => {
            for (key, change) in changes {
                let at = entries.iter().position(|(k, _)| k.name == key.name);
                match (at, change.value == Value::Null) {
                    (Some(i), true) => {
                        entries.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => {
                        let (_, before) = entries.remove(i);
                        entries.insert(i, (key, self::patch(before, change)));
                    }
                    (None, false) => entries.push((key, change)),
                }
            }
            Node {
                value: Value::Map(entries),
                span: target.span,
            }
        }
        (_, value) => Node {
            value,
            span: patch.span,
        },
    }
}

/// Move every span of `node` (keys included) `by` bytes further.
fn shift(node: &mut Node, by: usize) {
    node.span.offset += by;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, by)),
        Value::Map(entries) => {
            for (key, value) in entries {
                key.span.offset += by;
                shift(value, by);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn source(files: &[(&str, &str)]) -> Loaded {
        let mut loaded = Loaded::default();
        for (name, text) in files {
            let (tree, diag) = super::super::parse_bytes(Path::new(name), text.as_bytes());
            assert!(diag.is_none(), "{diag:?}");
            loaded.files.push(SourceFile {
                path: PathBuf::from(name),
                bytes: text.as_bytes().to_vec(),
                tree,
            });
        }
        loaded
    }

    fn yaml(node: &Node) -> String {
        serde_json::to_string(&node.to_json()).unwrap()
    }

    #[test]
    fn entries_are_patched_added_and_fields_removed() {
        let base = source(&[(
            "base.yaml",
            "version: 1\nwebhooks:\n  - name: a\n    x: 1\n    y: {p: 1, q: 2}\n    z: 3\n",
        )]);
        let over = source(&[(
            "prod.yaml",
            "version: 1\nwebhooks:\n  - name: a\n    x: 9\n    y: {q: null, r: 4}\n    z: null\n  - name: b\n",
        )]);
        let (merged, layout) = merge(vec![base, over], &["webhooks"]);
        assert!(layout.is_some());
        let base_tree = merged.files[0].tree.as_ref().unwrap();
        assert_eq!(
            yaml(base_tree.get("webhooks").unwrap()),
            r#"[{"name":"a","x":9,"y":{"p":1,"r":4}}]"#
        );
        let prod_tree = merged.files[1].tree.as_ref().unwrap();
        assert_eq!(
            yaml(prod_tree.get("webhooks").unwrap()),
            r#"[{"name":"b"}]"#
        );
    }

    #[test]
    fn blocks_move_to_the_later_file_patched() {
        let base = source(&[(
            "base.yaml",
            "version: 1\nsafety: {min_managed: 1, max_destructive_percent: 10}\nenvironment: a\n",
        )]);
        let over = source(&[(
            "test.yaml",
            "version: 1\nsafety: {min_managed: null}\nenvironment: b\n",
        )]);
        let (merged, _) = merge(vec![base, over], &[]);
        let base_tree = merged.files[0].tree.as_ref().unwrap();
        assert!(base_tree.get("safety").is_none());
        assert!(base_tree.get("environment").is_none());
        let test_tree = merged.files[1].tree.as_ref().unwrap();
        assert_eq!(
            yaml(test_tree.get("safety").unwrap()),
            r#"{"max_destructive_percent":10}"#
        );
        assert_eq!(test_tree.get_str("environment"), Some("b"));
    }

    #[test]
    fn a_span_is_located_back_in_its_file() {
        let base = source(&[("base.yaml", "version: 1\nwebhooks:\n  - name: a\n")]);
        let over = source(&[(
            "prod.yaml",
            "version: 1\nwebhooks:\n  - name: a\n    x: 9\n",
        )]);
        let (merged, layout) = merge(vec![base, over], &["webhooks"]);
        let layout = layout.unwrap();
        let entry = &merged.files[0]
            .tree
            .as_ref()
            .unwrap()
            .get("webhooks")
            .unwrap()
            .as_seq()
            .unwrap()[0];
        let x = entry.get("x").unwrap();
        let mut diag = Diagnostic::error("t", "t").at("base.yaml", x.span.clone());
        layout.locate(&mut diag);
        assert_eq!(diag.file.as_deref(), Some(Path::new("prod.yaml")));
        let span = diag.span.unwrap();
        assert_eq!((span.line, span.column), (4, 8));
        assert_eq!(
            &"version: 1\nwebhooks:\n  - name: a\n    x: 9\n"[span.offset..span.offset + 1],
            "9"
        );
    }
}
