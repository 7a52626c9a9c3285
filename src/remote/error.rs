//! Client errors. A `GraphError` is Meta's error envelope, kept whole (code, type, message,
//! subcode, fbtrace_id, is_transient, HTTP status) plus a hint of what to do. Every text in
//! here was scrubbed of the token and every URL redacted before it was stored, so `Display` and
//! `Debug` are safe to print.

use std::fmt;
use std::time::Duration;

/// Meta's error envelope for one failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub http_status: u16,
    pub code: i64,
    pub error_type: String,
    /// Scrubbed of the token.
    pub message: String,
    pub error_subcode: Option<i64>,
    pub fbtrace_id: Option<String>,
    pub is_transient: bool,
    /// `estimated_time_to_regain_access` (minutes on the wire), from the error or the
    /// `X-Business-Use-Case-Usage` header.
    pub regain_access_after: Option<Duration>,
    /// The `Retry-After` header.
    pub retry_after: Option<Duration>,
    /// `GET /v23.0/…`, redacted.
    pub request: String,
}

impl GraphError {
    /// What to do about it, by code.
    pub fn hint(&self) -> String {
        hint_for_code(self.code, self.regain_access_after.or(self.retry_after))
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph API error {}", self.code)?;
        if let Some(sub) = self.error_subcode {
            write!(f, "/{sub}")?;
        }
        write!(
            f,
            " ({}, HTTP {}) on {}: {}",
            self.error_type, self.http_status, self.request, self.message
        )?;
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {trace}]")?;
        }
        write!(f, "; hint: {}", self.hint())
    }
}

/// The hint shown with a Graph error code.
pub fn hint_for_code(code: i64, wait: Option<Duration>) -> String {
    match code {
        190 | 102 | 0 => "the access token is invalid or expired: renew the system user's token \
                          and update the secret it is read from"
            .to_string(),
        10 | 200..=299 => "the system user lacks access to this business or WABA: grant it the \
                           asset in Business Settings (System users > Assign assets)"
            .to_string(),
        100 | 803 | 33 => "the ID does not exist or is not visible to this token: check the \
                           business portfolio ID (not a WABA ID) and that the token belongs to \
                           that business"
            .to_string(),
        4 | 17 | 32 | 341 | 613 | 80007 | 80008 | 130429 => match wait {
            Some(w) => format!(
                "rate limited by Meta: wait about {} and run again, or lower --parallelism",
                human_duration(w)
            ),
            None => "rate limited by Meta: wait a few minutes and run again, or lower \
                     --parallelism"
                .to_string(),
        },
        1 | 2 | 131000 | 133004 => "Meta had a temporary problem: run again later".to_string(),
        368 => "the business is temporarily blocked for a policy violation: see Business \
                Support Home"
            .to_string(),
        131031 => "the business account is locked: see Business Support Home".to_string(),
        2200 => "Meta could not verify the callback URL: your callback must answer GET with \
                 hub.challenge echoed when hub.verify_token matches the verify token you set \
                 (over HTTPS with a valid certificate, within a few seconds); fix the endpoint \
                 or the verify token and run again"
            .to_string(),
        2201 => "the callback answered Meta's verification with the wrong hub.challenge: your \
                 callback must answer GET with hub.challenge echoed (the bare value as the \
                 body, HTTP 200) when hub.verify_token matches"
            .to_string(),
        _ => format!("see Meta's Graph API error reference for code {code}"),
    }
}

/// `42 s`, `3 min`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 120 {
        format!("{} min", secs.div_ceil(60))
    } else if secs >= 1 {
        format!("{secs} s")
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Anything that can go wrong talking to Meta.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error("{0}")]
    Graph(Box<GraphError>),
    #[error("HTTP {status} without a Graph error on {request}: {body}")]
    Http {
        status: u16,
        request: String,
        body: String,
        /// The `Retry-After` header (a 429 without a Graph envelope may carry one).
        retry_after: Option<Duration>,
    },
    #[error(
        "no answer within {} on {request}; hint: check the network and the Graph API URL \
         (WACFG_GRAPH_URL), or try again",
        human_duration(*after)
    )]
    Timeout { request: String, after: Duration },
    #[error(
        "cannot reach {request}: {message}; hint: check the Graph API URL (WACFG_GRAPH_URL) and the network"
    )]
    Connect { request: String, message: String },
    #[error("unexpected answer on {request}: {message}")]
    Decode { request: String, message: String },
    #[error(
        "gave up after {attempts} {} over {:.1} s: last error: {last}",
        if *attempts == 1 { "attempt" } else { "attempts" },
        elapsed.as_secs_f64()
    )]
    GaveUp {
        attempts: u32,
        elapsed: Duration,
        last: Box<RemoteError>,
    },
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// A not-idempotent write (see `WriteSafety::NotIdempotent`) was sent but no definite
    /// answer came back (timeout, connection dropped after sending, 5xx, a transient error,
    /// an unreadable success): Meta may have applied it. It was not repeated.
    #[error(
        "no definite answer to {request} after {attempts} {}: {cause}; hint: Meta may have \
         applied it: read the current state before trying again, do not simply repeat it",
        if *attempts == 1 { "attempt" } else { "attempts" }
    )]
    OutcomeUnknown {
        request: String,
        attempts: u32,
        cause: Box<RemoteError>,
    },
}

impl RemoteError {
    /// The Graph error behind this one, if Meta answered with an envelope.
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            RemoteError::Graph(g) => Some(g),
            RemoteError::GaveUp { last, .. } => last.graph(),
            RemoteError::OutcomeUnknown { cause, .. } => cause.graph(),
            _ => None,
        }
    }

    /// The Graph error code, when there is one.
    pub fn code(&self) -> Option<i64> {
        self.graph().map(|g| g.code)
    }

    /// True when a write may have been applied although it failed
    /// ([`RemoteError::OutcomeUnknown`]): read before trying again. Any other error from a
    /// write means it was not applied.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, RemoteError::OutcomeUnknown { .. })
    }

    /// The same error with `f` applied to every text it holds (to scrub secrets it may echo).
    pub(crate) fn map_text(self, f: &dyn Fn(&str) -> String) -> RemoteError {
        use RemoteError::*;
        match self {
            Graph(mut g) => {
                g.message = f(&g.message);
                g.error_type = f(&g.error_type);
                g.fbtrace_id = g.fbtrace_id.map(|t| f(&t));
                g.request = f(&g.request);
                Graph(g)
            }
            Http {
                status,
                request,
                body,
                retry_after,
            } => Http {
                status,
                request: f(&request),
                body: f(&body),
                retry_after,
            },
            Timeout { request, after } => Timeout {
                request: f(&request),
                after,
            },
            Connect { request, message } => Connect {
                request: f(&request),
                message: f(&message),
            },
            Decode { request, message } => Decode {
                request: f(&request),
                message: f(&message),
            },
            GaveUp {
                attempts,
                elapsed,
                last,
            } => GaveUp {
                attempts,
                elapsed,
                last: Box::new(last.map_text(f)),
            },
            Setup(text) => Setup(f(&text)),
            OutcomeUnknown {
                request,
                attempts,
                cause,
            } => OutcomeUnknown {
                request: f(&request),
                attempts,
                cause: Box::new(cause.map_text(f)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(code: i64) -> GraphError {
        GraphError {
            http_status: 401,
            code,
            error_type: "OAuthException".into(),
            message: "Error validating access token".into(),
            error_subcode: Some(463),
            fbtrace_id: Some("AbC123".into()),
            is_transient: false,
            regain_access_after: None,
            retry_after: None,
            request: "GET /v23.0/123".into(),
        }
    }

    #[test]
    fn display_has_code_type_trace_and_hint() {
        let text = graph(190).to_string();
        for part in [
            "190/463",
            "OAuthException",
            "HTTP 401",
            "fbtrace_id AbC123",
            "renew",
        ] {
            assert!(text.contains(part), "{part} missing in {text}");
        }
    }

    #[test]
    fn hints_follow_the_code() {
        assert!(hint_for_code(200, None).contains("grant"));
        assert!(hint_for_code(100, None).contains("does not exist"));
        assert!(hint_for_code(80008, Some(Duration::from_secs(300))).contains("5 min"));
        assert!(hint_for_code(4, None).contains("rate limited"));
        assert!(hint_for_code(2200, None).contains("hub.challenge echoed"));
        assert!(hint_for_code(2201, None).contains("hub.verify_token matches"));
    }

    #[test]
    fn gave_up_says_what_was_tried() {
        let err = RemoteError::GaveUp {
            attempts: 5,
            elapsed: Duration::from_millis(12_345),
            last: Box::new(RemoteError::Graph(Box::new(graph(2)))),
        };
        let text = err.to_string();
        assert!(
            text.starts_with("gave up after 5 attempts over 12.3 s: last error: Graph API error 2"),
            "{text}"
        );
        assert_eq!(err.code(), Some(2));
    }
}
