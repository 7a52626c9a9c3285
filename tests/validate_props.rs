//! Property tests: generated valid configurations always validate, and random edits to a
//! valid file never make validation panic.

use std::path::Path;

use proptest::prelude::*;
use wacfg::config::{Loaded, SourceFile, parse_bytes};
use wacfg::validate::validate_loaded;

fn validate_text(text: &str) -> wacfg::validate::Validation {
    let path = Path::new("generated.yaml");
    let (tree, diag) = parse_bytes(path, text.as_bytes());
    validate_loaded(Loaded {
        base_dir: ".".into(),
        files: vec![SourceFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
            tree,
        }],
        diagnostics: diag.into_iter().collect(),
    })
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_.-]{0,20}"
}

fn phone() -> impl Strategy<Value = String> {
    "[1-9][0-9]{7,14}"
}

/// Characters that matter to YAML, for edits that hit the parser where it hurts.
const YAML_CHARS: &[char] = &[':', '-', '\t', '[', '"', '&', '*', '!', '\n', ' ', '#', '{'];

const ACTIONS: &[&str] = &["analytics", "emailTargeting", "segmentMatch", "dataScience"];

#[derive(Debug, Clone)]
struct Channel {
    name: String,
    status: &'static str,
    actions: Vec<&'static str>,
    cred: usize,
    phone: String,
    prevent: bool,
}

fn channel(creds: usize) -> impl Strategy<Value = Channel> {
    (
        name(),
        prop::sample::select(vec!["active", "draft", "deactivated"]),
        prop::sample::subsequence(ACTIONS.to_vec(), 1..=3),
        0..creds,
        phone(),
        any::<bool>(),
    )
        .prop_map(|(name, status, actions, cred, phone, prevent)| Channel {
            name,
            status,
            actions,
            cred,
            phone,
            prevent,
        })
}

fn render(creds: &[(String, String)], channels: &[Channel]) -> String {
    let mut text = String::from("version: 1\ncredentials:\n");
    for (i, (name, phone)) in creds.iter().enumerate() {
        text.push_str(&format!(
            "  - name: c{i}_{name}\n    token: env:TOKEN_{i}\n    business_id: \"{}\"\n    whatsapp_business_account: \"{}\"\n    phone_number: \"{phone}\"\n",
            1000 + i,
            2000 + i
        ));
    }
    text.push_str(if channels.is_empty() {
        "channel_configurations: []\n"
    } else {
        "channel_configurations:\n"
    });
    for (i, ch) in channels.iter().enumerate() {
        let cred = format!("c{}_{}", ch.cred, creds[ch.cred].0);
        text.push_str(&format!(
            "  - name: ch{i}_{}\n    channel: whatsapp\n    marketing_actions: [{}]\n    credentials: {cred}\n    sender_number: \"{}\"\n    status: {}\n    prevent_destroy: {}\n",
            ch.name,
            ch.actions.join(", "),
            ch.phone,
            ch.status,
            ch.prevent
        ));
    }
    text
}

fn config() -> impl Strategy<Value = String> {
    prop::collection::vec((name(), phone()), 1..5).prop_flat_map(|creds| {
        let n = creds.len();
        prop::collection::vec(channel(n), 0..8).prop_map(move |channels| render(&creds, &channels))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_valid_configs_validate(text in config()) {
        let validation = validate_text(&text);
        let errors: Vec<_> = validation.diagnostics.iter().filter(|d| d.is_error()).collect();
        prop_assert!(errors.is_empty(), "{text}\n{errors:#?}");
        let desired = validation.desired.expect("valid");
        prop_assert_eq!(desired.channel_configurations.len(), text.matches("  - name: ch").count());
    }

    #[test]
    fn random_edits_never_panic(
        text in config(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<char>()), 1..6),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, op, c) in edits {
            if chars.is_empty() { break; }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                2 => chars[i] = c,
                _ => chars.insert(i, YAML_CHARS[c as usize % YAML_CHARS.len()]),
            }
        }
        let edited: String = chars.into_iter().collect();
        let validation = validate_text(&edited);
        // Either valid, or at least one error that says where it is.
        if validation.desired.is_none() {
            prop_assert!(validation.diagnostics.iter().any(|d| d.is_error()));
        }
    }
}

/// The fast path builds exactly the tree serde-saphyr builds, or steps aside.
fn assert_same_tree(text: &str) -> Result<(), TestCaseError> {
    if let Some(fast) = wacfg::config::parse_fast(text) {
        let strict = wacfg::config::parse_strict(text);
        prop_assert!(
            strict.is_ok(),
            "fast path accepted what the strict parser refuses:\n{text}"
        );
        prop_assert_eq!(fast, strict.unwrap(), "{}", text);
    }
    Ok(())
}

/// Every example and every file of the invalid corpus: (is an example, path, text).
fn examples_and_corpus() -> Vec<(bool, std::path::PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["examples", "examples/folder", "tests/fixtures/invalid"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
            if let Some(text) = is_yaml
                .then(|| std::fs::read_to_string(&path).ok())
                .flatten()
            {
                out.push((dir.starts_with("examples"), path, text));
            }
        }
    }
    assert!(out.len() > 30, "{} files", out.len());
    out
}

#[test]
fn fast_path_agrees_with_serde_saphyr_on_examples_and_corpus() {
    for (example, path, text) in examples_and_corpus() {
        if example {
            assert!(
                wacfg::config::parse_fast(&text).is_some(),
                "{} takes the fast path",
                path.display()
            );
        }
        assert_same_tree(&text).unwrap();
    }
    // Scalars whose type the fast path must get right or hand over.
    for scalar in [
        "yes",
        "NO",
        "1",
        "-7",
        "007",
        "1.5",
        "0x1F",
        ".inf",
        "~",
        "",
        "True",
        "+1",
        "-a",
        "1_000",
        "12e3",
        "9lives",
        "1st floor",
        "0xZZ",
        "-.5x",
        "+.inf",
        ".NaN",
        "0o17",
        "0b101",
        "1:30",
        "1e",
        "12:30:00",
        "2026-11-25",
        "-9lives",
        "1.2.3",
        "0x",
        "9_",
        "+9 9",
    ] {
        assert_same_tree(&format!("a: {scalar}\nb: [{scalar}]\n")).unwrap();
    }
    // Text that only starts like a number stays on the fast path.
    for text in ["a: 9lives\n", "a: 1st floor\n", "a: -9lives\n"] {
        assert!(wacfg::config::parse_fast(text).is_some(), "{text}");
    }
    // Merge keys (the first found by `cargo fuzz`): serde-saphyr merges, so the fast path
    // must step aside.
    for text in [
        "&a-namentia&a-namentials: <<: []\n",
        "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n",
        "<<: {b: 1}\n",
    ] {
        assert_same_tree(text).unwrap();
        assert_split_agrees(text).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fast_path_agrees_on_generated_and_edited_files(
        text in config(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..4),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, c) in edits {
            let i = at.index(chars.len());
            chars.insert(i, YAML_CHARS[c.index(YAML_CHARS.len())]);
        }
        assert_same_tree(&chars.into_iter().collect::<String>())?;
    }
}

/// The parallel path (a large file cut into pieces parsed at once) builds exactly the tree
/// serde-saphyr builds, or steps aside; for every number of pieces.
fn assert_split_agrees(text: &str) -> Result<(), TestCaseError> {
    for parts in 2..=4 {
        if let Some(split) = wacfg::config::parse_split(text, parts, 0) {
            let strict = wacfg::config::parse_strict(text);
            prop_assert!(
                strict.is_ok(),
                "the split path accepted what the strict parser refuses ({parts} parts):\n{text}"
            );
            prop_assert_eq!(split, strict.unwrap(), "{} parts:\n{}", parts, text);
        }
    }
    Ok(())
}

/// Moves the credentials after the channel configurations, so the split path also has to
/// join entries that come after the long sequence.
fn credentials_last(text: &str) -> String {
    let (head, rest) = text.split_at(text.find("credentials:\n").unwrap());
    let (creds, channels) = rest.split_at(rest.find("channel_configurations:").unwrap());
    format!("{head}{channels}{creds}")
}

/// Text that attacks the cut points: new item lines, quotes and block indicators.
const CUT_ATTACKS: &[&str] = &[
    ":\n",
    ": ~\n",
    "-\n",
    "|+\n\n",
    ">-\n",
    "\r",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "<<: ",
    "\n  - ",
    "\n  -",
    "\n- ",
    "\"",
    "'",
    "|\n",
    ">\n",
    "\n  ",
    "\n    ",
    "[",
    "]",
    "\n#",
    "\n",
    "\nx: 1\n",
    "\n  - name: dup\n",
    " # c",
    "\r\n",
    "\n---\n",
    "&a ",
    "*a",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn split_path_agrees_on_generated_and_edited_files(
        text in config(),
        last in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..4),
    ) {
        let text = if last { credentials_last(&text) } else { text };
        assert_split_agrees(&text)?;
        let mut edited = text.clone();
        for (at, piece) in edits {
            let boundaries: Vec<usize> = (0..=edited.len()).filter(|i| edited.is_char_boundary(*i)).collect();
            let i = boundaries[at.index(boundaries.len())];
            edited.insert_str(i, CUT_ATTACKS[piece.index(CUT_ATTACKS.len())]);
        }
        assert_split_agrees(&edited)?;
    }
}

#[test]
fn split_path_cuts_generated_files_and_keeps_every_span() {
    let creds = vec![("a".to_string(), "15550100001".to_string())];
    let channels: Vec<Channel> = (0..40)
        .map(|i| Channel {
            name: format!("n{i}"),
            status: "active",
            actions: vec!["analytics"],
            cred: 0,
            phone: "15550100001".into(),
            prevent: i % 2 == 0,
        })
        .collect();
    for text in [
        render(&creds, &channels),
        credentials_last(&render(&creds, &channels)),
    ] {
        for parts in 2..=4 {
            assert_eq!(wacfg::config::split_pieces(&text, parts), parts, "{text}");
            let split = wacfg::config::parse_split(&text, parts, 0).expect("the split path");
            assert_eq!(split, wacfg::config::parse_strict(&text).unwrap());
        }
    }
    // Shapes the split path must leave to the ordinary path.
    for text in [
        "a: 1\n---\nb:\n  - 1\n  - 2\n",
        "%YAML 1.2\n---\nb:\n  - 1\n  - 2\n",
        "b:\n  - 1\n - 2\n  - 3\n",
        "b:\n\t- 1\n  - 2\n",
        "b: x\n",
    ] {
        assert_eq!(wacfg::config::split_pieces(text, 2), 1, "{text}");
    }
    // A multi-line quoted scalar and a plain scalar across what looks like an item start.
    for text in [
        "b:\n  - \"one\n  - two\"\n  - three\n  - four\n",
        "b:\n  - 'one\n  - two'\n  - three\n  - four\n",
        "b:\n  - x: one\n    y: two\n  - [a,\n  - b]\n  - c\n",
        "b:\n  - one\n    two\n  - three\n  - four\nc: |\n  - five\n",
        "c: |\n  text\nb:\n  - 1\n  - 2\n  - 3\n",
        "b:\n- 1\n- 2\n- 3\nc: 4\n",
        "b:\n  - 1\n  - 2\n  - 3\nb: 4\n",
        // Empty values and block scalars at the end of a piece (the second bug `cargo fuzz`
        // found: an empty folded scalar before a top-level key).
        "b:\n  - x: 1\n    st:\n  - x: 2\n    st:\natus: 3\n",
        "b:\n  - x: 1\n    st: >\n  - x: 2\n  - x: 3\n  - x: 4\n",
        "b:\n  - x: 1\n  - x: 2\n    st: |\n  - x: 3\n  - x: 4\n",
        "b:\n  - x: 1\n    st: >\natus: deactivated\n",
        "b:\n  - x: 1\n  - x: 2\n  - x: 3\n    st: >\natus: deactivated\n",
        "b:\n  - x: 1\n  - x: 2\n    st: >\n  - x: 3\n    st: >\n  - x: 4\nc: 1\n",
        "b:\n  - 1\n  -\n  - 2\n  -\n",
        "b:\n  - x: |+\n      keep\n\n  - x: |+\n      keep\n\n\nc: 1\n",
        "a: 0\nb:\n  - 1\n  - 2\n  - 3\na: 4\n",
    ] {
        assert_split_agrees(text).unwrap();
    }
}

/// Values that exercise every JSON type and the schema's enums, patterns and bounds.
const ODD_VALUES: &[&str] = &[
    "1",
    "-3",
    "0",
    "1.5",
    "1.0",
    "1e3",
    ".nan",
    ".inf",
    "-.inf",
    "true",
    "false",
    "null",
    "~",
    "[]",
    "{}",
    "[1, 2]",
    "[a, a]",
    "{a: 1}",
    "x",
    "\"\"",
    "whatsapp",
    "sms",
    "draft",
    "active",
    "deactivated",
    "local",
    "postgres",
    "env:X",
    "file:x",
    "\"123456789\"",
    "2",
    "[emailTargeting]",
];

/// The schema gives the same yes/no on the tree as on its `serde_json` copy.
fn assert_schema_views_agree(text: &str) -> Result<(), TestCaseError> {
    if let (Some(tree), _) = parse_bytes(Path::new("t.yaml"), text.as_bytes()) {
        let (on_tree, on_copy) = wacfg::validate::is_valid_both_ways(&tree);
        prop_assert_eq!(on_tree, on_copy, "{}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // One change at a time mostly, so the change is the file's only problem and the yes/no
    // answer turns on it.
    #[test]
    fn schema_views_agree_on_generated_and_altered_files(
        text in config(),
        changes in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0u8..3), 1..3),
    ) {
        assert_schema_views_agree(&text)?;
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (line, value, how) in changes {
            let i = line.index(lines.len());
            let odd = ODD_VALUES[value.index(ODD_VALUES.len())];
            let indent = lines[i].len() - lines[i].trim_start_matches([' ', '-']).len();
            match how {
                // A new value for an existing key.
                0 => if let Some((key, _)) = lines[i].split_once(": ") {
                    lines[i] = format!("{key}: {odd}");
                },
                // An extra key, known or not.
                1 => lines.insert(i + 1, format!("{}{}: {odd}", " ".repeat(indent), ["status", "extra", "prevent_destroy", "description"][value.index(4)])),
                // A key dropped.
                _ => { lines.remove(i); }
            }
        }
        assert_schema_views_agree(&(lines.join("\n") + "\n"))?;
    }
}

#[test]
fn schema_views_agree_on_examples_and_corpus() {
    for (_, _, text) in examples_and_corpus() {
        assert_schema_views_agree(&text).unwrap();
    }
}

/// A scalar as a flow collection holds it: plain, double- or single-quoted; the quoted ones
/// carry the characters that end or open flow collections (`,`, `]`, `}`, `{`, `:`, `#`) and
/// escapes.
fn flow_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,8}",
        "[1-9][0-9]{0,3}",
        r#"[A-Za-z0-9 {}\[\],:#!&*'-]{0,16}"#.prop_map(|s| format!("\"{s}\"")),
        r#"[A-Za-z0-9 {}\[\],:#"-]{0,16}"#.prop_map(|s| format!("'{s}'")),
        r#"[a-z ]{0,6}"#.prop_map(|s| format!("\"{s}\\n\\t\\u00e9\\\"\"")),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("\"#1234\"".to_string()),
        Just("\"Hi {{1}}, order {{2}}.\"".to_string()),
    ]
}

/// A single-line flow collection of scalars: `[a, "b"]` or `{k: v, k2: [x]}` (keys distinct).
fn flow_collection() -> impl Strategy<Value = String> {
    let seq =
        prop::collection::vec(flow_scalar(), 0..4).prop_map(|v| format!("[{}]", v.join(", ")));
    let map = (
        prop::collection::vec(flow_scalar(), 0..4),
        prop::collection::vec(flow_scalar(), 0..3),
    )
        .prop_map(|(values, example)| {
            let mut entries: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("k{i}: {v}"))
                .collect();
            if !example.is_empty() {
                entries.push(format!("example: [{}]", example.join(", ")));
            }
            format!("{{{}}}", entries.join(", "))
        });
    prop_oneof![seq, map]
}

/// A `message_templates:` file whose languages are flow collections, the shape of the
/// templates benchmark and of examples/templates.yaml.
fn template_config() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::collection::vec((flow_collection(), flow_collection(), flow_collection()), 1..3),
        2..6,
    )
    .prop_map(|templates| {
        let mut text = String::from(
            "version: 1\nmessage_templates:\n",
        );
        for (i, languages) in templates.iter().enumerate() {
            text += &format!(
                "  - name: t{i}\n    credentials: acme\n    category: UTILITY\n    languages:\n"
            );
            for (j, (header, body, button)) in languages.iter().enumerate() {
                text += &format!(
                    "      l{j}:\n        header: {header}\n        body: {body}\n        footer: \"Reply STOP\"\n        buttons:\n          - {button}\n          - {{type: QUICK_REPLY, text: \"Track\"}}\n"
                );
            }
        }
        text
    })
}

/// Text that attacks flow collections: unbalanced brackets, a line break inside one,
/// quotes, commas, anchors, tags and keys without values.
const FLOW_ATTACKS: &[&str] = &[
    "[", "]", "{", "}", ",", ", ", ":", ": ", "\"", "'", "\n", "\n  - ", "&a ", "*a", "!t ", "? ",
    "#", " #", "<<: ", "-", "\\",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fast_and_split_paths_agree_on_flow_collections(
        text in template_config(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..3),
    ) {
        // The unedited file is plain: the fast path must take it, not step aside.
        prop_assert!(wacfg::config::parse_fast(&text).is_some(), "{}", text);
        assert_same_tree(&text)?;
        assert_split_agrees(&text)?;
        let mut edited = text.clone();
        for (at, piece) in edits {
            let boundaries: Vec<usize> = (0..=edited.len()).filter(|i| edited.is_char_boundary(*i)).collect();
            let i = boundaries[at.index(boundaries.len())];
            edited.insert_str(i, FLOW_ATTACKS[piece.index(FLOW_ATTACKS.len())]);
        }
        assert_same_tree(&edited)?;
        assert_split_agrees(&edited)?;
    }
}
