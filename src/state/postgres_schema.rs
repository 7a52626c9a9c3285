//! The PostgreSQL schema `wacfg`, created and evolved by numbered migrations recorded in
//! `wacfg.schema_migrations`. Migrations run in one transaction that first takes a
//! transaction-level advisory lock, so concurrent first uses wait for each other instead of
//! racing to create the same tables.

use tokio_postgres::Client;

/// Advisory-lock key serialising migrations (any constant distinct from workspace keys works;
/// this is the first 8 bytes of SHA-256 of "wacfg.schema_migrations").
fn migration_key() -> i64 {
    super::postgres::advisory_key("wacfg.schema_migrations")
}

/// (version, SQL). Append only: a released migration is never edited.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2), (3, V3)];

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

/// Bring the schema up to date.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), tokio_postgres::Error> {
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
    for (version, sql) in MIGRATIONS {
        if !applied.contains(version) {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO wacfg.schema_migrations (version) VALUES ($1)",
                &[version],
            )
            .await?;
        }
    }
    tx.commit().await
}
