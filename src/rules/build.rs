//! Small helpers that turn a validated entry into typed values: secret references resolved
//! against the configuration's directory, where an entry was declared, optional text.

use std::path::{Path, PathBuf};

use super::entry::Entry;
use crate::config::Value;
use crate::model::{SecretRef, SourceLocation};

/// A path from the file, relative to the configuration's directory unless absolute.
pub fn resolve(base_dir: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

/// `env:NAME` or `file:PATH` (already checked) as a reference.
pub fn secret_ref(value: &str, base_dir: &Path) -> SecretRef {
    match value.strip_prefix("file:") {
        Some(path) => SecretRef::File(resolve(base_dir, path)),
        None => SecretRef::Env(value.strip_prefix("env:").unwrap_or(value).to_string()),
    }
}

/// Where an entry was declared.
pub fn source_of(entry: &Entry<'_>) -> SourceLocation {
    SourceLocation {
        file: entry.file.to_path_buf(),
        line: entry.node.span.line,
        column: entry.node.span.column,
    }
}

/// A string field, when present.
pub fn text(entry: &Entry<'_>, key: &str) -> Option<String> {
    entry.node.get_str(key).map(str::to_string)
}

/// A boolean field that is `true`.
pub fn flag(entry: &Entry<'_>, key: &str) -> bool {
    matches!(
        entry.node.get(key).map(|n| &n.value),
        Some(Value::Bool(true))
    )
}

/// The strings of a sequence field, in order.
pub fn strings(entry: &Entry<'_>, key: &str) -> Vec<String> {
    entry
        .node
        .get(key)
        .and_then(crate::config::Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}
