//! Fuzz target: any bytes as a configuration file. Loading and validating must never panic,
//! and the fast paths must agree with the reference ones: the parallel and event-based
//! parsers build exactly the strict parser's tree (or step aside), and the schema gives the
//! same yes/no on the tree as on its `serde_json` copy.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use wacfg::config::{Loaded, SourceFile, parse_bytes, parse_fast, parse_split, parse_strict};
use wacfg::validate::{is_valid_both_ways, validate_loaded};

fuzz_target!(|bytes: &[u8]| {
    let path = Path::new("fuzz.yaml");
    let (tree, diag) = parse_bytes(path, bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let strict = parse_strict(text).ok();
        if let Some(fast) = parse_fast(text) {
            assert_eq!(Some(&fast), strict.as_ref(), "fast path disagrees");
        }
        for parts in 2..=3 {
            if let Some(split) = parse_split(text, parts, 0) {
                assert_eq!(
                    Some(&split),
                    strict.as_ref(),
                    "split path ({parts}) disagrees"
                );
            }
        }
    }
    if let Some(tree) = &tree {
        let (on_tree, on_copy) = is_valid_both_ways(tree);
        assert_eq!(on_tree, on_copy, "schema views disagree");
    }
    let validation = validate_loaded(Loaded {
        base_dir: ".".into(),
        files: vec![SourceFile {
            path: path.into(),
            bytes: bytes.to_vec(),
            tree,
        }],
        diagnostics: diag.into_iter().collect(),
    });
    // Invalid means at least one error that says so.
    if validation.desired.is_none() {
        assert!(validation.diagnostics.iter().any(|d| d.is_error()));
    }
});
