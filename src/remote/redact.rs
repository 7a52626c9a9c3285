//! Keeping secrets out of text: URLs lose their `access_token`/`input_token` values, and any
//! text that may echo a token (server messages, transport errors) loses every copy of it.
//! Everything the client puts into an error, a log line or a progress line passes through here.

/// What replaces a secret.
pub const REDACTED: &str = "REDACTED";

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &["access_token", "input_token", "appsecret_proof"];

/// The URL (absolute or relative) with the values of secret query parameters replaced.
pub fn redact_url(url: &str) -> String {
    let Some((head, rest)) = url.split_once('?') else {
        return url.to_string();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (rest, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_PARAMS.contains(&key) => format!("{key}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{head}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `GET https://…/v23.0/123?fields=…`: the request as messages name it, secrets redacted and
/// a long `fields` expansion shortened (it says nothing a person needs and hides the ID).
pub fn request_label(method: &str, url: &str) -> String {
    let redacted = redact_url(url);
    let Some((head, query)) = redacted.split_once('?') else {
        return format!("{method} {redacted}");
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("fields", value)) if value.len() > 40 => "fields=…".to_string(),
            _ => pair.to_string(),
        })
        .collect();
    format!("{method} {head}?{}", pairs.join("&"))
}

/// `text` with every copy of `secret` replaced, raw or percent-encoded, then any URL-looking
/// secret parameters redacted too.
pub fn scrub(text: &str, secret: &str) -> String {
    let mut out = text.to_string();
    if !secret.is_empty() {
        out = out.replace(secret, REDACTED);
        let encoded = percent_encode(secret);
        if encoded != secret {
            out = out.replace(&encoded, REDACTED);
        }
    }
    redact_params_in_text(&out)
}

/// `text` with every copy of each of `secrets` replaced (see [`scrub`]).
pub fn scrub_all(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(scrub(text, ""), |out, secret| scrub(&out, secret))
}

/// Redact `access_token=…`/`input_token=…` wherever they appear in free text, up to the next
/// separator, so a URL quoted inside a message is safe even when the secret is unknown.
fn redact_params_in_text(text: &str) -> String {
    let mut out = text.to_string();
    for key in SECRET_PARAMS {
        let needle = format!("{key}=");
        let mut from = 0;
        while let Some(pos) = out[from..].find(&needle) {
            let start = from + pos + needle.len();
            let end = out[start..]
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
                .map_or(out.len(), |e| start + e);
            out.replace_range(start..end, REDACTED);
            from = start + REDACTED.len();
        }
    }
    out
}

/// Percent-encode everything but unreserved characters, as a query value would carry it.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-encode a query value (also used to build URLs).
pub fn encode_query_value(value: &str) -> String {
    percent_encode(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_token_parameters_and_keeps_the_rest() {
        let url =
            "http://h/v23.0/debug_token?input_token=test-token-acme&fields=a,b&access_token=x";
        let red = redact_url(url);
        assert_eq!(
            red,
            "http://h/v23.0/debug_token?input_token=REDACTED&fields=a,b&access_token=REDACTED"
        );
        assert_eq!(redact_url("v23.0/123?fields=id"), "v23.0/123?fields=id");
        assert_eq!(redact_url("/v23.0/me"), "/v23.0/me");
    }

    #[test]
    fn request_labels_are_redacted_and_short() {
        let long = "a".repeat(50);
        let url = format!("http://h/v23.0/9?fields={long}&input_token=test-token-acme");
        assert_eq!(
            request_label("GET", &url),
            "GET http://h/v23.0/9?fields=…&input_token=REDACTED"
        );
        assert_eq!(
            request_label("POST", "http://h/v23.0/"),
            "POST http://h/v23.0/"
        );
    }

    #[test]
    fn scrub_removes_raw_and_encoded_copies_of_the_token() {
        let token = "test token/acme+1";
        let text =
            format!("Invalid OAuth token {token} (see ?access_token=test%20token%2Facme%2B1&x=1)");
        let out = scrub(&text, token);
        assert!(!out.contains("test token"), "{out}");
        assert!(!out.contains("test%20token"), "{out}");
        assert!(out.contains("access_token=REDACTED&x=1"), "{out}");
    }

    #[test]
    fn scrub_redacts_secret_parameters_even_for_an_unknown_secret() {
        let out = scrub("GET /debug_token?input_token=abc def", "");
        assert_eq!(out, "GET /debug_token?input_token=REDACTED def");
    }
}
