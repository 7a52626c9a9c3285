//! Saved plans: every cause of staleness is refused and named, a tampered file is refused,
//! `--expect-digest` pins the reviewed plan, and apply never runs unconfirmed without a TTY.

use crate::config::{base, config, replacing};
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
    for f in ["wacfg.state.json", "wacfg.state.json.backup"] {
        std::fs::remove_file(env.path(f)).unwrap();
    }
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
fn stale_when_meta_facts_changed() {
    let (env, serial) = saved_plan();
    env.control("numbers/106540352242923", r#"{"quality_rating":"RED"}"#);
    let text = refused(&env, serial, "stale plan: Meta's facts for business:");
    golden("stale__meta_facts", &text);
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
