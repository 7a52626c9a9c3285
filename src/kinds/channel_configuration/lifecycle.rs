//! The channel configuration lifecycle, in one place: the decision table from what the file
//! asks (Desired) and what state holds (Recorded) to an action, whether checks run and the
//! status it leads to; and the records each outcome leaves (`record_*`), so the engine only
//! executes. The planner and apply both decide here.

use super::attrs::{desired_spec, spec_changes};
use super::model::{
    ChannelSpec, ChannelStatus, DesiredChannel, DesiredStatus, FailedUpdate, RecordedChannel,
};
use crate::model::{Action, CheckResult};

/// What to do with one channel configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    pub reason: String,
    /// The change submits a version: the checks run at apply.
    pub submits: bool,
    /// The status after apply when it does not depend on the checks.
    pub status_after: Option<ChannelStatus>,
}

/// A request the lifecycle forbids: reported as an error diagnostic, nothing planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

fn decision(
    action: Action,
    reason: impl Into<String>,
    submits: bool,
    status_after: Option<ChannelStatus>,
) -> Decision {
    Decision {
        action,
        reason: reason.into(),
        submits,
        status_after,
    }
}

fn refusal(code: &'static str, message: impl Into<String>, help: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
        help: help.into(),
    }
}

/// Decide for one channel configuration. `None` on both sides never happens.
pub fn decide(
    desired: Option<&DesiredChannel>,
    recorded: Option<&RecordedChannel>,
) -> Result<Decision, Refusal> {
    decide_with(desired, recorded, false)
}

/// `decide`, told whether the last failed submission still holds: the file asks the same
/// spec and what its failing checks read is unchanged (`checks::failure_digest` matches).
/// Then it is not submitted again, since it would fail the same way; `--retry-failed`
/// plans with `holds = false`.
pub fn decide_with(
    desired: Option<&DesiredChannel>,
    recorded: Option<&RecordedChannel>,
    failure_holds: bool,
) -> Result<Decision, Refusal> {
    match (desired, recorded) {
        (Some(d), None) => Ok(create(d)),
        (Some(d), Some(r)) => match held_failure(d, r, failure_holds) {
            Some(held) => Ok(held),
            None => change(d, r),
        },
        (None, Some(r)) => Ok(removal(r)),
        (None, None) => Ok(decision(
            Action::NoOp,
            "nothing declared or recorded",
            false,
            None,
        )),
    }
}

fn create(d: &DesiredChannel) -> Decision {
    match d.status {
        DesiredStatus::Draft => decision(
            Action::Create,
            "not in state: saved as a draft",
            false,
            Some(ChannelStatus::Draft),
        ),
        // Creating straight into Deactivated would be a configuration nobody can use: submit it
        // is not asked for either, so it is created as a draft the admin can reactivate.
        DesiredStatus::Deactivated => decision(
            Action::Create,
            "not in state and asked deactivated: saved as a draft (only an active configuration can be deactivated)",
            false,
            Some(ChannelStatus::Draft),
        ),
        DesiredStatus::Active => decision(
            Action::Create,
            "not in state: submitted; checks run",
            true,
            None,
        ),
    }
}

/// A failed submission that would fail the same way: kept as it is (a no-op), saying why.
fn held_failure(d: &DesiredChannel, r: &RecordedChannel, holds: bool) -> Option<Decision> {
    if !holds || d.status != DesiredStatus::Active {
        return None;
    }
    let spec = desired_spec(d);
    match (r.status, &r.failed_update) {
        (ChannelStatus::Failed, _) if r.spec == spec => Some(decision(
            Action::NoOp,
            format!(
                "stays failed: nothing it depends on changed since its checks failed ({}); fix the cause, or plan with --retry-failed to submit it again",
                r.failure_reasons.join("; ")
            ),
            false,
            Some(ChannelStatus::Failed),
        )),
        (ChannelStatus::Active, Some(f)) if f.spec == spec => Some(decision(
            Action::NoOp,
            format!(
                "version {} stays active: the update to version {} failed its checks and nothing it depends on changed since ({}); fix the cause, or plan with --retry-failed to submit it again",
                r.version,
                f.version,
                f.reasons.join("; ")
            ),
            false,
            Some(ChannelStatus::Active),
        )),
        _ => None,
    }
}

/// The digest a plan compares with the recorded one: the failed submission's, if any.
pub fn recorded_failure_digest(r: &RecordedChannel) -> Option<&str> {
    match (r.status, &r.failed_update) {
        (ChannelStatus::Failed, _) => r.failure_digest.as_deref(),
        (ChannelStatus::Active, Some(f)) => f.digest.as_deref(),
        _ => None,
    }
}

fn changed_list(fields: &[&str]) -> String {
    fields.join(", ")
}

fn change(d: &DesiredChannel, r: &RecordedChannel) -> Result<Decision, Refusal> {
    let spec = desired_spec(d);
    let diff = spec_changes(&r.spec, &spec);
    let name = &d.name;
    match (r.status, d.status) {
        (ChannelStatus::Draft, DesiredStatus::Draft) => Ok(if diff.is_empty() {
            decision(
                Action::NoOp,
                "draft unchanged",
                false,
                Some(ChannelStatus::Draft),
            )
        } else {
            decision(
                Action::Update,
                format!("draft edited: {}", changed_list(&diff)),
                false,
                Some(ChannelStatus::Draft),
            )
        }),
        (
            ChannelStatus::Draft | ChannelStatus::Failed | ChannelStatus::Processing,
            DesiredStatus::Active,
        ) => {
            let why = match r.status {
                ChannelStatus::Draft => "draft submitted; checks run".to_string(),
                ChannelStatus::Failed => "failed its checks last time: submitted again".to_string(),
                _ => {
                    "an earlier apply was interrupted while checks ran: submitted again".to_string()
                }
            };
            Ok(decision(Action::Update, why, true, None))
        }
        (ChannelStatus::Failed | ChannelStatus::Processing, DesiredStatus::Draft) => Ok(decision(
            Action::Update,
            "saved back as a draft",
            false,
            Some(ChannelStatus::Draft),
        )),
        // A configuration asked deactivated is created as a draft (see `create`); it stays
        // one, edits included, rather than being refused by every later plan.
        (ChannelStatus::Draft, DesiredStatus::Deactivated) => Ok(if diff.is_empty() {
            decision(
                Action::NoOp,
                "asked deactivated: kept as a draft (only an active configuration can be deactivated)",
                false,
                Some(ChannelStatus::Draft),
            )
        } else {
            decision(
                Action::Update,
                format!(
                    "draft edited: {} (asked deactivated: kept as a draft)",
                    changed_list(&diff)
                ),
                false,
                Some(ChannelStatus::Draft),
            )
        }),
        (ChannelStatus::Failed | ChannelStatus::Processing, DesiredStatus::Deactivated) => {
            Err(refusal(
                "wacfg::lifecycle::deactivate_inactive",
                format!(
                    "channel configuration `{name}` is {} and cannot be deactivated: only an active configuration can",
                    r.status.as_str()
                ),
                "set `status: draft` to keep it, or remove it from the file to delete it",
            ))
        }
        (ChannelStatus::Active, DesiredStatus::Active) => Ok(active_edit(r, &diff, &spec)),
        (ChannelStatus::Active, DesiredStatus::Draft) => Err(refusal(
            "wacfg::lifecycle::active_to_draft",
            format!("channel configuration `{name}` is active and cannot go back to draft"),
            "keep `status: active` and edit it (the checks run again), or set `status: deactivated`",
        )),
        (ChannelStatus::Active, DesiredStatus::Deactivated) => Ok(decision(
            Action::Deactivate,
            "status: deactivated asked; messages already using it keep working",
            false,
            Some(ChannelStatus::Deactivated),
        )),
        (ChannelStatus::Deactivated, DesiredStatus::Deactivated) => {
            if diff.is_empty() {
                Ok(decision(
                    Action::NoOp,
                    "deactivated",
                    false,
                    Some(ChannelStatus::Deactivated),
                ))
            } else {
                Err(refusal(
                    "wacfg::lifecycle::edit_deactivated",
                    format!(
                        "channel configuration `{name}` is deactivated and cannot be edited ({} changed)",
                        changed_list(&diff)
                    ),
                    "set `status: active` to reactivate it (the checks run again), or undo the edit",
                ))
            }
        }
        (ChannelStatus::Deactivated, DesiredStatus::Active) => Ok(decision(
            Action::Reactivate,
            if diff.is_empty() {
                "status: active asked: reactivated; checks run".to_string()
            } else {
                format!(
                    "status: active asked: reactivated with {} changed; checks run",
                    changed_list(&diff)
                )
            },
            true,
            None,
        )),
        (ChannelStatus::Deactivated, DesiredStatus::Draft) => Err(refusal(
            "wacfg::lifecycle::deactivated_to_draft",
            format!("channel configuration `{name}` is deactivated and cannot become a draft"),
            "set `status: active` to reactivate it, or keep `status: deactivated`",
        )),
    }
}

fn active_edit(r: &RecordedChannel, diff: &[&str], spec: &ChannelSpec) -> Decision {
    if diff.is_empty() {
        return match &r.failed_update {
            // Say what the failed version had changed, since nothing else in the plan does.
            Some(failed) => decision(
                Action::Update,
                format!(
                    "the failed update (version {}, which changed {}) is no longer asked for: its record is discarded",
                    failed.version,
                    changed_list(&spec_changes(&r.spec, &failed.spec))
                ),
                false,
                Some(ChannelStatus::Active),
            ),
            None => decision(
                Action::NoOp,
                "active and unchanged",
                false,
                Some(ChannelStatus::Active),
            ),
        };
    }
    if diff == ["description"] {
        return decision(
            Action::Update,
            "description changed: applies at once, no checks",
            false,
            Some(ChannelStatus::Active),
        );
    }
    let again = r.failed_update.as_ref().is_some_and(|f| &f.spec == spec);
    let reason = if again {
        format!(
            "update of {} failed its checks last time: submitted again; the current version stays active if they fail",
            changed_list(diff)
        )
    } else {
        format!(
            "{} changed: a new version runs the checks; the current version stays active if they fail",
            changed_list(diff)
        )
    };
    decision(Action::Update, reason, true, Some(ChannelStatus::Active))
}

fn removal(r: &RecordedChannel) -> Decision {
    match r.status {
        ChannelStatus::Active => decision(
            Action::Deactivate,
            "removed from the file: an active configuration is deactivated (messages already using it keep working)",
            false,
            Some(ChannelStatus::Deactivated),
        ),
        ChannelStatus::Deactivated => decision(
            Action::NoOp,
            "removed from the file and already deactivated (`wacfg state rm` forgets it)",
            false,
            Some(ChannelStatus::Deactivated),
        ),
        _ => decision(
            Action::Delete,
            format!(
                "removed from the file: a {} configuration is deleted",
                r.status.as_str()
            ),
            false,
            None,
        ),
    }
}

/// A new configuration's record before its first version is saved or submitted.
pub fn new_record(d: &DesiredChannel) -> RecordedChannel {
    RecordedChannel {
        name: d.name.clone(),
        status: ChannelStatus::Draft,
        version: 0,
        spec: desired_spec(d),
        phone_number_id: None,
        checks: Vec::new(),
        failure_reasons: Vec::new(),
        failed_update: None,
        prevent_destroy: d.prevent_destroy,
        failure_digest: None,
    }
}

/// The version a submission gets: one past the last one recorded, failed updates included.
pub fn next_version(r: &RecordedChannel) -> u32 {
    r.version
        .max(r.failed_update.as_ref().map_or(0, |f| f.version))
        + 1
}

/// The record of a change that runs no checks (a draft saved, a description edited, a failed
/// update's record discarded): the file's spec with `status`.
pub fn record_unchecked(
    d: &DesiredChannel,
    recorded: Option<&RecordedChannel>,
    status: ChannelStatus,
) -> RecordedChannel {
    let mut next = recorded.cloned().unwrap_or_else(|| new_record(d));
    next.status = status;
    next.spec = desired_spec(d);
    next.prevent_destroy = d.prevent_destroy;
    next.failed_update = None;
    next.failure_digest = None;
    if recorded.is_none() {
        next.version = 1;
    }
    next
}

/// The record while a submission's checks run (only for a configuration that is not Active:
/// an Active one stays Active meanwhile).
pub fn record_processing(d: &DesiredChannel, base: &RecordedChannel) -> RecordedChannel {
    let mut processing = base.clone();
    processing.status = ChannelStatus::Processing;
    processing.spec = desired_spec(d);
    processing.version = next_version(base);
    processing
}

/// The record a submission leaves once its checks ran: Active with the new version; Failed;
/// or, for an update of an Active configuration, the previous version kept Active with the
/// failed update recorded beside it.
pub fn record_checked(
    d: &DesiredChannel,
    recorded: Option<&RecordedChannel>,
    checks: Vec<CheckResult>,
    reasons: Vec<String>,
    phone_number_id: Option<String>,
) -> RecordedChannel {
    let was_active = recorded.is_some_and(|r| r.status == ChannelStatus::Active);
    let base = recorded.cloned().unwrap_or_else(|| new_record(d));
    let version = next_version(&base);
    let spec = desired_spec(d);
    let digest = (!reasons.is_empty()).then(|| super::checks::failure_digest(&spec, &checks));
    let mut next = base;
    next.prevent_destroy = d.prevent_destroy;
    if reasons.is_empty() {
        next.status = ChannelStatus::Active;
        next.version = version;
        next.spec = spec;
        next.phone_number_id = phone_number_id;
        next.checks = checks;
        next.failure_reasons = Vec::new();
        next.failed_update = None;
        next.failure_digest = None;
    } else if was_active {
        next.failed_update = Some(FailedUpdate {
            version,
            spec,
            checks,
            reasons,
            digest,
        });
    } else {
        next.status = ChannelStatus::Failed;
        next.version = version;
        next.spec = spec;
        next.phone_number_id = phone_number_id;
        next.checks = checks;
        next.failure_reasons = reasons;
        next.failure_digest = digest;
    }
    next
}

/// The record a deactivation leaves. One asked by `status: deactivated` (`asked` = the file's
/// entry) also records the file's spec: the plan shows the edits made in the same change, and
/// recording only the status would leave them pending on a configuration that cannot be
/// edited, every later plan refused. Reactivation runs the checks again, so an unchecked
/// sender is never used.
pub fn record_deactivated(r: &RecordedChannel, asked: Option<&DesiredChannel>) -> RecordedChannel {
    let mut next = r.clone();
    next.status = ChannelStatus::Deactivated;
    if let Some(d) = asked {
        next.spec = desired_spec(d);
        next.prevent_destroy = d.prevent_destroy;
        next.failed_update = None;
        next.failure_digest = None;
    }
    next
}
