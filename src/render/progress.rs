//! The words of progress on stderr while a command runs: what the read of Meta waits for,
//! how long a retry or a slow-down waits, "Still creating… [10 s elapsed]" for a change that
//! runs long, and the apply's total time. Pure text; `command` decides when to print.

use std::time::Duration;

use super::painter::Painter;
use crate::model::Address;
use crate::plan::Action;

/// A duration as people read it in a log: `0.4 s`, `2.1 s`, `12 s`, `2 min 5 s`.
pub fn seconds(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else if secs < 60.0 {
        format!("{} s", secs.round() as u64)
    } else {
        let whole = secs.round() as u64;
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

/// What a long phase waits for: `Reading Meta: waiting for GET …/v23.0/123 [1.0 s elapsed]`;
/// `still` for the repeated line of a phase that goes on.
pub fn phase_line(phase: &str, waiting_for: &[String], elapsed: Duration, still: bool) -> String {
    let head = if still {
        format!("Still {}", lower_first(phase))
    } else {
        phase.to_string()
    };
    let what = match waiting_for {
        [] => String::new(),
        [one] => format!(": waiting for {one}"),
        [first, rest @ ..] => format!(
            ": waiting for {first} and {} more request{}",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    };
    format!("{head}…{what} [{} elapsed]", seconds(elapsed))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why the client does not send for a while.
#[derive(Debug, Clone, Copy)]
pub enum Wait<'a> {
    /// Meta answered a transient error; attempt number `attempt` follows the wait.
    Retry { attempt: u32, error: &'a str },
    /// The usage headers passed 80%, or Meta said when access comes back.
    RateLimit,
}

/// `GET …: Meta answered a transient error (…); retrying in 2.0 s (attempt 2)`.
pub fn wait_line(request: &str, wait: Duration, why: Wait<'_>) -> String {
    match why {
        Wait::Retry { attempt, error } => format!(
            "{request}: {error}; retrying in {} (attempt {attempt})",
            seconds(wait)
        ),
        Wait::RateLimit => format!(
            "Slowing down: Meta's usage headers say the rate limit is near; waiting {} before {request}",
            seconds(wait)
        ),
    }
}

/// `channel_configuration.X: Still creating… [10 s elapsed]`.
pub fn still_line(address: &Address, action: Action, elapsed: Duration, color: bool) -> String {
    let p = Painter::new(color);
    format!(
        "{}: Still {}… [{} elapsed]",
        p.bold(&address.to_string()),
        still_verb(action),
        seconds(elapsed)
    )
}

fn still_verb(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "modifying",
        Action::Reactivate => "reactivating",
        Action::Deactivate => "deactivating",
        Action::Delete => "destroying",
        Action::Replace => "replacing",
        Action::NoOp => "checking",
        Action::Import => "importing",
        Action::Move => "moving",
        Action::Refresh => "refreshing",
    }
}

/// The spinner's message on a terminal: the changes `shown` (the longest-running, at most
/// [`SPINNER_NAMES`]) with how long, and how many more of the `total` in flight.
pub fn in_flight_message(shown: &[(String, Duration)], total: usize) -> String {
    if shown.is_empty() {
        return String::new();
    }
    let names: Vec<String> = shown
        .iter()
        .take(SPINNER_NAMES)
        .map(|(name, d)| format!("{name} ({})", seconds(*d)))
        .collect();
    match total.saturating_sub(names.len()) {
        0 => format!("in flight: {}", names.join(", ")),
        more => format!("in flight: {} and {more} more", names.join(", ")),
    }
}

/// How many changes the spinner names (the longest-running first); the rest are counted. At
/// thousands of changes waiting for one state write, naming them all would not fit a line.
pub const SPINNER_NAMES: usize = 3;

/// `apply --wait`, once the changes are done: what it waits for.
pub fn awaiting_review_line(count: usize) -> String {
    let what = if count == 1 {
        "1 resource".to_string()
    } else {
        format!("{count} resources")
    };
    format!("Waiting for Meta's review of {what} (each decision is recorded as it comes)...")
}

/// `message_template.x: Still in review… (en_US, fr_FR) [4.0 s elapsed]`.
pub fn in_review_line(
    address: &Address,
    pending: &[String],
    elapsed: Duration,
    color: bool,
) -> String {
    let p = Painter::new(color);
    format!(
        "{}: Still in review… ({}) [{} elapsed]",
        p.bold(&address.to_string()),
        pending.join(", "),
        seconds(elapsed)
    )
}

/// Meta decided: `…: Review complete after 4.0 s [status=APPROVED]`, or rejected with why.
pub fn reviewed_line(
    address: &Address,
    status: Option<&str>,
    rejected: &[String],
    elapsed: Duration,
    color: bool,
) -> String {
    let p = Painter::new(color);
    let status = status.map(|s| format!(" [status={s}]")).unwrap_or_default();
    let head = format!("{}:", p.bold(&address.to_string()));
    if rejected.is_empty() {
        format!(
            "{head} {} after {}{status}",
            p.green("Review complete"),
            seconds(elapsed)
        )
    } else {
        format!(
            "{head} {} after {}{status}: {}",
            p.red("Rejected by Meta"),
            seconds(elapsed),
            rejected.join("; ")
        )
    }
}

/// The last progress line of an apply: `Apply took 3.2 s.`
pub fn total_line(elapsed: Duration) -> String {
    format!("Apply took {}.", seconds(elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spinner_names_three_changes_and_counts_the_rest() {
        let running = |n: usize| -> Vec<(String, Duration)> {
            (0..n)
                .map(|i| {
                    (
                        format!("c.C{i}"),
                        Duration::from_millis(1_000 * (n - i) as u64),
                    )
                })
                .collect()
        };
        assert_eq!(in_flight_message(&running(0), 0), "");
        assert_eq!(
            in_flight_message(&running(2), 2),
            "in flight: c.C0 (2.0 s), c.C1 (1.0 s)"
        );
        assert_eq!(
            in_flight_message(&running(3), 500),
            "in flight: c.C0 (3.0 s), c.C1 (2.0 s), c.C2 (1.0 s) and 497 more"
        );
    }

    #[test]
    fn durations_read_like_a_log() {
        assert_eq!(seconds(Duration::from_millis(420)), "0.4 s");
        assert_eq!(seconds(Duration::from_millis(2_149)), "2.1 s");
        assert_eq!(seconds(Duration::from_millis(12_400)), "12 s");
        assert_eq!(seconds(Duration::from_secs(125)), "2 min 5 s");
    }

    #[test]
    fn a_phase_names_what_it_waits_for() {
        let one = vec!["GET /v23.0/1".to_string()];
        assert_eq!(
            phase_line("Reading Meta", &one, Duration::from_secs(1), false),
            "Reading Meta…: waiting for GET /v23.0/1 [1.0 s elapsed]"
        );
        let three = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(
            phase_line("Reading Meta", &three, Duration::from_secs(11), true),
            "Still reading Meta…: waiting for a and 2 more requests [11 s elapsed]"
        );
    }

    #[test]
    fn waits_say_how_long() {
        let retry = wait_line(
            "GET /x",
            Duration::from_millis(1_500),
            Wait::Retry {
                attempt: 2,
                error: "Meta is busy",
            },
        );
        assert_eq!(retry, "GET /x: Meta is busy; retrying in 1.5 s (attempt 2)");
        let pace = wait_line("GET /x", Duration::from_secs(3), Wait::RateLimit);
        assert!(pace.contains("waiting 3.0 s before GET /x"), "{pace}");
    }

    #[test]
    fn still_lines_name_the_change_and_its_time() {
        let address = Address::channel("Marketing_FR");
        assert_eq!(
            still_line(&address, Action::Create, Duration::from_secs(10), false),
            "channel_configuration.Marketing_FR: Still creating… [10 s elapsed]"
        );
    }
}
