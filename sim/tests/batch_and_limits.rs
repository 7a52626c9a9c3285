//! Batches, the per-WABA budget (80008 and the usage header) and the faults: injected
//! errors, random transient errors, latency, hangs and token echo.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use wacfg_sim::{Faults, InjectedError, Sim};

async fn post_form(sim: &Sim, form: &[(&str, String)], token: &str) -> (u16, Value) {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", wacfg_sim::urlenc::escape(v)))
        .collect::<Vec<_>>()
        .join("&");
    let r = reqwest::Client::new()
        .post(format!("{}/v23.0/", sim.url()))
        .bearer_auth(token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn body_of(item: &Value) -> Value {
    serde_json::from_str(item["body"].as_str().expect("body is a JSON string")).unwrap()
}

#[tokio::test]
async fn batch_answers_each_item_in_order_with_its_own_token() {
    let sim = start().await;
    let batch = json!([
        {"method": "GET", "relative_url": format!("{WABA_FR}?fields=id,name")},
        {"method": "GET", "relative_url": format!("v23.0/{NUMBER_1}?fields=id,quality_rating")},
        {"method": "GET", "relative_url": "203390129340398?access_token=test-token-globex"},
        {"method": "GET", "relative_url": "203390129340398"},
    ]);
    let (status, items) = post_form(&sim, &[("batch", batch.to_string())], TOKEN).await;
    assert_eq!(status, 200, "{items}");
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["code"], 200);
    assert_eq!(body_of(&items[0])["name"], "Acme FR");
    assert_eq!(body_of(&items[1])["quality_rating"], "GREEN");
    assert_eq!(items[2]["code"], 200, "the item's own token wins");
    assert_eq!(body_of(&items[2])["name"], "Globex US");
    assert_eq!(items[3]["code"], 403, "the batch token cannot see Globex");
    assert_eq!(body_of(&items[3])["error"]["code"], 200);
    let headers = items[0]["headers"].as_array().unwrap();
    assert!(
        headers
            .iter()
            .any(|h| h["name"] == "x-business-use-case-usage")
    );
    let stats = sim.stats();
    assert_eq!((stats.http_requests, stats.batch_sub_requests), (1, 4));
    assert_eq!(stats.route_count("batch"), 1);
    assert_eq!(stats.route_count("waba"), 3);
    let log = sim.requests();
    assert_eq!(log.iter().filter(|r| r.in_batch).count(), 4);
    assert!(
        log.iter().all(|r| !r.path.contains("test-token")),
        "{log:?}"
    );
}

#[tokio::test]
async fn batch_accepts_json_and_refuses_more_than_50() {
    let sim = start().await;
    let items: Vec<Value> = (0..3)
        .map(|_| json!({"method": "GET", "relative_url": format!("/v23.0/{ACME}")}))
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{}/v23.0/", sim.url()))
        .bearer_auth(TOKEN)
        .json(&json!({ "batch": items }))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(body_of(&v[2])["name"], "Acme");
    let many: Vec<Value> = (0..51)
        .map(|_| json!({"method": "GET", "relative_url": "me"}))
        .collect();
    let (status, e) = post_form(&sim, &[("batch", json!(many).to_string())], TOKEN).await;
    assert_eq!((status, e["error"]["code"].as_u64()), (400, Some(100)));
    let one = json!([{"method": "GET", "relative_url": "me"}]).to_string();
    let (_, v) = post_form(
        &sim,
        &[("batch", one), ("include_headers", "false".into())],
        TOKEN,
    )
    .await;
    assert!(v[0].get("headers").is_none() && v[0]["code"] == 200, "{v}");
    let (status, e) = post_form(&sim, &[("batch", "[]".into())], "test-token-nobody").await;
    assert_eq!((status, e["error"]["code"].as_u64()), (401, Some(190)));
}

#[tokio::test]
async fn budget_per_waba_answers_80008_with_usage_header() {
    let sim = start_with(Faults {
        rate_limit_budget: Some(3),
        ..Faults::default()
    })
    .await;
    let url = format!("/v23.0/{WABA_FR}/phone_numbers");
    let mut counts = Vec::new();
    for _ in 0..3 {
        let (s, h, _) = get(&sim, &url, TOKEN).await;
        assert_eq!(s, 200);
        let usage: Value =
            serde_json::from_str(h["x-business-use-case-usage"].to_str().unwrap()).unwrap();
        counts.push(usage[WABA_FR][0]["call_count"].as_u64().unwrap());
    }
    assert_eq!(counts, vec![33, 66, 100]);
    let (s, h, e) = get(&sim, &format!("/v23.0/{NUMBER_1}"), TOKEN).await;
    assert_eq!((s, e["error"]["code"].as_u64()), (400, Some(80008)));
    assert_eq!(e["error"]["is_transient"], true);
    let usage: Value =
        serde_json::from_str(h["x-business-use-case-usage"].to_str().unwrap()).unwrap();
    assert!(
        usage[WABA_FR][0]["estimated_time_to_regain_access"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let (s, _, _) = get(&sim, "/v23.0/102290129340399", TOKEN).await;
    assert_eq!(s, 200, "another WABA has its own budget");
    let (s, _, _) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
    assert_eq!(s, 200, "business reads are not charged to a WABA");
    assert_eq!(sim.stats().by_waba.get(WABA_FR), Some(&4));
}

#[tokio::test]
async fn injected_errors_answer_once_then_the_real_thing() {
    let mut busy = InjectedError::code(80008);
    busy.estimated_time_to_regain_access = Some(2);
    busy.retry_after = Some(1);
    let sim = start_with(Faults {
        fail_next: vec![busy, InjectedError::http(503), InjectedError::code(131000)],
        ..Faults::default()
    })
    .await;
    let url = format!("/v23.0/{WABA_FR}");
    let (s, h, e) = get(&sim, &url, TOKEN).await;
    assert_eq!((s, e["error"]["code"].as_u64()), (400, Some(80008)));
    assert_eq!(h["retry-after"], "1");
    assert_eq!(h["facebook-api-version"], "v23.0");
    assert!(
        h["x-business-use-case-usage"]
            .to_str()
            .unwrap()
            .contains("\"estimated_time_to_regain_access\":2")
    );
    let (s, _, e) = get(&sim, &url, TOKEN).await;
    assert_eq!(s, 503);
    assert_eq!(
        e,
        Value::String("Service Unavailable".into()),
        "a bare 503 has no envelope"
    );
    let (s, _, e) = get(&sim, &url, TOKEN).await;
    assert_eq!(
        (
            s,
            e["error"]["code"].as_u64(),
            e["error"]["is_transient"].as_bool()
        ),
        (500, Some(131000), Some(true))
    );
    let (s, _, _) = get(&sim, &url, TOKEN).await;
    assert_eq!(s, 200);
    let errors = sim.stats().errors;
    assert_eq!(
        (errors.get("80008"), errors.get("http-503")),
        (Some(&1), Some(&1))
    );
}

#[tokio::test]
async fn transient_errors_follow_the_rate_and_the_seed() {
    let faults = Faults {
        transient_error_rate: 1.0,
        seed: 42,
        ..Faults::default()
    };
    let sim = start_with(faults.clone()).await;
    let mut seen = Vec::new();
    for _ in 0..12 {
        let (s, _, _) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
        seen.push(s);
    }
    assert!(seen.iter().all(|s| *s == 503 || *s == 500), "{seen:?}");
    assert!(
        seen.contains(&500) && seen.contains(&503),
        "all kinds appear: {seen:?}"
    );
    sim.set_faults(faults);
    let mut again = Vec::new();
    for _ in 0..12 {
        again.push(get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await.0);
    }
    assert_eq!(seen, again, "the same seed replays the same faults");
    sim.set_faults(Faults {
        transient_error_rate: 0.0,
        ..Faults::default()
    });
    assert_eq!(get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await.0, 200);
}

#[tokio::test]
async fn latency_is_per_http_request_and_hang_outlasts_the_client() {
    let sim = start_with(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    })
    .await;
    let t = Instant::now();
    get(&sim, "/v23.0/me", TOKEN).await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    let batch: Vec<Value> = (0..5)
        .map(|_| json!({"method": "GET", "relative_url": "me"}))
        .collect();
    let t = Instant::now();
    post_form(&sim, &[("batch", json!(batch).to_string())], TOKEN).await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_millis(600),
        "{took:?}"
    );
    sim.set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let r = reqwest::Client::new()
        .get(format!("{}/v23.0/me", sim.url()))
        .bearer_auth(TOKEN)
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(r.expect_err("the request hangs").is_timeout());
}

#[tokio::test]
async fn echoed_tokens_appear_in_error_messages_but_never_in_the_log() {
    let sim = start_with(Faults {
        echo_token_in_errors: true,
        ..Faults::default()
    })
    .await;
    let (s, _, e) = get(&sim, "/v23.0/31337", TOKEN).await;
    assert_eq!(s, 400);
    assert!(e["error"]["message"].as_str().unwrap().contains(TOKEN));
    let (_, _, ok) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
    assert!(!ok.to_string().contains(TOKEN), "successes do not echo");
    let log = serde_json::to_string(&sim.requests()).unwrap();
    let stats = serde_json::to_string(&sim.stats()).unwrap();
    assert!(!log.contains(TOKEN) && !stats.contains(TOKEN));
}

#[test]
fn start_blocking_serves_synchronous_callers() {
    let sim = Sim::start_blocking(example_world(), Faults::default()).expect("starts");
    let url = sim.url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/v23.0/{ACME}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    assert_eq!(sim.stats().http_requests, 1);
    drop(sim);
    let after = rt.block_on(reqwest::get(format!("{url}/v23.0/me")));
    assert!(after.is_err(), "dropping the Sim stops the server");
}

#[tokio::test]
async fn dropping_an_async_sim_stops_serving() {
    let sim = start().await;
    let url = format!("{}/v23.0/me", sim.url());
    assert_eq!(get(&sim, "/v23.0/me", TOKEN).await.0, 200);
    drop(sim);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        reqwest::get(&url).await.is_err(),
        "no new connections after drop"
    );
}
