//! The channel configuration lifecycle as a data table: each row is (recorded, desired,
//! observed) → (action, whether checks run, what they find, the status apply leaves). The
//! rows go through the same pure functions the planner and the engine call: `decide`, the
//! checks, and the `record_*` functions.

use std::collections::BTreeMap;

use super::checks::{CredentialsFacts, channel_checks, failure_reasons};
use super::lifecycle::{decide, record_checked, record_deactivated, record_unchecked};
use super::model::{ChannelStatus, DesiredChannel, DesiredStatus, RecordedChannel};
use crate::model::{Action, ObservedNumber, ObservedWaba, SourceLocation};

const SENDER: &str = "15550100001";
const OTHER_SENDER: &str = "15550100002";

/// What the file asks, relative to the recorded spec.
#[derive(Clone, Copy, Debug)]
enum Edit {
    Same,
    Description,
    Sender,
}

/// Meta's facts about the sender.
#[derive(Clone, Copy, Debug)]
enum Facts {
    Healthy,
    Disconnected,
}

/// What the checks find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checks {
    None,
    Pass,
    Fail,
}

/// The outcome apply leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    Status(ChannelStatus),
    /// The previous version stays Active with the failed update recorded beside it.
    ActiveKeepsFailedUpdate,
    Deleted,
    Refused,
}

struct Row {
    recorded: Option<ChannelStatus>,
    desired: Option<DesiredStatus>,
    edit: Edit,
    facts: Facts,
    action: Option<Action>,
    checks: Checks,
    after: After,
}

fn number(id: &str, digits: &str, status: &str) -> ObservedNumber {
    ObservedNumber {
        id: id.into(),
        display_phone_number: format!("+{digits}"),
        digits: digits.into(),
        verified_name: "Acme".into(),
        status: Some(status.into()),
        name_status: Some("APPROVED".into()),
        quality_rating: Some("GREEN".into()),
        throughput_level: None,
        messaging_limit: None,
        code_verification_status: None,
        platform_type: None,
        webhook_configuration: None,
    }
}

fn waba(facts: Facts) -> ObservedWaba {
    let status = match facts {
        Facts::Healthy => "CONNECTED",
        Facts::Disconnected => "DISCONNECTED",
    };
    ObservedWaba {
        id: "102290129340398".into(),
        name: "Acme".into(),
        ownership: crate::model::observed::WabaOwnership::Owned,
        account_review_status: Some("APPROVED".into()),
        phone_numbers: BTreeMap::from([
            ("1".to_string(), number("1", SENDER, status)),
            ("2".to_string(), number("2", OTHER_SENDER, status)),
        ]),
        subscribed_apps: None,
    }
}

fn desired(status: DesiredStatus, edit: Edit) -> DesiredChannel {
    DesiredChannel {
        name: "Marketing_FR".into(),
        description: Some(match edit {
            Edit::Description => "Edited".into(),
            _ => "Promotions".into(),
        }),
        marketing_actions: vec!["emailTargeting".into()],
        credentials: Some("acme_fr".into()),
        sender_number: Some(match edit {
            Edit::Sender => OTHER_SENDER.into(),
            _ => SENDER.into(),
        }),
        execution_field: None,
        templates: Vec::new(),
        status,
        prevent_destroy: false,
        source: SourceLocation::default(),
    }
}

fn recorded(status: ChannelStatus) -> RecordedChannel {
    let mut r = super::lifecycle::new_record(&desired(DesiredStatus::Active, Edit::Same));
    r.status = status;
    r.version = 1;
    r
}

/// Decide, run the checks when the decision submits, and compute the record apply leaves.
fn run(row: &Row) -> (Option<Action>, Checks, After) {
    let d = row.desired.map(|s| desired(s, row.edit));
    let r = row.recorded.map(recorded);
    let decision = match decide(d.as_ref(), r.as_ref()) {
        Ok(decision) => decision,
        Err(_) => return (None, Checks::None, After::Refused),
    };
    let action = Some(decision.action);
    let Some(d) = d else {
        let after = match (decision.action, r.as_ref()) {
            (Action::Deactivate, Some(r)) => After::Status(record_deactivated(r, None).status),
            (Action::Delete, _) => After::Deleted,
            (_, Some(r)) => After::Status(r.status),
            (_, None) => After::Deleted,
        };
        return (action, Checks::None, after);
    };
    if decision.action == Action::Deactivate {
        let next = record_deactivated(r.as_ref().expect("recorded"), Some(&d));
        return (action, Checks::None, After::Status(next.status));
    }
    if !decision.submits {
        let status = decision.status_after.unwrap_or(ChannelStatus::Draft);
        return (
            action,
            Checks::None,
            After::Status(record_unchecked(&d, r.as_ref(), status).status),
        );
    }
    let observed = waba(row.facts);
    let facts = CredentialsFacts {
        name: "acme_fr",
        verified: Ok(()),
        waba: Some(&observed),
        waba_id: &observed.id,
    };
    let spec = super::attrs::desired_spec(&d);
    let (checks, id) = channel_checks(&spec, Some(&facts), &|_| true);
    let reasons = failure_reasons(&checks);
    let found = if reasons.is_empty() {
        Checks::Pass
    } else {
        Checks::Fail
    };
    let next = record_checked(&d, r.as_ref(), checks, reasons, id);
    let after = if next.failed_update.is_some() {
        After::ActiveKeepsFailedUpdate
    } else {
        After::Status(next.status)
    };
    (action, found, after)
}

#[test]
fn the_lifecycle_table() {
    use Action::*;
    use After::{ActiveKeepsFailedUpdate, Deleted, Refused, Status};
    use ChannelStatus as S;
    use DesiredStatus as D;
    use Edit::*;
    use Facts::*;
    let row = |recorded, desired, edit, facts, action, checks, after| Row {
        recorded,
        desired,
        edit,
        facts,
        action,
        checks,
        after,
    };
    #[rustfmt::skip]
    let table = [
        // A new configuration.
        row(None, Some(D::Active), Same, Healthy, Some(Create), Checks::Pass, Status(S::Active)),
        row(None, Some(D::Active), Same, Disconnected, Some(Create), Checks::Fail, Status(S::Failed)),
        row(None, Some(D::Draft), Same, Disconnected, Some(Create), Checks::None, Status(S::Draft)),
        row(None, Some(D::Deactivated), Same, Healthy, Some(Create), Checks::None, Status(S::Draft)),
        // Drafts.
        row(Some(S::Draft), Some(D::Draft), Same, Healthy, Some(NoOp), Checks::None, Status(S::Draft)),
        row(Some(S::Draft), Some(D::Draft), Sender, Healthy, Some(Update), Checks::None, Status(S::Draft)),
        row(Some(S::Draft), Some(D::Active), Same, Healthy, Some(Update), Checks::Pass, Status(S::Active)),
        row(Some(S::Draft), None, Same, Healthy, Some(Delete), Checks::None, Deleted),
        // Active: description applies at once; other edits are a new version.
        row(Some(S::Active), Some(D::Active), Same, Healthy, Some(NoOp), Checks::None, Status(S::Active)),
        row(Some(S::Active), Some(D::Active), Description, Disconnected, Some(Update), Checks::None, Status(S::Active)),
        row(Some(S::Active), Some(D::Active), Sender, Healthy, Some(Update), Checks::Pass, Status(S::Active)),
        row(Some(S::Active), Some(D::Active), Sender, Disconnected, Some(Update), Checks::Fail, ActiveKeepsFailedUpdate),
        row(Some(S::Active), Some(D::Draft), Same, Healthy, None, Checks::None, Refused),
        row(Some(S::Active), Some(D::Deactivated), Same, Healthy, Some(Deactivate), Checks::None, Status(S::Deactivated)),
        row(Some(S::Active), None, Same, Healthy, Some(Deactivate), Checks::None, Status(S::Deactivated)),
        // Failed and interrupted (Processing) configurations are submitted again.
        row(Some(S::Failed), Some(D::Active), Same, Healthy, Some(Update), Checks::Pass, Status(S::Active)),
        row(Some(S::Failed), Some(D::Active), Same, Disconnected, Some(Update), Checks::Fail, Status(S::Failed)),
        row(Some(S::Processing), Some(D::Active), Same, Healthy, Some(Update), Checks::Pass, Status(S::Active)),
        row(Some(S::Failed), Some(D::Draft), Same, Healthy, Some(Update), Checks::None, Status(S::Draft)),
        row(Some(S::Failed), Some(D::Deactivated), Same, Healthy, None, Checks::None, Refused),
        row(Some(S::Failed), None, Same, Healthy, Some(Delete), Checks::None, Deleted),
        // Deactivated: no edits; reactivation runs the checks.
        row(Some(S::Deactivated), Some(D::Deactivated), Same, Healthy, Some(NoOp), Checks::None, Status(S::Deactivated)),
        row(Some(S::Deactivated), Some(D::Deactivated), Sender, Healthy, None, Checks::None, Refused),
        row(Some(S::Deactivated), Some(D::Active), Same, Healthy, Some(Reactivate), Checks::Pass, Status(S::Active)),
        row(Some(S::Deactivated), Some(D::Active), Same, Disconnected, Some(Reactivate), Checks::Fail, Status(S::Failed)),
        row(Some(S::Deactivated), Some(D::Draft), Same, Healthy, None, Checks::None, Refused),
        row(Some(S::Deactivated), None, Same, Healthy, Some(NoOp), Checks::None, Status(S::Deactivated)),
    ];
    let mut wrong = Vec::new();
    for (i, r) in table.iter().enumerate() {
        let got = run(r);
        let want = (r.action, r.checks, r.after);
        if got != want {
            wrong.push(format!(
                "row {i}: recorded {:?}, desired {:?}, edit {:?}, facts {:?}: got {got:?}, want {want:?}",
                r.recorded, r.desired, r.edit, r.facts
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn a_failed_update_keeps_the_active_version_and_numbers_the_next_one_after_it() {
    let d = desired(DesiredStatus::Active, Edit::Sender);
    let active = recorded(ChannelStatus::Active);
    let next = record_checked(
        &d,
        Some(&active),
        vec![],
        vec!["sender_connected: x".into()],
        None,
    );
    assert_eq!(next.status, ChannelStatus::Active);
    assert_eq!(next.version, 1);
    assert_eq!(next.spec, active.spec);
    let failed = next.failed_update.as_ref().expect("failed update recorded");
    assert_eq!(failed.version, 2);
    assert_eq!(super::lifecycle::next_version(&next), 3);
}

/// Which failed submission state records.
#[derive(Clone, Copy, Debug)]
enum Failure {
    /// A new configuration whose checks failed: status Failed.
    Created,
    /// An update of an Active configuration whose checks failed: the failed update beside it.
    Update,
}

/// Plan again after a failed submission: the record it left, the file (`edit` relative to
/// the failed spec: `Same`, or the description), Meta's facts now and `--retry-failed`, through
/// the planner's rule (digest of the spec and the failing checks on the facts read now) and
/// `decide_with`.
fn replan_after_failure(failure: Failure, edit: Edit, now: Facts, retry: bool) -> Action {
    use super::checks::failure_digest;
    use super::lifecycle::{decide_with, recorded_failure_digest};
    let run_checks = |d: &DesiredChannel, facts: Facts| {
        let observed = waba(facts);
        let creds = CredentialsFacts {
            name: "acme_fr",
            verified: Ok(()),
            waba: Some(&observed),
            waba_id: &observed.id,
        };
        channel_checks(&super::attrs::desired_spec(d), Some(&creds), &|_| true)
    };
    let (failed_edit, base) = match failure {
        Failure::Created => (Edit::Same, None),
        Failure::Update => (Edit::Sender, Some(recorded(ChannelStatus::Active))),
    };
    let submitted = desired(DesiredStatus::Active, failed_edit);
    let (checks, id) = run_checks(&submitted, Facts::Disconnected);
    let reasons = failure_reasons(&checks);
    let record = record_checked(&submitted, base.as_ref(), checks, reasons, id);
    let asked = match edit {
        Edit::Same => submitted.clone(),
        other => desired(DesiredStatus::Active, other),
    };
    let (checks_now, _) = run_checks(&asked, now);
    let holds = !retry
        && recorded_failure_digest(&record)
            == Some(failure_digest(&super::attrs::desired_spec(&asked), &checks_now).as_str());
    decide_with(Some(&asked), Some(&record), holds)
        .expect("a decision")
        .action
}

#[test]
fn a_failed_submission_is_kept_until_what_it_depends_on_changes_or_retry_is_asked() {
    use Action::{NoOp, Update};
    use Edit::{Description, Same};
    use Facts::{Disconnected, Healthy};
    use Failure::{Created, Update as FailedUpdate};
    #[rustfmt::skip]
    let table = [
        // (failure recorded, file, Meta now, --retry-failed) -> action
        (Created, Same, Disconnected, false, NoOp),
        (Created, Same, Disconnected, true, Update),
        (Created, Same, Healthy, false, Update),
        (Created, Description, Disconnected, false, Update),
        (FailedUpdate, Same, Disconnected, false, NoOp),
        (FailedUpdate, Same, Disconnected, true, Update),
        (FailedUpdate, Same, Healthy, false, Update),
    ];
    let mut wrong = Vec::new();
    for (i, (failure, edit, now, retry, want)) in table.into_iter().enumerate() {
        let got = replan_after_failure(failure, edit, now, retry);
        if got != want {
            wrong.push(format!(
                "row {i}: {failure:?} {edit:?} {now:?} retry={retry}: got {got:?}, want {want:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn a_kept_failure_says_it_stays_failed_and_why() {
    use super::lifecycle::decide_with;
    let d = desired(DesiredStatus::Active, Edit::Same);
    let mut r = recorded(ChannelStatus::Failed);
    r.failure_reasons = vec!["sender_connected: status is DISCONNECTED".into()];
    let decision = decide_with(Some(&d), Some(&r), true).unwrap();
    assert_eq!(decision.action, Action::NoOp);
    assert!(
        decision.reason.starts_with("stays failed"),
        "{}",
        decision.reason
    );
    assert!(
        decision.reason.contains("sender_connected"),
        "{}",
        decision.reason
    );
    assert!(
        decision.reason.contains("--retry-failed"),
        "{}",
        decision.reason
    );
    // A failure that does not hold (or a configuration that is not failed) decides as before.
    assert_eq!(
        decide_with(Some(&d), Some(&r), false).unwrap().action,
        Action::Update
    );
    let active = recorded(ChannelStatus::Active);
    assert_eq!(
        decide_with(Some(&d), Some(&active), true).unwrap().action,
        Action::NoOp
    );
    assert!(
        !decide_with(Some(&d), Some(&active), true)
            .unwrap()
            .reason
            .contains("failed")
    );
}
