//! Lock information (who holds the state, for what, since when) and `--lock-timeout` parsing.
//! Shared by both stores; the stores decide how the lock itself is held.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::document::now_rfc3339;

/// Who holds a lock. Stored beside the lock (a file, or a row in PostgreSQL) so that a run that
/// finds the state locked can say by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A UUID v4; what `wacfg state force-unlock` takes.
    pub id: String,
    /// `user@host`.
    pub holder: String,
    pub pid: u32,
    /// The command holding it: `apply`, `state rm`, …
    pub operation: String,
    /// RFC 3339, UTC.
    pub started_at: String,
}

impl LockInfo {
    /// Information for a lock this process is about to take.
    pub fn for_this_process(operation: &str) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            holder: holder(),
            pid: std::process::id(),
            operation: operation.to_string(),
            started_at: now_rfc3339(),
        }
    }
}

/// `user@host` of this process.
pub fn holder() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_string());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_string());
    format!("{user}@{host}")
}

/// Parse `0s`, `500ms`, `30s`, `5m`, `1h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let bad = || format!("`{text}` is not a duration: use e.g. 0s, 500ms, 30s, 5m or 1h");
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(bad()),
    };
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_garbage_is_refused() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn lock_info_names_this_process() {
        let info = LockInfo::for_this_process("apply");
        assert_eq!(info.pid, std::process::id());
        assert!(info.holder.contains('@'));
        assert!(uuid::Uuid::parse_str(&info.id).is_ok());
        assert!(info.started_at.ends_with('Z'));
    }
}
