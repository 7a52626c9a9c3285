//! Meta's limit of 100 template creations per hour per WABA, pure: what this hour has spent
//! (the creation times state keeps), how many creations a WABA has left, and when one more is
//! allowed. The plan spends a WABA's budget in address order and says which languages wait;
//! apply spends it again on fresh counts (shared by the changes running at once), stops
//! sending creates for a WABA once it is spent or Meta answers its creation-rate error, and
//! reports the rest as not attempted with the time to apply again. Apply never sleeps for
//! the limit (an hour is longer than an apply should hold the lock) and never retries a
//! create Meta refused.

use std::collections::BTreeMap;

use super::model::RecordedTemplate;
use crate::kinds::{PortError, RecordedResource};
use crate::model::Address;

/// Meta's creations per rolling hour per WABA.
pub const CREATIONS_PER_HOUR: usize = 100;
pub const HOUR_SECS: i64 = 3_600;

/// What a WABA may still create this hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub left: usize,
    /// Unix seconds from which one more creation is allowed once `left` is spent, when the
    /// creations of the hour (state's times, or Meta's refusal) say; `None`: an hour after
    /// the creations this run makes (a plan's text must not move with the clock, or a saved
    /// plan would differ from the one re-derived when it is applied).
    pub next_at: Option<i64>,
}

impl Budget {
    /// A WABA with no creation this hour.
    pub fn full() -> Budget {
        Budget {
            left: CREATIONS_PER_HOUR,
            next_at: None,
        }
    }

    /// From the creation times of the last hour (any order).
    pub fn from_times(mut recent: Vec<i64>, now: i64) -> Budget {
        recent.retain(|t| now - t < HOUR_SECS);
        recent.sort_unstable();
        let left = CREATIONS_PER_HOUR.saturating_sub(recent.len());
        let next_at = if recent.len() >= CREATIONS_PER_HOUR {
            Some(recent[recent.len() - CREATIONS_PER_HOUR] + HOUR_SECS)
        } else {
            recent.first().map(|t| t + HOUR_SECS)
        };
        Budget { left, next_at }
    }

    /// Spend one creation; `false` when none is left.
    pub fn take(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }
}

/// A WABA's budget as the planner spends it, template after template in address order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spending {
    pub budget: Budget,
    /// What was left when the plan began.
    pub left_at_start: usize,
    /// Languages planned beyond it so far.
    pub waiting: usize,
}

impl Spending {
    pub fn new(budget: Budget) -> Spending {
        Spending {
            budget,
            left_at_start: budget.left,
            waiting: 0,
        }
    }
}

/// Every WABA's budget at `now`, from the templates state records (WABAs without a recent
/// creation are absent: their budget is full).
pub fn budgets(
    recorded: &BTreeMap<Address, RecordedResource>,
    now: i64,
) -> BTreeMap<String, Budget> {
    let mut times: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in recorded.values() {
        if let RecordedResource::MessageTemplate(t) = r {
            times
                .entry(t.waba_id.clone())
                .or_default()
                .extend(recent(t, now));
        }
    }
    times
        .into_iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(waba, t)| (waba, Budget::from_times(t, now)))
        .collect()
}

/// One WABA's budget at `now` (apply, on the first create it sends to that WABA).
pub fn budget_of(recorded: &BTreeMap<Address, RecordedResource>, waba: &str, now: i64) -> Budget {
    let times: Vec<i64> = recorded
        .values()
        .filter_map(|r| match r {
            RecordedResource::MessageTemplate(t) if t.waba_id == waba => Some(t),
            _ => None,
        })
        .flat_map(|t| recent(t, now))
        .collect();
    Budget::from_times(times, now)
}

fn recent(t: &RecordedTemplate, now: i64) -> impl Iterator<Item = i64> + '_ {
    t.languages
        .values()
        .filter_map(|l| l.created_at)
        .filter(move |at| now - at < HOUR_SECS)
}

/// Whether Meta refused a create for its hourly limit (refused before acting: nothing was
/// made). Meta documents the limit (100 creations per hour per WABA) but no error for it: the
/// reference (`meta-templates-webhooks.md`, `meta-graph-api.md`) lists none, so there is no
/// real code or subcode to recognise. What is recognised is the simulator's choice, subcode
/// 2388904 and its title "Too Many Templates Created" (sim/README.md marks both as the
/// simulator's). Against Meta, a refusal of another shape is an ordinary failed create; the
/// plan's own pacing (`Budget`) still keeps apply within the limit.
pub fn is_creation_limit(e: &PortError) -> bool {
    match e {
        PortError::Graph { message, .. } => {
            message.contains("/2388904 ") || message.contains("Too Many Templates Created")
        }
        _ => false,
    }
}

/// Why languages wait, for the plan and the apply report.
pub fn waiting_text(codes: &[String], waba: &str, next_at: Option<i64>) -> String {
    format!(
        "{} not submitted: Meta allows {CREATIONS_PER_HOUR} template creations per hour in WABA {waba} and this hour's are spent; apply again {}",
        codes.join(", "),
        when(next_at)
    )
}

/// When to apply again: `after <time>`, or an hour after this run's creations.
pub fn when(next_at: Option<i64>) -> String {
    match next_at {
        Some(t) => format!("after {}", crate::model::time::rfc3339_or_seconds(t)),
        None => "an hour after the creations this apply makes".to_string(),
    }
}

/// The later of two waits (`None`: an hour after this run's creations, the latest).
pub fn later(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_hour_is_spent_until_its_oldest_creation_is_an_hour_old() {
        let now = 10_000;
        assert_eq!(Budget::from_times(Vec::new(), now), Budget::full());
        // 100 creations in the last hour, the oldest 1,000 s ago; older ones do not count.
        let mut times: Vec<i64> = (0..100).map(|i| now - 1_000 + i).collect();
        times.push(now - HOUR_SECS - 5);
        let b = Budget::from_times(times, now);
        assert_eq!(b.left, 0);
        assert_eq!(b.next_at, Some(now - 1_000 + HOUR_SECS));
        let mut some = Budget::from_times(vec![now - 10, now - 20], now);
        assert_eq!(some.left, 98);
        assert_eq!(some.next_at, Some(now - 20 + HOUR_SECS));
        assert!(some.take());
        assert_eq!(some.left, 97);
        let mut none = b;
        assert!(!none.take());
    }

    #[test]
    fn metas_creation_rate_error_is_recognised() {
        let e = PortError::Graph {
            code: Some(100),
            message: "Graph API error 100/2388904 (OAuthException, HTTP 400) on POST …; Meta says: Too Many Templates Created: …".into(),
            outcome_unknown: false,
        };
        assert!(is_creation_limit(&e));
        let other = PortError::Graph {
            code: Some(100),
            message: "Graph API error 100/2388024 (OAuthException, HTTP 400)".into(),
            outcome_unknown: false,
        };
        assert!(!is_creation_limit(&other));
    }
}
