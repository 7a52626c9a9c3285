//! Which failures are retried and how long to wait: transient classification, exponential
//! backoff with full jitter, Meta's own waits (`Retry-After`, `estimated_time_to_regain_access`)
//! and slowing down when the usage headers pass 80%. Pure functions; the transport sleeps.

use std::time::Duration;

use serde_json::Value;

use super::config::RetryPolicy;
use super::error::RemoteError;

/// Graph error codes Meta documents as transient (rate limits and temporary failures).
pub const TRANSIENT_CODES: &[i64] = &[
    1, 2, 4, 17, 32, 341, 613, 80007, 80008, 130429, 131000, 133004,
];

/// Throttling codes Meta answers before acting on a request: a write refused with one of
/// these (or with HTTP 429) was not applied, so even a not-idempotent write may be sent again
/// after the wait.
pub const REFUSED_BEFORE_ACTING_CODES: &[i64] = &[4, 17, 32, 613, 80007, 130429];

/// Usage above this percentage of a budget slows the client down.
pub const SLOW_DOWN_PERCENT: u32 = 80;

/// Whether trying the same read again may succeed.
pub fn is_transient(err: &RemoteError) -> bool {
    match err {
        RemoteError::Graph(g) => {
            g.is_transient || TRANSIENT_CODES.contains(&g.code) || g.http_status >= 500
        }
        RemoteError::Http { status, .. } => *status >= 500 || *status == 429,
        RemoteError::Timeout { .. } | RemoteError::Connect { .. } => true,
        RemoteError::Decode { .. }
        | RemoteError::GaveUp { .. }
        | RemoteError::Setup(_)
        | RemoteError::OutcomeUnknown { .. } => false,
    }
}

/// Whether Meta refused the request before acting on it (HTTP 429 or a throttling code).
pub fn refused_before_acting(err: &RemoteError) -> bool {
    match err {
        RemoteError::Graph(g) => {
            g.http_status == 429 || REFUSED_BEFORE_ACTING_CODES.contains(&g.code)
        }
        RemoteError::Http { status, .. } => *status == 429,
        _ => false,
    }
}

/// Whether a write that was sent and then failed this way may have been applied anyway: no
/// definite refusal came back (a timeout, a dropped connection, a 5xx or another transient
/// error, a success we could not read). Permanent Graph errors (100, 190, 200, 2200, …) and
/// throttling refusals mean it was not applied.
pub fn may_have_applied(err: &RemoteError) -> bool {
    match err {
        RemoteError::Graph(_) | RemoteError::Http { .. } => {
            is_transient(err) && !refused_before_acting(err)
        }
        RemoteError::Timeout { .. }
        | RemoteError::Connect { .. }
        | RemoteError::Decode { .. }
        | RemoteError::OutcomeUnknown { .. } => true,
        RemoteError::GaveUp { last, .. } => may_have_applied(last),
        RemoteError::Setup(_) => false,
    }
}

/// How long Meta asked us to wait, if it did.
pub fn server_wait(err: &RemoteError) -> Option<Duration> {
    if let RemoteError::Http { retry_after, .. } = err {
        return *retry_after;
    }
    let g = err.graph()?;
    match (g.retry_after, g.regain_access_after) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Full-jitter backoff after `failed` failed attempts (1-based): a uniform pick (`fraction` in
/// [0, 1)) below `min(max_delay, base * 2^(failed-1))`.
pub fn backoff(policy: &RetryPolicy, failed: u32, fraction: f64) -> Duration {
    let exp = failed.saturating_sub(1).min(20);
    let ceiling = policy
        .base_delay
        .saturating_mul(1u32 << exp)
        .min(policy.max_delay);
    ceiling.mul_f64(fraction.clamp(0.0, 1.0))
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Retry(Duration),
    Stop,
}

/// Retry a transient failure while attempts and the deadline allow; the wait is the jittered
/// backoff, or longer when Meta asked for longer.
pub fn decide(
    policy: &RetryPolicy,
    err: &RemoteError,
    failed: u32,
    elapsed: Duration,
    fraction: f64,
) -> Decision {
    if !is_transient(err) || failed >= policy.max_attempts {
        return Decision::Stop;
    }
    let mut wait = backoff(policy, failed, fraction);
    if let Some(asked) = server_wait(err) {
        wait = wait.max(asked);
    }
    if elapsed + wait > policy.deadline {
        return Decision::Stop;
    }
    Decision::Retry(wait)
}

/// The final error once retrying stops: a permanent error after a single attempt as is,
/// otherwise wrapped with what was tried (a transient error Meta asked us to wait out for
/// longer than the deadline stops at once, and says so).
pub fn final_error(err: RemoteError, attempts: u32, elapsed: Duration) -> RemoteError {
    if attempts <= 1 && !is_transient(&err) {
        err
    } else {
        RemoteError::GaveUp {
            attempts,
            elapsed,
            last: Box::new(err),
        }
    }
}

/// What a usage header says: the highest percentage of any budget, and Meta's wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub max_percent: u32,
    pub regain_access_after: Option<Duration>,
}

/// Parse `X-Business-Use-Case-Usage` (`{"<id>":[{call_count,…,estimated_time_to_regain_access}]}`)
/// or `X-App-Usage` (`{call_count,total_cputime,total_time}`). Unparseable text is no usage.
pub fn parse_usage(header: &str) -> Usage {
    let Ok(value) = serde_json::from_str::<Value>(header) else {
        return Usage::default();
    };
    let mut usage = Usage::default();
    collect_usage(&value, &mut usage);
    usage
}

fn collect_usage(value: &Value, usage: &mut Usage) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_usage(v, usage)),
        Value::Object(map) => {
            for (key, v) in map {
                match key.as_str() {
                    "call_count" | "total_cputime" | "total_time" | "acc_id_util_pct" => {
                        let pct = v.as_f64().unwrap_or(0.0).max(0.0) as u32;
                        usage.max_percent = usage.max_percent.max(pct);
                    }
                    "estimated_time_to_regain_access" => {
                        let minutes = v.as_u64().unwrap_or(0);
                        if minutes > 0 {
                            let d = Duration::from_secs(minutes * 60);
                            usage.regain_access_after =
                                Some(usage.regain_access_after.map_or(d, |o| o.max(d)));
                        }
                    }
                    _ => collect_usage(v, usage),
                }
            }
        }
        _ => {}
    }
}

/// How long to pause before the next request given the usage seen: nothing up to 80%, then
/// growing linearly to five base delays at 100%; Meta's own wait when the budget is spent.
pub fn pace_delay(usage: &Usage, base: Duration) -> Duration {
    if usage.max_percent >= 100
        && let Some(wait) = usage.regain_access_after
    {
        return wait;
    }
    let over = usage.max_percent.saturating_sub(SLOW_DOWN_PERCENT).min(20);
    base.saturating_mul(over) / 4
}

/// `Retry-After` in seconds (the HTTP-date form is ignored).
pub fn parse_retry_after(header: &str) -> Option<Duration> {
    header.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::error::GraphError;

    fn graph(code: i64, status: u16, transient: bool) -> RemoteError {
        RemoteError::Graph(Box::new(GraphError {
            http_status: status,
            code,
            error_type: "OAuthException".into(),
            message: "m".into(),
            error_subcode: None,
            fbtrace_id: None,
            is_transient: transient,
            regain_access_after: None,
            retry_after: None,
            request: "GET /x".into(),
            user_facing: Default::default(),
        }))
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(is_transient(&graph(80008, 400, false)));
        assert!(is_transient(&graph(2, 503, false)));
        assert!(is_transient(&graph(9999, 400, true)));
        assert!(is_transient(&graph(9999, 502, false)));
        assert!(!is_transient(&graph(190, 401, false)));
        assert!(!is_transient(&graph(200, 403, false)));
        assert!(!is_transient(&graph(100, 400, false)));
        let timeout = RemoteError::Timeout {
            request: "GET /x".into(),
            after: Duration::from_secs(1),
        };
        assert!(is_transient(&timeout));
        let decode = RemoteError::Decode {
            request: "GET /x".into(),
            message: "bad".into(),
        };
        assert!(!is_transient(&decode));
    }

    #[test]
    fn throttling_refusals_are_told_from_failures_that_may_have_applied() {
        for refused in [
            graph(4, 400, true),
            graph(130429, 400, false),
            graph(9, 429, false),
        ] {
            assert!(refused_before_acting(&refused), "{refused:?}");
            assert!(!may_have_applied(&refused), "{refused:?}");
        }
        for unclear in [
            graph(2, 503, true),
            graph(131000, 500, false),
            graph(1, 400, false),
        ] {
            assert!(may_have_applied(&unclear), "{unclear:?}");
        }
        for definite in [
            graph(100, 400, false),
            graph(190, 401, false),
            graph(2200, 400, false),
        ] {
            assert!(!may_have_applied(&definite), "{definite:?}");
        }
        let timeout = RemoteError::Timeout {
            request: "POST /x".into(),
            after: Duration::from_secs(1),
        };
        assert!(may_have_applied(&timeout));
        let too_many = RemoteError::Http {
            status: 429,
            request: "POST /x".into(),
            body: String::new(),
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(refused_before_acting(&too_many) && !may_have_applied(&too_many));
        assert_eq!(server_wait(&too_many), Some(Duration::from_secs(2)));
    }

    #[test]
    fn backoff_doubles_under_the_cap_with_full_jitter() {
        let policy = RetryPolicy::default();
        assert_eq!(backoff(&policy, 1, 0.999_999).as_millis(), 199);
        assert_eq!(backoff(&policy, 3, 0.5), Duration::from_millis(400));
        assert_eq!(backoff(&policy, 30, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(&policy, 2, 0.0), Duration::ZERO);
    }

    #[test]
    fn decide_respects_attempts_deadline_and_server_waits() {
        let policy = RetryPolicy::default();
        let err = graph(2, 503, true);
        assert!(matches!(
            decide(&policy, &err, 1, Duration::ZERO, 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(
            decide(&policy, &err, 5, Duration::ZERO, 0.5),
            Decision::Stop
        );
        assert_eq!(
            decide(&policy, &err, 1, Duration::from_secs(60), 0.5),
            Decision::Stop
        );
        assert_eq!(
            decide(&policy, &graph(190, 401, false), 1, Duration::ZERO, 0.5),
            Decision::Stop
        );
        let mut slow = graph(80008, 400, true);
        if let RemoteError::Graph(g) = &mut slow {
            g.retry_after = Some(Duration::from_secs(3));
        }
        assert_eq!(
            decide(&policy, &slow, 1, Duration::ZERO, 0.1),
            Decision::Retry(Duration::from_secs(3))
        );
        if let RemoteError::Graph(g) = &mut slow {
            g.regain_access_after = Some(Duration::from_secs(120));
        }
        assert_eq!(
            decide(&policy, &slow, 1, Duration::ZERO, 0.1),
            Decision::Stop
        );
    }

    #[test]
    fn usage_headers_give_the_highest_percentage_and_the_wait() {
        let buc = r#"{"102290129340398":[{"type":"whatsapp_business_management","call_count":85,"total_cputime":3,"total_time":4,"estimated_time_to_regain_access":0}]}"#;
        assert_eq!(parse_usage(buc).max_percent, 85);
        assert_eq!(parse_usage(buc).regain_access_after, None);
        let spent = r#"{"1":[{"call_count":100,"estimated_time_to_regain_access":2}]}"#;
        let usage = parse_usage(spent);
        assert_eq!(usage.regain_access_after, Some(Duration::from_secs(120)));
        assert_eq!(
            pace_delay(&usage, Duration::from_millis(200)),
            Duration::from_secs(120)
        );
        assert_eq!(parse_usage(r#"{"call_count":12}"#).max_percent, 12);
        assert_eq!(parse_usage("not json"), Usage::default());
        let calm = Usage {
            max_percent: 80,
            regain_access_after: None,
        };
        assert_eq!(
            pace_delay(&calm, Duration::from_millis(200)),
            Duration::ZERO
        );
        let busy = Usage {
            max_percent: 90,
            regain_access_after: None,
        };
        assert_eq!(
            pace_delay(&busy, Duration::from_millis(200)),
            Duration::from_millis(500)
        );
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
