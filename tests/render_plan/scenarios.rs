//! Plans built by hand for the golden rendering tests: one function per scenario, each
//! shaped like what the planner returns for it.

use serde_json::{Value, json};
use wacfg::diag::{Diagnostic, Span};
use wacfg::model::Address;
use wacfg::plan::{
    Action, Attributes, Digests, Drift, Expectation, GraphEndpoint, KNOWN_AFTER_APPLY,
    PLAN_FORMAT_VERSION, Plan, PlannedCheck, PriorState, ResourceChange, SENSITIVE, Summary,
};

/// Fake fingerprints standing in for the token before and after a rotation: no output of a
/// human format may contain them.
pub const OLD_TOKEN_MARK: &str = "sha256:0ld0ld0ld0ld0ld0";
pub const NEW_TOKEN_MARK: &str = "sha256:4ew4ew4ew4ew4ew4";

pub fn attrs(pairs: &[(&str, Value)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn change(address: Address, action: Action, reason: &str) -> ResourceChange {
    ResourceChange {
        address,
        action,
        reason: reason.to_string(),
        before: None,
        after: None,
        sensitive: Vec::new(),
        unknown_after: Vec::new(),
        checks: Vec::new(),
        depends_on: Vec::new(),
        moved_from: None,
        destroys: Vec::new(),
    }
}

pub fn check(id: &str, expectation: Expectation, message: &str) -> PlannedCheck {
    PlannedCheck {
        id: id.to_string(),
        expectation,
        message: message.to_string(),
    }
}

/// A plan over `changes`, with the summary counted from them.
pub fn plan(changes: Vec<ResourceChange>) -> Plan {
    let mut summary = Summary::default();
    for c in &changes {
        summary.count(c.action);
    }
    Plan {
        format_version: PLAN_FORMAT_VERSION.to_string(),
        tool_version: "0.1.0".to_string(),
        prior_state: Some(PriorState {
            lineage: "6b1f8c1e-0000-4000-8000-000000000001".to_string(),
            serial: 7,
        }),
        resource_changes: changes,
        resource_drift: Vec::new(),
        diagnostics: Vec::new(),
        summary,
        targets: Vec::new(),
        refused: false,
        digests: Digests {
            config: "sha256:c0nf16".to_string(),
            tokens: [("acme".to_string(), "sha256:70ce4acme".to_string())].into(),
            observed: [("1000000001".to_string(), "sha256:0b5e4ed".to_string())].into(),
            plan: "sha256:p1a4d16e57".to_string(),
        },
        graph_api: None,
        commit: None,
        environment: None,
        options: Default::default(),
    }
}

fn credentials_attrs() -> Attributes {
    attrs(&[
        ("business_id", json!("1000000001")),
        ("waba_id", json!("2000000001")),
        ("phone_number", json!("15550100001")),
        ("phone_number_id", json!("3000000001")),
        ("display_phone_number", json!("+1 555-010-0001")),
        ("verified_name", json!("Acme")),
        ("token", json!(SENSITIVE)),
    ])
}

fn channel_attrs(description: &str, sender: &str, status: &str) -> Attributes {
    attrs(&[
        ("credentials", json!("acme")),
        ("description", json!(description)),
        ("execution_field", json!("mobilePhone")),
        ("marketing_actions", json!(["analytics", "emailTargeting"])),
        ("sender_number", json!(sender)),
        ("status", json!(status)),
    ])
}

const DESCRIPTION: &str = "Marketing messages for France.\nSent from the Paris number.\n";

pub fn create_from_empty() -> Plan {
    let mut creds = change(Address::credentials("acme"), Action::Create, "not in state");
    let mut after = credentials_attrs();
    for unknown in ["phone_number_id", "display_phone_number", "verified_name"] {
        after.insert(unknown.to_string(), json!(KNOWN_AFTER_APPLY));
    }
    creds.after = Some(after);
    creds.sensitive = vec!["token".to_string()];
    creds.checks = vec![check(
        "credentials_valid",
        Expectation::Pass,
        "the token is valid, unexpired and has both WhatsApp scopes",
    )];
    let mut fr = change(
        Address::channel("Marketing_FR"),
        Action::Create,
        "not in state",
    );
    let mut after = channel_attrs(DESCRIPTION, "15550100001", "active");
    after.insert("phone_number_id".to_string(), json!(KNOWN_AFTER_APPLY));
    fr.after = Some(after);
    fr.unknown_after = vec!["phone_number_id".to_string()];
    fr.checks = vec![
        check(
            "credentials_valid",
            Expectation::Unknown,
            "credentials.acme is created by this apply",
        ),
        check(
            "sender_in_waba",
            Expectation::Pass,
            "15550100001 is a number of WABA 2000000001",
        ),
        check(
            "sender_connected",
            Expectation::Pass,
            "the sender's status is CONNECTED",
        ),
    ];
    fr.depends_on = vec![Address::credentials("acme")];
    let mut draft = change(
        Address::channel("Promo_Draft"),
        Action::Create,
        "not in state",
    );
    draft.after = Some(attrs(&[
        ("credentials", Value::Null),
        ("description", json!("Spring promotion, not ready yet")),
        ("marketing_actions", json!([])),
        ("sender_number", Value::Null),
        ("status", json!("draft")),
    ]));
    let mut p = plan(vec![creds, fr, draft]);
    p.prior_state = None;
    p
}

pub fn description_only_update() -> Plan {
    let mut fr = change(
        Address::channel("Marketing_FR"),
        Action::Update,
        "description changed (applies at once, no checks)",
    );
    fr.before = Some(channel_attrs(DESCRIPTION, "15550100001", "active"));
    fr.after = Some(channel_attrs(
        "Marketing messages for France.\nSent from the Lyon number.\nOwner: growth team.\n",
        "15550100001",
        "active",
    ));
    let mut same = change(Address::channel("Marketing_DE"), Action::NoOp, "up to date");
    same.before = Some(channel_attrs("German marketing", "15550100001", "active"));
    same.after = same.before.clone();
    plan(vec![fr, same])
}

pub fn sender_change_failing() -> Plan {
    let mut fr = change(
        Address::channel("Marketing_FR"),
        Action::Update,
        "sender_number changed",
    );
    fr.before = Some(channel_attrs(DESCRIPTION, "15550100001", "active"));
    fr.after = Some(channel_attrs(DESCRIPTION, "15550100009", "active"));
    fr.checks = vec![
        check(
            "credentials_valid",
            Expectation::Pass,
            "credentials.acme is valid",
        ),
        check(
            "sender_in_waba",
            Expectation::Fail,
            "15550100009 is not a number of WABA 2000000001: the update will fail and the \
             previous version stays active",
        ),
        check(
            "marketing_actions_known",
            Expectation::Pass,
            "every marketing action is known",
        ),
    ];
    fr.depends_on = vec![Address::credentials("acme")];
    plan(vec![fr])
}

pub fn token_rotation() -> Plan {
    let mut creds = change(
        Address::credentials("acme"),
        Action::Update,
        "token rotated",
    );
    let mut before = credentials_attrs();
    before.insert("token".to_string(), json!(OLD_TOKEN_MARK));
    let mut after = credentials_attrs();
    after.insert("token".to_string(), json!(NEW_TOKEN_MARK));
    creds.before = Some(before);
    creds.after = Some(after);
    creds.sensitive = vec!["token".to_string()];
    creds.checks = vec![check(
        "credentials_valid",
        Expectation::Pass,
        "the new token is valid and reaches business 1000000001",
    )];
    plan(vec![creds])
}

/// A webhook whose verify token rotates and whose opt-out reply changes, plus a webhook
/// removed from the file (an unsubscribe: destructive).
pub fn webhook_changes() -> Plan {
    let base = || {
        attrs(&[
            ("name", json!("acme_inbound")),
            ("credentials", json!("acme")),
            ("whatsapp_business_account", json!("2000000001")),
            ("scope", json!("waba")),
            (
                "callback_url",
                json!("https://hooks.example.com/whatsapp/acme"),
            ),
            ("keywords.opt_out.keywords", json!(["STOP"])),
            ("prevent_destroy", json!(true)),
        ])
    };
    let mut rotate = change(
        Address::webhook("acme_inbound"),
        Action::Update,
        "verify_token, keywords changed: sent to Meta, which verifies the callback again",
    );
    let mut before = base();
    before.insert("verify_token".to_string(), json!(OLD_TOKEN_MARK));
    before.insert("keywords.opt_out.reply".to_string(), json!("Bye."));
    let mut after = base();
    after.insert("verify_token".to_string(), json!(NEW_TOKEN_MARK));
    after.insert(
        "keywords.opt_out.reply".to_string(),
        json!("You will no longer receive messages."),
    );
    rotate.before = Some(before);
    rotate.after = Some(after);
    rotate.sensitive = vec!["verify_token".to_string()];
    rotate.depends_on = vec![Address::credentials("acme")];
    rotate.checks = vec![
        check(
            "credentials_valid",
            Expectation::Pass,
            "credentials `acme` are valid",
        ),
        check(
            "callback_verified",
            Expectation::Unknown,
            "Meta calls https://hooks.example.com/whatsapp/acme with hub.mode=subscribe and the verify token; it must answer 200 with hub.challenge",
        ),
    ];
    let mut gone = change(
        Address::webhook("old_inbound"),
        Action::Delete,
        "removed from the file: unsubscribes from WABA 2000000002 (inbound messages stop)",
    );
    let mut old = base();
    old.insert("name".to_string(), json!("old_inbound"));
    old.insert("verify_token".to_string(), json!(OLD_TOKEN_MARK));
    gone.before = Some(old);
    gone.sensitive = vec!["verify_token".to_string()];
    plan(vec![rotate, gone])
}

pub fn deactivate_and_delete() -> Plan {
    let mut fr = change(
        Address::channel("Marketing_FR"),
        Action::Deactivate,
        "removed from the file while active",
    );
    fr.before = Some(channel_attrs(DESCRIPTION, "15550100001", "active"));
    fr.after = Some(channel_attrs(DESCRIPTION, "15550100001", "deactivated"));
    let mut draft = change(
        Address::channel("Promo_Draft"),
        Action::Delete,
        "removed from the file while draft",
    );
    draft.before = Some(attrs(&[
        ("description", json!("Spring promotion, not ready yet")),
        ("marketing_actions", json!([])),
        ("status", json!("draft")),
    ]));
    plan(vec![fr, draft])
}

pub fn reactivate() -> Plan {
    let mut fr = change(
        Address::channel("Marketing_FR"),
        Action::Reactivate,
        "status: active in the file, deactivated in state",
    );
    fr.before = Some(channel_attrs(DESCRIPTION, "15550100001", "deactivated"));
    fr.after = Some(channel_attrs(DESCRIPTION, "15550100001", "active"));
    fr.checks = vec![
        check(
            "sender_connected",
            Expectation::Pass,
            "the sender's status is CONNECTED",
        ),
        check(
            "waba_approved",
            Expectation::Pass,
            "WABA 2000000001 is APPROVED",
        ),
    ];
    plan(vec![fr])
}

pub fn drift_present() -> Plan {
    let mut p = plan(Vec::new());
    p.resource_drift = vec![
        Drift {
            address: Address::credentials("acme"),
            attribute: "quality_rating".to_string(),
            recorded: json!("GREEN"),
            observed: json!("RED"),
            message: "the sender's quality rating dropped".to_string(),
        },
        Drift {
            address: Address::credentials("acme"),
            attribute: "number_status".to_string(),
            recorded: json!("CONNECTED"),
            observed: json!("DISCONNECTED"),
            message: "the number left its WABA or was disconnected at Meta".to_string(),
        },
        Drift {
            address: Address::channel("Marketing_FR"),
            attribute: "phone_number_id".to_string(),
            recorded: json!("3000000001"),
            observed: Value::Null,
            message: "the sender is no longer in WABA 2000000001".to_string(),
        },
    ];
    p
}

pub fn warnings() -> Plan {
    let mut fr = change(
        Address::channel("Marketing_FR"),
        Action::Update,
        "marketing_actions changed",
    );
    fr.before = Some(channel_attrs(DESCRIPTION, "15550100001", "active"));
    let mut after = channel_attrs(DESCRIPTION, "15550100001", "active");
    after.insert(
        "marketing_actions".to_string(),
        json!(["analytics", "emailTargeting", "segmentMatch"]),
    );
    fr.after = Some(after);
    fr.checks = vec![
        check(
            "sender_connected",
            Expectation::Pass,
            "the sender's status is CONNECTED",
        ),
        check(
            "quality_rating",
            Expectation::Warn,
            "the sender's quality rating is RED: messages may be limited",
        ),
    ];
    let mut p = plan(vec![fr]);
    p.diagnostics = vec![
        Diagnostic::warning(
            "wacfg::token::expiring",
            "the token of credentials.acme expires in 5 days",
        )
        .with_help("rotate the token in Meta Business Suite and update the secret it is read from"),
    ];
    p
}

/// Over the safety threshold: an error pointing into the file, a replace, and --target.
pub fn refused() -> Plan {
    let mut fr = change(
        Address::channel("Marketing_FR"),
        Action::Replace,
        "credentials changed to another business",
    );
    fr.before = Some(channel_attrs(DESCRIPTION, "15550100001", "active"));
    let mut after = channel_attrs(DESCRIPTION, "15550100001", "active");
    after.insert("credentials".to_string(), json!("globex"));
    fr.after = Some(after);
    let mut p = plan(vec![fr]);
    p.targets = vec![Address::channel("Marketing_FR")];
    p.refused = true;
    p.diagnostics = vec![
        Diagnostic::error(
            "wacfg::safety::threshold",
            "this plan removes 4 of 10 managed resources (40%), above max_destructive_percent (30%)",
        )
        .with_help("review the removals, then run again with --allow-destructive")
        .at(
            "wacfg.yaml",
            Span {
                line: 4,
                column: 3,
                offset: 61,
                len: 27,
            },
        ),
    ];
    p
}

/// An expired token: nothing can be planned for its configurations; an error, no changes.
pub fn token_expired() -> Plan {
    let mut p = plan(Vec::new());
    p.refused = true;
    p.diagnostics = vec![
        Diagnostic::error(
            "wacfg::token::expired",
            "the token of credentials.acme expired on 2026-11-01",
        )
        .with_help("create a new system-user token and update the secret it is read from")
        .with_pointer("/credentials/0/token"),
    ];
    p
}

pub fn empty() -> Plan {
    let mut same = change(Address::channel("Marketing_FR"), Action::NoOp, "up to date");
    same.before = Some(channel_attrs(DESCRIPTION, "15550100001", "active"));
    same.after = same.before.clone();
    plan(vec![same])
}

/// The create from empty, read from a Graph endpoint the operator chose (a simulator): every
/// format names it in its header.
pub fn other_graph_endpoint() -> Plan {
    let mut p = create_from_empty();
    p.graph_api = Some(GraphEndpoint {
        url: "http://127.0.0.1:8080".to_string(),
        set_by: "WACFG_GRAPH_URL".to_string(),
    });
    p
}

/// The create from empty for the environment the configuration names, read from a simulator:
/// every format names both in its header, the environment first.
pub fn named_environment() -> Plan {
    let mut p = other_graph_endpoint();
    p.environment = Some("production".to_string());
    p
}

/// Every scenario, by name.
pub fn all() -> Vec<(&'static str, Plan)> {
    vec![
        ("create_from_empty", create_from_empty()),
        ("description_only_update", description_only_update()),
        ("sender_change_failing", sender_change_failing()),
        ("token_rotation", token_rotation()),
        ("webhook_changes", webhook_changes()),
        ("deactivate_and_delete", deactivate_and_delete()),
        ("reactivate", reactivate()),
        ("drift_present", drift_present()),
        ("warnings", warnings()),
        ("refused", refused()),
        ("token_expired", token_expired()),
        ("empty", empty()),
        ("other_graph_endpoint", other_graph_endpoint()),
        ("named_environment", named_environment()),
    ]
}
