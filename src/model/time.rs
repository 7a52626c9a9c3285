//! How wacfg shows an instant to people: Unix seconds (as state and Meta keep them) in
//! RFC 3339, UTC, e.g. `2026-12-01T07:00:00Z`. One function so every message agrees.

/// Unix seconds as RFC 3339 in UTC; `None` outside the representable range.
pub fn rfc3339(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// [`rfc3339`], or the seconds themselves when the instant cannot be shown as a date.
pub fn rfc3339_or_seconds(unix: i64) -> String {
    rfc3339(unix).unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_as_utc_dates_and_absurd_ones_stay_numbers() {
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(rfc3339_or_seconds(1_764_572_400), "2025-12-01T07:00:00Z");
        assert_eq!(rfc3339_or_seconds(i64::MAX), i64::MAX.to_string());
    }
}
