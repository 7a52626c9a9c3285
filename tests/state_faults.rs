//! Fault tests for the state stores: a lock holder killed with SIGKILL (both stores), a write
//! interrupted before its rename, flipped bytes, format upgrades, force-unlock of a live holder,
//! concurrent first-use migrations and the PostgreSQL view.
//!
//! The SIGKILL tests need a real second process holding the lock. Rather than a hidden code path
//! in `wacfg`, they re-execute this test binary running only `child_process_entry`, with
//! WACFG_STATE_LOCK_CHILD set: that function takes the lock, says so through a marker file and
//! sleeps until it is killed.

#[path = "support/state_fixtures.rs"]
mod fixtures;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use wacfg::kinds::{ChannelStatus, RecordedResource};
use wacfg::model::StateSettings;
use wacfg::state::local::LocalStore;
use wacfg::state::{StateError, open_store};

const CHILD_ENV: &str = "WACFG_STATE_LOCK_CHILD";
const CHILD_MARKER: &str = "WACFG_STATE_LOCK_MARKER";

/// Not a test of its own: the child process of the SIGKILL tests (see the module comment).
/// Without WACFG_STATE_LOCK_CHILD it returns at once.
#[tokio::test]
async fn child_process_entry() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let settings: StateSettings = serde_json::from_str(&spec).unwrap();
    let marker = std::env::var(CHILD_MARKER).unwrap();
    let store = open_store(&settings).await.unwrap();
    let guard = store.lock("apply", Duration::ZERO).await.unwrap();
    let temp = format!("{marker}.tmp");
    std::fs::write(&temp, &guard.info.id).unwrap();
    std::fs::rename(&temp, &marker).unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    drop(guard);
}

/// Start a child process holding the lock of `settings`; returns it and its lock id.
async fn spawn_lock_holder(settings: &StateSettings, dir: &Path) -> (std::process::Child, String) {
    let marker = dir.join("child-locked");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, serde_json::to_string(&settings).unwrap())
        .env(CHILD_MARKER, &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the child never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let child_lock = std::fs::read_to_string(&marker).unwrap();
    (child, child_lock)
}

/// Start a child holding the lock, SIGKILL it, and check the next run gets the lock.
async fn killed_holder_frees_the_lock(settings: StateSettings, dir: &Path) {
    let (mut child, child_lock) = spawn_lock_holder(&settings, dir).await;
    let store = open_store(&settings).await.unwrap();
    match store.lock("apply", Duration::ZERO).await.unwrap_err() {
        StateError::Locked(info) => {
            assert_eq!(info.pid, child.id());
            assert_eq!(info.id, child_lock);
        }
        other => panic!("expected the child to hold the lock: {other}"),
    }
    child.kill().unwrap(); // SIGKILL on Unix: no cleanup runs in the child.
    child.wait().unwrap();
    let guard = store.lock("apply", Duration::from_secs(10)).await.unwrap();
    let stale = guard
        .replaced_stale
        .clone()
        .expect("the dead child's lock info");
    assert_eq!(stale.id, child_lock);
    guard.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_lock_of_a_sigkilled_process_is_taken_over() {
    let dir = TempDir::new().unwrap();
    killed_holder_frees_the_lock(fixtures::local_settings(dir.path()), dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lock_of_a_sigkilled_process_is_taken_over() {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), "sigkill");
    killed_holder_frees_the_lock(settings, dir.path()).await;
}

#[tokio::test]
async fn a_write_interrupted_before_the_rename_leaves_the_previous_state() {
    let dir = TempDir::new().unwrap();
    let store = LocalStore::new(dir.path().join("wacfg.state.json"));
    let first = store.write(&fixtures::sample_doc(2), None).unwrap();
    let before = std::fs::read(store.path()).unwrap();
    let mut next = first.clone();
    next.upsert(fixtures::credentials("never_committed"));
    let staged = store.stage(&next).unwrap();
    let temp = staged.temp_path().to_path_buf();
    staged.abandon(); // the process dies here, before the rename
    assert!(temp.exists(), "the crash leaves its temp file");
    assert_eq!(std::fs::read(store.path()).unwrap(), before);
    assert_eq!(store.read().unwrap().unwrap(), first);
    // The leftover temp file does not get in the way of the next write, which removes it.
    let second = store.write(&next, Some(1)).unwrap();
    assert_eq!(store.read().unwrap().unwrap(), second);
    assert!(
        !temp.exists(),
        "the next write removes the crash's temp file"
    );
    let backup = LocalStore::new(store.backup_path())
        .read()
        .unwrap()
        .unwrap();
    assert_eq!(backup, first, "the previous version is kept as the backup");
}

#[tokio::test]
async fn a_flipped_byte_is_refused_and_the_file_left_as_it_was() {
    let dir = TempDir::new().unwrap();
    let store = LocalStore::new(dir.path().join("wacfg.state.json"));
    let first = store.write(&fixtures::sample_doc(2), None).unwrap();
    store.write(&first, Some(1)).unwrap();
    let good = std::fs::read(store.path()).unwrap();
    let text = String::from_utf8(good.clone()).unwrap();
    // A value, a key, a number, the checksum, a separator and the final newline.
    let spots = [
        text.find("Marketing_00001").unwrap() + 3,
        text.find("\"verified_name\"").unwrap() + 2,
        text.find("\"serial\":2").unwrap() + 9,
        text.find("sha256:").unwrap() + 12,
        text.find(",\"format_version\"").unwrap(),
        text.len() - 1,
    ];
    for spot in spots {
        let mut bad = good.clone();
        bad[spot] ^= 0x01;
        std::fs::write(store.path(), &bad).unwrap();
        let err = store.read().unwrap_err();
        assert!(
            matches!(err, StateError::Corrupt { .. }),
            "byte {spot}: {err}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&store.path().display().to_string()), "{msg}");
        assert!(
            msg.contains(&store.backup_path().display().to_string()),
            "{msg}"
        );
        let write = store.write(&first, Some(2)).unwrap_err();
        assert!(matches!(write, StateError::Corrupt { .. }), "{write}");
        assert_eq!(
            std::fs::read(store.path()).unwrap(),
            bad,
            "the file was changed"
        );
    }
}

#[test]
fn single_bit_flips_anywhere_in_a_state_are_detected() {
    let dir = TempDir::new().unwrap();
    let store = LocalStore::new(dir.path().join("s.json"));
    store.write(&fixtures::sample_doc(1), None).unwrap();
    let good = std::fs::read(store.path()).unwrap();
    let origin = wacfg::state::canonical::Origin {
        location: "test".into(),
        restore: "none".into(),
    };
    // Every byte, two of its bits (rotating, so every bit position is covered across bytes).
    for spot in 0..good.len() {
        for bit in [spot % 8, (spot + 3) % 8] {
            let mut bad = good.clone();
            bad[spot] ^= 1 << bit;
            assert!(
                wacfg::state::canonical::decode(&bad, &origin).is_err(),
                "flipping bit {bit} of byte {spot} went unnoticed"
            );
        }
    }
}

/// A format 1 document: `resources` was an array.
fn format_1_bytes(doc: &wacfg::state::StateDocument) -> Vec<u8> {
    let mut value = serde_json::to_value(doc).unwrap();
    let resources: Vec<_> = doc
        .resources
        .values()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    value["resources"] = serde_json::Value::Array(resources);
    value["format_version"] = 1.into();
    value["checksum"] = wacfg::state::canonical::checksum_of(&value).into();
    serde_json::to_vec_pretty(&value).unwrap()
}

#[tokio::test]
async fn a_format_1_state_is_upgraded_on_read_and_written_as_format_2() {
    let dir = TempDir::new().unwrap();
    let store = LocalStore::new(dir.path().join("wacfg.state.json"));
    let mut old = fixtures::sample_doc(2);
    old.serial = 5;
    std::fs::write(store.path(), format_1_bytes(&old)).unwrap();
    let read = store.read().unwrap().unwrap();
    assert_eq!(read.format_version, 2);
    assert_eq!((read.lineage, read.serial), (old.lineage, 5));
    assert_eq!(read.resources, old.resources);
    let mut resealed = read.clone();
    wacfg::state::canonical::seal(&mut resealed);
    assert_eq!(
        read.checksum, resealed.checksum,
        "the upgraded document is resealed"
    );
    store.write(&read, Some(5)).unwrap();
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
    assert_eq!(raw["format_version"], 2);
    assert!(raw["resources"]["channel_configuration.Marketing_00001"].is_object());
}

#[test]
fn a_resource_whose_kind_disagrees_with_its_address_is_refused() {
    let mut doc = fixtures::sample_doc(0);
    wacfg::state::canonical::seal(&mut doc);
    let mut value = serde_json::to_value(&doc).unwrap();
    value["resources"]["credentials.acme"]["kind"] = "channel_configuration".into();
    let origin = wacfg::state::canonical::Origin {
        location: "test".into(),
        restore: "none".into(),
    };
    let bytes = serde_json::to_vec_pretty(&value).unwrap();
    let err = wacfg::state::canonical::decode(&bytes, &origin)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("credentials.acme") && err.contains("channel_configuration"),
        "{err}"
    );
}

#[tokio::test]
async fn a_newer_format_is_refused_with_upgrade_advice() {
    let dir = TempDir::new().unwrap();
    let store = LocalStore::new(dir.path().join("wacfg.state.json"));
    let mut value = serde_json::to_value(fixtures::sample_doc(0)).unwrap();
    value["format_version"] = 3.into();
    value["checksum"] = wacfg::state::canonical::checksum_of(&value).into();
    std::fs::write(store.path(), serde_json::to_vec(&value).unwrap()).unwrap();
    let err = store.read().unwrap_err().to_string();
    assert!(
        err.contains("format_version 3") && err.contains("upgrade wacfg"),
        "{err}"
    );
}

#[tokio::test]
async fn local_force_unlock_refuses_a_live_holder_and_names_its_pid() {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::local_settings(dir.path());
    let store = open_store(&settings).await.unwrap();
    let guard = store.lock("apply", Duration::ZERO).await.unwrap();
    let err = store.force_unlock(&guard.info.id).await.unwrap_err();
    assert!(matches!(err, StateError::HeldByLiveProcess(_)), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("kill {}", std::process::id())),
        "{err}"
    );
    guard.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_force_unlock_ends_a_hung_holders_session() {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), "hung");
    let hung = open_store(&settings).await.unwrap();
    let guard = hung.lock("apply", Duration::ZERO).await.unwrap();
    let other = open_store(&settings).await.unwrap();
    let cleared = other.force_unlock(&guard.info.id).await.unwrap();
    assert_eq!(cleared.id, guard.info.id);
    let next = other.lock("apply", Duration::from_secs(5)).await.unwrap();
    assert!(next.replaced_stale.is_none());
    next.release().await.unwrap();
    drop(guard);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_corrupt_state_is_refused_with_the_serial_to_restore() {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), "corrupt");
    let StateSettings::Postgres { workspace, .. } = &settings else {
        unreachable!()
    };
    let store = open_store(&settings).await.unwrap();
    let first = store.write(&fixtures::sample_doc(1), None).await.unwrap();
    store.write(&first, Some(1)).await.unwrap();
    let client = connect(&fixtures::pg_conn()).await;
    client
        .execute(
            "UPDATE wacfg.state_history SET document = replace(document, '\"active\"', '\"failed\"')
             WHERE workspace = $1 AND serial = 2",
            &[workspace],
        )
        .await
        .unwrap();
    let err = store.read().await.unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(workspace.as_str())
            && msg.contains("wacfg state recover --to-serial 1")
            && !msg.contains("UPDATE"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_view_lists_channel_configurations_for_senders() {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), "view");
    let StateSettings::Postgres { workspace, .. } = &settings else {
        unreachable!()
    };
    let store = open_store(&settings).await.unwrap();
    let mut doc = fixtures::sample_doc(1);
    let mut broken = fixtures::channel("Broken", ChannelStatus::Failed);
    if let RecordedResource::ChannelConfiguration(c) = &mut broken {
        c.spec.templates = vec!["order_update".into(), "shipping_notice".into()];
    }
    doc.upsert(broken);
    store.write(&doc, None).await.unwrap();
    let client = connect(&fixtures::pg_conn()).await;
    let rows = client
        .query(
            "SELECT name, status, sender_number, phone_number_id, version, templates::text
             FROM wacfg.channel_configurations WHERE workspace = $1 ORDER BY name",
            &[workspace],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, String, String, i32, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    let row = |n: &str, s: &str, templates: &str| {
        (
            n.into(),
            s.into(),
            "33612345678".into(),
            "300400500".into(),
            3,
            templates.into(),
        )
    };
    assert_eq!(
        got,
        vec![
            row("Broken", "failed", r#"["order_update", "shipping_notice"]"#),
            row("Marketing_00000", "active", "[]")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_uses_of_a_fresh_database_migrate_once() {
    let admin = connect(&fixtures::pg_conn()).await;
    let db = fixtures::FreshDatabase::create(&admin, "migrate").await;
    let conn = db.conn.clone();
    let opens = (0..4).map(|i| {
        let conn = conn.clone();
        async move { wacfg::state::postgres::PgStore::connect(&conn, &format!("ws{i}")).await }
    });
    let results = futures::future::join_all(opens).await;
    for result in &results {
        assert!(result.is_ok(), "{:?}", result.as_ref().err());
    }
    let client = connect(&conn).await;
    let applied: Vec<i32> = client
        .query(
            "SELECT version FROM wacfg.schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        applied,
        [1, 2, 3, 4, 5, 6],
        "each migration applied exactly once"
    );
    drop((results, client));
    db.drop_with(&admin).await;
}

/// A workspace at serial 3 (serials 1, 2, 3 in history), then `damage` run on it by hand.
async fn damaged(label: &str, damage: &str) -> (TempDir, wacfg::state::Store, String) {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), label);
    let StateSettings::Postgres { workspace, .. } = &settings else {
        unreachable!()
    };
    let workspace = workspace.clone();
    let store = open_store(&settings).await.unwrap();
    let mut doc = store.write(&fixtures::sample_doc(1), None).await.unwrap();
    for serial in 1..3 {
        doc = store.write(&doc, Some(serial)).await.unwrap();
    }
    if !damage.is_empty() {
        let client = connect(&fixtures::pg_conn()).await;
        client
            .execute(damage, &[&workspace])
            .await
            .unwrap_or_else(|e| panic!("{damage}: {e}"));
    }
    (dir, store, workspace)
}

/// Every inconsistent combination of `wacfg.state` and `wacfg.state_history` is refused on
/// read and on write, with the `wacfg state recover` command that fixes it; none reads as
/// "no state yet".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_inconsistent_state_is_refused_with_the_recover_command() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "rolled-back",
            // The advice wacfg used to print: a later write then failed on state_history_pkey.
            "UPDATE wacfg.state SET serial = 2 WHERE workspace = $1",
            &[
                "history holds serials above the current serial 2 (up to 3)",
                "wacfg state recover --to-serial 2",
                "wacfg state recover --latest",
            ],
        ),
        (
            "row-deleted",
            "DELETE FROM wacfg.state WHERE workspace = $1",
            &[
                "no current-state row",
                "history holds serials up to 3",
                "wacfg state recover --latest",
            ],
        ),
        (
            "serial-missing",
            "UPDATE wacfg.state SET serial = 7 WHERE workspace = $1",
            &[
                "current serial 7 is not in the history",
                "wacfg state recover --latest",
            ],
        ),
        (
            "history-row-deleted",
            "DELETE FROM wacfg.state_history WHERE workspace = $1 AND serial = 3",
            &[
                "current serial 3 is not in the history",
                "wacfg state recover --latest",
            ],
        ),
        (
            "lineage",
            "UPDATE wacfg.state SET lineage = '00000000-0000-4000-8000-000000000000'
             WHERE workspace = $1",
            &[
                "lineage 00000000-0000-4000-8000-000000000000",
                "wacfg state recover --to-serial 3",
            ],
        ),
        (
            "copied-row",
            // Serial 3's row given serial 2's (valid, checksummed) document.
            "UPDATE wacfg.state_history SET document = (SELECT document FROM wacfg.state_history
               WHERE workspace = $1 AND serial = 2)
             WHERE workspace = $1 AND serial = 3",
            &[
                "serial 3 holds the document of serial 2",
                "wacfg state recover --to-serial",
            ],
        ),
    ];
    for (label, damage, expected) in cases {
        let (_dir, store, workspace) = damaged(label, damage).await;
        let err = match store.read().await {
            Ok(doc) => panic!("{label}: read as {:?}", doc.map(|d| d.serial)),
            Err(e) => e.to_string(),
        };
        for part in *expected {
            assert!(err.contains(part), "{label}: {err}\nmissing: {part}");
        }
        assert!(
            err.contains(&workspace) && !err.contains("UPDATE"),
            "{label}: {err}"
        );
        // Writes are refused the same way, whatever serial they expect. (A copied row is
        // caught by the read every write path makes first: telling them apart at write time
        // would mean parsing the document inside the compare-and-swap.)
        let writes: &[Option<u64>] = if *label == "copied-row" {
            &[]
        } else {
            &[None, Some(2), Some(3)]
        };
        for &expected_serial in writes {
            let err = store
                .write(&fixtures::sample_doc(1), expected_serial)
                .await
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("wacfg state recover") && !err.contains("pkey"),
                "{label} write {expected_serial:?}: {err}"
            );
        }
    }
}

async fn connect(conn: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL must be running on 127.0.0.1:5432");
    tokio::spawn(connection);
    client
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_symlink()
}

/// A state file that is a symbolic link is written through to its target (the link keeps
/// pointing at the current state) and locked as its target: a second process locking through
/// the link and one locking through the target see the same lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_state_file_is_written_and_locked_through_its_target() {
    let dir = TempDir::new().unwrap();
    let real = dir.path().join("real");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::create_dir_all(&config).unwrap();
    let target = real.join("wacfg.state.json");
    let link = config.join("wacfg.state.json");
    std::os::unix::fs::symlink("../real/wacfg.state.json", &link).unwrap();

    // The first write creates the target through the (dangling) link; later ones update it.
    let through_link = LocalStore::new(&link);
    let first = through_link.write(&fixtures::sample_doc(1), None).unwrap();
    let mut next = first.clone();
    next.upsert(fixtures::credentials("second"));
    let second = through_link.write(&next, Some(first.serial)).unwrap();
    assert!(is_symlink(&link), "the link is still a link");
    assert_eq!(LocalStore::new(&target).read().unwrap().unwrap(), second);
    assert_eq!(through_link.read().unwrap().unwrap(), second);
    let backup = LocalStore::new(real.join("wacfg.state.json.backup"));
    assert_eq!(
        backup.read().unwrap().unwrap(),
        first,
        "the backup is beside the target"
    );
    let beside_link: Vec<String> = std::fs::read_dir(&config)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        beside_link,
        ["wacfg.state.json"],
        "nothing is written beside the link"
    );

    // A second process holds the lock through the link: both paths see its lock.
    let link_settings = StateSettings::Local { path: link.clone() };
    let target_settings = StateSettings::Local {
        path: target.clone(),
    };
    let (mut child, child_lock) = spawn_lock_holder(&link_settings, dir.path()).await;
    for settings in [&target_settings, &link_settings] {
        let store = open_store(settings).await.unwrap();
        match store.lock("apply", Duration::ZERO).await.unwrap_err() {
            StateError::Locked(info) => assert_eq!(info.id, child_lock),
            other => panic!("expected the child's lock: {other}"),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // And the other way round: a lock through the target is the link's lock.
    let store = open_store(&target_settings).await.unwrap();
    let guard = store.lock("apply", Duration::from_secs(10)).await.unwrap();
    match open_store(&link_settings)
        .await
        .unwrap()
        .lock("apply", Duration::ZERO)
        .await
        .unwrap_err()
    {
        StateError::Locked(info) => assert_eq!(info.id, guard.info.id),
        other => panic!("expected the target's lock: {other}"),
    }
    guard.release().await.unwrap();
    assert!(is_symlink(&link));
}

/// What killed writes leave (state temp files, a backup's temp file, a lock info's temp file)
/// is removed by the next write or lock, never a temp file a live writer still owns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leftover_temp_files_are_removed_by_the_next_write_but_never_a_live_one() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let store = LocalStore::new(d.join("wacfg.state.json"));
    let first = store.write(&fixtures::sample_doc(1), None).unwrap();
    let mut next = first.clone();
    next.upsert(fixtures::credentials("next"));
    // A write of this process killed before its rename, and files left by killed processes.
    let staged = store.stage(&next).unwrap();
    let killed = staged.temp_path().to_path_buf();
    staged.abandon();
    let leftovers = [
        killed,
        d.join(".wacfg.state.json.tmp-999999-0123456789abcdef0123456789abcdef"),
        d.join("wacfg.state.json.backup.tmp-999999"),
        d.join("wacfg.state.json.lock.info.tmp-999999"),
    ];
    for path in &leftovers[1..] {
        std::fs::write(path, b"{\"half\": ").unwrap();
    }
    // Files that are not this store's temp files stay.
    let unrelated = [
        d.join(".other.json.tmp-999999-0123"),
        d.join("wacfg.state.json.tmp-999999-not-hidden"),
        d.join("notes.txt"),
    ];
    for path in &unrelated {
        std::fs::write(path, b"keep").unwrap();
    }

    let second = store.write(&next, Some(first.serial)).unwrap();
    let settings = StateSettings::Local {
        path: store.path().to_path_buf(),
    };
    let guard = open_store(&settings)
        .await
        .unwrap()
        .lock("apply", Duration::ZERO)
        .await
        .unwrap();
    guard.release().await.unwrap();
    for path in &leftovers {
        assert!(!path.exists(), "{} was left behind", path.display());
    }
    for path in &unrelated {
        assert!(path.exists(), "{} was removed", path.display());
    }

    // A live staged write is never removed: a write that starts meanwhile waits for it.
    let mut third = second.clone();
    third.upsert(fixtures::credentials("third"));
    third.serial = second.serial + 1;
    wacfg::state::canonical::seal(&mut third);
    let live = store.stage(&third).unwrap();
    let live_temp = live.temp_path().to_path_buf();
    let writer = {
        let store = store.clone();
        let fourth = second.clone();
        std::thread::spawn(move || store.write(&fourth, Some(second.serial)))
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(live_temp.exists(), "a live writer's temp file was removed");
    live.commit().unwrap();
    // The live write is committed, so the waiting one finds a newer serial.
    match writer.join().unwrap() {
        Err(StateError::Conflict { .. }) => {}
        other => panic!("expected a conflict after the live write: {other:?}"),
    }
    assert!(store.read().unwrap().unwrap().resources.len() > second.resources.len());
}
