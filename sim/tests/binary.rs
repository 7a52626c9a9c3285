//! The `wacfg-sim` binary: prints its URL first, serves the world, exits cleanly on SIGTERM,
//! and refuses a bad world file with a clear message.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn world_path() -> String {
    format!("{}/../examples/sim/world.yaml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn prints_its_url_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wacfg-sim"))
        .args(["--world", &world_path(), "--port", "0", "--latency-ms", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("first line has the URL: {line:?}"))
        .to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let me: serde_json::Value = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/v23.0/me"))
            .bearer_auth("test-token-acme")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(me["id"], "100000000000101");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM exits cleanly: {status:?}");
}

#[test]
fn a_bad_world_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.yaml");
    std::fs::write(&path, "tokens:\n  - value: t\n    businesses: [\"42\"]\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wacfg-sim"))
        .args(["--world", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("names business 42"), "{err}");
    assert!(!err.contains("value: t"));
    let out = Command::new(env!("CARGO_BIN_EXE_wacfg-sim"))
        .args(["--world", "/nonexistent/world.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read world file"));
}
