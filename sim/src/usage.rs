//! The per-WABA hourly call budget (Business Use Case rate limiting) and the
//! `X-Business-Use-Case-Usage` header that reports it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

/// Budget used for the header's percentages when no budget fault is set (Meta's figure
/// for an active WABA); such calls are never refused.
pub const NOMINAL_BUDGET: u32 = 5_000;
const WINDOW: Duration = Duration::from_secs(3600);

struct Window {
    start: Instant,
    calls: u32,
}

/// The outcome of charging one call to a WABA.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    pub waba: String,
    /// Percentage of the budget used, 0..=100.
    pub call_count: u32,
    /// Minutes until the window resets; 0 while calls are allowed.
    pub regain_minutes: u32,
    pub refused: bool,
}

#[derive(Default)]
pub struct Usage {
    windows: HashMap<String, Window>,
}

impl Usage {
    /// Charges a call to `waba`; refused when the budget is spent.
    pub fn charge(&mut self, waba: &str, budget: Option<u32>, now: Instant) -> Charge {
        let w = self.windows.entry(waba.to_string()).or_insert(Window {
            start: now,
            calls: 0,
        });
        if now.duration_since(w.start) >= WINDOW {
            *w = Window {
                start: now,
                calls: 0,
            };
        }
        let limit = budget.unwrap_or(NOMINAL_BUDGET).max(1);
        let refused = budget.is_some() && w.calls >= limit;
        if !refused {
            w.calls += 1;
        }
        let spent = w.calls >= limit && budget.is_some();
        let left = WINDOW.saturating_sub(now.duration_since(w.start));
        Charge {
            waba: waba.to_string(),
            call_count: ((u64::from(w.calls) * 100) / u64::from(limit)).min(100) as u32,
            regain_minutes: if spent {
                left.as_secs().div_ceil(60).max(1) as u32
            } else {
                0
            },
            refused,
        }
    }

    pub fn clear(&mut self) {
        self.windows.clear();
    }
}

impl Charge {
    /// The header value, keyed by WABA id as Meta does.
    pub fn header(&self) -> String {
        usage_header(&self.waba, self.call_count, self.regain_minutes)
    }
}

pub fn usage_header(waba: &str, call_count: u32, regain_minutes: u32) -> String {
    json!({ waba: [{
        "type": "whatsapp_business_management",
        "call_count": call_count,
        "total_cputime": call_count.min(1),
        "total_time": call_count.min(1),
        "estimated_time_to_regain_access": regain_minutes,
    }]})
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refuses_after_n_calls_and_reports_percentages() {
        let mut u = Usage::default();
        let t = Instant::now();
        let c1 = u.charge("1", Some(2), t);
        assert_eq!((c1.call_count, c1.refused), (50, false));
        let c2 = u.charge("1", Some(2), t);
        assert_eq!((c2.call_count, c2.refused), (100, false));
        assert!(c2.regain_minutes >= 1);
        let c3 = u.charge("1", Some(2), t);
        assert!(c3.refused);
        assert!(!u.charge("2", Some(2), t).refused, "budgets are per WABA");
    }

    #[test]
    fn window_resets_after_an_hour_and_no_budget_never_refuses() {
        let mut u = Usage::default();
        let t = Instant::now();
        u.charge("1", Some(1), t);
        assert!(u.charge("1", Some(1), t).refused);
        assert!(!u.charge("1", Some(1), t + WINDOW).refused);
        assert!((0..10).all(|_| !u.charge("9", None, t).refused));
    }
}
