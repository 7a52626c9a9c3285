//! The Graph API client: transport, retries, pacing, wire types and their conversion into
//! `model::Observed`. The token never leaves this module in any text: URLs are redacted and
//! server messages scrubbed before they become errors.
//!
//! Entry points: [`Client::observe`] (everything a plan needs, in the fewest round trips),
//! [`Client::debug_token`] and [`Client::read_business`]; writes go through
//! [`Client::post_form`] / [`Client::delete`] with a [`WriteSafety`]; which writes to send
//! (paths and forms) is each kind's knowledge, in `kinds/<kind>/graph.rs`.

pub mod batch;
pub mod config;
pub mod convert;
pub mod error;
pub mod number;
pub mod observe;
pub mod redact;
pub mod retry;
pub mod templates;
pub mod token;
pub mod transport;
pub mod upload;
pub mod wire;
pub mod write;

pub use config::{
    ClientConfig, EndpointNotAllowed, GRAPH_URL_ENV, META_GRAPH_URL, RetryPolicy, is_meta_graph_url,
};
pub use error::{GraphError, RemoteError, UserFacing};
pub use observe::TokenReads;
pub use token::Token;
pub use transport::{Activity, ActivityHook, WaitReason};
pub use write::{Form, WriteSafety};

use crate::model::{ObservedBusiness, ObservedToken};

use transport::Transport;
use wire::DebugTokenResponse;

/// Run a client future to completion on a runtime of its own, for synchronous commands
/// (`plan`, `discover`, …) that call the client once.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, RemoteError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RemoteError::Setup(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// A Graph API client for one run; cheap to share by reference across tasks.
pub struct Client {
    transport: Transport,
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Self, RemoteError> {
        Ok(Self {
            transport: Transport::new(cfg)?,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        self.transport.config()
    }

    /// End every request of this client by `deadline` (`apply --timeout`): no attempt lasts
    /// past it, no retry or pause waits past it.
    pub fn with_deadline(mut self, deadline: std::time::Instant) -> Self {
        self.transport.set_deadline(deadline);
        self
    }

    /// Tell `hook` which request the client waits for and how long retries and pauses wait
    /// (progress for the operator; labels are redacted).
    pub fn with_activity(mut self, hook: transport::ActivityHook) -> Self {
        self.transport.set_activity(hook);
        self
    }

    /// The deadline set by [`Client::with_deadline`].
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.transport.deadline()
    }

    /// What Meta says about a token: validity, expiry, scopes, businesses it reaches.
    pub async fn debug_token(&self, token: &Token) -> Result<ObservedToken, RemoteError> {
        let url = self.config().base_url.clone() + "/" + &self.debug_token_path(token);
        let value = self.transport.get(token, &url).await?;
        self.token_from_value(token, value, &url)
    }

    /// A business with all its owned and client WABAs and their numbers (one request, plus
    /// one per extra page).
    pub async fn read_business(
        &self,
        token: &Token,
        business_id: &str,
    ) -> Result<ObservedBusiness, RemoteError> {
        let url = self.config().base_url.clone() + "/" + &self.business_path(business_id);
        let value = self.transport.get(token, &url).await?;
        self.complete_business(token, business_id, value).await
    }

    /// `v23.0/debug_token?input_token=…` (Meta requires the token in the query here).
    fn debug_token_path(&self, token: &Token) -> String {
        let input = redact::encode_query_value(token.expose());
        self.config()
            .relative(&format!("debug_token?input_token={input}"))
    }

    /// `v23.0/{id}?fields=…` with the whole WABA and number expansion.
    fn business_path(&self, business_id: &str) -> String {
        let id = redact::encode_query_value(business_id);
        let fields = redact::encode_query_value(&wire::business_fields());
        self.config().relative(&format!("{id}?fields={fields}"))
    }

    fn token_from_value(
        &self,
        token: &Token,
        value: serde_json::Value,
        url: &str,
    ) -> Result<ObservedToken, RemoteError> {
        let parsed: DebugTokenResponse =
            serde_json::from_value(value).map_err(|e| RemoteError::Decode {
                request: redact::request_label("GET", url),
                message: format!("not a debug_token answer: {e}"),
            })?;
        Ok(convert::token(token, parsed.data))
    }
}
