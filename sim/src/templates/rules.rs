//! Meta's synchronous checks on a template's content, as the create and edit routes apply
//! them, each with the error subcode Meta answers (sim/README.md lists them):
//! - 2388040: a field longer than Meta allows (body 1,024; header text and footer 60);
//! - 2388299: a placeholder at the very start or end of the body;
//! - 2388293: too many placeholders for the body's length: fewer than 2 words of text per
//!   placeholder (each occurrence counted), plus one. Meta publishes no ratio; this is the one
//!   vendors report from Meta's answers, and wacfg's validate applies the same rule;
//! - 2388273: a media header (IMAGE, VIDEO, DOCUMENT, GIF) without `example.header_handle`.
//!
//! Malformed requests (no BODY, unknown category, bad name) are plain code 100.

use serde_json::Value;

use crate::errors::GraphError;
use crate::templates::model::component_text;

pub const CATEGORIES: &[&str] = &["MARKETING", "UTILITY", "AUTHENTICATION"];
pub const BODY_MAX: usize = 1024;
pub const HEADER_TEXT_MAX: usize = 60;
pub const FOOTER_MAX: usize = 60;
pub const NAME_MAX: usize = 512;

/// Meta's name rule: lowercase letters, digits and `_`, at most 512 characters.
pub fn check_name(name: &str) -> Result<(), GraphError> {
    let ok = !name.is_empty()
        && name.len() <= NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(GraphError::bad_param(format!(
            "Param name must be at most {NAME_MAX} characters of lowercase letters, digits and underscores, got {name:?}"
        )))
    }
}

pub fn check_category(category: &str) -> Result<(), GraphError> {
    if CATEGORIES.contains(&category) {
        Ok(())
    } else {
        Err(GraphError::bad_param(format!(
            "Param category must be one of {{{}}}, got {category:?}",
            CATEGORIES.join(", ")
        )))
    }
}

/// The `message_send_ttl_seconds` Meta accepts per category, inclusive (Meta's "Configure
/// message time-to-live" page): AUTHENTICATION 30 s to 15 min, UTILITY 30 s to 12 h,
/// MARKETING 12 h to 30 days.
pub fn ttl_range(category: &str) -> (i64, i64) {
    match category {
        "AUTHENTICATION" => (30, 900),
        "UTILITY" => (30, 43_200),
        _ => (43_200, 2_592_000),
    }
}

/// A TTL outside the category's range is a plain code 100.
pub fn check_ttl(category: &str, ttl: Option<i64>) -> Result<(), GraphError> {
    let Some(ttl) = ttl else { return Ok(()) };
    let (min, max) = ttl_range(category);
    if (min..=max).contains(&ttl) {
        Ok(())
    } else {
        Err(GraphError::bad_param(format!(
            "Param message_send_ttl_seconds must be between {min} and {max} for a {category} template, got {ttl}"
        )))
    }
}

/// Checks a components array as Meta does before accepting it for review.
pub fn check_components(components: &[Value]) -> Result<(), GraphError> {
    for c in components {
        if !c.get("type").is_some_and(Value::is_string) {
            return Err(GraphError::bad_param(
                "Param components[] must be objects with a type (HEADER, BODY, FOOTER, BUTTONS)",
            ));
        }
    }
    if !components.iter().any(|c| is_type(c, "BODY")) {
        return Err(GraphError::bad_param(
            "Param components must contain a component of type BODY",
        ));
    }
    let body = component_text(components, "BODY");
    too_long("body", body, BODY_MAX)?;
    too_long("footer", component_text(components, "FOOTER"), FOOTER_MAX)?;
    if let Some(h) = components.iter().find(|c| is_type(c, "HEADER")) {
        check_header(h)?;
    }
    check_otp_apps(components)?;
    check_placeholders(body)
}

/// A ONE_TAP or ZERO_TAP OTP button names the Android apps it fills the code into:
/// `supported_apps: [{package_name, signature_hash}]`, or the older `package_name` and
/// `signature_hash` on the button itself (the shape of the examples in Meta's OpenAPI
/// document). Without them, code 100.
fn check_otp_apps(components: &[Value]) -> Result<(), GraphError> {
    let filled = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let app = |v: &Value| filled(v, "package_name") && filled(v, "signature_hash");
    for c in components.iter().filter(|c| is_type(c, "BUTTONS")) {
        for b in c
            .get("buttons")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let otp_type = b
                .get("otp_type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !is_type(b, "OTP")
                || !["ONE_TAP", "ZERO_TAP"].contains(&otp_type.to_ascii_uppercase().as_str())
            {
                continue;
            }
            let apps = b
                .get("supported_apps")
                .and_then(Value::as_array)
                .is_some_and(|apps| !apps.is_empty() && apps.iter().all(app));
            if !apps && !app(b) {
                return Err(GraphError::bad_param(format!(
                    "Param supported_apps is required for a {otp_type} OTP button: [{{package_name, signature_hash}}]"
                )));
            }
        }
    }
    Ok(())
}

fn is_type(c: &Value, kind: &str) -> bool {
    c.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(kind))
}

fn too_long(what: &str, text: &str, max: usize) -> Result<(), GraphError> {
    let n = text.chars().count();
    if n <= max {
        return Ok(());
    }
    Err(GraphError::template(
        2388040,
        "Message Template Field Too Long",
        format!("The {what} has {n} characters; the maximum is {max}."),
    ))
}

fn check_header(h: &Value) -> Result<(), GraphError> {
    let format = h
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("TEXT")
        .to_ascii_uppercase();
    match format.as_str() {
        "TEXT" => too_long(
            "header",
            h.get("text").and_then(Value::as_str).unwrap_or(""),
            HEADER_TEXT_MAX,
        ),
        "IMAGE" | "VIDEO" | "DOCUMENT" | "GIF" => {
            let handle = h
                .pointer("/example/header_handle")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            if handle {
                Ok(())
            } else {
                Err(GraphError::template(
                    2388273,
                    "Media Header Sample Missing",
                    format!(
                        "A {format} header needs a sample: example.header_handle with a handle from the resumable upload API."
                    ),
                ))
            }
        }
        _ => Ok(()),
    }
}

/// The placeholders of a text (`{{1}}`, `{{name}}`), trimmed, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

fn check_placeholders(body: &str) -> Result<(), GraphError> {
    let count = placeholders(body).len();
    if count == 0 {
        return Ok(());
    }
    let t = body.trim();
    let starts = t.starts_with("{{");
    let ends = t.ends_with("}}");
    if starts || ends {
        return Err(GraphError::template(
            2388299,
            "Variables Can't Be at the Start or End of the Template",
            "Variables can't be at the start or end of the template body. Add text before the first variable and after the last one.",
        ));
    }
    let words = words_outside_placeholders(body);
    if words < 2 * count + 1 {
        return Err(GraphError::template(
            2388293,
            "Too Many Variables for Message Length",
            format!(
                "The body has {count} variables and {words} words of text; use at least {} words or fewer variables.",
                2 * count + 1
            ),
        ));
    }
    Ok(())
}

/// Words of the body once placeholders are removed (a word has a letter or digit).
fn words_outside_placeholders(body: &str) -> usize {
    let mut plain = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        plain.push_str(&rest[..start]);
        plain.push(' ');
        match rest[start + 2..].find("}}") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => {
                rest = "";
                break;
            }
        }
    }
    plain.push_str(rest);
    plain
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(text: &str) -> Vec<Value> {
        vec![json!({"type": "BODY", "text": text})]
    }

    fn subcode(r: Result<(), GraphError>) -> Option<u32> {
        r.err().and_then(|e| e.subcode)
    }

    #[test]
    fn placeholders_at_the_edges_are_2388299() {
        assert_eq!(
            subcode(check_components(&body("{{1}} hello there friend"))),
            Some(2388299)
        );
        assert_eq!(
            subcode(check_components(&body("hello there friend {{1}}"))),
            Some(2388299)
        );
        assert!(check_components(&body("Hi {{1}}, your order ships today.")).is_ok());
    }

    #[test]
    fn too_many_placeholders_for_the_words_is_2388293() {
        assert_eq!(
            subcode(check_components(&body("Hi {{1}} {{2}} {{3}} ok"))),
            Some(2388293)
        );
        assert!(check_components(&body("Hi {{1}}, your order {{2}} ships today.")).is_ok());
    }

    #[test]
    fn lengths_and_media_samples() {
        let long = "a ".repeat(600);
        assert_eq!(subcode(check_components(&body(&long))), Some(2388040));
        let c = vec![
            json!({"type": "HEADER", "format": "IMAGE"}),
            json!({"type": "BODY", "text": "hello"}),
        ];
        assert_eq!(subcode(check_components(&c)), Some(2388273));
        let c = vec![
            json!({"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::x"]}}),
            json!({"type": "BODY", "text": "hello"}),
        ];
        assert!(check_components(&c).is_ok());
        assert_eq!(check_components(&[]).unwrap_err().code, 100);
    }

    #[test]
    fn one_tap_and_zero_tap_need_their_apps() {
        let otp = |button: Value| {
            vec![
                json!({"type": "BODY", "add_security_recommendation": true}),
                json!({"type": "BUTTONS", "buttons": [button]}),
            ]
        };
        let refused = check_components(&otp(json!({"type": "OTP", "otp_type": "ONE_TAP"})));
        assert_eq!(refused.unwrap_err().code, 100);
        let refused = check_components(&otp(
            json!({"type": "OTP", "otp_type": "ZERO_TAP", "supported_apps": []}),
        ));
        assert_eq!(refused.unwrap_err().code, 100);
        assert!(
            check_components(&otp(json!({"type": "OTP", "otp_type": "ONE_TAP",
                "supported_apps": [{"package_name": "com.example.app", "signature_hash": "K8a0AINcGX7"}]})))
            .is_ok()
        );
        // The shape of the examples in Meta's OpenAPI document.
        assert!(
            check_components(&otp(json!({"type": "OTP", "otp_type": "ONE_TAP",
                "package_name": "com.example.app", "signature_hash": "K8a0AINcGX7"})))
            .is_ok()
        );
        assert!(check_components(&otp(json!({"type": "OTP", "otp_type": "COPY_CODE"}))).is_ok());
    }

    #[test]
    fn names_follow_metas_rule() {
        assert!(check_name("order_update_2").is_ok());
        assert!(check_name("Order").is_err());
        assert!(check_name(&"a".repeat(513)).is_err());
    }
}
