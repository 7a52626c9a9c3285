//! The module dependency table of ARCHITECTURE.md, checked: every `crate::<module>` a layer
//! names must be an arrow of this table, so the picture stays true. `render` also reads the
//! CLI's format enums and the apply report (both plain data), which the table records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LAYERS: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("diag", &[]),
    ("config", &["diag"]),
    ("rules", &["config", "diag", "model"]),
    ("remote", &["model"]),
    ("kinds", &["model", "diag", "config", "rules"]),
    ("validate", &["config", "diag", "model", "rules", "kinds"]),
    ("state", &["model", "kinds"]),
    ("plan", &["model", "diag", "kinds"]),
    ("apply", &["plan", "model", "remote", "state", "kinds"]),
    (
        "render",
        &["plan", "model", "diag", "state", "apply", "kinds", "cli"],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::<module>` names used in a layer's files (tests included: they must not reach
/// around the layering either, except through `#[cfg(test)]` fixtures of the same layers).
fn used_modules(layer: &str) -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(layer),
        &mut files,
    );
    let mut used = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != layer {
                used.entry(name)
                    .or_insert_with(|| file.display().to_string());
            }
        }
    }
    used
}

#[test]
fn every_layer_depends_only_on_the_layers_the_table_allows() {
    let mut violations = Vec::new();
    for (layer, allowed) in LAYERS {
        let allowed: BTreeSet<&str> = allowed.iter().copied().collect();
        for (module, file) in used_modules(layer) {
            if !allowed.contains(module.as_str()) {
                violations.push(format!("{layer} -> {module} (in {file})"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "arrows not in the table:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_sees_real_dependencies() {
    // Guards the test itself: if the scan found nothing, the check above would pass vacuously.
    assert!(used_modules("validate").contains_key("config"));
    assert!(used_modules("render").contains_key("plan"));
}
