//! How the client talks to Meta: base URL and version, timeouts, concurrency and the retry
//! policy. Plain data, no I/O. The base URL tokens are sent to is Meta's own host unless the
//! operator (the `--graph-url` flag, else `WACFG_GRAPH_URL`) names another: a configuration
//! file alone cannot send tokens elsewhere (a pull request may edit it).

use std::time::Duration;

use crate::model::MetaSettings;

/// The environment variable that overrides the Graph API base URL for every command (the
/// `--graph-url` flag wins over it).
pub const GRAPH_URL_ENV: &str = "WACFG_GRAPH_URL";

/// Meta's Graph API: the only endpoint a configuration file may name on its own.
pub const META_GRAPH_URL: &str = "https://graph.facebook.com";

/// The configuration names another Graph endpoint than Meta's and the operator did not allow
/// one. Tokens are sent to that endpoint, so the file alone cannot choose it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "meta.graph_url in the configuration is `{0}`, not Meta's Graph API ({META_GRAPH_URL}): \
     a configuration file alone cannot send tokens to another host, so nothing was read or sent. \
     To use this endpoint, the operator allows it with --graph-url URL or WACFG_GRAPH_URL=URL; \
     otherwise remove meta.graph_url"
)]
pub struct EndpointNotAllowed(pub String);

/// The operator's choice of Graph endpoint, with who made it: the `--graph-url` flag, else
/// `WACFG_GRAPH_URL` (empty counts as absent). `None` when the operator chose none.
pub fn operator_choice<'a>(
    flag: Option<&'a str>,
    env: Option<&'a str>,
) -> Option<(&'a str, &'static str)> {
    [(flag, "--graph-url"), (env, GRAPH_URL_ENV)]
        .into_iter()
        .filter_map(|(url, by)| Some((url?.trim(), by)))
        .find(|(url, _)| !url.is_empty())
}

/// Whether `url` is Meta's Graph API host: `https://graph.facebook.com` (port 443, no path,
/// no credentials, no query), in any letter case, with or without a trailing slash.
pub fn is_meta_graph_url(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url.trim()) else {
        return false;
    };
    u.scheme() == "https"
        && u.host_str() == Some("graph.facebook.com")
        && u.port_or_known_default() == Some(443)
        && u.username().is_empty()
        && u.password().is_none()
        && u.path() == "/"
        && u.query().is_none()
        && u.fragment().is_none()
}

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
    /// Who chose `base_url` when the operator did: `--graph-url` or `WACFG_GRAPH_URL`.
    pub set_by: Option<&'static str>,
}

impl ClientConfig {
    /// From the configuration file's `meta` settings and the operator's choice of endpoint:
    /// `flag` (`--graph-url`), else `WACFG_GRAPH_URL`; without either, the file's
    /// `meta.graph_url` must be Meta's own host.
    pub fn from_meta(
        meta: &MetaSettings,
        flag: Option<&str>,
        parallelism: u16,
    ) -> Result<Self, EndpointNotAllowed> {
        let env_url = std::env::var(GRAPH_URL_ENV).ok();
        Self::checked(
            &meta.graph_url,
            flag,
            env_url.as_deref(),
            &meta.api_version,
            parallelism,
        )
    }

    /// Pure form of [`ClientConfig::from_meta`]: the operator's URL (the flag, else the
    /// environment; empty counts as absent) wins; the file's URL alone must be Meta's.
    pub fn checked(
        graph_url: &str,
        flag: Option<&str>,
        env: Option<&str>,
        api_version: &str,
        parallelism: u16,
    ) -> Result<Self, EndpointNotAllowed> {
        let operator = operator_choice(flag, env);
        if operator.is_none() && !is_meta_graph_url(graph_url) {
            return Err(EndpointNotAllowed(graph_url.trim().to_string()));
        }
        Ok(Self {
            set_by: operator.map(|(_, by)| by),
            ..Self::from_parts(
                graph_url,
                operator.map(|(url, _)| url),
                api_version,
                parallelism,
            )
        })
    }

    /// Unchecked: `env_override` (an operator's URL; empty counts as absent) or `graph_url`,
    /// whatever host it names. Commands use [`ClientConfig::from_meta`].
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
            set_by: None,
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
    fn only_the_operator_can_leave_metas_host() {
        let meta = "https://graph.facebook.com";
        for ok in [
            meta,
            "https://graph.facebook.com/",
            "HTTPS://Graph.Facebook.com:443",
        ] {
            assert!(is_meta_graph_url(ok), "{ok}");
            assert!(ClientConfig::checked(ok, None, None, "v23.0", 8).is_ok());
        }
        for bad in [
            "https://attacker.example",
            "http://graph.facebook.com",
            "https://graph.facebook.com.attacker.example",
            "https://graph.facebook.com:8443",
            "https://user:pw@graph.facebook.com",
            "https://graph.facebook.com/proxy",
            "http://127.0.0.1:9",
        ] {
            let err = ClientConfig::checked(bad, None, Some(" "), "v23.0", 8).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("--graph-url") && text.contains("WACFG_GRAPH_URL"),
                "{text}"
            );
        }
        let by_env = ClientConfig::checked(
            "https://attacker.example",
            None,
            Some("http://127.0.0.1:9"),
            "v23.0",
            8,
        )
        .unwrap();
        assert_eq!(by_env.base_url, "http://127.0.0.1:9");
        assert_eq!(by_env.set_by, Some(GRAPH_URL_ENV));
        let by_flag = ClientConfig::checked(
            meta,
            Some("http://127.0.0.1:7/"),
            Some("http://127.0.0.1:9"),
            "v23.0",
            8,
        )
        .unwrap();
        assert_eq!(
            by_flag.base_url, "http://127.0.0.1:7",
            "the flag beats the environment"
        );
        assert_eq!(
            by_flag.set_by,
            Some("--graph-url"),
            "and is named as the chooser"
        );
        let by_file = ClientConfig::checked(meta, None, Some(" "), "v23.0", 8).unwrap();
        assert_eq!(
            by_file.set_by, None,
            "the file's own Meta URL: nobody chose another"
        );
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
