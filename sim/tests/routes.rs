//! The Graph routes against the example world: paging, field expansion, permissions,
//! tokens, debug_token, versions and batches.

mod common;

use common::*;
use serde_json::{Value, json};
use wacfg_sim::{Faults, Sim, World};

fn world_with_numbers(n: usize) -> World {
    let mut w = example_world();
    let waba = w.waba_mut(WABA_FR).expect("example WABA");
    let template = waba.phone_numbers[0].clone();
    waba.phone_numbers = (0..n)
        .map(|i| {
            let mut x = template.clone();
            x.id = format!("90000000000{i:02}");
            x.display_phone_number = Some(format!("+1 555-099-{i:04}"));
            x
        })
        .collect();
    w
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn paging_walks_three_pages_by_next_without_the_token_in_links() {
    let sim = Sim::start(world_with_numbers(7), Faults::default())
        .await
        .unwrap();
    let (status, _, first) = get(
        &sim,
        &format!("/v23.0/{WABA_FR}/phone_numbers?limit=3&fields=id,status"),
        TOKEN,
    )
    .await;
    assert_eq!(status, 200);
    let mut pages = vec![first];
    while let Some(next) = pages.last().unwrap()["paging"]["next"]
        .as_str()
        .map(str::to_string)
    {
        assert!(next.starts_with(&format!("{}/v23.0/", sim.url())), "{next}");
        assert!(
            !next.contains("test-token"),
            "next links never carry the token: {next}"
        );
        let (status, page) = get_url(&next, TOKEN).await;
        assert_eq!(status, 200, "{page}");
        pages.push(page);
        assert!(pages.len() <= 3, "paging must end");
    }
    let sizes: Vec<usize> = pages.iter().map(|p| ids(p).len()).collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    let all: Vec<String> = pages.iter().flat_map(ids).collect();
    let want: Vec<String> = (0..7).map(|i| format!("90000000000{i:02}")).collect();
    assert_eq!(all, want);
    assert!(pages[0]["paging"].get("previous").is_none());
    assert!(pages[1]["paging"]["previous"].is_string());
    assert_eq!(
        pages[1]["data"][0]["status"], "CONNECTED",
        "next keeps the fields"
    );
    assert!(pages[2]["paging"]["cursors"]["after"].is_string());
}

#[tokio::test]
async fn limit_is_capped_at_100_and_defaults_to_25() {
    let sim = Sim::start(world_with_numbers(30), Faults::default())
        .await
        .unwrap();
    let (_, _, p) = get(&sim, &format!("/v23.0/{WABA_FR}/phone_numbers"), TOKEN).await;
    assert_eq!(ids(&p).len(), 25);
    assert!(p["paging"]["next"].is_string());
    let (_, _, p) = get(
        &sim,
        &format!("/v23.0/{WABA_FR}/phone_numbers?limit=500&summary=total_count"),
        TOKEN,
    )
    .await;
    assert_eq!(ids(&p).len(), 30);
    assert!(
        p["paging"].get("next").is_none(),
        "no next when nothing is left"
    );
    assert_eq!(p["summary"]["total_count"], 30);
}

#[tokio::test]
async fn field_expansion_reads_the_whole_portfolio_in_one_request() {
    let sim = start().await;
    let fields = "id,name,owned_whatsapp_business_accounts{id,name,account_review_status,phone_numbers{id,display_phone_number,quality_rating,throughput,status}},client_whatsapp_business_accounts{id,phone_numbers{id}}";
    let (status, _, b) = get(&sim, &format!("/v23.0/{ACME}?fields={fields}"), TOKEN).await;
    assert_eq!(status, 200, "{b}");
    let owned = &b["owned_whatsapp_business_accounts"]["data"];
    assert_eq!(owned.as_array().unwrap().len(), 2);
    assert_eq!(owned[0]["account_review_status"], "APPROVED");
    let n = &owned[0]["phone_numbers"]["data"][0];
    assert_eq!(n["display_phone_number"], "+1 555-010-0001");
    assert_eq!(n["throughput"], json!({ "level": "STANDARD" }));
    assert!(
        n.get("verified_name").is_none(),
        "only the requested fields"
    );
    assert_eq!(
        owned[1]["phone_numbers"]["data"][0]["quality_rating"],
        "RED"
    );
    assert_eq!(
        b["client_whatsapp_business_accounts"]["data"][0]["id"],
        WABA_CLIENT
    );
    let stats = sim.stats();
    assert_eq!(stats.http_requests, 1);
    assert_eq!(stats.route_count("business"), 1);
    assert_eq!(stats.by_token.get("acme-admin"), Some(&1));
}

#[tokio::test]
async fn nested_edge_next_opens_the_edge_with_the_sub_selection() {
    let sim = start().await;
    let url = format!("/v23.0/{WABA_FR}?fields=id,phone_numbers.limit(1){{id,verified_name}}");
    let (status, _, w) = get(&sim, &url, TOKEN).await;
    assert_eq!(status, 200, "{w}");
    let next = w["phone_numbers"]["paging"]["next"]
        .as_str()
        .expect("more numbers");
    assert!(
        next.contains(&format!("/v23.0/{WABA_FR}/phone_numbers?")),
        "{next}"
    );
    let (_, page) = get_url(next, TOKEN).await;
    assert_eq!(page["data"][0]["id"], "106540352242923");
    assert_eq!(page["data"][0]["verified_name"], "Acme Support");
    assert!(page["data"][0].get("quality_rating").is_none());
}

#[tokio::test]
async fn default_fields_per_node() {
    let sim = start().await;
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let (_, _, n) = get(&sim, &format!("/v23.0/{NUMBER_1}"), TOKEN).await;
    assert_eq!(
        keys(&n),
        [
            "display_phone_number",
            "id",
            "quality_rating",
            "verified_name"
        ]
    );
    let (_, _, w) = get(&sim, &format!("/v23.0/{WABA_FR}"), TOKEN).await;
    assert_eq!(
        keys(&w),
        [
            "currency",
            "id",
            "message_template_namespace",
            "name",
            "timezone_id"
        ]
    );
    let (_, _, b) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
    assert_eq!(b, json!({ "id": ACME, "name": "Acme" }));
}

async fn error_of(sim: &Sim, url: &str, token: &str) -> (u16, Value) {
    let (status, headers, body) = get(sim, url, token).await;
    assert!(headers.contains_key("x-fb-trace-id"));
    assert_eq!(
        body["error"]["fbtrace_id"].as_str(),
        headers["x-fb-trace-id"].to_str().ok()
    );
    (status, body["error"].clone())
}

#[tokio::test]
async fn permissions_unknown_ids_and_bad_tokens() {
    let sim = start().await;
    let (s, e) = error_of(&sim, &format!("/v23.0/{GLOBEX}"), TOKEN).await;
    assert_eq!((s, e["code"].as_u64()), (403, Some(200)));
    let (s, e) = error_of(&sim, "/v23.0/207640352242922", TOKEN).await;
    assert_eq!(
        (s, e["code"].as_u64()),
        (403, Some(200)),
        "another portfolio's number"
    );
    let (s, e) = error_of(&sim, "/v23.0/31337", TOKEN).await;
    assert_eq!(
        (s, e["code"].as_u64(), e["error_subcode"].as_u64()),
        (400, Some(100), Some(33))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("Unsupported get request. Object with ID '31337'")
    );
    let (s, e) = error_of(&sim, "/v23.0/me", "test-token-nobody").await;
    assert_eq!(
        (s, e["code"].as_u64(), e["type"].as_str()),
        (401, Some(190), Some("OAuthException"))
    );
    let (s, e) = error_of(&sim, "/v23.0/me", "test-token-acme-revoked").await;
    assert_eq!((s, e["error_subcode"].as_u64()), (401, Some(460)));
    let (s, e) = error_of(
        &sim,
        &format!("/v23.0/{WABA_FR}"),
        "test-token-acme-expired",
    )
    .await;
    assert_eq!((s, e["error_subcode"].as_u64()), (401, Some(463)));
    let (s, e) = error_of(&sim, &format!("/v23.0/{WABA_FR}?fields=id,colour"), TOKEN).await;
    assert_eq!((s, e["code"].as_u64()), (400, Some(100)));
    assert!(e["message"].as_str().unwrap().contains("(colour)"));
    let (s, e) = error_of(&sim, &format!("/v23.0/{WABA_FR}/templates_of_doom"), TOKEN).await;
    assert_eq!((s, e["code"].as_u64()), (400, Some(100)));
    assert_eq!(sim.stats().errors.get("200"), Some(&2));
}

#[tokio::test]
async fn scopes_gate_business_and_waba_reads() {
    let sim = start().await;
    // Missing whatsapp_business_messaging does not stop reads.
    let (s, _, _) = get(
        &sim,
        &format!("/v23.0/{WABA_FR}"),
        "test-token-acme-no-messaging",
    )
    .await;
    assert_eq!(s, 200);
    sim.mutate(|w| w.token_mut(TOKEN).unwrap().scopes = vec!["business_management".into()]);
    let (s, _, b) = get(&sim, &format!("/v23.0/{WABA_FR}"), TOKEN).await;
    assert_eq!((s, b["error"]["code"].as_u64()), (403, Some(200)));
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("whatsapp_business_management")
    );
    let (s, _, _) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn debug_token_describes_valid_expired_and_unknown_tokens() {
    let sim = start().await;
    let (s, _, d) = get(
        &sim,
        &format!("/v23.0/debug_token?input_token={TOKEN}"),
        TOKEN,
    )
    .await;
    assert_eq!(s, 200);
    let d = &d["data"];
    assert_eq!(
        (d["is_valid"].as_bool(), d["expires_at"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(d["type"], "SYSTEM_USER");
    assert_eq!(d["scopes"].as_array().unwrap().len(), 3);
    let targets = &d["granular_scopes"][0]["target_ids"];
    assert!(targets.as_array().unwrap().contains(&json!(WABA_CLIENT)));
    // An expired token may ask about itself and learn the expiry.
    let expired = "test-token-acme-expired";
    let (s, _, d) = get(
        &sim,
        &format!("/v23.0/debug_token?input_token={expired}"),
        expired,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(d["data"]["is_valid"], false);
    assert_eq!(d["data"]["expires_at"], 1_735_689_600);
    assert_eq!(d["data"]["error"]["subcode"], 463);
    // A valid caller may ask about an unknown token.
    let (s, _, d) = get(
        &sim,
        "/v23.0/debug_token?input_token=test-token-unknown",
        TOKEN,
    )
    .await;
    assert_eq!((s, d["data"]["is_valid"].as_bool()), (200, Some(false)));
    // A revoked caller may not, even about itself.
    let revoked = "test-token-acme-revoked";
    let (s, _, _) = get(
        &sim,
        &format!("/v23.0/debug_token?input_token={revoked}"),
        revoked,
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, d) = get(&sim, "/v23.0/debug_token", TOKEN).await;
    assert_eq!((s, d["error"]["code"].as_u64()), (400, Some(100)));
}

#[tokio::test]
async fn access_token_parameter_versions_and_me() {
    let sim = start().await;
    let r = reqwest::get(format!("{}/v25.0/me?access_token={TOKEN}", sim.url()))
        .await
        .unwrap();
    assert_eq!(r.headers()["facebook-api-version"], "v25.0");
    let me: Value = r.json().await.unwrap();
    assert_eq!(
        me,
        json!({ "id": "100000000000101", "name": "Acme wacfg system user" })
    );
    for bad in ["/me", "/23.0/me", "/latest/me"] {
        let (s, _, e) = get(&sim, bad, TOKEN).await;
        assert_eq!((s, e["error"]["code"].as_u64()), (400, Some(100)), "{bad}");
    }
    let logged = sim.requests();
    assert!(logged.iter().all(|r| !r.path.contains(TOKEN)), "{logged:?}");
    assert!(logged[0].path.ends_with("access_token=REDACTED"));
}
