//! The Graph routes: version prefix, authentication, node lookup with permissions (200 for
//! a node the token cannot see, 100 for an unknown id), scopes, the per-WABA budget, the
//! node and edge answers, and counting. Reads are pure over the shared state; writes go to
//! `writes`, which shares the permission and budget steps.

use std::time::Instant;

use crate::errors::GraphError;
use crate::fields::{self, Field};
use crate::paging::PageArgs;
use crate::render::{self, Ctx};
use crate::server::auth::{self, TokenState};
use crate::server::reply::{Body, GraphRequest, Reply};
use crate::server::{batch, templates, uploads, writes};
use crate::state::{Live, Shared, lock};
use crate::usage::Charge;
use crate::world::{Loc, Token};

/// `v23.0`-like: `v`, digits, a dot, digits.
pub fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// Answers one HTTP request to the Graph routes: a batch (`POST /vNN.N/`) or a single call.
pub async fn handle(sh: &Shared, req: &GraphRequest) -> Reply {
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let version = segs.first().copied().filter(|v| is_version(v));
    let rest = if version.is_some() {
        &segs[1..]
    } else {
        &segs[..]
    };
    if rest.is_empty() && req.method == "POST" {
        let version = version.unwrap_or("v23.0");
        let reply = batch::run(sh, req, version).await;
        let label = auth::classify(&sh.read(), req.token()).label();
        count(sh, "batch", &label, &reply);
        return reply;
    }
    answer(sh, req).await
}

/// Answers one logical Graph request (an HTTP request or a batch sub-request), reads and
/// writes alike, and counts it.
pub async fn answer(sh: &Shared, req: &GraphRequest) -> Reply {
    // Reviews that came due are decided before anything reads or writes templates.
    if crate::templates::lifecycle::due(&sh.read().world) {
        sh.mutate(crate::templates::lifecycle::settle);
    }
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let version = segs.first().copied().filter(|v| is_version(v));
    let (kind, label, result) = match version {
        None => {
            let label = auth::classify(&sh.read(), req.token()).label();
            let e = GraphError::bad_param(format!(
                "Unsupported version or path: {}; use /vNN.N/... e.g. /v23.0/me",
                req.path
            ));
            ("other", label, Err(e))
        }
        Some(_) if writes::is_write(&req.method) => writes::run(sh, req, &segs[1..]).await,
        Some(v) => read(sh, req, &segs[1..], v),
    };
    let version = version.unwrap_or("v23.0").to_string();
    let echo = lock(&sh.faults).echo_token_in_errors;
    let mut reply = result.unwrap_or_else(Reply::error);
    if let (true, Body::Error(e)) = (echo, &mut reply.body) {
        *e = e.clone().echoing(req.token());
    }
    let reply = reply.header("facebook-api-version", version);
    count(sh, kind, &label, &reply);
    reply
}

/// What a route answered, for counting: route kind, token label, answer.
pub(crate) type Answered = (&'static str, String, Result<Reply, GraphError>);

fn read(sh: &Shared, req: &GraphRequest, rest: &[&str], version: &str) -> Answered {
    let live = sh.read();
    let caller = auth::classify(&live, req.token());
    let call = Call {
        sh,
        live: &live,
        req,
        caller: &caller,
        version,
    };
    let (kind, result) = route(&call, rest);
    (kind, caller.label(), result)
}

fn count(sh: &Shared, kind: &str, label: &str, reply: &Reply) {
    let mut stats = lock(&sh.stats);
    stats.route(kind, label);
    if let Some(k) = reply.error_key() {
        stats.error(k);
    }
}

type Routed = (&'static str, Result<Reply, GraphError>);

/// One request being answered, with what every step needs.
struct Call<'a> {
    sh: &'a Shared,
    live: &'a Live,
    req: &'a GraphRequest,
    caller: &'a TokenState<'a>,
    version: &'a str,
}

fn route(call: &Call, rest: &[&str]) -> Routed {
    let (live, req, caller) = (call.live, call.req, call.caller);
    if req.method != "GET" {
        let id = rest.join("/");
        return (
            "other",
            Err(GraphError::unknown_object(&id, &req.method.to_lowercase())),
        );
    }
    match rest {
        ["debug_token"] => ("debug_token", auth::debug_token(live, req, caller)),
        ["me"] => ("me", caller.require().and_then(|t| auth::me(req, t))),
        [id] if id.starts_with("upload:") => (
            "upload",
            caller
                .require()
                .and_then(|_| uploads::status(&live.world, id))
                .map(Reply::json),
        ),
        [id] => node_route(call, id, None),
        [id, edge] => node_route(call, id, Some(edge)),
        _ => ("other", Err(GraphError::unknown_path(&rest.join("/")))),
    }
}

fn kind_of(loc: Loc, edge: Option<&str>) -> &'static str {
    match (loc, edge) {
        (Loc::Business(_), None) => "business",
        (Loc::Business(_), Some("owned_whatsapp_business_accounts")) => "owned_wabas",
        (Loc::Business(_), Some("client_whatsapp_business_accounts")) => "client_wabas",
        (Loc::Waba(..), None) => "waba",
        (Loc::Waba(..), Some("phone_numbers")) => "phone_numbers",
        (Loc::Waba(..), Some("subscribed_apps")) => "subscribed_apps",
        (Loc::Number(..), None) => "phone_number",
        (Loc::Waba(..), Some("message_templates")) => "message_templates",
        (Loc::Template(..), None) => "message_template",
        _ => "other",
    }
}

fn node_route(call: &Call, id: &str, edge: Option<&str>) -> Routed {
    let token = match call.caller.require() {
        Ok(t) => t,
        Err(e) => return ("other", Err(e)),
    };
    let Some(&loc) = call.live.index.nodes.get(id) else {
        return ("other", Err(GraphError::unknown_object(id, "get")));
    };
    (kind_of(loc, edge), serve_node(call, token, id, loc, edge))
}

/// Permission, scope, budget, then the answer.
fn serve_node(
    call: &Call,
    token: &Token,
    id: &str,
    loc: Loc,
    edge: Option<&str>,
) -> Result<Reply, GraphError> {
    let (sh, live, req) = (call.sh, call.live, call.req);
    permit(live, token, id, loc)?;
    let fields = fields::parse(req.param("fields").unwrap_or("")).map_err(GraphError::bad_param)?;
    let charge = charge(sh, live, loc);
    if let Some(c) = charge.as_ref().filter(|c| c.refused) {
        return Ok(with_usage(Reply::error(GraphError::rate_limited()), c));
    }
    let base = format!("{}/{}", sh.base_url(), call.version);
    let malformed = lock(&sh.faults).malformed.clone();
    let ctx = Ctx {
        versioned_base: &base,
        app: &live.world.app,
        malformed: &malformed,
    };
    let body = render_node(&ctx, live, req, loc, edge, &fields)?;
    let mut reply = Reply::json(body);
    if let Some(c) = charge {
        reply = with_usage(reply, &c);
    }
    if let (Loc::Business(_), Some(percent)) = (loc, lock(&sh.faults).business_usage_percent) {
        reply = reply.header(
            "x-business-use-case-usage",
            crate::usage::usage_header(id, percent, 0),
        );
    }
    Ok(reply)
}

/// The token's businesses must see the node (else 200), with the scope its kind needs.
pub(crate) fn permit(live: &Live, token: &Token, id: &str, loc: Loc) -> Result<(), GraphError> {
    let visible = live
        .index
        .visible_to
        .get(id)
        .is_some_and(|who| who.iter().any(|b| token.businesses.contains(b)));
    if !visible {
        return Err(GraphError::permission(
            "Permissions error: the access token does not have access to this object",
        ));
    }
    let scope = match loc {
        Loc::Business(_) => "business_management",
        _ => "whatsapp_business_management",
    };
    auth::require_scope(token, scope)
}

/// Charges the call to the WABA the node belongs to (none for business-level nodes).
pub(crate) fn charge(sh: &Shared, live: &Live, loc: Loc) -> Option<Charge> {
    waba_of(live, loc).map(|w| {
        let budget = lock(&sh.faults).rate_limit_budget;
        let c = lock(&sh.usage).charge(&w, budget, Instant::now());
        *lock(&sh.stats).by_waba.entry(w).or_default() += 1;
        c
    })
}

pub(crate) fn with_usage(reply: Reply, c: &Charge) -> Reply {
    reply.header("x-business-use-case-usage", c.header())
}

/// The WABA whose budget a request on this node spends (business-level reads spend none).
fn waba_of(live: &Live, loc: Loc) -> Option<String> {
    match loc {
        Loc::Business(_) => None,
        Loc::Waba(b, c, w) | Loc::Number(b, c, w, _) | Loc::Template(b, c, w, _) => {
            Some(live.world.waba_at(b, c, w).id.clone())
        }
    }
}

fn page_args(req: &GraphRequest) -> Result<PageArgs, GraphError> {
    let limit = match req.param("limit") {
        None | Some("") => None,
        Some(l) => Some(l.parse::<usize>().map_err(|_| {
            GraphError::bad_param(format!(
                "Param limit must be a non-negative integer, got {l}"
            ))
        })?),
    };
    Ok(PageArgs {
        limit,
        after: req.param("after").map(str::to_string),
        before: req.param("before").map(str::to_string),
    })
}

fn render_node(
    ctx: &Ctx,
    live: &Live,
    req: &GraphRequest,
    loc: Loc,
    edge: Option<&str>,
    fields: &[Field],
) -> Result<serde_json::Value, GraphError> {
    let w = &live.world;
    // `next` links of a top-level edge repeat the selection but never the token.
    let keep: Vec<(String, String)> = req
        .params
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "fields" | "summary"))
        .cloned()
        .collect();
    match (loc, edge) {
        (Loc::Business(b), None) => render::business(ctx, w.business_at(b), fields),
        (
            Loc::Business(b),
            Some(e @ ("owned_whatsapp_business_accounts" | "client_whatsapp_business_accounts")),
        ) => {
            let b = w.business_at(b);
            let list = if e.starts_with("owned") {
                &b.owned_whatsapp_business_accounts
            } else {
                &b.client_whatsapp_business_accounts
            };
            render::list(
                ctx,
                &format!("{}/{e}", b.id),
                list,
                &page_args(req)?,
                &keep,
                |x| render::waba(ctx, x, fields, render::WABA_DEFAULT),
            )
        }
        (Loc::Waba(b, c, i), None) => {
            render::waba(ctx, w.waba_at(b, c, i), fields, render::WABA_DEFAULT)
        }
        (Loc::Waba(b, c, i), Some("phone_numbers")) => {
            let waba = w.waba_at(b, c, i);
            let mut v = render::list(
                ctx,
                &format!("{}/phone_numbers", waba.id),
                &waba.phone_numbers,
                &page_args(req)?,
                &keep,
                |n| render::number(ctx, waba, n, fields, render::NUMBER_ROW_DEFAULT),
            )?;
            if req
                .param("summary")
                .is_some_and(|s| s.split(',').any(|x| x == "total_count"))
            {
                v["summary"] = serde_json::json!({ "total_count": waba.phone_numbers.len() });
            }
            Ok(v)
        }
        (Loc::Waba(b, c, i), Some("subscribed_apps")) => {
            render::subscribed_apps(ctx, w.waba_at(b, c, i), fields)
        }
        (Loc::Number(b, c, i, n), None) => {
            let waba = w.waba_at(b, c, i);
            render::number(
                ctx,
                waba,
                &waba.phone_numbers[n],
                fields,
                render::NUMBER_DEFAULT,
            )
        }
        (Loc::Waba(b, c, i), Some("message_templates")) => templates::list(
            ctx,
            w.waba_at(b, c, i),
            &req.params,
            &page_args(req)?,
            fields,
        ),
        (Loc::Template(b, c, i, t), None) => {
            render::template(&w.waba_at(b, c, i).message_templates[t], fields)
        }
        (_, Some(e)) => Err(GraphError::unknown_field(e, node_type(loc))),
    }
}

pub(crate) fn node_type(loc: Loc) -> &'static str {
    match loc {
        Loc::Business(_) => "Business",
        Loc::Waba(..) => "WhatsAppBusinessAccount",
        Loc::Number(..) => "WhatsAppBusinessPhoneNumber",
        Loc::Template(..) => "WhatsAppBusinessHSM",
    }
}
