//! The local store's journal of group commits (see `src/state/journal.rs` and
//! `docs/state-writes.md`): a write costs its changes, not the estate; a torn last record is
//! dropped; a journal left by earlier runs (or a crash) is read, and folded by a lock once it
//! has grown to half the snapshot; the
//! compare-and-swap holds; and SIGKILL at random points of appends and folds on a state of
//! 10,000 resources never loses a change that was reported durable.
//!
//! The SIGKILL test re-executes this binary running only `append_child_entry` (with
//! WACFG_JOURNAL_CHILD set), which appends changes forever and prints each one after its append
//! returned.

#[path = "support/state_fixtures.rs"]
mod fixtures;
#[path = "support/kill_seed.rs"]
mod kill_seed;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use tempfile::TempDir;
use wacfg::kinds::ChannelStatus;
use wacfg::state::local::LocalStore;
use wacfg::state::{ResourceChanges, StateError};

const CHILD_ENV: &str = "WACFG_JOURNAL_CHILD";

/// One channel configuration upserted.
fn upsert(name: &str) -> ResourceChanges {
    let r = fixtures::channel(name, ChannelStatus::Active);
    ResourceChanges {
        upserts: BTreeMap::from([(r.address().to_string(), r)]),
        removals: vec![],
    }
}

/// A store in `dir` holding a snapshot of `resources` resources (serial 1).
fn seeded(dir: &Path, resources: usize) -> LocalStore {
    let store = LocalStore::new(dir.join("wacfg.state.json"));
    store
        .write(&fixtures::sample_doc(resources - 1), None)
        .unwrap();
    store
}

fn identity(path: &Path) -> (u64, u64, u64) {
    let m = std::fs::metadata(path).unwrap();
    (m.ino(), m.len(), m.mtime_nsec() as u64)
}

/// What an apply of `changes` groups of one new configuration each writes to the store before
/// its final fold: the journal's bytes. The snapshot is neither rewritten nor replaced.
fn journal_bytes_for(resources: usize, changes: usize) -> (u64, u64) {
    let dir = TempDir::new().unwrap();
    let store = seeded(dir.path(), resources);
    let snapshot = identity(store.path());
    let lineage = store.read().unwrap().unwrap().lineage;
    for i in 0..changes {
        let written = store
            .append(lineage, &upsert(&format!("New_{i:03}")), Some(1 + i as u64))
            .unwrap();
        assert_eq!(written.serial, 2 + i as u64);
    }
    assert_eq!(
        identity(store.path()),
        snapshot,
        "the snapshot was not touched"
    );
    let journal = std::fs::metadata(store.journal_path()).unwrap().len();
    let doc = store.read().unwrap().unwrap();
    assert_eq!(doc.serial, 1 + changes as u64);
    assert_eq!(doc.resources.len(), resources + changes);
    // The fold at the end writes the final document once, with the last serial.
    store.fold().unwrap();
    assert!(!store.journal_path().exists());
    let folded = store.read().unwrap().unwrap();
    assert_eq!(
        (folded.serial, folded.resources.len()),
        (doc.serial, doc.resources.len())
    );
    (journal, std::fs::metadata(store.path()).unwrap().len())
}

#[test]
fn journal_writes_cost_the_changes_not_the_size_of_the_estate() {
    let (small, small_state) = journal_bytes_for(100, 20);
    let (large, large_state) = journal_bytes_for(10_000, 20);
    // The same 20 changes write the same bytes whatever the estate (serials, dates and
    // lineages have the same width in both).
    assert_eq!(
        small, large,
        "journal bytes: 100 resources {small}, 10,000 {large}"
    );
    // ... and far less than one copy of the large state per group, as whole-document writes
    // cost before the journal: 20 groups × 5 MB.
    assert!(
        large * 100 < large_state,
        "{large} journal bytes, state {large_state}"
    );
    assert!(small_state < large_state);
}

#[test]
fn a_torn_last_record_is_dropped_and_the_next_append_replaces_it() {
    let dir = TempDir::new().unwrap();
    let store = seeded(dir.path(), 10);
    let lineage = store.read().unwrap().unwrap().lineage;
    store.append(lineage, &upsert("A"), Some(1)).unwrap();
    let after_a = std::fs::metadata(store.journal_path()).unwrap().len();
    store.append(lineage, &upsert("B"), Some(2)).unwrap();
    let full = std::fs::read(store.journal_path()).unwrap();
    // A crash in the middle of B's append (never reported durable).
    for cut in [
        after_a as usize + 1,
        (after_a as usize + full.len()) / 2,
        full.len() - 1,
    ] {
        std::fs::write(store.journal_path(), &full[..cut]).unwrap();
        let fresh = LocalStore::new(store.path());
        let doc = fresh.read().unwrap().unwrap();
        assert_eq!(doc.serial, 2, "cut at {cut}");
        assert!(doc.resources.contains_key("channel_configuration.A"));
        assert!(!doc.resources.contains_key("channel_configuration.B"));
    }
    // The next run appends serial 3 over the torn bytes, and the journal reads whole again.
    let fresh = LocalStore::new(store.path());
    fresh.append(lineage, &upsert("C"), Some(2)).unwrap();
    let doc = fresh.read().unwrap().unwrap();
    assert_eq!(doc.serial, 3);
    assert!(doc.resources.contains_key("channel_configuration.C"));
    assert!(!doc.resources.contains_key("channel_configuration.B"));
    let bytes = std::fs::read(store.journal_path()).unwrap();
    assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 2);
    assert!(bytes.ends_with(b"\n"));
}

#[test]
fn a_damaged_record_before_the_last_is_refused_naming_the_journal() {
    let dir = TempDir::new().unwrap();
    let store = seeded(dir.path(), 10);
    let lineage = store.read().unwrap().unwrap().lineage;
    store.append(lineage, &upsert("A"), Some(1)).unwrap();
    store.append(lineage, &upsert("B"), Some(2)).unwrap();
    let mut bytes = std::fs::read(store.journal_path()).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(store.journal_path(), &bytes).unwrap();
    let err = LocalStore::new(store.path()).read().unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StateError::Corrupt { .. }), "{text}");
    assert!(text.contains("wacfg.state.json.journal"), "{text}");
    assert!(text.contains("record 1"), "{text}");
    // Nothing writes over it either.
    let again = LocalStore::new(store.path()).append(lineage, &upsert("C"), Some(3));
    assert!(
        matches!(again, Err(StateError::Corrupt { .. })),
        "{again:?}"
    );
    assert_eq!(std::fs::read(store.journal_path()).unwrap(), bytes);
}

#[tokio::test]
async fn a_journal_left_by_earlier_runs_is_read_and_folded_by_a_lock_once_it_is_half_the_snapshot()
{
    let dir = TempDir::new().unwrap();
    let store = seeded(dir.path(), 10);
    let lineage = store.read().unwrap().unwrap().lineage;
    store.append(lineage, &upsert("A"), Some(1)).unwrap();
    store.append(lineage, &upsert("B"), Some(2)).unwrap();
    // The run dies here, before its fold. A reader sees every change.
    let next = LocalStore::new(store.path());
    let doc = next.read().unwrap().unwrap();
    assert_eq!(doc.serial, 3);
    assert_eq!(
        next.history()
            .unwrap()
            .iter()
            .map(|e| e.serial)
            .collect::<Vec<_>>(),
        [3, 1]
    );
    // A journal smaller than half the snapshot is left as it is by the next lock: the state is
    // read through it, and folding would rewrite the whole snapshot for two records.
    let snapshot = identity(next.path());
    let (guard, _, _) = next.lock("apply", Duration::ZERO).await.unwrap();
    drop(guard);
    assert!(next.journal_path().exists());
    assert_eq!(
        identity(next.path()),
        snapshot,
        "the snapshot was not rewritten"
    );
    assert_eq!(next.read().unwrap().unwrap(), doc);
    // Once the journal reaches half the snapshot, the next lock folds it.
    let mut serial = 3;
    while std::fs::metadata(next.journal_path()).unwrap().len() * 2
        < std::fs::metadata(next.path()).unwrap().len()
    {
        next.append(lineage, &upsert(&format!("More_{serial}")), Some(serial))
            .unwrap();
        serial += 1;
    }
    let doc = next.read().unwrap().unwrap();
    assert_eq!(doc.serial, serial);
    let (guard, _, _) = next.lock("apply", Duration::ZERO).await.unwrap();
    assert!(!next.journal_path().exists());
    let bytes = std::fs::read(next.path()).unwrap();
    let snapshot: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(snapshot["serial"], serial);
    assert!(snapshot["resources"]["channel_configuration.B"].is_object());
    assert_eq!(
        next.read().unwrap().unwrap(),
        doc,
        "the same document, sealed"
    );
    drop(guard);
}

#[test]
fn a_crash_between_the_folds_rename_and_the_journals_removal_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let store = seeded(dir.path(), 10);
    let lineage = store.read().unwrap().unwrap().lineage;
    store.append(lineage, &upsert("A"), Some(1)).unwrap();
    store.append(lineage, &upsert("B"), Some(2)).unwrap();
    let journal = std::fs::read(store.journal_path()).unwrap();
    store.fold().unwrap();
    // Put back what the removal would have removed: records at or below the snapshot.
    std::fs::write(store.journal_path(), &journal).unwrap();
    let next = LocalStore::new(store.path());
    let doc = next.read().unwrap().unwrap();
    assert_eq!(doc.serial, 3);
    assert_eq!(doc.resources.len(), 12);
    let written = next.append(lineage, &upsert("C"), Some(3)).unwrap();
    assert_eq!(written.serial, 4);
    next.fold().unwrap();
    let doc = next.read().unwrap().unwrap();
    assert_eq!((doc.serial, doc.resources.len()), (4, 13));
}

#[test]
fn appends_and_whole_writes_are_compare_and_swap_on_the_serial() {
    let dir = TempDir::new().unwrap();
    let a = seeded(dir.path(), 10);
    let b = LocalStore::new(a.path());
    let lineage = a.read().unwrap().unwrap().lineage;
    a.append(lineage, &upsert("A"), Some(1)).unwrap();
    // b has not seen serial 2.
    let lost = b.append(lineage, &upsert("B"), Some(1));
    assert!(
        matches!(
            lost,
            Err(StateError::Conflict {
                expected: Some(1),
                found: Some(2)
            })
        ),
        "{lost:?}"
    );
    let doc = b.read().unwrap().unwrap();
    let lost = b.write(&doc, Some(1));
    assert!(matches!(lost, Err(StateError::Conflict { .. })), "{lost:?}");
    // A whole-document write from the current serial replaces the snapshot and the journal.
    let written = b.write(&doc, Some(2)).unwrap();
    assert_eq!(written.serial, 3);
    assert!(!b.journal_path().exists());
    // a's remembered journal position is stale now: it finds serial 3, not its own 2.
    let lost = a.append(lineage, &upsert("C"), Some(2));
    assert!(
        matches!(lost, Err(StateError::Conflict { found: Some(3), .. })),
        "{lost:?}"
    );
    a.append(lineage, &upsert("C"), Some(3)).unwrap();
    assert_eq!(b.read().unwrap().unwrap().serial, 4);
}

#[test]
fn a_read_made_before_the_lock_is_adopted_only_while_the_files_are_as_read() {
    let dir = TempDir::new().unwrap();
    let writer = seeded(dir.path(), 10);
    let lineage = writer.read().unwrap().unwrap().lineage;
    writer.append(lineage, &upsert("A"), Some(1)).unwrap();
    // A read (the prefetch) through one handle, adopted by another (the apply's store): the
    // files are as read, so it may append at once, knowing serial 2.
    let prefetch = LocalStore::new(writer.path());
    let read = prefetch.read_unsealed().unwrap().unwrap();
    assert_eq!(read.serial, 2);
    assert!(
        read.checksum.is_empty(),
        "a journaled read for planning is not sealed"
    );
    let apply = LocalStore::new(writer.path());
    assert!(apply.adopt_read(&prefetch));
    assert_eq!(
        apply.append(lineage, &upsert("B"), Some(2)).unwrap().serial,
        3
    );
    // The prefetch's read is stale now: the journal grew after it.
    let late = LocalStore::new(writer.path());
    assert!(!late.adopt_read(&prefetch));
    // Likewise after a whole-document write (a new snapshot, no journal).
    let prefetch = LocalStore::new(writer.path());
    let doc = prefetch.read().unwrap().unwrap();
    assert!(!doc.checksum.is_empty(), "`read` seals");
    writer.write(&doc, Some(3)).unwrap();
    assert!(!LocalStore::new(writer.path()).adopt_read(&prefetch));
    // And never across two states.
    let other = TempDir::new().unwrap();
    let elsewhere = seeded(other.path(), 10);
    let prefetch = LocalStore::new(writer.path());
    prefetch.read_unsealed().unwrap();
    assert!(!elsewhere.adopt_read(&prefetch));
    // A handle that read nothing has nothing to adopt.
    assert!(!elsewhere.adopt_read(&LocalStore::new(elsewhere.path())));
}

#[test]
fn a_small_journal_is_not_folded_after_an_apply_a_large_one_is() {
    let dir = TempDir::new().unwrap();
    let store = seeded(dir.path(), 100);
    let lineage = store.read().unwrap().unwrap().lineage;
    let snapshot = identity(store.path());
    store.append(lineage, &upsert("A"), Some(1)).unwrap();
    assert!(
        !store.fold_if_due().unwrap(),
        "one record beside 100 resources"
    );
    assert_eq!(
        identity(store.path()),
        snapshot,
        "the snapshot was not rewritten"
    );
    assert_eq!(store.read().unwrap().unwrap().serial, 2);
    let mut serial = 2;
    while !store.fold_if_due().unwrap() {
        store
            .append(lineage, &upsert(&format!("B{serial}")), Some(serial))
            .unwrap();
        serial += 1;
    }
    assert!(!store.journal_path().exists());
    let doc = store.read().unwrap().unwrap();
    assert_eq!(
        (doc.serial, doc.resources.len()),
        (serial, 100 + serial as usize - 1)
    );
    // Folded once the journal reached half the snapshot: about 50 records of about as many
    // bytes as a resource, not after each one.
    assert!(
        (30..80).contains(&serial),
        "folded after {} records",
        serial - 1
    );
}

#[test]
fn a_first_apply_without_a_state_starts_it_from_the_journal() {
    let dir = TempDir::new().unwrap();
    let store = LocalStore::new(dir.path().join("wacfg.state.json"));
    let lineage = uuid::Uuid::new_v4();
    assert!(matches!(
        store.append(lineage, &upsert("A"), Some(1)),
        Err(StateError::Conflict { found: None, .. })
    ));
    store.append(lineage, &upsert("A"), None).unwrap();
    assert!(!store.path().exists());
    let doc = store.read().unwrap().unwrap();
    assert_eq!((doc.lineage, doc.serial), (lineage, 1));
    store.fold().unwrap();
    assert_eq!(store.read().unwrap().unwrap(), doc);
    assert!(store.path().exists() && !store.journal_path().exists());
}

#[test]
fn a_symlinked_state_keeps_its_journal_beside_the_target() {
    let dir = TempDir::new().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    seeded(&real, 10);
    let link = dir.path().join("wacfg.state.json");
    std::os::unix::fs::symlink(real.join("wacfg.state.json"), &link).unwrap();
    let store = LocalStore::new(&link);
    let lineage = store.read().unwrap().unwrap().lineage;
    store.append(lineage, &upsert("A"), Some(1)).unwrap();
    assert!(real.join("wacfg.state.json.journal").exists());
    assert!(!dir.path().join("wacfg.state.json.journal").exists());
    store.fold().unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(LocalStore::new(&link).read().unwrap().unwrap().serial, 2);
}

/// Not a test of its own: the child of the SIGKILL test. Appends one new configuration per
/// group to the state at WACFG_JOURNAL_CHILD, folding every 7 groups, and prints
/// `<serial> <name>` once each append returned (i.e. was reported durable).
#[test]
fn append_child_entry() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = LocalStore::new(path);
    let doc = store.read().unwrap().unwrap();
    let (lineage, mut serial) = (doc.lineage, doc.serial);
    for i in 0.. {
        let name = format!("Killed_{}_{i:05}", std::process::id());
        let written = store.append(lineage, &upsert(&name), Some(serial)).unwrap();
        serial = written.serial;
        println!("{serial} {name}");
        if i % 7 == 6 {
            store.fold().unwrap();
        }
    }
}

#[test]
fn sigkill_during_appends_and_folds_on_10000_resources_loses_no_reported_change() {
    let dir = TempDir::new().unwrap();
    let store = seeded(dir.path(), 10_000);
    let mut reported: Vec<(u64, String)> = Vec::new();
    // Random kill points (seeded, the seed printed): after 1 to 40 reported appends, then
    // up to 60 ms more, so the kill lands anywhere in an append or in a fold (a fold of
    // 10,000 resources takes tens of milliseconds, an append well under one).
    let mut rng = kill_seed::rng("state_journal sigkill");
    for trial in 0..4 {
        let after: usize = rng.random_range(1..=40);
        let delay = Duration::from_micros(rng.random_range(0..=60_000));
        eprintln!("trial {trial}: kill after {after} appends and {delay:?}");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "append_child_entry",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, store.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let start = Instant::now();
        let mut seen = 0;
        // One whole line the child printed; `None` at the end of its output. A last line
        // without its newline (torn by the kill) is no report.
        let mut next_line = move || {
            let mut line = String::new();
            match out.read_line(&mut line) {
                Ok(n) if n > 0 && line.ends_with('\n') => Some(line.trim_end().to_string()),
                _ => None,
            }
        };
        let note = |line: String, reported: &mut Vec<(u64, String)>| {
            let Some((serial, name)) = line.split_once(' ') else {
                return false; // the test harness's own lines
            };
            let Ok(serial) = serial.parse::<u64>() else {
                return false;
            };
            reported.push((serial, name.to_string()));
            true
        };
        while seen < after {
            let line = next_line().expect("the child is running");
            if note(line, &mut reported) {
                seen += 1;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "trial {trial} too slow"
            );
        }
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL: no cleanup runs in the child.
        child.wait().unwrap();
        // What it printed before the kill was reported too (a torn last line is not a report).
        while let Some(line) = next_line() {
            note(line, &mut reported);
        }
        // Every change reported so far is in the state, at or below its serial.
        let doc = LocalStore::new(store.path())
            .read()
            .expect("the state reads")
            .unwrap();
        for (serial, name) in &reported {
            assert!(
                doc.serial >= *serial,
                "trial {trial}: serial {} < {serial}",
                doc.serial
            );
            assert!(
                doc.resources
                    .contains_key(&format!("channel_configuration.{name}")),
                "trial {trial}: {name} (serial {serial}) was reported durable and is lost"
            );
        }
    }
    let doc = store.read().unwrap().unwrap();
    assert_eq!(doc.resources.len(), 10_000 + doc.serial as usize - 1);
}
