//! Saved plans: every cause of staleness is refused and named, a tampered file is refused,
//! `--expect-digest` pins the reviewed plan, and apply never runs unconfirmed without a TTY.

use wacfg::model::Address;
use wacfg::plan::digest::seal;
use wacfg::plan::{Action, Plan, ResourceChange, Summary};

use crate::config::{active, base, base_channels, config, replacing};
use crate::golden;
use crate::harness::{Env, ROTATED_TOKEN};

/// The base applied, then an edit planned and saved to plan.json. Returns the env and the
/// state serial the plan was made against.
fn saved_plan() -> (Env, u64) {
    let env = Env::new(&base());
    env.expect(&["apply", "--auto-approve"], 0);
    env.write_config(&config(
        &replacing("Support_FR", |c| c.description("Service and order updates")),
        None,
    ));
    env.expect(&["plan", "-o", "plan.json"], 0);
    let serial = env.serial();
    (env, serial)
}

/// `apply plan.json` is refused with exit 1, nothing written, and the message says why.
fn refused(env: &Env, serial: u64, needle: &str) -> String {
    let r = env.expect(&["apply", "plan.json"], 1);
    assert!(r.stderr.contains(needle), "expected {needle:?} in\n{r:#?}");
    assert_eq!(env.serial(), serial, "a refused apply writes nothing");
    env.golden(&r)
}

#[test]
fn fresh_saved_plan_applies() {
    let (env, serial) = saved_plan();
    let r = env.expect(&["apply", "plan.json"], 0);
    assert!(r.stdout.contains("Apply complete"), "{r:#?}");
    assert!(env.serial() > serial);
    assert_eq!(
        env.channel("Support_FR")["spec"]["description"],
        "Service and order updates"
    );
}

#[test]
fn stale_when_the_state_serial_moved() {
    let (env, _) = saved_plan();
    // Someone else applied in between.
    env.expect(&["apply", "--auto-approve"], 0);
    let serial = env.serial();
    let text = refused(&env, serial, "stale plan: the state moved from serial");
    golden("stale__state_serial", &text);
}

#[test]
fn stale_when_the_state_was_replaced() {
    let (env, _) = saved_plan();
    std::fs::remove_file(env.path("wacfg.state.json")).unwrap();
    // A first apply folds its journal into a new snapshot once: there is no earlier snapshot
    // to back up.
    assert!(!env.path("wacfg.state.json.backup").exists());
    // A new state, with a new lineage, at the same serial.
    env.expect(&["apply", "--auto-approve"], 0);
    let serial = env.serial();
    let text = refused(&env, serial, "stale plan: the state's lineage changed");
    golden("stale__lineage", &text);
}

#[test]
fn stale_when_the_config_changed() {
    let (env, serial) = saved_plan();
    env.write_config(&config(
        &replacing("Support_FR", |c| c.description("Something else")),
        None,
    ));
    let text = refused(&env, serial, "stale plan: the configuration files changed");
    golden("stale__config", &text);
}

#[test]
fn stale_when_the_token_changed() {
    let (mut env, serial) = saved_plan();
    env.token = ROTATED_TOKEN.into();
    let text = refused(
        &env,
        serial,
        "stale plan: the token of credentials `acme_fr` changed",
    );
    golden("stale__token", &text);
}

#[test]
fn stale_when_meta_facts_the_plan_used_changed() {
    let env = Env::new(&base());
    env.expect(&["apply", "--auto-approve"], 0);
    // A new configuration on the support number: its checks read the number's quality.
    let mut channels = base_channels();
    channels.push(active("Support_Promo", "Offers", "15550100002"));
    env.write_config(&config(&channels, None));
    env.expect(&["plan", "-o", "plan.json"], 0);
    let serial = env.serial();
    env.control("numbers/106540352242923", r#"{"quality_rating":"RED"}"#);
    let text = refused(&env, serial, "stale plan: Meta's facts for business:");
    assert!(text.contains("checks (quality_rating)"), "{text}");
    golden("stale__meta_facts", &text);
}

#[test]
fn meta_facts_the_plan_did_not_use_do_not_make_it_stale() {
    // The saved plan changes Support_FR's description: that applies without checks, so the
    // number's quality rating is not a fact it relied on.
    let (env, serial) = saved_plan();
    env.control("numbers/106540352242923", r#"{"quality_rating":"RED"}"#);
    env.expect(&["apply", "plan.json"], 0);
    assert!(env.serial() > serial);
}

#[test]
fn tampered_plan_file_is_refused() {
    let (env, serial) = saved_plan();
    let path = env.path("plan.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let tampered = text.replace("Service and order updates", "Something nobody reviewed");
    assert_ne!(text, tampered, "the plan holds the new description");
    std::fs::write(&path, tampered).unwrap();
    let text = refused(&env, serial, "modified");
    golden("stale__tampered", &text);
}

#[test]
fn expect_digest_mismatch_is_refused() {
    let (env, serial) = saved_plan();
    let wrong = format!("sha256:{}", "0".repeat(64));
    let r = env.expect(&["apply", "plan.json", "--expect-digest", &wrong], 1);
    assert!(r.stderr.contains("not the expected"), "{r:#?}");
    assert_eq!(env.serial(), serial);
    // The right digest is accepted.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("plan.json")).unwrap()).unwrap();
    let digest = saved["digests"]["plan"].as_str().unwrap().to_string();
    env.expect(&["apply", "plan.json", "--expect-digest", &digest], 0);
}

#[test]
fn apply_without_tty_or_auto_approve_refuses_and_writes_nothing() {
    let env = Env::new(&base());
    let r = env.expect(&["apply"], 1);
    assert!(
        r.stderr.contains("refusing to apply without confirmation"),
        "{r:#?}"
    );
    assert!(!env.state_path().exists(), "no state written");
    // Without CI too: stdin is not a terminal.
    let out = env.cmd(&["apply"]).env_remove("CI").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!env.state_path().exists(), "no state written");
}

/// `wacfg apply` on a pseudo-terminal (`script`), typing `answer`.
fn apply_typing(env: &Env, answer: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let command = format!("{} apply", env!("CARGO_BIN_EXE_wacfg"));
    let mut child = env
        .program("script", &["-qec", &command, "/dev/null"])
        .env_remove("CI")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_only_yes_applies() {
    let env = Env::new(&base());
    let (code, text) = apply_typing(&env, "y\n");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Only 'yes' will be accepted"), "{text}");
    assert!(
        text.contains("Apply cancelled: nothing was changed."),
        "{text}"
    );
    assert!(!env.state_path().exists(), "no state written");
    let (code, text) = apply_typing(&env, "yes\n");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Apply complete!"), "{text}");
    assert_eq!(env.channel("Support_FR")["status"], "active");
}

// Issue 11, item 2: the plan digest is a plain SHA-256 anyone can recompute, so an edited
// plan re-sealed with the right digest passes the tamper check. Apply re-derives the changes
// from the file, the state and Meta and refuses a plan whose changes differ.

/// Read plan.json, let `edit` change it, and seal it again with a recomputed digest, as
/// anyone who can write the file can.
fn reseal(env: &Env, edit: impl FnOnce(&mut Plan)) {
    let path = env.path("plan.json");
    let mut plan: Plan = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut plan);
    plan.summary = Summary::default();
    for c in &plan.resource_changes {
        plan.summary.count(c.action);
    }
    seal(&mut plan);
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
}

fn change<'a>(plan: &'a mut Plan, address: &Address) -> &'a mut ResourceChange {
    plan.resource_changes
        .iter_mut()
        .find(|c| &c.address == address)
        .unwrap_or_else(|| panic!("{address} in the plan"))
}

#[test]
fn resealed_plan_deactivating_a_prevent_destroy_configuration_is_refused() {
    let guarded = replacing("Marketing_FR", |c| c.guarded());
    let env = Env::new(&config(&guarded, None));
    env.expect(&["apply", "--auto-approve"], 0);
    let edited: Vec<_> = guarded
        .into_iter()
        .map(|c| {
            if c.name == "Support_FR" {
                c.description("Service and order updates")
            } else {
                c
            }
        })
        .collect();
    env.write_config(&config(&edited, None));
    env.expect(&["plan", "-o", "plan.json"], 0);
    let serial = env.serial();
    reseal(&env, |plan| {
        let c = change(plan, &Address::channel("Marketing_FR"));
        assert_eq!(c.action, Action::NoOp);
        c.action = Action::Deactivate;
        c.reason = "status changed".into();
        if let Some(after) = &mut c.after {
            after.insert("status".into(), "deactivated".into());
        }
    });
    let text = refused(
        &env,
        serial,
        "channel_configuration.Marketing_FR: the saved plan would deactivate it",
    );
    assert_eq!(env.channel("Marketing_FR")["status"], "active");
    golden("stale__resealed_prevent_destroy", &text);
}

#[test]
fn resealed_plan_deleting_credentials_is_refused() {
    let (env, serial) = saved_plan();
    reseal(&env, |plan| {
        let c = change(plan, &Address::credentials("acme_fr"));
        c.action = Action::Delete;
        c.reason = "not in the configuration".into();
        c.after = None;
    });
    let text = refused(
        &env,
        serial,
        "credentials.acme_fr: the saved plan would delete it",
    );
    assert!(!env.state()["resources"]["credentials.acme_fr"].is_null());
    golden("stale__resealed_delete_credentials", &text);
}

/// Enforced from 3 managed resources, at most 30% destructive.
const SAFETY: Option<(u32, u32)> = Some((30, 3));

#[test]
fn resealed_plan_unrefused_over_a_safety_refusal_is_refused() {
    let env = Env::new(&config(&base_channels(), SAFETY));
    env.expect(&["apply", "--auto-approve"], 0);
    env.write_config(&config(&[], SAFETY));
    let serial = env.serial();
    // A refused plan is not saved, but its JSON is printed: flip `refused`, strip the
    // diagnostics, seal it again.
    let printed = env.expect(&["plan", "--format", "json"], 1);
    std::fs::write(env.path("plan.json"), &printed.stdout).unwrap();
    reseal(&env, |plan| {
        assert!(plan.refused);
        plan.refused = false;
        plan.diagnostics.clear();
    });
    let text = refused(&env, serial, "wacfg::plan::too_destructive");
    assert_eq!(env.channel("Marketing_FR")["status"], "active");
    golden("stale__resealed_unrefused", &text);
}

#[test]
fn allow_destructive_must_be_passed_again_at_apply() {
    let env = Env::new(&config(&base_channels(), SAFETY));
    env.expect(&["apply", "--auto-approve"], 0);
    env.write_config(&config(&[], SAFETY));
    env.expect(&["plan", "--allow-destructive", "-o", "plan.json"], 0);
    let serial = env.serial();
    let text = refused(&env, serial, "pass --allow-destructive again");
    golden("stale__allow_destructive_not_passed", &text);
    env.expect(&["apply", "plan.json", "--allow-destructive"], 0);
    assert_eq!(env.channel("Marketing_FR")["status"], "deactivated");
}

#[test]
fn targets_come_from_the_plan_and_must_match_when_passed() {
    let env = Env::new(&base());
    env.expect(&["apply", "--auto-approve"], 0);
    let edited = base_channels()
        .into_iter()
        .map(|c| c.description("Edited"))
        .collect::<Vec<_>>();
    env.write_config(&config(&edited, None));
    env.expect(
        &[
            "plan",
            "--target",
            "channel_configuration.Support_FR",
            "-o",
            "plan.json",
        ],
        0,
    );
    let serial = env.serial();
    let r = env.expect(
        &[
            "apply",
            "plan.json",
            "--target",
            "channel_configuration.Marketing_FR",
        ],
        1,
    );
    assert!(r.stderr.contains("was made for --target"), "{r:#?}");
    assert_eq!(env.serial(), serial);
    golden("stale__other_targets", &env.golden(&r));
    // Widening the plan's targets by hand: the re-derived (untargeted) changes differ.
    let original = std::fs::read_to_string(env.path("plan.json")).unwrap();
    reseal(&env, |plan| plan.targets.clear());
    refused(
        &env,
        serial,
        "channel_configuration.Marketing_FR: now planned",
    );
    std::fs::write(env.path("plan.json"), original).unwrap();
    // Without --target, the plan's own targets are re-derived: only Support_FR changes.
    env.expect(&["apply", "plan.json"], 0);
    assert_eq!(env.channel("Support_FR")["spec"]["description"], "Edited");
    assert_ne!(env.channel("Marketing_FR")["spec"]["description"], "Edited");
}

#[test]
fn unrelated_meta_change_does_not_make_the_plan_stale() {
    let (env, serial) = saved_plan();
    // Acme DE: in the same business portfolio, but no credentials point at it.
    env.control("wabas/102290129340399", r#"{"name":"Acme Germany"}"#);
    let r = env.expect(&["apply", "plan.json"], 0);
    assert!(r.stdout.contains("Apply complete"), "{r:#?}");
    assert!(env.serial() > serial);
}

#[test]
fn resealed_plan_is_refused_by_expect_digest_first() {
    let (env, serial) = saved_plan();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("plan.json")).unwrap()).unwrap();
    let reviewed = saved["digests"]["plan"].as_str().unwrap().to_string();
    reseal(&env, |plan| {
        change(plan, &Address::channel("Support_FR")).reason = "edited".into();
    });
    let r = env.expect(&["apply", "plan.json", "--expect-digest", &reviewed], 1);
    assert!(r.stderr.contains("not the expected"), "{r:#?}");
    assert_eq!(env.serial(), serial);
}
