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
    /// What Meta tells a person: `error_user_title`, `error_user_msg` and
    /// `error_data.details`, scrubbed like the message.
    pub user_facing: UserFacing,
}

/// The parts of Meta's error meant for a person, when it sends them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserFacing {
    pub title: Option<String>,
    pub message: Option<String>,
    pub details: Option<String>,
}

impl GraphError {
    /// What to do about it: by code, then subcode and what the request was about.
    pub fn hint(&self) -> String {
        let wait = self.regain_access_after.or(self.retry_after);
        match (self.code, self.error_subcode) {
            // 100/33: an object that does not exist or that this token cannot see.
            (100, Some(33)) | (803, _) => missing_object_hint(&self.request),
            // Any other 100 is Meta refusing a parameter or a field of the request.
            (100, _) => "Meta refused a parameter or field of this request (see its message \
                         and details): check the value it names"
                .to_string(),
            (10, _) => "the token lacks a permission this call needs: give the system user's \
                        token whatsapp_business_management and whatsapp_business_messaging, \
                        and check the app's access to the asset"
                .to_string(),
            _ => hint_for_code(self.code, wait),
        }
    }
}

/// Which ID to check, from what the request was reading.
fn missing_object_hint(request: &str) -> String {
    let what = if request.contains("whatsapp_business_accounts") {
        "the business portfolio ID (not a WABA ID)"
    } else if request.contains("subscribed_apps") || request.contains("phone_numbers") {
        "the WABA ID (whatsapp_business_account)"
    } else {
        "the ID in the request (a WABA or phone number ID)"
    };
    format!(
        "the ID does not exist or is not visible to this token: check {what} and that the token belongs to that business"
    )
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
        let u = &self.user_facing;
        match (&u.title, &u.message) {
            (Some(t), Some(m)) => write!(f, "; Meta says: {t}: {m}")?,
            (Some(x), None) | (None, Some(x)) => write!(f, "; Meta says: {x}")?,
            (None, None) => {}
        }
        if let Some(details) = &u.details {
            write!(f, " ({details})")?;
        }
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
            user_facing: UserFacing::default(),
        }
    }

    #[test]
    fn hints_follow_code_subcode_and_request() {
        let mut e = graph(100);
        e.error_subcode = Some(33);
        e.request = "GET /v23.0/1?fields=owned_whatsapp_business_accounts{id}".into();
        assert!(e.hint().contains("business portfolio ID"), "{}", e.hint());
        e.request = "POST /v23.0/2/subscribed_apps".into();
        assert!(e.hint().contains("WABA ID"), "{}", e.hint());
        e.error_subcode = None;
        assert!(e.hint().contains("refused a parameter"), "{}", e.hint());
        assert!(!e.hint().contains("business portfolio"), "{}", e.hint());
        let ten = graph(10);
        assert!(ten.hint().contains("permission"), "{}", ten.hint());
        assert!(!ten.hint().contains("Assign assets"), "{}", ten.hint());
    }

    #[test]
    fn display_shows_what_meta_tells_a_person() {
        let mut e = graph(100);
        e.user_facing = UserFacing {
            title: Some("Invalid parameter".into()),
            message: Some("The phone number is not registered.".into()),
            details: Some("phone_number_id 123".into()),
        };
        let text = e.to_string();
        assert!(
            text.contains("Meta says: Invalid parameter: The phone number is not registered. (phone_number_id 123)"),
            "{text}"
        );
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
