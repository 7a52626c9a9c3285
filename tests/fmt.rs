//! `wacfg fmt`: on every example and on generated layouts of them (other indentation, keys
//! shuffled, comments and blank lines added), formatting is idempotent, keeps every comment,
//! and the formatted file validates to the same model. As a binary: `--check` names the files
//! that would change and exits 1, a plain run rewrites them, a file it cannot format safely
//! is named with its line and left untouched.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use wacfg::fmt::format;
use wacfg::validate::validate_path;

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = vec![
        root.join("minimal.yaml"),
        root.join("full.yaml"),
        root.join("demo/wacfg.yaml"),
    ];
    for entry in std::fs::read_dir(root.join("folder")).unwrap() {
        files.push(entry.unwrap().path());
    }
    files.sort();
    files
}

/// The model a configuration validates to (`files` written into `dir`: one file, or a
/// folder's), without the digest of its bytes and the line each entry came from (which
/// formatting changes).
fn model_of(dir: &Path, files: &[(String, String)]) -> serde_json::Value {
    // The same directory each time: paths the model resolves (state, `file:` secrets) match.
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let path = if files.len() == 1 {
        dir.join(&files[0].0)
    } else {
        dir.to_path_buf()
    };
    let validation = validate_path(&path);
    let mut desired: wacfg::kinds::Desired = validation.desired.unwrap_or_else(|| {
        panic!(
            "{} is invalid: {:#?}",
            path.display(),
            validation.diagnostics
        )
    });
    desired.config_digest.clear();
    let mut json = serde_json::to_value(&desired).unwrap();
    strip_sources(&mut json);
    // The local state file sits beside the configuration, in each test's own directory.
    if let Some(state) = json.get_mut("state").and_then(|s| s.as_object_mut()) {
        state.remove("path");
    }
    json
}

/// The configuration `path` belongs to: itself, or with the other files of its folder.
fn configuration_of(path: &Path, replaced: &str) -> Vec<(String, String)> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    if path.parent().unwrap().ends_with("folder") {
        let mut files: Vec<(String, String)> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                let text = if n == name {
                    replaced.to_string()
                } else {
                    std::fs::read_to_string(&p).unwrap()
                };
                (n, text)
            })
            .collect();
        files.sort();
        files
    } else {
        vec![(name, replaced.to_string())]
    }
}

fn strip_sources(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("source");
            map.values_mut().for_each(strip_sources);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_sources),
        _ => {}
    }
}

fn comments(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| {
            l.find(" #").map(|i| l[i + 1..].to_string()).or_else(|| {
                l.trim_start()
                    .starts_with('#')
                    .then(|| l.trim_start().to_string())
            })
        })
        .collect();
    out.sort();
    out
}

fn check(original: &str) -> String {
    let once = format(original).unwrap_or_else(|e| panic!("{e:?}\n{original}"));
    assert_eq!(format(&once).unwrap(), once, "not idempotent:\n{original}");
    assert_eq!(
        comments(&once),
        comments(original),
        "comments lost:\n{once}"
    );
    assert!(
        once.lines()
            .all(|l| (l.len() - l.trim_start().len()) % 2 == 0),
        "odd indentation:\n{once}"
    );
    once
}

/// Examples that are not whole configurations on their own (the environment overlays, the
/// templates file users add with a second `-c`): checked for layout, not re-laid out.
fn partial_examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = vec![root.join("templates.yaml")];
    for entry in std::fs::read_dir(root.join("environments")).unwrap() {
        files.push(entry.unwrap().path());
    }
    files.sort();
    files
}

#[test]
fn examples_are_already_canonical_and_stay_so() {
    // The examples are what users copy: they are written in the canonical layout.
    let all: Vec<PathBuf> = examples().into_iter().chain(partial_examples()).collect();
    assert!(
        all.iter()
            .any(|p| p.ends_with("environments/production.yaml"))
    );
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(check(&text), text, "{} is not formatted", path.display());
    }
}

/// A file in another layout: `indent` spaces per level, each mapping's keys rotated by
/// `rotate`, a comment and a blank line added before some entries.
fn relayout(text: &str, indent: usize, rotate: usize, noise: &[bool]) -> String {
    let canonical = format(text).unwrap();
    // Parse with our own eyes: re-indent, then shuffle top-level blocks.
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut head: Vec<String> = Vec::new();
    for line in canonical.lines() {
        let depth = (line.len() - line.trim_start().len()) / 2;
        let body = line.trim_start();
        // A `- ` item's own entries sit one level deeper than the dash: pad after the dash
        // so the item's first entry stays aligned with the rest.
        let body = match body.strip_prefix("- ") {
            Some(rest) => format!("-{}{rest}", " ".repeat(indent - 1)),
            None => body.to_string(),
        };
        let spaced = format!("{}{body}", " ".repeat(depth * indent));
        if depth == 0 && !body.starts_with('#') && !body.is_empty() {
            blocks.push(vec![spaced]);
        } else if let Some(last) = blocks.last_mut() {
            last.push(spaced);
        } else {
            head.push(spaced);
        }
    }
    if !blocks.is_empty() {
        let n = rotate % blocks.len();
        blocks.rotate_left(n);
    }
    let mut out = head.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    for (i, block) in blocks.iter().enumerate() {
        if noise.get(i).copied().unwrap_or(false) {
            out.push_str(&format!("\n# note {i}\n"));
        }
        for line in block {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_layout_formats_idempotently_to_the_same_model(
        which in 0usize..8,
        indent in prop::sample::select(vec![2usize, 4]),
        rotate in 0usize..8,
        noise in prop::collection::vec(any::<bool>(), 8),
    ) {
        let files = examples();
        let path = &files[which % files.len()];
        let text = std::fs::read_to_string(path).unwrap();
        let messy = relayout(&text, indent, rotate, &noise);
        let formatted = check(&messy);
        let dir = tempfile::tempdir().unwrap();
        prop_assert_eq!(
            model_of(&dir.path().join("c"), &configuration_of(path, &messy)),
            model_of(&dir.path().join("c"), &configuration_of(path, &formatted))
        );
    }
}

#[test]
fn ids_written_as_numbers_become_strings_of_the_same_model() {
    let messy = "\
version: 1
credentials:
    - phone_number: 15550100001
      name: acme_fr
      token: env:T
      business_id: 1234567890123456
      whatsapp_business_account: 102290129340398
";
    let formatted = check(messy);
    assert!(
        formatted.contains("business_id: \"1234567890123456\""),
        "{formatted}"
    );
    let dir = tempfile::tempdir().unwrap();
    let quoted = messy
        .replace("15550100001", "\"15550100001\"")
        .replace("1234567890123456", "\"1234567890123456\"")
        .replace("102290129340398", "\"102290129340398\"");
    let one = |text: &str| vec![("wacfg.yaml".to_string(), text.to_string())];
    assert_eq!(
        model_of(&dir.path().join("c"), &one(&quoted)),
        model_of(&dir.path().join("c"), &one(&formatted))
    );
}

fn wacfg(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("wacfg runs")
}

#[test]
fn check_names_the_files_that_would_change_and_a_run_rewrites_them() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::create_dir(&conf).unwrap();
    let good = "version: 1\n";
    let messy = "state:\n    backend: local # here\nversion: 1\n";
    std::fs::write(conf.join("a.yaml"), good).unwrap();
    std::fs::write(conf.join("b.yml"), messy).unwrap();
    let out = wacfg(dir.path(), &["fmt", "--check", "-c", "conf"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "conf/b.yml\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 file would change"));
    assert_eq!(std::fs::read_to_string(conf.join("b.yml")).unwrap(), messy);

    let out = wacfg(dir.path(), &["fmt", "-c", "conf"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(conf.join("b.yml")).unwrap(),
        "version: 1\nstate:\n  backend: local # here\n"
    );
    assert_eq!(std::fs::read_to_string(conf.join("a.yaml")).unwrap(), good);
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(&conf).unwrap().count(), 2);
    let out = wacfg(dir.path(), &["fmt", "--check", "-c", "conf"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn a_file_it_cannot_format_safely_is_named_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let text = "version: 1\nstate: &s\n  backend: local\n";
    std::fs::write(dir.path().join("wacfg.yaml"), text).unwrap();
    let out = wacfg(dir.path(), &["fmt"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: wacfg.yaml:2: cannot format this file safely: anchors and aliases"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("wacfg.yaml")).unwrap(),
        text
    );
}
