//! The `/__sim/` control endpoints change what the Graph routes answer, and the counters and
//! log they expose match what was called.

mod common;

use common::*;
use serde_json::{Value, json};

async fn get_control(sim: &wacfg_sim::Sim, path: &str) -> Value {
    reqwest::get(format!("{}/__sim/{path}", sim.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn number_changes_show_in_the_next_read() {
    let sim = start().await;
    let (s, n) = control(
        &sim,
        &format!("numbers/{NUMBER_1}"),
        json!({"quality_rating": "RED", "status": "FLAGGED", "throughput": "HIGH"}),
    )
    .await;
    assert_eq!(s, 200, "{n}");
    let (_, _, n) = get(
        &sim,
        &format!("/v23.0/{NUMBER_1}?fields=quality_rating,status,throughput,verified_name"),
        TOKEN,
    )
    .await;
    assert_eq!(n["quality_rating"], "RED");
    assert_eq!(n["status"], "FLAGGED");
    assert_eq!(n["throughput"]["level"], "HIGH");
    assert_eq!(n["verified_name"], "Acme", "other fields are kept");
    let (s, e) = control(
        &sim,
        &format!("numbers/{NUMBER_1}"),
        json!({"colour": "blue"}),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    let (s, _) = control(&sim, &format!("numbers/{NUMBER_1}"), json!({"id": "1"})).await;
    assert_eq!(s, 400, "ids do not change");
    let (s, _) = control(&sim, "numbers/424242", json!({"status": "BANNED"})).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_removed_number_leaves_its_waba_and_an_added_one_appears() {
    let sim = start().await;
    let (s, _) = control(&sim, &format!("numbers/{NUMBER_1}/remove"), json!({})).await;
    assert_eq!(s, 200);
    let (_, _, list) = get(&sim, &format!("/v23.0/{WABA_FR}/phone_numbers"), TOKEN).await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["106540352242923", "106540352242924"]);
    let (s, _, e) = get(&sim, &format!("/v23.0/{NUMBER_1}"), TOKEN).await;
    assert_eq!((s, e["error"]["code"].as_u64()), (400, Some(100)));
    let (s, _) = control(&sim, &format!("wabas/{WABA_FR}/numbers"), json!({"id": "106540352249999", "display_phone_number": "+1 555-010-0009", "status": "CONNECTED"})).await;
    assert_eq!(s, 200);
    let (s, _, n) = get(
        &sim,
        "/v23.0/106540352249999?fields=display_phone_number",
        TOKEN,
    )
    .await;
    assert_eq!(
        (s, n["display_phone_number"].as_str()),
        (200, Some("+1 555-010-0009"))
    );
    let (s, _) = control(
        &sim,
        &format!("wabas/{WABA_FR}/numbers"),
        json!({"id": "106540352249999"}),
    )
    .await;
    assert_eq!(s, 400, "a duplicate id is refused");
}

#[tokio::test]
async fn tokens_expire_revoke_and_restore() {
    let sim = start().await;
    let url = format!("/v23.0/{ACME}");
    let (s, _) = control(&sim, "tokens/expire", json!({"value": TOKEN})).await;
    assert_eq!(s, 200);
    let (s, _, e) = get(&sim, &url, TOKEN).await;
    assert_eq!(
        (
            s,
            e["error"]["code"].as_u64(),
            e["error"]["error_subcode"].as_u64()
        ),
        (401, Some(190), Some(463))
    );
    let (_, _, d) = get(
        &sim,
        &format!("/v23.0/debug_token?input_token={TOKEN}"),
        TOKEN,
    )
    .await;
    assert_eq!(d["data"]["is_valid"], false);
    assert!(d["data"]["expires_at"].as_i64().unwrap() > 0);
    control(&sim, "tokens/restore", json!({"value": TOKEN})).await;
    assert_eq!(get(&sim, &url, TOKEN).await.0, 200);
    let (_, answer) = control(&sim, "tokens/revoke", json!({"value": TOKEN})).await;
    assert!(
        !answer.to_string().contains(TOKEN),
        "the value is never echoed"
    );
    let (s, _, e) = get(&sim, &url, TOKEN).await;
    assert_eq!((s, e["error"]["error_subcode"].as_u64()), (401, Some(460)));
    let (s, _) = control(&sim, "tokens/revoke", json!({"value": "test-token-nobody"})).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn waba_review_status_changes_and_reset_restores_the_world() {
    let sim = start().await;
    let (s, _) = control(
        &sim,
        &format!("wabas/{WABA_FR}"),
        json!({"account_review_status": "REJECTED"}),
    )
    .await;
    assert_eq!(s, 200);
    let fields = "?fields=account_review_status";
    let (_, _, w) = get(&sim, &format!("/v23.0/{WABA_FR}{fields}"), TOKEN).await;
    assert_eq!(w["account_review_status"], "REJECTED");
    let stats = get_control(&sim, "stats").await;
    assert_eq!(stats["http_requests"], 1);
    assert_eq!(stats["by_route"]["waba"], 1);
    let (s, _) = control(&sim, "reset", json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(get_control(&sim, "stats").await["http_requests"], 0);
    assert_eq!(get_control(&sim, "requests").await, json!([]));
    let (_, _, w) = get(&sim, &format!("/v23.0/{WABA_FR}{fields}"), TOKEN).await;
    assert_eq!(w["account_review_status"], "APPROVED");
}

#[tokio::test]
async fn faults_endpoint_sets_one_shot_errors_and_the_log_is_redacted() {
    let sim = start().await;
    let (s, _) = control(
        &sim,
        "faults",
        json!({"fail_next": [{"code": 2}], "rate_limit_budget": 50}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(get_control(&sim, "faults").await["rate_limit_budget"], 50);
    let url = format!("/v23.0/{ACME}?access_token={TOKEN}");
    let r = reqwest::get(format!("{}{url}", sim.url())).await.unwrap();
    assert_eq!(r.status(), 503);
    let r = reqwest::get(format!("{}{url}", sim.url())).await.unwrap();
    assert_eq!(r.status(), 200);
    let log = get_control(&sim, "requests").await;
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert_eq!(log[0]["status"], 503);
    assert_eq!(
        log[1]["path"],
        format!("/v23.0/{ACME}?access_token=REDACTED")
    );
    let (s, e) = control(&sim, "faults", json!({"latency": 5})).await;
    assert_eq!(s, 400, "unknown fault names are refused: {e}");
    let r = reqwest::get(format!("{}/__sim/nothing", sim.url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
