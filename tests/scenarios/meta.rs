//! What happens at Meta between runs: a rotated token, an expired token, a number whose
//! quality drops to RED, a number that leaves its WABA.

use crate::config::base;
use crate::golden;
use crate::harness::{Env, ROTATED_TOKEN, TOKEN};

fn applied() -> Env {
    let env = Env::new(&base());
    env.expect(&["apply", "--auto-approve"], 0);
    env
}

#[test]
fn token_rotation_is_a_sensitive_in_place_update() {
    let mut env = applied();
    let before = env.state()["resources"]["credentials.acme_fr"]["token_fingerprint"].clone();
    env.token = ROTATED_TOKEN.into();
    let plan = env.expect(&["plan", "--detailed-exitcode"], 2);
    golden("token_rotated__plan", &env.golden(&plan));
    assert!(
        plan.stdout.contains("(sensitive value changed)"),
        "{plan:#?}"
    );
    env.expect(&["apply", "--auto-approve"], 0);
    let after = env.state()["resources"]["credentials.acme_fr"]["token_fingerprint"].clone();
    assert_ne!(before, after, "the new fingerprint is recorded");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn expired_token_is_an_error_and_changes_nothing() {
    let env = applied();
    let serial = env.serial();
    env.control("tokens/expire", &format!(r#"{{"value":"{TOKEN}"}}"#));
    let plan = env.expect(&["plan"], 1);
    golden("token_expired__plan", &env.golden(&plan));
    assert!(plan.stdout.contains("expired"), "{plan:#?}");
    let apply = env.expect(&["apply", "--auto-approve"], 1);
    assert!(
        format!("{}{}", apply.stdout, apply.stderr).contains("expired"),
        "{apply:#?}"
    );
    assert_eq!(env.serial(), serial, "nothing written");
}

#[test]
fn red_quality_rating_is_a_warning_not_a_failure() {
    let env = Env::new(&base());
    env.control("numbers/106540352242923", r#"{"quality_rating":"RED"}"#);
    let plan = env.expect(&["plan"], 0);
    golden("red_quality__plan", &env.golden(&plan));
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.channel("Support_FR")["status"], "active");
}

#[test]
fn number_removed_from_its_waba_is_drift() {
    let env = applied();
    env.expect(&["drift"], 0);
    env.control("numbers/106540352242923/remove", "");
    let drift = env.expect(&["drift"], 2);
    golden("number_removed__drift", &env.golden(&drift));
    assert!(drift.stdout.contains("Support_FR"), "{drift:#?}");
    let json = env.expect(&["drift", "--format", "json"], 2);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("drift JSON");
    assert!(v.to_string().contains("106540352242923"), "{v:#}");
}

#[test]
fn the_messaging_limit_is_read_from_the_current_field_not_the_deprecated_tier() {
    // The examples world gives number 15550100001 `messaging_limit_tier: TIER_1K` (deprecated)
    // and `whatsapp_business_manager_messaging_limit: TIER_2K` (current).
    let env = applied();
    let creds = &env.state()["resources"]["credentials.acme_fr"];
    assert_eq!(creds["messaging_limit"], "TIER_2K", "{creds:#}");
}

/// A Graph endpoint other than Meta's is named at the top of every plan format and of apply,
/// with who chose it (issue 11, item 22). The harness sets WACFG_GRAPH_URL to the simulator.
#[test]
fn a_non_default_graph_endpoint_is_named_in_every_plan_format_and_in_apply() {
    let env = Env::new(&base());
    let by_env = "Graph API: http://127.0.0.1:[PORT] (set by WACFG_GRAPH_URL)";
    let plan = env.expect(&["plan"], 0);
    let human = env.normalise(&plan.stdout);
    assert!(human.starts_with(&format!("{by_env}\n\n")), "{human}");
    for format in ["markdown", "github"] {
        let r = env.expect(&["plan", "--format", format], 0);
        assert!(
            env.normalise(&r.stdout).contains(by_env),
            "{format}: {r:#?}"
        );
    }
    let json = env.expect(&["plan", "--format", "json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("json plan");
    assert_eq!(doc["graph_api"]["url"], env.sim.url(), "{doc:#}");
    assert_eq!(doc["graph_api"]["set_by"], "WACFG_GRAPH_URL", "{doc:#}");
    // The flag beats the environment, and the header says so.
    let flag = env
        .cmd(&["--graph-url", &env.sim.url(), "plan"])
        .env("WACFG_GRAPH_URL", "http://127.0.0.1:9")
        .output()
        .expect("wacfg runs");
    let flag_out = env.normalise(&String::from_utf8_lossy(&flag.stdout));
    assert!(
        flag_out.starts_with("Graph API: http://127.0.0.1:[PORT] (set by --graph-url)\n"),
        "{flag_out}"
    );
    // A saved plan applies, and apply names the endpoint it talks to now.
    env.expect(&["plan", "-o", "plan.json"], 0);
    let apply = env.expect(&["apply", "plan.json"], 0);
    assert!(env.normalise(&apply.stderr).contains(by_env), "{apply:#?}");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

/// Meta's own words for a token it no longer accepts (issue 11, item 15): a revoked token and
/// one Meta cannot parse each make the plan an error quoting Meta's message and code, with
/// the hint for a token; the token itself is never printed.
#[test]
fn a_revoked_or_unknown_token_is_shown_in_metas_words_never_the_token() {
    let mut env = applied();
    env.control("tokens/revoke", &format!(r#"{{"value":"{TOKEN}"}}"#));
    let plan = env.expect(&["plan"], 1);
    golden("token_revoked__plan", &env.golden(&plan));
    let shown = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        shown.contains(
            "Graph API error 190/460 (OAuthException, HTTP 401) on POST http://127.0.0.1:"
        ) && shown.contains(
            "Error validating access token: The session has been invalidated because the user \
             changed their password or Facebook has changed the session for security reasons."
        ),
        "{shown}"
    );
    assert!(
        shown.contains("hint: the access token is invalid"),
        "{shown}"
    );
    assert!(!shown.contains(TOKEN), "the token is printed: {shown}");

    // A token Meta has never issued (obviously fake).
    env.token = "test-token-never-issued-0000".into();
    let plan = env.expect(&["plan"], 1);
    let shown = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        shown.contains("Graph API error 190 (OAuthException, HTTP 401)")
            && shown.contains("Invalid OAuth access token - Cannot parse access token"),
        "{shown}"
    );
    assert!(
        !shown.contains("never-issued"),
        "the token is printed: {shown}"
    );
}
