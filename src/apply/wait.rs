//! `apply --wait`: after the changes, poll Meta's review of what this apply submitted (each
//! kind says what it awaits, `Kind::awaiting`, and reads and records a decision,
//! `Kind::review`) until every part is decided, the wait's end comes, the run stops talking
//! to Meta, or Ctrl-C. Rounds of polls are spaced out (1 s, doubling up to a minute), the
//! polls of a round `--parallelism` at a time, all through the same client as every call, so
//! the usage headers' slow-down and Meta's waits apply. A rejection turns the change's result
//! into a failed one with Meta's reason; a part still in review when the wait ends is
//! reported as such, never as a failure. It decides nothing about what to send: it only
//! reads and records.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::engine::Progress;
use super::report::{ChangeOutcome, ChangeResult};
use crate::kinds::{ExecCtx, PortError, Review, kind_of};
use crate::model::Address;

/// How long `apply --wait` may wait, and how to say why it ended when it ends there.
#[derive(Debug, Clone)]
pub struct WaitFor {
    pub until: Instant,
    /// `the --wait of 10m ended`, `the apply's --timeout (30m) ran out`.
    pub ends: String,
}

/// A resource still in review when the wait ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InReview {
    pub address: Address,
    /// Its parts still in review (a template's languages).
    pub pending: Vec<String>,
}

/// How the wait for Meta's review ended with some still in review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewWait {
    /// Why the wait ended.
    pub ended: String,
    pub in_review: Vec<InReview>,
}

/// The pause before poll number `round` (0-based): 1 s, 2 s, 4 s, … at most a minute.
pub fn pause(round: u32) -> Duration {
    Duration::from_secs(1u64 << round.min(6)).min(Duration::from_secs(60))
}

/// The result of a change after Meta's review: its status, and a rejection as a failure.
pub fn decided(result: &mut ChangeResult, review: &Review) {
    result.status = Some(review.status.clone()).filter(|s| !s.is_empty());
    if !review.rejected.is_empty() {
        result.outcome = ChangeOutcome::ChecksFailed {
            reasons: review.rejected.clone(),
        };
    }
}

/// Sleep until `at`, waking early on Ctrl-C; false when interrupted.
async fn sleep_until(at: Instant, interrupted: &AtomicBool) -> bool {
    loop {
        if interrupted.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= at {
            return true;
        }
        tokio::time::sleep((at - now).min(Duration::from_millis(100))).await;
    }
}

/// Wait for the review of every applied change a kind awaits; `None` when nothing was left
/// in review (or nothing was awaited).
pub async fn reviews(
    results: &mut [ChangeResult],
    cx: &ExecCtx<'_>,
    wait: &WaitFor,
    interrupted: &AtomicBool,
    parallelism: usize,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Option<ReviewWait> {
    let mut pending: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, r) in results.iter().enumerate() {
        if !matches!(r.outcome, ChangeOutcome::Applied) {
            continue;
        }
        if let Some(record) = cx.records.get(&r.address).await {
            let parts = kind_of(&r.address).awaiting(&record);
            if !parts.is_empty() {
                pending.push((i, parts));
            }
        }
    }
    if pending.is_empty() {
        return None;
    }
    progress(Progress::AwaitingReview {
        count: pending.len(),
    });
    let started = Instant::now();
    let mut ended = None;
    for round in 0.. {
        let wake = (Instant::now() + pause(round)).min(wait.until);
        if !sleep_until(wake, interrupted).await {
            ended = Some("Ctrl-C interrupted the wait".to_string());
            break;
        }
        let mut still = Vec::new();
        // This round's polls, `parallelism` at a time (the client paces them), in order.
        let polled: Vec<_> = futures::stream::iter(std::mem::take(&mut pending))
            .map(|(i, parts)| {
                let addr = results[i].address.clone();
                async move {
                    let review = kind_of(&addr).review(&addr, cx).await;
                    (i, parts, addr, review)
                }
            })
            .buffered(parallelism.max(1))
            .collect()
            .await;
        for (i, parts, addr, review) in polled {
            match review {
                Some(Ok(review)) if review.pending.is_empty() => {
                    decided(&mut results[i], &review);
                    progress(Progress::Reviewed {
                        result: &results[i],
                        elapsed: started.elapsed(),
                    });
                }
                Some(Ok(review)) => {
                    progress(Progress::InReview {
                        address: &addr,
                        pending: &review.pending,
                        elapsed: started.elapsed(),
                    });
                    still.push((i, review.pending));
                }
                Some(Err(PortError::NotAttempted(why))) => {
                    ended.get_or_insert(why);
                    still.push((i, parts));
                }
                // A failed read: the decision is read again next round (and by the next plan).
                Some(Err(_)) => still.push((i, parts)),
                None => {}
            }
        }
        pending = still;
        if pending.is_empty() {
            return None;
        }
        if ended.is_some() {
            break;
        }
        if Instant::now() >= wait.until {
            ended = Some(wait.ends.clone());
            break;
        }
    }
    Some(ReviewWait {
        ended: ended.unwrap_or_else(|| wait.ends.clone()),
        in_review: pending
            .into_iter()
            .map(|(i, parts)| InReview {
                address: results[i].address.clone(),
                pending: parts,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Action;

    #[test]
    fn polls_are_spaced_out_doubling_up_to_a_minute() {
        let secs: Vec<u64> = (0..9).map(|r| pause(r).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn a_rejection_fails_the_change_and_an_approval_sets_its_status() {
        let mut r = ChangeResult {
            address: Address::message_template("order_update"),
            action: Action::Create,
            outcome: ChangeOutcome::Applied,
            status: Some("PENDING".into()),
            checks: Vec::new(),
        };
        let approved = Review {
            pending: Vec::new(),
            rejected: Vec::new(),
            status: "APPROVED".into(),
        };
        decided(&mut r, &approved);
        assert_eq!(r.status.as_deref(), Some("APPROVED"));
        assert_eq!(r.outcome, ChangeOutcome::Applied);
        let rejected = Review {
            rejected: vec!["en_US REJECTED by Meta (SCAM)".into()],
            status: "REJECTED".into(),
            ..approved
        };
        decided(&mut r, &rejected);
        assert_eq!(
            r.outcome,
            ChangeOutcome::ChecksFailed {
                reasons: vec!["en_US REJECTED by Meta (SCAM)".into()]
            }
        );
    }
}
