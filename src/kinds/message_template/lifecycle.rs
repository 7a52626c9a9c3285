//! The template lifecycle as Meta runs it, pure: for one language, what the plan does given
//! the file, state and Meta's facts (create, wait while PENDING, edit within the edit quota,
//! refuse what Meta would refuse, delete by `hsm_id`), and the record the result leads to.
//! Meta's own moves (PAUSED, DISABLED, a new category, quality) are facts to show, never
//! something to "fix".

use serde_json::Value;

use super::components::components_eq;
use super::media;
use super::model::{Language, ParameterFormat, RecordedLanguage};
use crate::model::ObservedTemplate;

pub const DAY_SECS: i64 = 86_400;
/// Meta's edit quota for APPROVED templates: one per 24 hours, ten per 30 days.
pub const EDITS_PER_DAY: usize = 1;
pub const EDITS_PER_30_DAYS: usize = 10;
/// How long the name of a deleted APPROVED template stays locked.
pub const NAME_LOCK_DAYS: i64 = 30;

/// What the plan does with one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Submitted for review (`POST /{waba-id}/message_templates`).
    Create,
    /// Recorded, but no longer at Meta (deleted outside wacfg): submitted again.
    Recreate,
    Unchanged,
    /// `POST /{template-id}` with the full components. `quota` is `Some(n)` for an APPROVED
    /// template: this edit is the n-th of the last 30 days.
    Edit {
        quota: Option<usize>,
    },
    /// Changed in the file, but Meta cannot edit it now (PENDING): the plan waits.
    Wait {
        status: String,
    },
    /// Meta would refuse it (quota spent, category of an APPROVED template, a status that
    /// cannot be edited); the plan is refused with `why`.
    Refused {
        why: String,
    },
    /// `DELETE /{waba-id}/message_templates?name=…&hsm_id=…`. An APPROVED one locks the name.
    Delete {
        locks_name: bool,
    },
    /// At Meta already but not in state: adopt it first (`wacfg import templates`).
    Unmanaged {
        id: String,
    },
    /// A create whose answer was never recorded (the run stopped after sending it): Meta has
    /// it, so its id is recorded and nothing is sent again.
    Adopt {
        id: String,
    },
    /// A create beyond what Meta's hourly limit leaves for the WABA (the plan's pacing,
    /// `pacing.rs`): it waits until `next_at` (unix seconds; `None`: an hour after the
    /// creations of the apply). Apply decides again on its own
    /// counts.
    Paced {
        next_at: Option<i64>,
    },
}

impl Step {
    /// Whether apply has something to do for it (a write to Meta, or a record to complete).
    pub fn needs_apply(&self) -> bool {
        matches!(
            self,
            Step::Create
                | Step::Recreate
                | Step::Edit { .. }
                | Step::Delete { .. }
                | Step::Adopt { .. }
                | Step::Paced { .. }
        )
    }
}

/// What Meta's quota says about one more edit of a template in `status`, edited at `edits`
/// (unix seconds), at `now`: `Ok(None)` free (not APPROVED), `Ok(Some(n))` the n-th edit of
/// the last 30 days, `Err(why)` not allowed now.
pub fn edit_quota(status: &str, edits: &[i64], now: i64) -> Result<Option<usize>, String> {
    if status != "APPROVED" {
        return Ok(None);
    }
    let last_day = edits.iter().filter(|t| now - **t < DAY_SECS).count();
    let last_30 = edits.iter().filter(|t| now - **t < 30 * DAY_SECS).count();
    if last_day >= EDITS_PER_DAY {
        let next = edits.iter().max().copied().unwrap_or(now) + DAY_SECS;
        return Err(format!(
            "Meta allows {EDITS_PER_DAY} edit of an APPROVED template per 24 hours; the next is possible from {}",
            crate::model::time::rfc3339_or_seconds(next)
        ));
    }
    if last_30 >= EDITS_PER_30_DAYS {
        let mut recent: Vec<i64> = edits
            .iter()
            .copied()
            .filter(|t| now - t < 30 * DAY_SECS)
            .collect();
        recent.sort_unstable();
        let next = recent[recent.len() - EDITS_PER_30_DAYS] + 30 * DAY_SECS;
        return Err(format!(
            "Meta allows {EDITS_PER_30_DAYS} edits of an APPROVED template per 30 days, all spent; the next is possible from {}",
            crate::model::time::rfc3339_or_seconds(next)
        ));
    }
    Ok(Some(last_30 + 1))
}

/// What the file asks for one language: its components as JSON, or the language itself,
/// compared with the recorded components without building them.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    Components(&'a Value),
    Language(&'a Language, ParameterFormat),
}

impl Wanted<'_> {
    /// Whether the recorded components are what the file asks for.
    pub fn matches(&self, recorded: &Value) -> bool {
        match *self {
            Wanted::Components(wanted) => wanted == recorded,
            Wanted::Language(lang, format) => {
                components_eq(lang, format, recorded) || matches_by_path(lang, format, recorded)
            }
        }
    }
}

/// A language recorded before wacfg kept its header file's digest matches on the file's path,
/// as it did then: an upgrade alone edits no template (an edit spends Meta's quota). The
/// digest is recorded with the next edit of the language.
fn matches_by_path(lang: &Language, format: ParameterFormat, recorded: &Value) -> bool {
    let Some(header) = lang.header.as_ref().filter(|h| h.file_sha256.is_some()) else {
        return false;
    };
    if media::has_digest(recorded) {
        return false;
    }
    let mut by_path = lang.clone();
    by_path.header = Some(super::model::Header {
        file_sha256: None,
        ..header.clone()
    });
    components_eq(&by_path, format, recorded)
}

/// The facts one language is decided on.
pub struct Facts<'a> {
    /// What the file asks for (`None`: the language is not in the file).
    pub desired: Option<Wanted<'a>>,
    /// The file's category differs from the recorded one.
    pub category_changed: bool,
    /// The file sets a `message_send_ttl_seconds` other than the recorded one: an edit of
    /// every language (each is a template at Meta), with the quota like any other edit.
    pub ttl_changed: bool,
    pub recorded: Option<&'a RecordedLanguage>,
    /// `None` with `read: true` means Meta has no such language.
    pub observed: Option<&'a ObservedTemplate>,
    /// Whether this WABA's templates were read.
    pub read: bool,
    pub now: i64,
}

/// Decide one language.
pub fn step(f: &Facts<'_>) -> Step {
    match (f.desired, f.recorded) {
        (None, None) => Step::Unchanged,
        (Some(_), None) => match f.observed {
            Some(o) => Step::Unmanaged { id: o.id.clone() },
            None => Step::Create,
        },
        (None, Some(r)) if r.id.is_empty() => match f.observed {
            Some(o) => Step::Delete {
                locks_name: o.status == "APPROVED",
            },
            None => Step::Unchanged,
        },
        (None, Some(r)) => Step::Delete {
            locks_name: status(f, r) == "APPROVED",
        },
        // Submitted, but the answer was never recorded: adopt what Meta has, or submit it.
        (Some(_), Some(r)) if r.id.is_empty() => match f.observed {
            Some(o) => Step::Adopt { id: o.id.clone() },
            None => Step::Create,
        },
        (Some(d), Some(r)) => {
            if f.read && f.observed.is_none() {
                return Step::Recreate;
            }
            if d.matches(&r.components) && !f.category_changed && !f.ttl_changed {
                return Step::Unchanged;
            }
            let status = status(f, r);
            match status {
                "PENDING" | "IN_APPEAL" => Step::Wait {
                    status: status.to_string(),
                },
                "APPROVED" if f.category_changed => Step::Refused {
                    why: "Meta does not change the category of an APPROVED template: keep the category, or rename the template (a replace: the old name is deleted and locked for 30 days)".into(),
                },
                "APPROVED" | "REJECTED" | "PAUSED" => match edit_quota(status, &r.edits, f.now) {
                    Ok(quota) => Step::Edit { quota },
                    Err(why) => Step::Refused { why },
                },
                other => Step::Refused {
                    why: format!("Meta does not edit a {other} template; only APPROVED, REJECTED or PAUSED ones"),
                },
            }
        }
    }
}

/// The status a language is recorded with between sending its create and reading Meta's
/// answer: durable before the create is sent, so a crash in between leaves a trace.
pub const SUBMITTING: &str = "SUBMITTING";

/// Meta's status when read, else the recorded one.
pub fn status<'a>(f: &Facts<'a>, r: &'a RecordedLanguage) -> &'a str {
    f.observed.map_or(r.status.as_str(), |o| o.status.as_str())
}

/// The record after an edit at `now`: the new components, the status Meta answered, and the
/// edit time kept when it spent the APPROVED quota (times older than 30 days dropped).
pub fn after_edit(
    before: &RecordedLanguage,
    components: Value,
    spent_quota: bool,
    status: Option<&str>,
    now: i64,
) -> RecordedLanguage {
    let mut edits: Vec<i64> = before
        .edits
        .iter()
        .copied()
        .filter(|t| now - t < 30 * DAY_SECS)
        .collect();
    if spent_quota {
        edits.push(now);
    }
    RecordedLanguage {
        id: before.id.clone(),
        status: status.unwrap_or(&before.status).to_string(),
        components,
        rejected_reason: None,
        quality_score: before.quality_score.clone(),
        edits,
        created_at: before.created_at,
    }
}

/// What to change in a REJECTED template, by Meta's `rejected_reason`.
pub fn rejection_hint(reason: &str) -> &'static str {
    match reason {
        "PROMOTIONAL" => "it reads as marketing: use category MARKETING or remove the promotion",
        "INCORRECT_CATEGORY" => "Meta reads it as another category: change `category`",
        "INVALID_FORMAT" => "check placeholders, examples and the components' format",
        "TAG_CONTENT_MISMATCH" => "the text does not match the category or language: align them",
        "ABUSIVE_CONTENT" | "SCAM" => "Meta found the content abusive or a scam: rewrite it",
        _ => "read Meta's template guidelines, change the text and apply again",
    }
}
