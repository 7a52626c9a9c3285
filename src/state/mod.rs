//! The state document, its format versions, and the local and PostgreSQL stores with locks.
//!
//! - [`document`]: the [`StateDocument`] and the [`StateRef`] a saved plan pins;
//! - [`canonical`]: the canonical serialisation, the checksum, encoding and verified decoding;
//! - [`upgrade`]: migrations of older `format_version`s;
//! - [`lock`]: lock information and `--lock-timeout` parsing;
//! - [`store`]: the one store interface ([`Store`], [`open_store_within`], [`LockGuard`]);
//! - [`local`] (with its [`journal`]) and [`postgres`]: the two stores; PostgreSQL keeps the
//!   current resources as rows and its history as whole documents and change logs
//!   (`postgres_rows`), in a schema evolved by numbered migrations (`postgres_schema`).

pub mod canonical;
pub mod document;
pub mod error;
pub mod journal;
pub mod local;
pub mod lock;
pub mod postgres;
mod postgres_lock;
mod postgres_rows;
mod postgres_schema;
mod postgres_tls;
pub mod store;
pub mod upgrade;

pub use document::{FORMAT_VERSION, HistoryEntry, ResourceChanges, StateDocument, StateRef};
pub use error::StateError;
pub use lock::{LockInfo, parse_duration};
pub use store::{LockGuard, Store, open_store, open_store_within};

/// `schemas/state.schema.json` (JSON Schema draft 2020-12), for `wacfg schema state`.
pub const STATE_SCHEMA: &str = include_str!("../../schemas/state.schema.json");
