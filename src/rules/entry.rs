//! Small helpers shared by the validation rules of every kind: placing a diagnostic on a node, naming a
//! place in messages, and walking the entries of every loaded file.

use std::path::Path;

use crate::config::{Node, SourceFile};
use crate::diag::Diagnostic;

/// Put a diagnostic on a node: file, span and JSON pointer.
pub fn at_node(diag: Diagnostic, file: &Path, node: &Node, pointer: &str) -> Diagnostic {
    diag.at(file, node.span.clone()).with_pointer(pointer)
}

/// A JSON pointer as people read it: `/credentials/0/name` -> `` `credentials[0].name` ``.
pub fn field_label(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the configuration".to_string();
    }
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        if part.chars().all(|c| c.is_ascii_digit()) && !out.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part.replace("~1", "/").replace("~0", "~"));
        }
    }
    format!("`{out}`")
}

/// One entry of a kind's top-level list (`credentials`, `webhooks`, …), wherever it was
/// declared.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub file: &'a Path,
    pub node: &'a Node,
    /// `/credentials/3`: the entry's pointer inside its file.
    pub index: usize,
    pub list: &'static str,
    /// How messages name the entry's kind: `channel configuration`.
    pub kind: &'static str,
}

impl<'a> Entry<'a> {
    pub fn pointer(&self) -> String {
        format!("/{}/{}", self.list, self.index)
    }

    pub fn field_pointer(&self, key: &str) -> String {
        format!("/{}/{}/{key}", self.list, self.index)
    }

    /// The entry's name when it is a string.
    pub fn name(&self) -> Option<&'a str> {
        self.node.get_str("name")
    }

    /// A diagnostic on `key`'s value, or on the entry when the key is absent.
    pub fn at_field(&self, diag: Diagnostic, key: &str) -> Diagnostic {
        match self.node.get(key) {
            Some(value) => at_node(diag, self.file, value, &self.field_pointer(key)),
            None => at_node(diag, self.file, self.node, &self.pointer()),
        }
    }

    /// How messages name this entry: `channel configuration `Marketing_FR``.
    pub fn label(&self) -> String {
        self.named().to_string()
    }

    /// The entry's label as something to format, written out only when a message is.
    pub fn named(&self) -> Label<'a> {
        Label {
            kind: self.kind,
            name: self.name(),
            index: self.index,
        }
    }
}

/// How messages name an entry (see [`Entry::label`]), without building the text first.
#[derive(Debug, Clone, Copy)]
pub struct Label<'a> {
    kind: &'static str,
    name: Option<&'a str>,
    index: usize,
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.kind;
        match self.name {
            Some(name) => write!(f, "{kind} `{name}`"),
            None => write!(f, "{kind} #{}", self.index + 1),
        }
    }
}

/// Every mapping entry of a top-level list, across files in load order; `kind` names the
/// entries' kind in messages.
pub fn entries<'a>(
    files: &'a [SourceFile],
    list: &'static str,
    kind: &'static str,
) -> Vec<Entry<'a>> {
    let mut out = Vec::new();
    for file in files {
        let Some(items) = file
            .tree
            .as_ref()
            .and_then(|t| t.get(list))
            .and_then(Node::as_seq)
        else {
            continue;
        };
        for (index, node) in items.iter().enumerate() {
            if node.as_map().is_some() {
                out.push(Entry {
                    file: &file.path,
                    node,
                    index,
                    list,
                    kind,
                });
            }
        }
    }
    out
}
