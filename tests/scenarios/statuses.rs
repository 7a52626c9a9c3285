//! The statuses beyond the happy path: a configuration that fails its checks and is
//! resubmitted until it passes, deactivation and reactivation by `status`, a failed update
//! that is reverted, a failed one removed, credentials that fail verification, `--target`,
//! and a token about to expire.

use crate::config::{base, config, replacing, without};
use crate::golden;
use crate::harness::{Env, TOKEN};

const APPLY: &[&str] = &["apply", "--auto-approve"];

/// A number that is in no WABA until a test adds it.
const LATE_NUMBER: &str = "15550100003";

fn late_number_json() -> String {
    r#"{"id":"106540352242999","display_phone_number":"+1 555-010-0003","verified_name":"Acme Late",
        "quality_rating":"GREEN","status":"CONNECTED","name_status":"APPROVED"}"#
        .to_string()
}

#[test]
fn failed_configuration_is_resubmitted_until_it_passes() {
    let env = Env::new(&config(
        &replacing("Support_FR", |c| c.sender(LATE_NUMBER)),
        None,
    ));
    let apply = env.expect(APPLY, 1);
    golden("failed_create__apply", &env.golden_sorted(&apply));
    let support = env.channel("Support_FR");
    assert_eq!(support["status"], "failed", "{support:#}");
    assert!(
        support["failure_reasons"].to_string().contains(LATE_NUMBER),
        "{support:#}"
    );
    assert_eq!(env.channel("Marketing_FR")["status"], "active");
    // Nothing it depends on changed: it stays failed, the plan says why and is empty.
    let plan = env.expect(&["plan", "--detailed-exitcode"], 0);
    golden("failed_create__replan", &env.golden(&plan));
    assert!(plan.stdout.contains("stays failed"), "{plan:#?}");
    let serial = env.serial();
    env.expect(APPLY, 0);
    assert_eq!(env.serial(), serial, "not resubmitted");
    // --retry-failed submits it again anyway (and it fails the same way).
    let retry = env.expect(&["plan", "--retry-failed", "--detailed-exitcode"], 2);
    assert!(
        retry
            .stdout
            .contains("failed its checks last time: submitted again"),
        "{retry:#?}"
    );
    env.expect(&["apply", "--retry-failed", "--auto-approve"], 1);
    assert_eq!(env.channel("Support_FR")["version"], 2, "resubmitted");
    // The number arrives in the WABA: a fact its failing check read changed, so the next
    // plan submits it and apply makes it active.
    env.control("wabas/102290129340398/numbers", &late_number_json());
    env.expect(&["plan", "--detailed-exitcode"], 2);
    env.expect(APPLY, 0);
    let support = env.channel("Support_FR");
    assert_eq!(support["status"], "active", "{support:#}");
    assert_eq!(support["phone_number_id"], "106540352242999");
    assert_eq!(support["failure_reasons"], serde_json::json!([]));
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn removing_a_failed_configuration_deletes_it() {
    let env = Env::new(&config(
        &replacing("Support_FR", |c| c.sender(LATE_NUMBER)),
        None,
    ));
    env.expect(APPLY, 1);
    env.write_config(&config(&without("Support_FR"), None));
    let plan = env.expect(&["plan"], 0);
    assert!(plan.stdout.contains("1 to delete"), "{plan:#?}");
    env.expect(APPLY, 0);
    assert!(env.channel("Support_FR").is_null());
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn status_deactivated_then_active_reactivates_with_checks() {
    let env = Env::new(&base());
    env.expect(APPLY, 0);
    let deactivated = replacing("Support_FR", |mut c| {
        c.status = "deactivated";
        c
    });
    env.write_config(&config(&deactivated, None));
    env.expect(APPLY, 0);
    assert_eq!(env.channel("Support_FR")["status"], "deactivated");
    env.expect(&["plan", "--detailed-exitcode"], 0);
    env.write_config(&base());
    let plan = env.expect(&["plan"], 0);
    golden("reactivate__plan", &env.golden(&plan));
    env.expect(APPLY, 0);
    assert_eq!(env.channel("Support_FR")["status"], "active");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn reverting_a_failed_update_discards_its_record_without_checks() {
    let env = Env::new(&base());
    env.expect(APPLY, 0);
    env.write_config(&config(
        &replacing("Support_FR", |c| c.sender("15550200001")),
        None,
    ));
    env.expect(APPLY, 1);
    assert!(!env.channel("Support_FR")["failed_update"].is_null());
    env.write_config(&base());
    let plan = env.expect(&["plan", "--detailed-exitcode"], 2);
    golden("revert_failed_update__plan", &env.golden(&plan));
    env.expect(APPLY, 0);
    let support = env.channel("Support_FR");
    assert!(support["failed_update"].is_null(), "{support:#}");
    assert_eq!(support["status"], "active");
    assert_eq!(support["version"], 1);
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn credentials_failing_verification_record_nothing_and_skip_their_configurations() {
    let text = base().replace(
        "phone_number: \"15550100001\"",
        &format!("phone_number: \"{LATE_NUMBER}\""),
    );
    let env = Env::new(&text);
    let apply = env.expect(APPLY, 1);
    golden("credentials_fail__apply", &env.golden_sorted(&apply));
    let state = env.state_doc();
    let recorded: Vec<String> = state
        .map(|d| d.resources.keys().cloned().collect())
        .unwrap_or_default();
    assert!(
        !recorded.iter().any(|k| k == "credentials.acme_fr"),
        "{recorded:?}"
    );
    assert!(
        !recorded
            .iter()
            .any(|k| k == "channel_configuration.Support_FR"),
        "{recorded:?}"
    );
}

#[test]
fn target_limits_the_plan_to_one_configuration_and_its_dependencies() {
    let env = Env::new(&base());
    let plan = env.expect(&["plan", "--target", "channel_configuration.Support_FR"], 0);
    golden("target__plan", &env.golden(&plan));
    env.expect(
        &[
            "apply",
            "--auto-approve",
            "--target",
            "channel_configuration.Support_FR",
        ],
        0,
    );
    assert_eq!(env.channel("Support_FR")["status"], "active");
    assert!(env.channel("Marketing_FR").is_null());
    env.expect(&["plan", "--detailed-exitcode"], 2);
}

#[test]
fn token_expiring_within_14_days_warns() {
    let env = Env::new(&base());
    let soon = time::OffsetDateTime::now_utc() + time::Duration::days(5) + time::Duration::hours(1);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    env.sim.mutate(|w| {
        let t = w.tokens.iter_mut().find(|t| t.value == TOKEN).unwrap();
        t.expires_at = Some(soon);
    });
    let plan = env.expect(&["plan"], 0);
    let text = env.golden(&plan);
    let warning = text
        .split("\n\n")
        .find(|block| block.contains("expires"))
        .unwrap_or_else(|| panic!("no expiry warning in\n{text}"))
        .split("\n--- stderr")
        .next()
        .unwrap();
    golden("token_expiring__warning", warning);
}

#[test]
fn deactivating_with_an_edit_records_the_edit_and_converges() {
    let env = Env::new(&base());
    env.expect(APPLY, 0);
    let retired = replacing("Support_FR", |mut c| {
        c.status = "deactivated";
        c.description("Retired")
    });
    env.write_config(&config(&retired, None));
    env.expect(APPLY, 0);
    let support = env.channel("Support_FR");
    assert_eq!(support["status"], "deactivated");
    assert_eq!(support["spec"]["description"], "Retired");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn created_as_deactivated_becomes_a_draft_and_the_next_plan_is_empty() {
    let asked = replacing("Support_FR", |mut c| {
        c.status = "deactivated";
        c
    });
    let env = Env::new(&config(&asked, None));
    env.expect(APPLY, 0);
    assert_eq!(env.channel("Support_FR")["status"], "draft");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}
