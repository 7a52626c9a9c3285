//! Progress in a pipe (CI logs) against a slow or failing Meta: the read says what it waits
//! for once it takes longer than the quiet period and again every interval, apply lines
//! carry durations, a change still running is reported every interval, the apply ends with
//! its total, and a retry says how long it waits. The hidden pacing variables shrink the
//! quiet period and the interval so the lines appear in a fast test.

use std::time::Duration;

use wacfg_sim::{Faults, InjectedError};

use crate::harness::{Env, Run, world};

/// Run with the timing lines on: speak after 50 ms, repeat every 100 ms.
fn run_paced(env: &Env, args: &[&str]) -> Run {
    let out = env
        .cmd(args)
        .env("WACFG_PROGRESS_QUIET_FOR", "50ms")
        .env("WACFG_PROGRESS_EVERY", "100ms")
        .output()
        .expect("wacfg runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn slow() -> Faults {
    Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    }
}

#[test]
fn a_slow_read_says_what_it_waits_for_and_repeats_while_it_lasts() {
    let env = Env::with(world(), slow(), &crate::config::base());
    let run = run_paced(&env, &["plan"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let err = &run.stderr;
    assert!(
        err.contains("Reading Meta…: waiting for ") && err.contains(" http://127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("Still reading Meta…: waiting for "), "{err}");
    assert!(err.contains(" elapsed]"), "{err}");
    // The plan itself is still the only thing on stdout.
    assert!(!run.stdout.contains("Reading Meta"), "{}", run.stdout);
}

#[test]
fn a_quick_read_says_nothing() {
    let env = Env::new(&crate::config::base());
    let run = env.expect(&["plan"], 0);
    assert!(!run.stderr.contains("Reading Meta"), "{}", run.stderr);
}

#[test]
fn apply_in_a_pipe_reports_durations_still_running_changes_and_its_total() {
    // Channel configurations reuse the facts the plan read, so they finish at once; a
    // template create is a write that waits for Meta while it runs.
    let file = crate::config::base()
        + "message_templates:\n  \
           - name: order_update\n    \
             credentials: acme_fr\n    \
             category: UTILITY\n    \
             languages:\n      \
               en_US:\n        \
                 body: {text: \"Hi {{1}}, your order {{2}} ships today.\", example: [\"Ana\", \"#1234\"]}\n";
    let env = Env::with(world(), slow(), &file);
    let run = run_paced(&env, &["apply", "--auto-approve"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let err = &run.stderr;
    assert!(
        regex::Regex::new(r"channel_configuration\.Support_FR: Creation complete after \d+\.\d s")
            .unwrap()
            .is_match(err),
        "{err}"
    );
    assert!(
        regex::Regex::new(r"message_template\.order_update: Still creating… \[\d+\.\d s elapsed\]")
            .unwrap()
            .is_match(err),
        "{err}"
    );
    let last = err.lines().last().unwrap_or_default();
    assert!(
        regex::Regex::new(r"^Apply took \d+\.\d s\.$")
            .unwrap()
            .is_match(last),
        "{err}"
    );
}

#[test]
fn a_retry_says_how_long_it_waits() {
    let faults = Faults {
        fail_next: vec![InjectedError {
            retry_after: Some(1),
            ..InjectedError::code(4)
        }],
        ..Faults::default()
    };
    let env = Env::with(world(), faults, &crate::config::base());
    let run = env.expect(&["plan"], 0);
    assert!(
        regex::Regex::new(
            r"(GET|POST) http://127\.0\.0\.1:\d+/\S+.*: .+; retrying in 1\.\d s \(attempt 2\)"
        )
        .unwrap()
        .is_match(&run.stderr),
        "{}",
        run.stderr
    );
}

#[test]
fn a_rate_limit_slow_down_says_how_long_apply_waits() {
    // Meta's answer for the business portfolio (an item of the plan's batch) says its budget
    // is used up (100%): apply's next request, the batched read of the senders, waits before
    // it is sent (20 points over 80% × 200 ms / 4 = 1 s) and says so on stderr, with how long.
    let faults = Faults {
        business_usage_percent: Some(100),
        ..Faults::default()
    };
    let env = Env::with(world(), faults, &crate::config::base());
    let run = env.expect(&["apply", "--auto-approve"], 0);
    let line = regex::Regex::new(
        r"(?m)^Slowing down: Meta's usage headers say the rate limit is near; waiting (\d+\.\d) s before POST http://127\.0\.0\.1:\d+/v23\.0/ \(batch of \d+\)$",
    )
    .unwrap();
    let waited = line
        .captures(&run.stderr)
        .unwrap_or_else(|| panic!("no waiting line: {run:#?}"))[1]
        .parse::<f64>()
        .unwrap();
    assert!((0.1..=1.0).contains(&waited), "{waited} s: {run:#?}");
    assert!(!run.stdout.contains("Slowing down"), "{}", run.stdout);
}
