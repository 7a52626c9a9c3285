//! PostgreSQL used as a database (issue 12): an apply's group commits grow the workspace by
//! their changes, not by another copy of the state; every serial is rebuilt from the history
//! (whole documents and change logs); rows edited by hand are refused and recovered; and the
//! schema migration to v4 moves a workspace forward from every earlier schema version.
//! PostgreSQL at 127.0.0.1:5432 (WACFG_TEST_PG), no mock and no skip.

#[path = "support/state_fixtures.rs"]
mod fixtures;

use std::collections::BTreeMap;

use tempfile::TempDir;
use wacfg::kinds::{ChannelStatus, RecordedResource};
use wacfg::model::StateSettings;
use wacfg::state::postgres::PgStore;
use wacfg::state::{ResourceChanges, StateDocument, StateError, Store, open_store};

async fn connect(conn: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL must be running on 127.0.0.1:5432");
    tokio::spawn(connection);
    client
}

async fn workspace_store(label: &str) -> (TempDir, Store, String) {
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), label);
    let StateSettings::Postgres { workspace, .. } = &settings else {
        unreachable!()
    };
    let workspace = workspace.clone();
    let store = open_store(&settings).await.unwrap();
    (dir, store, workspace)
}

fn upserts(resources: impl IntoIterator<Item = RecordedResource>) -> ResourceChanges {
    ResourceChanges {
        upserts: resources
            .into_iter()
            .map(|r| (r.address().to_string(), r))
            .collect(),
        removals: Vec::new(),
    }
}

/// The bytes a workspace holds in its tables: every history row and every resource row, as
/// text (uncompressed, so TOAST's compression of repeated documents does not hide them).
async fn workspace_bytes(client: &tokio_postgres::Client, workspace: &str) -> i64 {
    let history: i64 = client
        .query_one(
            "SELECT COALESCE(sum(octet_length(h.*::text)), 0)::bigint
             FROM wacfg.state_history h WHERE h.workspace = $1",
            &[&workspace],
        )
        .await
        .unwrap()
        .get(0);
    // Before schema v4 there are no resource rows (the test's measure of the defect).
    let has_rows: Option<String> = client
        .query_one("SELECT to_regclass('wacfg.resources')::text", &[])
        .await
        .unwrap()
        .get(0);
    if has_rows.is_none() {
        return history;
    }
    let rows: i64 = client
        .query_one(
            "SELECT COALESCE(sum(octet_length(r.*::text)), 0)::bigint
             FROM wacfg.resources r WHERE r.workspace = $1",
            &[&workspace],
        )
        .await
        .unwrap()
        .get(0);
    history + rows
}

/// The final state's resource data: its resources as the document holds them.
fn resource_bytes(doc: &StateDocument) -> i64 {
    serde_json::to_vec(&doc.resources).unwrap().len() as i64
}

/// The measured defect of issue 12: each group commit of an apply wrote a whole document into
/// the history, so 1,000 new configurations in groups of 4 left about 250 copies of a growing
/// state (measured on the code before: 71.7 MB for 0.51 MB of resources, 141.8 ×); and a later
/// apply of 10 changes added another whole copy (570 KB, 1,128 resources' worth). Now the history holds the changes and the
/// rows the current state: at most 3 × the resource data, and 10 changes grow it by about 10
/// resources.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_apply_grows_the_tables_by_its_changes_not_by_the_state() {
    let (_dir, store, workspace) = workspace_store("growth").await;
    let lineage = uuid::Uuid::new_v4();
    let mut serial = store
        .append(lineage, &upserts([fixtures::credentials("acme")]), None)
        .await
        .unwrap()
        .serial;
    let names: Vec<String> = (0..1_000).map(|i| format!("Marketing_{i:05}")).collect();
    for group in names.chunks(4) {
        let changes = upserts(
            group
                .iter()
                .map(|n| fixtures::channel(n, ChannelStatus::Active)),
        );
        serial = store
            .append(lineage, &changes, Some(serial))
            .await
            .unwrap()
            .serial;
    }
    let doc = store.read().await.unwrap().unwrap();
    assert_eq!((doc.serial, doc.resources.len()), (serial, 1_001));
    let data = resource_bytes(&doc);
    let client = connect(&fixtures::pg_conn()).await;
    let after_first = workspace_bytes(&client, &workspace).await;
    eprintln!("after 1,001 new resources: {after_first} bytes for {data} bytes of resources");
    assert!(
        after_first <= 3 * data,
        "the workspace holds {after_first} bytes for {data} bytes of resources ({:.1} ×)",
        after_first as f64 / data as f64
    );

    // A later apply changing 10 configurations: O(10 resources), not another copy.
    let changes = upserts(
        names[..10]
            .iter()
            .map(|n| fixtures::channel(n, ChannelStatus::Failed)),
    );
    let next = store.append(lineage, &changes, Some(serial)).await.unwrap();
    assert_eq!(next.serial, serial + 1);
    let grown = workspace_bytes(&client, &workspace).await - after_first;
    let per_resource = data / 1_001;
    eprintln!("10 changes grew it by {grown} bytes ({per_resource} bytes per resource)");
    assert!(
        grown <= 3 * 10 * per_resource,
        "10 changes grew the workspace by {grown} bytes ({} resources' worth)",
        grown / per_resource
    );
    let doc = store.read().await.unwrap().unwrap();
    let failed = doc
        .resources
        .values()
        .filter(|r| matches!(r, RecordedResource::ChannelConfiguration(c) if c.status == ChannelStatus::Failed))
        .count();
    assert_eq!(failed, 10);
}

/// Every serial, whether written whole (the first, a push) or as a group's changes (with
/// upserts and removals), reads back from the history exactly as it was, and `recover` can make
/// any of them current again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_serial_is_rebuilt_from_the_history() {
    let (_dir, store, _workspace) = workspace_store("rebuild").await;
    let lineage = uuid::Uuid::new_v4();
    // What each serial holds, as a model: serial → resources.
    let mut model: BTreeMap<u64, BTreeMap<String, RecordedResource>> = BTreeMap::new();
    let mut current: BTreeMap<String, RecordedResource> = BTreeMap::new();
    let mut serial = None;
    for step in 0..12u32 {
        let mut changes = upserts(
            (0..3).map(|i| fixtures::channel(&format!("C{}", step * 2 + i), ChannelStatus::Active)),
        );
        if step % 3 == 2 {
            changes
                .removals
                .push(format!("channel_configuration.C{}", step * 2 - 3));
        }
        if step == 0 {
            changes
                .upserts
                .insert("credentials.acme".into(), fixtures::credentials("acme"));
        }
        for (k, r) in &changes.upserts {
            current.insert(k.clone(), r.clone());
        }
        for k in &changes.removals {
            current.remove(k);
        }
        let written = if step == 6 {
            // A whole-document write in the middle (what `state push` does).
            let mut doc = store.read().await.unwrap().unwrap();
            doc.resources = current.clone();
            store.write(&doc, serial).await.unwrap().serial
        } else {
            store
                .append(lineage, &changes, serial)
                .await
                .unwrap()
                .serial
        };
        model.insert(written, current.clone());
        serial = Some(written);
    }
    let latest = serial.unwrap();
    assert_eq!(store.read().await.unwrap().unwrap().resources, current);
    for (s, resources) in &model {
        let doc = store.read_serial(*s).await.unwrap();
        assert_eq!((doc.serial, doc.lineage), (*s, lineage), "serial {s}");
        assert_eq!(&doc.resources, resources, "serial {s}");
    }
    let err = store.read_serial(latest + 1).await.unwrap_err();
    assert!(matches!(err, StateError::NoSuchSerial { .. }), "{err}");

    // Recover serial 4 (a changes serial): a new serial, a copy of it, read from its rows.
    let _guard = store
        .lock("recover", std::time::Duration::ZERO)
        .await
        .unwrap();
    let (written, from) = store.recover(Some(4)).await.unwrap();
    assert_eq!((from, written.serial), (4, latest + 1));
    let doc = store.read().await.unwrap().unwrap();
    assert_eq!(&doc.resources, &model[&4]);
    assert_eq!(doc.serial, latest + 1);
}

/// Resource rows changed by hand (a body edited, a row deleted, a row added) are refused on
/// read with the `wacfg state recover` command, which rebuilds them from the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rows_changed_by_hand_are_refused_and_recovered() {
    let damages = [
        (
            "UPDATE wacfg.resources SET body = jsonb_set(body::jsonb, '{status}', '\"failed\"')::json
             WHERE workspace = $1 AND address = 'channel_configuration.C1'",
            "hashes to",
        ),
        (
            "DELETE FROM wacfg.resources WHERE workspace = $1 AND address = 'channel_configuration.C1'",
            "holds 4 resource rows, serial 3 recorded 5",
        ),
        (
            "INSERT INTO wacfg.resources SELECT workspace, 'channel_configuration.Extra', kind,
                    serial, checksum, body
             FROM wacfg.resources WHERE workspace = $1 AND address = 'channel_configuration.C1'",
            "holds `channel_configuration.C1`",
        ),
    ];
    let client = connect(&fixtures::pg_conn()).await;
    for (damage, expected) in damages {
        let (_dir, store, workspace) = workspace_store("rows-damage").await;
        let lineage = uuid::Uuid::new_v4();
        let mut serial = None;
        for names in [["C0", "C1"], ["C2", "C1"], ["C3", "C0"]] {
            let mut changes = upserts(names.map(|n| fixtures::channel(n, ChannelStatus::Active)));
            if serial.is_none() {
                changes
                    .upserts
                    .insert("credentials.acme".into(), fixtures::credentials("acme"));
            }
            serial = Some(
                store
                    .append(lineage, &changes, serial)
                    .await
                    .unwrap()
                    .serial,
            );
        }
        let before = store.read().await.unwrap().unwrap();
        client.execute(damage, &[&workspace]).await.unwrap();
        let err = store.read().await.unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StateError::Corrupt { .. }), "{msg}");
        assert!(
            msg.contains(expected) && msg.contains("wacfg state recover --to-serial 3"),
            "{msg}"
        );
        // Appends are refused too: the next plan's read fails first, and so does `inspect`'d
        // recover's check of the current serial, which lets recover through.
        let _guard = store
            .lock("recover", std::time::Duration::ZERO)
            .await
            .unwrap();
        let (written, from) = store.recover(Some(3)).await.unwrap();
        assert_eq!((from, written.serial), (3, 4));
        let after = store.read().await.unwrap().unwrap();
        assert_eq!(after.resources, before.resources);
    }
}

/// A database at each earlier schema version (0: none yet, 1 to 5), holding a workspace as
/// that version's wacfg wrote it (two serials, whole documents; from v4 also its rows, as
/// `jsonb` at v4), is moved to the newest schema by the next connection: the current document
/// becomes rows whose body is the canonical text its checksum hashes, the views read them, both serials still
/// read back, and the next group commit appends only its changes. Each version gets a fresh
/// database, so rewinding disturbs no other test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schema_migrates_to_rows_from_every_earlier_version() {
    let admin = connect(&fixtures::pg_conn()).await;
    for version in 0..=5 {
        let db = fixtures::FreshDatabase::create(&admin, &format!("v{version}")).await;
        let conn = db.conn.clone();
        let workspace = "earlier";
        let mut docs = Vec::new();
        if version > 0 {
            // A v4 database's rows were made from its v3 document by the v4 migration.
            PgStore::migrate_schema_to(&conn, version.min(3))
                .await
                .unwrap();
            let client = connect(&conn).await;
            let mut doc = fixtures::sample_doc(2);
            for serial in 1..=2u64 {
                doc.serial = serial;
                doc.written_at = format!("2026-11-0{serial}T00:00:00Z");
                if serial == 2 {
                    doc.upsert(fixtures::channel("Broken", ChannelStatus::Failed));
                }
                let bytes = wacfg::state::canonical::seal_and_encode(&mut doc);
                let text = String::from_utf8(bytes).unwrap();
                // v1 kept the document as jsonb, v2 and v3 as text: what each wrote.
                let cast = if version == 1 { "jsonb" } else { "text" };
                client
                    .execute(
                        &format!(
                            "INSERT INTO wacfg.state_history (workspace, serial, lineage,
                               tool_version, written_at, resource_count, checksum, document)
                             VALUES ($1, $2, $3::text::uuid, '0.0.9', $4::text::timestamptz, $5,
                                     $6, $7::text::{cast})"
                        ),
                        &[
                            &workspace,
                            &(serial as i64),
                            &doc.lineage.to_string(),
                            &doc.written_at,
                            &(doc.resources.len() as i32),
                            &doc.checksum,
                            &text,
                        ],
                    )
                    .await
                    .unwrap();
                docs.push(doc.clone());
            }
            client
                .execute(
                    "INSERT INTO wacfg.state (workspace, lineage, serial) VALUES ($1, $2::text::uuid, 2)",
                    &[&workspace, &doc.lineage.to_string()],
                )
                .await
                .unwrap();
            if version >= 4 {
                PgStore::migrate_schema_to(&conn, version).await.unwrap();
                let expected = if version == 4 { 4 } else { 0 };
                assert_eq!(
                    count_on(&client, NOT_OWN_TEXT_CHECKSUM, workspace).await,
                    expected,
                    "v4 rows hold jsonb's text, v5's the canonical one"
                );
            }
        }

        let store = PgStore::connect(&conn, workspace).await.unwrap();
        let client = connect(&conn).await;
        let versions: Vec<i32> = client
            .query(
                "SELECT version FROM wacfg.schema_migrations ORDER BY version",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(versions, [1, 2, 3, 4, 5, 6], "from v{version}");
        let count = |sql: &'static str| {
            let client = &client;
            async move {
                client
                    .query_one(sql, &[&workspace])
                    .await
                    .unwrap()
                    .get::<_, i64>(0)
            }
        };
        if version == 0 {
            assert_eq!(store.read().await.unwrap(), None);
        } else {
            let doc = store.read().await.unwrap().unwrap();
            assert_eq!(doc.resources, docs[1].resources, "from v{version}");
            assert_eq!(doc.serial, 2);
            for old in &docs {
                let back = store.read_serial(old.serial).await.unwrap();
                assert_eq!(back.resources, old.resources, "from v{version}");
            }
            assert_eq!(
                count("SELECT count(*) FROM wacfg.resources WHERE workspace = $1").await,
                4,
                "rows from v{version}"
            );
            assert_eq!(
                count(NOT_OWN_TEXT_CHECKSUM).await,
                0,
                "every body is the text its checksum hashes, from v{version}"
            );
            assert_eq!(
                count(
                    "SELECT count(*) FROM wacfg.channel_configurations
                     WHERE workspace = $1 AND status = 'failed'"
                )
                .await,
                1
            );
        }
        // The next group commit appends its changes only, over the migrated rows.
        let lineage = store
            .read()
            .await
            .unwrap()
            .map_or_else(uuid::Uuid::new_v4, |d| d.lineage);
        let expected = (version > 0).then_some(2);
        let written = store
            .append(
                lineage,
                &upserts([
                    fixtures::credentials("acme"),
                    fixtures::channel("Added", ChannelStatus::Active),
                ]),
                expected,
            )
            .await
            .unwrap();
        let doc = store.read().await.unwrap().unwrap();
        assert_eq!(doc.serial, written.serial);
        assert!(doc.resources.contains_key("channel_configuration.Added"));
        assert_eq!(
            count(
                "SELECT count(*) FROM wacfg.channel_configurations
                 WHERE workspace = $1 AND name = 'Added'"
            )
            .await,
            1
        );
        if version > 0 {
            let changes_only = count(
                "SELECT count(*) FROM wacfg.state_history
                 WHERE workspace = $1 AND serial = 3 AND document IS NULL AND changes IS NOT NULL",
            )
            .await;
            assert_eq!(changes_only, 1, "from v{version}");
        }
        drop((store, client));
        db.drop_with(&admin).await;
    }
}

/// A schema a newer wacfg migrated (a version above the ones this wacfg knows) is neither
/// read nor written: connecting is refused, saying which version is there and what to run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_schema_from_a_newer_wacfg_is_refused() {
    let admin = connect(&fixtures::pg_conn()).await;
    let db = fixtures::FreshDatabase::create(&admin, "newer").await;
    let conn = db.conn.clone();
    drop(PgStore::connect(&conn, "ws").await.unwrap());
    let client = connect(&conn).await;
    client
        .batch_execute("INSERT INTO wacfg.schema_migrations (version) VALUES (7)")
        .await
        .unwrap();
    let Err(err) = PgStore::connect(&conn, "ws").await else {
        panic!("a newer schema was opened");
    };
    let msg = err.to_string();
    assert!(
        msg.contains("version 7") && msg.contains("newer wacfg") && msg.contains("up to 6"),
        "{msg}"
    );
    drop(client);
    db.drop_with(&admin).await;
}

/// Rows of workspace $1 whose body's text does not hash to their checksum (rows moved from
/// v4's `jsonb`, or changed by hand).
const NOT_OWN_TEXT_CHECKSUM: &str = "SELECT count(*) FROM wacfg.resources WHERE workspace = $1
     AND checksum <> 'sha256:' || encode(sha256(convert_to(body::text, 'UTF8')), 'hex')";

async fn count_on(client: &tokio_postgres::Client, sql: &str, workspace: &str) -> i64 {
    client
        .query_one(sql, &[&workspace])
        .await
        .unwrap()
        .get::<_, i64>(0)
}

const CHILD_ENV: &str = "WACFG_PG_APPEND_CHILD";

/// Not a test of its own: the child of the SIGKILL test. Appends one new configuration per
/// group to the workspace named by WACFG_PG_APPEND_CHILD (JSON settings) and prints
/// `<serial> <name>` once each append returned (i.e. was reported durable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_child_entry() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let settings: StateSettings = serde_json::from_str(&spec).unwrap();
    let store = open_store(&settings).await.unwrap();
    let doc = store.read().await.unwrap().unwrap();
    let (lineage, mut serial) = (doc.lineage, doc.serial);
    for i in 0.. {
        let name = format!("Killed_{}_{i:05}", std::process::id());
        let changes = upserts([fixtures::channel(&name, ChannelStatus::Active)]);
        serial = store
            .append(lineage, &changes, Some(serial))
            .await
            .unwrap()
            .serial;
        println!("{serial} {name}");
    }
}

/// kill -9 at random points of an apply's group commits into a workspace of 10,000 resources:
/// every change reported durable is in the state read afterwards, the workspace stays
/// consistent (its rows, its history, every serial rebuilt from the history agrees with them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigkill_during_appends_on_10000_resources_loses_no_reported_change() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = TempDir::new().unwrap();
    let settings = fixtures::pg_settings(dir.path(), "sigkill");
    let store = open_store(&settings).await.unwrap();
    store
        .write(&fixtures::sample_doc(9_999), None)
        .await
        .unwrap();
    let mut reported: Vec<(u64, String)> = Vec::new();
    let mut rng_state = std::process::id() as u64;
    for trial in 0..4 {
        // A random number of appends (3–40) before the kill.
        rng_state = rng_state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let after = 3 + (rng_state >> 33) as usize % 38;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "append_child_entry",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, serde_json::to_string(&settings).unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        while seen < after {
            let line = lines.next().expect("the child is running").unwrap();
            let Some((serial, name)) = line.split_once(' ') else {
                continue;
            };
            let Ok(serial) = serial.parse::<u64>() else {
                continue;
            };
            reported.push((serial, name.to_string()));
            seen += 1;
        }
        child.kill().unwrap(); // SIGKILL: the connection drops mid-statement or between them.
        child.wait().unwrap();
        let doc = store.read().await.expect("the state reads").unwrap();
        for (serial, name) in &reported {
            assert!(doc.serial >= *serial, "trial {trial}");
            assert!(
                doc.resources
                    .contains_key(&format!("channel_configuration.{name}")),
                "trial {trial} (after {after}): {name} (serial {serial}) was reported durable and is lost"
            );
        }
        let rebuilt = store.read_serial(doc.serial).await.unwrap();
        assert_eq!(rebuilt.resources, doc.resources, "trial {trial}");
    }
    let doc = store.read().await.unwrap().unwrap();
    assert_eq!(doc.resources.len(), 10_000 + doc.serial as usize - 1);
}

/// A resource holding free-form JSON (a message template's components) reads back from its
/// row, and from a row as v4's `jsonb` printed it, keys in another order (shortest first): the
/// row's checksum is over the sorted-key form. It was refused as corrupt before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rows_with_free_form_json_read_back_whatever_the_key_order() {
    let (_dir, store, workspace) = workspace_store("template_rows").await;
    let template: RecordedResource = serde_json::from_value(serde_json::json!({
        "kind": "message_template",
        "name": "order_update",
        "credentials": "acme",
        "waba_id": "102290129340398",
        "category": "UTILITY",
        "languages": {"en_US": {
            "id": "1234",
            "status": "APPROVED",
            "components": [{
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} ships today.",
                "example": {"body_text": [["Ana", "#1234"]]}
            }]
        }}
    }))
    .expect("a recorded template");
    let written = store
        .append(uuid::Uuid::new_v4(), &upserts([template.clone()]), None)
        .await
        .unwrap();
    let doc = store.read().await.unwrap().expect("the state");
    assert_eq!(doc.serial, written.serial);
    assert_eq!(
        doc.resources.get("message_template.order_update"),
        Some(&template)
    );
    // Written since v5, each body is the canonical text its checksum hashes (read by hashing
    // the text); rewritten as `jsonb` prints it (a row moved from v4), it is parsed and
    // canonicalised, and reads back the same.
    let client = connect(&fixtures::pg_conn()).await;
    assert_eq!(
        count_on(&client, NOT_OWN_TEXT_CHECKSUM, &workspace).await,
        0
    );
    client
        .execute(
            "UPDATE wacfg.resources SET body = body::jsonb::json WHERE workspace = $1",
            &[&workspace],
        )
        .await
        .unwrap();
    assert_eq!(
        count_on(&client, NOT_OWN_TEXT_CHECKSUM, &workspace).await,
        1
    );
    let reread = store.read().await.unwrap().expect("the state");
    assert_eq!(reread.resources, doc.resources);
}

/// A large state's rows are verified on both cores: a row changed by hand anywhere among
/// 5,000 (here a field added, which a decode into the typed record would silently drop) is
/// still refused, and the untouched state reads back whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_row_changed_by_hand_among_thousands_is_refused() {
    let (_dir, store, workspace) = workspace_store("rows-many").await;
    let lineage = uuid::Uuid::new_v4();
    // The first write of a workspace is a whole document; the next ones only rows.
    let mut first = upserts([]);
    first
        .upserts
        .insert("credentials.acme".into(), fixtures::credentials("acme"));
    let serial = store.append(lineage, &first, None).await.unwrap().serial;
    let changes =
        upserts((0..5_000).map(|i| fixtures::channel(&format!("C{i:04}"), ChannelStatus::Active)));
    store.append(lineage, &changes, Some(serial)).await.unwrap();
    let whole = store.read().await.unwrap().unwrap();
    assert_eq!(whole.resources.len(), 5_001);
    assert_eq!(
        store.read_unsealed().await.unwrap().unwrap().resources,
        whole.resources
    );
    let client = connect(&fixtures::pg_conn()).await;
    client
        .execute(
            "UPDATE wacfg.resources SET body = (body::jsonb || '{\"note\": \"hand edit\"}')::json
             WHERE workspace = $1 AND address = 'channel_configuration.C3721'",
            &[&workspace],
        )
        .await
        .unwrap();
    let Err(err) = store.read_unsealed().await else {
        panic!("a row changed by hand was read as the state");
    };
    let msg = err.to_string();
    assert!(matches!(err, StateError::Corrupt { .. }), "{msg}");
    assert!(
        msg.contains("channel_configuration.C3721") && msg.contains("hashes to"),
        "{msg}"
    );
}
