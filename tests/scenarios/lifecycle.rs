//! The channel configuration lifecycle end to end: create, empty re-plan, edits, sender
//! changes that pass and fail, removals, rename.

use crate::config::{self, active, base, config, replacing, without};
use crate::golden;
use crate::harness::Env;

const APPLY: &[&str] = &["apply", "--auto-approve"];

/// An environment with the base configuration applied.
fn applied() -> Env {
    let env = Env::new(&base());
    env.expect(APPLY, 0);
    env
}

#[test]
fn create_from_empty_plans_then_applies_every_resource() {
    let env = Env::new(&base());
    let plan = env.expect(&["plan"], 0);
    golden("create_from_empty__plan", &env.golden(&plan));
    let apply = env.expect(APPLY, 0);
    golden("create_from_empty__apply", &env.golden_sorted(&apply));
    assert_eq!(env.channel("Marketing_FR")["status"], "active");
    assert_eq!(
        env.channel("Marketing_FR")["phone_number_id"],
        "106540352242922"
    );
    assert_eq!(env.channel("Support_FR")["status"], "active");
    assert_eq!(env.channel("Spring_Sale")["status"], "draft");
    let creds = &env.state()["resources"]["credentials.acme_fr"];
    assert_eq!(creds["phone_number_id"], "106540352242922");
    assert_eq!(creds["quality_rating"], "GREEN");
}

#[test]
fn replan_detailed_exitcode_is_2_with_changes_and_0_once_applied() {
    let env = Env::new(&base());
    let before = env.expect(&["plan", "--detailed-exitcode"], 2);
    assert!(
        before.stdout.contains("Plan: 3 to create, 1 to import"),
        "{before:#?}"
    );
    env.expect(APPLY, 0);
    let after = env.expect(&["plan", "--detailed-exitcode"], 0);
    golden("replan_empty", &env.golden(&after));
    let serial = env.serial();
    env.expect(APPLY, 0);
    assert_eq!(env.serial(), serial, "an empty apply writes nothing");
}

#[test]
fn description_only_edit_is_instant_and_runs_no_checks() {
    let env = applied();
    env.write_config(&config(
        &replacing("Support_FR", |c| c.description("Service and order updates")),
        None,
    ));
    let plan = env.expect(&["plan", "--detailed-exitcode"], 2);
    golden("description_only_edit__plan", &env.golden(&plan));
    env.expect(&["plan", "-o", "plan.json"], 0);
    let saved = std::fs::read_to_string(env.path("plan.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let change = &json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "channel_configuration.Support_FR")
        .expect("a change for Support_FR")
        .clone();
    assert_eq!(change["action"], "update");
    assert_eq!(change["checks"], serde_json::json!([]), "{change:#}");
    let requests_before = env.sim.stats().http_requests;
    env.expect(APPLY, 0);
    let support = env.channel("Support_FR");
    assert_eq!(support["spec"]["description"], "Service and order updates");
    assert_eq!(
        support["version"], 1,
        "a description edit is not a new version"
    );
    assert_eq!(support["status"], "active");
    // The apply read Meta once for the plan (debug_token + business) and never the number.
    let requests = env.sim.stats().http_requests - requests_before;
    assert!(requests <= 2, "{requests} requests for a description edit");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn sender_change_that_passes_becomes_the_active_version() {
    let env = applied();
    env.write_config(&config(
        &replacing("Support_FR", |c| c.sender("15550100001")),
        None,
    ));
    let plan = env.expect(&["plan"], 0);
    golden("sender_change_passes__plan", &env.golden(&plan));
    let apply = env.expect(APPLY, 0);
    golden("sender_change_passes__apply", &env.golden_sorted(&apply));
    let support = env.channel("Support_FR");
    assert_eq!(support["status"], "active");
    assert_eq!(support["version"], 2);
    assert_eq!(support["spec"]["sender_number"], "15550100001");
    assert_eq!(support["phone_number_id"], "106540352242922");
    assert!(support["failed_update"].is_null(), "{support:#}");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn sender_outside_the_waba_fails_and_keeps_the_previous_version_active() {
    let env = applied();
    // Globex's number: it exists at Meta but not in the credentials' WABA.
    env.write_config(&config(
        &replacing("Support_FR", |c| c.sender("15550200001")),
        None,
    ));
    let plan = env.expect(&["plan"], 0);
    golden("sender_outside_waba__plan", &env.golden(&plan));
    let apply = env.expect(APPLY, 1);
    golden("sender_outside_waba__apply", &env.golden_sorted(&apply));
    let support = env.channel("Support_FR");
    assert_eq!(support["status"], "active", "{support:#}");
    assert_eq!(support["version"], 1);
    assert_eq!(support["spec"]["sender_number"], "15550100002");
    assert_eq!(support["phone_number_id"], "106540352242923");
    let failed = &support["failed_update"];
    assert_eq!(failed["version"], 2, "{support:#}");
    assert_eq!(failed["spec"]["sender_number"], "15550200001");
    let reasons = failed["reasons"].to_string();
    assert!(reasons.contains("15550200001"), "{reasons}");
    // The file still asks for the new sender, but nothing the failed update depends on
    // changed: it is not tried again unless asked.
    let replan = env.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(
        replan.stdout.contains("version 1 stays active"),
        "{replan:#?}"
    );
    env.expect(&["plan", "--retry-failed", "--detailed-exitcode"], 2);
}

#[test]
fn removing_an_active_configuration_deactivates_it() {
    let env = applied();
    env.write_config(&config(&without("Support_FR"), None));
    let plan = env.expect(&["plan"], 0);
    golden("remove_active__plan", &env.golden(&plan));
    let apply = env.expect(APPLY, 0);
    golden("remove_active__apply", &env.golden_sorted(&apply));
    assert_eq!(env.channel("Support_FR")["status"], "deactivated");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn removing_a_draft_deletes_it() {
    let env = applied();
    env.write_config(&config(&without("Spring_Sale"), None));
    let plan = env.expect(&["plan"], 0);
    golden("remove_draft__plan", &env.golden(&plan));
    env.expect(APPLY, 0);
    assert!(env.channel("Spring_Sale").is_null(), "{:#}", env.state());
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn rename_creates_the_new_configuration_and_deactivates_the_old() {
    let env = applied();
    let mut channels = without("Support_FR");
    channels.push(active("Support_France", "Service messages", "15550100002"));
    env.write_config(&config(&channels, None));
    let plan = env.expect(&["plan"], 0);
    golden("rename__plan", &env.golden(&plan));
    env.expect(APPLY, 0);
    assert_eq!(env.channel("Support_France")["status"], "active");
    assert_eq!(env.channel("Support_FR")["status"], "deactivated");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn base_config_is_what_the_builder_says() {
    // Guards the builder the other scenarios rely on: it must validate.
    let env = Env::new(&config::base());
    let r = env.expect(&["validate"], 0);
    assert!(
        r.stdout
            .contains("1 credentials entry, 3 channel configurations"),
        "{r:#?}"
    );
}

#[test]
fn apply_json_output_is_one_document() {
    let env = Env::new(&base());
    let r = env.expect(&["apply", "--auto-approve", "--format", "json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", r.stdout));
    assert_eq!(doc["complete"], true, "{doc:#}");
    assert_eq!(doc["summary"]["created"], 3, "{doc:#}");
    assert_eq!(
        doc["summary"]["imported"], 1,
        "credentials are imported: {doc:#}"
    );
    // Nothing to do: the (empty) plan is the document.
    let r = env.expect(&["apply", "--auto-approve", "--format", "json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", r.stdout));
    assert_eq!(doc["summary"]["create"], 0, "{doc:#}");
}
