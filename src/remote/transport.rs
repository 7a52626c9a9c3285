//! HTTP to Meta: reqwest over rustls, the token in the `Authorization` header, bounded
//! concurrency, pacing from the usage headers, and the retry loop. Every answer is turned into
//! JSON or a scrubbed `RemoteError` here, so nothing above sees raw bodies or raw URLs.
//! Writes (`super::write`) go through the same retry loop and answer handling.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use super::config::ClientConfig;
use super::error::{GraphError, RemoteError, UserFacing};
use super::redact::{request_label, scrub};
use super::retry::{Decision, decide, final_error, pace_delay, parse_retry_after, parse_usage};
use super::token::Token;
use super::wire::{BatchItem, ErrorEnvelope};

/// What the client is doing, told as it happens, for a command to show progress (which
/// request it waits for, how long a retry or a pause waits). Labels are redacted like every
/// request label: no token.
#[derive(Debug, Clone, Copy)]
pub enum Activity<'a> {
    /// An attempt was sent.
    Sent { request: &'a str },
    /// Its answer (or its failure) came back.
    Answered { request: &'a str },
    /// Nothing is sent for `wait`, and why.
    Waiting {
        request: &'a str,
        wait: Duration,
        why: WaitReason<'a>,
    },
}

/// Why the client waits before sending.
#[derive(Debug, Clone, Copy)]
pub enum WaitReason<'a> {
    /// A transient failure (`error` says which, scrubbed); `attempt` is the next attempt's
    /// number.
    Retry { attempt: u32, error: &'a str },
    /// The usage headers passed 80% (or Meta said when access comes back): slowing down.
    RateLimit,
}

/// Called for every [`Activity`]; cheap and non-blocking.
pub type ActivityHook = Arc<dyn Fn(Activity<'_>) + Send + Sync>;

/// One HTTP client shared by every read of a run.
pub struct Transport {
    pub(super) http: reqwest::Client,
    cfg: ClientConfig,
    permits: Arc<Semaphore>,
    /// No request starts before this instant (set when usage passes 80%).
    not_before: Mutex<Option<Instant>>,
    /// The run's deadline (`apply --timeout`): no attempt lasts past it and no retry waits
    /// past it.
    deadline: Option<Instant>,
    /// Told what the client waits for (`Client::with_activity`).
    activity: Option<ActivityHook>,
}

impl Transport {
    pub fn new(cfg: ClientConfig) -> Result<Self, RemoteError> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("wacfg/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RemoteError::Setup(e.without_url().to_string()))?;
        Ok(Self {
            http,
            permits: Arc::new(Semaphore::new(usize::from(cfg.parallelism))),
            cfg,
            not_before: Mutex::new(None),
            deadline: None,
            activity: None,
        })
    }

    /// End every request (its attempts, its retries, its waits) by `deadline`.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
    }

    /// Tell `hook` what the client does (see [`Activity`]).
    pub fn set_activity(&mut self, hook: ActivityHook) {
        self.activity = Some(hook);
    }

    fn tell(&self, activity: Activity<'_>) {
        if let Some(hook) = &self.activity {
            hook(activity);
        }
    }

    /// The run's deadline, when it has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The retry policy for a request first tried at `started`: its retries end at the
    /// policy's deadline, or at the run's when that comes first.
    fn policy_from(&self, started: Instant) -> super::config::RetryPolicy {
        let mut policy = self.cfg.retry.clone();
        if let Some(d) = self.deadline {
            policy.deadline = policy.deadline.min(d.saturating_duration_since(started));
        }
        policy
    }

    /// How long the next attempt may take: the request timeout, cut to what is left before
    /// the run's deadline (at least 1 ms, so a late attempt fails as a timeout at once).
    pub(super) fn attempt_limit(&self) -> Duration {
        match self.deadline {
            Some(d) => self
                .cfg
                .request_timeout
                .min(d.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(1)),
            None => self.cfg.request_timeout,
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// GET an absolute URL as JSON, retrying transient failures.
    pub async fn get(&self, token: &Token, url: &str) -> Result<Value, RemoteError> {
        let label = request_label("GET", url);
        self.retrying(&label, || self.get_once(token, url)).await
    }

    /// POST a batch of GETs (relative URLs) with one token; one answer per sub-request, `None`
    /// where Meta did not process it. Only reads are batched, so retrying the batch is safe.
    pub async fn batch(
        &self,
        token: &Token,
        relative_urls: &[String],
    ) -> Result<Vec<Option<BatchItem>>, RemoteError> {
        let requests: Vec<Value> = relative_urls
            .iter()
            .map(|u| serde_json::json!({"method": "GET", "relative_url": u}))
            .collect();
        let batch = Value::Array(requests).to_string();
        let request = format!("POST {}/", self.cfg.version_root());
        let label = format!("{request} (batch of {})", relative_urls.len());
        let value = self
            .retrying(&label, || self.batch_once(token, &batch))
            .await?;
        let items: Vec<Option<BatchItem>> =
            serde_json::from_value(value).map_err(|e| RemoteError::Decode {
                request,
                message: format!("not a batch answer: {e}"),
            })?;
        Ok(items)
    }

    /// Turn one batch element into JSON or an error, as if it had been its own request.
    pub fn batch_item(
        &self,
        token: &Token,
        relative_url: &str,
        item: &BatchItem,
    ) -> Result<Value, RemoteError> {
        let request = request_label("GET", &format!("{}/{}", self.cfg.base_url, relative_url));
        let header = |name: &str| {
            item.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.clone())
        };
        let body = item.body.as_deref().unwrap_or("");
        interpret(item.code, &header, body.as_bytes(), token, &request)
    }

    pub(super) async fn retrying<F, Fut>(
        &self,
        label: &str,
        mut attempt: F,
    ) -> Result<Value, RemoteError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Value, RemoteError>>,
    {
        let started = Instant::now();
        let policy = self.policy_from(started);
        let mut failed = 0;
        loop {
            self.wait_for_pace(label).await;
            let result = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| RemoteError::Setup(e.to_string()))?;
                self.tell(Activity::Sent { request: label });
                let result = attempt().await;
                self.tell(Activity::Answered { request: label });
                result
            };
            let err = match result {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            failed += 1;
            match decide(&policy, &err, failed, started.elapsed(), rand::random()) {
                Decision::Retry(wait) => {
                    self.tell_retry(label, wait, failed + 1, &err);
                    tokio::time::sleep(wait).await;
                }
                Decision::Stop => return Err(final_error(err, failed, started.elapsed())),
            }
        }
    }

    async fn get_once(&self, token: &Token, url: &str) -> Result<Value, RemoteError> {
        let request = request_label("GET", url);
        let limit = self.attempt_limit();
        let sent = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .timeout(limit)
            .send()
            .await;
        self.read_answer(sent, token, &request, limit).await
    }

    async fn batch_once(&self, token: &Token, batch: &str) -> Result<Value, RemoteError> {
        let url = format!("{}/", self.cfg.version_root());
        let request = format!("POST {url}");
        let form = [("batch", batch), ("include_headers", "true")];
        let limit = self.attempt_limit();
        let sent = self
            .http
            .post(&url)
            .bearer_auth(token.expose())
            .form(&form)
            .timeout(limit)
            .send()
            .await;
        self.read_answer(sent, token, &request, limit).await
    }

    pub(super) async fn read_answer(
        &self,
        sent: Result<reqwest::Response, reqwest::Error>,
        token: &Token,
        request: &str,
        limit: Duration,
    ) -> Result<Value, RemoteError> {
        let response = sent.map_err(|e| self.transport_error(&e, token, request, limit))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.note_usage(&headers);
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e, token, request, limit))?;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        interpret(status, &header, &body, token, request)
    }

    fn transport_error(
        &self,
        err: &reqwest::Error,
        token: &Token,
        request: &str,
        limit: Duration,
    ) -> RemoteError {
        if err.is_timeout() {
            return RemoteError::Timeout {
                request: request.to_string(),
                after: limit,
            };
        }
        // reqwest's text may name the URL: drop it, then scrub what is left.
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        RemoteError::Connect {
            request: request.to_string(),
            message: scrub(&text, token.expose()),
        }
    }

    /// Slow down when a usage header says a budget is more than 80% used. The pause is capped
    /// at the backoff cap: a longer wait is Meta's to ask for with 80008, which `decide` then
    /// weighs against the deadline.
    fn note_usage(&self, headers: &reqwest::header::HeaderMap) {
        self.note_usage_from(&|name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
    }

    /// Pace on the usage headers of a batch item, as on a plain answer's.
    pub fn note_item_usage(&self, item: &BatchItem) {
        self.note_usage_from(&|name| {
            item.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.clone())
        });
    }

    fn note_usage_from(&self, header: &dyn Fn(&str) -> Option<String>) {
        for name in ["x-business-use-case-usage", "x-app-usage"] {
            let Some(text) = header(name) else {
                continue;
            };
            let text = text.as_str();
            let delay = pace_delay(&parse_usage(text), self.cfg.retry.base_delay);
            if delay > Duration::ZERO {
                let until = Instant::now() + delay.min(self.cfg.retry.max_delay);
                let mut slot = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
                *slot = Some(slot.map_or(until, |t| t.max(until)));
            }
        }
    }

    /// After a batch item failed transiently: wait what Meta asked (its `Retry-After`, its
    /// `estimated_time_to_regain_access`) or the first backoff, as the plain path does before
    /// its second attempt. `false` when the wait is beyond the deadline: do not send it again.
    pub async fn wait_after_item(&self, label: &str, err: &RemoteError) -> bool {
        let policy = self.policy_from(Instant::now());
        match decide(&policy, err, 1, Duration::ZERO, rand::random()) {
            Decision::Retry(wait) => {
                self.tell_retry(label, wait, 2, err);
                tokio::time::sleep(wait).await;
                true
            }
            Decision::Stop => false,
        }
    }

    fn tell_retry(&self, label: &str, wait: Duration, attempt: u32, err: &RemoteError) {
        if self.activity.is_some() {
            let error = err.to_string();
            self.tell(Activity::Waiting {
                request: label,
                wait,
                why: WaitReason::Retry {
                    attempt,
                    error: &error,
                },
            });
        }
    }

    async fn wait_for_pace(&self, label: &str) {
        let until = *self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        // Never pause past the run's deadline: the attempt then fails at once.
        let until = match (until, self.deadline) {
            (Some(u), Some(d)) => Some(u.min(d)),
            (u, _) => u,
        };
        if let Some(until) = until {
            let wait = until.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                self.tell(Activity::Waiting {
                    request: label,
                    wait,
                    why: WaitReason::RateLimit,
                });
            }
            tokio::time::sleep_until(until.into()).await;
        }
    }
}

/// An answer as JSON, or the error it carries (scrubbed of the token).
fn interpret(
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    token: &Token,
    request: &str,
) -> Result<Value, RemoteError> {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    if let Some(envelope) = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(|_| serde_json::from_str::<ErrorEnvelope>(&text).ok())
    {
        let graph = graph_error(status, header, envelope, token, request);
        return Err(RemoteError::Graph(Box::new(graph)));
    }
    if status >= 400 {
        let mut snippet: String = text.chars().take(300).collect();
        snippet = scrub(&snippet, token.expose());
        return Err(RemoteError::Http {
            status,
            request: request.to_string(),
            body: snippet,
            retry_after: header("retry-after").and_then(|h| parse_retry_after(&h)),
        });
    }
    parsed.ok_or_else(|| RemoteError::Decode {
        request: request.to_string(),
        message: format!("HTTP {status} with a body that is not JSON"),
    })
}

fn graph_error(
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
    envelope: ErrorEnvelope,
    token: &Token,
    request: &str,
) -> GraphError {
    let e = envelope.error;
    let from_header =
        header("x-business-use-case-usage").and_then(|h| parse_usage(&h).regain_access_after);
    let regain = e
        .regain_minutes()
        .map(|m| Duration::from_secs(m * 60))
        .or(from_header);
    let secret = token.expose();
    GraphError {
        http_status: status,
        code: e.code.unwrap_or(0),
        error_type: scrub(e.error_type.as_deref().unwrap_or("UnknownError"), secret),
        message: scrub(e.message.as_deref().unwrap_or("(no message)"), secret),
        error_subcode: e.error_subcode,
        fbtrace_id: e.fbtrace_id.map(|t| scrub(&t, secret)),
        is_transient: e.is_transient.unwrap_or(false),
        regain_access_after: regain,
        retry_after: header("retry-after").and_then(|h| parse_retry_after(&h)),
        request: request.to_string(),
        user_facing: user_facing(&e.rest, secret),
    }
}

/// `error_user_title`, `error_user_msg` and `error_data.details` (which Meta sends as an
/// object or as a JSON string), scrubbed of the token.
fn user_facing(rest: &serde_json::Map<String, Value>, secret: &str) -> UserFacing {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| scrub(s, secret))
    };
    let data = match rest.get("error_data") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        other => other.cloned(),
    };
    UserFacing {
        title: text(rest.get("error_user_title")),
        message: text(rest.get("error_user_msg")),
        details: text(data.as_ref().and_then(|d| d.get("details"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_headers(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn an_error_envelope_becomes_a_scrubbed_graph_error() {
        let token = Token::new("test-token-acme");
        let body = br#"{"error":{"message":"Invalid OAuth access token - Cannot parse access token test-token-acme","type":"OAuthException","code":190,"fbtrace_id":"T1"}}"#;
        let err = interpret(401, &no_headers, body, &token, "GET /v23.0/1").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("test-token-acme"), "{text}");
        assert_eq!(err.code(), Some(190));
        assert!(text.contains("renew"), "{text}");
    }

    #[test]
    fn what_meta_tells_a_person_is_kept_and_scrubbed() {
        let token = Token::new("test-token-acme");
        let body = br#"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_user_title":"Number not registered","error_user_msg":"Register test-token-acme's number first.","error_data":"{\"messaging_product\":\"whatsapp\",\"details\":\"phone_number_id 123 is not registered\"}"}}"#;
        let err = interpret(400, &no_headers, body, &token, "POST /v23.0/123").unwrap_err();
        let g = err.graph().unwrap();
        assert_eq!(
            g.user_facing.title.as_deref(),
            Some("Number not registered")
        );
        assert_eq!(
            g.user_facing.details.as_deref(),
            Some("phone_number_id 123 is not registered")
        );
        let text = err.to_string();
        assert!(
            text.contains("Meta says: Number not registered: Register"),
            "{text}"
        );
        assert!(!text.contains("test-token-acme"), "{text}");
    }

    #[test]
    fn headers_feed_retry_after_and_regain_time() {
        let token = Token::new("t");
        let header = |name: &str| match name {
            "retry-after" => Some("4".to_string()),
            "x-business-use-case-usage" => {
                Some(r#"{"9":[{"call_count":100,"estimated_time_to_regain_access":1}]}"#.into())
            }
            _ => None,
        };
        let body =
            br#"{"error":{"message":"Too many calls","type":"OAuthException","code":80008}}"#;
        let err = interpret(400, &header, body, &token, "GET /x").unwrap_err();
        let g = err.graph().unwrap();
        assert_eq!(g.retry_after, Some(Duration::from_secs(4)));
        assert_eq!(g.regain_access_after, Some(Duration::from_secs(60)));
    }

    #[test]
    fn non_json_errors_and_successes_are_told_apart() {
        let token = Token::new("secret-value");
        let err = interpret(
            502,
            &no_headers,
            b"bad gateway secret-value",
            &token,
            "GET /x",
        )
        .unwrap_err();
        assert!(matches!(err, RemoteError::Http { status: 502, .. }));
        assert!(!err.to_string().contains("secret-value"));
        let ok = interpret(200, &no_headers, br#"{"id":"1"}"#, &token, "GET /x").unwrap();
        assert_eq!(ok["id"], "1");
        let bad = interpret(200, &no_headers, b"<html>", &token, "GET /x").unwrap_err();
        assert!(matches!(bad, RemoteError::Decode { .. }));
    }
}
