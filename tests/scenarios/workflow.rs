//! The day-to-day workflow (issue 13): renames by `moved:` and by `wacfg state mv` that keep a
//! configuration's history, `wacfg import` of what already exists, drift accepted with
//! `--refresh-only`, and a failed configuration left alone until something it depends on
//! changes (or `--retry-failed`).

use crate::config::{active, base, config, without};
use crate::golden;
use crate::harness::Env;

const APPLY: &[&str] = &["apply", "--auto-approve"];

fn applied() -> Env {
    let env = Env::new(&base());
    env.expect(APPLY, 0);
    env
}

/// The base configuration with Support_FR declared as `new_name` (with `description`), and
/// optionally a `moved:` entry from the old name.
fn renamed(new_name: &str, description: &str, moved: bool) -> String {
    let mut channels = without("Support_FR");
    channels.push(active(new_name, description, "15550100002"));
    let mut text = config(&channels, None);
    if moved {
        text += &format!(
            "moved:\n  - from: channel_configuration.Support_FR\n    to: channel_configuration.{new_name}\n"
        );
    }
    text
}

fn plan_json(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["plan", "--format", "json"];
    all.extend_from_slice(args);
    let out = env.expect(&all, 0);
    serde_json::from_str(&out.stdout).expect("plan JSON")
}

fn change_of(plan: &serde_json::Value, address: &str) -> serde_json::Value {
    plan["resource_changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["address"] == address)
        .cloned()
        .unwrap_or_else(|| panic!("no change for {address} in {plan:#}"))
}

#[test]
fn moved_renames_keeping_history_and_version_without_checks() {
    let env = applied();
    let before = env.channel("Support_FR");
    env.write_config(&renamed("Support_France", "Service messages", true));
    let plan = env.expect(&["plan", "--detailed-exitcode"], 2);
    golden("moved__plan", &env.golden(&plan));
    let json = plan_json(&env, &[]);
    let change = change_of(&json, "channel_configuration.Support_France");
    assert_eq!(change["action"], "move", "{change:#}");
    assert_eq!(change["moved_from"], "channel_configuration.Support_FR");
    assert_eq!(change["checks"], serde_json::json!([]), "no new checks");
    assert_eq!(json["summary"]["move"], 1);
    assert_eq!(json["summary"]["create"], 0);
    assert_eq!(json["summary"]["deactivate"], 0);
    let md = env.expect(&["plan", "--format", "markdown"], 0);
    assert!(
        md.stdout.contains(
            "<code>-&gt;</code> <code>channel_configuration.Support_France</code> has moved"
        ),
        "{md:#?}"
    );
    assert!(md.stdout.contains("| move | 1 |"), "{md:#?}");
    // A saved plan is re-derived at apply, the move included.
    env.expect(&["plan", "-o", "plan.json"], 0);
    let apply = env.expect(&["apply", "plan.json"], 0);
    assert!(apply.stdout.contains("1 moved"), "{apply:#?}");
    let after = env.channel("Support_France");
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["checks"], before["checks"], "history kept");
    assert_eq!(after["name"], "Support_France");
    assert!(
        env.channel("Support_FR").is_null(),
        "the old address is gone"
    );
    env.expect(&["plan", "--detailed-exitcode"], 0);
    env.expect(&["drift"], 0);
}

#[test]
fn moved_with_an_edit_is_one_update_that_runs_its_checks() {
    let env = applied();
    env.write_config(&renamed("Support_France", "Service and orders", true));
    let json = plan_json(&env, &[]);
    let change = change_of(&json, "channel_configuration.Support_France");
    assert_eq!(change["action"], "update", "{change:#}");
    assert_eq!(change["moved_from"], "channel_configuration.Support_FR");
    assert!(
        change["reason"]
            .as_str()
            .unwrap()
            .starts_with("moved from channel_configuration.Support_FR; description changed"),
        "{change:#}"
    );
    assert_eq!(json["resource_changes"].as_array().unwrap().len(), 4);
    env.expect(APPLY, 0);
    let after = env.channel("Support_France");
    assert_eq!(after["spec"]["description"], "Service and orders");
    assert_eq!(after["version"], 1, "a description edit keeps the version");
    assert!(env.channel("Support_FR").is_null());
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn moved_to_an_undeclared_target_is_a_located_error() {
    let env = applied();
    let mut text = base();
    text += "moved:\n  - from: channel_configuration.Support_FR\n    to: channel_configuration.Nowhere\n";
    env.write_config(&text);
    let r = env.expect(&["validate"], 1);
    assert!(
        r.stdout.contains("wacfg.yaml:") || r.stderr.contains("wacfg.yaml:"),
        "located: {r:#?}"
    );
    assert!(
        format!("{}{}", r.stdout, r.stderr)
            .contains("`moved` target channel_configuration.Nowhere is not declared"),
        "{r:#?}"
    );
    env.expect(&["plan"], 1);
}

#[test]
fn state_mv_renames_the_record_and_the_renamed_file_plans_nothing() {
    let env = applied();
    let serial = env.serial();
    let before = env.channel("Support_FR");
    let mv = env.expect(
        &[
            "state",
            "mv",
            "channel_configuration.Support_FR",
            "channel_configuration.Support_France",
        ],
        0,
    );
    golden("state_mv", &env.golden(&mv));
    assert_eq!(env.serial(), serial + 1);
    let after = env.channel("Support_France");
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["checks"], before["checks"]);
    env.write_config(&renamed("Support_France", "Service messages", false));
    env.expect(&["plan", "--detailed-exitcode"], 0);
    // Refusals: the target exists, another kind, the source is missing.
    let taken = env.expect(
        &[
            "state",
            "mv",
            "channel_configuration.Support_France",
            "channel_configuration.Marketing_FR",
        ],
        1,
    );
    assert!(taken.stderr.contains("already in the state"), "{taken:#?}");
    let kind = env.expect(
        &[
            "state",
            "mv",
            "channel_configuration.Support_France",
            "credentials.Support_France",
        ],
        1,
    );
    assert!(kind.stderr.contains("cannot change kind"), "{kind:#?}");
    env.expect(
        &[
            "state",
            "mv",
            "channel_configuration.Gone",
            "channel_configuration.Here",
        ],
        1,
    );
    assert_eq!(env.serial(), serial + 1, "refusals write nothing");
}

#[test]
fn import_records_declared_objects_once_and_plans_call_credentials_imports() {
    let env = Env::new(&base());
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains("credentials.acme_fr will be imported"),
        "{plan:#?}"
    );
    assert!(!plan.stdout.contains("credentials.acme_fr will be created"));
    // A channel configuration needs its credentials in state first.
    let early = env.expect(&["import", "channel_configuration.Marketing_FR"], 1);
    assert!(
        early
            .stderr
            .contains("import it first (`wacfg import credentials.acme_fr`)"),
        "{early:#?}"
    );
    assert!(env.state_doc().is_none(), "nothing recorded");
    let creds = env.expect(&["import", "credentials.acme_fr"], 0);
    golden("import_credentials", &env.golden(&creds));
    assert_eq!(
        env.state()["resources"]["credentials.acme_fr"]["phone_number_id"],
        "106540352242922"
    );
    let again = env.expect(&["import", "credentials.acme_fr"], 1);
    assert!(again.stderr.contains("already in the state"), "{again:#?}");
    env.expect(&["import", "channel_configuration.Marketing_FR"], 0);
    let marketing = env.channel("Marketing_FR");
    assert_eq!(marketing["status"], "active", "{marketing:#}");
    assert_eq!(marketing["version"], 1);
    let undeclared = env.expect(&["import", "channel_configuration.Nobody"], 1);
    assert!(
        undeclared.stderr.contains("is not declared"),
        "{undeclared:#?}"
    );
    // The rest is still planned; the imported ones are not.
    let json = plan_json(&env, &[]);
    assert_eq!(
        change_of(&json, "channel_configuration.Marketing_FR")["action"],
        "no-op"
    );
    assert_eq!(change_of(&json, "credentials.acme_fr")["action"], "no-op");
}

#[test]
fn import_refuses_and_records_nothing_when_a_check_would_fail() {
    let env = Env::new(&base());
    env.expect(&["import", "credentials.acme_fr"], 0);
    let serial = env.serial();
    // Support_FR's sender stops being connected at Meta.
    env.control("numbers/106540352242923", r#"{"status":"PENDING"}"#);
    let r = env.expect(&["import", "channel_configuration.Support_FR"], 1);
    assert!(r.stderr.contains("was not imported"), "{r:#?}");
    assert!(r.stderr.contains("sender_connected"), "{r:#?}");
    assert_eq!(env.serial(), serial);
}

#[test]
fn refresh_only_records_what_meta_says_and_drift_then_exits_0() {
    let env = applied();
    env.control("numbers/106540352242922", r#"{"quality_rating":"YELLOW"}"#);
    env.expect(&["drift"], 2);
    let plan = env.expect(&["plan", "--refresh-only", "--detailed-exitcode"], 2);
    golden("refresh_only__plan", &env.golden(&plan));
    let json = plan_json(&env, &["--refresh-only"]);
    let changes = json["resource_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "only refresh changes: {json:#}");
    assert_eq!(changes[0]["action"], "refresh");
    assert_eq!(changes[0]["after"]["quality_rating"], "YELLOW");
    assert_eq!(json["options"]["refresh_only"], true);
    // Saved, then applied: re-derived with the same option.
    env.expect(&["plan", "--refresh-only", "-o", "refresh.json"], 0);
    // Options come from the saved plan: one given only to apply is refused, not ignored.
    let other = env.expect(&["apply", "refresh.json", "--retry-failed"], 1);
    assert!(
        other.stderr.contains("read from a saved plan"),
        "{other:#?}"
    );
    let apply = env.expect(&["apply", "refresh.json"], 0);
    assert!(apply.stdout.contains("1 refreshed"), "{apply:#?}");
    assert_eq!(
        env.state()["resources"]["credentials.acme_fr"]["quality_rating"],
        "YELLOW"
    );
    env.expect(&["drift"], 0);
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn drift_that_refresh_cannot_record_is_said_and_kept() {
    let env = applied();
    env.control("numbers/106540352242923/remove", "");
    let plan = env.expect(&["plan", "--refresh-only"], 0);
    assert!(
        plan.stdout.contains("refresh cannot record this"),
        "{plan:#?}"
    );
    env.expect(&["apply", "--refresh-only", "--auto-approve"], 0);
    env.expect(&["drift"], 2);
}
