//! The PostgreSQL schema `wacfg`, created and evolved by numbered migrations recorded in
//! `wacfg.schema_migrations`. Migrations run in one transaction that first takes a
//! transaction-level advisory lock, so concurrent first uses wait for each other instead of
//! racing to create the same tables.
//!
//! v4 (resources as rows) also moves each workspace's data: its current document is verified
//! and copied into `wacfg.resources` inside the same transaction (`postgres_rows::materialize`),
//! so a workspace is either fully on rows or, when its document does not verify, left readable
//! from its history document exactly as before (the views fall back to it).

use tokio_postgres::Client;

/// Advisory-lock key serialising migrations (any constant distinct from workspace keys works;
/// this is the first 8 bytes of SHA-256 of "wacfg.schema_migrations").
fn migration_key() -> i64 {
    super::postgres::advisory_key("wacfg.schema_migrations")
}

/// (version, SQL). Append only: a released migration is never edited.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2), (3, V3), (4, V4), (5, V5), (6, V6)];

/// The newest schema version this wacfg knows.
pub(crate) const LATEST: i32 = 6;

/// v1: current pointer per workspace, every serial's document, lock holders, and the view for
/// services that send messages.
const V1: &str = r#"
CREATE TABLE wacfg.state (
    workspace  text PRIMARY KEY,
    lineage    uuid NOT NULL,
    serial     bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE wacfg.state IS
    'One row per workspace: the serial of its current state (the document is in state_history).';

CREATE TABLE wacfg.state_history (
    workspace      text NOT NULL,
    serial         bigint NOT NULL,
    lineage        uuid NOT NULL,
    tool_version   text NOT NULL,
    written_at     timestamptz NOT NULL,
    resource_count integer NOT NULL,
    checksum       text NOT NULL,
    document       jsonb NOT NULL,
    PRIMARY KEY (workspace, serial)
);
COMMENT ON TABLE wacfg.state_history IS
    'Every serial ever written, insert-only; the current one is referenced by wacfg.state.';

CREATE TABLE wacfg.locks (
    workspace   text PRIMARY KEY,
    id          uuid NOT NULL,
    holder      text NOT NULL,
    pid         integer NOT NULL,
    operation   text NOT NULL,
    started_at  timestamptz NOT NULL,
    backend_pid integer NOT NULL
);
COMMENT ON TABLE wacfg.locks IS
    'Who holds (or last held) each workspace''s advisory lock; trusted only while backend_pid holds it.';

CREATE VIEW wacfg.channel_configurations AS
SELECT s.workspace,
       r.value->>'name'                   AS name,
       r.value->>'status'                 AS status,
       r.value->'spec'->>'sender_number'  AS sender_number,
       r.value->>'phone_number_id'        AS phone_number_id,
       (r.value->>'version')::integer     AS version
FROM wacfg.state s
JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
CROSS JOIN LATERAL jsonb_each(h.document->'resources') AS r(key, value)
WHERE r.value->>'kind' = 'channel_configuration';
COMMENT ON VIEW wacfg.channel_configurations IS
    'Each workspace''s channel configurations in its current state, for services that send messages.';
"#;

/// v2: documents are kept as the exact text wacfg wrote (its canonical form), so a read
/// verifies the checksum by hashing the bytes instead of re-serialising `jsonb`'s reordering;
/// the view parses them.
const V2: &str = r#"
DROP VIEW wacfg.channel_configurations;
ALTER TABLE wacfg.state_history ALTER COLUMN document TYPE text USING document::text;
CREATE VIEW wacfg.channel_configurations AS
SELECT s.workspace,
       r.value->>'name'                   AS name,
       r.value->>'status'                 AS status,
       r.value->'spec'->>'sender_number'  AS sender_number,
       r.value->>'phone_number_id'        AS phone_number_id,
       (r.value->>'version')::integer     AS version
FROM wacfg.state s
JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
CROSS JOIN LATERAL jsonb_each(h.document::jsonb->'resources') AS r(key, value)
WHERE r.value->>'kind' = 'channel_configuration';
COMMENT ON VIEW wacfg.channel_configurations IS
    'Each workspace''s channel configurations in its current state, for services that send messages.';
"#;

/// v3: the webhooks and their keyword categories, for the inbound service. Both views parse the
/// current document on their own (neither depends on the other, so a later migration can
/// replace one alone); the verify token's fingerprint is left out: readers do not need it.
const V3: &str = r#"
CREATE VIEW wacfg.webhooks AS
SELECT s.workspace,
       r.value->>'name'                                      AS name,
       r.value->>'credentials'                               AS credentials,
       r.value->>'waba_id'                                   AS waba_id,
       r.value->>'phone_number_id'                           AS phone_number_id,
       r.value->>'scope'                                     AS scope,
       r.value->>'callback_url'                              AS callback_url,
       COALESCE((r.value->>'prevent_destroy')::boolean, false) AS prevent_destroy,
       COALESCE(r.value->'keywords', '{}'::jsonb)            AS keywords
FROM wacfg.state s
JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
CROSS JOIN LATERAL jsonb_each(h.document::jsonb->'resources') AS r(key, value)
WHERE r.value->>'kind' = 'webhook';
COMMENT ON VIEW wacfg.webhooks IS
    'Each workspace''s webhooks in its current state (keywords as {category: {keywords, reply}}), for the inbound service.';

CREATE VIEW wacfg.webhook_keywords AS
SELECT s.workspace,
       r.value->>'name'            AS webhook,
       r.value->>'waba_id'         AS waba_id,
       r.value->>'phone_number_id' AS phone_number_id,
       c.key                       AS category,
       k.keyword,
       c.value->>'reply'           AS reply
FROM wacfg.state s
JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
CROSS JOIN LATERAL jsonb_each(h.document::jsonb->'resources') AS r(key, value)
CROSS JOIN LATERAL jsonb_each(COALESCE(r.value->'keywords', '{}'::jsonb)) AS c(key, value)
LEFT JOIN LATERAL jsonb_array_elements_text(COALESCE(c.value->'keywords', '[]'::jsonb)) AS k(keyword)
       ON true
WHERE r.value->>'kind' = 'webhook';
COMMENT ON VIEW wacfg.webhook_keywords IS
    'One row per keyword of each webhook category in each workspace''s current state, with the category''s reply; a category without keywords (default) has one row with a null keyword.';
"#;

/// v4: resources as rows, history as a log of changes. `wacfg.resources` holds each
/// workspace's current resources, one row each (`body` as `jsonb`, `checksum` over its text so
/// a hand edit is refused on read, `serial` the one that last wrote it), kept in step with
/// `wacfg.state.serial` inside the same compare-and-swap; `wacfg.state.rows_serial` says which
/// serial the rows hold (a wacfg older than v4 moves `serial` without them). A history row now
/// holds either a whole `document` or only the `changes` of one group commit (a journal record,
/// its hash in `checksum`); any serial is rebuilt from the nearest whole document below it and
/// the changes above it. The views read the rows (by the `(workspace, kind)` index); for a
/// workspace whose rows are not in step they parse the current document as before.
const V4: &str = r#"
CREATE TABLE wacfg.resources (
    workspace text NOT NULL,
    address   text NOT NULL,
    kind      text NOT NULL,
    serial    bigint NOT NULL,
    checksum  text NOT NULL,
    body      jsonb NOT NULL,
    PRIMARY KEY (workspace, address)
);
CREATE INDEX resources_by_kind ON wacfg.resources (workspace, kind);
COMMENT ON TABLE wacfg.resources IS
    'One row per resource of each workspace''s current state (valid while wacfg.state.rows_serial = wacfg.state.serial); checksum is sha256 of the resource''s JSON in sorted-key canonical form (jsonb reorders keys).';

ALTER TABLE wacfg.state ADD COLUMN rows_serial bigint;
COMMENT ON COLUMN wacfg.state.rows_serial IS
    'The serial wacfg.resources holds for this workspace; NULL or behind serial: read the current document from state_history.';

ALTER TABLE wacfg.state_history ALTER COLUMN document DROP NOT NULL;
ALTER TABLE wacfg.state_history ADD COLUMN changes text;
ALTER TABLE wacfg.state_history ADD CONSTRAINT state_history_document_or_changes
    CHECK ((document IS NULL) <> (changes IS NULL));
COMMENT ON TABLE wacfg.state_history IS
    'Every serial ever written, insert-only: a whole document (first write, push, rm, mv, recover, before v4) or the changes of one group commit of an apply (checksum: sha256 of changes).';

CREATE VIEW wacfg.current_resources AS
SELECT r.workspace, r.address, r.kind, r.body AS value
FROM wacfg.resources r
JOIN wacfg.state s ON s.workspace = r.workspace AND s.rows_serial = s.serial
UNION ALL
SELECT s.workspace, e.key, e.value->>'kind', e.value
FROM wacfg.state s
JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
CROSS JOIN LATERAL jsonb_each(h.document::jsonb->'resources') AS e(key, value)
WHERE s.rows_serial IS DISTINCT FROM s.serial AND h.document IS NOT NULL;
COMMENT ON VIEW wacfg.current_resources IS
    'Each workspace''s current resources (address, kind, value): its rows, or its current document where the rows are not in step.';

CREATE OR REPLACE VIEW wacfg.channel_configurations AS
SELECT c.workspace,
       c.value->>'name'                   AS name,
       c.value->>'status'                 AS status,
       c.value->'spec'->>'sender_number'  AS sender_number,
       c.value->>'phone_number_id'        AS phone_number_id,
       (c.value->>'version')::integer     AS version
FROM wacfg.current_resources c
WHERE c.kind = 'channel_configuration';

CREATE OR REPLACE VIEW wacfg.webhooks AS
SELECT c.workspace,
       c.value->>'name'                                      AS name,
       c.value->>'credentials'                               AS credentials,
       c.value->>'waba_id'                                   AS waba_id,
       c.value->>'phone_number_id'                           AS phone_number_id,
       c.value->>'scope'                                     AS scope,
       c.value->>'callback_url'                              AS callback_url,
       COALESCE((c.value->>'prevent_destroy')::boolean, false) AS prevent_destroy,
       COALESCE(c.value->'keywords', '{}'::jsonb)            AS keywords
FROM wacfg.current_resources c
WHERE c.kind = 'webhook';

CREATE OR REPLACE VIEW wacfg.webhook_keywords AS
SELECT c.workspace,
       c.value->>'name'            AS webhook,
       c.value->>'waba_id'         AS waba_id,
       c.value->>'phone_number_id' AS phone_number_id,
       k.key                       AS category,
       w.keyword,
       k.value->>'reply'           AS reply
FROM wacfg.current_resources c
CROSS JOIN LATERAL jsonb_each(COALESCE(c.value->'keywords', '{}'::jsonb)) AS k(key, value)
LEFT JOIN LATERAL jsonb_array_elements_text(COALESCE(k.value->'keywords', '[]'::jsonb)) AS w(keyword)
       ON true
WHERE c.kind = 'webhook';
"#;

/// v5: a resource's `body` is `json`, the text wacfg wrote (its sorted-key canonical form, so
/// its SHA-256 is the row's checksum), no longer `jsonb`: a read of 10,000 rows spent most of
/// its server time rendering `jsonb` back to text, and the client re-serialised each body to
/// check it. Rows moved from v4 keep `jsonb`'s text until rewritten, and still verify (their
/// checksum is over the same canonical form). The views are rebuilt over the new column, the
/// same columns and types as before (`value` is still `jsonb`).
const V5: &str = r#"
DROP VIEW wacfg.webhook_keywords;
DROP VIEW wacfg.webhooks;
DROP VIEW wacfg.channel_configurations;
DROP VIEW wacfg.current_resources;
ALTER TABLE wacfg.resources ALTER COLUMN body TYPE json USING body::json;
COMMENT ON TABLE wacfg.resources IS
    'One row per resource of each workspace''s current state (valid while wacfg.state.rows_serial = wacfg.state.serial); body is the resource''s JSON as wacfg wrote it, checksum is sha256 of its sorted-key canonical form (the body''s own text for rows written since v5).';

CREATE VIEW wacfg.current_resources AS
SELECT r.workspace, r.address, r.kind, r.body::jsonb AS value
FROM wacfg.resources r
JOIN wacfg.state s ON s.workspace = r.workspace AND s.rows_serial = s.serial
UNION ALL
SELECT s.workspace, e.key, e.value->>'kind', e.value
FROM wacfg.state s
JOIN wacfg.state_history h ON h.workspace = s.workspace AND h.serial = s.serial
CROSS JOIN LATERAL jsonb_each(h.document::jsonb->'resources') AS e(key, value)
WHERE s.rows_serial IS DISTINCT FROM s.serial AND h.document IS NOT NULL;
COMMENT ON VIEW wacfg.current_resources IS
    'Each workspace''s current resources (address, kind, value): its rows, or its current document where the rows are not in step.';

CREATE VIEW wacfg.channel_configurations AS
SELECT c.workspace,
       c.value->>'name'                   AS name,
       c.value->>'status'                 AS status,
       c.value->'spec'->>'sender_number'  AS sender_number,
       c.value->>'phone_number_id'        AS phone_number_id,
       (c.value->>'version')::integer     AS version
FROM wacfg.current_resources c
WHERE c.kind = 'channel_configuration';
COMMENT ON VIEW wacfg.channel_configurations IS
    'Each workspace''s channel configurations in its current state, for services that send messages.';

CREATE VIEW wacfg.webhooks AS
SELECT c.workspace,
       c.value->>'name'                                      AS name,
       c.value->>'credentials'                               AS credentials,
       c.value->>'waba_id'                                   AS waba_id,
       c.value->>'phone_number_id'                           AS phone_number_id,
       c.value->>'scope'                                     AS scope,
       c.value->>'callback_url'                              AS callback_url,
       COALESCE((c.value->>'prevent_destroy')::boolean, false) AS prevent_destroy,
       COALESCE(c.value->'keywords', '{}'::jsonb)            AS keywords
FROM wacfg.current_resources c
WHERE c.kind = 'webhook';
COMMENT ON VIEW wacfg.webhooks IS
    'Each workspace''s webhooks in its current state (keywords as {category: {keywords, reply}}), for the inbound service.';

CREATE VIEW wacfg.webhook_keywords AS
SELECT c.workspace,
       c.value->>'name'            AS webhook,
       c.value->>'waba_id'         AS waba_id,
       c.value->>'phone_number_id' AS phone_number_id,
       k.key                       AS category,
       w.keyword,
       k.value->>'reply'           AS reply
FROM wacfg.current_resources c
CROSS JOIN LATERAL jsonb_each(COALESCE(c.value->'keywords', '{}'::jsonb)) AS k(key, value)
LEFT JOIN LATERAL jsonb_array_elements_text(COALESCE(k.value->'keywords', '[]'::jsonb)) AS w(keyword)
       ON true
WHERE c.kind = 'webhook';
COMMENT ON VIEW wacfg.webhook_keywords IS
    'One row per keyword of each webhook category in each workspace''s current state, with the category''s reply; a category without keywords (default) has one row with a null keyword.';
"#;

/// v6: `channel_configurations` gains `templates`, the message templates each configuration
/// sends (its `templates:`, a JSON array; `[]` when it lists none). A column added at the end:
/// the view is replaced in place.
const V6: &str = r#"
CREATE OR REPLACE VIEW wacfg.channel_configurations AS
SELECT c.workspace,
       c.value->>'name'                   AS name,
       c.value->>'status'                 AS status,
       c.value->'spec'->>'sender_number'  AS sender_number,
       c.value->>'phone_number_id'        AS phone_number_id,
       (c.value->>'version')::integer     AS version,
       COALESCE(c.value->'spec'->'templates', '[]'::jsonb) AS templates
FROM wacfg.current_resources c
WHERE c.kind = 'channel_configuration';
COMMENT ON VIEW wacfg.channel_configurations IS
    'Each workspace''s channel configurations in its current state (templates: the message templates each sends, a JSON array), for services that send messages.';
"#;

/// Bring the schema up to date. `Ok(Some(v))`: the schema is at version `v`, newer than this
/// wacfg knows; nothing was changed.
pub(crate) async fn migrate(client: &mut Client) -> Result<Option<i32>, tokio_postgres::Error> {
    migrate_to(client, i32::MAX).await
}

/// Apply the migrations up to `upto` only: how the tests build a database as an earlier wacfg
/// left it.
pub(crate) async fn migrate_to(
    client: &mut Client,
    upto: i32,
) -> Result<Option<i32>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&migration_key()])
        .await?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS wacfg;
         CREATE TABLE IF NOT EXISTS wacfg.schema_migrations (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM wacfg.schema_migrations", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    // A newer wacfg's tables are not this one's to write (nor to read: their meaning may have
    // changed); the transaction is dropped, so nothing was created either.
    if let Some(newer) = applied.iter().copied().filter(|v| *v > LATEST).max() {
        return Ok(Some(newer));
    }
    let mut moved = (false, false);
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= upto) {
        if !applied.contains(version) {
            tx.batch_execute(sql).await?;
            match version {
                4 => moved.0 = true,
                5 => moved.1 = true,
                _ => {}
            }
            tx.execute(
                "INSERT INTO wacfg.schema_migrations (version) VALUES ($1)",
                &[version],
            )
            .await?;
        }
    }
    // Each workspace's data moves after the last migration of this run, so rows are written
    // once, in the newest layout.
    if moved.0 {
        super::postgres_rows::materialize_all(&tx).await?;
    }
    if moved.1 {
        super::postgres_rows::canonicalise_all(&tx).await?;
    }
    tx.commit().await.map(|()| None)
}
