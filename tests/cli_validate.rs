//! CLI tests for `wacfg validate`, `wacfg init` and `wacfg schema`: exit codes, where output
//! goes, and every diagnostics format.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn wacfg() -> Command {
    let mut cmd = Command::cargo_bin("wacfg").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn valid_file_exits_0_with_summary_on_stdout() {
    wacfg()
        .args(["validate", "-c"])
        .arg(path("examples/full.yaml"))
        .assert()
        .code(0)
        .stdout("2 credentials entries, 2 webhooks, 4 channel configurations: valid\n")
        .stderr("");
}

#[test]
fn valid_directory_exits_0() {
    wacfg()
        .args(["validate", "--config"])
        .arg(path("examples/folder"))
        .assert()
        .code(0)
        .stdout(predicate::str::ends_with(
            "2 credentials entries, 2 channel configurations: valid\n",
        ));
}

#[test]
fn invalid_file_exits_1_with_human_diagnostics_on_stderr() {
    wacfg()
        .args(["validate", "-c"])
        .arg(path("tests/fixtures/invalid/phone_with_plus.yaml"))
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("wacfg::phone::format"))
        .stderr(predicate::str::contains(
            "write sender_number: \"15550100001\"",
        ))
        .stderr(predicate::str::contains(
            "error: the configuration is invalid (1 error)",
        ))
        .stderr(predicate::str::contains('\u{1b}').not());
}

#[test]
fn json_format_prints_an_array_on_stdout() {
    let output = wacfg()
        .args(["validate", "--format", "json", "-c"])
        .arg(path("tests/fixtures/invalid/name_invalid_start.yaml"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let value: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let first = &value[0];
    assert_eq!(first["code"], "wacfg::name::invalid_start");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["line"], 9);
    assert_eq!(first["column"], 11);
    assert_eq!(first["pointer"], "/channel_configurations/0/name");
    assert!(
        first["file"]
            .as_str()
            .unwrap()
            .ends_with("name_invalid_start.yaml")
    );
    assert!(first["help"].as_str().unwrap().contains("ASCII letter"));
}

#[test]
fn json_format_of_a_valid_file_is_an_empty_array() {
    wacfg()
        .args(["validate", "--format", "json", "-c"])
        .arg(path("examples/minimal.yaml"))
        .assert()
        .code(0)
        .stdout("[]\n");
}

#[test]
fn github_format_prints_workflow_commands() {
    wacfg()
        .args(["validate", "--format", "github", "-c"])
        .arg(path("tests/fixtures/invalid/channel_unsupported.yaml"))
        .assert()
        .code(1)
        .stdout(predicate::str::is_match(
            r"(?m)^::error file=[^,]*channel_unsupported\.yaml,line=10,col=14,title=wacfg%3A%3Achannel%3A%3Aunsupported::channel `sms` is not supported",
        )
        .unwrap());
}

#[test]
fn missing_default_file_exits_1_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    wacfg()
        .current_dir(dir.path())
        .arg("validate")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wacfg.yaml"));
}

#[test]
fn validate_needs_no_environment() {
    wacfg()
        .env_clear()
        .args(["validate", "-c"])
        .arg(path("examples/full.yaml"))
        .assert()
        .code(0);
}

#[test]
fn init_writes_a_valid_file_and_gitignore_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "target/").unwrap();
    wacfg()
        .args(["init", "--dir"])
        .arg(dir.path())
        .assert()
        .code(0);
    let text = std::fs::read_to_string(dir.path().join("wacfg.yaml")).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema="));
    let ignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    assert!(ignore.starts_with("target/\n"), "{ignore}");
    for line in [
        "wacfg.state.json",
        "wacfg.state.json.journal",
        "wacfg.state.json.backup",
        "wacfg.state.json.lock",
        "wacfg.state.json.lock.info",
        ".wacfg.state.json.tmp-*",
        "wacfg.state.json.backup.tmp-*",
        "wacfg.state.json.lock.info.tmp-*",
    ] {
        assert!(
            ignore.lines().any(|l| l == line),
            "{line} missing: {ignore}"
        );
    }
    wacfg()
        .args(["validate", "-c"])
        .arg(dir.path().join("wacfg.yaml"))
        .assert()
        .code(0);
    wacfg()
        .args(["init", "--dir"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("wacfg.yaml")).unwrap(),
        text
    );
    // A second init elsewhere in the same dir does not duplicate .gitignore lines.
    std::fs::remove_file(dir.path().join("wacfg.yaml")).unwrap();
    wacfg()
        .args(["init", "--dir"])
        .arg(dir.path())
        .assert()
        .code(0);
    let again = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    assert_eq!(again, ignore);
}

#[test]
fn schema_prints_each_kind() {
    let out = wacfg()
        .arg("schema")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        std::fs::read_to_string(path("schemas/wacfg.schema.json")).unwrap()
    );
    for kind in ["plan", "state"] {
        let out = wacfg()
            .args(["schema", kind])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            value["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
}

/// A file large enough to be parsed in pieces on several cores: diagnostics deep in the
/// second half still point at the right line and column, and a credentials block after the
/// long sequence is still seen.
#[test]
fn large_file_parsed_in_pieces_reports_exact_places() {
    let mut text = String::from("version: 1\nchannel_configurations:\n");
    let mut bad_name_line = 0;
    let mut unknown_key_line = 0;
    for i in 0..2_000 {
        let lines_before = text.lines().count();
        let name = if i == 1_500 {
            bad_name_line = lines_before + 1;
            "9starts_with_a_digit".to_string()
        } else {
            format!("Channel_{i:05}")
        };
        text.push_str(&format!(
            "  - name: {name}\n    channel: whatsapp\n    marketing_actions: [emailTargeting]\n    credentials: creds\n    sender_number: \"15550100001\"\n    status: active\n"
        ));
        if i == 1_800 {
            unknown_key_line = text.lines().count() + 1;
            text.push_str("    stauts: active\n");
        }
    }
    text.push_str(
        "credentials:\n  - name: creds\n    token: env:WACFG_TEST_TOKEN\n    business_id: \"1000\"\n    whatsapp_business_account: \"2000\"\n    phone_number: \"15550100001\"\n",
    );
    assert!(text.len() > wacfg::config::PARALLEL_MIN_BYTES);
    assert_eq!(wacfg::config::split_pieces(&text, 2), 2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wacfg.yaml");
    std::fs::write(&file, &text).unwrap();
    let out = wacfg()
        .args(["validate", "--format", "json", "-c"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diags: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let place = |code: &str| {
        diags
            .iter()
            .find(|d| d["code"] == code)
            .map(|d| {
                (
                    d["line"].as_u64().unwrap() as usize,
                    d["column"].as_u64().unwrap(),
                )
            })
            .unwrap_or_else(|| panic!("no {code} in {diags:#?}"))
    };
    assert_eq!(place("wacfg::name::invalid_start"), (bad_name_line, 11));
    assert_eq!(place("wacfg::schema::unknown_key"), (unknown_key_line, 5));
    assert_eq!(diags.len(), 2, "{diags:#?}");
}

#[test]
fn init_adds_only_the_missing_lines_to_an_older_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    // What an older wacfg init wrote.
    let older = "# wacfg local state (never commit it)\nwacfg.state.json\nwacfg.state.json.backup\nwacfg.state.json.lock\n";
    std::fs::write(dir.path().join(".gitignore"), older).unwrap();
    wacfg()
        .args(["init", "--dir"])
        .arg(dir.path())
        .assert()
        .code(0);
    let ignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    let added = ignore.strip_prefix(older).expect("older lines kept");
    assert_eq!(
        added,
        "# wacfg local state (never commit it)\nwacfg.state.json.journal\nwacfg.state.json.lock.info\n\
         .wacfg.state.json.tmp-*\nwacfg.state.json.backup.tmp-*\nwacfg.state.json.lock.info.tmp-*\n"
    );
}

#[test]
fn validate_of_a_directory_with_a_broken_entry_exits_1_quickly_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.yaml"), "version: 1\n").unwrap();
    std::os::unix::fs::symlink(d.join("moved-away.yaml"), d.join("b.yaml")).unwrap();
    std::os::unix::fs::symlink(d.join("c.yaml"), d.join("c.yaml")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(d.join("d.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    for format in ["human", "json", "github"] {
        let started = std::time::Instant::now();
        let out = wacfg()
            .args(["validate", "--no-color", "--format", format, "-c"])
            .arg(d)
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(1)
            .get_output()
            .clone();
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for (code, entry) in [
            ("wacfg::load::dangling_symlink", "b.yaml"),
            ("wacfg::load::symlink_loop", "c.yaml"),
            ("wacfg::load::not_a_file", "d.yaml"),
        ] {
            // GitHub's title escapes `:`.
            let code = if format == "github" {
                code.replace(':', "%3A")
            } else {
                code.to_string()
            };
            assert!(text.contains(&code), "{format}: {code} missing: {text}");
            assert!(text.contains(entry), "{format}: {entry} missing: {text}");
        }
    }
}

/// Exit 2 means "changes present" (`plan --detailed-exitcode`) and "drift present" (`drift`),
/// so a mistyped command line must never exit 2: CI would read it as a plan with changes.
#[test]
fn usage_errors_exit_1_not_the_changes_present_code_2() {
    let cases: [&[&str]; 7] = [
        &["validate", "--no-such-flag"],
        &["plan", "--detailed-exitcode", "--no-such-flag"],
        &["drift", "--no-such-flag"],
        &["apply", "--no-such-flag"],
        &["discover", "--token", "env:X"],
        &["no-such-command"],
        &[],
    ];
    for args in cases {
        let assert = wacfg().args(args).assert().code(1).stdout("");
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains("error:") || stderr.contains("Usage:"),
            "{args:?}: clap's message on stderr, got: {stderr}"
        );
    }
    wacfg()
        .args(["plan", "--no-such-flag"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "unexpected argument '--no-such-flag'",
        ))
        .stderr(predicate::str::contains("Usage: wacfg plan"));
    wacfg()
        .args(["discover", "--business-id", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--token <REF>"));
}

#[test]
fn help_and_version_still_exit_0_on_stdout() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["--version"],
        &["-V"],
        &["plan", "--help"],
        &["help", "drift"],
    ] {
        let assert = wacfg().args(args).assert().code(0).stderr("");
        assert!(!assert.get_output().stdout.is_empty(), "{args:?}");
    }
    wacfg()
        .arg("--help")
        .assert()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("usage error"));
}

#[test]
fn a_reader_that_went_away_is_no_panic() {
    // `wacfg schema | head -1`: the pipe's reader is closed before wacfg writes a byte.
    for args in [
        vec!["schema"],
        vec!["schema", "plan"],
        vec!["version"],
        vec!["completions", "bash"],
        vec!["validate", "-c", "examples/full.yaml"],
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("wacfg runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}
