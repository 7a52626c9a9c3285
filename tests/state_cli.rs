//! `wacfg state …` end to end with the real binary: list, show, rm, pull, push, history and
//! force-unlock, their exit codes and JSON output, on the local store and on PostgreSQL.

#[path = "support/state_fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;
use wacfg::state::local::LocalStore;
use wacfg::state::{StateDocument, open_store};

/// A config directory with `wacfg.yaml` (no `state:` block: the default local store) and a
/// state at serial 1 holding credentials.acme and channel_configuration.Marketing_00000.
fn seeded() -> (TempDir, PathBuf, StateDocument) {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("wacfg.yaml");
    std::fs::write(&config, "version: 1\n").unwrap();
    let store = LocalStore::new(dir.path().join("wacfg.state.json"));
    let doc = store.write(&fixtures::sample_doc(1), None).unwrap();
    (dir, config, doc)
}

fn wacfg(args: &[&str], config: &Path) -> Command {
    let mut cmd = Command::cargo_bin("wacfg").unwrap();
    cmd.arg("state").args(args).arg("-c").arg(config);
    cmd
}

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn list_prints_resources_human_and_json() {
    let (_dir, config, doc) = seeded();
    wacfg(&["list"], &config).assert().success().stdout(
        predicate::str::starts_with("ADDRESS ")
            .and(predicate::str::contains("  STATUS       VERSION\n"))
            .and(predicate::str::contains("credentials.acme"))
            .and(predicate::str::contains(
                "channel_configuration.Marketing_00000  active       v3",
            )),
    );
    let json = json_of(&mut wacfg(&["list", "--format", "json"], &config));
    assert_eq!(json["serial"], 1);
    assert_eq!(json["lineage"], doc.lineage.to_string());
    assert_eq!(json["resources"][0]["address"], "credentials.acme");
    assert_eq!(json["resources"][1]["status"], "active");
}

#[test]
fn top_level_show_honours_human_and_json_and_refuses_plan_only_formats() {
    let (_dir, config, _) = seeded();
    let top = |format: &str| {
        let mut cmd = Command::cargo_bin("wacfg").unwrap();
        cmd.args(["show", "--format", format, "-c"]).arg(&config);
        cmd
    };
    json_of(&mut top("json"));
    top("human")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "channel_configuration.Marketing_00000",
        ));
    for format in ["markdown", "github"] {
        top(format)
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::starts_with(format!(
                "error: --format {format} is for plans"
            )));
    }
}

#[test]
fn show_prints_the_document_or_one_resource() {
    let (dir, config, doc) = seeded();
    let whole = json_of(&mut wacfg(&["show", "--format", "json"], &config));
    let file: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("wacfg.state.json")).unwrap())
            .unwrap();
    assert_eq!(whole, file);
    assert_eq!(whole["checksum"], doc.checksum);
    let one = json_of(&mut wacfg(
        &[
            "show",
            "channel_configuration.Marketing_00000",
            "--format",
            "json",
        ],
        &config,
    ));
    assert_eq!(one["kind"], "channel_configuration");
    assert_eq!(one["phone_number_id"], "300400500");
    wacfg(&["show", "credentials.acme"], &config)
        .assert()
        .success()
        .stdout(predicate::str::contains("  waba_id: 200300400"));
    wacfg(&["show", "credentials.nope"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "credentials.nope is not in the state",
        ));
    wacfg(&["show", "channel.x"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a resource address"));
}

#[test]
fn rm_needs_a_terminal_or_yes() {
    let (dir, config, _doc) = seeded();
    let state = dir.path().join("wacfg.state.json");
    let before = std::fs::read(&state).unwrap();
    wacfg(&["rm", "credentials.acme"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "stdin is not a terminal; pass --yes",
        ));
    assert_eq!(std::fs::read(&state).unwrap(), before);
    wacfg(&["rm", "credentials.acme", "--yes"], &config)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Removed credentials.acme from the state (now serial 2)",
        ));
    let after = LocalStore::new(&state).read().unwrap().unwrap();
    assert_eq!(after.serial, 2);
    assert!(!after.resources.contains_key("credentials.acme"));
    assert!(dir.path().join("wacfg.state.json.backup").exists());
    wacfg(&["rm", "credentials.acme", "--yes"], &config)
        .assert()
        .code(1);
}

#[tokio::test]
async fn rm_names_the_lock_holder_when_locked() {
    let (dir, config, _doc) = seeded();
    let store = open_store(&fixtures::local_settings(dir.path()))
        .await
        .unwrap();
    let guard = store.lock("apply", Duration::ZERO).await.unwrap();
    wacfg(
        &["rm", "credentials.acme", "--yes", "--lock-timeout", "200ms"],
        &config,
    )
    .assert()
    .code(1)
    .stderr(
        predicate::str::contains(format!("(pid {}) for `apply`", std::process::id())).and(
            predicate::str::contains(format!("force-unlock {}", guard.info.id)),
        ),
    );
    guard.release().await.unwrap();
}

#[test]
fn pull_then_push_round_trips_and_push_refuses_older_or_foreign_states() {
    let (dir, config, doc) = seeded();
    let pulled = wacfg(&["pull"], &config)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let saved = dir.path().join("saved.json");
    std::fs::write(&saved, &pulled).unwrap();
    wacfg(&["push", saved.to_str().unwrap()], &config)
        .assert()
        .success()
        .stdout(predicate::str::contains("the state is now serial 2"));
    // saved.json (serial 1) is now older than the state (serial 2).
    wacfg(&["push", saved.to_str().unwrap()], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "serial 1, older than the state's serial 2",
        ));
    let foreign = dir.path().join("foreign.json");
    let mut other = fixtures::sample_doc(0);
    other.serial = 9;
    wacfg::state::canonical::seal(&mut other);
    std::fs::write(&foreign, wacfg::state::canonical::encode(&other)).unwrap();
    wacfg(&["push", foreign.to_str().unwrap()], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "but the state has lineage {}",
            doc.lineage
        )));
    wacfg(&["push", foreign.to_str().unwrap(), "--force"], &config)
        .assert()
        .success();
    let now = LocalStore::new(dir.path().join("wacfg.state.json"))
        .read()
        .unwrap()
        .unwrap();
    assert_eq!((now.lineage, now.serial), (other.lineage, 10));
    let mut tampered = std::fs::read_to_string(&saved).unwrap();
    tampered = tampered.replace("Marketing_00000", "Marketing_99999");
    std::fs::write(&saved, tampered).unwrap();
    wacfg(&["push", saved.to_str().unwrap(), "--force"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("checksum mismatch"));
}

#[test]
fn history_lists_serials_as_json() {
    let (_dir, config, _doc) = seeded();
    wacfg(&["rm", "credentials.acme", "--yes"], &config)
        .assert()
        .success();
    let json = json_of(&mut wacfg(&["history", "--format", "json"], &config));
    let serials: Vec<u64> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["serial"].as_u64().unwrap())
        .collect();
    assert_eq!(serials, [2, 1]);
    assert_eq!(json[0]["resource_count"], 1);
    wacfg(&["history"], &config)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("SERIAL"));
}

#[tokio::test]
async fn force_unlock_clears_a_dead_runs_lock() {
    let (dir, config, _doc) = seeded();
    let store = open_store(&fixtures::local_settings(dir.path()))
        .await
        .unwrap();
    let guard = store.lock("apply", Duration::ZERO).await.unwrap();
    let id = guard.info.id.clone();
    guard.abandon();
    wacfg(&["force-unlock", "not-the-id"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "the current lock is {id}"
        )));
    wacfg(&["force-unlock", &id], &config)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("Released lock {id}")));
    assert!(!dir.path().join("wacfg.state.json.lock.info").exists());
}

#[test]
fn a_corrupt_state_fails_every_read_and_names_the_backup() {
    let (dir, config, _doc) = seeded();
    wacfg(&["rm", "credentials.acme", "--yes"], &config)
        .assert()
        .success();
    let state = dir.path().join("wacfg.state.json");
    let text = std::fs::read_to_string(&state)
        .unwrap()
        .replace("\"active\"", "\"failed\"");
    std::fs::write(&state, &text).unwrap();
    for args in [
        &["list"][..],
        &["show"],
        &["rm", "channel_configuration.Marketing_00000", "--yes"],
    ] {
        wacfg(args, &config).assert().code(1).stderr(
            predicate::str::contains("is corrupt").and(predicate::str::contains(".backup")),
        );
    }
    assert_eq!(std::fs::read_to_string(&state).unwrap(), text);
}

#[test]
fn postgres_backend_from_the_config_file() {
    let dir = TempDir::new().unwrap();
    let workspace = format!("test-cli-{}", uuid::Uuid::new_v4().simple());
    let config = dir.path().join("wacfg.yaml");
    let body = format!(
        "version: 1\nstate:\n  backend: postgres\n  url: env:WACFG_TEST_PG_URL\n  workspace: {workspace}\n"
    );
    std::fs::write(&config, body).unwrap();
    let saved = dir.path().join("saved.json");
    let mut doc = fixtures::sample_doc(2);
    wacfg::state::canonical::seal(&mut doc);
    std::fs::write(&saved, wacfg::state::canonical::encode(&doc)).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = wacfg(args, &config);
        cmd.env("WACFG_TEST_PG_URL", fixtures::pg_conn());
        cmd
    };
    run(&["push", saved.to_str().unwrap()]).assert().success();
    let json = json_of(&mut run(&["list", "--format", "json"]));
    assert_eq!(json["resources"].as_array().unwrap().len(), 3);
    let json = json_of(&mut run(&["history", "--format", "json"]));
    assert_eq!(json[0]["serial"], 1);
    wacfg(&["list"], &config)
        .env_remove("WACFG_TEST_PG_URL")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("WACFG_TEST_PG_URL is not set"));
}

#[test]
fn a_postgres_password_never_reaches_the_output() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("wacfg.yaml");
    std::fs::write(
        &config,
        "version: 1\nstate:\n  backend: postgres\n  url: env:WACFG_TEST_PG_URL\n  workspace: w\n",
    )
    .unwrap();
    let assert = wacfg(&["list"], &config)
        .env(
            "WACFG_TEST_PG_URL",
            "postgres://wacfg:hunter2-test-pw@127.0.0.1:1/state",
        )
        .assert()
        .code(1);
    let out = assert.get_output();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("PostgreSQL (w): connect"), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
}

/// `state push` through a state file that is a symbolic link writes the link's target: the
/// link stays a link to the new state, and the backup and lock files live beside the target.
#[test]
fn push_through_a_symlinked_state_file_updates_the_target_and_keeps_the_link() {
    let (dir, _config, _doc) = seeded();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::rename(
        dir.path().join("wacfg.state.json"),
        real.join("wacfg.state.json"),
    )
    .unwrap();
    let config_dir = dir.path().join("config");
    std::fs::create_dir(&config_dir).unwrap();
    let config = config_dir.join("wacfg.yaml");
    std::fs::write(&config, "version: 1\n").unwrap();
    let link = config_dir.join("wacfg.state.json");
    std::os::unix::fs::symlink("../real/wacfg.state.json", &link).unwrap();

    let pulled = wacfg(&["pull"], &config)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let saved = dir.path().join("saved.json");
    std::fs::write(&saved, &pulled).unwrap();
    wacfg(&["push", saved.to_str().unwrap()], &config)
        .assert()
        .success()
        .stdout(predicate::str::contains("the state is now serial 2"));
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    let target = LocalStore::new(real.join("wacfg.state.json"))
        .read()
        .unwrap()
        .unwrap();
    assert_eq!(target.serial, 2);
    assert!(real.join("wacfg.state.json.backup").exists());
    let beside_link: Vec<String> = std::fs::read_dir(&config_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(beside_link, ["wacfg.state.json", "wacfg.yaml"]);
}

/// A PostgreSQL config file and a runner with its connection string in the environment.
fn pg_config(dir: &Path) -> (PathBuf, String) {
    let workspace = format!("test-cli-recover-{}", uuid::Uuid::new_v4().simple());
    let config = dir.join("wacfg.yaml");
    let body = format!(
        "version: 1\nstate:\n  backend: postgres\n  url: env:WACFG_TEST_PG_URL\n  workspace: {workspace}\n"
    );
    std::fs::write(&config, body).unwrap();
    (config, workspace)
}

fn pg_run(args: &[&str], config: &Path) -> Command {
    let mut cmd = wacfg(args, config);
    cmd.env("WACFG_TEST_PG_URL", fixtures::pg_conn());
    cmd
}

async fn pg_admin() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&fixtures::pg_conn(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The old advice (`UPDATE wacfg.state SET serial = N-1`) left a workspace that refused every
/// write; now it is refused with the command to run, and `state recover` makes writes work
/// again, keeping every serial in the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_recover_makes_a_kept_serial_current_again() {
    let dir = TempDir::new().unwrap();
    let (config, workspace) = pg_config(dir.path());
    let store_settings = {
        let secret = dir.path().join("pg-url");
        std::fs::write(&secret, fixtures::pg_conn()).unwrap();
        wacfg::model::StateSettings::Postgres {
            url: wacfg::model::SecretRef::File(secret),
            workspace: workspace.clone(),
        }
    };
    let store = open_store(&store_settings).await.unwrap();
    let mut doc = store.write(&fixtures::sample_doc(1), None).await.unwrap();
    doc = store.write(&doc, Some(1)).await.unwrap();
    let mut fewer = doc.clone();
    fewer
        .resources
        .retain(|address, _| address.starts_with("credentials."));
    store.write(&fewer, Some(2)).await.unwrap();
    let admin = pg_admin().await;
    admin
        .execute(
            "UPDATE wacfg.state SET serial = 2 WHERE workspace = $1",
            &[&workspace],
        )
        .await
        .unwrap();

    pg_run(&["list"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "wacfg state recover --to-serial 2",
        ));
    // Which serial must be said (a usage error: its exit code is clap's).
    pg_run(&["recover"], &config)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--to-serial"));

    // Keep serial 2 (two resources) as the current state: written as serial 4.
    pg_run(&["recover", "--to-serial", "2"], &config)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "serial 4 is now a copy of serial 2",
        ));
    let json = json_of(&mut pg_run(&["list", "--format", "json"], &config));
    assert_eq!(json["serial"], 4);
    assert_eq!(json["resources"].as_array().unwrap().len(), 2);
    let history = json_of(&mut pg_run(&["history", "--format", "json"], &config));
    let serials: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["serial"].as_u64().unwrap())
        .collect();
    assert_eq!(serials, vec![4, 3, 2, 1], "nothing is lost or rewritten");
    let current = store.read().await.unwrap().unwrap();
    store.write(&current, Some(4)).await.unwrap();

    // A deleted state row: --latest makes the newest kept serial current again.
    admin
        .execute(
            "DELETE FROM wacfg.state WHERE workspace = $1",
            &[&workspace],
        )
        .await
        .unwrap();
    pg_run(&["list"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wacfg state recover --latest"))
        .stdout(predicate::str::contains("No state yet").not());
    pg_run(&["recover", "--latest"], &config)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "serial 6 is now a copy of serial 5",
        ));
    assert_eq!(store.read().await.unwrap().unwrap().serial, 6);
}

#[test]
fn recover_on_the_local_store_points_at_the_backup() {
    let (_dir, config, _) = seeded();
    wacfg(&["recover", "--latest"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wacfg.state.json.backup"));
    Command::cargo_bin("wacfg")
        .unwrap()
        .args(["state", "recover", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--to-serial").and(predicate::str::contains("--latest")));
}

/// `state show --serial N` prints a past serial: on PostgreSQL any serial, rebuilt from the
/// history (here one written whole and one holding only an apply's changes); on the local
/// store the current serial and the backup's, and a clear refusal for the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_serial_prints_a_past_serial_rebuilt_from_the_history() {
    let dir = TempDir::new().unwrap();
    let (config, workspace) = pg_config(dir.path());
    let secret = dir.path().join("pg-url");
    std::fs::write(&secret, fixtures::pg_conn()).unwrap();
    let store = open_store(&wacfg::model::StateSettings::Postgres {
        url: wacfg::model::SecretRef::File(secret),
        workspace,
    })
    .await
    .unwrap();
    let first = store.write(&fixtures::sample_doc(1), None).await.unwrap();
    let failed = fixtures::channel("Marketing_00000", wacfg::kinds::ChannelStatus::Failed);
    let changes = wacfg::state::ResourceChanges {
        upserts: [(failed.address().to_string(), failed)].into(),
        removals: vec![],
    };
    store
        .append(first.lineage, &changes, Some(1))
        .await
        .unwrap();
    let status = |serial: &str| {
        let doc = json_of(&mut pg_run(
            &["show", "--serial", serial, "--format", "json"],
            &config,
        ));
        assert_eq!(doc["serial"], serial.parse::<u64>().unwrap());
        doc["resources"]["channel_configuration.Marketing_00000"]["status"].clone()
    };
    assert_eq!(status("1"), "active");
    assert_eq!(status("2"), "failed");
    pg_run(&["show", "--serial", "3"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("serial 3 is not in the history"));

    let (_dir, config, doc) = seeded();
    let store = LocalStore::new(config.parent().unwrap().join("wacfg.state.json"));
    store.write(&doc, Some(1)).unwrap();
    let local = json_of(&mut wacfg(
        &["show", "--serial", "1", "--format", "json"],
        &config,
    ));
    assert_eq!(local["serial"], 1);
    wacfg(&["show", "--serial", "7"], &config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "serial 7 is not kept by the local state",
        ))
        .stderr(predicate::str::contains("kept now: 2, 1"));
}
