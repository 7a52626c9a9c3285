//! Tokens: who is calling (190 for unknown, revoked and expired tokens), what they may see
//! (businesses, scopes), and the `debug_token` and `/me` routes that describe them.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::errors::GraphError;
use crate::server::reply::{GraphRequest, Reply};
use crate::state::Live;
use crate::world::Token;

/// The state of a token value against the world, now.
pub enum TokenState<'a> {
    Missing,
    Unknown,
    Revoked(&'a Token, usize),
    Expired(&'a Token, usize),
    Valid(&'a Token, usize),
}

pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub fn classify<'a>(live: &'a Live, value: Option<&str>) -> TokenState<'a> {
    let Some(value) = value else {
        return TokenState::Missing;
    };
    let Some(&i) = live.index.tokens.get(value) else {
        return TokenState::Unknown;
    };
    let t = &live.world.tokens[i];
    if !t.valid {
        TokenState::Revoked(t, i)
    } else if t.expires_unix().is_some_and(|e| e <= now_unix()) {
        TokenState::Expired(t, i)
    } else {
        TokenState::Valid(t, i)
    }
}

impl TokenState<'_> {
    /// The label counters use: never the value.
    pub fn label(&self) -> String {
        match self {
            TokenState::Missing => "none".into(),
            TokenState::Unknown => "unknown".into(),
            TokenState::Revoked(t, i) | TokenState::Expired(t, i) | TokenState::Valid(t, i) => {
                t.label_or(*i)
            }
        }
    }

    /// The caller's token if it may call at all.
    pub fn require(&self) -> Result<&Token, GraphError> {
        match self {
            TokenState::Missing => Err(GraphError::token_missing()),
            TokenState::Unknown => Err(GraphError::token_invalid()),
            TokenState::Revoked(..) => Err(GraphError::token_revoked()),
            TokenState::Expired(t, _) => Err(GraphError::token_expired(&expiry_text(t))),
            TokenState::Valid(t, _) => Ok(t),
        }
    }
}

fn expiry_text(t: &Token) -> String {
    t.expires_at.clone().unwrap_or_default()
}

pub fn require_scope(t: &Token, scope: &str) -> Result<(), GraphError> {
    if t.scopes.iter().any(|s| s == scope) {
        Ok(())
    } else {
        Err(GraphError::missing_scope(scope))
    }
}

/// `GET /me`: the system user behind the token.
pub fn me(req: &GraphRequest, t: &Token) -> Result<Reply, GraphError> {
    let fields =
        crate::fields::parse(req.param("fields").unwrap_or("")).map_err(GraphError::bad_param)?;
    let names: Vec<String> = if fields.is_empty() {
        vec!["id".into(), "name".into()]
    } else {
        fields.into_iter().map(|f| f.name).collect()
    };
    let mut out = serde_json::Map::new();
    for n in names {
        let v = match n.as_str() {
            "id" => json!(
                t.user_id
                    .clone()
                    .unwrap_or_else(|| "100000000000001".into())
            ),
            "name" => json!(
                t.user_name
                    .clone()
                    .unwrap_or_else(|| "wacfg-sim system user".into())
            ),
            other => return Err(GraphError::unknown_field(other, "User")),
        };
        out.insert(n, v);
    }
    Ok(Reply::json(Value::Object(out)))
}

/// `GET /debug_token?input_token=...`. The caller must hold a usable token, except that a
/// caller whose own expired token is the input token gets `is_valid: false` (so a client can
/// learn the expiry). An unknown or revoked input token is described, not refused.
pub fn debug_token(
    live: &Live,
    req: &GraphRequest,
    caller: &TokenState,
) -> Result<Reply, GraphError> {
    let input = req
        .param("input_token")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| GraphError::bad_param("The parameter input_token is required"))?;
    let self_check = req.token() == Some(input);
    match caller {
        TokenState::Expired(..) if self_check => {}
        other => {
            other.require()?;
        }
    }
    let data = match classify(live, Some(input)) {
        TokenState::Valid(t, _) => describe(live, t, true, None),
        TokenState::Expired(t, _) => describe(
            live,
            t,
            false,
            Some(json!({"code": 190, "subcode": 463,
                "message": format!("Error validating access token: Session has expired on {}.", expiry_text(t))})),
        ),
        TokenState::Revoked(t, _) => describe(
            live,
            t,
            false,
            Some(json!({"code": 190, "subcode": 460,
                "message": "Error validating access token: The session has been invalidated."})),
        ),
        TokenState::Unknown | TokenState::Missing => json!({
            "error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"},
            "is_valid": false,
            "scopes": [],
        }),
    };
    Ok(Reply::json(json!({ "data": data })))
}

fn describe(live: &Live, t: &Token, is_valid: bool, error: Option<Value>) -> Value {
    let wabas: Vec<&str> = t
        .businesses
        .iter()
        .filter_map(|b| live.world.businesses.iter().find(|x| &x.id == b))
        .flat_map(|b| b.wabas().map(|w| w.id.as_str()))
        .collect();
    let granular: Vec<Value> = t
        .scopes
        .iter()
        .map(|s| match s.as_str() {
            "business_management" => json!({"scope": s, "target_ids": t.businesses}),
            "whatsapp_business_management" | "whatsapp_business_messaging" => {
                json!({"scope": s, "target_ids": wabas})
            }
            _ => json!({ "scope": s }),
        })
        .collect();
    let mut d = json!({
        "app_id": t.app_id.clone().unwrap_or_else(|| live.world.app.id.clone()),
        "type": "SYSTEM_USER",
        "application": t.application.clone().unwrap_or_else(|| live.world.app.name.clone()),
        "data_access_expires_at": 0,
        "expires_at": t.expires_unix().unwrap_or(0),
        "is_valid": is_valid,
        "issued_at": t.issued_unix(),
        "scopes": t.scopes,
        "granular_scopes": granular,
        "user_id": t.user_id.clone().unwrap_or_else(|| "100000000000001".into()),
    });
    if let Some(e) = error {
        d["error"] = e;
    }
    d
}
