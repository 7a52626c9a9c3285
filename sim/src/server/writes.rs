//! Write routes (POST and DELETE on a node or one of its edges), table-driven: each entry of
//! `ROUTES` names a method, a node kind, an edge and a planner. Every write goes through the
//! same steps as a read: token, node lookup (100 for an unknown id), permission (200) and
//! scope, the per-WABA budget and its header, counting under the route's own kind (faults are
//! applied before, by the server). Then the planner validates the parameters against the world
//! as it is and returns a `Plan`: an optional callback to verify (done with no lock held) and
//! a commit applied under the world's write lock.
//!
//! Parameters come from the query string and the body (`application/x-www-form-urlencoded`,
//! or a JSON object), through `Form`. Adding a write route is one planner plus one line here.

use serde_json::{Map, Value, json};

use crate::callback::{self, Callback};
use crate::errors::GraphError;
use crate::server::auth::{self, TokenState};
use crate::server::reply::{GraphRequest, Reply};
use crate::server::routes::{self, Answered};
use crate::server::{templates, uploads, webhooks};
use crate::state::{Live, Shared};
use crate::usage::Charge;
use crate::world::{Loc, World};

/// The node kind a write route applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Business,
    Waba,
    Number,
    Template,
}

impl NodeKind {
    pub fn of(loc: Loc) -> NodeKind {
        match loc {
            Loc::Business(_) => NodeKind::Business,
            Loc::Waba(..) => NodeKind::Waba,
            Loc::Number(..) => NodeKind::Number,
            Loc::Template(..) => NodeKind::Template,
        }
    }
}

/// Checks a write against the world and says what to change.
pub type Planner = fn(&Target<'_>) -> Result<Plan, GraphError>;

pub struct WriteRoute {
    pub method: &'static str,
    pub node: NodeKind,
    /// `None` for the node itself (`POST /{id}`).
    pub edge: Option<&'static str>,
    /// Its key in `Stats::by_route`.
    pub kind: &'static str,
    pub plan: Planner,
}

const fn write(
    method: &'static str,
    node: NodeKind,
    edge: Option<&'static str>,
    kind: &'static str,
    plan: Planner,
) -> WriteRoute {
    WriteRoute {
        method,
        node,
        edge,
        kind,
        plan,
    }
}

/// Every write route the simulator serves.
pub const ROUTES: &[WriteRoute] = &[
    write(
        "POST",
        NodeKind::Waba,
        Some("subscribed_apps"),
        "POST subscribed_apps",
        webhooks::subscribe,
    ),
    write(
        "DELETE",
        NodeKind::Waba,
        Some("subscribed_apps"),
        "DELETE subscribed_apps",
        webhooks::unsubscribe,
    ),
    write(
        "POST",
        NodeKind::Number,
        None,
        "POST phone_number",
        webhooks::configure_number,
    ),
    write(
        "POST",
        NodeKind::Waba,
        Some("message_templates"),
        "POST message_templates",
        templates::create,
    ),
    write(
        "DELETE",
        NodeKind::Waba,
        Some("message_templates"),
        "DELETE message_templates",
        templates::delete,
    ),
    write(
        "POST",
        NodeKind::Template,
        None,
        "POST message_template",
        templates::edit,
    ),
];

pub fn is_write(method: &str) -> bool {
    matches!(method, "POST" | "DELETE")
}

/// The node a write names, as the planner sees it (under the world's read lock).
pub struct Target<'a> {
    pub live: &'a Live,
    pub id: &'a str,
    pub loc: Loc,
    pub form: Form<'a>,
}

/// The change a write makes, applied with the world's write lock held; an error leaves the
/// world unchanged.
pub type Commit = Box<dyn FnOnce(&mut World) -> Result<Value, GraphError> + Send>;

/// What a planner decided: verify a callback first (optional), then commit.
pub struct Plan {
    pub verify: Option<Callback>,
    pub commit: Commit,
}

impl Plan {
    pub fn commit(
        f: impl FnOnce(&mut World) -> Result<Value, GraphError> + Send + 'static,
    ) -> Plan {
        Plan {
            verify: None,
            commit: Box::new(f),
        }
    }

    pub fn verifying(mut self, callback: Option<Callback>) -> Plan {
        self.verify = callback;
        self
    }
}

/// Meta's answer to most writes.
pub fn success() -> Value {
    json!({ "success": true })
}

/// Answers a POST or DELETE: plan under the read lock, verify with no lock, commit.
pub async fn run(sh: &Shared, req: &GraphRequest, rest: &[&str]) -> Answered {
    let (kind, label, step) = prepare(sh, req, rest);
    let (plan, charge) = match step {
        Ok(x) => x,
        Err(reply) => return (kind, label, Ok(reply)),
    };
    if let Some(cb) = &plan.verify
        && let Err(e) = callback::verify(cb, &callback::challenge()).await
    {
        return (kind, label, Ok(usage(Reply::error(e), &charge)));
    }
    let reply = match sh.mutate(plan.commit) {
        Ok(_) if held_answer(sh) => {
            tokio::time::sleep(crate::server::HANG).await;
            Reply::json(success())
        }
        Ok(v) => match lost_answer(sh) {
            Some(i) => crate::server::injected_reply(sh, req, &i),
            None => Reply::json(v),
        },
        Err(e) => Reply::error(e),
    };
    (kind, label, Ok(usage(reply, &charge)))
}

/// Whether this write's answer is held (`hang_after_write`): the write is done, the client
/// waits.
fn held_answer(sh: &Shared) -> bool {
    let mut f = crate::state::lock(&sh.faults);
    let held = f.hang_after_write > 0;
    f.hang_after_write = f.hang_after_write.saturating_sub(1);
    held
}

/// The next `fail_after_write` error, if any: the write is done, its answer is lost.
fn lost_answer(sh: &Shared) -> Option<crate::faults::InjectedError> {
    let mut f = crate::state::lock(&sh.faults);
    (!f.fail_after_write.is_empty()).then(|| f.fail_after_write.remove(0))
}

pub(crate) type Prepared = Result<(Plan, Option<Charge>), Reply>;

fn prepare(sh: &Shared, req: &GraphRequest, rest: &[&str]) -> (&'static str, String, Prepared) {
    let live = sh.read();
    let caller = auth::classify(&live, req.token());
    let (kind, step) = plan(sh, &live, req, &caller, rest);
    (kind, caller.label(), step)
}

fn plan(
    sh: &Shared,
    live: &Live,
    req: &GraphRequest,
    caller: &TokenState,
    rest: &[&str],
) -> (&'static str, Prepared) {
    let fail = |e: GraphError| ("other", Err(Reply::error(e)));
    let method = req.method.to_lowercase();
    let token = match caller.require() {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let (id, edge) = match rest {
        [id] => (*id, None),
        [id, edge] => (*id, Some(*edge)),
        [] => return fail(GraphError::unknown_object("", &method)),
        _ => return fail(GraphError::unknown_path(&rest.join("/"))),
    };
    if let Some(answer) = uploads::route(live, req, id, edge) {
        return answer;
    }
    let Some(&loc) = live.index.nodes.get(id) else {
        return fail(GraphError::unknown_object(id, &method));
    };
    let found = ROUTES
        .iter()
        .find(|r| r.method == req.method && r.node == NodeKind::of(loc) && r.edge == edge);
    let Some(route) = found else {
        return fail(GraphError::unknown_object(id, &method));
    };
    let step = || -> Prepared {
        routes::permit(live, token, id, loc).map_err(Reply::error)?;
        let charge = routes::charge(sh, live, loc);
        if let Some(c) = charge.as_ref().filter(|c| c.refused) {
            return Err(routes::with_usage(
                Reply::error(GraphError::rate_limited()),
                c,
            ));
        }
        if req.bad_body {
            let e = GraphError::bad_param("The request body is not valid JSON");
            return Err(usage(Reply::error(e), &charge));
        }
        let target = Target {
            live,
            id,
            loc,
            form: Form { req },
        };
        match (route.plan)(&target) {
            Ok(p) => Ok((p, charge)),
            Err(e) => Err(usage(Reply::error(e), &charge)),
        }
    };
    (route.kind, step())
}

fn usage(reply: Reply, charge: &Option<Charge>) -> Reply {
    match charge {
        Some(c) => routes::with_usage(reply, c),
        None => reply,
    }
}

/// A write's parameters: query string, then body.
pub struct Form<'a> {
    req: &'a GraphRequest,
}

impl Form<'_> {
    /// A text parameter; an empty value counts as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.req.param(name).filter(|v| !v.is_empty())
    }

    /// A parameter as JSON: its value in a JSON body (any type), else the text parameter
    /// as a string (form fields are text; the route parses JSON-valued ones).
    pub fn value(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.req.json.as_ref().and_then(|j| j.get(name)) {
            return (!v.is_null()).then(|| v.clone());
        }
        self.req.param(name).map(|s| Value::String(s.to_string()))
    }

    /// A JSON object parameter: a form field holding a JSON object, or an object inside a
    /// JSON body. Anything else is code 100.
    pub fn object(&self, name: &str) -> Result<Option<Map<String, Value>>, GraphError> {
        let not_object = || GraphError::bad_param(format!("Param {name} must be a JSON object"));
        if let Some(text) = self.req.param(name) {
            return match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(m)) => Ok(Some(m)),
                _ => Err(not_object()),
            };
        }
        match self.req.json.as_ref().and_then(|j| j.get(name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(_) => Err(not_object()),
        }
    }
}
