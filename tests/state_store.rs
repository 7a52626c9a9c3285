//! The state-store contract, run against both stores: the local file store in a temp directory
//! and PostgreSQL on 127.0.0.1:5432 (a fresh workspace per test, so tests run in parallel).
//! No mock and no skip: when PostgreSQL is down, the postgres half fails. At the end, the
//! PostgreSQL views for the inbound service (`wacfg.webhooks`, `wacfg.webhook_keywords`) and
//! the schema migration that adds them.

#[path = "support/state_fixtures.rs"]
mod fixtures;

use std::time::{Duration, Instant};

use tempfile::TempDir;
use wacfg::kinds::RecordedResource;
use wacfg::kinds::webhook::{KeywordCategory, RecordedWebhook, WebhookScope};
use wacfg::model::{StateSettings, TokenFingerprint};
use wacfg::state::postgres::PgStore;
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

// The PostgreSQL views the inbound service reads: `wacfg.webhooks` and
// `wacfg.webhook_keywords` (schema migration v3).

type KeywordRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

fn category(keywords: &[&str], reply: Option<&str>) -> KeywordCategory {
    KeywordCategory {
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        reply: reply.map(str::to_string),
    }
}

/// A recorded webhook; `phone_number_id` set means scope `phone_number`.
fn webhook(
    name: &str,
    waba_id: &str,
    phone_number_id: Option<&str>,
    keywords: &[(&str, KeywordCategory)],
    prevent_destroy: bool,
) -> RecordedResource {
    RecordedResource::Webhook(RecordedWebhook {
        name: name.to_string(),
        credentials: "acme".into(),
        waba_id: waba_id.into(),
        phone_number_id: phone_number_id.map(str::to_string),
        scope: if phone_number_id.is_some() {
            WebhookScope::PhoneNumber
        } else {
            WebhookScope::Waba
        },
        callback_url: format!("https://inbound.example/{name}"),
        verify_token_fingerprint: TokenFingerprint::of(&format!("verify-{name}")),
        keywords: keywords
            .iter()
            .map(|(c, k)| (c.to_string(), k.clone()))
            .collect(),
        prevent_destroy,
    })
}

/// Credentials, one channel configuration and two webhooks: `inbound` on a number with all
/// four categories, `regional` on a WABA with none.
fn webhook_doc() -> wacfg::state::StateDocument {
    let mut doc = fixtures::sample_doc(1);
    doc.upsert(webhook(
        "inbound",
        "200300400",
        Some("300400500"),
        &[
            ("opt_in", category(&["START", "Yes"], Some("Welcome back."))),
            (
                "opt_out",
                category(
                    &["STOP", "unsubscribe"],
                    Some("You will get no more messages."),
                ),
            ),
            ("help", category(&["HELP"], Some("Reply STOP to opt out."))),
            (
                "default",
                category(&[], Some("Sorry, we did not understand.")),
            ),
        ],
        false,
    ));
    doc.upsert(webhook("regional", "200300999", None, &[], true));
    doc
}

fn keyword_row(
    webhook: &str,
    phone: Option<&str>,
    category: &str,
    keyword: Option<&str>,
    reply: Option<&str>,
) -> KeywordRow {
    (
        webhook.into(),
        phone.map(str::to_string),
        Some("200300400".into()),
        category.into(),
        keyword.map(str::to_string),
        reply.map(str::to_string),
    )
}

async fn keyword_rows(client: &tokio_postgres::Client, workspace: &str) -> Vec<KeywordRow> {
    client
        .query(
            "SELECT webhook, phone_number_id, waba_id, category, keyword, reply
             FROM wacfg.webhook_keywords WHERE workspace = $1
             ORDER BY webhook, category, keyword NULLS FIRST",
            &[&workspace],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_views_list_webhooks_and_their_keywords() {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), "webhook-views");
    let StateSettings::Postgres { workspace, .. } = &settings else {
        unreachable!()
    };
    let store = open_store(&settings).await.unwrap();
    let written = store.write(&webhook_doc(), None).await.unwrap();
    let client = pg_client(&fixtures::pg_conn()).await;

    let rows = client
        .query(
            "SELECT name, credentials, waba_id, phone_number_id, scope, callback_url,
                    prevent_destroy, keywords::text
             FROM wacfg.webhooks WHERE workspace = $1 ORDER BY name",
            &[workspace],
        )
        .await
        .unwrap();
    type WebhookRow = (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        bool,
        serde_json::Value,
    );
    let got: Vec<WebhookRow> = rows
        .iter()
        .map(|r| {
            let keywords: String = r.get(7);
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                serde_json::from_str(&keywords).unwrap(),
            )
        })
        .collect();
    let inbound_keywords = serde_json::json!({
        "default": {"reply": "Sorry, we did not understand."},
        "help": {"keywords": ["HELP"], "reply": "Reply STOP to opt out."},
        "opt_in": {"keywords": ["START", "Yes"], "reply": "Welcome back."},
        "opt_out": {"keywords": ["STOP", "unsubscribe"], "reply": "You will get no more messages."},
    });
    assert_eq!(
        got,
        vec![
            (
                "inbound".into(),
                "acme".into(),
                "200300400".into(),
                Some("300400500".into()),
                "phone_number".into(),
                "https://inbound.example/inbound".into(),
                false,
                inbound_keywords,
            ),
            (
                "regional".into(),
                "acme".into(),
                "200300999".into(),
                None,
                "waba".into(),
                "https://inbound.example/regional".into(),
                true,
                serde_json::json!({}),
            ),
        ]
    );

    let phone = Some("300400500");
    let row = |category, keyword, reply| keyword_row("inbound", phone, category, keyword, reply);
    let stop = "You will get no more messages.";
    assert_eq!(
        keyword_rows(&client, workspace).await,
        vec![
            row("default", None, Some("Sorry, we did not understand.")),
            row("help", Some("HELP"), Some("Reply STOP to opt out.")),
            row("opt_in", Some("START"), Some("Welcome back.")),
            row("opt_in", Some("Yes"), Some("Welcome back.")),
            row("opt_out", Some("STOP"), Some(stop)),
            row("opt_out", Some("unsubscribe"), Some(stop)),
        ],
        "a webhook without keywords (regional) has no row"
    );

    // The README's lookup: the category of an inbound word for a WABA, ignoring case, then
    // the default reply.
    let lookup = |word: &'static str| {
        let client = &client;
        async move {
            client
                .query(
                    "SELECT webhook, category, reply
                     FROM wacfg.webhook_keywords
                     WHERE workspace = $1 AND waba_id = '200300400'
                       AND (lower(keyword) = lower($2) OR (keyword IS NULL AND category = 'default'))
                     ORDER BY keyword IS NULL",
                    &[workspace, &word],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect::<Vec<(String, String, String)>>()
        }
    };
    let hit = |category: &str, reply: &str| {
        (
            "inbound".to_string(),
            category.to_string(),
            reply.to_string(),
        )
    };
    let fallback = hit("default", "Sorry, we did not understand.");
    assert_eq!(
        lookup("Stop").await,
        vec![hit("opt_out", stop), fallback.clone()]
    );
    assert_eq!(lookup("hello").await, vec![fallback]);

    // Neither view exposes the verify token's fingerprint.
    for view in ["webhooks", "webhook_keywords"] {
        let columns: Vec<String> = client
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = 'wacfg' AND table_name = $1",
                &[&view],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(!columns.is_empty(), "{view} has no columns");
        assert!(
            columns.iter().all(|c| !c.contains("verify")),
            "{view}: {columns:?}"
        );
        let sql = format!("SELECT v::text FROM wacfg.{view} v WHERE workspace = $1");
        for r in client.query(&sql, &[workspace]).await.unwrap() {
            let text: String = r.get(0);
            assert!(
                !text.contains("sha256:"),
                "{view} shows a fingerprint: {text}"
            );
        }
    }

    // The views follow the current serial: the keywords written last are the ones shown.
    let mut next = written.clone();
    next.upsert(webhook(
        "inbound",
        "200300400",
        Some("300400500"),
        &[("opt_out", category(&["STOP"], Some("Bye.")))],
        false,
    ));
    next.remove(&wacfg::model::Address {
        kind: wacfg::model::ResourceKind::Webhook,
        name: "regional".into(),
    });
    store.write(&next, Some(written.serial)).await.unwrap();
    assert_eq!(
        keyword_rows(&client, workspace).await,
        vec![keyword_row(
            "inbound",
            phone,
            "opt_out",
            Some("STOP"),
            Some("Bye.")
        )]
    );
    let names: Vec<String> = client
        .query(
            "SELECT name FROM wacfg.webhooks WHERE workspace = $1",
            &[workspace],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["inbound"]);
}

/// A database at schema version 2 (before the webhook views) is moved to the latest version by
/// the next connection, and the views then show the state already written. The database is a
/// fresh one, so building it at version 2 disturbs no other test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schema_v2_database_is_migrated_to_the_webhook_views() {
    let admin = pg_client(&fixtures::pg_conn()).await;
    let db = fixtures::FreshDatabase::create(&admin, "v3").await;
    let conn = db.conn.clone();
    let workspace = "migrated";
    // The database as wacfg at schema version 2 left it: its tables, and a workspace's serial 1
    // as that version wrote it (the document's text in the history, the state row on it).
    PgStore::migrate_schema_to(&conn, 2).await.unwrap();
    let client = pg_client(&conn).await;
    let mut doc = webhook_doc();
    doc.serial = 1;
    doc.written_at = "2026-11-30T00:00:00Z".into();
    let text = String::from_utf8(wacfg::state::canonical::seal_and_encode(&mut doc)).unwrap();
    client
        .execute(
            "INSERT INTO wacfg.state_history (workspace, serial, lineage, tool_version,
               written_at, resource_count, checksum, document)
             VALUES ($1, 1, $2::text::uuid, '0.0.9', $3::text::timestamptz, $4, $5, $6)",
            &[
                &workspace,
                &doc.lineage.to_string(),
                &doc.written_at,
                &(doc.resources.len() as i32),
                &doc.checksum,
                &text,
            ],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO wacfg.state (workspace, lineage, serial) VALUES ($1, $2::text::uuid, 1)",
            &[&workspace, &doc.lineage.to_string()],
        )
        .await
        .unwrap();
    assert_eq!(applied_versions(&client).await, [1, 2]);
    assert_eq!(view_comments(&client).await, [None, None]);

    let store = PgStore::connect(&conn, workspace).await.unwrap();
    assert_eq!(applied_versions(&client).await, [1, 2, 3, 4, 5, 6]);
    let comments = view_comments(&client).await;
    assert!(comments.iter().all(Option::is_some), "{comments:?}");
    let count: i64 = client
        .query_one(
            "SELECT count(*) FROM wacfg.webhooks WHERE workspace = $1",
            &[&workspace],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
    assert_eq!(keyword_rows(&client, workspace).await.len(), 6);

    drop((store, client));
    db.drop_with(&admin).await;
}

async fn applied_versions(client: &tokio_postgres::Client) -> Vec<i32> {
    client
        .query(
            "SELECT version FROM wacfg.schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The `COMMENT ON VIEW` of `wacfg.webhooks` and `wacfg.webhook_keywords` (None when absent).
async fn view_comments(client: &tokio_postgres::Client) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for view in ["wacfg.webhooks", "wacfg.webhook_keywords"] {
        let row = client
            .query_one(
                "SELECT obj_description(to_regclass($1), 'pg_class')",
                &[&view],
            )
            .await
            .unwrap();
        out.push(row.get(0));
    }
    out
}

async fn pg_client(conn: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL must be running on 127.0.0.1:5432");
    tokio::spawn(connection);
    client
}

// ---- TLS to PostgreSQL (issue 11, item 3) ----
//
// The local server has TLS on with a self-signed certificate (`SHOW ssl_cert_file`), so every
// mode is tested here: disable, prefer (the default), require, verify-ca with that certificate
// as the root and without it, verify-full with the name in the certificate and with another.
// The encryption is asserted from the server's side: `pg_stat_ssl` of every session the store
// opened, found by a unique `application_name` (the store's own connection and its lock's).

/// `conn` with extra libpq parameters, in its own form (URL or key=value).
fn with_params(conn: &str, params: &[(&str, &str)]) -> String {
    if conn.contains("://") {
        let mut out = conn.to_string();
        for (k, v) in params {
            let sep = if out.contains('?') { '&' } else { '?' };
            out.push_str(&format!(
                "{sep}{k}={}",
                v.replace('%', "%25").replace(' ', "%20")
            ));
        }
        out
    } else {
        let mut out = conn.to_string();
        for (k, v) in params {
            out.push_str(&format!(" {k}='{v}'"));
        }
        out
    }
}

fn tls_settings(dir: &std::path::Path, conn: &str) -> StateSettings {
    let secret = dir.join("pg-url");
    std::fs::write(&secret, conn).unwrap();
    StateSettings::Postgres {
        url: wacfg::model::SecretRef::File(secret),
        workspace: format!("test-tls-{}", uuid::Uuid::new_v4().simple()),
    }
}

/// Open a store with `params` added, write, lock, and return whether each of its sessions is
/// encrypted (from `pg_stat_ssl`, joined to `pg_stat_activity` on the application name).
async fn sessions_encrypted(params: &[(&str, &str)]) -> Result<Vec<bool>, StateError> {
    let dir = TempDir::new().unwrap();
    let app = format!("wacfg-tls-{}", uuid::Uuid::new_v4().simple());
    let mut all = params.to_vec();
    all.push(("application_name", &app));
    let settings = tls_settings(dir.path(), &with_params(&fixtures::pg_conn(), &all));
    let store = open_store(&settings).await?;
    store.write(&fixtures::sample_doc(1), None).await?;
    let guard = store.lock("tls test", Duration::from_secs(5)).await?;
    let admin = pg_client(&fixtures::pg_conn()).await;
    let rows = admin
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = $1",
            &[&app],
        )
        .await
        .unwrap();
    guard.release().await.unwrap();
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The server's certificate file (self-signed on the test machine).
async fn server_cert() -> String {
    let admin = pg_client(&fixtures::pg_conn()).await;
    let ssl: String = admin.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    assert_eq!(ssl, "on", "the test server must have TLS on");
    let path: String = admin
        .query_one("SHOW ssl_cert_file", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        std::fs::read_to_string(&path).is_ok_and(|t| t.contains("BEGIN CERTIFICATE")),
        "the server certificate {path} must be readable by the tests"
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_sslmode_require_encrypts_every_session() {
    let ssl = sessions_encrypted(&[("sslmode", "require")]).await.unwrap();
    assert_eq!(
        ssl,
        vec![true, true],
        "the store's connection and its lock's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_default_prefer_encrypts_when_the_server_offers_tls() {
    let ssl = sessions_encrypted(&[]).await.unwrap();
    assert_eq!(ssl, vec![true, true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_sslmode_disable_stays_in_the_clear() {
    let ssl = sessions_encrypted(&[("sslmode", "disable")]).await.unwrap();
    assert_eq!(ssl, vec![false, false]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_verify_ca_accepts_the_servers_certificate_as_root() {
    let cert = server_cert().await;
    let ssl = sessions_encrypted(&[("sslmode", "verify-ca"), ("sslrootcert", &cert)])
        .await
        .unwrap();
    assert_eq!(ssl, vec![true, true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_verify_ca_refuses_a_server_no_trusted_root_signed() {
    // Without sslrootcert the trusted roots are the public (Mozilla) ones.
    let err = sessions_encrypted(&[("sslmode", "verify-ca")])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("connect") && err.contains("UnknownIssuer"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_verify_full_checks_the_host_name_in_the_certificate() {
    let cert = server_cert().await;
    // The certificate names `localhost`: connect by that name (to the same address).
    let by_name = with_params(
        &format!("postgres://postgres@localhost:{}/test", pg_port()),
        &[("hostaddr", "127.0.0.1")],
    );
    let dir = TempDir::new().unwrap();
    let conn = with_params(
        &by_name,
        &[("sslmode", "verify-full"), ("sslrootcert", &cert)],
    );
    let store = open_store(&tls_settings(dir.path(), &conn)).await.unwrap();
    assert!(store.read().await.unwrap().is_none());
    // By address, the name does not match: refused, naming why.
    let err = sessions_encrypted(&[("sslmode", "verify-full"), ("sslrootcert", &cert)])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not valid for name"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_unknown_sslmode_and_unreadable_root_are_clear_errors() {
    let err = sessions_encrypted(&[("sslmode", "allow")])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("sslmode=allow is not supported"), "{err}");
    let err = sessions_encrypted(&[
        ("sslmode", "verify-ca"),
        ("sslrootcert", "/nonexistent/ca.pem"),
    ])
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cannot read sslrootcert /nonexistent/ca.pem"),
        "{err}"
    );
}

/// The port of the test server (WACFG_TEST_PG may move it).
fn pg_port() -> u16 {
    fixtures::pg_conn()
        .parse::<tokio_postgres::Config>()
        .ok()
        .and_then(|c| c.get_ports().first().copied())
        .unwrap_or(5432)
}

// ---- The serial never wraps (issue 11, item 9) ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_serial_at_u64_max_is_never_wrapped_to_0() {
    let f = local().await;
    let mut doc = fixtures::sample_doc(1);
    doc.serial = u64::MAX - 1;
    let top = f.store.write(&doc, None).await.unwrap();
    assert_eq!(top.serial, u64::MAX);
    let err = f.store.write(&top, Some(u64::MAX)).await.unwrap_err();
    assert!(err.to_string().contains("never wraps"), "{err}");
    assert!(err.to_string().contains("never wraps"), "{err}");
    assert_eq!(f.store.read().await.unwrap().unwrap().serial, u64::MAX);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serial_stops_at_the_bigint_maximum() {
    let f = postgres().await;
    let max = i64::MAX as u64;
    let mut doc = fixtures::sample_doc(1);
    doc.serial = max - 1;
    let top = f.store.write(&doc, None).await.unwrap();
    assert_eq!(top.serial, max);
    let err = f.store.write(&top, Some(max)).await.unwrap_err();
    assert!(err.to_string().contains("never wraps"), "{err}");
    assert_eq!(f.store.read().await.unwrap().unwrap().serial, max);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serial_above_bigint_is_refused_not_saturated() {
    // A pushed document with a serial PostgreSQL's bigint cannot hold.
    let f = postgres().await;
    let mut doc = fixtures::sample_doc(1);
    doc.serial = u64::MAX - 10;
    let err = f.store.write(&doc, None).await.unwrap_err();
    assert!(err.to_string().contains("never wraps"), "{err}");
    assert!(f.store.read().await.unwrap().is_none());
}
