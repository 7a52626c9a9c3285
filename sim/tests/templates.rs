//! Message templates in the simulator: the list with paging, fields and filters, the node,
//! create / delete / edit with Meta's synchronous errors, the review driven by the world
//! file, the edit quota, the creation rate and the 30-day name lock over the simulated clock,
//! the control endpoints, resumable uploads and batches.

mod common;

use common::*;
use serde_json::{Value, json};
use wacfg_sim::templates::{MessageTemplate, RejectRule, TemplateReview};
use wacfg_sim::{Faults, Sim, World};

fn seeded(name: &str, language: &str, status: &str) -> MessageTemplate {
    MessageTemplate {
        id: String::new(),
        name: name.into(),
        language: language.into(),
        category: "UTILITY".into(),
        status: status.into(),
        quality_score: Some("GREEN".into()),
        components: vec![
            json!({"type": "BODY", "text": format!("Hello from {name}, see you soon.")}),
        ],
        parameter_format: Some("POSITIONAL".into()),
        rejected_reason: None,
        previous_category: None,
        message_send_ttl_seconds: None,
    }
}

/// The example world with `n` seeded templates on Acme FR and the issue's review rules.
fn world(n: usize) -> World {
    let mut w = example_world();
    w.template_review = Some(TemplateReview {
        delay_ms: 300,
        reject: vec![
            RejectRule {
                body_contains: Some("free money".into()),
                reason: "SCAM".into(),
                ..RejectRule::default()
            },
            RejectRule {
                category: Some("MARKETING".into()),
                body_contains: Some("password".into()),
                reason: "INCORRECT_CATEGORY".into(),
                ..RejectRule::default()
            },
        ],
    });
    let waba = w.waba_mut(WABA_FR).unwrap();
    for i in 0..n {
        let lang = if i % 2 == 0 { "en_US" } else { "fr_FR" };
        waba.message_templates
            .push(seeded(&format!("seeded_{:03}", i / 2), lang, "APPROVED"));
    }
    w
}

async fn sim_with(n: usize) -> Sim {
    Sim::start(world(n), Faults::default()).await.unwrap()
}

/// A simulator whose clock moves only when the test advances it.
async fn frozen_with(n: usize) -> Sim {
    let sim = sim_with(n).await;
    let (status, v) = control(&sim, "clock", json!({ "freeze": true })).await;
    assert_eq!((status, v["frozen"].as_bool()), (200, Some(true)));
    sim
}

fn components(body: &str) -> String {
    json!([{"type": "BODY", "text": body, "example": {"body_text": [["x"]]}}]).to_string()
}

/// Creates one language; (status, answer).
async fn create(sim: &Sim, name: &str, lang: &str, category: &str, body: &str) -> (u16, Value) {
    create_in(sim, WABA_FR, name, lang, category, &components(body)).await
}

/// `POST /{waba}/message_templates` with `components` as given (a JSON array).
async fn create_in(
    sim: &Sim,
    waba: &str,
    name: &str,
    lang: &str,
    category: &str,
    components: &str,
) -> (u16, Value) {
    let form = [
        ("name", name),
        ("language", lang),
        ("category", category),
        ("components", components),
    ];
    let url = format!("/v23.0/{waba}/message_templates");
    let (status, _, v) = write(sim, "POST", &url, &form, TOKEN).await;
    (status, v)
}

async fn created(sim: &Sim, name: &str, lang: &str, body: &str) -> String {
    let (status, v) = create(sim, name, lang, "UTILITY", body).await;
    assert_eq!(status, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn node(sim: &Sim, id: &str, fields: &str) -> Value {
    let (status, _, v) = get(sim, &format!("/v23.0/{id}?fields={fields}"), TOKEN).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn advance(sim: &Sim, ms: i64) {
    let (status, v) = control(sim, "clock", json!({ "advance_ms": ms })).await;
    assert_eq!(status, 200, "{v}");
}

fn subcode(v: &Value) -> u64 {
    v["error"]["error_subcode"].as_u64().unwrap_or(0)
}

async fn edit(sim: &Sim, id: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let (status, _, v) = write(sim, "POST", &format!("/v23.0/{id}"), form, TOKEN).await;
    (status, v)
}

#[tokio::test]
async fn seeded_templates_are_listed_with_default_fields_and_read_by_id() {
    let sim = sim_with(4).await;
    let (status, h, v) = get(&sim, &format!("/v23.0/{WABA_FR}/message_templates"), TOKEN).await;
    assert_eq!(status, 200, "{v}");
    assert!(
        h.get("x-business-use-case-usage").is_some(),
        "charged to the WABA"
    );
    let rows = v["data"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let row = &rows[0];
    for key in [
        "id",
        "name",
        "language",
        "status",
        "category",
        "components",
        "parameter_format",
    ] {
        assert!(row.get(key).is_some(), "default field {key} in {row}");
    }
    assert!(row.get("quality_score").is_none(), "not a default field");
    let id = row["id"].as_str().unwrap();
    let one = node(&sim, id, "name,language,quality_score,rejected_reason").await;
    assert_eq!(one["quality_score"], json!({"score": "GREEN"}));
    assert_eq!(
        (one["id"].as_str(), one["name"].as_str()),
        (Some(id), Some("seeded_000"))
    );
    let (status, _, e) = get(&sim, &format!("/v23.0/{id}?fields=nonsense"), TOKEN).await;
    assert_eq!((status, e["error"]["code"].as_u64()), (400, Some(100)));
    let (status, _, e) = get(&sim, &format!("/v23.0/{id}"), "test-token-globex").await;
    assert_eq!((status, e["error"]["code"].as_u64()), (403, Some(200)));
    // Embedded in the WABA node as an edge.
    let w = node(&sim, WABA_FR, "message_templates.limit(2){name,status}").await;
    assert_eq!(w["message_templates"]["data"].as_array().unwrap().len(), 2);
    assert!(w["message_templates"]["paging"]["next"].is_string());
}

#[tokio::test]
async fn filters_name_status_language_and_category() {
    let sim = sim_with(6).await;
    let id = created(
        &sim,
        "order_update",
        "en_US",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    let list = |q: &str| {
        let sim = &sim;
        let url = format!("/v23.0/{WABA_FR}/message_templates?{q}&fields=name,language,status");
        async move {
            get(sim, &url, TOKEN).await.2["data"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let by_name = list("name=seeded_001").await;
    assert_eq!(by_name.len(), 2, "both languages of one name: {by_name:?}");
    assert_eq!(
        list("name=seeded").await.len(),
        6,
        "name matches partially, as Meta's"
    );
    assert_eq!(list("language=fr_FR").await.len(), 3);
    let pending = list("status=PENDING").await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], id.as_str());
    assert_eq!(list("status=APPROVED,PENDING").await.len(), 7);
    assert_eq!(list("category=MARKETING").await.len(), 0);
}

#[tokio::test]
async fn paging_walks_250_templates_by_cursor_at_metas_largest_page() {
    let sim = sim_with(250).await;
    let first = format!("/v23.0/{WABA_FR}/message_templates?fields=name,language&limit=1000");
    let (status, _, mut page) = get(&sim, &first, TOKEN).await;
    assert_eq!(status, 200);
    let mut ids = std::collections::BTreeSet::new();
    let mut sizes = Vec::new();
    loop {
        let rows = page["data"].as_array().unwrap();
        sizes.push(rows.len());
        ids.extend(rows.iter().map(|r| r["id"].as_str().unwrap().to_string()));
        assert!(page["paging"]["cursors"]["after"].is_string());
        let Some(next) = page["paging"]["next"].as_str() else {
            break;
        };
        assert!(next.contains("fields=name%2Clanguage") || next.contains("fields=name,language"));
        assert!(!next.contains("access_token"));
        let (status, v) = get_url(next, TOKEN).await;
        assert_eq!(status, 200);
        page = v;
    }
    assert_eq!(sizes, vec![100, 100, 50], "pages of at most 100");
    assert_eq!(ids.len(), 250, "every template once");
    let before = page["paging"]["cursors"]["before"].as_str().unwrap();
    let back = format!("/v23.0/{WABA_FR}/message_templates?limit=10&before={before}");
    let (_, _, prev) = get(&sim, &back, TOKEN).await;
    assert_eq!(prev["data"].as_array().unwrap().len(), 10);
    let bad = format!("/v23.0/{WABA_FR}/message_templates?after=garbage!");
    let (status, _, e) = get(&sim, &bad, TOKEN).await;
    assert_eq!((status, e["error"]["code"].as_u64()), (400, Some(100)));
}

#[tokio::test]
async fn review_keeps_pending_for_the_delay_then_applies_the_first_matching_rule() {
    let sim = frozen_with(0).await;
    let (status, v) = create(
        &sim,
        "ok_one",
        "en_US",
        "UTILITY",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "PENDING");
    assert_eq!(v["category"], "UTILITY");
    let ok = v["id"].as_str().unwrap().to_string();
    let scam = created(
        &sim,
        "scam_one",
        "en_US",
        "Claim your FREE MONEY now, friend.",
    )
    .await;
    let (_, v) = create(
        &sim,
        "pw_mkt",
        "en_US",
        "MARKETING",
        "Tell us your password today please.",
    )
    .await;
    let pw_mkt = v["id"].as_str().unwrap().to_string();
    let pw_util = created(
        &sim,
        "pw_util",
        "en_US",
        "Your password was changed today, friend.",
    )
    .await;
    advance(&sim, 299).await;
    assert_eq!(node(&sim, &ok, "status").await["status"], "PENDING");
    advance(&sim, 1).await;
    let ok_now = node(&sim, &ok, "status,rejected_reason").await;
    assert_eq!(
        (
            ok_now["status"].as_str(),
            ok_now["rejected_reason"].as_str()
        ),
        (Some("APPROVED"), Some("NONE"))
    );
    let s = node(&sim, &scam, "status,rejected_reason").await;
    assert_eq!(
        (s["status"].as_str(), s["rejected_reason"].as_str()),
        (Some("REJECTED"), Some("SCAM"))
    );
    let m = node(&sim, &pw_mkt, "status,rejected_reason").await;
    assert_eq!(m["rejected_reason"], "INCORRECT_CATEGORY");
    assert_eq!(
        node(&sim, &pw_util, "status").await["status"],
        "APPROVED",
        "the rule is for MARKETING only"
    );
}

#[tokio::test]
async fn review_also_passes_in_real_time() {
    let sim = sim_with(0).await;
    let id = created(
        &sim,
        "real_time",
        "en_US",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    assert_eq!(node(&sim, &id, "status").await["status"], "APPROVED");
}

#[tokio::test]
async fn synchronous_rejections_carry_metas_subcodes() {
    let sim = sim_with(0).await;
    let cases = [
        ("{{1}} is your order today", 2388299),
        ("Your order is ready {{1}}", 2388299),
        ("Hi {{1}} {{2}} {{3}} ok", 2388293),
        (&*"word ".repeat(250), 2388040),
    ];
    for (body, want) in cases {
        let (status, v) = create(&sim, "bad_one", "en_US", "UTILITY", body).await;
        assert_eq!((status, subcode(&v)), (400, want), "{body}: {v}");
        assert_eq!(v["error"]["code"], 100);
        assert_eq!(v["error"]["message"], "Invalid parameter");
        assert!(v["error"]["error_user_title"].is_string());
    }
    let media =
        json!([{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Look at this."}])
            .to_string();
    let (status, v) = create_in(&sim, WABA_FR, "media", "en_US", "MARKETING", &media).await;
    assert_eq!((status, subcode(&v)), (400, 2388273), "{v}");
    for (name, category) in [("Bad Name", "UTILITY"), ("fine_name", "PROMO")] {
        let (status, v) = create(&sim, name, "en_US", category, "Hello there friend.").await;
        assert_eq!(
            (status, v["error"]["code"].as_u64(), subcode(&v)),
            (400, Some(100), 0),
            "{v}"
        );
    }
    assert_eq!(
        sim.world()
            .waba_mut(WABA_FR)
            .unwrap()
            .message_templates
            .len(),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn duplicate_name_and_language_is_2388024_but_another_language_is_fine() {
    let sim = sim_with(0).await;
    created(
        &sim,
        "order_update",
        "en_US",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    let (status, v) = create(
        &sim,
        "order_update",
        "en_US",
        "UTILITY",
        "Another body for this one.",
    )
    .await;
    assert_eq!((status, subcode(&v)), (400, 2388024), "{v}");
    assert_eq!(
        v["error"]["error_user_title"],
        "Message Template Name Already Exists"
    );
    created(
        &sim,
        "order_update",
        "fr_FR",
        "Bonjour {{1}}, votre commande part aujourd'hui.",
    )
    .await;
}

#[tokio::test]
async fn delete_by_hsm_id_removes_one_language_by_name_all_and_locks_approved_names() {
    let sim = frozen_with(0).await;
    let en = created(
        &sim,
        "promo",
        "en_US",
        "Our sale starts today, come and see.",
    )
    .await;
    let fr = created(
        &sim,
        "promo",
        "fr_FR",
        "Les soldes commencent aujourd'hui, venez voir.",
    )
    .await;
    let es = created(
        &sim,
        "promo",
        "es_ES",
        "Las rebajas empiezan hoy, ven a verlas.",
    )
    .await;
    advance(&sim, 300).await; // approved
    let url = format!("/v23.0/{WABA_FR}/message_templates");
    let (status, _, v) = write(
        &sim,
        "DELETE",
        &url,
        &[("name", "promo"), ("hsm_id", &en)],
        TOKEN,
    )
    .await;
    assert_eq!((status, &v), (200, &json!({"success": true})));
    let (status, _, _) = get(&sim, &format!("/v23.0/{en}"), TOKEN).await;
    assert_eq!(status, 400, "gone");
    assert_eq!(
        node(&sim, &fr, "status").await["status"],
        "APPROVED",
        "other languages stay"
    );
    let (status, v) = create(
        &sim,
        "promo",
        "en_US",
        "UTILITY",
        "Our sale starts today, come and see.",
    )
    .await;
    assert_eq!((status, subcode(&v)), (400, 2388023), "{v}");
    let (status, _, v) = write(&sim, "DELETE", &url, &[("name", "promo")], TOKEN).await;
    assert_eq!(status, 200, "{v}");
    for id in [&fr, &es] {
        assert_eq!(
            get(&sim, &format!("/v23.0/{id}"), TOKEN).await.0,
            400,
            "every language gone"
        );
    }
    let (status, _, v) = write(&sim, "DELETE", &url, &[("name", "promo")], TOKEN).await;
    assert_eq!((status, subcode(&v)), (400, 2388905), "{v}");
    let (status, _, v) = write(&sim, "DELETE", &url, &[], TOKEN).await;
    assert_eq!((status, v["error"]["code"].as_u64()), (400, Some(100)));
    advance(&sim, 30 * 24 * 3_600_000 - 1000).await;
    assert_eq!(
        create(
            &sim,
            "promo",
            "fr_FR",
            "UTILITY",
            "Encore un peu de patience, merci."
        )
        .await
        .0,
        400,
        "still locked"
    );
    advance(&sim, 1000).await;
    created(
        &sim,
        "promo",
        "fr_FR",
        "Les soldes reviennent bientôt, merci.",
    )
    .await;
}

#[tokio::test]
async fn deleting_a_template_never_approved_locks_nothing() {
    let sim = frozen_with(0).await;
    created(&sim, "draft", "en_US", "Hi {{1}}, your order ships today.").await;
    let url = format!("/v23.0/{WABA_FR}/message_templates");
    assert_eq!(
        write(&sim, "DELETE", &url, &[("name", "draft")], TOKEN)
            .await
            .0,
        200
    );
    created(&sim, "draft", "en_US", "Hi {{1}}, your order ships today.").await;
}

#[tokio::test]
async fn edits_follow_metas_quota_and_status_rules() {
    let sim = frozen_with(0).await;
    let id = created(
        &sim,
        "order_update",
        "en_US",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    let new_body = components("Hi {{1}}, your order ships tomorrow.");
    let form = [("components", new_body.as_str())];
    let (status, v) = edit(&sim, &id, &form).await;
    assert_eq!(
        (status, subcode(&v)),
        (400, 2388901),
        "PENDING is not editable: {v}"
    );
    advance(&sim, 300).await;
    let (status, v) = edit(&sim, &id, &form).await;
    assert_eq!((status, &v), (200, &json!({"success": true})));
    let after = node(&sim, &id, "status,components").await;
    assert_eq!(after["status"], "PENDING", "an edit goes back to review");
    assert_eq!(
        after["components"][0]["text"],
        "Hi {{1}}, your order ships tomorrow."
    );
    advance(&sim, 300).await;
    let (status, v) = edit(&sim, &id, &form).await;
    assert_eq!((status, subcode(&v)), (400, 2388902), "1 per 24 h: {v}");
    let (status, v) = edit(&sim, &id, &[("category", "MARKETING")]).await;
    assert_eq!((status, subcode(&v)), (400, 2388902), "{v}");
    advance(&sim, 24 * 3_600_000).await;
    let (status, v) = edit(&sim, &id, &[("category", "MARKETING")]).await;
    assert_eq!(
        (status, subcode(&v)),
        (400, 2388903),
        "an APPROVED category is fixed: {v}"
    );
    for day in 0..9 {
        let (status, v) = edit(&sim, &id, &[("message_send_ttl_seconds", "600")]).await;
        assert_eq!(status, 200, "edit {} of 10: {v}", day + 2);
        advance(&sim, 24 * 3_600_000 + 300).await;
    }
    let (status, v) = edit(&sim, &id, &[("message_send_ttl_seconds", "900")]).await;
    assert_eq!((status, subcode(&v)), (400, 2388902), "10 per 30 days: {v}");
    assert!(
        v["error"]["error_user_msg"]
            .as_str()
            .unwrap()
            .contains("30 days")
    );
    assert_eq!(
        node(&sim, &id, "message_send_ttl_seconds").await["message_send_ttl_seconds"],
        600
    );
    // A PAUSED template edits freely, category included.
    control(
        &sim,
        &format!("templates/{id}"),
        json!({"status": "PAUSED"}),
    )
    .await;
    let (status, v) = edit(&sim, &id, &[("category", "MARKETING")]).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(node(&sim, &id, "category").await["category"], "MARKETING");
    let (status, v) = edit(&sim, &id, &[]).await;
    assert_eq!((status, v["error"]["code"].as_u64()), (400, Some(100)));
}

#[tokio::test]
async fn a_waba_creates_at_most_100_templates_per_hour() {
    let sim = frozen_with(0).await;
    for i in 0..100 {
        created(
            &sim,
            &format!("bulk_{i:03}"),
            "en_US",
            "Hello there, this is a message.",
        )
        .await;
    }
    let (status, v) = create(
        &sim,
        "bulk_100",
        "en_US",
        "UTILITY",
        "Hello there, this is a message.",
    )
    .await;
    assert_eq!((status, subcode(&v)), (400, 2388904), "{v}");
    let c = components("Hello there, this is a message.");
    let other = create_in(&sim, "102290129340399", "bulk_100", "en_US", "UTILITY", &c).await;
    assert_eq!(other.0, 200, "per WABA");
    advance(&sim, 3_600_000).await;
    created(&sim, "bulk_100", "en_US", "Hello there, this is a message.").await;
}

#[tokio::test]
async fn control_endpoints_pause_disable_recategorise_rate_and_seed() {
    let sim = sim_with(2).await;
    let id = sim.world().waba_mut(WABA_FR).unwrap().message_templates[0]
        .id
        .clone();
    let (status, v) = control(
        &sim,
        &format!("templates/{id}"),
        json!({"category": "MARKETING", "quality_score": "RED", "status": "PAUSED"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let t = node(&sim, &id, "status,category,previous_category,quality_score").await;
    assert_eq!(t["status"], "PAUSED");
    assert_eq!(
        (t["category"].as_str(), t["previous_category"].as_str()),
        (Some("MARKETING"), Some("UTILITY"))
    );
    assert_eq!(t["quality_score"]["score"], "RED");
    control(
        &sim,
        &format!("templates/{id}"),
        json!({"status": "DISABLED"}),
    )
    .await;
    assert_eq!(node(&sim, &id, "status").await["status"], "DISABLED");
    let (status, _) = control(&sim, "templates/999", json!({"status": "PAUSED"})).await;
    assert_eq!(status, 404);
    let (status, _) = control(&sim, &format!("templates/{id}"), json!({"colour": "blue"})).await;
    assert_eq!(status, 400);
    let (status, v) = control(&sim, &format!("wabas/{WABA_FR}/templates"), json!({"name": "from_ui", "language": "de_DE", "category": "UTILITY", "status": "APPROVED"})).await;
    assert_eq!(status, 200, "{v}");
    let seeded = v["id"].as_str().unwrap();
    assert_eq!(node(&sim, seeded, "name").await["name"], "from_ui");
    let (status, _) = control(
        &sim,
        &format!("wabas/{WABA_FR}/templates"),
        json!({"name": "from_ui", "language": "de_DE", "category": "UTILITY"}),
    )
    .await;
    assert_eq!(status, 400, "a duplicate is refused");
    control(
        &sim,
        "template_review",
        json!({"delay_ms": 0, "reject": [{"name_contains": "nope", "reason": "PROMOTIONAL"}]}),
    )
    .await;
    let nope = created(&sim, "nope_one", "en_US", "Hello there, this is a message.").await;
    let state = reqwest::get(format!("{}/__sim/templates", sim.url()))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let row = state["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == nope.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (row["status"].as_str(), row["rejected_reason"].as_str()),
        (Some("REJECTED"), Some("PROMOTIONAL"))
    );
    let clock = reqwest::get(format!("{}/__sim/clock", sim.url()))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let (_, later) = control(&sim, "clock", json!({"advance_seconds": 60})).await;
    assert!(later["now_ms"].as_i64().unwrap() - clock["now_ms"].as_i64().unwrap() >= 60_000);
    let (status, _) = control(&sim, "clock", json!({"advance_ms": -1})).await;
    assert_eq!(status, 400, "time never goes back");
}

#[tokio::test]
async fn resumable_upload_gives_a_handle_a_media_header_accepts() {
    let sim = sim_with(0).await;
    let app = sim.world().app.id;
    let open = format!("/v23.0/{app}/uploads");
    let form = [
        ("file_length", "10"),
        ("file_type", "image/jpeg"),
        ("file_name", "a.jpg"),
    ];
    let (status, _, v) = write(&sim, "POST", &open, &form, TOKEN).await;
    assert_eq!(status, 200, "{v}");
    let session = v["id"].as_str().unwrap().to_string();
    assert!(session.starts_with("upload:"));
    let client = reqwest::Client::new();
    let send = |offset: &str, bytes: &'static [u8]| {
        client
            .post(format!("{}/v23.0/{session}", sim.url()))
            .header("authorization", format!("OAuth {TOKEN}"))
            .header("file_offset", offset)
            .body(bytes)
            .send()
    };
    let part: Value = send("0", b"12345").await.unwrap().json().await.unwrap();
    assert_eq!(part["file_offset"], 5);
    let (_, _, resume) = get(&sim, &format!("/v23.0/{session}"), TOKEN).await;
    assert_eq!(resume["file_offset"], 5);
    let wrong = send("0", b"67890").await.unwrap();
    assert_eq!(
        wrong.status(),
        400,
        "the offset must be where the upload stopped"
    );
    let done: Value = send("5", b"67890").await.unwrap().json().await.unwrap();
    let handle = done["h"].as_str().expect("a handle").to_string();
    let c = json!([
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}},
        {"type": "BODY", "text": "Look at our new collection today."}
    ])
    .to_string();
    let (status, v) = create_in(&sim, WABA_FR, "with_image", "en_US", "MARKETING", &c).await;
    assert_eq!(status, 200, "{v}");
    let (status, _, v) = write(&sim, "POST", &open, &[("file_type", "image/jpeg")], TOKEN).await;
    assert_eq!((status, v["error"]["code"].as_u64()), (400, Some(100)));
    let (status, _, _) = write(&sim, "POST", &open, &form, "test-token-nobody").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn create_accepts_a_json_body_as_metas_examples_send_it() {
    let sim = sim_with(0).await;
    let body = json!({
        "name": "json_body", "language": "en_US", "category": "UTILITY",
        "parameter_format": "named", "message_send_ttl_seconds": 300,
        "components": [{"type": "BODY", "text": "Hi {{first_name}}, your order ships today.",
                        "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]}}]
    });
    let v: Value = reqwest::Client::new()
        .post(format!("{}/v23.0/{WABA_FR}/message_templates", sim.url()))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = v["id"].as_str().unwrap_or_else(|| panic!("{v}"));
    let t = node(&sim, id, "parameter_format,message_send_ttl_seconds").await;
    assert_eq!(
        (
            t["parameter_format"].as_str(),
            t["message_send_ttl_seconds"].as_i64()
        ),
        (Some("NAMED"), Some(300))
    );
}

#[tokio::test]
async fn batches_serve_template_reads_and_writes() {
    let sim = sim_with(3).await;
    let id = sim.world().waba_mut(WABA_FR).unwrap().message_templates[2]
        .id
        .clone();
    let c = components("Hi {{1}}, your order ships today.");
    let create_body = format!(
        "name=in_batch&language=en_US&category=UTILITY&components={}",
        wacfg_sim::urlenc::escape(&c)
    );
    let batch = json!([
        {"method": "GET", "relative_url": format!("{WABA_FR}/message_templates?limit=2&fields=name,status")},
        {"method": "GET", "relative_url": format!("v23.0/{id}?fields=name,language")},
        {"method": "POST", "relative_url": format!("{WABA_FR}/message_templates"), "body": create_body},
    ]);
    let (status, _, v) = write(
        &sim,
        "POST",
        "/v23.0/",
        &[("batch", &batch.to_string())],
        TOKEN,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let body = |i: usize| serde_json::from_str::<Value>(v[i]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body(0)["data"].as_array().unwrap().len(), 2);
    assert!(body(0)["paging"]["next"].is_string());
    assert_eq!(body(1)["language"], "en_US");
    assert_eq!(body(2)["status"], "PENDING");
    assert_eq!(sim.stats().route_count("message_templates"), 1);
    assert_eq!(sim.stats().route_count("message_template"), 1);
    assert_eq!(sim.stats().route_count("POST message_templates"), 1);
}

#[test]
fn the_world_file_seeds_templates_and_review_rules() {
    let yaml = r#"
tokens: []
businesses:
  - id: "1"
    name: B
    owned_whatsapp_business_accounts:
      - id: "2"
        name: W
        message_templates:
          - {name: order_update, language: en_US, category: UTILITY, status: APPROVED, quality_score: GREEN,
             components: [{type: BODY, text: "Hi {{1}}, your order ships."}]}
          - {id: "77", name: order_update, language: fr_FR, category: UTILITY, status: PAUSED}
template_review:
  delay_ms: 300
  reject:
    - {body_contains: "free money", reason: SCAM}
    - {category: MARKETING, body_contains: "password", reason: INCORRECT_CATEGORY}
"#;
    let w = World::from_yaml(yaml).unwrap();
    let ts = &w.businesses[0].owned_whatsapp_business_accounts[0].message_templates;
    assert!(!ts[0].id.is_empty() && ts[0].id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(ts[1].id, "77");
    assert_eq!(w.template_review.as_ref().unwrap().reject.len(), 2);
    let dup = yaml.replace("language: fr_FR", "language: en_US");
    let e = World::from_yaml(&dup).unwrap_err().to_string();
    assert!(e.contains("appears twice"), "{e}");
    let clash = yaml.replace("id: \"77\"", "id: \"2\"");
    assert!(
        World::from_yaml(&clash)
            .unwrap_err()
            .to_string()
            .contains("appears twice")
    );
    let unknown = yaml.replace("delay_ms: 300", "delay_ms: 300\n  speed: fast");
    assert!(
        World::from_yaml(&unknown).is_err(),
        "unknown keys are refused"
    );
}

#[tokio::test]
async fn reset_restores_the_seeded_templates_the_clock_and_the_ledger() {
    let sim = frozen_with(2).await;
    let id = created(&sim, "temp", "en_US", "Hi {{1}}, your order ships today.").await;
    advance(&sim, 300).await;
    let url = format!("/v23.0/{WABA_FR}/message_templates");
    write(&sim, "DELETE", &url, &[("name", "temp")], TOKEN).await;
    let (status, _) = control(&sim, "reset", json!({})).await;
    assert_eq!(status, 200);
    let clock = reqwest::get(format!("{}/__sim/clock", sim.url()))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        (clock["offset_ms"].as_i64(), clock["frozen"].as_bool()),
        (Some(0), Some(false))
    );
    let (_, _, list) = get(&sim, &url, TOKEN).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "the seeded ones only"
    );
    assert_eq!(get(&sim, &format!("/v23.0/{id}"), TOKEN).await.0, 400);
    created(&sim, "temp", "en_US", "Hi {{1}}, your order ships today.").await;
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_still_exists_and_a_blind_retry_is_2388024() {
    let sim = frozen_with(0).await;
    let lost =
        json!({"fail_after_write": [{"code": 2, "message": "An unexpected error has occurred."}]});
    let (status, _) = control(&sim, "faults", lost).await;
    assert_eq!(status, 200);
    let (status, v) = create(
        &sim,
        "landed",
        "en_US",
        "UTILITY",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    assert_eq!((status, v["error"]["code"].as_u64()), (503, Some(2)), "{v}");
    let url = format!("/v23.0/{WABA_FR}/message_templates?name=landed&fields=name,status");
    let (_, _, list) = get(&sim, &url, TOKEN).await;
    assert_eq!(list["data"][0]["status"], "PENDING", "Meta made it: {list}");
    let (status, v) = create(
        &sim,
        "landed",
        "en_US",
        "UTILITY",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    assert_eq!((status, subcode(&v)), (400, 2388024), "{v}");
}

/// `message_send_ttl_seconds` within Meta's range for the category, on create and on edit:
/// AUTHENTICATION 30–900, UTILITY 30–43200, MARKETING 43200–2592000; outside it, code 100.
#[tokio::test]
async fn the_ttl_is_refused_outside_the_categorys_range() {
    let sim = sim_with(0).await;
    let comps = components("Hi {{1}}, your order ships today.");
    let with_ttl = |name: &'static str, category: &'static str, ttl: &'static str| {
        let comps = comps.clone();
        let sim = &sim;
        async move {
            let form = [
                ("name", name),
                ("language", "en_US"),
                ("category", category),
                ("components", comps.as_str()),
                ("message_send_ttl_seconds", ttl),
            ];
            let url = format!("/v23.0/{WABA_FR}/message_templates");
            let (status, _, v) = write(sim, "POST", &url, &form, TOKEN).await;
            (status, v)
        }
    };
    for (name, category, ttl, ok) in [
        ("u_max", "UTILITY", "43200", true),
        ("u_over", "UTILITY", "43201", false),
        ("u_under", "UTILITY", "29", false),
        ("m_min", "MARKETING", "43200", true),
        ("m_under", "MARKETING", "43199", false),
        ("m_over", "MARKETING", "2592001", false),
    ] {
        let (status, v) = with_ttl(name, category, ttl).await;
        if ok {
            assert_eq!(status, 200, "{name}: {v}");
        } else {
            assert_eq!(
                (status, v["error"]["code"].as_u64()),
                (400, Some(100)),
                "{name}: {v}"
            );
            assert_eq!(subcode(&v), 0, "{name}: {v}");
        }
    }
    // An edit is held to the same range.
    let id = created(
        &sim,
        "edited_ttl",
        "en_US",
        "Hi {{1}}, your order ships today.",
    )
    .await;
    advance(&sim, 1_000).await;
    let (status, v) = edit(&sim, &id, &[("message_send_ttl_seconds", "43201")]).await;
    assert_eq!(
        (status, v["error"]["code"].as_u64()),
        (400, Some(100)),
        "{v}"
    );
    assert_eq!(subcode(&v), 0, "the range, not the status: {v}");
    let (status, v) = edit(&sim, &id, &[("message_send_ttl_seconds", "600")]).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        node(&sim, &id, "message_send_ttl_seconds").await["message_send_ttl_seconds"],
        600
    );
}
