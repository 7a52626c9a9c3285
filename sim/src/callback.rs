//! Webhook callback URLs: their validation, and Meta's verification request
//! (`GET {callback}?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`, which must answer
//! 200 with the challenge as its body). The simulator only calls loopback hosts
//! (`127.0.0.0/8`, `localhost`, `[::1]`); any other host is accepted without a call, so it
//! never talks to the internet. Also owns the digest under which control endpoints show a
//! verify token.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::redirect::Policy;
use sha2::{Digest, Sha256};

use crate::errors::GraphError;

/// How long the simulator waits for a callback to answer its challenge.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Longest part of a callback's answer quoted in an error message.
const QUOTE_MAX: usize = 100;

/// A callback to verify before an override is accepted.
#[derive(Clone, Debug)]
pub struct Callback {
    pub url: Url,
    pub verify_token: String,
}

/// Parses a callback URL: absolute, `http` or `https`, with a host.
pub fn parse_url(param: &str, text: &str) -> Result<Url, GraphError> {
    let url = Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    url.ok_or_else(|| {
        GraphError::bad_param(format!(
            "Param {param} must be a valid http or https URL, got {text:?}"
        ))
    })
}

/// `127.0.0.0/8`, `[::1]` or `localhost`: the hosts the simulator calls.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Verifies a callback as Meta does; a non-loopback host is accepted without a call.
/// Never holds a lock: the caller must not either.
pub async fn verify(cb: &Callback, challenge: &str) -> Result<(), GraphError> {
    if !is_loopback(&cb.url) {
        return Ok(());
    }
    let mut url = cb.url.clone();
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.verify_token", &cb.verify_token)
        .append_pair("hub.challenge", challenge);
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| GraphError::callback_verification(&format!("client error: {e}")))?;
    let resp = client.get(url).send().await.map_err(|e| {
        let why = if e.is_timeout() {
            format!(
                "Operation timed out after {} milliseconds",
                TIMEOUT.as_millis()
            )
        } else {
            "Couldn't connect to server".to_string()
        };
        GraphError::callback_verification(&format!("curl_error = {why}; HTTP Status Code = 0"))
    })?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let head = format!(
        "HTTP Status Code = {}; HTTP Message = {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    if status.as_u16() != 200 {
        return Err(GraphError::callback_verification(&head));
    }
    if body != challenge {
        return Err(GraphError::callback_verification(&format!(
            "{head}; Response Body = {}; Reason = The response does not match the challenge",
            quote(&body)
        )));
    }
    Ok(())
}

/// A fresh challenge: digits, as Meta sends.
pub fn challenge() -> String {
    rand::random::<u64>().to_string()
}

fn quote(body: &str) -> String {
    let cut: String = body.chars().take(QUOTE_MAX).collect();
    if cut.len() < body.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// `sha256:<hex>` of a verify token: what control endpoints show instead of the token.
pub fn token_digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for u in [
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://LOCALHOST:1",
            "http://[::1]:80/",
            "http://127.1.2.3/",
        ] {
            assert!(is_loopback(&parse_url("u", u).unwrap()), "{u}");
        }
        for u in [
            "https://example.com/hook",
            "http://10.0.0.1/",
            "https://localhost.example/",
        ] {
            assert!(!is_loopback(&parse_url("u", u).unwrap()), "{u}");
        }
    }

    #[test]
    fn bad_urls_are_code_100() {
        for u in [
            "",
            "not a url",
            "ftp://example.com/",
            "/relative",
            "mailto:a@b.c",
        ] {
            assert_eq!(parse_url("u", u).unwrap_err().code, 100, "{u}");
        }
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            token_digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
