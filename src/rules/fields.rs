//! Field rules the schema cannot say well: phone numbers (with the corrected value), secret
//! references (a literal is never echoed), the state backend.

use std::path::Path;

use super::entry::{Entry, at_node};
use crate::config::Node;
use crate::diag::Diagnostic;

/// Why a phone number is not 8–15 digits, with the corrected value when one exists.
pub fn check_phone(value: &str) -> Option<(&'static str, String)> {
    if value.len() >= 8 && value.len() <= 15 && value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let decorative = |c: char| matches!(c, '+' | ' ' | '-' | '(' | ')' | '.');
    if value.chars().all(|c| c.is_ascii_digit() || decorative(c)) {
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        if (8..=15).contains(&digits.len()) && digits != value {
            return Some(("wacfg::phone::format", digits));
        }
        return Some(("wacfg::phone::length", digits));
    }
    Some(("wacfg::phone::invalid", String::new()))
}

/// Phone-number rules on one field of an entry.
pub fn check_phone_field(entry: &Entry<'_>, key: &str, out: &mut Vec<Diagnostic>) {
    let Some(value) = entry.node.get_str(key) else {
        return;
    };
    let Some((code, digits)) = check_phone(value) else {
        return;
    };
    let (message, help) = match code {
        "wacfg::phone::format" => (
            format!(
                "{key} of {} must be digits only, without '+', spaces or dashes",
                entry.label()
            ),
            format!("write {key}: \"{digits}\""),
        ),
        "wacfg::phone::length" => (
            format!(
                "{key} of {} has {} digits; a phone number has 8 to 15",
                entry.label(),
                digits.len()
            ),
            "use the full international number without '+', e.g. \"15550100001\"".to_string(),
        ),
        _ => (
            format!("{key} of {} is not a phone number", entry.label()),
            "use digits only: country code and number, e.g. \"15550100001\"".to_string(),
        ),
    };
    out.push(entry.at_field(Diagnostic::error(code, message).with_help(help), key));
}

/// Why a secret reference is not `env:NAME` or `file:PATH`. The value is never quoted back.
pub fn check_secret(value: &str) -> Option<(&'static str, &'static str)> {
    if let Some(name) = value.strip_prefix("env:") {
        let mut chars = name.chars();
        let ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        return (!ok).then_some((
            "wacfg::secret::invalid_env",
            "`env:` must be followed by an environment variable name (letters, digits, `_`)",
        ));
    }
    if let Some(path) = value.strip_prefix("file:") {
        return path.trim().is_empty().then_some((
            "wacfg::secret::invalid_file",
            "`file:` must be followed by a path to the file holding the secret",
        ));
    }
    Some((
        "wacfg::secret::literal",
        "use env:NAME or file:PATH, never the secret itself",
    ))
}

fn secret_diag(what: &str, value: &str, example: &str) -> Option<Diagnostic> {
    let (code, help) = check_secret(value)?;
    let message = if code == "wacfg::secret::literal" {
        format!("{what} is a literal value; it must be a reference (env:NAME or file:PATH)")
    } else {
        format!("{what} is not a valid secret reference")
    };
    let help = if code == "wacfg::secret::literal" {
        format!(
            "{help}: e.g. `env:{example}`, then export {example}=… where plan and apply run (the value is not shown here)"
        )
    } else {
        help.to_string()
    };
    Some(Diagnostic::error(code, message).with_help(help))
}

/// A secret reference in field `key` of an entry; `what` names it in messages ("the token"),
/// `example` is the variable name the help suggests.
pub fn check_secret_field(
    entry: &Entry<'_>,
    key: &str,
    what: &str,
    example: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some(value) = entry.node.get_str(key) else {
        return;
    };
    if let Some(diag) = secret_diag(&format!("{what} of {}", entry.label()), value, example) {
        out.push(entry.at_field(diag, key));
    }
}

/// The state block: which keys go with which backend; a postgres URL is a secret reference.
pub fn check_state(file: &Path, state: &Node, out: &mut Vec<Diagnostic>) {
    let Some(backend) = state.get_str("backend") else {
        return;
    };
    let (allowed, required): (&[&str], &[&str]) = match backend {
        "local" => (&["backend", "path"], &[]),
        "postgres" => (&["backend", "url", "workspace"], &["url", "workspace"]),
        _ => return,
    };
    for (key, value) in state.as_map().unwrap_or_default() {
        if !allowed.contains(&key.name.as_str())
            && ["path", "url", "workspace"].contains(&key.name.as_str())
        {
            out.push(
                Diagnostic::error(
                    "wacfg::state::wrong_backend_key",
                    format!(
                        "`{}` does not apply to the {backend} state backend",
                        key.name
                    ),
                )
                .with_help(format!(
                    "the {backend} backend takes: {}",
                    allowed.join(", ")
                ))
                .at(file, key.span.clone())
                .with_pointer(format!("/state/{}", key.name)),
            );
        }
        let url = (key.name == "url" && backend == "postgres")
            .then(|| value.as_str())
            .flatten();
        if let Some(diag) =
            url.and_then(|v| secret_diag("the postgres state `url`", v, "WACFG_DATABASE_URL"))
        {
            out.push(at_node(diag, file, value, "/state/url"));
        }
    }
    for key in required {
        if state.get(key).is_none() {
            out.push(at_node(
                Diagnostic::error(
                    "wacfg::state::missing_key",
                    format!("the postgres state backend needs `{key}`"),
                )
                .with_help("e.g. state: { backend: postgres, url: env:WACFG_DATABASE_URL, workspace: production }"),
                file,
                state,
                "/state",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_get_corrected_values() {
        assert_eq!(check_phone("15550100001"), None);
        assert_eq!(
            check_phone("+1 555-010-0001"),
            Some(("wacfg::phone::format", "15550100001".into()))
        );
        assert_eq!(
            check_phone("+15550100001").unwrap().0,
            "wacfg::phone::format"
        );
        assert_eq!(check_phone("1234").unwrap().0, "wacfg::phone::length");
        assert_eq!(
            check_phone("1234567890123456").unwrap().0,
            "wacfg::phone::length"
        );
        assert_eq!(
            check_phone("555-CALL-NOW").unwrap().0,
            "wacfg::phone::invalid"
        );
    }

    #[test]
    fn secrets_accept_references_only() {
        assert_eq!(check_secret("env:WHATSAPP_TOKEN"), None);
        assert_eq!(check_secret("file:secrets/t.token"), None);
        assert_eq!(
            check_secret("test-token-acme").unwrap().0,
            "wacfg::secret::literal"
        );
        assert_eq!(
            check_secret("env:1BAD").unwrap().0,
            "wacfg::secret::invalid_env"
        );
        assert_eq!(
            check_secret("file:").unwrap().0,
            "wacfg::secret::invalid_file"
        );
    }
}
