//! Safety: the destructive threshold (refused, then allowed with `--allow-destructive`) and
//! `prevent_destroy`, which no flag overrides.

use crate::config::{base_channels, config, replacing};
use crate::golden;
use crate::harness::Env;

/// Enforced from 3 managed resources, at most 30% destructive.
const SAFETY: Option<(u32, u32)> = Some((30, 3));

#[test]
fn safety_threshold_refuses_then_allow_destructive_applies() {
    let env = Env::new(&config(&base_channels(), SAFETY));
    env.expect(&["apply", "--auto-approve"], 0);
    // Keep only the credentials: 3 of 4 managed resources go (75%).
    env.write_config(&config(&[], SAFETY));
    let serial = env.serial();
    let plan = env.expect(&["plan"], 1);
    golden("safety_threshold__refused", &env.golden(&plan));
    let apply = env.expect(&["apply", "--auto-approve"], 1);
    assert!(
        apply.stdout.contains("max_destructive_percent"),
        "{apply:#?}"
    );
    assert_eq!(env.serial(), serial, "a refused plan writes nothing");

    let allowed = env.expect(&["plan", "--allow-destructive"], 0);
    golden("safety_threshold__allowed", &env.golden(&allowed));
    env.expect(&["apply", "--auto-approve", "--allow-destructive"], 0);
    assert_eq!(env.channel("Marketing_FR")["status"], "deactivated");
    assert_eq!(env.channel("Support_FR")["status"], "deactivated");
    assert!(env.channel("Spring_Sale").is_null());
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn prevent_destroy_is_refused_even_with_allow_destructive() {
    let guarded = replacing("Marketing_FR", |c| c.guarded());
    let env = Env::new(&config(&guarded, None));
    env.expect(&["apply", "--auto-approve"], 0);
    let remaining: Vec<_> = guarded
        .into_iter()
        .filter(|c| c.name != "Marketing_FR")
        .collect();
    env.write_config(&config(&remaining, None));
    let serial = env.serial();
    let plan = env.expect(&["plan", "--allow-destructive"], 1);
    golden("prevent_destroy__refused", &env.golden(&plan));
    let apply = env.expect(&["apply", "--auto-approve", "--allow-destructive"], 1);
    assert!(apply.stdout.contains("prevent_destroy"), "{apply:#?}");
    assert_eq!(env.serial(), serial, "a refused plan writes nothing");
    assert_eq!(env.channel("Marketing_FR")["status"], "active");
    // `status: deactivated` is destruction too.
    let deactivated = config(
        &replacing("Marketing_FR", |mut c| {
            c.prevent_destroy = true;
            c.status = "deactivated";
            c
        }),
        None,
    );
    env.write_config(&deactivated);
    env.expect(&["plan", "--allow-destructive"], 1);
}
