//! `POST /{version}/` batch requests: up to 50 sub-requests (reads and writes, in order), each
//! answered by the same routes as a plain request (and charged to the same budgets), returned as
//! `[{code, headers, body: "<JSON string>"}]`.

use serde_json::{Value, json};

use crate::errors::GraphError;
use crate::server::reply::{GraphRequest, Reply};
use crate::server::{auth, routes};
use crate::state::{Shared, lock};
use crate::stats::{LoggedRequest, redact};
use crate::urlenc::parse_query;

pub const MAX_BATCH: usize = 50;

/// One sub-request as the client wrote it.
struct Item {
    method: String,
    relative_url: String,
    body: Option<String>,
}

pub async fn run(sh: &Shared, req: &GraphRequest, version: &str) -> Reply {
    match answer(sh, req, version).await {
        Ok(v) => Reply::json(v),
        Err(e) => Reply::error(e),
    }
}

async fn answer(sh: &Shared, req: &GraphRequest, version: &str) -> Result<Value, GraphError> {
    // The top-level token, when sent, must be usable: it is the fallback of every item.
    if req.token().is_some() {
        auth::classify(&sh.read(), req.token()).require()?;
    }
    let items = parse_items(req)?;
    // `include_headers=false` asks Graph to leave each item's headers out.
    let include_headers = req.param("include_headers") != Some("false");
    lock(&sh.stats).batch_sub_requests += items.len() as u64;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let sub = sub_request(req, &item, version);
        let injected = {
            let mut f = lock(&sh.faults);
            (!f.fail_batch_items.is_empty()).then(|| f.fail_batch_items.remove(0))
        };
        let reply = match injected {
            Some(i) => crate::server::injected_reply(sh, &sub, &i),
            None => routes::answer(sh, &sub).await,
        };
        let trace = lock(&sh.dice).trace_id();
        let (status, mut headers, body) = reply.finish(&trace);
        headers.push(("x-fb-trace-id".into(), trace));
        lock(&sh.log).push(LoggedRequest {
            method: sub.method.clone(),
            path: redact(&item.relative_url),
            status,
            in_batch: true,
        });
        let mut answer = json!({ "code": status, "body": body });
        if include_headers {
            let headers: Vec<Value> = headers
                .into_iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect();
            answer["headers"] = json!(headers);
        }
        out.push(answer);
    }
    Ok(Value::Array(out))
}

fn parse_items(req: &GraphRequest) -> Result<Vec<Item>, GraphError> {
    let raw: Value = match (
        req.param("batch"),
        req.json.as_ref().and_then(|j| j.get("batch")),
    ) {
        (Some(text), _) => serde_json::from_str(text)
            .map_err(|_| GraphError::bad_param("param batch must be a JSON-encoded array"))?,
        (None, Some(Value::String(text))) => serde_json::from_str(text)
            .map_err(|_| GraphError::bad_param("param batch must be a JSON-encoded array"))?,
        (None, Some(v)) => v.clone(),
        (None, None) => return Err(GraphError::bad_param("The parameter batch is required")),
    };
    let Value::Array(list) = raw else {
        return Err(GraphError::bad_param(
            "param batch must be a JSON-encoded array",
        ));
    };
    if list.is_empty() || list.len() > MAX_BATCH {
        return Err(GraphError::bad_param(format!(
            "Too many requests in batch message. Maximum batch size is {MAX_BATCH}; got {}",
            list.len()
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let relative_url = v
                .get("relative_url")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    GraphError::bad_param(format!("batch[{i}] is missing relative_url"))
                })?;
            Ok(Item {
                method: v
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or("GET")
                    .to_string(),
                relative_url: relative_url.to_string(),
                body: v.get("body").and_then(Value::as_str).map(str::to_string),
            })
        })
        .collect()
}

/// Resolves a `relative_url` against the batch's version; the item's own `access_token`
/// parameter wins over the batch token.
fn sub_request(outer: &GraphRequest, item: &Item, version: &str) -> GraphRequest {
    let url = item.relative_url.trim_start_matches('/');
    let first = url.split(['/', '?']).next().unwrap_or("");
    let path = if routes::is_version(first) {
        format!("/{url}")
    } else {
        format!("/{version}/{url}")
    };
    let mut sub = GraphRequest::from_url(&item.method, &path);
    if let Some(body) = &item.body {
        sub.params.extend(parse_query(body));
    }
    sub.bearer = outer.token().map(str::to_string);
    sub
}
