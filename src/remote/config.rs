//! How the client talks to Meta: base URL and version (from the configuration, overridden by
//! `WACFG_GRAPH_URL`), timeouts, concurrency and the retry policy. Plain data, no I/O.

use std::time::Duration;

use crate::model::MetaSettings;

/// The environment variable that overrides the Graph API base URL for every command.
pub const GRAPH_URL_ENV: &str = "WACFG_GRAPH_URL";

/// When and how long to retry transient failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff ceiling; doubled on each attempt (full jitter below it).
    pub base_delay: Duration,
    /// No single backoff is longer than this, unless Meta asks for longer.
    pub max_delay: Duration,
    /// No request is retried past this time after its first attempt.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            deadline: Duration::from_secs(60),
        }
    }
}

/// Everything the client needs besides the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Without a trailing slash, e.g. `https://graph.facebook.com`.
    pub base_url: String,
    /// e.g. `v23.0`.
    pub api_version: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// At most this many requests in flight.
    pub parallelism: u16,
    pub retry: RetryPolicy,
    /// Sub-requests per batch request (Graph's limit is 50).
    pub batch_size: usize,
}

impl ClientConfig {
    /// From the configuration file's `meta` settings; `WACFG_GRAPH_URL` wins over the file.
    pub fn from_meta(meta: &MetaSettings, parallelism: u16) -> Self {
        let env_url = std::env::var(GRAPH_URL_ENV).ok();
        Self::from_parts(
            &meta.graph_url,
            env_url.as_deref(),
            &meta.api_version,
            parallelism,
        )
    }

    /// Pure form of [`ClientConfig::from_meta`]: an empty override counts as absent.
    pub fn from_parts(
        graph_url: &str,
        env_override: Option<&str>,
        api_version: &str,
        parallelism: u16,
    ) -> Self {
        let url = env_override
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(graph_url);
        Self {
            base_url: url.trim().trim_end_matches('/').to_string(),
            api_version: api_version.trim().trim_matches('/').to_string(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            parallelism: parallelism.max(1),
            retry: RetryPolicy::default(),
            batch_size: 50,
        }
    }

    /// `{base}/{version}/{path}` for a path relative to the version.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.version_root(), path.trim_start_matches('/'))
    }

    /// `{base}/{version}/`: where batch requests are posted.
    pub fn version_root(&self) -> String {
        format!("{}/{}", self.base_url, self.api_version)
    }

    /// A path relative to the host (`v23.0/...`), as batch sub-requests name it.
    pub fn relative(&self, path: &str) -> String {
        format!("{}/{}", self.api_version, path.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_override_wins_and_trailing_slashes_go() {
        let cfg = ClientConfig::from_parts(
            "https://graph.facebook.com/",
            Some("http://127.0.0.1:9/"),
            "v23.0",
            8,
        );
        assert_eq!(cfg.base_url, "http://127.0.0.1:9");
        assert_eq!(cfg.url("/123"), "http://127.0.0.1:9/v23.0/123");
        assert_eq!(cfg.relative("123?fields=id"), "v23.0/123?fields=id");
        let cfg = ClientConfig::from_parts("https://graph.facebook.com", Some(" "), "v23.0", 0);
        assert_eq!(cfg.base_url, "https://graph.facebook.com");
        assert_eq!(cfg.parallelism, 1);
    }

    #[test]
    fn defaults_match_the_product_rules() {
        let cfg = ClientConfig::from_parts("https://graph.facebook.com", None, "v23.0", 8);
        assert_eq!(cfg.connect_timeout, Duration::from_secs(5));
        assert_eq!(cfg.request_timeout, Duration::from_secs(30));
        assert_eq!(cfg.retry.max_attempts, 5);
        assert_eq!(cfg.retry.deadline, Duration::from_secs(60));
    }
}
