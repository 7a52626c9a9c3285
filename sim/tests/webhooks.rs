//! Webhook subscriptions: the `subscribed_apps` edge (GET, POST, DELETE), number overrides
//! through `POST /{phone-number-id}`, callback verification against a real loopback server,
//! the write pipeline (permissions, budget, faults, counting), the world keys and the
//! control endpoints.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use wacfg_sim::{Faults, InjectedError, Sim, World};

fn apps(waba: &str) -> String {
    format!("/v23.0/{waba}/subscribed_apps")
}

async fn subscriptions(sim: &Sim, waba: &str) -> Value {
    let (status, _, body) = get(sim, &apps(waba), TOKEN).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn hooks_state(sim: &Sim) -> Value {
    reqwest::get(format!("{}/__sim/webhooks", sim.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn waba_state<'a>(state: &'a Value, id: &str) -> &'a Value {
    state["wabas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == id)
        .expect("the WABA is listed")
}

fn digest(token: &str) -> String {
    wacfg_sim::callback::token_digest(token)
}

fn config(uri: &str, token: &str) -> String {
    json!({ "override_callback_uri": uri, "verify_token": token }).to_string()
}

async fn subscribe(sim: &Sim, waba: &str) {
    let (status, _, body) = write(sim, "POST", &apps(waba), &[], TOKEN).await;
    assert_eq!((status, body), (200, json!({ "success": true })));
}

#[tokio::test]
async fn bare_post_subscribes_the_app_and_get_lists_it_nested() {
    let sim = start().await;
    assert_eq!(subscriptions(&sim, WABA_FR).await, json!({ "data": [] }));
    subscribe(&sim, WABA_FR).await;
    assert_eq!(
        subscriptions(&sim, WABA_FR).await,
        json!({ "data": [{ "whatsapp_business_api_data": {
            "id": "1000000000000001",
            "link": "https://www.facebook.com/games/?app_id=1000000000000001",
            "name": "wacfg-sim",
        }}]})
    );
    let stats = sim.stats();
    assert_eq!(stats.route_count("POST subscribed_apps"), 1);
    assert_eq!(stats.route_count("subscribed_apps"), 2);
    assert_eq!(stats.route_count("DELETE subscribed_apps"), 0);
    assert_eq!(
        stats.by_waba[WABA_FR], 3,
        "writes spend the WABA's budget too"
    );
}

#[tokio::test]
async fn waba_override_is_verified_on_loopback_and_stored_without_its_token() {
    let sim = start().await;
    let hook = callback_server(Hook::Echo("s3cret".into())).await;
    let form = [
        ("override_callback_uri", hook.url.as_str()),
        ("verify_token", "s3cret"),
    ];
    let (status, headers, body) = write(&sim, "POST", &apps(WABA_FR), &form, TOKEN).await;
    assert_eq!((status, body), (200, json!({ "success": true })));
    assert!(headers.contains_key("x-business-use-case-usage"));
    let calls = hook.calls();
    assert_eq!(calls.len(), 1, "one verification GET");
    let q = |k: &str| {
        calls[0]
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(q("hub.mode").as_deref(), Some("subscribe"));
    assert_eq!(q("hub.verify_token").as_deref(), Some("s3cret"));
    assert!(q("hub.challenge").is_some_and(|c| !c.is_empty()));

    let list = subscriptions(&sim, WABA_FR).await;
    assert_eq!(list["data"][0]["override_callback_uri"], hook.url.as_str());
    assert!(!list.to_string().contains("s3cret"), "write-only token");
    let state = hooks_state(&sim).await;
    assert!(!state.to_string().contains("s3cret"));
    let w = waba_state(&state, WABA_FR);
    assert_eq!(w["subscribed"], true);
    assert_eq!(w["override_callback_uri"], hook.url.as_str());
    assert_eq!(w["verify_token_sha256"], digest("s3cret"));
}

#[tokio::test]
async fn repost_replaces_the_override_and_a_bare_post_clears_it() {
    let sim = start().await;
    let first = [
        ("override_callback_uri", "https://hooks.example.com/a"),
        ("verify_token", "one"),
    ];
    let (status, _, _) = write(&sim, "POST", &apps(WABA_FR), &first, TOKEN).await;
    assert_eq!(status, 200);
    let second = [
        ("override_callback_uri", "https://hooks.example.com/b"),
        ("verify_token", "two"),
    ];
    let (status, _, _) = write(&sim, "POST", &apps(WABA_FR), &second, TOKEN).await;
    assert_eq!(status, 200);
    let list = subscriptions(&sim, WABA_FR).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "replaced in place"
    );
    assert_eq!(
        list["data"][0]["override_callback_uri"],
        "https://hooks.example.com/b"
    );
    let state = hooks_state(&sim).await;
    assert_eq!(
        waba_state(&state, WABA_FR)["verify_token_sha256"],
        digest("two"),
        "the rotation reached Meta"
    );
    subscribe(&sim, WABA_FR).await;
    let list = subscriptions(&sim, WABA_FR).await;
    assert!(list["data"][0].get("override_callback_uri").is_none());
    assert!(list["data"][0]["whatsapp_business_api_data"].is_object());
}

#[tokio::test]
async fn remote_hosts_are_accepted_without_a_call_and_parameters_come_in_pairs() {
    let sim = start().await;
    let url = format!(
        "{}?override_callback_uri={}&verify_token=t",
        apps(WABA_FR),
        wacfg_sim::urlenc::escape("https://hooks.example.com/wa")
    );
    let (status, _, body) = write(&sim, "POST", &url, &[], TOKEN).await;
    assert_eq!(
        (status, body),
        (200, json!({ "success": true })),
        "query parameters work"
    );
    for form in [
        vec![("override_callback_uri", "https://hooks.example.com/x")],
        vec![("verify_token", "t")],
        vec![
            ("override_callback_uri", "not a url"),
            ("verify_token", "t"),
        ],
    ] {
        let (status, _, body) = write(&sim, "POST", &apps(WABA_FR), &form, TOKEN).await;
        assert_eq!(status, 400, "{form:?}: {body}");
        assert_eq!(body["error"]["code"], 100);
        assert_eq!(body["error"]["type"], "OAuthException");
    }
    let (_, _, body) = write(
        &sim,
        "POST",
        &apps(WABA_FR),
        &[("override_callback_uri", "https://hooks.example.com/x")],
        TOKEN,
    )
    .await;
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("verify_token"), "{msg}");
    let list = subscriptions(&sim, WABA_FR).await;
    assert_eq!(
        list["data"][0]["override_callback_uri"], "https://hooks.example.com/wa",
        "refused writes change nothing"
    );
}

async fn assert_verification_fails(hook: Hook, want: &str) {
    let sim = start().await;
    let server = callback_server(hook).await;
    let form = [
        ("override_callback_uri", server.url.as_str()),
        ("verify_token", "s3cret"),
    ];
    let (status, _, body) = write(&sim, "POST", &apps(WABA_FR), &form, TOKEN).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], 2200);
    assert_eq!(body["error"]["type"], "OAuthException");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("Callback verification failed with the following errors")
            && msg.contains(want),
        "{msg}"
    );
    assert_eq!(server.calls().len(), 1);
    assert_eq!(
        subscriptions(&sim, WABA_FR).await,
        json!({ "data": [] }),
        "nothing changed"
    );
}

#[tokio::test]
async fn verification_fails_on_a_wrong_token_status_or_challenge() {
    assert_verification_fails(Hook::Echo("other".into()), "HTTP Status Code = 403").await;
    assert_verification_fails(Hook::Fixed(500, "oops".into()), "HTTP Status Code = 500").await;
    assert_verification_fails(
        Hook::Fixed(200, "not-the-challenge".into()),
        "does not match the challenge",
    )
    .await;
}

#[tokio::test]
async fn an_unreachable_loopback_callback_fails_verification() {
    let sim = start().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://localhost:{port}/hook");
    let form = [
        ("override_callback_uri", url.as_str()),
        ("verify_token", "t"),
    ];
    let (status, _, body) = write(&sim, "POST", &apps(WABA_FR), &form, TOKEN).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], 2200);
}

#[tokio::test]
async fn delete_unsubscribes_even_when_not_subscribed() {
    let sim = start().await;
    subscribe(&sim, WABA_FR).await;
    for _ in 0..2 {
        let (status, _, body) = write(&sim, "DELETE", &apps(WABA_FR), &[], TOKEN).await;
        assert_eq!((status, body), (200, json!({ "success": true })));
        assert_eq!(subscriptions(&sim, WABA_FR).await, json!({ "data": [] }));
    }
    assert_eq!(sim.stats().route_count("DELETE subscribed_apps"), 2);
}

#[tokio::test]
async fn a_number_override_needs_the_waba_subscription_first() {
    let sim = start().await;
    let hook = callback_server(Hook::Echo("n-token".into())).await;
    let node = format!("/v23.0/{NUMBER_1}");
    let cfg = config(&hook.url, "n-token");
    let form = [("webhook_configuration", cfg.as_str())];
    let (status, _, body) = write(&sim, "POST", &node, &form, TOKEN).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], 100);
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("must be subscribed"), "{msg}");
    assert!(
        hook.calls().is_empty(),
        "no verification before the order is right"
    );

    subscribe(&sim, WABA_FR).await;
    let (status, _, body) = write(&sim, "POST", &node, &form, TOKEN).await;
    assert_eq!((status, body), (200, json!({ "success": true })));
    assert_eq!(hook.calls().len(), 1);
    let (_, _, n) = get(
        &sim,
        &format!("{node}?fields=id,webhook_configuration"),
        TOKEN,
    )
    .await;
    assert_eq!(
        n["webhook_configuration"],
        json!({ "phone_number": hook.url })
    );
    assert!(!n.to_string().contains("n-token"));
    let state = hooks_state(&sim).await;
    assert_eq!(
        state["numbers"],
        json!([{ "id": NUMBER_1, "waba_id": WABA_FR, "override_callback_uri": hook.url,
                 "verify_token_sha256": digest("n-token") }])
    );
    assert_eq!(sim.stats().route_count("POST phone_number"), 2);

    let off = config("", "");
    let (status, _, _) = write(
        &sim,
        "POST",
        &node,
        &[("webhook_configuration", &off)],
        TOKEN,
    )
    .await;
    assert_eq!(status, 200);
    let (_, _, n) = get(
        &sim,
        &format!("{node}?fields=id,webhook_configuration"),
        TOKEN,
    )
    .await;
    assert!(n.get("webhook_configuration").is_none(), "{n}");
    assert_eq!(hooks_state(&sim).await["numbers"], json!([]));
}

#[tokio::test]
async fn a_number_override_also_comes_as_a_json_body() {
    let sim = start().await;
    subscribe(&sim, WABA_FR).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/v23.0/{NUMBER_1}", sim.url()))
        .bearer_auth(TOKEN)
        .json(&json!({ "webhook_configuration": {
            "override_callback_uri": "https://hooks.example.com/n", "verify_token": "t" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let state = hooks_state(&sim).await;
    assert_eq!(
        state["numbers"][0]["override_callback_uri"],
        "https://hooks.example.com/n"
    );
}

#[tokio::test]
async fn bad_write_bodies_are_code_100() {
    let sim = start().await;
    subscribe(&sim, WABA_FR).await;
    let node = format!("/v23.0/{NUMBER_1}");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("webhook_configuration", "not json")],
        vec![("webhook_configuration", "[1]")],
        vec![("webhook_configuration", r#"{"verify_token":"t"}"#)],
        vec![("webhook_configuration", r#"{"override_callback_uri":7}"#)],
        vec![(
            "webhook_configuration",
            r#"{"override_callback_uri":"https://x.example","colour":1}"#,
        )],
        vec![(
            "webhook_configuration",
            r#"{"override_callback_uri":"https://x.example"}"#,
        )],
        vec![(
            "webhook_configuration",
            r#"{"override_callback_uri":"ftp://x","verify_token":"t"}"#,
        )],
    ];
    for form in cases {
        let (status, _, body) = write(&sim, "POST", &node, &form, TOKEN).await;
        assert_eq!(status, 400, "{form:?}: {body}");
        assert_eq!(body["error"]["code"], 100, "{form:?}: {body}");
    }
    let resp = reqwest::Client::new()
        .post(format!("{}{node}", sim.url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], 100);
    assert_eq!(hooks_state(&sim).await["numbers"], json!([]));
}

#[tokio::test]
async fn writes_check_token_permission_and_ids_like_reads() {
    let sim = start().await;
    let globex_waba = "203390129340398";
    let (status, _, body) = write(&sim, "POST", &apps(globex_waba), &[], TOKEN).await;
    assert_eq!((status, body["error"]["code"].clone()), (403, json!(200)));
    let (status, _, body) = write(&sim, "POST", &apps("999999"), &[], TOKEN).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(100)));
    let (status, _, body) = write(&sim, "DELETE", &apps(WABA_FR), &[], "test-token-nobody").await;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!(190)));
    let (status, _, body) = write(
        &sim,
        "POST",
        &format!("/v23.0/{WABA_FR}/colours"),
        &[],
        TOKEN,
    )
    .await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(100)));
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("Unsupported post request"), "{msg}");
    let (status, _, _) = write(&sim, "POST", &apps(WABA_FR), &[], "test-token-globex").await;
    assert_eq!(status, 403);
    assert_eq!(subscriptions(&sim, WABA_FR).await, json!({ "data": [] }));
}

#[tokio::test]
async fn faults_apply_to_writes() {
    let sim = start_with(Faults {
        fail_next: vec![InjectedError::code(80008)],
        ..Faults::default()
    })
    .await;
    let (status, _, body) = write(&sim, "POST", &apps(WABA_FR), &[], TOKEN).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(80008)));
    assert_eq!(
        subscriptions(&sim, WABA_FR).await,
        json!({ "data": [] }),
        "not applied"
    );

    sim.reset(); // the reads above spent the budget's window
    sim.set_faults(Faults {
        rate_limit_budget: Some(1),
        ..Faults::default()
    });
    subscribe(&sim, WABA_FR).await;
    let (status, headers, body) = write(&sim, "DELETE", &apps(WABA_FR), &[], TOKEN).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(80008)));
    assert!(headers.contains_key("x-business-use-case-usage"));

    sim.set_faults(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    });
    let t = Instant::now();
    let (status, _, _) = write(&sim, "DELETE", &apps(WABA_FR), &[], TOKEN).await;
    assert_eq!(status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(sim.stats().errors["80008"], 1);
}

#[tokio::test]
async fn field_expansion_embeds_subscribed_apps_and_webhook_configuration() {
    let mut world = example_world();
    world.app.callback_url = Some("https://app.example.com/wa".into());
    let sim = Sim::start(world, Faults::default()).await.unwrap();
    let form = [
        ("override_callback_uri", "https://hooks.example.com/waba"),
        ("verify_token", "t"),
    ];
    write(&sim, "POST", &apps(WABA_FR), &form, TOKEN).await;
    let fields = "owned_whatsapp_business_accounts{id,name,account_review_status,subscribed_apps{whatsapp_business_api_data,override_callback_uri},phone_numbers{id,webhook_configuration}},client_whatsapp_business_accounts{id,subscribed_apps}";
    let (status, _, b) = get(&sim, &format!("/v23.0/{ACME}?fields={fields}"), TOKEN).await;
    assert_eq!(status, 200, "{b}");
    let owned = &b["owned_whatsapp_business_accounts"]["data"];
    let fr = &owned[0];
    assert_eq!(fr["id"], WABA_FR);
    assert_eq!(
        fr["subscribed_apps"]["data"][0]["override_callback_uri"],
        "https://hooks.example.com/waba"
    );
    assert_eq!(
        fr["subscribed_apps"]["data"][0]["whatsapp_business_api_data"]["id"],
        "1000000000000001"
    );
    assert_eq!(
        fr["phone_numbers"]["data"][0]["webhook_configuration"],
        json!({ "application": "https://app.example.com/wa",
                "whatsapp_business_account": "https://hooks.example.com/waba" })
    );
    assert_eq!(owned[1]["subscribed_apps"], json!({ "data": [] }));
    assert_eq!(
        b["client_whatsapp_business_accounts"]["data"][0]["subscribed_apps"],
        json!({ "data": [] })
    );
    let (status, _, w) = get(
        &sim,
        &format!("/v23.0/{WABA_FR}?fields=subscribed_apps{{whatsapp_business_api_data{{name}}}}"),
        TOKEN,
    )
    .await;
    assert_eq!(status, 200, "{w}");
    assert_eq!(
        w["subscribed_apps"],
        json!({ "data": [{ "whatsapp_business_api_data": { "name": "wacfg-sim" } }] })
    );
    let (status, _, e) = get(
        &sim,
        &format!("/v23.0/{WABA_FR}?fields=subscribed_apps{{colour}}"),
        TOKEN,
    )
    .await;
    assert_eq!((status, e["error"]["code"].clone()), (400, json!(100)));
}

#[tokio::test]
async fn writes_run_inside_batches_and_tokens_never_reach_the_log() {
    let sim = start().await;
    let batch = json!([
        {"method": "POST", "relative_url": format!("{WABA_FR}/subscribed_apps"),
         "body": "override_callback_uri=https%3A%2F%2Fhooks.example.com%2Fb&verify_token=batch-secret"},
        {"method": "GET", "relative_url": format!("{WABA_FR}/subscribed_apps")},
    ]);
    let (status, _, items) = write(
        &sim,
        "POST",
        "/v23.0/",
        &[("batch", &batch.to_string())],
        TOKEN,
    )
    .await;
    assert_eq!(status, 200, "{items}");
    assert_eq!(items[0]["code"], 200);
    let listed: Value = serde_json::from_str(items[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        listed["data"][0]["override_callback_uri"],
        "https://hooks.example.com/b"
    );
    assert_eq!(sim.stats().route_count("POST subscribed_apps"), 1);

    let url = format!(
        "{}?override_callback_uri=https%3A%2F%2Fhooks.example.com%2Fq&verify_token=query-secret",
        apps(WABA_FR)
    );
    write(&sim, "POST", &url, &[], TOKEN).await;
    let log = serde_json::to_string(&sim.requests()).unwrap();
    assert!(
        !log.contains("query-secret") && !log.contains("batch-secret"),
        "{log}"
    );
}

const SEEDED: &str = r#"
app: {id: "1999999999999999", name: Acme hooks, callback_url: "https://app.example.com/wa"}
tokens:
  - value: t
    scopes: [whatsapp_business_management, business_management]
    businesses: ["1"]
businesses:
  - id: "1"
    name: B
    owned_whatsapp_business_accounts:
      - id: "10"
        name: W
        subscribed: true
        webhook_override: {override_callback_uri: "https://hooks.example.com/w", verify_token: seeded}
        phone_numbers:
          - id: "100"
            webhook_override: {override_callback_uri: "https://hooks.example.com/n"}
"#;

#[tokio::test]
async fn the_world_file_seeds_the_app_and_existing_subscriptions() {
    let sim = Sim::start(World::from_yaml(SEEDED).unwrap(), Faults::default())
        .await
        .unwrap();
    let (_, _, list) = get(&sim, "/v23.0/10/subscribed_apps", "t").await;
    assert_eq!(
        list,
        json!({ "data": [{
            "whatsapp_business_api_data": { "id": "1999999999999999",
                "link": "https://www.facebook.com/games/?app_id=1999999999999999", "name": "Acme hooks" },
            "override_callback_uri": "https://hooks.example.com/w" }] })
    );
    let (_, _, n) = get(&sim, "/v23.0/100?fields=webhook_configuration", "t").await;
    assert_eq!(
        n["webhook_configuration"],
        json!({ "application": "https://app.example.com/wa",
                "whatsapp_business_account": "https://hooks.example.com/w",
                "phone_number": "https://hooks.example.com/n" })
    );
    let state = hooks_state(&sim).await;
    assert_eq!(state["app"]["id"], "1999999999999999");
    assert_eq!(
        waba_state(&state, "10")["verify_token_sha256"],
        digest("seeded")
    );
    assert_eq!(state["numbers"][0]["verify_token_sha256"], Value::Null);

    let unsubscribed = SEEDED.replace("subscribed: true", "subscribed: false");
    let err = World::from_yaml(&unsubscribed).unwrap_err().to_string();
    assert!(err.contains("subscribed: true"), "{err}");
}

#[tokio::test]
async fn control_endpoints_change_subscriptions_out_of_band() {
    let sim = start().await;
    let path = format!("wabas/{WABA_FR}/subscription");
    let (s, v) = control(
        &sim,
        &path,
        json!({"override_callback_uri": "https://elsewhere.example.com/x", "verify_token": "drift"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["verify_token_sha256"], digest("drift"));
    assert!(!v.to_string().contains("\"drift\""));
    let list = subscriptions(&sim, WABA_FR).await;
    assert_eq!(
        list["data"][0]["override_callback_uri"],
        "https://elsewhere.example.com/x"
    );
    assert_eq!(
        sim.stats().route_count("POST subscribed_apps"),
        0,
        "control is not counted"
    );

    let (s, v) = control(
        &sim,
        &format!("numbers/{NUMBER_1}/webhook"),
        json!({"override_callback_uri": "https://elsewhere.example.com/n", "verify_token": "nt"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["waba_id"], WABA_FR);
    let (s, _) = control(&sim, &path, json!({"subscribed": false})).await;
    assert_eq!(s, 200);
    assert_eq!(subscriptions(&sim, WABA_FR).await, json!({ "data": [] }));
    let (s, _) = control(
        &sim,
        &path,
        json!({"subscribed": false, "override_callback_uri": "https://x.example"}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = control(&sim, "wabas/424242/subscription", json!({})).await;
    assert_eq!(s, 404);
    let (s, _) = control(&sim, &path, json!({"colour": 1})).await;
    assert_eq!(s, 400);
    // The merge endpoint may set overrides too, and answers only the digest.
    let (s, v) = control(&sim, &format!("numbers/{NUMBER_1}"),
        json!({"webhook_override": {"override_callback_uri": "https://m.example", "verify_token": "merged"}})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["webhook_override"]["verify_token_sha256"],
        digest("merged")
    );
    assert!(!v.to_string().contains("\"merged\""));
}
