//! The webhook kind end to end: a real callback endpoint on loopback, which the simulator
//! verifies the way Meta does (hub.challenge), then the subscription it records. Create,
//! verify-token rotation, a new callback, failed verification, removal (and prevent_destroy),
//! drift, Meta's one webhook per WABA, kill -9 during the write, the secrets grep, and the
//! phone number scope.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use wacfg_sim::Faults;

use crate::callback::{Answer, CallbackServer};
use crate::config::{active, config};
use crate::golden;
use crate::harness::{Env, Run, TOKEN, signal, wait_until, world};

/// The variable the webhook's `verify_token` names.
const VT_VAR: &str = "WEBHOOK_VERIFY_TOKEN";
/// Obviously fake verify tokens.
const VERIFY_TOKEN: &str = "test-verify-token-first";
const ROTATED: &str = "test-verify-token-rotated";
/// The Acme FR WABA of the examples world (not subscribed at the start) and its first number.
const WABA: &str = "102290129340398";
const NUMBER_ID: &str = "106540352242922";
const ADDR: &str = "webhook.acme_inbound";

/// The webhook entry of a test's file.
#[derive(Clone)]
struct Spec {
    callback: String,
    scope: Option<&'static str>,
    prevent_destroy: bool,
}

impl Spec {
    fn at(callback: &str) -> Spec {
        Spec {
            callback: callback.into(),
            scope: None,
            prevent_destroy: false,
        }
    }

    fn scope(mut self, scope: &'static str) -> Spec {
        self.scope = Some(scope);
        self
    }

    fn guarded(mut self) -> Spec {
        self.prevent_destroy = true;
        self
    }

    fn yaml(&self) -> String {
        let mut s = format!(
            "webhooks:\n  \
             - name: acme_inbound\n    \
               credentials: acme_fr\n    \
               callback_url: {}\n    \
               verify_token: env:{VT_VAR}\n",
            self.callback
        );
        if let Some(scope) = self.scope {
            s += &format!("    scope: {scope}\n");
        }
        if self.prevent_destroy {
            s += "    prevent_destroy: true\n";
        }
        s += "    keywords:\n      \
               opt_out: {keywords: [STOP, UNSUBSCRIBE], reply: \"You will no longer receive messages.\"}\n      \
               help: {keywords: [HELP], reply: \"Reply STOP to unsubscribe.\"}\n";
        s
    }
}

/// The acme_fr credentials, one active channel configuration on them, and the webhook.
fn file(webhook: Option<&Spec>) -> String {
    file_with(webhook, None)
}

/// As [`file`], with `safety:` (max destructive percent, min managed) when given.
fn file_with(webhook: Option<&Spec>, safety: Option<(u32, u32)>) -> String {
    let channels = [active(
        "Marketing_FR",
        "Promotions for French customers",
        "15550100001",
    )];
    let mut s = config(&channels, safety);
    if let Some(w) = webhook {
        s += &w.yaml();
    }
    s
}

/// A scenario with a webhook endpoint: the simulator, the directory, the endpoint, and the
/// verify token every run is given.
struct Story {
    env: Env,
    hook: CallbackServer,
    verify_token: String,
}

impl Story {
    /// The endpoint answers the current verify token; the file's webhook points at `path` on it.
    fn new(path: &str, spec: impl Fn(Spec) -> Spec) -> Story {
        Story::with(Faults::default(), path, spec)
    }

    fn with(faults: Faults, path: &str, spec: impl Fn(Spec) -> Spec) -> Story {
        let hook = CallbackServer::start(Answer::Echo(VERIFY_TOKEN.into()));
        let text = file(Some(&spec(Spec::at(&hook.url(path)))));
        Story {
            env: Env::with(world(), faults, &text),
            hook,
            verify_token: VERIFY_TOKEN.into(),
        }
    }

    /// Created and applied, with the checks of a clean create.
    fn applied(path: &str, spec: impl Fn(Spec) -> Spec) -> Story {
        let s = Story::new(path, spec);
        s.expect(&["apply", "--auto-approve"], 0);
        assert_eq!(s.hook.calls().len(), 1, "one verification");
        s.expect(&["plan", "--detailed-exitcode"], 0);
        s
    }

    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = self.env.cmd(args);
        c.env(VT_VAR, &self.verify_token);
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().expect("wacfg runs");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn expect(&self, args: &[&str], code: i32) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, Some(code), "wacfg {args:?} exit code\n{r:#?}");
        r
    }

    /// The run normalised for a golden file; endpoints' ports become [HOOK], [HOOK2], ….
    fn golden(&self, r: &Run, others: &[&CallbackServer]) -> String {
        let hide = |text: &str| {
            let mut text = text.replace(&self.hook.base, "http://127.0.0.1:[HOOK]");
            for (i, o) in others.iter().enumerate() {
                text = text.replace(&o.base, &format!("http://127.0.0.1:[HOOK{}]", i + 2));
            }
            text
        };
        self.env.golden(&Run {
            code: r.code,
            stdout: hide(&r.stdout),
            stderr: hide(&r.stderr),
        })
    }

    /// `GET /__sim/webhooks`.
    fn webhooks(&self) -> Value {
        sim_get(&self.env, "/__sim/webhooks")
    }

    /// The Acme FR WABA's subscription as the simulator holds it.
    fn waba(&self) -> Value {
        let all = self.webhooks();
        all["wabas"]
            .as_array()
            .expect("wabas")
            .iter()
            .find(|w| w["id"] == WABA)
            .cloned()
            .unwrap_or_else(|| panic!("WABA {WABA} in {all:#}"))
    }

    /// The webhook as state records it (Null when it is not recorded).
    fn recorded(&self) -> Value {
        self.env.state()["resources"][ADDR].clone()
    }

    fn writes(&self, route: &str) -> u64 {
        self.env.sim.stats().route_count(route)
    }
}

fn sha(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// A GET to the simulator's control endpoints, as JSON.
fn sim_get(env: &Env, path: &str) -> Value {
    let addr = env.sim.addr();
    let mut s = TcpStream::connect(addr).expect("connect to the simulator");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "GET {path}: {answer}");
    let body = answer.split_once("\r\n\r\n").expect("a body").1;
    serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

fn both(r: &Run) -> String {
    format!("{}{}", r.stdout, r.stderr)
}

/// The check of a recorded channel configuration with this id.
fn check<'a>(channel: &'a Value, id: &str) -> &'a Value {
    channel["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {channel:#}"))
}

#[test]
fn webhook_create_verifies_the_callback_subscribes_the_waba_and_records_it() {
    let s = Story::new("/hook", |w| w);
    let validate = s.expect(&["validate"], 0);
    assert!(
        validate
            .stdout
            .contains("1 credentials entry, 1 webhook, 1 channel configuration: valid"),
        "{validate:#?}"
    );
    let plan = s.expect(&["plan", "--detailed-exitcode"], 2);
    golden("webhook_create__plan", &s.golden(&plan, &[]));
    assert!(
        plan.stdout
            .contains("# webhook.acme_inbound will be created")
    );
    assert!(
        plan.stdout
            .contains("+ verify_token              = (sensitive value)"),
        "{plan:#?}"
    );
    assert!(s.hook.calls().is_empty(), "a plan never calls the callback");
    assert_eq!(s.waba()["subscribed"], false, "nothing written by the plan");

    let apply = s.expect(&["apply", "--auto-approve"], 0);
    golden("webhook_create__apply", &s.golden(&apply, &[]));
    assert!(
        apply
            .stderr
            .contains("webhook.acme_inbound: Creation complete"),
        "{apply:#?}"
    );

    // Meta (the simulator) verified the endpoint once, with the verify token.
    let calls = s.hook.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].path, "/hook");
    assert_eq!(calls[0].get("hub.mode"), Some("subscribe"));
    assert_eq!(calls[0].get("hub.verify_token"), Some(VERIFY_TOKEN));
    assert!(!calls[0].get("hub.challenge").unwrap_or("").is_empty());
    assert_eq!(s.writes("POST subscribed_apps"), 1);

    let waba = s.waba();
    assert_eq!(waba["subscribed"], true, "{waba:#}");
    assert_eq!(
        waba["override_callback_uri"],
        s.hook.url("/hook"),
        "{waba:#}"
    );
    assert_eq!(waba["verify_token_sha256"], sha(VERIFY_TOKEN), "{waba:#}");

    let w = s.recorded();
    assert_eq!(w["kind"], "webhook", "{w:#}");
    assert_eq!(w["waba_id"], WABA);
    assert_eq!(w["scope"], "waba");
    assert_eq!(w["callback_url"], s.hook.url("/hook"));
    assert_eq!(w["verify_token_fingerprint"], sha(VERIFY_TOKEN));
    assert_eq!(
        w["keywords"]["opt_out"]["keywords"],
        serde_json::json!(["STOP", "UNSUBSCRIBE"])
    );
    assert_eq!(w["keywords"]["help"]["reply"], "Reply STOP to unsubscribe.");
    assert!(w.get("phone_number_id").is_none(), "{w:#}");

    let channel = s.env.channel("Marketing_FR");
    assert_eq!(channel["status"], "active", "{channel:#}");
    let registered = check(&channel, "webhook_registered");
    assert_eq!(registered["status"], "passed", "{registered:#}");
    assert!(
        registered["message"]
            .as_str()
            .unwrap()
            .contains("webhook `acme_inbound`"),
        "{registered:#}"
    );

    let replan = s.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(replan.stdout.contains("No changes."), "{replan:#?}");
    assert_eq!(s.hook.calls().len(), 1, "a re-plan calls nobody");
    assert_eq!(s.writes("POST subscribed_apps"), 1);
}

#[test]
fn webhook_verify_token_rotation_is_a_sensitive_update_sent_again() {
    let mut s = Story::applied("/hook", |w| w);
    let before = s.recorded()["verify_token_fingerprint"].clone();
    s.hook.set_answer(Answer::Echo(ROTATED.into()));
    s.verify_token = ROTATED.into();

    let plan = s.expect(&["plan", "--detailed-exitcode"], 2);
    golden("webhook_rotation__plan", &s.golden(&plan, &[]));
    assert!(
        plan.stdout
            .contains("# webhook.acme_inbound will be updated in-place"),
        "{plan:#?}"
    );
    assert!(
        plan.stdout
            .contains("~ verify_token = (sensitive value changed)"),
        "{plan:#?}"
    );

    s.expect(&["apply", "--auto-approve"], 0);
    let calls = s.hook.calls();
    assert_eq!(calls.len(), 2, "verified again: {calls:#?}");
    assert_eq!(calls[1].get("hub.verify_token"), Some(ROTATED));
    assert_eq!(s.writes("POST subscribed_apps"), 2, "re-POSTed");
    let waba = s.waba();
    assert_eq!(waba["verify_token_sha256"], sha(ROTATED), "{waba:#}");
    assert_eq!(waba["override_callback_uri"], s.hook.url("/hook"));
    let after = s.recorded()["verify_token_fingerprint"].clone();
    assert_ne!(before, after);
    assert_eq!(after, sha(ROTATED));
    s.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn webhook_callback_change_is_verified_at_the_new_endpoint() {
    let s = Story::applied("/hook", |w| w);
    let second = CallbackServer::start(Answer::Echo(VERIFY_TOKEN.into()));
    let new_url = second.url("/inbound/v2");
    s.env.write_config(&file(Some(&Spec::at(&new_url))));

    let plan = s.expect(&["plan", "--detailed-exitcode"], 2);
    golden(
        "webhook_callback_change__plan",
        &s.golden(&plan, &[&second]),
    );
    assert!(
        plan.stdout.contains(&format!(
            "~ callback_url = \"{}\" -> \"{new_url}\"",
            s.hook.url("/hook")
        )),
        "{plan:#?}"
    );

    s.expect(&["apply", "--auto-approve"], 0);
    let calls = second.calls();
    assert_eq!(calls.len(), 1, "the new endpoint is verified: {calls:#?}");
    assert_eq!(calls[0].path, "/inbound/v2");
    assert_eq!(calls[0].get("hub.verify_token"), Some(VERIFY_TOKEN));
    assert_eq!(
        s.hook.calls().len(),
        1,
        "the old endpoint is not called again"
    );
    let waba = s.waba();
    assert_eq!(waba["subscribed"], true);
    assert_eq!(waba["override_callback_uri"], new_url, "{waba:#}");
    assert_eq!(waba["verify_token_sha256"], sha(VERIFY_TOKEN));
    assert_eq!(s.recorded()["callback_url"], new_url);
    s.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn webhook_failed_verification_records_nothing_and_the_channel_still_applies() {
    let s = Story::new("/hook", |w| w);
    // The endpoint expects another verify token: it answers 403.
    s.hook
        .set_answer(Answer::Echo("test-verify-token-other".into()));
    let apply = s.expect(&["apply", "--auto-approve"], 1);
    golden("webhook_verification_403__apply", &s.golden(&apply, &[]));
    let out = both(&apply);
    for needle in [
        "webhook.acme_inbound: create: error: Graph API error 2200",
        "Callback verification failed",
        "HTTP Status Code = 403",
        "hint: Meta could not verify the callback URL",
        "hub.challenge",
    ] {
        assert!(out.contains(needle), "missing {needle:?}:\n{out}");
    }
    assert_eq!(s.hook.calls().len(), 1, "one verification, not retried");
    assert_eq!(s.waba()["subscribed"], false, "Meta changed nothing");
    let state = s.env.state();
    assert!(state["resources"].get(ADDR).is_none(), "{state:#}");
    assert!(state["resources"].get("credentials.acme_fr").is_some());
    // The channel configuration depends on the credentials, not on the webhook: it is
    // applied, and warns that nothing receives inbound messages.
    let channel = s.env.channel("Marketing_FR");
    assert_eq!(channel["status"], "active", "{channel:#}");
    assert_eq!(check(&channel, "webhook_registered")["status"], "warning");
    assert!(
        apply
            .stdout
            .contains("channel_configuration.Marketing_FR: webhook_registered: no webhook"),
        "{apply:#?}"
    );

    // 200 but not the challenge: refused too, and still nothing recorded.
    s.hook
        .set_answer(Answer::Fixed(200, "not-the-challenge".into()));
    let plan = s.expect(&["plan", "--detailed-exitcode"], 2);
    assert!(
        plan.stdout.contains("Plan: 1 to create, 0 to update"),
        "{plan:#?}"
    );
    let apply = s.expect(&["apply", "--auto-approve"], 1);
    let out = both(&apply);
    assert!(out.contains("2200"), "{out}");
    assert!(
        out.contains("The response does not match the challenge"),
        "{out}"
    );
    assert!(s.env.state()["resources"].get(ADDR).is_none());
    assert_eq!(s.waba()["subscribed"], false);

    // The endpoint fixed: the next apply converges.
    s.hook.set_answer(Answer::Echo(VERIFY_TOKEN.into()));
    s.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(s.recorded()["verify_token_fingerprint"], sha(VERIFY_TOKEN));
    assert_eq!(s.waba()["override_callback_uri"], s.hook.url("/hook"));
    assert_eq!(s.hook.calls().len(), 3);
    s.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn webhook_removal_unsubscribes_and_forgets_it() {
    let s = Story::applied("/hook", |w| w);
    s.env.write_config(&file(None));
    let plan = s.expect(&["plan", "--detailed-exitcode"], 2);
    golden("webhook_removal__plan", &s.golden(&plan, &[]));
    assert!(
        plan.stdout
            .contains("# webhook.acme_inbound will be destroyed"),
        "{plan:#?}"
    );
    assert!(
        plan.stdout
            .contains("unsubscribes from WABA 102290129340398 (inbound messages stop)"),
        "{plan:#?}"
    );
    assert!(plan.stdout.contains("1 to delete."), "{plan:#?}");

    let apply = s.expect(&["apply", "--auto-approve"], 0);
    assert!(
        apply
            .stderr
            .contains("webhook.acme_inbound: Destruction complete"),
        "{apply:#?}"
    );
    assert_eq!(s.writes("DELETE subscribed_apps"), 1);
    let waba = s.waba();
    assert_eq!(waba["subscribed"], false, "{waba:#}");
    assert_eq!(waba["override_callback_uri"], Value::Null);
    assert!(s.env.state()["resources"].get(ADDR).is_none());
    assert_eq!(s.env.channel("Marketing_FR")["status"], "active");
    assert_eq!(s.hook.calls().len(), 1, "a removal verifies nothing");
    s.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn webhook_removal_with_prevent_destroy_is_refused() {
    let s = Story::applied("/hook", Spec::guarded);
    assert_eq!(s.recorded()["prevent_destroy"], true);
    s.env.write_config(&file(None));
    let plan = s.expect(&["plan"], 1);
    golden("webhook_prevent_destroy__refused", &s.golden(&plan, &[]));
    assert!(
        both(&plan).contains("[wacfg::plan::prevent_destroy]"),
        "{plan:#?}"
    );
    let serial = s.env.serial();
    let apply = s.expect(&["apply", "--auto-approve"], 1);
    assert!(
        both(&apply).contains("wacfg::plan::prevent_destroy"),
        "{apply:#?}"
    );
    assert_eq!(s.writes("DELETE subscribed_apps"), 0, "nothing sent");
    assert_eq!(s.waba()["subscribed"], true);
    assert_eq!(s.env.serial(), serial, "nothing written");
    assert!(s.env.state()["resources"].get(ADDR).is_some());
}

#[test]
fn webhook_removal_counts_toward_the_destructive_threshold() {
    let s = Story::applied("/hook", |w| w);
    // Credentials, the channel configuration and the webhook are managed; removing the
    // webhook alone is 1 of 3 (33%), above 30%.
    s.env.write_config(&file_with(None, Some((30, 3))));
    let serial = s.env.serial();
    let plan = s.expect(&["plan"], 1);
    assert!(
        both(&plan).contains(
            "the plan deletes or deactivates 1 of 3 managed resources (33%), above safety.max_destructive_percent = 30%"
        ),
        "{plan:#?}"
    );
    let apply = s.expect(&["apply", "--auto-approve"], 1);
    assert!(
        both(&apply).contains("max_destructive_percent"),
        "{apply:#?}"
    );
    assert_eq!(s.writes("DELETE subscribed_apps"), 0, "nothing sent");
    assert_eq!(s.waba()["subscribed"], true);
    assert_eq!(s.env.serial(), serial, "a refused plan writes nothing");

    s.expect(&["apply", "--auto-approve", "--allow-destructive"], 0);
    assert_eq!(s.writes("DELETE subscribed_apps"), 1);
    assert!(s.env.state()["resources"].get(ADDR).is_none());
}

#[test]
fn webhook_import_is_refused_since_apply_sets_it_up() {
    let s = Story::new("/hook", |w| w);
    let import = s.expect(&["import", ADDR], 1);
    assert!(
        import.stderr.contains(
            "webhook.acme_inbound cannot be imported: a webhook's subscription is set by apply"
        ),
        "{import:#?}"
    );
    assert!(s.hook.calls().is_empty(), "nothing verified");
    assert_eq!(s.writes("POST subscribed_apps"), 0, "nothing sent");
}

/// The drift entries of `wacfg drift --format json` for the webhook.
fn webhook_drift(s: &Story) -> Vec<Value> {
    let r = s.expect(&["drift", "--format", "json"], 2);
    let v: Value = serde_json::from_str(&r.stdout).expect("drift JSON");
    let list = v["resource_drift"]
        .as_array()
        .unwrap_or_else(|| panic!("resource_drift in {v:#}"));
    list.iter()
        .filter(|d| d["address"] == ADDR)
        .cloned()
        .collect()
}

#[test]
fn webhook_changed_at_meta_is_drift() {
    let s = Story::applied("/hook", |w| w);
    s.expect(&["drift"], 0);
    s.env.control(
        &format!("wabas/{WABA}/subscription"),
        r#"{"override_callback_uri":"https://elsewhere.example.com/wa","verify_token":"test-verify-token-out-of-band"}"#,
    );
    let drift = s.expect(&["drift"], 2);
    golden("webhook_callback__drift", &s.golden(&drift, &[]));
    assert!(
        drift
            .stdout
            .contains("# webhook.acme_inbound changed at Meta"),
        "{drift:#?}"
    );
    assert!(
        drift.stdout.contains(&format!(
            "~ callback_url = \"{}\" -> \"https://elsewhere.example.com/wa\"",
            s.hook.url("/hook")
        )),
        "{drift:#?}"
    );
    let items = webhook_drift(&s);
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["attribute"], "callback_url", "{items:#?}");
    assert_eq!(items[0]["observed"], "https://elsewhere.example.com/wa");

    s.env.control(
        &format!("wabas/{WABA}/subscription"),
        r#"{"subscribed":false}"#,
    );
    let drift = s.expect(&["drift"], 2);
    assert!(
        drift
            .stdout
            .contains("no app is subscribed to WABA 102290129340398 any more"),
        "{drift:#?}"
    );
    let items = webhook_drift(&s);
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["attribute"], "subscribed", "{items:#?}");
    assert_eq!(items[0]["recorded"], true, "{items:#?}");
    assert_eq!(items[0]["observed"], false, "{items:#?}");
    assert_eq!(
        s.hook.calls().len(),
        1,
        "drift writes nothing and calls nobody"
    );
    assert_eq!(s.writes("POST subscribed_apps"), 1);
}

#[test]
fn webhook_two_for_one_waba_are_refused_at_both() {
    let text = "version: 1\n\
credentials:\n  \
  - name: acme_fr\n    \
    token: env:WHATSAPP_TOKEN_ACME_FR\n    \
    business_id: \"1234567890123456\"\n    \
    whatsapp_business_account: \"102290129340398\"\n    \
    phone_number: \"15550100001\"\n  \
  - name: acme_fr_support\n    \
    token: env:WHATSAPP_TOKEN_ACME_FR\n    \
    business_id: \"1234567890123456\"\n    \
    whatsapp_business_account: \"102290129340398\"\n    \
    phone_number: \"15550100002\"\n\
webhooks:\n  \
  - name: marketing_inbound\n    \
    credentials: acme_fr\n    \
    callback_url: https://hooks.example.com/wa/marketing\n    \
    verify_token: env:WEBHOOK_VERIFY_TOKEN\n  \
  - name: support_inbound\n    \
    credentials: acme_fr_support\n    \
    callback_url: https://hooks.example.com/wa/support\n    \
    verify_token: env:WEBHOOK_VERIFY_TOKEN\n";
    let env = Env::new(text);
    let human = env.expect(&["validate"], 1);
    golden("webhook_one_per_waba__validate", &env.golden(&human));
    // Where each webhook names its credentials (1-based line and column of the value).
    let at = |credentials: &str| -> (usize, usize) {
        let needle = format!("    credentials: {credentials}\n");
        let start = text.find(&needle).expect("in the file");
        let line = text[..start].matches('\n').count() + 1;
        (line, "    credentials: ".len() + 1)
    };
    let places = [at("acme_fr"), at("acme_fr_support")];
    for (line, col) in places {
        assert!(
            human.stderr.contains(&format!("wacfg.yaml:{line}:{col}")),
            "wacfg.yaml:{line}:{col} in\n{}",
            human.stderr
        );
    }
    let json = env.expect(&["validate", "--format", "json"], 1);
    let diags: Vec<Value> = serde_json::from_str(&json.stdout).expect("diagnostics JSON");
    let mut found: Vec<(usize, usize)> = diags
        .iter()
        .filter(|d| d["code"] == "wacfg::webhook::one_per_waba")
        .map(|d| {
            assert_eq!(d["severity"], "error", "{d:#}");
            assert!(
                d["message"]
                    .as_str()
                    .unwrap()
                    .contains("WABA 102290129340398"),
                "{d:#}"
            );
            assert!(d["file"].as_str().unwrap().ends_with("wacfg.yaml"), "{d:#}");
            (
                d["line"].as_u64().unwrap() as usize,
                d["column"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    found.sort();
    assert_eq!(found, places, "{diags:#?}");
    let github = env.expect(&["validate", "--format", "github"], 1);
    assert_eq!(
        github
            .stdout
            .matches("title=wacfg%3A%3Awebhook%3A%3Aone_per_waba::")
            .count(),
        2,
        "{github:#?}"
    );
}

/// Start an apply on a slow Meta and kill -9 it while Meta is verifying the callback (the
/// endpoint holds its answer, so the write is in flight and not yet accepted).
fn kill_during_verification(s: &Story) {
    s.hook.set_delay(Duration::from_millis(700));
    let mut child = s
        .cmd(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("wacfg starts");
    wait_until(
        Duration::from_secs(20),
        "Meta to verify the callback",
        || !s.hook.calls().is_empty(),
    );
    signal(&child, "-KILL");
    let status = child.wait().expect("wait for wacfg");
    assert_eq!(status.code(), None, "killed by a signal");
    // Whatever Meta does with the abandoned request is over once the endpoint has answered.
    std::thread::sleep(Duration::from_millis(900));
    // The state is valid: the credentials applied before the webhook are recorded, the
    // webhook is not.
    let doc = s
        .env
        .state_doc()
        .expect("a state was written before the kill");
    assert!(doc.resources.contains_key("credentials.acme_fr"));
    assert!(!doc.resources.contains_key(ADDR));
    s.env.sim.set_faults(Faults::default());
    s.hook.set_delay(Duration::ZERO);
}

/// After the kill: the re-run applies what is left, the plan is empty, the state is valid
/// and unlocked.
fn converges_after_kill(s: &Story) {
    let plan = s.expect(&["plan", "--detailed-exitcode"], 2);
    assert!(
        plan.stdout
            .contains("# webhook.acme_inbound will be created"),
        "{plan:#?}"
    );
    s.expect(&["apply", "--auto-approve"], 0);
    let w = s.recorded();
    assert_eq!(w["verify_token_fingerprint"], sha(VERIFY_TOKEN), "{w:#}");
    assert_eq!(s.env.channel("Marketing_FR")["status"], "active");
    s.expect(&["plan", "--detailed-exitcode"], 0);
    s.env.state_doc().expect("the state is valid");
    assert!(
        !s.env.path("wacfg.state.json.lock.info").exists(),
        "the lock is released"
    );
}

fn slow_meta() -> Faults {
    Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    }
}

#[test]
fn webhook_kill_9_during_the_write_then_a_rerun_converges() {
    let s = Story::with(slow_meta(), "/hook", |w| w);
    kill_during_verification(&s);
    // Meta's subscription is all or nothing.
    let waba = s.waba();
    let untouched = waba["subscribed"] == false && waba["override_callback_uri"].is_null();
    let accepted = waba["subscribed"] == true
        && waba["override_callback_uri"] == s.hook.url("/hook")
        && waba["verify_token_sha256"] == sha(VERIFY_TOKEN);
    assert!(untouched || accepted, "{waba:#}");

    converges_after_kill(&s);
    let w = s.recorded();
    assert_eq!(w["callback_url"], s.hook.url("/hook"));
    let waba = s.waba();
    assert_eq!(waba["subscribed"], true);
    assert_eq!(waba["override_callback_uri"], s.hook.url("/hook"));
    assert_eq!(waba["verify_token_sha256"], sha(VERIFY_TOKEN));
}

#[test]
fn webhook_kill_9_between_the_two_writes_of_a_number_webhook_then_a_rerun_converges() {
    let s = Story::with(slow_meta(), "/number", |w| w.scope("phone_number"));
    kill_during_verification(&s);
    // The first write (the subscription) was accepted, the second (the number's override,
    // being verified) was not: Meta is half-way and the state knows nothing of it.
    let hooks = s.webhooks();
    let waba = s.waba();
    assert_eq!(waba["subscribed"], true, "{hooks:#}");
    assert!(waba["override_callback_uri"].is_null(), "{hooks:#}");

    converges_after_kill(&s);
    let hooks = s.webhooks();
    assert!(s.waba()["override_callback_uri"].is_null(), "{hooks:#}");
    let numbers = hooks["numbers"].as_array().expect("numbers");
    assert_eq!(numbers.len(), 1, "{hooks:#}");
    assert_eq!(numbers[0]["override_callback_uri"], s.hook.url("/number"));
    assert_eq!(numbers[0]["verify_token_sha256"], sha(VERIFY_TOKEN));
    assert_eq!(s.recorded()["phone_number_id"], NUMBER_ID);
}

#[test]
fn webhook_verify_token_and_token_are_absent_from_everything() {
    let mut s = Story::new("/hook", |w| w);
    let mut written: Vec<(String, String)> = Vec::new();
    let mut record = |label: String, r: Run| {
        written.push((format!("{label} stdout"), r.stdout));
        written.push((format!("{label} stderr"), r.stderr));
    };
    record("validate".into(), s.expect(&["validate"], 0));
    for f in ["human", "json", "markdown", "github"] {
        record(format!("plan {f}"), s.expect(&["plan", "--format", f], 0));
    }
    record("plan -o".into(), s.expect(&["plan", "-o", "plan.json"], 0));
    for f in ["human", "json"] {
        record(
            format!("show plan {f}"),
            s.expect(&["show", "plan.json", "--format", f], 0),
        );
    }
    record(
        "apply plan.json".into(),
        s.expect(&["apply", "plan.json"], 0),
    );
    record("drift".into(), s.expect(&["drift"], 0));
    // A rotation the endpoint refuses, with Meta echoing the access token in its errors: the
    // failure is reported without either secret.
    s.verify_token = ROTATED.into();
    s.env.sim.set_faults(Faults {
        echo_token_in_errors: true,
        ..Faults::default()
    });
    for f in ["human", "json"] {
        record(
            format!("plan rotated {f}"),
            s.expect(&["plan", "--format", f], 0),
        );
    }
    for f in ["human", "json", "markdown"] {
        record(
            format!("apply refused {f}"),
            s.expect(&["apply", "--auto-approve", "--format", f], 1),
        );
    }
    // An endpoint that quotes what it received: Meta puts its body in the error message.
    s.hook.set_answer(Answer::Fixed(
        200,
        format!("unexpected verify token {ROTATED}"),
    ));
    let quoted = s.expect(&["apply", "--auto-approve"], 1);
    assert!(
        both(&quoted).contains("The response does not match the challenge"),
        "{quoted:#?}"
    );
    record("apply quoted".into(), quoted);
    s.env.sim.set_faults(Faults::default());
    s.hook.set_answer(Answer::Echo(ROTATED.into()));
    record(
        "apply rotated".into(),
        s.expect(&["apply", "--auto-approve"], 0),
    );
    s.env.control(
        &format!("wabas/{WABA}/subscription"),
        &format!(
            r#"{{"override_callback_uri":"https://elsewhere.example.com/wa","verify_token":"{VERIFY_TOKEN}"}}"#
        ),
    );
    for f in ["human", "json", "markdown"] {
        record(format!("drift {f}"), s.expect(&["drift", "--format", f], 2));
    }
    for f in ["human", "json"] {
        record(format!("show {f}"), s.expect(&["show", "--format", f], 0));
        record(
            format!("state show {f}"),
            s.expect(&["state", "show", "--format", f], 0),
        );
    }
    record(
        "state show webhook".into(),
        s.expect(&["state", "show", ADDR], 0),
    );
    record("state list".into(), s.expect(&["state", "list"], 0));
    // Removal too.
    s.env.write_config(&file(None));
    record(
        "apply removal".into(),
        s.expect(&["apply", "--auto-approve"], 0),
    );

    let mut files = Vec::new();
    collect_files(s.env.dir.path(), &mut files);
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    for name in ["plan.json", "wacfg.state.json", "wacfg.state.json.journal"] {
        assert!(
            names.iter().any(|n| n.ends_with(name)),
            "{name} was written: {names:?}"
        );
    }
    written.extend(files);
    let everything: String = written.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        everything.contains("acme_inbound"),
        "the runs did produce output"
    );
    assert!(everything.contains(&sha(ROTATED)), "fingerprints are there");
    for (label, text) in &written {
        for secret in [TOKEN, VERIFY_TOKEN, ROTATED] {
            assert!(
                !text.contains(secret),
                "{secret} appears in {label}:\n{text}"
            );
        }
    }
}

/// Every file under `dir`, recursively, with its text.
fn collect_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            let bytes = std::fs::read(&path).expect("read file");
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

#[test]
fn webhook_phone_number_scope_subscribes_the_waba_then_sets_the_number_override() {
    let s = Story::new("/number", |w| w.scope("phone_number"));
    let plan = s.expect(&["plan", "--detailed-exitcode"], 2);
    golden("webhook_phone_number__plan", &s.golden(&plan, &[]));
    assert!(
        plan.stdout
            .contains(&format!("+ phone_number_id           = \"{NUMBER_ID}\"")),
        "{plan:#?}"
    );
    assert!(
        plan.stdout
            .contains("+ scope                     = \"phone_number\"")
    );

    s.expect(&["apply", "--auto-approve"], 0);
    // The WABA is subscribed without an override, then the number gets its own.
    let hooks = s.webhooks();
    let waba = s.waba();
    assert_eq!(waba["subscribed"], true, "{hooks:#}");
    assert_eq!(waba["override_callback_uri"], Value::Null, "{hooks:#}");
    let numbers = hooks["numbers"].as_array().expect("numbers");
    assert_eq!(numbers.len(), 1, "{hooks:#}");
    assert_eq!(numbers[0]["id"], NUMBER_ID);
    assert_eq!(numbers[0]["waba_id"], WABA);
    assert_eq!(numbers[0]["override_callback_uri"], s.hook.url("/number"));
    assert_eq!(numbers[0]["verify_token_sha256"], sha(VERIFY_TOKEN));
    let writes: Vec<String> = s
        .env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path != "/v23.0/")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        writes,
        [
            format!("/v23.0/{WABA}/subscribed_apps"),
            format!("/v23.0/{NUMBER_ID}")
        ],
        "subscription first, then the number override"
    );
    let calls = s.hook.calls();
    assert_eq!(
        calls.len(),
        1,
        "only the number override is verified: {calls:#?}"
    );
    assert_eq!(calls[0].path, "/number");
    assert_eq!(calls[0].get("hub.verify_token"), Some(VERIFY_TOKEN));
    let w = s.recorded();
    assert_eq!(w["scope"], "phone_number", "{w:#}");
    assert_eq!(w["phone_number_id"], NUMBER_ID);
    assert_eq!(w["verify_token_fingerprint"], sha(VERIFY_TOKEN));
    s.expect(&["plan", "--detailed-exitcode"], 0);

    // Removing it clears the number override and unsubscribes the WABA.
    s.env.write_config(&file(None));
    s.expect(&["apply", "--auto-approve"], 0);
    let hooks = s.webhooks();
    assert_eq!(hooks["numbers"], serde_json::json!([]), "{hooks:#}");
    assert_eq!(s.waba()["subscribed"], false, "{hooks:#}");
    assert!(s.env.state()["resources"].get(ADDR).is_none());
}

/// A number webhook applied, its override changed out of band, then removed out of band:
/// each is drift of its `callback_url`.
fn number_override_drift(app_callback: Option<&str>) {
    let s = Story::new("/number", |w| w.scope("phone_number"));
    let app_callback = app_callback.map(str::to_string);
    s.env.sim.mutate(|w| w.app.callback_url = app_callback);
    s.expect(&["apply", "--auto-approve"], 0);
    s.expect(&["drift"], 0);
    s.env.control(
        &format!("numbers/{NUMBER_ID}/webhook"),
        r#"{"override_callback_uri":"https://elsewhere.example.com/n","verify_token":"test-verify-token-out-of-band"}"#,
    );
    let drift = s.expect(&["drift"], 2);
    assert!(
        drift.stdout.contains(&format!(
            "the callback override of number {NUMBER_ID} was changed outside wacfg"
        )),
        "{drift:#?}"
    );
    let items = webhook_drift(&s);
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["attribute"], "callback_url");
    assert_eq!(items[0]["observed"], "https://elsewhere.example.com/n");

    // The override removed: the number's inbound messages no longer reach the callback.
    s.env
        .control(&format!("numbers/{NUMBER_ID}/webhook"), r#"{}"#);
    let drift = s.run(&["drift"]);
    assert_eq!(
        drift.code,
        Some(2),
        "the removed override is drift: {drift:#?}"
    );
    let items = webhook_drift(&s);
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["attribute"], "callback_url");
    assert!(items[0]["observed"].is_null(), "{items:#?}");
}

#[test]
fn webhook_number_override_changed_or_removed_at_meta_is_drift() {
    // The app has its own callback, so Meta reports `webhook_configuration` for every number.
    number_override_drift(Some("https://app.example.com/wa"));
}

#[test]
fn webhook_number_override_removed_at_meta_is_drift_without_an_app_callback() {
    number_override_drift(None);
}
