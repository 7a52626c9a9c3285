//! The module dependency table of `docs/architecture.md`, checked: every top-level module a
//! layer names must be an arrow of this table, so the picture stays true. `render` reads the
//! apply report (plain data) but not `cli`: it has its own output format enum, and `cli`
//! converts its flag into it.
//!
//! The scan reads text, not syntax trees: `crate::a` anywhere in a path, and every first
//! segment of a grouped `use crate::{a, b::{c, d}}`, however it is laid out over lines; and a
//! `super::super::a` chain that climbs back to the crate root from where it is written (the
//! file's place under `src/`, plus the inline `mod x { … }` blocks around it), so `super`
//! cannot reach around the table either. A path written in a comment or a string counts too,
//! which errs on the strict side; comments between the items of a group are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("diag", &[]),
    ("config", &["diag"]),
    ("rules", &["config", "diag", "model"]),
    ("remote", &["model"]),
    ("fmt", &["config"]),
    ("kinds", &["model", "diag", "config", "rules"]),
    ("validate", &["config", "diag", "model", "rules", "kinds"]),
    ("state", &["model", "kinds"]),
    ("plan", &["model", "diag", "kinds"]),
    ("apply", &["plan", "model", "remote", "state", "kinds"]),
    (
        "render",
        &["plan", "model", "diag", "state", "apply", "kinds"],
    ),
];

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `text` without its leading whitespace and comments (`// …` lines and `/* … */` blocks).
fn skip_trivia(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("//") {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return text;
        }
    }
}

/// The identifier at the start of `text`, after whitespace and comments (empty if none).
fn leading_ident(text: &str) -> &str {
    let text = skip_trivia(text);
    let end = text.find(|c| !is_ident_char(c)).unwrap_or(text.len());
    &text[..end]
}

/// The first segment of each item of a `{ … }` group; `text` starts just after the `{`.
/// Nested groups belong to their item (`b::{c, d}` gives `b`); `self` names the crate itself.
fn group_heads(text: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 1;
    let mut item_start = Some(0);
    for (i, c) in text.char_indices() {
        if let Some(start) = item_start.take() {
            heads.push(leading_ident(&text[start..]));
        }
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => break,
            '}' => depth -= 1,
            ',' if depth == 1 => item_start = Some(i + 1),
            _ => {}
        }
    }
    heads.retain(|h| !h.is_empty() && *h != "self");
    heads
}

/// The first segment of each path `text` starts with: one path, or each item of a group.
fn path_heads(text: &str) -> Vec<&str> {
    let text = skip_trivia(text);
    let heads = match text.strip_prefix('{') {
        Some(group) => group_heads(group),
        None => vec![leading_ident(text)],
    };
    heads.into_iter().filter(|h| !h.is_empty()).collect()
}

/// Every module a text at the crate root names through `crate::`: plain paths
/// (`crate::a::b`, in a `use` or anywhere else) and grouped imports (`use crate::{a, b::c}`,
/// nested or over several lines). `pub(crate)`, `$crate` in macros and identifiers merely
/// ending in `crate` are not paths into this crate's modules and are skipped.
fn crate_modules(text: &str) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| is_ident_char(c) || c == '$')
        {
            continue;
        }
        modules.extend(
            path_heads(&text[i + "crate::".len()..])
                .into_iter()
                .map(String::from),
        );
    }
    modules
}

/// The byte ranges of the inline `mod name { … }` blocks of a text, nested ones included
/// (braces counted; `mod name;` declares a file and is not one). A block whose braces do not
/// balance (a `{` in a string) runs to the end of the text.
fn inline_mods(text: &str) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    for (i, _) in text.match_indices("mod ") {
        if text[..i].chars().next_back().is_some_and(is_ident_char) {
            continue;
        }
        let after = &text[i + "mod ".len()..];
        let name = leading_ident(after);
        if name.is_empty() {
            continue;
        }
        let name_end = after.find(name).unwrap_or(0) + name.len();
        let tail = &after[name_end..];
        if !tail.trim_start().starts_with('{') {
            continue;
        }
        let open = text.len() - tail.len() + (tail.len() - tail.trim_start().len());
        let mut depth = 0usize;
        let mut end = text.len();
        for (j, c) in text[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        blocks.push(open..end);
    }
    blocks
}

/// Every top-level module a `super::…` chain names from a file `depth` modules below the
/// crate root (`src/render/mod.rs` is 1, `src/render/plan_json.rs` 2): a chain of as many
/// `super::` as the place it is written is deep (inline modules add one each) names the
/// crate's own modules. A shorter chain stays inside the file's own layer.
fn super_modules(text: &str, depth: usize) -> BTreeSet<String> {
    let blocks = inline_mods(text);
    let mut modules = BTreeSet::new();
    for (i, _) in text.match_indices("super::") {
        let before = &text[..i];
        if before.chars().next_back().is_some_and(is_ident_char) || before.ends_with("super::") {
            continue;
        }
        let mut rest = &text[i..];
        let mut climbs = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after;
        }
        let inline = blocks.iter().filter(|b| b.contains(&i)).count();
        if climbs == depth + inline {
            modules.extend(path_heads(rest).into_iter().map(String::from));
        }
    }
    modules
}

/// How many modules below the crate root a file under `src/` is (`mod.rs` is its folder).
fn module_depth(relative: &Path) -> usize {
    let parts = relative.components().count();
    match relative.file_name().and_then(|f| f.to_str()) {
        Some("mod.rs" | "lib.rs" | "main.rs") => parts - 1,
        _ => parts,
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::<module>` names used in a layer's files, each with the first file (in path
/// order) that uses it. Tests are included: they must not reach around the layering either,
/// except through `#[cfg(test)]` fixtures of the same layers.
fn used_modules(layer: &str) -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src").join(layer), &mut files);
    files.sort();
    let mut used = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let depth = module_depth(file.strip_prefix(root.join("src")).unwrap());
        let named = crate_modules(&text)
            .into_iter()
            .chain(super_modules(&text, depth));
        for module in named {
            used.entry(module).or_insert_with(|| shown.clone());
        }
    }
    used.remove(layer);
    used
}

/// The arrows a layer uses that its row of the table does not allow.
fn violations(layer: &str, allowed: &[&str], used: &BTreeMap<String, String>) -> Vec<String> {
    let allowed: BTreeSet<&str> = allowed.iter().copied().collect();
    used.iter()
        .filter(|(module, _)| !allowed.contains(module.as_str()))
        .map(|(module, file)| format!("{layer} -> {module} (in {file})"))
        .collect()
}

#[test]
fn every_layer_depends_only_on_the_layers_the_table_allows() {
    let found: Vec<String> = LAYERS
        .iter()
        .flat_map(|(layer, allowed)| violations(layer, allowed, &used_modules(layer)))
        .collect();
    assert!(
        found.is_empty(),
        "arrows not in the table:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_real_dependencies() {
    // Guards the test itself: if the scan found nothing, the check above would pass vacuously.
    assert!(used_modules("validate").contains_key("config"));
    assert!(used_modules("render").contains_key("plan"));
}

#[test]
fn the_scanner_reads_plain_paths() {
    let text =
        "use crate::a::B;\nfn f() -> crate::b::C { crate::c::d() }\nimpl X for crate::d {}\n";
    assert_eq!(crate_modules(text), names(&["a", "b", "c", "d"]));
}

#[test]
fn the_scanner_reads_grouped_use_forms() {
    let text = "\
use crate::{a, b::c};
use crate::{
    d,
    e::{f, g},
};
use crate::{h::{i::{j, k}}, l as m, self};
use crate::{ n::O };
use crate::{
    // a comment before an item
    o::P, /* and one between items */ q,
};
";
    assert_eq!(
        crate_modules(text),
        names(&["a", "b", "d", "e", "h", "l", "n", "o", "q"])
    );
}

#[test]
fn the_scanner_skips_what_is_not_a_path_into_the_crate() {
    let text = "pub(crate) fn f() {}\nmacro_rules! m { () => { $crate::x() } }\nmy_crate::y();\n";
    assert!(crate_modules(text).is_empty(), "{:?}", crate_modules(text));
}

#[test]
fn a_grouped_import_of_a_forbidden_layer_is_a_violation() {
    let used: BTreeMap<String, String> =
        crate_modules("use crate::{\n    cli::PlanFormat,\n    plan::Plan,\n};\n")
            .into_iter()
            .map(|m| (m, "src/render/example.rs".to_string()))
            .collect();
    let render = LAYERS.iter().find(|(l, _)| *l == "render").unwrap().1;
    assert_eq!(
        violations("render", render, &used),
        ["render -> cli (in src/render/example.rs)"]
    );
}

#[test]
fn the_scanner_follows_super_chains_back_to_the_crate_root() {
    // In `src/render/plan_json.rs` (depth 2): two `super::` reach the crate, one stays in render.
    let text = "use super::super::cli::PlanFormat;\nuse super::diagnostics;\n";
    assert_eq!(super_modules(text, 2), names(&["cli"]));
    // In `src/render/mod.rs` (depth 1), one is enough; a group counts each of its items.
    assert_eq!(
        super_modules("use super::{cli, plan::Plan};\n", 1),
        names(&["cli", "plan"])
    );
    // Inside inline modules each one adds a level; nested blocks count twice.
    let text = "\
use super::state;
mod tests {
    use super::super::state;
    use super::super::super::{cli, command};
    mod deeper {
        fn f() { super::super::super::super::config::x(); }
    }
}
fn g() { super::super::plan::run(); }
mod unbalanced {
    const OPEN: &str = \"{\";
    use super::super::super::apply;
}
";
    assert_eq!(
        super_modules(text, 2),
        names(&["apply", "cli", "command", "config", "plan"])
    );
    assert_eq!(
        module_depth(Path::new("render/plan_json.rs")),
        2,
        "a file is its own module"
    );
    assert_eq!(module_depth(Path::new("render/mod.rs")), 1);
    assert_eq!(module_depth(Path::new("lib.rs")), 0);
}

#[test]
fn a_super_path_to_a_forbidden_layer_is_a_violation() {
    let used: BTreeMap<String, String> = super_modules("use super::super::cli::PlanFormat;\n", 2)
        .into_iter()
        .map(|m| (m, "src/render/example.rs".to_string()))
        .collect();
    let render = LAYERS.iter().find(|(l, _)| *l == "render").unwrap().1;
    assert_eq!(
        violations("render", render, &used),
        ["render -> cli (in src/render/example.rs)"]
    );
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}
