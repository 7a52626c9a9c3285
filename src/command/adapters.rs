//! The ports apply is given, over real I/O: `StoreWriter` writes each step to the state store
//! (compare-and-swap on the serial it last wrote), `Graph` sends a kind's Graph calls with the
//! token of the credentials it names and fills in secrets a kind only names by key.

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use crate::apply::{PortError, StateWriter};
use crate::kinds::RecordedResource;
use crate::kinds::ports::{FormValue, GraphPort, GraphRequest, Repeat};
use crate::model::{Address, ObservedNumber, ObservedSubscription};
use crate::plan::PriorState;
use crate::remote::write::{Form, WriteSafety, expect_success};
use crate::remote::{Client, RemoteError, Token};
use crate::state::{StateDocument, StateError, Store};

/// Writes each step as the next serial, compare-and-swap on the serial it last wrote.
pub struct StoreWriter<'a> {
    pub store: &'a Store,
    pub doc: StateDocument,
    /// `None` until the first write when there was no state.
    pub expected: Option<u64>,
}

fn state_error(e: StateError) -> PortError {
    match e {
        StateError::Conflict { .. } => PortError::StateConflict(e.to_string()),
        other => PortError::Storage(other.to_string()),
    }
}

impl StateWriter for StoreWriter<'_> {
    fn write<'a>(
        &'a mut self,
        resources: &'a BTreeMap<Address, RecordedResource>,
    ) -> BoxFuture<'a, Result<PriorState, PortError>> {
        Box::pin(async move {
            let mut next = self.doc.clone();
            next.resources = resources
                .iter()
                .map(|(a, r)| (a.to_string(), r.clone()))
                .collect();
            let written = self
                .store
                .write(&next, self.expected)
                .await
                .map_err(state_error)?;
            let state = PriorState {
                lineage: written.lineage.to_string(),
                serial: written.serial,
            };
            self.expected = Some(written.serial);
            self.doc = written;
            Ok(state)
        })
    }
}

/// The Graph API with the tokens and secrets the operator's environment resolved.
pub struct Graph<'a> {
    pub client: &'a Client,
    /// Tokens by credentials name.
    pub tokens: &'a BTreeMap<String, Token>,
    /// Other secrets by secret key.
    pub secrets: &'a BTreeMap<String, Token>,
}

fn graph_error(e: RemoteError) -> PortError {
    PortError::Graph {
        code: e.code(),
        outcome_unknown: e.outcome_unknown(),
        message: e.to_string(),
    }
}

impl Graph<'_> {
    fn token(&self, credentials: &str) -> Result<&Token, PortError> {
        self.tokens.get(credentials).ok_or_else(|| {
            PortError::Missing(format!(
                "no token for credentials `{credentials}`: they must stay in the file (with their token) while anything that uses them is applied or removed"
            ))
        })
    }

    fn secret(&self, key: &str) -> Result<&Token, PortError> {
        self.secrets
            .get(key)
            .ok_or_else(|| PortError::Missing(format!("the secret `{key}` was not read")))
    }

    /// The form with secrets filled in (and marked secret, so errors never show them); a
    /// JSON member becomes one JSON string.
    fn form(&self, fields: &[(String, FormValue)]) -> Result<Form, PortError> {
        let mut form = Form::new();
        for (name, value) in fields {
            form = match value {
                FormValue::Plain(v) => form.field(name, v.as_str()),
                FormValue::Secret(key) => form.secret_field(name, self.secret(key)?.expose()),
                FormValue::Json(members) => {
                    let mut object = serde_json::Map::new();
                    for (k, v) in members {
                        let text = match v {
                            FormValue::Plain(v) => v.clone(),
                            FormValue::Secret(key) => {
                                let secret = self.secret(key)?.expose();
                                form = form.hiding(secret);
                                secret.to_string()
                            }
                            FormValue::Json(_) => {
                                return Err(PortError::Missing(
                                    "nested JSON form values are not supported".into(),
                                ));
                            }
                        };
                        object.insert(k.clone(), serde_json::Value::String(text));
                    }
                    form.field(name, serde_json::Value::Object(object).to_string())
                }
            };
        }
        Ok(form)
    }
}

impl GraphPort for Graph<'_> {
    fn read_number<'a>(
        &'a self,
        credentials: &'a str,
        phone_number_id: &'a str,
    ) -> BoxFuture<'a, Result<ObservedNumber, PortError>> {
        Box::pin(async move {
            let token = self.token(credentials)?;
            self.client
                .read_number(token, phone_number_id)
                .await
                .map_err(graph_error)
        })
    }

    fn read_subscriptions<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObservedSubscription>, PortError>> {
        Box::pin(async move {
            let token = self.token(credentials)?;
            self.client
                .read_subscribed_apps(token, waba_id)
                .await
                .map_err(graph_error)
        })
    }

    fn write<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move {
            let token = self.token(credentials)?;
            let form = self.form(&request.form)?;
            let safety = match request.repeat {
                Repeat::Safe => WriteSafety::Idempotent,
                Repeat::Unsafe => WriteSafety::NotIdempotent,
            };
            let answer = if request.method == "DELETE" {
                self.client.delete(token, &request.path, safety).await
            } else {
                self.client
                    .post_form(token, &request.path, &form, safety)
                    .await
            }
            .map_err(graph_error)?;
            let url = self.client.config().url(&request.path);
            expect_success(answer, request.method, &url).map_err(graph_error)
        })
    }
}
