//! Shared fixtures for the state tests and benchmark: sample resources and store settings for
//! both backends (PostgreSQL at 127.0.0.1:5432, overridable with WACFG_TEST_PG).
#![allow(dead_code)]

use std::path::Path;

use wacfg::kinds::{
    ChannelSpec, ChannelStatus, RecordedChannel, RecordedCredentials, RecordedResource,
};
use wacfg::model::{CheckResult, CheckStatus, SecretRef, StateSettings, TokenFingerprint};
use wacfg::state::StateDocument;

pub const PG_DEFAULT: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

pub fn pg_conn() -> String {
    std::env::var("WACFG_TEST_PG").unwrap_or_else(|_| PG_DEFAULT.to_string())
}

/// Postgres settings for a fresh workspace; the connection string goes through a `file:` secret
/// reference written into `dir`, as a user would keep it.
pub fn pg_settings(dir: &Path, label: &str) -> StateSettings {
    let secret = dir.join("pg-url");
    std::fs::write(&secret, pg_conn()).unwrap();
    StateSettings::Postgres {
        url: SecretRef::File(secret),
        workspace: format!("test-{label}-{}", uuid::Uuid::new_v4().simple()),
    }
}

pub fn local_settings(dir: &Path) -> StateSettings {
    StateSettings::Local {
        path: dir.join("wacfg.state.json"),
    }
}

pub fn credentials(name: &str) -> RecordedResource {
    RecordedResource::Credentials(RecordedCredentials {
        name: name.to_string(),
        business_id: "100200300".into(),
        waba_id: "200300400".into(),
        phone_number: "33612345678".into(),
        phone_number_id: "300400500".into(),
        display_phone_number: "+33 6 12 34 56 78".into(),
        verified_name: "Acme".into(),
        token_fingerprint: TokenFingerprint::of("test-token-acme"),
        token_expires_at: None,
        quality_rating: Some("GREEN".into()),
        throughput_level: Some("STANDARD".into()),
        messaging_limit: Some("TIER_1K".into()),
        number_status: Some("CONNECTED".into()),
        name_status: Some("APPROVED".into()),
        account_review_status: Some("APPROVED".into()),
        observed_at: 1_790_000_000,
    })
}

pub fn channel(name: &str, status: ChannelStatus) -> RecordedResource {
    RecordedResource::ChannelConfiguration(RecordedChannel {
        name: name.to_string(),
        status,
        version: 3,
        spec: ChannelSpec {
            description: Some(format!("Channel {name}")),
            marketing_actions: vec!["analytics".into(), "emailTargeting".into()],
            credentials: Some("acme".into()),
            sender_number: Some("33612345678".into()),
            execution_field: Some("mobilePhone.number".into()),
            templates: Vec::new(),
        },
        phone_number_id: Some("300400500".into()),
        checks: vec![CheckResult {
            id: "sender_connected".into(),
            status: CheckStatus::Passed,
            message: "the sender is CONNECTED".into(),
        }],
        failure_reasons: Vec::new(),
        failed_update: None,
        prevent_destroy: false,
        failure_digest: None,
    })
}

/// A never-written document with one credentials and `channels` channel configurations.
pub fn sample_doc(channels: usize) -> StateDocument {
    let mut doc = StateDocument::new();
    doc.upsert(credentials("acme"));
    for i in 0..channels {
        doc.upsert(channel(&format!("Marketing_{i:05}"), ChannelStatus::Active));
    }
    doc
}

/// A database of its own, for a test that builds an earlier schema or races first uses: no
/// other test sees what it does. `admin` is a connection to [`pg_conn`]'s database.
pub struct FreshDatabase {
    pub name: String,
    /// Its connection string.
    pub conn: String,
}

impl FreshDatabase {
    pub async fn create(admin: &tokio_postgres::Client, label: &str) -> Self {
        let name = format!("wacfg_{label}_{}", uuid::Uuid::new_v4().simple());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let conn = format!("{} dbname={name}", pg_conn().replace("dbname=test", ""));
        Self { name, conn }
    }

    /// Drop it, whoever is still connected.
    pub async fn drop_with(self, admin: &tokio_postgres::Client) {
        admin
            .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .await
            .unwrap();
    }
}
