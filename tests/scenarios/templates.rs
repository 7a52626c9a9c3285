//! Message templates end to end against the simulator's review: create in two languages and
//! see Meta's decision, a rejection with its reason, edits within and beyond Meta's quota, a
//! rename as a replace, a delete with the 30-day lock, a pause seen as drift, a create whose
//! answer is lost (read back, never sent twice), and a crash (kill -9) between Meta's create
//! and its record (the next apply adopts it, never a duplicate).

use std::time::Duration;

use wacfg_sim::{Faults, InjectedError};

use crate::harness::{Env, finish, signal, wait_until, world};

const WABA: &str = "102290129340398";
const ADDR: &str = "message_template.order_update";

/// The file up to its templates: the credentials every template here names.
fn head() -> String {
    format!(
        "version: 1\n\
         credentials:\n  \
         - name: acme_fr\n    \
           token: env:WHATSAPP_TOKEN_ACME_FR\n    \
           business_id: \"1234567890123456\"\n    \
           whatsapp_business_account: \"{WABA}\"\n    \
           phone_number: \"15550100001\"\n\
         message_templates:\n"
    )
}

fn file(name: &str, body_en: &str, with_fr: bool) -> String {
    let mut s = head();
    s += &format!(
        "  - name: {name}\n    \
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

/// Every template of the WABA gone from the file: only the state names the WABA, so apply
/// reads its templates once the state is read (after the read of what the file names, which
/// it makes while the state is being read) and deletes them by id.
#[test]
fn templates_only_the_state_names_are_read_and_deleted() {
    let env = created();
    let without = file("order_update", BODY, true);
    let without = &without[..without.find("message_templates:").expect("templates")];
    env.write_config(without);
    let plan = env.expect(&["plan"], 0);
    assert!(plan.stdout.contains(ADDR), "{}", plan.stdout);
    let before = env.sim.requests().len();
    env.expect(&["apply", "--auto-approve"], 0);
    let reads: Vec<String> = env.sim.requests()[before..]
        .iter()
        .map(|r| format!("{r:?}"))
        .filter(|r| r.contains("message_templates") && !r.contains("DELETE"))
        .collect();
    assert_eq!(reads.len(), 1, "the WABA's templates read once: {reads:#?}");
    assert!(
        reads[0].contains(&format!("{WABA}/message_templates")),
        "{reads:#?}"
    );
    assert_eq!(env.sim.stats().route_count("DELETE message_templates"), 2);
    assert_eq!(
        state_template(&env, "order_update"),
        serde_json::Value::Null
    );
    env.expect(&["plan", "--detailed-exitcode"], 0);
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

/// The languages Meta has for `name` in the WABA, with their ids.
fn at_meta(env: &Env, name: &str) -> Vec<(String, String)> {
    let world = env.sim.world();
    let mut found: Vec<(String, String)> = world
        .wabas()
        .filter(|w| w.id == WABA)
        .flat_map(|w| w.message_templates.iter())
        .filter(|t| t.name == name)
        .map(|t| (t.language.clone(), t.id.clone()))
        .collect();
    found.sort();
    found
}

/// A recorded template as the store reads it (journal included), as JSON.
fn recorded(env: &Env, name: &str) -> serde_json::Value {
    let doc = env.state_doc().expect("a state was written");
    serde_json::to_value(&doc.resources[&format!("message_template.{name}")]).expect("JSON")
}

#[test]
fn a_crash_between_metas_create_and_the_record_is_adopted_by_the_next_apply_never_created_twice() {
    // Meta applies the first create and holds its answer: wacfg is killed while it waits.
    let faults = Faults {
        hang_after_write: 1,
        ..Faults::default()
    };
    let env = Env::with(world(), faults, &file("order_update", BODY, true));
    let child = env.spawn(&["apply", "--auto-approve"]);
    wait_until(
        Duration::from_secs(30),
        "Meta to accept the first create",
        || !at_meta(&env, "order_update").is_empty(),
    );
    signal(&child, "-KILL");
    let run = finish(child);
    assert_eq!(run.code, None, "killed by a signal: {run:#?}");
    let meta = at_meta(&env, "order_update");
    assert_eq!(meta.len(), 1, "{meta:?}");
    let (language, id) = meta[0].clone();
    assert_eq!(language, "en_US");
    // The intent was durable before the create was sent; the id never reached the state.
    let t = recorded(&env, "order_update");
    assert_eq!(t["languages"]["en_US"]["status"], "SUBMITTING", "{t:#}");
    assert_eq!(t["languages"]["en_US"]["id"], "", "{t:#}");
    assert!(t["languages"].get("fr_FR").is_none(), "{t:#}");

    // The next plan reads Meta: en_US is adopted, fr_FR (never sent) is submitted.
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains(&format!(
            "en_US was submitted but not recorded: Meta has it (id {id}), recorded without sending again; fr_FR submitted for review"
        )),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    // The rerun sent one create, fr_FR's (the killed run's create, never answered, is not
    // counted by the simulator): en_US was not sent again.
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 1);
    let meta = at_meta(&env, "order_update");
    let languages: Vec<&str> = meta.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(languages, ["en_US", "fr_FR"], "no duplicate at Meta");
    let t = recorded(&env, "order_update");
    assert_eq!(t["languages"]["en_US"]["id"], id.as_str(), "{t:#}");
    assert_eq!(t["languages"]["fr_FR"]["id"], meta[1].1.as_str(), "{t:#}");
    env.expect(&["plan", "--detailed-exitcode"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 1);
    assert_eq!(at_meta(&env, "order_update").len(), 2);
}

#[test]
fn apply_wait_polls_until_meta_approves_and_records_the_decision() {
    let env = Env::new(&file("order_update", BODY, true));
    let run = env.expect(&["apply", "--auto-approve", "--wait"], 0);
    assert!(
        run.stderr
            .contains("Waiting for Meta's review of 1 resource"),
        "{run:#?}"
    );
    assert!(
        run.stderr
            .contains("message_template.order_update: Review complete after")
            && run.stderr.contains("[status=APPROVED]"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("Apply complete!"), "{run:#?}");
    let t = recorded(&env, "order_update");
    for code in ["en_US", "fr_FR"] {
        assert_eq!(t["languages"][code]["status"], "APPROVED", "{t:#}");
    }
    // The decision is in state: the next plan has nothing to report, not even drift.
    let plan = env.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(!plan.stdout.contains("APPROVED by Meta"), "{}", plan.stdout);
    env.expect(&["drift"], 0);
    // Waiting only reads: one create per language, no edit.
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 2);
    assert_eq!(env.sim.stats().route_count("POST message_template"), 0);
}

#[test]
fn apply_wait_fails_on_a_rejection_with_metas_reason_and_records_it() {
    let env = Env::new(&file("order_update", BODY, false));
    env.control(
        "template_review",
        r#"{"delay_ms": 0, "reject": [{"body_contains": "ships today", "reason": "INVALID_FORMAT"}]}"#,
    );
    let run = env.expect(&["apply", "--auto-approve", "--wait"], 1);
    assert!(
        run.stderr
            .contains("message_template.order_update: Rejected by Meta after")
            && run
                .stderr
                .contains("en_US REJECTED by Meta (INVALID_FORMAT): check placeholders"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("Apply failed"), "{run:#?}");
    assert!(
        run.stdout.contains("(status: REJECTED)") && run.stdout.contains("INVALID_FORMAT"),
        "{run:#?}"
    );
    let t = recorded(&env, "order_update");
    assert_eq!(t["languages"]["en_US"]["status"], "REJECTED", "{t:#}");
    assert_eq!(
        t["languages"]["en_US"]["rejected_reason"], "INVALID_FORMAT",
        "{t:#}"
    );
}

#[test]
fn apply_wait_that_ends_before_metas_decision_lists_what_is_in_review_and_succeeds() {
    let env = Env::new(&file("order_update", BODY, true));
    env.control("template_review", r#"{"delay_ms": 3600000}"#);
    let run = env.expect(&["apply", "--auto-approve", "--wait=1s"], 0);
    assert!(
        run.stderr
            .contains("message_template.order_update: Still in review… (en_US, fr_FR)"),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("Apply complete!")
            && run.stdout.contains(
                "Still in Meta's review when the wait ended (--wait=1s ended): 1 resource (not a failure):"
            )
            && run
                .stdout
                .contains("  message_template.order_update: en_US, fr_FR"),
        "{run:#?}"
    );
    let t = recorded(&env, "order_update");
    assert_eq!(t["languages"]["en_US"]["status"], "PENDING", "{t:#}");
    let bad = env.expect(&["apply", "--auto-approve", "--wait=soon"], 1);
    assert!(bad.stderr.contains("--wait"), "{bad:#?}");
}

#[test]
fn apply_wait_in_json_names_what_is_still_in_review() {
    let env = Env::new(&file("order_update", BODY, false));
    env.control("template_review", r#"{"delay_ms": 3600000}"#);
    let run = env.expect(
        &["apply", "--auto-approve", "--wait=1s", "--format", "json"],
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["complete"], true, "{doc:#}");
    assert_eq!(doc["review"]["ended"], "--wait=1s ended", "{doc:#}");
    assert_eq!(
        doc["review"]["in_review"],
        serde_json::json!([{"address": "message_template.order_update", "pending": ["en_US"]}]),
        "{doc:#}"
    );
}

/// `n` templates of one language each, `t000`… in address order.
fn many(n: usize) -> String {
    let mut s = file("t000", BODY, false);
    for i in 1..n {
        s += &format!(
            "  - name: t{i:03}\n    \
               credentials: acme_fr\n    \
               category: UTILITY\n    \
               languages:\n      \
                 en_US:\n        \
                   body: {{text: \"{BODY}\", example: [\"Ana\", \"#1234\"]}}\n"
        );
    }
    s
}

#[test]
fn the_plan_paces_creations_to_metas_hourly_limit_and_apply_never_sends_beyond_it() {
    // 101 creations in one WABA: Meta allows 100 per hour.
    let env = Env::new(&many(101));
    let plan = env.expect(&["plan"], 0);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        all.contains("wacfg::template::creation_rate")
            && all.contains(&format!(
                "WABA {WABA} has 100 of Meta's 100 template creations per hour left, and this plan needs more: from message template `t100` on"
            )),
        "{all}"
    );
    assert!(
        plan.stdout
            .contains("en_US waits for Meta's limit of 100 creations per hour (apply again an hour after the creations this apply makes)")
            && plan
                .stdout
                .contains(r#"+ creations_waiting         = ["en_US"]"#),
        "{}",
        plan.stdout
    );
    // Targeted alone, t100 is the only creation: nothing waits.
    let one = env.expect(&["plan", "--target", "message_template.t100"], 0);
    assert!(
        one.stdout.contains("en_US submitted for review")
            && !format!("{}{}", one.stdout, one.stderr).contains("creation_rate"),
        "{one:#?}"
    );
    // Apply sends the 100 the hour allows and reports the last as not attempted (exit 1).
    // Through a saved plan: re-derived at apply, it is the same plan (its words do not move
    // with the clock), so it is applied, not refused.
    env.expect(&["plan", "-o", "plan.json"], 0);
    let run = env.expect(&["apply", "plan.json"], 1);
    assert!(!run.stderr.contains("refusing"), "{run:#?}");
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 100);
    assert!(
        run.stdout.contains(&format!(
            "message_template.t100: create: not attempted: en_US not submitted: Meta allows 100 template creations per hour in WABA {WABA} and this hour's are spent; apply again an hour after the creations this apply makes"
        )),
        "{run:#?}"
    );
    let doc = env.state_doc().expect("state");
    assert!(doc.resources.contains_key("message_template.t099"));
    assert!(!doc.resources.contains_key("message_template.t100"));
    // The next run counts the hour's creations from state: t100 still waits, nothing is sent.
    let plan = env.expect(&["plan"], 0);
    assert!(
        format!("{}{}", plan.stdout, plan.stderr).contains(&format!(
            "WABA {WABA} has 0 of Meta's 100 template creations per hour left"
        )) && plan.stdout.contains("(apply again after 2"),
        "{plan:#?}"
    );
    let run = env.expect(&["apply", "--auto-approve"], 1);
    assert!(
        run.stdout
            .contains("this hour's are spent; apply again after 2"),
        "{run:#?}"
    );
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 100);
}

#[test]
fn metas_creation_rate_error_stops_further_creates_for_the_waba() {
    // Meta counts 99 creations this hour made elsewhere (state knows none of them).
    let env = Env::new(&many(3));
    env.sim.mutate(|w| {
        let now = w.ledger.frozen_at_ms.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64
        }) + w.ledger.clock_offset_ms;
        w.ledger.creations.insert(WABA.into(), vec![now; 99]);
    });
    // One change at a time, so which create meets the refusal is known (at a higher
    // parallelism the creates already in flight are refused by Meta the same way).
    let run = env.expect(&["apply", "--auto-approve", "--parallelism", "1"], 1);
    // t000 is the 100th; t001 is refused by Meta (nothing made); t002 is never sent.
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 2);
    assert_eq!(at_meta(&env, "t000").len(), 1);
    assert!(at_meta(&env, "t001").is_empty() && at_meta(&env, "t002").is_empty());
    for name in ["t001", "t002"] {
        assert!(
            run.stdout.contains(&format!(
                "message_template.{name}: create: not attempted: en_US not submitted: Meta allows 100"
            )),
            "{run:#?}"
        );
    }
    let doc = env.state_doc().expect("state");
    assert!(doc.resources.contains_key("message_template.t000"));
    assert!(
        !doc.resources.contains_key("message_template.t001"),
        "no intent left behind"
    );
}

/// A template whose IMAGE header's sample is the file `path` (as the YAML writes it).
fn with_image(path: &str) -> String {
    file("order_update", BODY, false).replace(
        "      en_US:\n",
        &format!("      en_US:\n        header: {{format: IMAGE, file: \"{path}\"}}\n"),
    )
}

/// The header handle Meta stored for `name` (en_US).
fn stored_handle(env: &Env, name: &str) -> String {
    let world = env.sim.world();
    let t = world
        .wabas()
        .flat_map(|w| w.message_templates.iter())
        .find(|t| t.name == name)
        .expect("the template is at Meta");
    t.components[0]["example"]["header_handle"][0]
        .as_str()
        .expect("a header handle")
        .to_string()
}

#[test]
fn a_header_file_is_uploaded_in_chunks_through_the_resumable_upload_and_its_handle_sent() {
    let env = Env::new(&with_image("media/header.png"));
    std::fs::create_dir_all(env.path("media")).unwrap();
    let png: Vec<u8> = (0..=255u8).cycle().take(1_000).collect();
    std::fs::write(env.path("media/header.png"), &png).unwrap();
    env.expect(&["validate"], 0);
    // Chunks of 300 bytes: four requests, each at the offset Meta stands at.
    let run = env
        .cmd(&["apply", "--auto-approve"])
        .env("WACFG_UPLOAD_CHUNK_BYTES", "300")
        .output()
        .expect("wacfg runs");
    assert_eq!(run.status.code(), Some(0), "{run:#?}");
    let stats = env.sim.stats();
    assert_eq!(stats.route_count("POST uploads"), 1);
    assert_eq!(stats.route_count("POST upload"), 4);
    let handle = stored_handle(&env, "order_update");
    assert!(handle.starts_with("4::"), "{handle}");
    // The state keeps the `file:` form: the next plan compares the file, not the handle.
    env.expect(&["plan", "--detailed-exitcode"], 0);
    assert_eq!(env.sim.stats().route_count("POST uploads"), 1);
}

/// The header's file is compared by content, not only by path: new bytes under the same name
/// are an edit (uploaded again, the new handle sent); the same bytes are nothing to do.
#[test]
fn a_header_file_changed_under_the_same_path_is_an_edit_that_uploads_it_again() {
    let env = Env::new(&with_image("media/header.png"));
    std::fs::create_dir_all(env.path("media")).unwrap();
    std::fs::write(env.path("media/header.png"), vec![1u8; 500]).unwrap();
    env.expect(&["apply", "--auto-approve"], 0);
    let first = stored_handle(&env, "order_update");
    // Rewritten with the same bytes: nothing to do.
    std::fs::write(env.path("media/header.png"), vec![1u8; 500]).unwrap();
    env.expect(&["plan", "--detailed-exitcode"], 0);
    std::fs::write(env.path("media/header.png"), vec![2u8; 700]).unwrap();
    let plan = env.expect(&["plan", "--detailed-exitcode"], 2);
    assert!(
        plan.stdout.contains("message_template.order_update")
            && plan.stdout.contains("en_US edited"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST uploads"), 2);
    let second = stored_handle(&env, "order_update");
    assert_ne!(first, second, "the new file's handle was sent");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

/// A header file that is gone when planning stops the plan, naming the template, the
/// language and the file (apply would fail on it after the other changes).
#[test]
fn a_missing_header_file_stops_the_plan_naming_it() {
    let env = Env::new(&with_image("media/missing.png"));
    let plan = env.expect(&["plan"], 1);
    assert!(
        plan.stderr.contains(
            "wacfg.yaml:9:5: message template `order_update` (en_US): the header file: cannot read ./media/missing.png"
        ),
        "{}",
        plan.stderr
    );
    assert_eq!(env.sim.stats().route_count("POST uploads"), 0);
}

#[test]
fn a_failed_chunk_resumes_from_the_offset_meta_reports_never_sending_a_byte_twice() {
    use wacfg::remote::upload::Upload;
    use wacfg::remote::{Client, ClientConfig, Token};
    let env = Env::new(&file("order_update", BODY, false));
    let client =
        Client::new(ClientConfig::from_parts(&env.sim.url(), None, "v23.0", 4)).expect("client");
    let token = Token::new(crate::harness::TOKEN);
    let bytes = vec![7u8; 1_000];
    let file = Upload {
        name: "header.png",
        mime: "image/png",
        bytes: &bytes,
        chunk: 600,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.block_on(async {
        let app = client.app_id(&token).await.expect("the token's app");
        let session = client
            .open_upload(&token, &app, &file)
            .await
            .expect("a session");
        // Meta stores the first chunk, then the answer is lost (a 500).
        env.sim.set_faults(Faults {
            fail_after_write: vec![InjectedError::code(131000)],
            ..Faults::default()
        });
        client.upload_bytes(&token, &session, &file).await
    });
    let handle = handle.expect("resumed to the end");
    assert!(handle.starts_with("4::"), "{handle}");
    // Two chunks sent in all: the first (stored, answer lost) and the rest from the offset
    // Meta reported (600), never the first again; one status read in between.
    assert_eq!(env.sim.stats().route_count("POST upload"), 2);
    assert_eq!(env.sim.stats().route_count("upload"), 1);
}

#[test]
fn a_header_file_outside_the_configuration_or_of_a_type_meta_refuses_is_never_read() {
    let env = Env::new(&with_image("../outside.png"));
    let outside = env.dir.path().parent().unwrap().join("outside.png");
    let _ = std::fs::write(&outside, b"not for Meta");
    // Refused before anything is planned: the plan reads each header file for its digest.
    let run = env.expect(&["apply", "--auto-approve"], 1);
    let _ = std::fs::remove_file(&outside);
    assert!(
        run.stderr
            .contains("outside the directories files may be read from")
            && run
                .stderr
                .contains("message template `order_update` (en_US)"),
        "{run:#?}"
    );
    assert_eq!(env.sim.stats().route_count("POST uploads"), 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 0);

    let env = Env::new(&with_image("media/header.gif"));
    std::fs::create_dir_all(env.path("media")).unwrap();
    std::fs::write(env.path("media/header.gif"), b"GIF89a").unwrap();
    // Refused offline, at the `file:` line.
    let run = env.expect(&["validate"], 1);
    assert!(
        run.stderr.contains("wacfg::template::media_file_type")
            && run.stderr.contains("use .jpg, .jpeg, .png")
            && run.stderr.contains("wacfg.yaml:14:39"),
        "{run:#?}"
    );
    env.expect(&["apply", "--auto-approve"], 1);
    assert_eq!(env.sim.stats().route_count("POST uploads"), 0);
}

/// An AUTHENTICATION template as Meta reads it back (its own body and footer texts, the OTP
/// button as a URL button to its OTP link) is what was sent: no drift, nothing to plan, and
/// `--refresh-only` records Meta's decisions. Before, every such template drifted forever.
#[test]
fn an_authentication_template_read_back_in_metas_own_words_is_not_drift() {
    let config = head()
        + "  - name: login_code\n    \
           credentials: acme_fr\n    \
           category: AUTHENTICATION\n    \
           languages:\n      \
             en_US:\n        \
               body: {add_security_recommendation: true}\n        \
               code_expiration_minutes: 10\n        \
               buttons:\n          \
                 - {type: OTP, otp_type: COPY_CODE}\n      \
             fr_FR:\n        \
               body: {add_security_recommendation: false}\n        \
               buttons:\n          \
                 - {type: OTP, otp_type: COPY_CODE, text: \"Copier\"}\n";
    let env = Env::new(&config);
    env.expect(&["apply", "--auto-approve"], 0);
    // Meta's read-back really is in its own words.
    let world = env.sim.world();
    let at_meta = world
        .wabas()
        .flat_map(|w| w.message_templates.iter())
        .find(|t| t.name == "login_code" && t.language == "en_US")
        .expect("at Meta")
        .components_as_read();
    assert_eq!(at_meta[2]["buttons"][0]["type"], "URL", "{at_meta:?}");
    // Meta's review decided both languages since: that is drift, their components are not.
    let drift = env.expect(&["drift"], 2);
    assert!(
        drift.stdout.contains("en_US was APPROVED by Meta") && !drift.stdout.contains("components"),
        "{}",
        drift.stdout
    );
    env.expect(&["plan", "--detailed-exitcode"], 0);
    // The decisions are recorded (a language whose components Meta changed would refuse it).
    env.expect(&["apply", "--refresh-only", "--auto-approve"], 0);
    env.expect(&["drift"], 0);
}

/// The templates a channel configuration lists are part of what it records: listing another
/// one is an update of the configuration (shown in the plan), the order they are written in
/// is not, and the state (and so the services' view) holds the list.
#[test]
fn a_channel_configurations_templates_are_recorded_and_a_new_one_is_an_update() {
    let with_channel = |templates: &str| {
        file("order_update", BODY, false).replace(
            "message_templates:\n",
            &format!(
                "channel_configurations:\n  \
                 - name: Marketing_FR\n    \
                   channel: whatsapp\n    \
                   marketing_actions: [emailTargeting]\n    \
                   credentials: acme_fr\n    \
                   sender_number: \"15550100001\"\n    \
                   templates: [{templates}]\n\
                 message_templates:\n"
            ),
        ) + "  - name: shipping_notice\n    \
               credentials: acme_fr\n    \
               category: UTILITY\n    \
               languages:\n      \
                 en_US:\n        \
                   body: {text: \"Hi {{1}}, your parcel {{2}} is on its way.\", example: [\"Ana\", \"#1234\"]}\n"
    };
    let env = Env::new(&with_channel("order_update"));
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(
        env.channel("Marketing_FR")["spec"]["templates"],
        serde_json::json!(["order_update"])
    );
    env.write_config(&with_channel("shipping_notice, order_update"));
    let plan = env.expect(&["plan", "--detailed-exitcode"], 2);
    assert!(
        plan.stdout.contains("channel_configuration.Marketing_FR")
            && plan.stdout.contains("templates"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(
        env.channel("Marketing_FR")["spec"]["templates"],
        serde_json::json!(["order_update", "shipping_notice"])
    );
    env.write_config(&with_channel("order_update, shipping_notice"));
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

/// Removing one language deletes that template at Meta: the plan says it is destructive,
/// `prevent_destroy` refuses it, and without it apply deletes that language by its id only.
#[test]
fn removing_a_language_is_destructive_and_prevent_destroy_refuses_it() {
    let env = created();
    let only_en = file("order_update", BODY, false);
    let guarded = only_en.replace(
        "    category: UTILITY\n",
        "    category: UTILITY\n    prevent_destroy: true\n",
    );
    env.write_config(&guarded);
    let refused = env.expect(&["plan"], 1);
    let all = format!("{}{}", refused.stdout, refused.stderr);
    assert!(
        all.contains("message_template.order_update has prevent_destroy: the plan would delete its language fr_FR at Meta"),
        "{all}"
    );
    env.write_config(&only_en);
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout
            .contains("DESTRUCTIVE: deletes at Meta its language fr_FR")
            && plan
                .stdout
                .contains("fr_FR deleted by its id (APPROVED: Meta locks the name for 30 days)"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("DELETE message_templates"), 1);
    let langs = state_template(&env, "order_update")["languages"].clone();
    assert!(
        langs.get("fr_FR").is_none() && langs.get("en_US").is_some(),
        "{langs}"
    );
}

/// A new `message_send_ttl_seconds` is an edit: the plan shows the quota it spends, apply
/// sends the TTL in the edit, and Meta has it afterwards.
#[test]
fn a_ttl_change_is_an_edit_that_spends_the_quota_and_is_sent() {
    let env = created();
    let with_ttl = file("order_update", BODY, false).replace(
        "    category: UTILITY\n",
        "    category: UTILITY\n    message_send_ttl_seconds: 3600\n",
    );
    // fr_FR removed in the same step would also delete it: keep both languages.
    let with_ttl = with_ttl
        + "      fr_FR:\n        \
           body: {text: \"Bonjour {{1}}, votre commande {{2}} part aujourd'hui.\", example: [\"Ana\", \"#1234\"]}\n";
    env.write_config(&with_ttl);
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains(
            "en_US edited (APPROVED: spends the 24-hour edit and 1 of 10 edits in 30 days)"
        ) && plan.stdout.contains("message_send_ttl_seconds"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_template"), 2);
    let world = env.sim.world();
    let ttls: Vec<Option<i64>> = world
        .wabas()
        .flat_map(|w| w.message_templates.iter())
        .filter(|t| t.name == "order_update")
        .map(|t| t.message_send_ttl_seconds)
        .collect();
    assert_eq!(ttls, [Some(3600), Some(3600)]);
    assert_eq!(
        state_template(&env, "order_update")["message_send_ttl_seconds"],
        3600
    );
    // Applied: the next plan has nothing to do.
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

/// Meta never changes the category of an APPROVED template: the plan refuses it and says how
/// to get there; a rename with the new category is a replace that applies (the old name
/// deleted by id and locked, the new one submitted in the new category).
#[test]
fn a_category_change_of_an_approved_template_is_refused_and_a_rename_replaces_it() {
    let env = created();
    let marketing = |name: &str| {
        file(name, BODY, true).replace("    category: UTILITY\n", "    category: MARKETING\n")
    };
    env.write_config(&marketing("order_update"));
    let refused = env.expect(&["plan"], 1);
    let all = format!("{}{}", refused.stdout, refused.stderr);
    assert!(
        all.contains("Meta does not change the category of an APPROVED template")
            && all.contains(
                "rename the template (a replace: the old name is deleted and locked for 30 days)"
            ),
        "{all}"
    );
    env.write_config(&marketing("order_update_promo"));
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains("message_template.order_update_promo")
            && plan
                .stdout
                .contains("en_US deleted by its id (APPROVED: Meta locks the name for 30 days)"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(
        state_template(&env, "order_update"),
        serde_json::Value::Null
    );
    assert_eq!(
        state_template(&env, "order_update_promo")["category"],
        "MARKETING"
    );
    let world = env.sim.world();
    let at_meta: Vec<(String, String)> = world
        .wabas()
        .flat_map(|w| w.message_templates.iter())
        .map(|t| (t.name.clone(), t.category.clone()))
        .collect();
    assert!(
        at_meta
            .iter()
            .all(|(n, c)| n == "order_update_promo" && c == "MARKETING")
            && at_meta.len() == 2,
        "{at_meta:?}"
    );
}

/// Meta disabling a template and moving its quality (GREEN, then YELLOW, then RED) is shown
/// as status and drift; nothing is sent to "fix" it.
#[test]
fn disabled_and_quality_moves_are_drift_and_never_fixed() {
    let env = created();
    let ids: Vec<String> = at_meta(&env, "order_update")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let (en, fr) = (&ids[0], &ids[1]);
    env.control(&format!("templates/{fr}"), r#"{"quality_score": "GREEN"}"#);
    env.expect(&["apply", "--refresh-only", "--auto-approve"], 0);
    env.control(&format!("templates/{en}"), r#"{"status": "DISABLED"}"#);
    env.control(&format!("templates/{fr}"), r#"{"quality_score": "YELLOW"}"#);
    let plan = env.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(
        plan.stdout
            .contains("en_US was DISABLED by Meta; it cannot be sent or edited")
            && plan.stdout.contains("fr_FR's quality is YELLOW at Meta"),
        "{}",
        plan.stdout
    );
    let drift = env.run(&["drift"]);
    assert_eq!(drift.code, Some(2), "{drift:#?}");
    assert!(
        drift.stdout.contains("DISABLED") && drift.stdout.contains("YELLOW"),
        "{}",
        drift.stdout
    );
    env.control(&format!("templates/{fr}"), r#"{"quality_score": "RED"}"#);
    let plan = env.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(
        plan.stdout.contains("fr_FR's quality is RED at Meta"),
        "{}",
        plan.stdout
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_template"), 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 2);
    assert_eq!(env.sim.stats().route_count("DELETE message_templates"), 0);
}

/// An edit of a template still in Meta's review waits: the plan says so in words and sends
/// nothing.
#[test]
fn an_edit_while_pending_waits_and_the_plan_says_why() {
    let env = Env::new(&file("order_update", BODY, false));
    env.control("template_review", r#"{"delay_ms": 3600000}"#);
    env.expect(&["apply", "--auto-approve"], 0);
    env.write_config(&file("order_update", EDITED, false));
    let plan = env.expect(&["plan"], 0);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        all.contains(
            "message template `order_update` (en_US) is PENDING at Meta: the edit waits until Meta decides"
        ) && all.contains("Meta does not edit a template under review; plan again once it is decided"),
        "{all}"
    );
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_template"), 0);
}

/// A ONE_TAP button carries its Android app: the create's body has `supported_apps`, Meta
/// (the simulator) accepts it, and its read-back is no drift.
#[test]
fn a_one_tap_button_sends_its_supported_apps_and_reads_back_without_drift() {
    let config = head()
        + "  - name: login_one_tap\n    \
           credentials: acme_fr\n    \
           category: AUTHENTICATION\n    \
           languages:\n      \
             en_US:\n        \
               body: {add_security_recommendation: true}\n        \
               buttons:\n          \
                 - type: OTP\n            \
                   otp_type: ONE_TAP\n            \
                   text: Autofill\n            \
                   supported_apps:\n              \
                     - {package_name: com.example.app, signature_hash: K8a0AINcGX7}\n";
    let env = Env::new(&config);
    env.expect(&["apply", "--auto-approve"], 0);
    let world = env.sim.world();
    let sent = world
        .wabas()
        .flat_map(|w| w.message_templates.iter())
        .find(|t| t.name == "login_one_tap")
        .expect("at Meta")
        .components
        .clone();
    let button = &sent[1]["buttons"][0];
    assert_eq!(
        button["supported_apps"],
        serde_json::json!([{"package_name": "com.example.app", "signature_hash": "K8a0AINcGX7"}]),
        "{sent:?}"
    );
    let drift = env.expect(&["drift"], 2);
    assert!(!drift.stdout.contains("components"), "{}", drift.stdout);
    env.expect(&["plan", "--detailed-exitcode"], 0);
}
