//! Template entries of a valid configuration as `DesiredTemplate`.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{
    Body, Button, ButtonType, Category, DesiredTemplate, Examples, Header, HeaderFormat, Language,
    ParameterFormat, SupportedApp,
};
use crate::config::{Node, SourceFile, Value};
use crate::rules::{flag, resolve, source_of, text};

pub fn build(files: &[SourceFile], base_dir: &Path) -> BTreeMap<String, DesiredTemplate> {
    super::rules::entries_of(files)
        .iter()
        .map(|entry| DesiredTemplate {
            name: text(entry, "name").unwrap_or_default(),
            credentials: text(entry, "credentials").unwrap_or_default(),
            category: entry
                .node
                .get_str("category")
                .and_then(Category::parse)
                .unwrap_or_default(),
            parameter_format: match entry.node.get_str("parameter_format") {
                Some("named") => ParameterFormat::Named,
                _ => ParameterFormat::Positional,
            },
            allow_category_change: flag(entry, "allow_category_change"),
            prevent_destroy: flag(entry, "prevent_destroy"),
            message_send_ttl_seconds: entry
                .node
                .get("message_send_ttl_seconds")
                .and_then(int)
                .and_then(|n| u32::try_from(n).ok()),
            languages: entry
                .node
                .get("languages")
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .map(|(code, node)| (code.name.clone(), language(node, base_dir)))
                .collect(),
            source: source_of(entry),
        })
        .map(|t| (t.name.clone(), t))
        .collect()
}

fn int(node: &Node) -> Option<i64> {
    match node.value {
        Value::Int(i) => Some(i),
        _ => None,
    }
}

fn string(node: &Node, key: &str) -> Option<String> {
    node.get_str(key).map(str::to_string)
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

fn examples(node: Option<&Node>) -> Examples {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => Examples::Named(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.name.clone(), v.as_str()?.to_string())))
                .collect(),
        ),
        _ => Examples::List(strings(node)),
    }
}

pub fn language(node: &Node, base_dir: &Path) -> Language {
    let header = node.get("header").map(|h| Header {
        format: h
            .get_str("format")
            .and_then(HeaderFormat::parse)
            .unwrap_or(HeaderFormat::Text),
        text: string(h, "text"),
        example: examples(h.get("example")),
        file: h.get_str("file").map(|f| resolve(base_dir, f)),
        file_sha256: None,
    });
    let body = node
        .get("body")
        .map(|b| Body {
            text: string(b, "text"),
            example: examples(b.get("example")),
            add_security_recommendation: matches!(
                b.get("add_security_recommendation").map(|n| &n.value),
                Some(Value::Bool(true))
            ),
        })
        .unwrap_or_default();
    let buttons = node
        .get("buttons")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|b| {
            Some(Button {
                kind: b.get_str("type").and_then(ButtonType::parse)?,
                text: string(b, "text"),
                url: string(b, "url"),
                phone_number: string(b, "phone_number"),
                example: match b.get("example").map(|n| &n.value) {
                    Some(Value::String(s)) => vec![s.clone()],
                    _ => strings(b.get("example")),
                },
                otp_type: string(b, "otp_type"),
                supported_apps: b
                    .get("supported_apps")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .map(|app| SupportedApp {
                        package_name: string(app, "package_name").unwrap_or_default(),
                        signature_hash: string(app, "signature_hash").unwrap_or_default(),
                    })
                    .collect(),
            })
        })
        .collect();
    Language {
        header,
        body,
        footer: string(node, "footer"),
        code_expiration_minutes: node
            .get("code_expiration_minutes")
            .and_then(int)
            .and_then(|n| u32::try_from(n).ok()),
        buttons,
    }
}
