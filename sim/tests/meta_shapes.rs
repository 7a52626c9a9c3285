//! What Meta sends that the simulator must be able to send too: node IDs always, `status` on
//! phone number rows, the newer number fields, per-item errors inside a batch with their own
//! headers, Meta's user-facing error fields, usage headers on business reads, and (as faults)
//! the off-document shapes a client must survive.

mod common;

use common::*;
use serde_json::{Value, json};
use wacfg_sim::{Faults, InjectedError, Malformed, Sim};

async fn batch(sim: &Sim, urls: &[String]) -> Value {
    let items: Vec<Value> = urls
        .iter()
        .map(|u| json!({"method": "GET", "relative_url": u}))
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{}/v23.0/", sim.url()))
        .bearer_auth(TOKEN)
        .form(&[("batch", Value::Array(items).to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

fn header<'a>(item: &'a Value, name: &str) -> Option<&'a str> {
    item["headers"].as_array()?.iter().find(|h| {
        h["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })?["value"]
        .as_str()
}

#[tokio::test]
async fn nodes_always_carry_their_id_and_number_rows_their_status() {
    let sim = start().await;
    let (_, _, waba) = get(&sim, &format!("/v23.0/{WABA_FR}?fields=name"), TOKEN).await;
    assert_eq!(waba["id"], WABA_FR, "{waba}");
    let (_, _, number) = get(&sim, &format!("/v23.0/{NUMBER_1}?fields=status"), TOKEN).await;
    assert_eq!(number["id"], NUMBER_1, "{number}");
    let (_, _, rows) = get(&sim, &format!("/v23.0/{WABA_FR}/phone_numbers"), TOKEN).await;
    for row in rows["data"].as_array().unwrap() {
        assert!(
            row["status"].is_string(),
            "a default row has its status: {row}"
        );
    }
}

#[tokio::test]
async fn metas_newer_number_fields_and_status_linked_are_served() {
    let sim = start().await;
    sim.mutate(|w| {
        let n = w.number_mut(NUMBER_1).unwrap();
        n.status = Some("LINKED".into());
        n.host_platform = Some("CLOUD_API".into());
        n.username = Some("acme".into());
        n.unified_cert_status = Some("APPROVED".into());
    });
    let (status, _, n) = get(
        &sim,
        &format!("/v23.0/{NUMBER_1}?fields=status,host_platform,username,unified_cert_status"),
        TOKEN,
    )
    .await;
    assert_eq!(status, 200, "{n}");
    assert_eq!(
        (
            &n["status"],
            &n["host_platform"],
            &n["username"],
            &n["unified_cert_status"]
        ),
        (
            &json!("LINKED"),
            &json!("CLOUD_API"),
            &json!("acme"),
            &json!("APPROVED")
        )
    );
}

#[tokio::test]
async fn a_batch_item_answers_its_injected_error_with_its_own_headers() {
    let sim = start_with(Faults {
        fail_batch_items: vec![InjectedError {
            retry_after: Some(2),
            estimated_time_to_regain_access: Some(5),
            ..InjectedError::code(80008)
        }],
        ..Faults::default()
    })
    .await;
    let answers = batch(
        &sim,
        &[format!("{ACME}?fields=id"), format!("{ACME}?fields=id")],
    )
    .await;
    let first = &answers[0];
    assert_eq!(first["code"], 400, "{first}");
    assert_eq!(header(first, "retry-after"), Some("2"), "{first}");
    let usage = header(first, "x-business-use-case-usage").expect("usage header");
    assert!(
        usage.contains("\"estimated_time_to_regain_access\":5"),
        "{usage}"
    );
    let body: Value = serde_json::from_str(first["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 80008);
    assert_eq!(answers[1]["code"], 200, "only the next item fails");
    assert!(sim.faults().fail_batch_items.is_empty());
}

#[tokio::test]
async fn injected_errors_carry_metas_user_facing_fields() {
    let sim = start_with(Faults {
        fail_next: vec![InjectedError {
            error_user_title: Some("Invalid parameter".into()),
            error_user_msg: Some("The display name is too long.".into()),
            error_data_details: Some("verified_name must be at most 30 characters".into()),
            ..InjectedError::code(100)
        }],
        ..Faults::default()
    })
    .await;
    let (status, _, body) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
    assert_eq!(status, 400);
    let e = &body["error"];
    assert_eq!(e["error_user_title"], "Invalid parameter");
    assert_eq!(e["error_user_msg"], "The display name is too long.");
    assert_eq!(
        e["error_data"]["details"],
        "verified_name must be at most 30 characters"
    );
}

#[tokio::test]
async fn business_reads_carry_a_usage_header_when_asked() {
    let sim = start().await;
    let (_, headers, _) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
    assert!(headers.get("x-business-use-case-usage").is_none());
    sim.set_faults(Faults {
        business_usage_percent: Some(95),
        ..Faults::default()
    });
    let (_, headers, _) = get(&sim, &format!("/v23.0/{ACME}"), TOKEN).await;
    let usage: Value =
        serde_json::from_str(headers["x-business-use-case-usage"].to_str().unwrap()).unwrap();
    assert_eq!(usage[ACME][0]["call_count"], 95, "{usage}");
}

#[tokio::test]
async fn off_document_shapes_are_served_as_faults() {
    let sim = start_with(Faults {
        malformed: Malformed {
            numeric_ids: true,
            null_empty_edges: true,
            bare_array_edges: true,
            wrongly_typed_fields: vec!["quality_rating".into()],
            wrongly_typed_numbers: vec![NUMBER_1.into()],
        },
        ..Faults::default()
    })
    .await;
    sim.mutate(|w| w.waba_mut(WABA_CLIENT).unwrap().phone_numbers.clear());
    let (status, _, b) = get(
        &sim,
        &format!(
            "/v23.0/{ACME}?fields=id,owned_whatsapp_business_accounts{{id,phone_numbers{{id,quality_rating}}}},client_whatsapp_business_accounts{{id,phone_numbers{{id}}}}"
        ),
        TOKEN,
    )
    .await;
    assert_eq!(status, 200, "{b}");
    assert!(b["id"].is_u64(), "{b}");
    let owned = b["owned_whatsapp_business_accounts"]
        .as_array()
        .expect("a bare array");
    let fr = owned
        .iter()
        .find(|w| w["id"] == json!(WABA_FR.parse::<u64>().unwrap()))
        .unwrap();
    let numbers = fr["phone_numbers"].as_array().expect("a bare array");
    let n1 = numbers
        .iter()
        .find(|n| n["id"] == json!(NUMBER_1.parse::<u64>().unwrap()))
        .unwrap();
    assert!(n1["quality_rating"].is_object(), "{n1}");
    let client = &b["client_whatsapp_business_accounts"][0];
    assert_eq!(client["phone_numbers"], json!({"data": null}), "{client}");
    let (_, _, none) = get(
        &sim,
        &format!("/v23.0/{ACME}?fields=owned_whatsapp_business_accounts.limit(1){{id}}"),
        TOKEN,
    )
    .await;
    assert!(
        none["owned_whatsapp_business_accounts"].is_object(),
        "an edge on several pages keeps its paging: {none}"
    );
}
