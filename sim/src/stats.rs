//! Counters and the request log a test reads to check how a client behaved. Tokens appear
//! here only by label, and logged URLs have their token parameters redacted.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// How many requests of each kind the simulator answered since start (or the last reset).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// HTTP requests to the Graph routes (a batch counts once; `/__sim/` is not counted).
    pub http_requests: u64,
    /// Sub-requests carried inside batches.
    pub batch_sub_requests: u64,
    /// Logical requests (HTTP and batch sub-requests) by route kind, e.g. `business`,
    /// `waba`, `phone_numbers`, `debug_token`, `batch`.
    pub by_route: BTreeMap<String, u64>,
    /// Logical requests by token label (`none` without a token, `unknown` for a value the
    /// world does not have).
    pub by_token: BTreeMap<String, u64>,
    /// Error answers by Graph code (`http-503` for bare HTTP errors).
    pub errors: BTreeMap<String, u64>,
    /// Calls charged to each WABA's hourly budget.
    pub by_waba: BTreeMap<String, u64>,
}

impl Stats {
    pub fn route(&mut self, kind: &str, token_label: &str) {
        *self.by_route.entry(kind.to_string()).or_default() += 1;
        *self.by_token.entry(token_label.to_string()).or_default() += 1;
    }

    pub fn error(&mut self, key: String) {
        *self.errors.entry(key).or_default() += 1;
    }

    /// Count of one route kind (0 when never called).
    pub fn route_count(&self, kind: &str) -> u64 {
        self.by_route.get(kind).copied().unwrap_or(0)
    }
}

/// One answered request, as the log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query, with `access_token`, `input_token` and `verify_token` values replaced
    /// by `REDACTED`.
    pub path: String,
    pub status: u16,
    /// true for a sub-request of a batch.
    pub in_batch: bool,
}

/// The request log keeps the most recent entries only, so long benchmarks stay small.
pub const LOG_CAPACITY: usize = 20_000;

#[derive(Default)]
pub struct Log {
    entries: VecDeque<LoggedRequest>,
}

impl Log {
    pub fn push(&mut self, entry: LoggedRequest) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub fn all(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Replaces the values of token-carrying query parameters (access, input and webhook verify
/// tokens).
pub fn redact(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if matches!(k, "access_token" | "input_token" | "verify_token") => {
                format!("{k}=REDACTED")
            }
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_token_parameters_only() {
        assert_eq!(
            redact("/v23.0/debug_token?input_token=secret&x=1&access_token=other"),
            "/v23.0/debug_token?input_token=REDACTED&x=1&access_token=REDACTED"
        );
        assert_eq!(redact("/v23.0/me"), "/v23.0/me");
    }

    #[test]
    fn log_keeps_the_latest_entries() {
        let mut log = Log::default();
        for i in 0..LOG_CAPACITY + 3 {
            log.push(LoggedRequest {
                method: "GET".into(),
                path: format!("/{i}"),
                status: 200,
                in_batch: false,
            });
        }
        let all = log.all();
        assert_eq!(all.len(), LOG_CAPACITY);
        assert_eq!(all[0].path, "/3");
    }
}
