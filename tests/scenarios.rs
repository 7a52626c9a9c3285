//! End-to-end golden scenarios: the real `wacfg` binary, local state in a temp directory, an
//! in-process simulator as Meta. Each test is one story an admin lives through (issue 5);
//! deterministic output is compared in full with the golden files in tests/snapshots/.

#[path = "scenarios/callback.rs"]
mod callback;
#[path = "scenarios/completion.rs"]
mod completion;
#[path = "scenarios/config.rs"]
mod config;
#[path = "scenarios/environments.rs"]
mod environments;
#[path = "scenarios/faults.rs"]
mod faults;
#[path = "scenarios/full_disk.rs"]
mod full_disk;
#[path = "scenarios/harness.rs"]
mod harness;
#[path = "scenarios/lifecycle.rs"]
mod lifecycle;
#[path = "scenarios/meta.rs"]
mod meta;
#[path = "scenarios/progress.rs"]
mod progress;
#[path = "scenarios/safety.rs"]
mod safety;
#[path = "scenarios/secrets.rs"]
mod secrets;
#[path = "scenarios/stale.rs"]
mod stale;
#[path = "scenarios/statuses.rs"]
mod statuses;
#[path = "scenarios/template_import.rs"]
mod template_import;
#[path = "scenarios/templates.rs"]
mod templates;
#[path = "scenarios/webhook.rs"]
mod webhook;
#[path = "scenarios/workflow.rs"]
mod workflow;

/// Compare with tests/snapshots/scenarios__NAME.snap (one place, so every golden file lives
/// in the same folder whatever module the test is in).
pub fn golden(name: &str, text: &str) {
    insta::assert_snapshot!(name, text);
}
