//! Turns world nodes into Graph JSON for a field selection: default field sets, known fields
//! the world does not hold (omitted, as Meta omits empty fields), unknown fields (code 100),
//! and edges embedded as `{data, paging}` with `next` links to the edge URL, the
//! `subscribed_apps` edge (`{data}` only, as Meta sends it) and a number's
//! `webhook_configuration`, and message templates.

use serde_json::{Map, Value, json};

use crate::errors::GraphError;
use crate::faults::Malformed;
use crate::fields::{self, Field};
use crate::paging::PageArgs;
use crate::templates::MessageTemplate;
use crate::urlenc::encode_query;
use crate::world::{App, Business, PhoneNumber, Waba};

/// Where links point (`http://127.0.0.1:PORT/v23.0`) and the app webhooks belong to.
pub struct Ctx<'a> {
    pub versioned_base: &'a str,
    pub app: &'a App,
    /// Off-document shapes to answer with (none by default).
    pub malformed: &'a Malformed,
}

/// Meta sends a node's `id` whether or not it was asked for; as a JSON number when the
/// `numeric_ids` fault is on.
fn node_id(ctx: &Ctx, out: &mut Map<String, Value>, id: &str) {
    let id = match id.parse::<u64>() {
        Ok(n) if ctx.malformed.numeric_ids => json!(n),
        _ => json!(id),
    };
    out.insert("id".into(), id);
}

pub const BUSINESS_DEFAULT: &[&str] = &["id", "name"];
pub const WABA_DEFAULT: &[&str] = &[
    "id",
    "name",
    "currency",
    "timezone_id",
    "message_template_namespace",
];
pub const NUMBER_DEFAULT: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
];
pub const SUBSCRIBED_APP_DEFAULT: &[&str] =
    &["whatsapp_business_api_data", "override_callback_uri"];
pub const APP_DATA_DEFAULT: &[&str] = &["id", "link", "name"];
pub const NUMBER_ROW_DEFAULT: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "code_verification_status",
    "status",
];

/// Fields Meta has on a Business that the simulator does not model: accepted, not sent.
const BUSINESS_OTHER: &[&str] = &[
    "created_time",
    "link",
    "primary_page",
    "profile_picture_uri",
    "timezone_id",
    "two_factor_type",
    "updated_time",
    "vertical",
    "vertical_id",
    "is_hidden",
];
const WABA_OTHER: &[&str] = &[
    "analytics",
    "auth_international_rate_eligibility",
    "creation_time",
    "disable_marketing_messages_on_cloud_api",
    "health_status",
    "is_enabled_for_insights",
    "is_shared_with_partners",
    "linked_commerce_account",
    "marketing_messages_lite_api_status",
    "marketing_messages_onboarding_status",
    "on_behalf_of_business_info",
    "owner_business",
    "owner_business_info",
    "primary_business_location",
    "primary_funding_id",
    "purchase_order_number",
    "template_auto_archival_enabled",
    "whatsapp_business_manager_messaging_limit",
    "assigned_users",
];
const NUMBER_OTHER: &[&str] = &[
    "quality_score",
    "certificate",
    "new_certificate",
    "is_on_biz_app",
    "is_preverified_number",
    "eligibility_for_api_business_global_search",
    "health_status",
    "conversational_automation",
    "country_code",
    "country_dial_code",
    "whatsapp_business_profile",
];

/// The requested fields, or the defaults when none were named.
fn selection(fields: &[Field], defaults: &[&str]) -> Vec<Field> {
    if fields.is_empty() {
        defaults.iter().map(|f| Field::plain(f)).collect()
    } else {
        fields.to_vec()
    }
}

fn put(out: &mut Map<String, Value>, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        out.insert(name.to_string(), json!(v));
    }
}

pub fn business(ctx: &Ctx, b: &Business, fields: &[Field]) -> Result<Value, GraphError> {
    let mut out = Map::new();
    for f in selection(fields, BUSINESS_DEFAULT) {
        match f.name.as_str() {
            "id" => put(&mut out, "id", &Some(b.id.clone())),
            "name" => put(&mut out, "name", &Some(b.name.clone())),
            "verification_status" => put(&mut out, "verification_status", &b.verification_status),
            "owned_whatsapp_business_accounts" | "client_whatsapp_business_accounts" => {
                let list = if f.name.starts_with("owned") {
                    &b.owned_whatsapp_business_accounts
                } else {
                    &b.client_whatsapp_business_accounts
                };
                let path = format!("{}/{}", b.id, f.name);
                let v = embedded(ctx, &path, list, &f, |w, sub| {
                    waba(ctx, w, sub, WABA_DEFAULT)
                })?;
                out.insert(f.name.clone(), v);
            }
            other if BUSINESS_OTHER.contains(&other) => {}
            other => return Err(GraphError::unknown_field(other, "Business")),
        }
    }
    node_id(ctx, &mut out, &b.id);
    Ok(Value::Object(out))
}

pub fn waba(ctx: &Ctx, w: &Waba, fields: &[Field], defaults: &[&str]) -> Result<Value, GraphError> {
    let mut out = Map::new();
    for f in selection(fields, defaults) {
        match f.name.as_str() {
            "id" => put(&mut out, "id", &Some(w.id.clone())),
            "name" => put(&mut out, "name", &Some(w.name.clone())),
            "currency" => put(&mut out, "currency", &w.currency),
            "timezone_id" => put(&mut out, "timezone_id", &w.timezone_id),
            "message_template_namespace" => put(
                &mut out,
                "message_template_namespace",
                &w.message_template_namespace,
            ),
            "account_review_status" => {
                put(&mut out, "account_review_status", &w.account_review_status)
            }
            "business_verification_status" => put(
                &mut out,
                "business_verification_status",
                &w.business_verification_status,
            ),
            "country" => put(&mut out, "country", &w.country),
            "ownership_type" => put(&mut out, "ownership_type", &w.ownership_type),
            "status" => put(&mut out, "status", &w.status),
            "phone_numbers" => {
                let path = format!("{}/phone_numbers", w.id);
                let v = embedded(ctx, &path, &w.phone_numbers, &f, |n, sub| {
                    number(ctx, w, n, sub, NUMBER_ROW_DEFAULT)
                })?;
                out.insert("phone_numbers".into(), v);
            }
            "message_templates" => {
                let path = format!("{}/message_templates", w.id);
                let v = embedded(ctx, &path, &w.message_templates, &f, |t, sub| {
                    template(t, sub)
                })?;
                out.insert("message_templates".into(), v);
            }
            "subscribed_apps" => {
                let sub = f.sub.clone().unwrap_or_default();
                out.insert("subscribed_apps".into(), subscribed_apps(ctx, w, &sub)?);
            }
            other if WABA_OTHER.contains(&other) => {}
            other => return Err(GraphError::unknown_field(other, "WhatsAppBusinessAccount")),
        }
    }
    node_id(ctx, &mut out, &w.id);
    Ok(Value::Object(out))
}

/// `{"data": [the world's app]}` when the WABA is subscribed, else `{"data": []}`.
pub fn subscribed_apps(ctx: &Ctx, w: &Waba, fields: &[Field]) -> Result<Value, GraphError> {
    let mut rows = Vec::new();
    if w.subscribed {
        let mut row = Map::new();
        for f in selection(fields, SUBSCRIBED_APP_DEFAULT) {
            match f.name.as_str() {
                "whatsapp_business_api_data" => {
                    let sub = f.sub.clone().unwrap_or_default();
                    row.insert(f.name.clone(), app_data(ctx.app, &sub)?);
                }
                "override_callback_uri" => {
                    let uri = w
                        .webhook_override
                        .as_ref()
                        .map(|o| o.override_callback_uri.clone());
                    put(&mut row, "override_callback_uri", &uri);
                }
                other => return Err(GraphError::unknown_field(other, "SubscribedApp")),
            }
        }
        rows.push(Value::Object(row));
    }
    Ok(json!({ "data": rows }))
}

fn app_data(app: &App, fields: &[Field]) -> Result<Value, GraphError> {
    let mut out = Map::new();
    for f in selection(fields, APP_DATA_DEFAULT) {
        let v = match f.name.as_str() {
            "id" => app.id.clone(),
            "link" => format!("https://www.facebook.com/games/?app_id={}", app.id),
            "name" => app.name.clone(),
            other => return Err(GraphError::unknown_field(other, "Application")),
        };
        out.insert(f.name.clone(), json!(v));
    }
    Ok(Value::Object(out))
}

/// Where a number's webhooks go, each level present only when set; None when none is.
fn webhook_configuration(app: &App, w: &Waba, n: &PhoneNumber) -> Option<Value> {
    let mut out = Map::new();
    put(&mut out, "application", &app.callback_url);
    let waba = w.webhook_override.as_ref().filter(|_| w.subscribed);
    for (key, o) in [
        ("whatsapp_business_account", waba),
        ("phone_number", n.webhook_override.as_ref()),
    ] {
        put(&mut out, key, &o.map(|o| o.override_callback_uri.clone()));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

pub fn number(
    ctx: &Ctx,
    w: &Waba,
    n: &PhoneNumber,
    fields: &[Field],
    defaults: &[&str],
) -> Result<Value, GraphError> {
    let mut out = Map::new();
    for f in selection(fields, defaults) {
        let name = f.name.as_str();
        let value: Option<Value> = match name {
            "id" => Some(json!(n.id)),
            "display_phone_number" => n.display_phone_number.as_ref().map(|v| json!(v)),
            "verified_name" => n.verified_name.as_ref().map(|v| json!(v)),
            "quality_rating" => n.quality_rating.as_ref().map(|v| json!(v)),
            "throughput" => n.throughput.as_ref().map(|v| json!({ "level": v })),
            "status" => n.status.as_ref().map(|v| json!(v)),
            "name_status" => n.name_status.as_ref().map(|v| json!(v)),
            "new_name_status" => n.new_name_status.as_ref().map(|v| json!(v)),
            "code_verification_status" => n.code_verification_status.as_ref().map(|v| json!(v)),
            "messaging_limit_tier" => n.messaging_limit_tier.as_ref().map(|v| json!(v)),
            "whatsapp_business_manager_messaging_limit" => n
                .whatsapp_business_manager_messaging_limit
                .as_ref()
                .map(|v| json!(v)),
            "platform_type" => n.platform_type.as_ref().map(|v| json!(v)),
            "account_mode" => n.account_mode.as_ref().map(|v| json!(v)),
            "is_official_business_account" => n.is_official_business_account.map(|v| json!(v)),
            "is_pin_enabled" => n.is_pin_enabled.map(|v| json!(v)),
            "search_visibility" => n.search_visibility.as_ref().map(|v| json!(v)),
            "last_onboarded_time" => n.last_onboarded_time.as_ref().map(|v| json!(v)),
            "host_platform" => n.host_platform.as_ref().map(|v| json!(v)),
            "username" => n.username.as_ref().map(|v| json!(v)),
            "unified_cert_status" => n.unified_cert_status.as_ref().map(|v| json!(v)),
            "webhook_configuration" => webhook_configuration(ctx.app, w, n),
            other if NUMBER_OTHER.contains(&other) => None,
            other => {
                return Err(GraphError::unknown_field(
                    other,
                    "WhatsAppBusinessPhoneNumber",
                ));
            }
        };
        if let Some(v) = value {
            out.insert(name.to_string(), v);
        }
    }
    node_id(ctx, &mut out, &n.id);
    let m = ctx.malformed;
    if m.wrongly_typed_numbers.is_empty() || m.wrongly_typed_numbers.contains(&n.id) {
        for field in &m.wrongly_typed_fields {
            out.insert(field.clone(), json!({ "wrongly_typed": true }));
        }
    }
    Ok(Value::Object(out))
}

/// An edge embedded in a node: one page of rows plus paging whose links open the edge.
fn embedded<T>(
    ctx: &Ctx,
    edge_path: &str,
    items: &[T],
    f: &Field,
    row: impl Fn(&T, &[Field]) -> Result<Value, GraphError>,
) -> Result<Value, GraphError> {
    let args = PageArgs {
        limit: f.limit,
        after: f.after.clone(),
        before: f.before.clone(),
    };
    let sub = f.sub.clone().unwrap_or_default();
    let mut extra = Vec::new();
    if !sub.is_empty() {
        extra.push(("fields".to_string(), fields::render(&sub)));
    }
    let page = list(ctx, edge_path, items, &args, &extra, |t| row(t, &sub))?;
    let m = ctx.malformed;
    let rows = page["data"].as_array().cloned().unwrap_or_default();
    Ok(if m.null_empty_edges && rows.is_empty() {
        json!({ "data": null })
    } else if m.bare_array_edges && page["paging"].get("next").is_none() {
        Value::Array(rows)
    } else {
        page
    })
}

/// One page of an edge as `{data, paging}`; `extra` are the query parameters `next` keeps.
pub fn list<T>(
    ctx: &Ctx,
    edge_path: &str,
    items: &[T],
    args: &PageArgs,
    extra: &[(String, String)],
    row: impl Fn(&T) -> Result<Value, GraphError>,
) -> Result<Value, GraphError> {
    let page = args.page(items.len())?;
    let data = items[page.start..page.end]
        .iter()
        .map(row)
        .collect::<Result<Vec<_>, _>>()?;
    let link = |key: &str, cursor: &str| {
        let mut q: Vec<(String, String)> = extra.to_vec();
        q.push(("limit".into(), page.limit.to_string()));
        q.push((key.to_string(), cursor.to_string()));
        format!("{}/{}?{}", ctx.versioned_base, edge_path, encode_query(&q))
    };
    Ok(json!({ "data": data, "paging": page.paging(link) }))
}

/// Meta's default fields of a template (list rows and the node).
pub const TEMPLATE_DEFAULT: &[&str] = &[
    "name",
    "parameter_format",
    "components",
    "language",
    "status",
    "category",
    "id",
    "previous_category",
];

/// Fields Meta has on a template that the simulator does not model: accepted, not sent.
const TEMPLATE_OTHER: &[&str] = &[
    "sub_category",
    "correct_category",
    "cta_url_link_tracking_opted_out",
    "library_template_name",
    "degrees_of_freedom_spec",
];

/// One template as Graph JSON for a field selection.
pub fn template(t: &MessageTemplate, fields: &[Field]) -> Result<Value, GraphError> {
    let mut out = Map::new();
    let chosen: Vec<String> = if fields.is_empty() {
        TEMPLATE_DEFAULT.iter().map(|f| f.to_string()).collect()
    } else {
        fields.iter().map(|f| f.name.clone()).collect()
    };
    for name in chosen {
        let v = match name.as_str() {
            "id" => continue,
            "name" => Some(json!(t.name)),
            "language" => Some(json!(t.language)),
            "status" => Some(json!(t.status)),
            "category" => Some(json!(t.category)),
            "components" => Some(Value::Array(t.components_as_read())),
            "parameter_format" => t.parameter_format.as_ref().map(|p| json!(p)),
            "rejected_reason" => t.rejected_reason.as_ref().map(|r| json!(r)),
            "previous_category" => t.previous_category.as_ref().map(|c| json!(c)),
            "message_send_ttl_seconds" => t.message_send_ttl_seconds.map(|s| json!(s)),
            "quality_score" => t.quality_score.as_ref().map(|q| json!({ "score": q })),
            other if TEMPLATE_OTHER.contains(&other) => None,
            other => return Err(GraphError::unknown_field(other, "WhatsAppBusinessHSM")),
        };
        if let Some(v) = v {
            out.insert(name, v);
        }
    }
    out.insert("id".into(), json!(t.id));
    Ok(Value::Object(out))
}
