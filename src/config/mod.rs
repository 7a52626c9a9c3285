//! Loading configuration files: YAML to a tree in which every node and key keeps its span.
//! No meaning yet: that is `validate/`. Owns the parser's safety limits (16 MiB, UTF-8 only,
//! strict booleans, duplicate keys, alias budget, no custom tags), the overlay of several
//! `-c` sources (`overlay.rs`) and `${var.NAME}` variables (`vars.rs`).

mod cause;
mod fast;
mod load;
mod node;
pub mod overlay;
mod plain;
mod split;
pub mod vars;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use fast::parse as parse_fast;
pub use load::{Loaded, MAX_FILE_BYTES, SourceFile, load_path, parse_bytes, parse_strict};
pub use node::{Key, Node, Value};
pub use overlay::Layout;
pub use split::{PARALLEL_MIN_BYTES, parse_in as parse_split, pieces as split_pieces};
pub use vars::{OperatorVars, VarOrigin, VarValue};

/// Re-read files as text for rendering snippets (lossy: a non-UTF-8 file still shows).
pub fn read_sources(files: &[PathBuf]) -> BTreeMap<PathBuf, String> {
    files
        .iter()
        .filter_map(|p| {
            let bytes = std::fs::read(p).ok()?;
            Some((p.clone(), String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect()
}
