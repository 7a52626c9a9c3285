//! Graph API errors as Meta sends them: the `{"error": {...}}` envelope and the HTTP status
//! Meta pairs with each code. Owns the wording of every error the simulator answers.

use serde_json::{Value, json};

/// One Graph error, before it is rendered with a trace id.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphError {
    pub code: u32,
    pub subcode: Option<u32>,
    pub kind: &'static str,
    pub message: String,
    pub is_transient: bool,
    pub status: u16,
    /// Meta's user-facing fields, when it sends them (boxed: errors stay small).
    pub user: Option<Box<UserFacing>>,
}

/// `error_user_title`, `error_user_msg` and `error_data.details` of a Graph error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserFacing {
    pub title: Option<String>,
    pub msg: Option<String>,
    pub details: Option<String>,
}

/// Meta's HTTP status for an error code (its WhatsApp error table).
pub fn status_for(code: u32) -> u16 {
    match code {
        0 | 190 | 102 => 401,
        10 | 200..=299 | 368 | 131031 => 403,
        2 | 133004 => 503,
        3 | 131000 | 133000 => 500,
        _ => 400,
    }
}

impl GraphError {
    pub fn new(code: u32, kind: &'static str, message: impl Into<String>) -> GraphError {
        GraphError {
            code,
            subcode: None,
            kind,
            message: message.into(),
            is_transient: matches!(
                code,
                1 | 2 | 4 | 17 | 32 | 341 | 613 | 80007 | 80008 | 130429 | 131000 | 133004
            ),
            status: status_for(code),
            user: None,
        }
    }

    pub fn with_subcode(mut self, subcode: u32) -> GraphError {
        self.subcode = Some(subcode);
        self
    }

    /// Unknown token: Meta cannot even parse it.
    pub fn token_invalid() -> GraphError {
        GraphError::new(
            190,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// A token the world marks `valid: false` (revoked, password changed, app removed).
    pub fn token_revoked() -> GraphError {
        GraphError::new(
            190,
            "OAuthException",
            "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        )
        .with_subcode(460)
    }

    pub fn token_expired(when: &str) -> GraphError {
        GraphError::new(
            190,
            "OAuthException",
            format!("Error validating access token: Session has expired on {when}."),
        )
        .with_subcode(463)
    }

    pub fn token_missing() -> GraphError {
        GraphError::new(
            104,
            "OAuthException",
            "An access token is required to request this resource.",
        )
    }

    /// Meta's answer for an id that does not exist (or that it will not admit exists).
    pub fn unknown_object(id: &str, method: &str) -> GraphError {
        GraphError::new(
            100,
            "GraphMethodException",
            format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
        )
        .with_subcode(33)
    }

    pub fn permission(what: &str) -> GraphError {
        GraphError::new(200, "OAuthException", format!("(#200) {what}"))
    }

    pub fn missing_scope(scope: &str) -> GraphError {
        GraphError::permission(&format!("Requires {scope} permission to manage the object"))
    }

    pub fn unknown_field(field: &str, node: &str) -> GraphError {
        GraphError::new(
            100,
            "OAuthException",
            format!("(#100) Tried accessing nonexisting field ({field}) on node type ({node})"),
        )
    }

    pub fn unknown_path(rest: &str) -> GraphError {
        GraphError::new(
            2500,
            "OAuthException",
            format!("Unknown path components: /{rest}"),
        )
    }

    pub fn bad_param(message: impl Into<String>) -> GraphError {
        GraphError::new(100, "OAuthException", format!("(#100) {}", message.into()))
    }

    pub fn rate_limited() -> GraphError {
        GraphError::new(
            80008,
            "OAuthException",
            "(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        )
    }

    /// Meta could not verify a webhook callback URL (code 2200); `details` says why.
    pub fn callback_verification(details: &str) -> GraphError {
        GraphError::new(
            2200,
            "OAuthException",
            format!("(#2200) Callback verification failed with the following errors: {details}"),
        )
    }

    /// A number-level callback override asked for before the WABA's subscription exists.
    pub fn not_subscribed(waba: &str) -> GraphError {
        GraphError::bad_param(format!(
            "The WhatsApp Business Account {waba} must be subscribed to the app first (POST /{waba}/subscribed_apps) before a phone number's webhook_configuration can be overridden"
        ))
    }

    /// A template refused synchronously: Meta's code 100 "Invalid parameter" with a subcode
    /// and its user-facing title and message.
    pub fn template(subcode: u32, title: &str, msg: impl Into<String>) -> GraphError {
        let mut e =
            GraphError::new(100, "OAuthException", "Invalid parameter").with_subcode(subcode);
        e.user = Some(Box::new(UserFacing {
            title: Some(title.to_string()),
            msg: Some(msg.into()),
            details: None,
        }));
        e
    }

    pub fn service_unavailable() -> GraphError {
        GraphError::new(
            2,
            "OAuthException",
            "An unexpected error has occurred. Please retry your request later.",
        )
    }

    pub fn something_went_wrong() -> GraphError {
        GraphError::new(131000, "OAuthException", "(#131000) Something went wrong")
    }

    /// Appends the token to the message (the `echo_token_in_errors` fault), to test that
    /// clients scrub what servers echo.
    pub fn echoing(mut self, token: Option<&str>) -> GraphError {
        if let Some(t) = token {
            self.message = format!("{} (access_token={t})", self.message);
        }
        self
    }

    /// The JSON body Meta sends.
    pub fn body(&self, trace_id: &str) -> Value {
        let mut e = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
        });
        if let Some(sub) = self.subcode {
            e["error_subcode"] = json!(sub);
        }
        e["is_transient"] = json!(self.is_transient);
        let user = self.user.as_deref().cloned().unwrap_or_default();
        if let Some(t) = &user.title {
            e["error_user_title"] = json!(t);
        }
        if let Some(m) = &user.msg {
            e["error_user_msg"] = json!(m);
        }
        if let Some(d) = &user.details {
            e["error_data"] = json!({ "messaging_product": "whatsapp", "details": d });
        }
        e["fbtrace_id"] = json!(trace_id);
        json!({ "error": e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_metas_table() {
        assert_eq!(status_for(190), 401);
        assert_eq!(status_for(200), 403);
        assert_eq!(status_for(100), 400);
        assert_eq!(status_for(2), 503);
        assert_eq!(status_for(131000), 500);
        assert_eq!(status_for(80008), 400);
        assert_eq!(status_for(4), 400);
    }

    #[test]
    fn envelope_has_subcode_only_when_set() {
        let b = GraphError::token_expired("x").body("T");
        assert_eq!(b["error"]["error_subcode"], 463);
        assert_eq!(b["error"]["fbtrace_id"], "T");
        assert_eq!(b["error"]["is_transient"], false);
        let b = GraphError::rate_limited().body("T");
        assert!(b["error"].get("error_subcode").is_none());
        assert_eq!(b["error"]["is_transient"], true);
    }
}
