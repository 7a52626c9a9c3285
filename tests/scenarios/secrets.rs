//! The token never leaves memory: a full cycle in every format is grepped for it. And the
//! README demo stays true.

use std::path::Path;

use crate::config::{base, config, replacing};
use crate::harness::{Env, ROTATED_TOKEN, TOKEN};

const FORMATS: [&str; 4] = ["human", "json", "markdown", "github"];

#[test]
fn token_is_absent_from_everything_a_run_writes() {
    let mut env = Env::new(&base());
    let mut written: Vec<(String, String)> = Vec::new();
    let mut record = |label: String, r: crate::harness::Run| {
        written.push((format!("{label} stdout"), r.stdout));
        written.push((format!("{label} stderr"), r.stderr));
    };
    // The steps that must succeed are run with `expect`, so the grep covers real output.
    record("validate".into(), env.expect(&["validate"], 0));
    for f in FORMATS {
        record(format!("plan {f}"), env.expect(&["plan", "--format", f], 0));
    }
    record(
        "plan -o".into(),
        env.expect(&["plan", "-o", "plan.json"], 0),
    );
    for f in FORMATS {
        record(
            format!("show plan {f}"),
            env.expect(&["show", "plan.json", "--format", f], 0),
        );
    }
    let apply = env.expect(&["apply", "plan.json"], 0);
    record("apply plan.json".into(), apply);
    // A second cycle: an edit, a rotated token, a failing check, every format of apply.
    env.write_config(&crate::config::config(
        &replacing("Support_FR", |c| c.sender("15550200001")),
        None,
    ));
    env.token = ROTATED_TOKEN.into();
    for f in ["human", "json", "markdown"] {
        record(
            format!("apply {f}"),
            // Exit 1: the sender outside the WABA fails its checks (after the first run,
            // the failed update is retried).
            env.expect(&["apply", "--auto-approve", "--format", f], 1),
        );
    }
    env.control("numbers/106540352242923/remove", "");
    for f in ["human", "json", "markdown"] {
        record(
            format!("drift {f}"),
            env.expect(&["drift", "--format", f], 2),
        );
    }
    for f in ["human", "json"] {
        record(format!("show state {f}"), env.run(&["show", "--format", f]));
        record(
            format!("state show {f}"),
            env.run(&["state", "show", "--format", f]),
        );
    }
    record("state list".into(), env.run(&["state", "list"]));
    // Errors too: an expired token.
    env.control(
        "tokens/expire",
        &format!(r#"{{"value":"{ROTATED_TOKEN}"}}"#),
    );
    record("plan expired".into(), env.expect(&["plan"], 1));
    env.write_config(&config(&[], None));
    record(
        "apply expired".into(),
        env.expect(&["apply", "--auto-approve"], 1),
    );

    for name in ["plan.json", "wacfg.state.json", "wacfg.state.json.backup"] {
        let path = env.path(name);
        assert!(path.exists(), "{name} was written");
        written.push((name.into(), read(&path)));
    }
    let everything: String = written.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        everything.contains("acme_fr"),
        "the runs did produce output"
    );
    for (label, text) in &written {
        for token in [TOKEN, ROTATED_TOKEN] {
            assert!(
                !text.contains(token),
                "the token appears in {label}:\n{text}"
            );
        }
    }
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

#[test]
fn readme_demo_runs_to_the_end() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_wacfg"))
        .parent()
        .unwrap()
        .to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ensure_simulator_binary(root, &bin_dir);
    let out = std::process::Command::new("bash")
        .arg(root.join("examples/demo/run.sh"))
        .env("WACFG_BIN_DIR", &bin_dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("==> demo complete: the configuration is applied and the plan is empty"),
        "{stdout}"
    );
    assert!(stdout.contains("No changes."), "{stdout}");
}

/// `cargo test` builds only this package's binaries; the demo also needs `wacfg-sim` beside
/// `wacfg`. Build it (quick: its library is already built) when a plain `cargo test` ran.
fn ensure_simulator_binary(root: &Path, bin_dir: &Path) {
    if bin_dir.join("wacfg-sim").exists() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "-p", "wacfg-sim", "--bin", "wacfg-sim"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cannot build wacfg-sim for the demo");
    assert!(
        bin_dir.join("wacfg-sim").exists(),
        "wacfg-sim is not in {}",
        bin_dir.display()
    );
}
