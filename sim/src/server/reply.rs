//! A request as the Graph routes see it (whether it came over HTTP or inside a batch) and the
//! reply they give, before the trace id and common headers are added.

use serde_json::Value;

use crate::errors::GraphError;
use crate::urlenc::parse_query;

/// One Graph call: method, path (`/v23.0/123/phone_numbers`), decoded parameters.
#[derive(Clone, Debug, Default)]
pub struct GraphRequest {
    pub method: String,
    pub path: String,
    /// Query parameters, then form-body parameters.
    pub params: Vec<(String, String)>,
    /// From `Authorization: Bearer`.
    pub bearer: Option<String>,
    /// A JSON body (`{"batch": [...]}`) when one was sent.
    pub json: Option<Value>,
    /// A body was sent as JSON but does not parse.
    pub bad_body: bool,
    /// Bytes in the body (a resumable upload's chunk).
    pub body_len: usize,
    /// The `file_offset` header of a resumable upload.
    pub file_offset: Option<String>,
}

impl GraphRequest {
    /// Builds a request from `path?query`.
    pub fn from_url(method: &str, url: &str) -> GraphRequest {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        GraphRequest {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            params: parse_query(query),
            ..GraphRequest::default()
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `access_token` parameter first (it wins, as in a batch sub-request), then the header.
    pub fn token(&self) -> Option<&str> {
        self.param("access_token")
            .or(self.bearer.as_deref())
            .filter(|t| !t.is_empty())
    }
}

#[derive(Clone, Debug)]
pub enum Body {
    Json(Value),
    Error(GraphError),
    /// A bare HTTP error, as a proxy in front of Graph might send.
    Text(String),
}

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(v: Value) -> Reply {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }

    pub fn error(e: GraphError) -> Reply {
        Reply {
            status: e.status,
            headers: Vec::new(),
            body: Body::Error(e),
        }
    }

    pub fn header(mut self, name: &str, value: String) -> Reply {
        self.headers.push((name.to_string(), value));
        self
    }

    /// The error code for counters: `190`, `http-503`; None for a success.
    pub fn error_key(&self) -> Option<String> {
        match &self.body {
            Body::Error(e) => Some(e.code.to_string()),
            Body::Text(_) => Some(format!("http-{}", self.status)),
            Body::Json(_) if self.status >= 400 => Some(format!("http-{}", self.status)),
            Body::Json(_) => None,
        }
    }

    /// Status, headers and body text, with the trace id placed in errors.
    pub fn finish(self, trace_id: &str) -> (u16, Vec<(String, String)>, String) {
        let body = match &self.body {
            Body::Json(v) => v.to_string(),
            Body::Error(e) => e.body(trace_id).to_string(),
            Body::Text(t) => t.clone(),
        };
        (self.status, self.headers, body)
    }
}
