//! Message templates end to end against the simulator's review: create in two languages and
//! see Meta's decision, a rejection with its reason, edits within and beyond Meta's quota, a
//! rename as a replace, a delete with the 30-day lock, a pause seen as drift, and a create
//! whose answer is lost (read back, never sent twice).

use wacfg_sim::{Faults, InjectedError};

use crate::harness::{Env, world};

const WABA: &str = "102290129340398";
const ADDR: &str = "message_template.order_update";

fn file(name: &str, body_en: &str, with_fr: bool) -> String {
    let mut s = format!(
        "version: 1\n\
         credentials:\n  \
         - name: acme_fr\n    \
           token: env:WHATSAPP_TOKEN_ACME_FR\n    \
           business_id: \"1234567890123456\"\n    \
           whatsapp_business_account: \"{WABA}\"\n    \
           phone_number: \"15550100001\"\n\
         message_templates:\n  \
         - name: {name}\n    \
           credentials: acme_fr\n    \
           category: UTILITY\n    \
           languages:\n      \
             en_US:\n        \
               body: {{text: \"{body_en}\", example: [\"Ana\", \"#1234\"]}}\n"
    );
    if with_fr {
        s += "      fr_FR:\n        \
              body: {text: \"Bonjour {{1}}, votre commande {{2}} part aujourd'hui.\", example: [\"Ana\", \"#1234\"]}\n";
    }
    s
}

const BODY: &str = "Hi {{1}}, your order {{2}} ships today.";
const EDITED: &str = "Hello {{1}}, your order {{2}} ships this morning.";

fn state_template(env: &Env, name: &str) -> serde_json::Value {
    env.state()["resources"][format!("message_template.{name}")].clone()
}

/// The hsm_id state records for order_update's en_US.
fn en_us_id(env: &Env) -> String {
    state_template(env, "order_update")["languages"]["en_US"]["id"]
        .as_str()
        .expect("en_US recorded with its id")
        .to_string()
}

/// Created in two languages and applied; Meta (no review delay) approves them.
fn created() -> Env {
    let env = Env::new(&file("order_update", BODY, true));
    env.expect(&["apply", "--auto-approve"], 0);
    env
}

#[test]
fn create_in_two_languages_then_the_next_plan_shows_metas_decision() {
    let env = Env::new(&file("order_update", BODY, true));
    let plan = env.expect(&["plan"], 0);
    assert!(plan.stdout.contains(ADDR), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("en_US submitted for review; fr_FR submitted for review"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 2);
    let t = state_template(&env, "order_update");
    let langs = t["languages"].as_object().expect("languages recorded");
    assert_eq!(langs.len(), 2);
    assert!(
        langs
            .values()
            .all(|l| !l["id"].as_str().unwrap().is_empty())
    );
    // Meta decided: the next plan writes nothing and says so as drift.
    let next = env.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(next.stdout.contains("APPROVED by Meta"), "{}", next.stdout);
}

#[test]
fn a_rejection_shows_metas_reason_and_a_hint() {
    let env = Env::new(&file("order_update", BODY, false));
    env.control(
        "template_review",
        r#"{"delay_ms": 0, "reject": [{"body_contains": "ships today", "reason": "INVALID_FORMAT"}]}"#,
    );
    env.expect(&["apply", "--auto-approve"], 0);
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains("REJECTED by Meta (INVALID_FORMAT)")
            && plan.stdout.contains("check placeholders, examples"),
        "{}",
        plan.stdout
    );
    // A REJECTED template is edited without spending any quota.
    env.write_config(&file("order_update", EDITED, false));
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains("no quota: not APPROVED"),
        "{}",
        plan.stdout
    );
}

#[test]
fn an_approved_edit_spends_the_quota_and_a_second_one_the_same_day_is_refused() {
    let env = created();
    env.write_config(&file("order_update", EDITED, true));
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains(
            "en_US edited (APPROVED: spends the 24-hour edit and 1 of 10 edits in 30 days)"
        ),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_template"), 1);
    let t = state_template(&env, "order_update");
    assert_eq!(
        t["languages"]["en_US"]["edits"].as_array().unwrap().len(),
        1
    );
    // Applying the same file again sends nothing: an edit that changes nothing is never sent.
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_template"), 1);
    // Meta approved the edit; another edit today is beyond the quota.
    env.write_config(&file("order_update", BODY, true));
    let refused = env.expect(&["plan"], 1);
    let all = format!("{}{}", refused.stdout, refused.stderr);
    assert!(all.contains("per 24 hours"), "{all}");
}

#[test]
fn a_rename_deletes_the_old_name_by_id_with_the_lock_and_creates_the_new_one() {
    let env = created();
    env.write_config(&file("order_status", BODY, true));
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains("message_template.order_status"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("en_US deleted by its id (APPROVED: Meta locks the name for 30 days)"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("DELETE message_templates"), 2);
    // Every deletion named the language's id, never the bare name.
    let deletes: Vec<String> = env
        .sim
        .requests()
        .into_iter()
        .map(|r| format!("{r:?}"))
        .filter(|r| r.contains("DELETE"))
        .collect();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert!(deletes.iter().all(|r| r.contains("hsm_id=")), "{deletes:?}");
    assert_eq!(
        state_template(&env, "order_update"),
        serde_json::Value::Null
    );
    assert_eq!(
        state_template(&env, "order_status")["languages"]
            .as_object()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_pause_by_meta_is_drift_and_never_fixed() {
    let env = created();
    let id = en_us_id(&env);
    env.control(&format!("templates/{id}"), r#"{"status": "PAUSED"}"#);
    let plan = env.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(plan.stdout.contains("PAUSED by Meta"), "{}", plan.stdout);
    assert_eq!(env.sim.stats().route_count("POST message_template"), 0);
}

#[test]
fn a_create_whose_answer_is_lost_is_read_back_and_not_sent_twice() {
    let faults = Faults {
        fail_after_write: vec![InjectedError::code(2)],
        ..Faults::default()
    };
    let env = Env::with(world(), faults, &file("order_update", BODY, false));
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 1);
    let t = state_template(&env, "order_update");
    assert!(!t["languages"]["en_US"]["id"].as_str().unwrap().is_empty());
    env.expect(&["plan", "--detailed-exitcode"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 1);
}

#[test]
fn refresh_only_records_metas_decisions_and_drift_then_exits_0() {
    let env = created();
    let before = env.run(&["drift"]);
    assert_eq!(before.code, Some(2), "{before:#?}");
    assert!(
        before.stdout.contains("APPROVED by Meta"),
        "{}",
        before.stdout
    );
    let id = en_us_id(&env);
    env.control(&format!("templates/{id}"), r#"{"status": "PAUSED"}"#);
    env.expect(&["apply", "--refresh-only", "--auto-approve"], 0);
    let langs = &state_template(&env, "order_update")["languages"];
    assert_eq!(langs["en_US"]["status"], "PAUSED");
    assert_eq!(langs["fr_FR"]["status"], "APPROVED");
    env.expect(&["drift"], 0);
    // Nothing was sent to Meta to get there.
    assert_eq!(env.sim.stats().route_count("POST message_template"), 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 2);
}

#[test]
fn refresh_only_does_not_accept_what_only_the_file_can_settle() {
    let env = created();
    env.expect(&["apply", "--refresh-only", "--auto-approve"], 0);
    let id = en_us_id(&env);
    env.control(&format!("templates/{id}"), r#"{"category": "MARKETING"}"#);
    let plan = env.expect(&["plan", "--refresh-only"], 0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("re-categorised by Meta to MARKETING")
            && plan.stdout.contains("refresh cannot record this"),
        "{}",
        plan.stdout
    );
    assert_eq!(env.run(&["drift"]).code, Some(2));
}
