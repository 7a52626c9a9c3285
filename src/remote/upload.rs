//! Meta's resumable upload, for a template header's media sample: the app the token belongs
//! to (`debug_token`'s `app_id`), a session `POST /{app-id}/uploads` (`file_length`,
//! `file_type`, `file_name`), the bytes `POST /upload:{session}` in chunks, each with the
//! `file_offset` header, and the handle `h` Meta answers once every byte arrived. After a
//! failed chunk it asks Meta where the upload stands (`GET /upload:{session}`) and resumes
//! from the offset Meta reports, never from its own guess; a chunk sent at the wrong offset
//! is refused by Meta, so no byte is stored twice. The bytes are the caller's to read.

use serde_json::Value;

use super::error::RemoteError;
use super::token::Token;
use super::transport::Transport;
use super::write::{Form, WriteSafety};
use super::{Client, redact};

/// How many times one upload resumes after a failed chunk before it gives up.
pub const MAX_RESUMES: u32 = 5;

/// A file to upload.
pub struct Upload<'a> {
    pub name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
    /// Bytes per request.
    pub chunk: usize,
}

impl Transport {
    /// POST `bytes` at `offset` to an upload session's URL, once (the caller resumes).
    async fn post_chunk(
        &self,
        token: &Token,
        url: &str,
        offset: u64,
        bytes: &[u8],
    ) -> Result<Value, RemoteError> {
        let request = redact::request_label("POST", url);
        let limit = self.attempt_limit();
        let sent = self
            .http
            .post(url)
            .bearer_auth(token.expose())
            .header("file_offset", offset.to_string())
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec())
            .timeout(limit)
            .send()
            .await;
        self.read_answer(sent, token, &request, limit).await
    }
}

fn decode(request: &str, why: &str) -> RemoteError {
    RemoteError::Decode {
        request: request.to_string(),
        message: why.to_string(),
    }
}

impl Client {
    /// The id of the app `token` belongs to (the upload session is the app's).
    pub async fn app_id(&self, token: &Token) -> Result<String, RemoteError> {
        let url = self.config().base_url.clone() + "/" + &self.debug_token_path(token);
        let value = self.transport.get(token, &url).await?;
        value["data"]["app_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                decode(
                    &redact::request_label("GET", &url),
                    "debug_token names no app_id: the upload session cannot be opened",
                )
            })
    }

    /// Upload `file` for the app `app_id`; Meta's handle.
    pub async fn upload(
        &self,
        token: &Token,
        app_id: &str,
        file: &Upload<'_>,
    ) -> Result<String, RemoteError> {
        let session = self.open_upload(token, app_id, file).await?;
        self.upload_bytes(token, &session, file).await
    }

    /// `POST /{app-id}/uploads`: the session id (`upload:…`).
    pub async fn open_upload(
        &self,
        token: &Token,
        app_id: &str,
        file: &Upload<'_>,
    ) -> Result<String, RemoteError> {
        let form = Form::new()
            .field("file_length", file.bytes.len().to_string())
            .field("file_type", file.mime)
            .field("file_name", file.name);
        let path = format!("{app_id}/uploads");
        // A session left unused costs nothing: opening one again is safe.
        let answer = self
            .post_form(token, &path, &form, WriteSafety::Idempotent)
            .await?;
        answer["id"]
            .as_str()
            .filter(|id| id.starts_with("upload:"))
            .map(str::to_string)
            .ok_or_else(|| {
                decode(
                    &format!("POST {path}"),
                    "Meta opened no upload session (no `upload:` id in its answer)",
                )
            })
    }

    /// Send the bytes of `file` to `session` from where Meta stands, resuming after a failed
    /// chunk from the offset Meta reports; the handle.
    pub async fn upload_bytes(
        &self,
        token: &Token,
        session: &str,
        file: &Upload<'_>,
    ) -> Result<String, RemoteError> {
        let url = self.config().url(session);
        let request = redact::request_label("POST", &url);
        let len = file.bytes.len() as u64;
        let chunk = file.chunk.max(1) as u64;
        let mut offset = 0u64;
        let mut resumes = 0;
        loop {
            let end = (offset + chunk).min(len);
            let at = usize::try_from(offset).unwrap_or(usize::MAX);
            let to = usize::try_from(end).unwrap_or(usize::MAX);
            let body = file.bytes.get(at..to).unwrap_or_default();
            match self.transport.post_chunk(token, &url, offset, body).await {
                Ok(answer) => {
                    if let Some(h) = answer["h"].as_str() {
                        return Ok(h.to_string());
                    }
                    offset = answer["file_offset"].as_u64().unwrap_or(end);
                }
                Err(e) if resumes < MAX_RESUMES => {
                    resumes += 1;
                    let status = self.transport.get(token, &url).await.map_err(|_| e)?;
                    offset = status["file_offset"].as_u64().ok_or_else(|| {
                        decode(&request, "Meta's upload status has no file_offset")
                    })?;
                }
                Err(e) => return Err(e),
            }
            if offset > len {
                return Err(decode(
                    &request,
                    "Meta reports more bytes received than the file holds",
                ));
            }
        }
    }
}
