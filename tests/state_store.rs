//! The state-store contract, run against both stores: the local file store in a temp directory
//! and PostgreSQL on 127.0.0.1:5432 (a fresh workspace per test, so tests run in parallel).
//! No mock and no skip: when PostgreSQL is down, the postgres half fails.

#[path = "support/state_fixtures.rs"]
mod fixtures;

use std::time::{Duration, Instant};

use tempfile::TempDir;
use wacfg::model::StateSettings;
use wacfg::state::{StateError, Store, open_store};

/// One store under test, plus what is needed to open a second, independent handle on it (a
/// second "process").
struct Fixture {
    settings: StateSettings,
    store: Store,
    _dir: TempDir,
}

impl Fixture {
    async fn other(&self) -> Store {
        open_store(&self.settings)
            .await
            .expect("open a second handle")
    }
}

async fn local() -> Fixture {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::local_settings(dir.path());
    let store = open_store(&settings).await.unwrap();
    Fixture {
        settings,
        store,
        _dir: dir,
    }
}

async fn postgres() -> Fixture {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), "contract");
    let store = open_store(&settings)
        .await
        .expect("PostgreSQL must be running on 127.0.0.1:5432 (bash .ci/run starts it)");
    Fixture {
        settings,
        store,
        _dir: dir,
    }
}

/// Each contract function becomes one test per store.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod local_store {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::local().await).await } )*
        }
        mod postgres_store {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::postgres().await).await } )*
        }
    };
}

contract!(
    read_of_an_empty_store_is_none,
    write_then_read_returns_the_verified_document,
    write_is_compare_and_swap_on_the_serial,
    lineage_stays_and_serial_increments,
    history_lists_past_serials_newest_first,
    lock_is_exclusive_until_released,
    dropping_the_guard_releases_the_lock,
    lock_timeout_waits_then_names_the_holder,
    waiting_lock_gets_the_lock_when_released,
    force_unlock_clears_a_dead_holders_lock,
    a_crashed_holders_lock_is_replaced,
    two_writers_at_once_exactly_one_wins,
    two_lockers_at_once_exactly_one_wins,
);

async fn read_of_an_empty_store_is_none(f: Fixture) {
    assert!(f.store.read().await.unwrap().is_none());
    assert!(f.store.history().await.unwrap().is_empty());
}

async fn write_then_read_returns_the_verified_document(f: Fixture) {
    let doc = fixtures::sample_doc(3);
    let written = f.store.write(&doc, None).await.unwrap();
    assert_eq!(written.serial, 1);
    assert_eq!(written.lineage, doc.lineage);
    assert_eq!(written.tool_version, env!("CARGO_PKG_VERSION"));
    assert!(written.checksum.starts_with("sha256:") && written.checksum.len() == 71);
    let read = f.other().await.read().await.unwrap().expect("a state");
    assert_eq!(read, written);
    assert_eq!(read.resources.len(), 4);
}

async fn write_is_compare_and_swap_on_the_serial(f: Fixture) {
    let doc = fixtures::sample_doc(1);
    let first = f.store.write(&doc, None).await.unwrap();
    let err = f.store.write(&doc, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            StateError::Conflict {
                expected: None,
                found: Some(1)
            }
        ),
        "{err}"
    );
    let err = f.store.write(&first, Some(7)).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("expected serial 7, found 1"), "{text}");
    // The refused writes changed nothing.
    assert_eq!(f.store.read().await.unwrap().unwrap(), first);
}

async fn lineage_stays_and_serial_increments(f: Fixture) {
    let mut doc = f.store.write(&fixtures::sample_doc(1), None).await.unwrap();
    let lineage = doc.lineage;
    for expected in 2..=4 {
        doc.upsert(fixtures::credentials(&format!("extra{expected}")));
        doc = f.store.write(&doc, Some(doc.serial)).await.unwrap();
        assert_eq!(doc.serial, expected);
        assert_eq!(doc.lineage, lineage);
    }
    assert_eq!(f.store.read().await.unwrap().unwrap().serial, 4);
}

async fn history_lists_past_serials_newest_first(f: Fixture) {
    let mut doc = f.store.write(&fixtures::sample_doc(1), None).await.unwrap();
    doc.upsert(fixtures::credentials("second"));
    doc = f.store.write(&doc, Some(1)).await.unwrap();
    doc.upsert(fixtures::credentials("third"));
    f.store.write(&doc, Some(2)).await.unwrap();
    let history = f.store.history().await.unwrap();
    let serials: Vec<u64> = history.iter().map(|h| h.serial).collect();
    // PostgreSQL keeps every serial; the local store keeps the current one and its backup.
    match f.store {
        Store::Local(_) => assert_eq!(serials, [3, 2]),
        Store::Postgres(_) => assert_eq!(serials, [3, 2, 1]),
    }
    assert_eq!(history[0].resource_count, 4);
    assert_eq!(history[1].resource_count, 3);
    assert_eq!(history[0].tool_version, env!("CARGO_PKG_VERSION"));
    assert!(history[0].written_at.ends_with('Z'));
}

async fn lock_is_exclusive_until_released(f: Fixture) {
    let guard = f.store.lock("apply", Duration::ZERO).await.unwrap();
    assert_eq!(guard.info.operation, "apply");
    assert_eq!(guard.info.pid, std::process::id());
    let other = f.other().await;
    let err = other.lock("plan", Duration::ZERO).await.unwrap_err();
    let StateError::Locked(info) = &err else {
        panic!("expected Locked, got {err}")
    };
    assert_eq!(info.id, guard.info.id);
    let text = err.to_string();
    assert!(
        text.contains(&guard.info.holder) && text.contains("`apply`"),
        "{text}"
    );
    assert!(
        text.contains(&format!("wacfg state force-unlock {}", guard.info.id)),
        "{text}"
    );
    guard.release().await.unwrap();
    let again = other.lock("plan", Duration::ZERO).await.unwrap();
    assert!(
        again.replaced_stale.is_none(),
        "a released lock leaves nothing stale"
    );
    again.release().await.unwrap();
}

async fn dropping_the_guard_releases_the_lock(f: Fixture) {
    let guard = f.store.lock("apply", Duration::ZERO).await.unwrap();
    drop(guard);
    // PostgreSQL releases on the runtime after the drop: allow it a moment.
    let again = f.other().await.lock("apply", Duration::from_secs(3)).await;
    again.unwrap().release().await.unwrap();
}

async fn lock_timeout_waits_then_names_the_holder(f: Fixture) {
    let guard = f.store.lock("apply", Duration::ZERO).await.unwrap();
    let other = f.other().await;
    let start = Instant::now();
    let err = other
        .lock("apply", Duration::from_millis(400))
        .await
        .unwrap_err();
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "it did not wait"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("(pid {})", std::process::id())),
        "{text}"
    );
    assert!(text.contains(&guard.info.started_at), "{text}");
    guard.release().await.unwrap();
}

async fn waiting_lock_gets_the_lock_when_released(f: Fixture) {
    let guard = f.store.lock("apply", Duration::ZERO).await.unwrap();
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        guard.release().await.unwrap();
    });
    let other = f.other().await;
    let got = other.lock("apply", Duration::from_secs(5)).await.unwrap();
    releaser.await.unwrap();
    got.release().await.unwrap();
}

async fn force_unlock_clears_a_dead_holders_lock(f: Fixture) {
    let guard = f.store.lock("apply", Duration::ZERO).await.unwrap();
    let id = guard.info.id.clone();
    guard.abandon();
    let other = f.other().await;
    let wrong = uuid::Uuid::new_v4().to_string();
    let err = other.force_unlock(&wrong).await.unwrap_err().to_string();
    assert!(err.contains(&wrong) && err.contains(&id), "{err}");
    let cleared = other.force_unlock(&id).await.unwrap();
    assert_eq!(cleared.id, id);
    let err = other.force_unlock(&id).await.unwrap_err().to_string();
    assert!(err.contains("not locked"), "{err}");
    let again = other.lock("apply", Duration::from_secs(3)).await.unwrap();
    assert!(
        again.replaced_stale.is_none(),
        "force-unlock removed the holder info"
    );
    again.release().await.unwrap();
}

async fn a_crashed_holders_lock_is_replaced(f: Fixture) {
    let guard = f.store.lock("apply", Duration::ZERO).await.unwrap();
    let old = guard.info.clone();
    guard.abandon();
    let next = f
        .other()
        .await
        .lock("apply", Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(next.replaced_stale.as_ref(), Some(&old));
    assert_ne!(next.info.id, old.id);
    next.release().await.unwrap();
}

async fn two_writers_at_once_exactly_one_wins(f: Fixture) {
    let base = f.store.write(&fixtures::sample_doc(1), None).await.unwrap();
    let other = f.other().await;
    let (mut a, mut b) = (base.clone(), base.clone());
    a.upsert(fixtures::credentials("writer_a"));
    b.upsert(fixtures::credentials("writer_b"));
    let (ra, rb) = tokio::join!(f.store.write(&a, Some(1)), other.write(&b, Some(1)));
    let (won, lost) = match (ra, rb) {
        (Ok(w), Err(e)) | (Err(e), Ok(w)) => (w, e),
        (ra, rb) => panic!(
            "exactly one writer must win: {:?} / {:?}",
            ra.is_ok(),
            rb.is_ok()
        ),
    };
    assert!(
        matches!(
            lost,
            StateError::Conflict {
                expected: Some(1),
                found: Some(2)
            }
        ),
        "{lost}"
    );
    assert_eq!(f.store.read().await.unwrap().unwrap(), won);
}

async fn two_lockers_at_once_exactly_one_wins(f: Fixture) {
    let other = f.other().await;
    let (ra, rb) = tokio::join!(
        f.store.lock("apply", Duration::ZERO),
        other.lock("apply", Duration::ZERO)
    );
    let (won, lost) = match (ra, rb) {
        (Ok(w), Err(e)) | (Err(e), Ok(w)) => (w, e),
        (ra, rb) => panic!(
            "exactly one locker must win: {:?} / {:?}",
            ra.is_ok(),
            rb.is_ok()
        ),
    };
    // The loser names the winner, or says the winner has not recorded itself yet.
    match &lost {
        StateError::Locked(info) => assert_eq!(info.id, won.info.id),
        StateError::LockedUnknown => {}
        other => panic!("unexpected error: {other}"),
    }
    won.release().await.unwrap();
}

/// The published schema accepts what the stores write and describes every property.
#[tokio::test]
async fn written_documents_match_the_state_schema() {
    let schema: serde_json::Value = serde_json::from_str(wacfg::state::STATE_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let f = local().await;
    let mut doc = fixtures::sample_doc(2);
    doc.upsert(fixtures::channel(
        "Broken",
        wacfg::kinds::ChannelStatus::Failed,
    ));
    let written = f.store.write(&doc, None).await.unwrap();
    let value = serde_json::to_value(&written).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut bad = value.clone();
    bad["resources"]["credentials.acme"]["token_fingerprint"] = "test-token-acme".into();
    assert!(!validator.is_valid(&bad), "a raw token must not validate");
    assert_every_property_described(&schema);
}

fn assert_every_property_described(node: &serde_json::Value) {
    if let Some(props) = node.get("properties").and_then(|p| p.as_object()) {
        for (name, prop) in props {
            assert!(
                prop.get("description").is_some(),
                "property {name} has no description"
            );
        }
    }
    match node {
        serde_json::Value::Object(map) => map.values().for_each(assert_every_property_described),
        serde_json::Value::Array(items) => items.iter().for_each(assert_every_property_described),
        _ => {}
    }
}
