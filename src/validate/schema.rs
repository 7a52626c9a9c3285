//! The JSON Schema check: `schemas/wacfg.schema.json`, compiled once, run on each file's tree;
//! each schema error is mapped back to the exact node (unknown key -> the key, missing key ->
//! the parent, wrong type -> the value). Formats owned by code rules are left to them.

use std::path::Path;
use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};

use super::schema_tree::Tree;
use crate::config::Node;
use crate::diag::Diagnostic;
use crate::rules::did_you_mean;
use crate::rules::{at_node, field_label};

/// The configuration schema, as shipped.
pub const SCHEMA_TEXT: &str = include_str!("../../schemas/wacfg.schema.json");

static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(SCHEMA_TEXT).expect("schemas/wacfg.schema.json is valid JSON");
    jsonschema::draft202012::new(&schema).expect("schemas/wacfg.schema.json compiles")
});

/// The same schema over the tree itself, for the yes/no question asked of every file.
static TREE_VALIDATOR: LazyLock<Validator<Tree>> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(SCHEMA_TEXT).expect("schemas/wacfg.schema.json is valid JSON");
    jsonschema::options_for::<Tree>()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("schemas/wacfg.schema.json compiles")
});

/// Whether `tree` is valid against the schema, asked of the tree and of its `serde_json`
/// copy (the two must always agree; the property tests check it).
#[doc(hidden)]
pub fn is_valid_both_ways(tree: &Node) -> (bool, bool) {
    (
        TREE_VALIDATOR.is_valid(tree),
        VALIDATOR.is_valid(&tree.to_json()),
    )
}

/// Keys whose value format is checked by code rules with better messages (names, phone
/// numbers, secret references, references, draft/active, state backend).
const CODE_OWNED_FORMATS: &[&str] = &[
    "name",
    "token",
    "verify_token",
    "phone_number",
    "sender_number",
    "credentials",
    "url",
];
const DRAFT_OPTIONAL: &[&str] = &["marketing_actions", "credentials", "sender_number"];

/// Every schema problem of one file.
pub fn check(file: &Path, tree: &Node) -> Vec<Diagnostic> {
    // The common case is a valid file: the boolean check runs on the tree as it is, stops
    // early and collects nothing. Only a file with problems is copied for error collection.
    if TREE_VALIDATOR.is_valid(tree) {
        return Vec::new();
    }
    let json = tree.to_json();
    VALIDATOR
        .iter_errors(&json)
        .filter_map(|err| map_error(file, tree, &err))
        .flatten()
        .collect()
}

fn map_error(file: &Path, tree: &Node, err: &ValidationError<'_>) -> Option<Vec<Diagnostic>> {
    let pointer = err.instance_path().as_str().to_string();
    let node = tree.at_pointer(&pointer)?;
    let last = pointer.rsplit('/').next().unwrap_or("");
    let label = field_label(&pointer);
    let d = |code: &str, message: String, help: String| {
        vec![at_node(
            Diagnostic::error(code, message).with_help(help),
            file,
            node,
            &pointer,
        )]
    };
    Some(match err.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            unknown_keys(file, node, &pointer, unexpected)
        }
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            if is_code_owned_required(&pointer, key) {
                return None;
            }
            d(
                "wacfg::schema::missing_key",
                format!("{label} is missing the required key `{key}`"),
                format!("add `{key}: …` to this block"),
            )
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_word(&t.to_string()),
                TypeKind::Multiple(_) => "another type".to_string(),
            };
            d(
                "wacfg::schema::type",
                format!("{label} must be {expected}, found {}", node.type_name()),
                type_help(&expected, node),
            )
        }
        ValidationErrorKind::Enum { options } if last == "channel" => d(
            "wacfg::channel::unsupported",
            format!("channel `{}` is not supported", short(node)),
            format!("supported channels: {}", list(options)),
        ),
        ValidationErrorKind::Enum { options } => {
            let names: Vec<&str> = options
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let hint = did_you_mean(&short(node), names.iter().copied());
            d(
                "wacfg::schema::enum",
                format!(
                    "{label} must be one of {}, found `{}`",
                    list(options),
                    short(node)
                ),
                format!("{hint}use one of {}", list(options)),
            )
        }
        ValidationErrorKind::Constant { expected_value } => d(
            "wacfg::schema::const",
            format!("{label} must be {expected_value}"),
            format!("write `{last}: {expected_value}`"),
        ),
        ValidationErrorKind::Pattern { .. } if CODE_OWNED_FORMATS.contains(&last) => return None,
        ValidationErrorKind::Pattern { .. } => d(
            "wacfg::schema::pattern",
            format!("{label} has an invalid format"),
            pattern_help(last),
        ),
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => d(
            "wacfg::schema::range",
            format!("{label} is out of range"),
            format!("the limit is {limit}; see the schema for the allowed range"),
        ),
        ValidationErrorKind::MinLength { .. } => d(
            "wacfg::schema::empty",
            format!("{label} must not be empty"),
            "write a value, or remove the key".to_string(),
        ),
        // A webhook reply's length is a code rule that counts and names the category.
        ValidationErrorKind::MaxLength { .. } if last == "reply" => return None,
        ValidationErrorKind::MaxLength { limit } => d(
            "wacfg::schema::too_long",
            format!("{label} is longer than {limit} characters"),
            "shorten it".to_string(),
        ),
        // `not` only guards the state backend's keys; the state rule reports those.
        ValidationErrorKind::Not { .. } if pointer == "/state" => return None,
        _ => d(
            "wacfg::schema::invalid",
            format!("{label} is invalid: {}", err.masked()),
            "see schemas/wacfg.schema.json (`wacfg schema`)".to_string(),
        ),
    })
}

fn is_code_owned_required(pointer: &str, key: &str) -> bool {
    let is_channel =
        pointer.starts_with("/channel_configurations/") && pointer.matches('/').count() == 2;
    (is_channel && DRAFT_OPTIONAL.contains(&key))
        || (pointer == "/state" && matches!(key, "url" | "workspace"))
}

fn unknown_keys(file: &Path, node: &Node, pointer: &str, unexpected: &[String]) -> Vec<Diagnostic> {
    let known = allowed_keys(pointer);
    let where_ = field_label(pointer);
    unexpected
        .iter()
        .filter_map(|name| {
            let (key, _) = node.entry(name)?;
            let hint = did_you_mean(name, known.iter().copied());
            let diag = Diagnostic::error(
                "wacfg::schema::unknown_key",
                format!("unknown key `{name}` in {where_}"),
            )
            .with_help(if known.is_empty() {
                // A map keyed by pattern (template language codes, placeholder names).
                "the keys here follow a pattern: see this field's description in schemas/wacfg.schema.json (`wacfg schema`)".to_string()
            } else {
                format!("{hint}known keys: {}", known.join(", "))
            })
            .at(file, key.span.clone())
            .with_pointer(format!(
                "{pointer}/{}",
                name.replace('~', "~0").replace('/', "~1")
            ));
            Some(diag)
        })
        .collect()
}

static SCHEMA: LazyLock<serde_json::Value> = LazyLock::new(|| {
    serde_json::from_str(SCHEMA_TEXT).expect("schemas/wacfg.schema.json is valid JSON")
});

/// The keys allowed where an unknown key was found, for "did you mean": read from the JSON
/// Schema itself (in its order), so every kind's keys are known without a list here.
pub fn allowed_keys(pointer: &str) -> Vec<&'static str> {
    let root: &'static serde_json::Value = &SCHEMA;
    let resolve = |mut node: &'static serde_json::Value| {
        while let Some(target) = node.get("$ref").and_then(|r| r.as_str()) {
            match target
                .strip_prefix("#/")
                .map(|p| root.pointer(&format!("/{p}")))
            {
                Some(Some(next)) => node = next,
                _ => break,
            }
        }
        node
    };
    let mut node = resolve(root);
    for part in pointer.split('/').skip(1) {
        let next = if part.bytes().all(|b| b.is_ascii_digit()) {
            node.get("items")
        } else {
            node.get("properties").and_then(|p| p.get(part))
        };
        match next {
            Some(n) => node = resolve(n),
            None => return Vec::new(),
        }
    }
    node.get("properties")
        .and_then(|p| p.as_object())
        .map(|props| props.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn type_word(json_type: &str) -> String {
    match json_type {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "string" => "a string".to_string(),
        "integer" => "an integer".to_string(),
        "boolean" => "true or false".to_string(),
        other => format!("a {other}"),
    }
}

fn type_help(expected: &str, node: &Node) -> String {
    use crate::config::Value;
    match (&node.value, expected) {
        (Value::Int(i), "a string") => {
            format!("quote it: \"{i}\" (IDs and phone numbers are strings)")
        }
        (Value::String(s), "true or false") if is_yaml11_bool(s) => {
            format!("`{s}` is a string in YAML 1.2: write true or false")
        }
        (Value::String(_), "a list") => "write a list: [a, b] or one `- item` per line".to_string(),
        _ => format!("write {expected} here"),
    }
}

fn is_yaml11_bool(s: &str) -> bool {
    matches!(
        s.to_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n" | "true" | "false"
    )
}

fn pattern_help(key: &str) -> String {
    match key {
        "business_id" | "whatsapp_business_account" => {
            "use the numeric ID, digits only, quoted".to_string()
        }
        "graph_url" => {
            "use an http:// or https:// URL, e.g. https://graph.facebook.com".to_string()
        }
        "api_version" => "use a Graph API version such as v23.0".to_string(),
        "workspace" => "start with a letter, then letters, digits, _ . -".to_string(),
        "from" | "to" => {
            "write a resource address: credentials.<name>, webhook.<name> or channel_configuration.<name>"
                .to_string()
        }
        _ => "start with a letter, then letters, digits, _ . - (see the schema)".to_string(),
    }
}

/// A scalar's text for messages, shortened.
fn short(node: &Node) -> String {
    let text = match &node.value {
        crate::config::Value::String(s) => s.clone(),
        _ => node.to_json().to_string(),
    };
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

fn list(options: &serde_json::Value) -> String {
    options
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::SCHEMA_TEXT;
    use crate::model::CORE_MARKETING_ACTIONS;

    /// Editors suggest a channel configuration's marketing actions from the schema's examples:
    /// they must be exactly the core actions the rules accept without a declaration.
    #[test]
    fn schema_suggests_exactly_the_core_marketing_actions() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
        let examples = &schema["$defs"]["channel_configuration"]["properties"]["marketing_actions"]
            ["items"]["examples"];
        let listed: Vec<&str> = examples
            .as_array()
            .expect("examples is a list")
            .iter()
            .map(|v| v.as_str().expect("each example is a string"))
            .collect();
        assert_eq!(listed, CORE_MARKETING_ACTIONS);
    }

    /// The file as written, before `${var.NAME}` is substituted, is what editors check: a
    /// variable wherever a pattern constrains a string must pass, and a value that is
    /// neither the pattern nor a variable must still fail.
    #[test]
    fn patterns_let_variables_through_and_nothing_else() {
        let credentials = |waba: &str, phone: &str| {
            serde_json::json!({
                "version": 1,
                "credentials": [{
                    "name": "acme_${var.region}",
                    "token": "env:WHATSAPP_TOKEN",
                    "business_id": "1234567890123456",
                    "whatsapp_business_account": waba,
                    "phone_number": phone,
                }],
            })
        };
        let valid = |doc: &serde_json::Value| super::VALIDATOR.is_valid(doc);
        assert!(valid(&credentials("${var.waba}", "${var.phone}")));
        assert!(valid(&credentials("102290129340398", "15550100001")));
        assert!(!valid(&credentials("12ab", "15550100001")));
        assert!(!valid(&credentials("${waba}", "15550100001")));
        assert!(!valid(&credentials("102290129340398", "+33 6")));
        // A secret may be a variable holding a reference (checked after substitution),
        // never a literal.
        let mut token = credentials("102290129340398", "15550100001");
        token["credentials"][0]["token"] = "${var.token_ref}".into();
        assert!(valid(&token));
        token["credentials"][0]["token"] = "EAAFAKE-not-a-reference".into();
        assert!(!valid(&token));
    }
}
