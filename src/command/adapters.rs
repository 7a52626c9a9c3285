//! The ports apply is given, over real I/O: `StoreWriter` writes each step to the state store
//! (compare-and-swap on the serial it last wrote), `Graph` sends a kind's Graph calls with the
//! token of the credentials it names (numbers read ahead in Graph batches, one group per
//! distinct token, the groups concurrently) and fills in secrets a kind only names by key, and
//! stops sending (`Stop`) once Meta asked to wait longer than the run can, stopped answering,
//! or the run's deadline passed.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::apply::{PortError, StateChanges, StateWriter};
use crate::kinds::MediaFile;
use crate::kinds::ports::{FormValue, GraphPort, GraphRequest, Repeat};
use crate::kinds::{NumberRead, WabaRead};
use crate::model::{ObservedNumber, ObservedTemplate};
use crate::plan::PriorState;
use crate::remote::error::human_duration;
use crate::remote::retry::server_wait;
use crate::remote::upload::Upload;
use crate::remote::write::{Form, WriteSafety, expect_success};
use crate::remote::{Client, RemoteError, Token};
use crate::state::{ResourceChanges, StateError, Store};

/// Writes each group of changes as the next serial, compare-and-swap on the serial it last
/// wrote; only the changes travel (see `Store::append`).
pub struct StoreWriter<'a> {
    pub store: &'a Store,
    /// The state's lineage (a new one when there was no state).
    pub lineage: uuid::Uuid,
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
        changes: &'a StateChanges,
    ) -> BoxFuture<'a, Result<PriorState, PortError>> {
        Box::pin(async move {
            let changes = ResourceChanges {
                upserts: changes
                    .upserts
                    .iter()
                    .map(|(a, r)| (a.to_string(), r.clone()))
                    .collect(),
                removals: changes.removals.iter().map(ToString::to_string).collect(),
            };
            let written = self
                .store
                .append(self.lineage, &changes, self.expected)
                .await
                .map_err(state_error)?;
            self.expected = Some(written.serial);
            Ok(PriorState {
                lineage: written.lineage.to_string(),
                serial: written.serial,
            })
        })
    }

    fn finish(&mut self) -> BoxFuture<'_, Result<(), PortError>> {
        Box::pin(async move { self.store.finish().await.map_err(state_error) })
    }
}

/// The Graph API with the tokens and secrets the operator's environment resolved.
pub struct Graph<'a> {
    pub client: &'a Client,
    /// Tokens by credentials name.
    pub tokens: &'a BTreeMap<String, Token>,
    /// Other secrets by secret key.
    pub secrets: &'a BTreeMap<String, Token>,
    pub stop: Stop,
}

/// The numbers read with one token: each distinct number once, with the positions of the
/// reads it answers.
struct TokenGroup<'t> {
    token: &'t Token,
    ids: Vec<String>,
    at: Vec<Vec<usize>>,
}

/// Put the read of `id` (at position `i`) in its token's group, once per distinct id.
fn add_to_group<'t>(groups: &mut Vec<TokenGroup<'t>>, token: &'t Token, id: &str, i: usize) {
    let g = match groups.iter().position(|g| g.token == token) {
        Some(g) => g,
        None => {
            groups.push(TokenGroup {
                token,
                ids: Vec::new(),
                at: Vec::new(),
            });
            groups.len() - 1
        }
    };
    let group = &mut groups[g];
    match group.ids.iter().position(|known| known == id) {
        Some(k) => group.at[k].push(i),
        None => {
            group.ids.push(id.to_string());
            group.at.push(vec![i]);
        }
    }
}

/// The run's circuit breaker: once it trips, or once the run's deadline passes, nothing more
/// is sent to Meta and every call fails at once with `PortError::NotAttempted`.
pub struct Stop {
    /// The run's deadline and the `--timeout` it came from (for the message).
    deadline: Option<(Instant, Duration)>,
    tripped: Mutex<Option<String>>,
}

impl Stop {
    pub fn new(deadline: Option<(Instant, Duration)>) -> Self {
        Self {
            deadline,
            tripped: Mutex::new(None),
        }
    }

    /// Why nothing more is sent, once that is so.
    pub fn why(&self) -> Option<String> {
        if let Some(why) = self
            .tripped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Some(why);
        }
        match self.deadline {
            Some((at, timeout)) if Instant::now() >= at => Some(format!(
                "the apply's --timeout ({}) ran out",
                human_duration(timeout)
            )),
            _ => None,
        }
    }

    /// Trip on an error that means more calls are pointless now (see [`stop_reason`]).
    fn after(&self, e: &RemoteError, longest_wait: Duration) {
        if self.why().is_some() {
            return;
        }
        let left = self.deadline.map_or(longest_wait, |(at, _)| {
            longest_wait.min(at.saturating_duration_since(Instant::now()))
        });
        if let Some(why) = stop_reason(e, left) {
            let mut slot = self.tripped.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert(why);
        }
    }

    fn check(&self) -> Result<(), PortError> {
        self.why()
            .map_or(Ok(()), |why| Err(PortError::NotAttempted(why)))
    }
}

/// Why a failed request (after its retries) means the run should stop sending: Meta asked to
/// wait longer than `longest_wait` (what a request waits, or what is left of the run), or it
/// stopped answering (no answer in time, or no connection). `None` for any other error.
pub fn stop_reason(e: &RemoteError, longest_wait: Duration) -> Option<String> {
    if let Some(wait) = server_wait(e).filter(|w| *w > longest_wait) {
        let code = e
            .code()
            .map(|c| format!(" (Graph error {c})"))
            .unwrap_or_default();
        return Some(format!(
            "Meta asked to wait {} before more calls{code}",
            human_duration(wait)
        ));
    }
    let mut inner = e;
    loop {
        inner = match inner {
            RemoteError::GaveUp { last, .. } => last,
            RemoteError::OutcomeUnknown { cause, .. } => cause,
            RemoteError::Timeout { after, .. } => {
                return Some(format!(
                    "Meta stopped answering (no answer within {})",
                    human_duration(*after)
                ));
            }
            RemoteError::Connect { .. } => {
                return Some("Meta could not be reached".to_string());
            }
            _ => return None,
        };
    }
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

impl Graph<'_> {
    /// A sent request's answer, tripping the stop when it says to stop sending.
    fn sent<T>(&self, out: Result<T, RemoteError>) -> Result<T, PortError> {
        out.map_err(|e| {
            self.stop.after(&e, self.client.config().retry.deadline);
            graph_error(e)
        })
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
            self.stop.check()?;
            let out = self.client.read_number(token, phone_number_id).await;
            self.sent(out)
        })
    }

    fn read_numbers<'a>(
        &'a self,
        reads: &'a [NumberRead],
    ) -> BoxFuture<'a, Vec<Result<ObservedNumber, PortError>>> {
        Box::pin(async move { self.read_live(reads, &[]).await.0 })
    }

    fn read_live<'a>(
        &'a self,
        numbers: &'a [NumberRead],
        wabas: &'a [WabaRead],
    ) -> BoxFuture<'a, crate::kinds::LiveAnswers> {
        Box::pin(async move {
            let mut number_answers: Vec<Option<Result<ObservedNumber, PortError>>> =
                vec![None; numbers.len()];
            let mut waba_answers: Vec<Option<Result<Option<String>, PortError>>> =
                vec![None; wabas.len()];
            let (mut number_groups, mut waba_groups) = (Vec::new(), Vec::new());
            for (i, read) in numbers.iter().enumerate() {
                match self.token(&read.credentials) {
                    Ok(token) => add_to_group(&mut number_groups, token, &read.phone_number_id, i),
                    Err(e) => number_answers[i] = Some(Err(e)),
                }
            }
            for (i, read) in wabas.iter().enumerate() {
                match self.token(&read.credentials) {
                    Ok(token) => add_to_group(&mut waba_groups, token, &read.waba_id, i),
                    Err(e) => waba_answers[i] = Some(Err(e)),
                }
            }
            if let Err(refused) = self.stop.check() {
                return (
                    number_answers
                        .into_iter()
                        .map(|a| a.unwrap_or_else(|| Err(refused.clone())))
                        .collect(),
                    waba_answers
                        .into_iter()
                        .map(|a| a.unwrap_or_else(|| Err(refused.clone())))
                        .collect(),
                );
            }
            // One call per token, carrying its numbers and its WABAs in the same batches.
            let mut tokens: Vec<&Token> = number_groups.iter().map(|g| g.token).collect();
            for g in &waba_groups {
                if !tokens.contains(&g.token) {
                    tokens.push(g.token);
                }
            }
            fn group_of<'g, 't>(
                groups: &'g [TokenGroup<'t>],
                token: &Token,
            ) -> Option<&'g TokenGroup<'t>> {
                groups.iter().find(|g| g.token == token)
            }
            let none: Vec<String> = Vec::new();
            let calls = tokens.iter().map(|token| {
                let n = group_of(&number_groups, token).map_or(&none, |g| &g.ids);
                let w = group_of(&waba_groups, token).map_or(&none, |g| &g.ids);
                self.client.read_live(token, n, w)
            });
            let read = futures::future::join_all(calls).await;
            for (token, (numbers_read, wabas_read)) in tokens.iter().zip(read) {
                if let Some(g) = group_of(&number_groups, token) {
                    for (positions, result) in g.at.iter().zip(numbers_read) {
                        let answer = self.sent(result);
                        for &i in positions {
                            number_answers[i] = Some(answer.clone());
                        }
                    }
                }
                if let Some(g) = group_of(&waba_groups, token) {
                    for (positions, result) in g.at.iter().zip(wabas_read) {
                        let answer = self.sent(result);
                        for &i in positions {
                            waba_answers[i] = Some(answer.clone());
                        }
                    }
                }
            }
            let missing = || PortError::Missing("not read".into());
            (
                number_answers
                    .into_iter()
                    .map(|a| a.unwrap_or_else(|| Err(missing())))
                    .collect(),
                waba_answers
                    .into_iter()
                    .map(|a| a.unwrap_or_else(|| Err(missing())))
                    .collect(),
            )
        })
    }

    fn read_waba_review<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, PortError>> {
        Box::pin(async move {
            let read = [WabaRead {
                credentials: credentials.to_string(),
                waba_id: waba_id.to_string(),
            }];
            self.read_live(&[], &read)
                .await
                .1
                .pop()
                .unwrap_or_else(|| Err(PortError::Missing("not read".into())))
        })
    }

    fn read_waba_reviews<'a>(
        &'a self,
        reads: &'a [WabaRead],
    ) -> BoxFuture<'a, Vec<Result<Option<String>, PortError>>> {
        Box::pin(async move { self.read_live(&[], reads).await.1 })
    }

    fn write<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move { self.write_answer(credentials, request).await.map(|_| ()) })
    }

    fn write_answer<'a>(
        &'a self,
        credentials: &'a str,
        request: GraphRequest,
    ) -> BoxFuture<'a, Result<serde_json::Value, PortError>> {
        Box::pin(async move {
            let token = self.token(credentials)?;
            let form = self.form(&request.form)?;
            self.stop.check()?;
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
            };
            let answer = self.sent(answer)?;
            let url = self.client.config().url(&request.path);
            // A create answers with what it made (`{id, status, category}`), a change with
            // `{"success": true}`.
            if answer
                .get("id")
                .and_then(serde_json::Value::as_str)
                .is_none()
            {
                expect_success(answer.clone(), request.method, &url).map_err(graph_error)?;
            }
            Ok(answer)
        })
    }

    fn read_template<'a>(
        &'a self,
        credentials: &'a str,
        waba_id: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<BTreeMap<String, ObservedTemplate>, PortError>> {
        Box::pin(async move {
            let token = self.token(credentials)?;
            self.stop.check()?;
            let out = self.client.read_template(token, waba_id, name).await;
            self.sent(out)
        })
    }

    fn upload<'a>(
        &'a self,
        credentials: &'a str,
        file: &'a MediaFile,
    ) -> BoxFuture<'a, Result<String, PortError>> {
        Box::pin(async move {
            let token = self.token(credentials)?;
            self.stop.check()?;
            let app_id = self.sent(self.client.app_id(token).await)?;
            let upload = Upload {
                name: &file.name,
                mime: file.mime,
                bytes: &file.bytes,
                chunk: upload_chunk(),
            };
            let out = self.client.upload(token, &app_id, &upload).await;
            self.sent(out)
        })
    }

    fn halted(&self) -> Option<String> {
        self.stop.why()
    }
}

/// Bytes per upload request: 4 MiB, or `WACFG_UPLOAD_CHUNK_BYTES` (hidden, for tests that
/// resume an upload split in several requests).
fn upload_chunk() -> usize {
    std::env::var("WACFG_UPLOAD_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(4 * 1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::GraphError;

    fn limited(code: i64, regain: Option<Duration>) -> RemoteError {
        RemoteError::Graph(Box::new(GraphError {
            http_status: 400,
            code,
            error_type: "OAuthException".into(),
            message: "m".into(),
            error_subcode: None,
            fbtrace_id: None,
            is_transient: true,
            regain_access_after: regain,
            retry_after: None,
            request: "GET /v23.0/1".into(),
            user_facing: Default::default(),
        }))
    }

    #[test]
    fn a_state_conflict_stays_apart_from_other_state_errors() {
        let conflict = state_error(StateError::Conflict {
            expected: Some(3),
            found: Some(4),
        });
        assert!(
            matches!(conflict, PortError::StateConflict(_)),
            "{conflict:?}"
        );
        assert_eq!(conflict.class(), crate::model::ErrorClass::StateConflict);
        let disk = state_error(StateError::Io {
            action: "write",
            path: "state.json".into(),
            source: std::io::Error::other("disk full"),
        });
        assert!(matches!(disk, PortError::Storage(_)), "{disk:?}");
    }

    #[test]
    fn a_long_wait_or_silence_stops_the_run_other_errors_do_not() {
        let minute = Duration::from_secs(60);
        let hour = limited(80008, Some(minute * 60));
        assert_eq!(
            stop_reason(&hour, minute).as_deref(),
            Some("Meta asked to wait 60 min before more calls (Graph error 80008)")
        );
        let gave_up = RemoteError::GaveUp {
            attempts: 1,
            elapsed: Duration::ZERO,
            last: Box::new(hour),
        };
        assert!(stop_reason(&gave_up, minute).is_some());
        // A wait the run can still afford does not stop it.
        assert_eq!(stop_reason(&limited(80008, Some(minute)), minute), None);
        assert_eq!(stop_reason(&limited(100, None), minute), None);
        let silent = RemoteError::GaveUp {
            attempts: 3,
            elapsed: minute,
            last: Box::new(RemoteError::Timeout {
                request: "GET /v23.0/1".into(),
                after: Duration::from_secs(30),
            }),
        };
        assert_eq!(
            stop_reason(&silent, minute).as_deref(),
            Some("Meta stopped answering (no answer within 30 s)")
        );
    }

    #[test]
    fn the_stop_trips_once_and_at_the_deadline() {
        let stop = Stop::new(Some((
            Instant::now() + Duration::from_secs(3600),
            Duration::from_secs(3600),
        )));
        assert_eq!(stop.why(), None);
        assert_eq!(stop.check(), Ok(()));
        stop.after(
            &limited(80008, Some(Duration::from_secs(3600))),
            Duration::from_secs(60),
        );
        stop.after(
            &limited(4, Some(Duration::from_secs(7200))),
            Duration::from_secs(60),
        );
        assert_eq!(
            stop.check(),
            Err(PortError::NotAttempted(
                "Meta asked to wait 60 min before more calls (Graph error 80008)".into()
            ))
        );
        let late = Stop::new(Some((Instant::now(), Duration::from_secs(300))));
        assert_eq!(
            late.why().as_deref(),
            Some("the apply's --timeout (5 min) ran out")
        );
    }
}
