//! Meta's resumable upload, used for a media header's sample: `POST /{app-id}/uploads`
//! (`file_length`, `file_type`, optional `file_name`) opens a session `{"id": "upload:…"}`;
//! `POST /upload:…` with a `file_offset` header and the bytes as the body answers the handle
//! `{"h": "…"}` once every byte arrived (`{"id", "file_offset"}` while some are missing);
//! `GET /upload:…` answers `{"id", "file_offset"}` to resume. Sessions need a usable token
//! and are charged to no WABA.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::errors::GraphError;
use crate::server::reply::{GraphRequest, Reply};
use crate::server::writes::{Plan, Prepared};
use crate::state::Live;
use crate::templates::Upload;
use crate::world::World;

const PREFIX: &str = "upload:";

/// The write routes of uploads, when `id`/`edge` name one; None otherwise.
pub fn route(
    live: &Live,
    req: &GraphRequest,
    id: &str,
    edge: Option<&str>,
) -> Option<(&'static str, Prepared)> {
    let planned = match (req.method.as_str(), edge) {
        ("POST", Some("uploads")) if id == live.world.app.id => ("POST uploads", open(req)),
        ("POST", None) if id.starts_with(PREFIX) => ("POST upload", append(req, id)),
        _ => return None,
    };
    let (kind, plan) = planned;
    Some((kind, plan.map(|p| (p, None)).map_err(Reply::error)))
}

fn open(req: &GraphRequest) -> Result<Plan, GraphError> {
    let file_length: u64 = req
        .param("file_length")
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            GraphError::bad_param("The parameter file_length is required: the file's size in bytes")
        })?;
    let file_type = req
        .param("file_type")
        .filter(|t| t.contains('/'))
        .ok_or_else(|| {
            GraphError::bad_param(
                "The parameter file_type is required: a MIME type such as image/jpeg, image/png, video/mp4 or application/pdf",
            )
        })?
        .to_string();
    Ok(Plan::commit(move |w: &mut World| {
        w.ledger.next += 1;
        let session = URL_SAFE_NO_PAD.encode(format!("wacfg-sim:{}", w.ledger.next));
        w.ledger.uploads.insert(
            session.clone(),
            Upload {
                file_length,
                file_type,
                received: 0,
            },
        );
        Ok(json!({ "id": format!("{PREFIX}{session}") }))
    }))
}

fn append(req: &GraphRequest, id: &str) -> Result<Plan, GraphError> {
    let session = id.trim_start_matches(PREFIX).to_string();
    let offset: u64 = req
        .file_offset
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            GraphError::bad_param("The file_offset header is required (0 for a new upload)")
        })?;
    let len = req.body_len as u64;
    Ok(Plan::commit(move |w: &mut World| {
        let up = w
            .ledger
            .uploads
            .get_mut(&session)
            .ok_or_else(|| unknown_session(&session))?;
        if offset != up.received {
            return Err(GraphError::bad_param(format!(
                "file_offset {offset} does not match the {} bytes received; resume at {}",
                up.received, up.received
            )));
        }
        if up.received + len > up.file_length {
            return Err(GraphError::bad_param(format!(
                "The upload is longer than its file_length of {} bytes",
                up.file_length
            )));
        }
        up.received += len;
        Ok(if up.received == up.file_length {
            json!({ "h": handle(&session, &up.file_type) })
        } else {
            json!({ "id": format!("{PREFIX}{session}"), "file_offset": up.received })
        })
    }))
}

/// `GET /upload:…`: how far the upload got.
pub fn status(world: &World, id: &str) -> Result<Value, GraphError> {
    let session = id.trim_start_matches(PREFIX);
    let up = world
        .ledger
        .uploads
        .get(session)
        .ok_or_else(|| unknown_session(session))?;
    Ok(json!({ "id": id, "file_offset": up.received }))
}

fn unknown_session(session: &str) -> GraphError {
    GraphError::unknown_object(&format!("{PREFIX}{session}"), "post")
}

/// The handle a template's `example.header_handle` takes.
fn handle(session: &str, file_type: &str) -> String {
    format!("4::{}:{session}", URL_SAFE_NO_PAD.encode(file_type))
}
