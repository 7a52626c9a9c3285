//! Interrupted and concurrent applies: Ctrl-C mid-apply exits 130 with state saved and the
//! lock released, kill -9 leaves valid state, two applies at once never corrupt state; each
//! time a re-run converges to an empty plan.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wacfg_sim::Faults;

use crate::config::{Channel, active, config};
use wacfg::state::local::LocalStore;

use crate::harness::{Env, Run, finish, recorded_channels, signal, wait_until, world};

const MANY: usize = 40;

/// Many active configurations on a slow Meta, applied two at a time: long enough (about a
/// second) to be interrupted, short enough to keep the suite fast.
fn slow_env() -> Env {
    let channels: Vec<Channel> = (0..MANY)
        .map(|i| {
            let sender = if i % 2 == 0 {
                "15550100001"
            } else {
                "15550100002"
            };
            active(&format!("Channel_{i:02}"), "bulk", sender)
        })
        .collect();
    let faults = Faults {
        latency: Duration::from_millis(60),
        ..Faults::default()
    };
    Env::with(world(), faults, &config(&channels, None))
}

const SLOW_APPLY: &[&str] = &["apply", "--auto-approve", "--parallelism", "2"];

/// `slow_env` plus as many message templates. Since issue 12 the configurations share one
/// batched read of their senders and then finish at once, so an apply of them alone can end
/// before a signal reaches it; each template create is a write that waits out Meta's latency,
/// two at a time, which keeps the apply interruptible for over a second.
fn interruptible_env() -> Env {
    let env = slow_env();
    let mut config = std::fs::read_to_string(env.path("wacfg.yaml")).expect("config");
    config.push_str("message_templates:\n");
    for i in 0..MANY {
        config.push_str(&format!(
            "  - name: notice_{i:02}\n    credentials: acme_fr\n    category: UTILITY\n    \
             languages:\n      en_US:\n        body: {{text: \"Hi {{{{1}}}}, your order \
             {{{{2}}}} ships today.\", example: [\"Ana\", \"#1234\"]}}\n"
        ));
    }
    env.write_config(&config);
    env
}

/// How many of `interruptible_env`'s templates a state document (as JSON) records as
/// created at Meta (an id, not just the intent).
fn templates_done(doc: &serde_json::Value) -> usize {
    doc["resources"].as_object().map_or(0, |r| {
        r.iter()
            .filter(|(k, v)| {
                k.starts_with("message_template.")
                    && v["languages"]["en_US"]["id"]
                        .as_str()
                        .is_some_and(|id| !id.is_empty())
            })
            .count()
    })
}

/// `templates_done` of the local state file (0 while there is none).
fn local_templates_done(env: &Env) -> usize {
    match LocalStore::new(env.state_path()).read() {
        Ok(Some(doc)) => templates_done(&serde_json::to_value(&doc).expect("state as JSON")),
        _ => 0,
    }
}
const LIMIT: Duration = Duration::from_secs(20);

/// The re-run applies what is left and the plan is then empty.
fn converges(env: &Env) {
    env.sim.set_faults(Faults::default());
    env.expect(&["apply", "--auto-approve"], 0);
    env.expect(&["plan", "--detailed-exitcode"], 0);
    all_applied(env, &env.state());
}

/// Every configuration active and, in `interruptible_env`, every template created once.
fn all_applied(env: &Env, state: &serde_json::Value) {
    for i in 0..MANY {
        let c = &state["resources"][format!("channel_configuration.Channel_{i:02}")];
        assert_eq!(c["status"], "active", "Channel_{i:02}: {c:#}");
    }
    let declared = std::fs::read_to_string(env.path("wacfg.yaml")).expect("config");
    if declared.contains("message_templates:") {
        assert_eq!(templates_done(state), MANY, "{state:#}");
        // Never created twice, whatever the interruption (a create whose answer was lost
        // is read back, not sent again).
        let creates = env.sim.stats().route_count("POST message_templates");
        assert!(
            creates <= MANY as u64,
            "{creates} creates for {MANY} templates"
        );
    }
}

#[test]
fn ctrl_c_mid_apply_saves_unlocks_exits_130_and_a_rerun_converges() {
    let env = interruptible_env();
    let child = env.spawn(SLOW_APPLY);
    wait_until(LIMIT, "the first templates to be recorded", || {
        local_templates_done(&env) >= 2
    });
    signal(&child, "-INT");
    let run = finish(child);
    assert_eq!(run.code, Some(130), "{run:#?}");
    assert!(run.stderr.contains("Interrupted"), "{run:#?}");
    let done = local_templates_done(&env);
    assert!(done < MANY, "the apply stopped early ({done} of {MANY})");
    assert!(
        !env.path("wacfg.state.json.lock.info").exists(),
        "the lock is released"
    );
    // What was not started is reported as such.
    assert!(run.stdout.contains("interrupted"), "{run:#?}");
    converges(&env);
}

#[test]
fn kill_9_mid_apply_leaves_valid_state_and_a_rerun_converges() {
    let env = interruptible_env();
    let child = env.spawn(SLOW_APPLY);
    wait_until(LIMIT, "the first templates to be recorded", || {
        local_templates_done(&env) >= 2
    });
    signal(&child, "-KILL");
    let run = finish(child);
    assert_eq!(run.code, None, "killed by a signal: {run:#?}");
    let doc = env.state_doc().expect("the state survived");
    assert!(doc.serial > 0);
    converges(&env);
}

#[test]
fn two_applies_at_once_one_is_refused_naming_the_holder() {
    let env = interruptible_env();
    let first = env.spawn(SLOW_APPLY);
    let info = env.path("wacfg.state.json.lock.info");
    wait_until(LIMIT, "the first apply to hold the lock", || info.exists());
    let second = env.expect(&["apply", "--auto-approve", "--lock-timeout", "0s"], 1);
    assert!(
        second.stderr.contains("the state is locked by")
            && second.stderr.contains(&format!("(pid {})", first.id()))
            && second.stderr.contains("`apply`"),
        "{second:#?}"
    );
    let run = finish(first);
    assert_eq!(run.code, Some(0), "{run:#?}");
    env.state_doc().expect("state is valid");
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn two_applies_at_once_the_second_waits_then_finds_nothing_to_do() {
    let env = interruptible_env();
    let first = env.spawn(SLOW_APPLY);
    let info = env.path("wacfg.state.json.lock.info");
    wait_until(LIMIT, "the first apply to hold the lock", || info.exists());
    let second = env.expect(&["apply", "--auto-approve", "--lock-timeout", "30s"], 0);
    assert!(second.stdout.contains("No changes"), "{second:#?}");
    let run = finish(first);
    assert_eq!(run.code, Some(0), "{run:#?}");
    converges(&env);
}

#[test]
fn apply_on_a_terminal_shows_a_spinner_and_durations() {
    let faults = Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    };
    let env = Env::with(world(), faults, &crate::config::base());
    // `script` runs the apply on a pseudo-terminal and copies what it drew to stdout.
    let command = format!("{} apply --auto-approve", env!("CARGO_BIN_EXE_wacfg"));
    let out = env
        .program("script", &["-qec", &command, "/dev/null"])
        .env_remove("CI")
        .output()
        .expect("`script` (util-linux) runs");
    let drawn = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{drawn}");
    assert!(
        drawn.contains("/4 in flight: channel_configuration."),
        "{drawn}"
    );
    assert!(
        drawn.contains("channel_configuration.Support_FR: Creation complete after "),
        "{drawn}"
    );
    assert!(drawn.contains("Apply complete!"), "{drawn}");
    assert_eq!(env.channel("Support_FR")["status"], "active");
}

#[test]
fn second_ctrl_c_stops_at_once_even_when_meta_hangs() {
    // Meta answers the plan's read (slowly), then stops answering: apply's read of the
    // senders, in flight for the configurations about to start, cannot finish.
    let env = slow_env();
    env.sim.set_faults(Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    });
    let mut child = env.spawn_piped(SLOW_APPLY);
    wait_until(LIMIT, "the apply's first request to Meta", || {
        env.sim.stats().http_requests >= 1
    });
    env.sim.set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    wait_until(LIMIT, "apply's read of the senders to hang", || {
        env.sim.stats().http_requests >= 2
    });
    let stderr = watch(child.stderr.take().expect("piped stderr"));
    // Drained too, so a full pipe never blocks the run.
    let _stdout = watch(child.stdout.take().expect("piped stdout"));
    signal(&child, "-INT");
    wait_until(LIMIT, "the first Ctrl-C to be handled", || {
        stderr.lock().unwrap().contains("Interrupted:")
    });
    let second = std::time::Instant::now();
    signal(&child, "-INT");
    let status = child.wait().expect("wait for wacfg");
    assert_eq!(status.code(), Some(130));
    assert!(second.elapsed() < Duration::from_secs(5), "stopped at once");
    wait_until(LIMIT, "the reader to finish", || {
        stderr.lock().unwrap().contains("Interrupted again")
    });
    env.state_doc().expect("the state is valid");
    converges(&env);
}

/// Collect a child's stream on a thread, so a test can poll what it printed so far.
fn watch(mut stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

/// Ctrl-C while the confirmation prompt waits (issue 11, item 21): on a terminal (`script`
/// gives `wacfg` one), the Ctrl-C typed there cancels at once, exits 130, says nothing was
/// changed and never claims changes were in flight; the state and Meta are untouched and the
/// lock is released.
#[test]
fn ctrl_c_at_the_confirmation_prompt_cancels_at_once_and_exits_130() {
    let env = Env::new(&crate::config::base());
    let command = format!("{} apply", env!("CARGO_BIN_EXE_wacfg"));
    let mut child = env
        .program("script", &["-qfec", &command, "/dev/null"])
        .env_remove("CI")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) starts");
    let drawn = watch(child.stdout.take().expect("piped stdout"));
    let _err = watch(child.stderr.take().expect("piped stderr"));
    wait_until(LIMIT, "the confirmation prompt", || {
        drawn
            .lock()
            .unwrap()
            .contains("Only 'yes' will be accepted")
    });
    // Ctrl-C typed at the terminal: the line discipline turns it into SIGINT for `wacfg`.
    let mut stdin = child.stdin.take().expect("piped stdin");
    std::io::Write::write_all(&mut stdin, b"\x03").expect("type Ctrl-C");
    std::io::Write::flush(&mut stdin).expect("flush");
    let typed = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for script") {
            break status;
        }
        if typed.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("still waiting 5 s after Ctrl-C:\n{}", drawn.lock().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    wait_until(LIMIT, "the cancellation message", || {
        drawn.lock().unwrap().contains("Apply cancelled")
    });
    let drawn = drawn.lock().unwrap().clone();
    assert_eq!(status.code(), Some(130), "{drawn}");
    assert!(
        drawn.contains("Apply cancelled: nothing was changed."),
        "{drawn}"
    );
    assert!(!drawn.contains("in flight"), "{drawn}");
    assert!(env.state_doc().is_none(), "no state written: {drawn}");
    assert!(
        !env.path("wacfg.state.json.lock.info").exists(),
        "the lock is released"
    );
    // Nothing happened at Meta either: the same plan is still pending.
    env.expect(&["plan", "--detailed-exitcode"], 2);
}

/// What a stopped apply must show: exit 1, one headline naming why, the configurations Meta
/// never saw listed as not attempted (never failed), the state saved and the lock released.
fn stopped_early(env: &Env, run: &Run, why: &str) -> usize {
    assert_eq!(run.code, Some(1), "{run:#?}");
    let headline = format!("Apply stopped early: {why}");
    assert_eq!(
        run.stdout.matches("Apply stopped early").count(),
        1,
        "one clear message: {run:#?}"
    );
    assert!(run.stdout.contains(&headline), "{run:#?}");
    let not_attempted = run
        .stdout
        .lines()
        .filter(|l| l.contains("not attempted: the run stopped sending to Meta before it"))
        .count();
    assert!(not_attempted > 0, "{run:#?}");
    assert!(!run.stdout.contains("failed its checks"), "{run:#?}");
    assert!(
        !env.path("wacfg.state.json.lock.info").exists(),
        "the lock is released"
    );
    env.state_doc().expect("the state is saved and valid");
    not_attempted
}

#[test]
fn a_spent_rate_limit_stops_the_apply_at_once_and_a_rerun_converges() {
    // The WABA's budget is spent after one call: the plan's read of the business (which
    // spends no WABA budget) is answered, then apply's read of the senders before the
    // configurations' checks gets 80008 for the second number, "regain access in about an
    // hour". Since issue 12 those reads are the only Graph calls the configurations make, all
    // at the start of their phase, so that is where Meta stops the run.
    let env = slow_env();
    env.sim.set_faults(Faults {
        latency: Duration::from_millis(60),
        rate_limit_budget: Some(1),
        ..Faults::default()
    });
    let limited = std::time::Instant::now();
    let child = env.spawn(SLOW_APPLY);
    let run = finish(child);
    let took = limited.elapsed();
    let sent = env.sim.stats().http_requests;
    eprintln!("rate-limited apply took {took:?}, {sent} requests");
    let skipped = stopped_early(&env, &run, "Meta asked to wait");
    assert!(run.stdout.contains("(Graph error 80008)"), "{run:#?}");
    assert!(took < Duration::from_secs(5), "stopped at once: {took:?}");
    // The plan's read and the one batch of sender and WABA reads; nothing after Meta said to
    // wait.
    assert!(sent <= 2, "{sent} requests");
    assert_eq!(recorded_channels(&env.state_path()), 0, "{run:#?}");
    assert_eq!(skipped, MANY, "{run:#?}");
    converges(&env);
}

#[test]
fn a_hung_meta_ends_the_apply_at_its_timeout_and_a_rerun_converges() {
    // Meta answers the plan's read (slowly), then stops answering: apply's read of the
    // senders hangs until the run's deadline.
    let env = slow_env();
    env.sim.set_faults(Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let child = env.spawn(&[
        "apply",
        "--auto-approve",
        "--parallelism",
        "2",
        "--timeout",
        "4s",
    ]);
    // The plan's read is under way (it waits out its 400 ms latency): every request after it
    // hangs.
    wait_until(LIMIT, "the apply's first request to Meta", || {
        env.sim.stats().http_requests >= 1
    });
    env.sim.set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let run = finish(child);
    let took = started.elapsed();
    eprintln!("hung apply with --timeout 4s took {took:?}");
    stopped_early(&env, &run, "the apply's --timeout (4 s) ran out");
    assert!(
        took < Duration::from_secs(4 + 4),
        "ended at its deadline: {took:?}"
    );
    assert!(took >= Duration::from_secs(3), "{took:?}");
    converges(&env);
}

#[test]
fn apply_timeout_is_a_duration() {
    let env = Env::new(&crate::config::base());
    let run = env.expect(&["apply", "--auto-approve", "--timeout", "soon"], 1);
    assert!(run.stderr.contains("--timeout"), "{run:#?}");
    let run = env.expect(&["apply", "--auto-approve", "--timeout", "0s"], 1);
    assert!(run.stderr.contains("--timeout"), "{run:#?}");
    assert!(env.state_doc().is_none(), "nothing applied");
}

/// Meta fails apply's live read of a sender (issue 11, item 11): the plan's read is answered,
/// then the batched read of the new sender gets "temporarily unavailable" for the item and
/// for every plain read after it. That is an API error, not a failed check: the
/// configuration keeps its recorded version, sender and status, the report does not say it
/// failed its checks, and a rerun once Meta answers again converges.
#[test]
fn a_live_read_that_meta_fails_during_apply_is_an_api_error_and_a_rerun_converges() {
    let env = Env::new(&crate::config::base());
    env.expect(&["apply", "--auto-approve"], 0);
    let before = env.channel("Marketing_FR");
    env.write_config(&config(
        &crate::config::replacing("Marketing_FR", |c| c.sender("15550100002")),
        None,
    ));
    // Every request waits 400 ms: long enough to change the faults while the live read's
    // batch (the run's second request) is held, before its items are answered.
    env.sim.set_faults(Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    });
    let sent = env.sim.stats().http_requests;
    let numbers_read = env.sim.stats().route_count("phone_number");
    let child = env.spawn(&["apply", "--auto-approve"]);
    wait_until(LIMIT, "apply's live read of the sender", || {
        env.sim.stats().http_requests >= sent + 2
    });
    let unavailable = || wacfg_sim::InjectedError::code(2);
    env.sim.set_faults(Faults {
        fail_batch_items: vec![unavailable()],
        fail_next: (0..5).map(|_| unavailable()).collect(),
        ..Faults::default()
    });
    let run = finish(child);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains(
            "channel_configuration.Marketing_FR: update: error: the sender 15550100002 could not \
             be read from Meta, so the checks could not run: gave up after 5 attempts"
        ),
        "{run:#?}"
    );
    assert!(
        run.stdout
            .contains("Graph API error 2 (OAuthException, HTTP 503)")
            && run
                .stdout
                .contains("hint: Meta had a temporary problem: run again later"),
        "{run:#?}"
    );
    assert!(!run.stdout.contains("failed its checks"), "{run:#?}");
    assert!(!run.stderr.contains("failed its checks"), "{run:#?}");
    // The batched item, then the sender read on its own until the retries ran out.
    assert_eq!(
        env.sim.stats().route_count("phone_number"),
        numbers_read,
        "the sender was never answered"
    );
    let after = env.channel("Marketing_FR");
    assert_eq!(after, before, "left as recorded");
    assert_eq!(after["status"], "active");
    env.sim.set_faults(Faults::default());
    env.expect(&["apply", "--auto-approve"], 0);
    env.expect(&["plan", "--detailed-exitcode"], 0);
    let after = env.channel("Marketing_FR");
    assert_eq!(after["spec"]["sender_number"], "15550100002", "{after:#}");
    assert_eq!(after["status"], "active");
}

// ---- The same stories on PostgreSQL (issue 12: resources as rows, history as changes) ----

/// `slow_env` with its state in a fresh PostgreSQL workspace (127.0.0.1:5432, or
/// WACFG_TEST_PG), the connection string in a `file:` secret beside the configuration.
fn slow_pg_env() -> Env {
    let env = interruptible_env();
    let conn = std::env::var("WACFG_TEST_PG")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into());
    std::fs::write(env.path("pg-url"), conn).expect("write the secret");
    let config = std::fs::read_to_string(env.path("wacfg.yaml")).expect("config");
    env.write_config(&format!(
        "{config}state:\n  backend: postgres\n  url: file:pg-url\n  workspace: scenario-{}\n",
        uuid::Uuid::new_v4().simple()
    ));
    env
}

/// The state as `wacfg state pull` prints it (`None` while there is none yet).
fn pulled(env: &Env) -> Option<serde_json::Value> {
    let run = env.run(&["state", "pull"]);
    (run.code == Some(0))
        .then(|| serde_json::from_str(&run.stdout).ok())
        .flatten()
}

fn pulled_channels(env: &Env) -> usize {
    pulled(env).map_or(0, |doc| {
        doc["resources"].as_object().map_or(0, |r| {
            r.keys()
                .filter(|k| k.starts_with("channel_configuration."))
                .count()
        })
    })
}

fn pg_converges(env: &Env) {
    env.sim.set_faults(Faults::default());
    env.expect(&["apply", "--auto-approve"], 0);
    env.expect(&["plan", "--detailed-exitcode"], 0);
    let state = pulled(env).expect("a state");
    all_applied(env, &state);
    // Every serial the applies wrote still reads back from the history.
    let history = env.expect(&["state", "history", "--format", "json"], 0);
    let serials: Vec<u64> = serde_json::from_str::<serde_json::Value>(&history.stdout)
        .expect("history JSON")
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["serial"].as_u64())
        .collect();
    assert!(serials.len() > 2, "{serials:?}");
    for serial in serials {
        env.expect(&["state", "show", "--serial", &serial.to_string()], 0);
    }
}

#[test]
fn postgres_kill_9_mid_apply_leaves_valid_state_and_a_rerun_converges() {
    let env = slow_pg_env();
    let child = env.spawn(SLOW_APPLY);
    wait_until(LIMIT, "the first templates to be recorded", || {
        pulled(&env).is_some_and(|d| templates_done(&d) >= 2)
    });
    signal(&child, "-KILL");
    let run = finish(child);
    assert_eq!(run.code, None, "killed by a signal: {run:#?}");
    assert!(pulled_channels(&env) == MANY, "the state survived");
    pg_converges(&env);
}

#[test]
fn postgres_ctrl_c_mid_apply_saves_unlocks_exits_130_and_a_rerun_converges() {
    let env = slow_pg_env();
    let child = env.spawn(SLOW_APPLY);
    wait_until(LIMIT, "the first templates to be recorded", || {
        pulled(&env).is_some_and(|d| templates_done(&d) >= 2)
    });
    signal(&child, "-INT");
    let run = finish(child);
    assert_eq!(run.code, Some(130), "{run:#?}");
    let done = pulled(&env).map_or(0, |d| templates_done(&d));
    assert!(done < MANY, "the apply stopped early ({done} of {MANY})");
    pg_converges(&env);
}

#[test]
fn postgres_two_applies_at_once_one_is_refused_naming_the_holder() {
    let env = slow_pg_env();
    let first = env.spawn(SLOW_APPLY);
    wait_until(LIMIT, "the first apply to write", || {
        pulled_channels(&env) >= 1
    });
    let second = env.expect(&["apply", "--auto-approve", "--lock-timeout", "0s"], 1);
    assert!(
        second.stderr.contains("the state is locked by")
            && second.stderr.contains(&format!("(pid {})", first.id())),
        "{second:#?}"
    );
    let run = finish(first);
    assert_eq!(run.code, Some(0), "{run:#?}");
    pg_converges(&env);
}

/// The business portfolio cannot be read during apply (issue 11, item 11): inside the plan's
/// batch, the token read fails transiently (and is read again on its own) and the portfolio
/// read gets a permanent API error. The configuration that needs it is not attempted as a
/// failed check: it is an API error, the configuration keeps its recorded version, and a
/// rerun once Meta answers converges.
#[test]
fn an_unreadable_portfolio_during_apply_is_an_api_error_and_a_rerun_converges() {
    let env = Env::new(&crate::config::base());
    env.expect(&["apply", "--auto-approve"], 0);
    let before = env.channel("Marketing_FR");
    env.write_config(&config(
        &crate::config::replacing("Marketing_FR", |c| c.sender("15550100002")),
        None,
    ));
    let unreadable = || Faults {
        fail_batch_items: vec![
            wacfg_sim::InjectedError::code(2),
            wacfg_sim::InjectedError {
                status: Some(400),
                message: Some(
                    "Application does not have the capability to make this API call.".into(),
                ),
                ..wacfg_sim::InjectedError::code(3)
            },
        ],
        ..Faults::default()
    };
    // The plan cannot know the checks that need the portfolio: it says so, and does not
    // predict that they fail.
    env.sim.set_faults(unreadable());
    let plan = env.expect(&["plan"], 0);
    assert!(
        plan.stdout.contains(
            "? credentials_valid: could not be checked: business portfolio 1234567890123456 \
             could not be read from Meta: Graph API error 3 (OAuthException, HTTP 400)"
        ) && plan.stdout.contains(
            "? sender_in_waba: could not be checked: business portfolio 1234567890123456 could \
             not be read from Meta\n"
        ),
        "{plan:#?}"
    );
    assert!(!plan.stdout.contains("expected to fail"), "{plan:#?}");
    assert!(!plan.stdout.contains("✗"), "{plan:#?}");
    env.sim.set_faults(unreadable());
    let run = env.run(&["apply", "--auto-approve"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains(
            "channel_configuration.Marketing_FR: update: error: business portfolio \
             1234567890123456 could not be read from Meta, so the checks could not run: Graph \
             API error 3 (OAuthException, HTTP 400)"
        ),
        "{run:#?}"
    );
    assert!(!run.stdout.contains("failed its checks"), "{run:#?}");
    assert!(!run.stderr.contains("failed its checks"), "{run:#?}");
    let after = env.channel("Marketing_FR");
    assert_eq!(after, before, "left as recorded");
    env.sim.set_faults(Faults::default());
    env.expect(&["apply", "--auto-approve"], 0);
    env.expect(&["plan", "--detailed-exitcode"], 0);
    let after = env.channel("Marketing_FR");
    assert_eq!(after["spec"]["sender_number"], "15550100002", "{after:#}");
    assert_eq!(after["status"], "active");
}
