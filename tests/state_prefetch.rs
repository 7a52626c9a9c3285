//! `plan` starts reading `wacfg.state.json` beside the configuration before validation ends;
//! the read must only be used when the configuration keeps its state exactly there.

use assert_cmd::Command;
use predicates::prelude::*;

fn plan(dir: &std::path::Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("wacfg")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["plan", "--detailed-exitcode"])
        .assert()
}

#[test]
fn a_default_state_file_is_ignored_when_the_config_keeps_state_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wacfg.state.json"), "not a state").unwrap();
    std::fs::write(
        dir.path().join("wacfg.yaml"),
        "version: 1\nstate:\n  backend: local\n  path: elsewhere.state.json\n",
    )
    .unwrap();
    plan(dir.path())
        .code(0)
        .stdout(predicate::str::contains("No changes"));
}

#[test]
fn the_default_state_file_is_read_and_verified_when_it_is_the_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wacfg.state.json"), "not a state").unwrap();
    std::fs::write(dir.path().join("wacfg.yaml"), "version: 1\n").unwrap();
    plan(dir.path())
        .code(1)
        .stderr(predicate::str::contains("wacfg.state.json"));
}
