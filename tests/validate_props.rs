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
