//! The Graph API client against the simulator (started in-process on 127.0.0.1:0): reads,
//! every error class, retries, timeouts, paging, raw enum values and token scrubbing.

use std::time::{Duration, Instant};

use wacfg::model::observed::WabaOwnership;
use wacfg::remote::{Client, ClientConfig, RemoteError, RetryPolicy, Token, TokenReads};
use wacfg_sim::{Faults, InjectedError, Sim, World};

const ACME: &str = "1234567890123456";
const GLOBEX: &str = "2234567890123456";
const TOKEN: &str = "test-token-acme";

fn number_yaml(id: &str, digits_tail: u32, quality: &str) -> String {
    format!(
        "          - id: \"{id}\"
            display_phone_number: \"+1 555-010-{digits_tail:04}\"
            verified_name: Acme
            quality_rating: {quality}
            throughput: STANDARD
            status: CONNECTED
            name_status: APPROVED
            code_verification_status: VERIFIED
            messaging_limit_tier: TIER_1K
            platform_type: CLOUD_API
"
    )
}

/// Acme: one owned WABA with `numbers` numbers (the first one's quality is `quality`) and one
/// client WABA; Globex: visible to no token.
fn world(numbers: u32, quality: &str) -> World {
    let mut owned_numbers = String::new();
    for i in 0..numbers {
        let q = if i == 0 { quality } else { "GREEN" };
        owned_numbers.push_str(&number_yaml(&format!("1065403522{i:05}"), i + 1, q));
    }
    let yaml = format!(
        "tokens:
  - value: {TOKEN}
    scopes: [whatsapp_business_management, whatsapp_business_messaging, business_management]
    businesses: [\"{ACME}\"]
  - value: test-token-expired
    expires_at: 2020-01-01T00:00:00Z
    scopes: [whatsapp_business_management]
    businesses: [\"{ACME}\"]
businesses:
  - id: \"{ACME}\"
    name: Acme
    owned_whatsapp_business_accounts:
      - id: \"102290129340398\"
        name: Acme FR
        account_review_status: APPROVED
        phone_numbers:
{owned_numbers}    client_whatsapp_business_accounts:
      - id: \"102290129340399\"
        name: Partner DE
        account_review_status: PENDING
        phone_numbers:
{client}  - id: \"{GLOBEX}\"
    name: Globex
",
        client = number_yaml("206540352242922", 9999, "YELLOW"),
    );
    World::from_yaml(&yaml).expect("test world is valid")
}

fn config(sim: &Sim) -> ClientConfig {
    let mut cfg = ClientConfig::from_parts(&sim.url(), None, "v23.0", 8);
    cfg.request_timeout = Duration::from_millis(400);
    cfg.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        deadline: Duration::from_secs(10),
    };
    cfg
}

async fn start(world: World, faults: Faults) -> (Sim, Client) {
    let sim = Sim::start(world, faults).await.expect("sim starts");
    let client = Client::new(config(&sim)).expect("client builds");
    (sim, client)
}

fn faults_failing(errors: Vec<InjectedError>) -> Faults {
    Faults {
        fail_next: errors,
        ..Faults::default()
    }
}

#[tokio::test]
async fn observe_reads_token_and_business_in_one_batch() {
    let (sim, client) = start(world(2, "GREEN"), Faults::default()).await;
    let token = Token::new(TOKEN);
    let reads = [TokenReads {
        token: token.clone(),
        business_ids: vec![ACME.into(), GLOBEX.into()],
    }];
    let observed = client.observe(&reads).await;
    let t = observed.tokens[&token.fingerprint()].as_ref().unwrap();
    assert!(t.valid);
    assert_eq!(t.business_ids, [ACME]);
    assert!(
        t.scopes
            .contains(&"whatsapp_business_messaging".to_string())
    );
    let acme = observed.businesses[ACME].as_ref().unwrap();
    assert_eq!(acme.name, "Acme");
    let owned = &acme.wabas["102290129340398"];
    assert_eq!(owned.ownership, WabaOwnership::Owned);
    assert_eq!(owned.phone_numbers.len(), 2);
    let n = owned
        .number_by_digits("15550100001")
        .expect("digits filled");
    assert_eq!(n.throughput_level.as_deref(), Some("STANDARD"));
    assert_eq!(n.messaging_limit.as_deref(), Some("TIER_1K"));
    let client_waba = &acme.wabas["102290129340399"];
    assert_eq!(client_waba.ownership, WabaOwnership::Client);
    assert_eq!(
        client_waba.account_review_status.as_deref(),
        Some("PENDING")
    );
    // Globex is not visible to this token: its own error, the rest still read.
    let globex = observed.businesses[GLOBEX].as_ref().unwrap_err();
    assert!(matches!(globex.code, Some(100 | 200)), "{globex:?}");
    assert!(globex.message.contains("hint:"), "{}", globex.message);
    let stats = sim.stats();
    assert_eq!(stats.http_requests, 1, "one batch for one token: {stats:?}");
    assert_eq!(stats.batch_sub_requests, 3);
}

#[tokio::test]
async fn an_expired_token_is_observed_as_invalid_with_its_expiry() {
    let (_sim, client) = start(world(1, "GREEN"), Faults::default()).await;
    let token = Token::new("test-token-expired");
    let observed = client.debug_token(&token).await.unwrap();
    assert!(!observed.valid);
    assert_eq!(observed.expires_at, Some(1_577_836_800));
}

#[tokio::test]
async fn token_error_190_is_not_retried_and_says_to_renew() {
    let (sim, client) = start(world(1, "GREEN"), Faults::default()).await;
    let err = client
        .read_business(&Token::new("test-token-unknown"), ACME)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(190));
    assert!(matches!(err, RemoteError::Graph(_)), "not retried: {err:?}");
    let text = err.to_string();
    assert!(text.contains("token is invalid or expired"), "{text}");
    assert!(text.contains("OAuthException"), "{text}");
    assert_eq!(sim.stats().http_requests, 1);
}

#[tokio::test]
async fn rate_limit_80008_backs_off_then_succeeds() {
    let mut limited = InjectedError::code(80008);
    limited.retry_after = Some(1);
    let (sim, client) = start(world(1, "GREEN"), faults_failing(vec![limited])).await;
    let started = Instant::now();
    let business = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap();
    assert_eq!(business.wabas.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(sim.stats().http_requests, 2);
}

#[tokio::test]
async fn a_burst_of_server_errors_is_retried() {
    let burst = vec![
        InjectedError::http(503),
        InjectedError::code(2),
        InjectedError::code(131000),
    ];
    let (sim, client) = start(world(1, "GREEN"), faults_failing(burst)).await;
    let business = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap();
    assert_eq!(business.id, ACME);
    assert_eq!(sim.stats().http_requests, 4);
}

#[tokio::test]
async fn too_many_server_errors_give_up_saying_what_was_tried() {
    let burst = vec![InjectedError::code(2); 6];
    let (sim, client) = start(world(1, "GREEN"), faults_failing(burst)).await;
    let err = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("gave up after 4 attempts over "), "{text}");
    assert!(text.contains("Graph API error 2"), "{text}");
    assert_eq!(sim.stats().http_requests, 4);
}

#[tokio::test]
async fn a_hanging_server_times_out_retries_then_fails_clearly() {
    let hang = Faults {
        hang: true,
        ..Faults::default()
    };
    let (sim, client) = start(world(1, "GREEN"), hang).await;
    let started = Instant::now();
    let err = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("gave up after 4 attempts"), "{text}");
    assert!(text.contains("no answer within 400 ms"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(sim.stats().http_requests, 4);
}

#[tokio::test]
async fn paging_is_followed_over_three_pages() {
    let (sim, client) = start(world(250, "GREEN"), Faults::default()).await;
    let business = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap();
    let owned = &business.wabas["102290129340398"];
    assert_eq!(owned.phone_numbers.len(), 250);
    assert!(owned.number_by_digits("15550100250").is_some());
    // The expanded read, then two `next` pages of phone numbers.
    assert_eq!(sim.stats().http_requests, 3);
}

#[tokio::test]
async fn unknown_enum_values_are_kept_raw() {
    let (_sim, client) = start(world(1, "ULTRAVIOLET"), Faults::default()).await;
    let business = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap();
    let n = business.wabas["102290129340398"]
        .number_by_digits("15550100001")
        .unwrap();
    assert_eq!(n.quality_rating.as_deref(), Some("ULTRAVIOLET"));
}

#[tokio::test]
async fn a_token_echoed_by_the_server_never_reaches_errors() {
    let secret = "test-token-echo-me";
    let faults = Faults {
        echo_token_in_errors: true,
        fail_next: vec![InjectedError::code(200)],
        ..Faults::default()
    };
    let (sim, client) = start(world(1, "GREEN"), faults).await;
    // The injected error echoes a known token; then an unknown one echoes itself.
    let known = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap_err();
    let unknown = client
        .read_business(&Token::new(secret), ACME)
        .await
        .unwrap_err();
    for (err, value) in [(&known, TOKEN), (&unknown, secret)] {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(value), "token leaked: {shown}");
        assert!(
            shown.contains("REDACTED"),
            "echo was scrubbed, not absent: {shown}"
        );
    }
    let reads = [TokenReads {
        token: Token::new(secret),
        business_ids: vec![ACME.into()],
    }];
    let observed = client.observe(&reads).await;
    let dump = format!("{observed:?} {}", serde_json::to_string(&observed).unwrap());
    assert!(!dump.contains(secret), "token leaked into Observed: {dump}");
    assert!(sim.stats().http_requests >= 3);
}

#[tokio::test]
async fn a_spent_budget_waits_for_meta_not_blindly_and_says_how_long() {
    // Business-level reads are free; the phone-number pages are charged to the WABA, whose
    // budget is spent: Meta asks for minutes, more than the deadline, so the client stops.
    let faults = Faults {
        rate_limit_budget: Some(0),
        ..Faults::default()
    };
    let (sim, client) = start(world(250, "GREEN"), faults).await;
    let started = Instant::now();
    let err = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.code(), Some(80008), "{text}");
    assert!(text.starts_with("gave up after 1 attempt over"), "{text}");
    assert!(text.contains("rate limited by Meta: wait about"), "{text}");
    // Asked once, not hammered: one 80008 answer, and no long sleep on our side.
    assert_eq!(sim.stats().errors.get("80008"), Some(&1), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3), "{text}");
}

#[tokio::test]
async fn a_failed_batch_is_retried_as_a_whole() {
    let faults = faults_failing(vec![InjectedError::http(503)]);
    let (sim, client) = start(world(1, "GREEN"), faults).await;
    let token = Token::new(TOKEN);
    let reads = [TokenReads {
        token: token.clone(),
        business_ids: vec![ACME.into()],
    }];
    let observed = client.observe(&reads).await;
    assert!(observed.tokens[&token.fingerprint()].is_ok());
    assert!(observed.businesses[ACME].is_ok());
    assert_eq!(sim.stats().http_requests, 2);
}

#[tokio::test]
async fn an_unknown_token_fails_its_reads_with_190_without_retrying_each() {
    let (sim, client) = start(world(1, "GREEN"), Faults::default()).await;
    let token = Token::new("test-token-unknown");
    let reads = [TokenReads {
        token: token.clone(),
        business_ids: vec![ACME.into(), GLOBEX.into()],
    }];
    let observed = client.observe(&reads).await;
    let token_err = observed.tokens[&token.fingerprint()].as_ref().unwrap_err();
    assert_eq!(token_err.code, Some(190), "{token_err:?}");
    for id in [ACME, GLOBEX] {
        let err = observed.businesses[id].as_ref().unwrap_err();
        assert_eq!(err.code, Some(190));
        assert!(err.message.contains("renew"), "{}", err.message);
    }
    assert_eq!(sim.stats().http_requests, 1, "{:?}", sim.requests());
}

#[tokio::test]
async fn usage_past_80_percent_slows_the_client_down() {
    // 1,100 numbers: the expanded read holds 100, then ten `next` pages, each charged to the
    // WABA's budget of 10 calls. After the 9th (90%) the client pauses before the 10th.
    let faults = Faults {
        rate_limit_budget: Some(10),
        ..Faults::default()
    };
    let sim = Sim::start(world(1100, "GREEN"), faults).await.unwrap();
    let mut cfg = config(&sim);
    cfg.retry.base_delay = Duration::from_millis(200);
    cfg.retry.max_delay = Duration::from_secs(2);
    let client = Client::new(cfg).unwrap();
    let started = Instant::now();
    let business = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(business.wabas["102290129340398"].phone_numbers.len(), 1100);
    assert_eq!(sim.stats().http_requests, 11);
    // 90% is 10 points over the threshold: 10 × 200 ms / 4 = 500 ms.
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
}

#[tokio::test]
async fn debug_token_urls_are_redacted_in_errors() {
    let hang = Faults {
        hang: true,
        ..Faults::default()
    };
    let (_sim, client) = start(world(1, "GREEN"), hang).await;
    let err = client.debug_token(&Token::new(TOKEN)).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("debug_token?input_token=REDACTED"),
        "{shown}"
    );
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn parallelism_bounds_requests_in_flight() {
    let slow = Faults {
        latency: Duration::from_millis(100),
        ..Faults::default()
    };
    let sim = Sim::start(world(1, "GREEN"), slow).await.unwrap();
    let mut cfg = config(&sim);
    cfg.parallelism = 2;
    let client = Client::new(cfg).unwrap();
    let token = Token::new(TOKEN);
    let started = Instant::now();
    let reads = (0..4).map(|_| client.read_business(&token, ACME));
    let results = futures::future::join_all(reads).await;
    assert!(results.iter().all(Result::is_ok));
    // Four requests, two at a time: at least two latencies.
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(sim.stats().http_requests, 4);
}

#[tokio::test]
async fn a_throttled_batch_item_from_the_simulator_waits_its_retry_after() {
    // The first item of the batch (debug_token) is refused with its own Retry-After inside
    // the batch answer; the client waits that long before reading it again on its own.
    let faults = Faults {
        fail_batch_items: vec![InjectedError {
            retry_after: Some(1),
            ..InjectedError::code(80008)
        }],
        ..Faults::default()
    };
    let (sim, client) = start(world(1, "GREEN"), faults).await;
    let reads = [TokenReads {
        token: Token::new(TOKEN),
        business_ids: vec![ACME.into()],
    }];
    let started = Instant::now();
    let observed = client.observe(&reads).await;
    let elapsed = started.elapsed();
    assert!(observed.tokens.values().all(Result::is_ok), "{observed:?}");
    assert!(observed.businesses[ACME].is_ok(), "{observed:?}");
    // The batch, then the token read again on its own.
    assert_eq!(sim.stats().http_requests, 2);
    assert_eq!(
        sim.stats().route_count("debug_token"),
        1,
        "answered once, by the re-read"
    );
    assert!(
        elapsed >= Duration::from_millis(950),
        "read again after {elapsed:?}, before the item's Retry-After of 1 s"
    );
}

#[tokio::test]
async fn metas_user_facing_error_fields_from_the_simulator_are_shown() {
    let faults = faults_failing(vec![InjectedError {
        error_user_title: Some("Portfolio unavailable".into()),
        error_user_msg: Some("This business portfolio is being reviewed.".into()),
        error_data_details: Some("review in progress since 2026-11-30".into()),
        ..InjectedError::code(100)
    }]);
    let (_sim, client) = start(world(1, "GREEN"), faults).await;
    let err = client
        .read_business(&Token::new(TOKEN), ACME)
        .await
        .unwrap_err();
    let text = err.to_string();
    for part in [
        "Portfolio unavailable",
        "This business portfolio is being reviewed.",
        "review in progress since 2026-11-30",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
}

#[tokio::test]
async fn off_document_shapes_from_the_simulator_lose_only_what_cannot_be_read() {
    // IDs as numbers, an edge without rows as `data: null`, one-page edges as bare arrays,
    // one number's quality_rating and another's id of the wrong type.
    let faults = Faults {
        malformed: wacfg_sim::Malformed {
            numeric_ids: true,
            null_empty_edges: true,
            bare_array_edges: true,
            wrongly_typed_fields: vec!["quality_rating".into()],
            wrongly_typed_numbers: vec!["106540352200000".into()],
        },
        ..Faults::default()
    };
    let (sim, client) = start(world(3, "GREEN"), faults).await;
    sim.mutate(|w| w.waba_mut("102290129340399").unwrap().phone_numbers.clear());
    let reads = [TokenReads {
        token: Token::new(TOKEN),
        business_ids: vec![ACME.into()],
    }];
    let observed = client.observe(&reads).await;
    let business = observed.businesses[ACME]
        .as_ref()
        .expect("the portfolio is read");
    assert_eq!(business.id, ACME);
    let owned = &business.wabas["102290129340398"];
    assert_eq!(owned.phone_numbers.len(), 3, "{owned:?}");
    assert_eq!(owned.phone_numbers["106540352200000"].quality_rating, None);
    assert_eq!(
        owned.phone_numbers["106540352200001"]
            .quality_rating
            .as_deref(),
        Some("GREEN")
    );
    assert!(business.wabas["102290129340399"].phone_numbers.is_empty());
    let paths: Vec<&str> = business.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["owned_whatsapp_business_accounts[0].phone_numbers[0].quality_rating"]
    );
    assert_eq!(
        business.problems[0].number_id.as_deref(),
        Some("106540352200000")
    );

    // A number whose id cannot be read is left out, and said to be.
    sim.set_faults(Faults {
        malformed: wacfg_sim::Malformed {
            wrongly_typed_fields: vec!["id".into()],
            wrongly_typed_numbers: vec!["106540352200002".into()],
            ..wacfg_sim::Malformed::default()
        },
        ..Faults::default()
    });
    let observed = client.observe(&reads).await;
    let business = observed.businesses[ACME]
        .as_ref()
        .expect("the portfolio is read");
    let owned = &business.wabas["102290129340398"];
    assert_eq!(owned.phone_numbers.len(), 2, "{owned:?}");
    let p = &business.problems[0];
    assert_eq!(
        p.path,
        "owned_whatsapp_business_accounts[0].phone_numbers[2].id"
    );
    assert_eq!(p.waba_id.as_deref(), Some("102290129340398"));
    assert_eq!(p.number_id, None);
}

#[tokio::test]
async fn numbers_are_read_in_batches_of_fifty_one_result_each() {
    let (sim, client) = start(world(120, "GREEN"), Faults::default()).await;
    let ids: Vec<String> = (0..120).map(|i| format!("1065403522{i:05}")).collect();
    let read = client.read_numbers(&Token::new(TOKEN), &ids).await;
    assert_eq!(read.len(), 120);
    for (id, n) in ids.iter().zip(&read) {
        let n = n.as_ref().expect("read");
        assert_eq!(&n.id, id);
        assert_eq!(n.status.as_deref(), Some("CONNECTED"));
    }
    let stats = sim.stats();
    // 50 + 50 + 20.
    assert_eq!(stats.http_requests, 3, "{stats:?}");
    assert_eq!(stats.batch_sub_requests, 120);
    assert_eq!(stats.route_count("phone_number"), 120);
}

#[tokio::test]
async fn a_number_that_fails_inside_the_batch_fails_alone() {
    // The first item (the first number) answers a permanent error inside a 200 batch: only
    // that number's result is an error, and it is not read again.
    let faults = Faults {
        fail_batch_items: vec![InjectedError::code(100)],
        ..Faults::default()
    };
    let (sim, client) = start(world(3, "GREEN"), faults).await;
    let ids: Vec<String> = (0..3).map(|i| format!("1065403522{i:05}")).collect();
    let read = client.read_numbers(&Token::new(TOKEN), &ids).await;
    match &read[0] {
        Err(e) => assert_eq!(e.code(), Some(100), "{e}"),
        Ok(n) => panic!("read {n:?}"),
    }
    assert!(read[1..].iter().all(Result::is_ok), "{read:?}");
    assert_eq!(sim.stats().http_requests, 1);
}

#[tokio::test]
async fn a_throttled_number_in_the_batch_waits_its_retry_after_and_is_read_again() {
    let faults = Faults {
        fail_batch_items: vec![InjectedError {
            retry_after: Some(1),
            ..InjectedError::code(80008)
        }],
        ..Faults::default()
    };
    let (sim, client) = start(world(2, "GREEN"), faults).await;
    let ids: Vec<String> = (0..2).map(|i| format!("1065403522{i:05}")).collect();
    let started = Instant::now();
    let read = client.read_numbers(&Token::new(TOKEN), &ids).await;
    assert!(read.iter().all(Result::is_ok), "{read:?}");
    // The batch, then the throttled number on its own after its Retry-After.
    assert_eq!(sim.stats().http_requests, 2);
    assert!(started.elapsed() >= Duration::from_millis(950));
}

/// The client's pacing notices (`Activity::Waiting` for a rate limit), with how long each
/// was.
fn pacing_recorder() -> (
    std::sync::Arc<std::sync::Mutex<Vec<Duration>>>,
    wacfg::remote::ActivityHook,
) {
    let waits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = waits.clone();
    let hook: wacfg::remote::ActivityHook = std::sync::Arc::new(move |activity| {
        if let wacfg::remote::Activity::Waiting {
            wait,
            why: wacfg::remote::WaitReason::RateLimit,
            ..
        } = activity
        {
            sink.lock().unwrap().push(wait);
        }
    });
    (waits, hook)
}

#[tokio::test]
async fn a_batch_items_usage_header_slows_the_next_request() {
    // The business read inside the plan's batch carries its own usage header at 100%; the
    // batch answer itself carries none. The client paces on the item's header: its next
    // request waits 20 points × 200 ms / 4 = 1 s.
    let faults = Faults {
        business_usage_percent: Some(100),
        ..Faults::default()
    };
    let sim = Sim::start(world(1, "GREEN"), faults).await.unwrap();
    let mut cfg = config(&sim);
    cfg.retry.base_delay = Duration::from_millis(200);
    cfg.retry.max_delay = Duration::from_secs(2);
    let (waits, hook) = pacing_recorder();
    let client = Client::new(cfg).unwrap().with_activity(hook);
    let token = Token::new(TOKEN);
    let reads = [TokenReads {
        token: token.clone(),
        business_ids: vec![ACME.into()],
    }];
    let observed = client.observe(&reads).await;
    assert!(observed.businesses[ACME].is_ok(), "{observed:?}");
    assert_eq!(sim.stats().http_requests, 1, "one batch");
    assert!(
        waits.lock().unwrap().is_empty(),
        "the batch itself went at once"
    );
    let started = Instant::now();
    client.debug_token(&token).await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(800),
        "the next request went after {elapsed:?}"
    );
    let waits = waits.lock().unwrap().clone();
    assert_eq!(waits.len(), 1, "one pacing notice: {waits:?}");
    assert!(waits[0] > Duration::from_millis(800), "{waits:?}");
}

#[tokio::test]
async fn a_writes_usage_header_slows_the_next_request() {
    // A budget of one call per hour: the subscription write spends it, and its answer's
    // usage header says 100% with access back in an hour. The client does not wait an hour
    // on a header (the pause is capped at the backoff cap, 1 s here), but its next request,
    // a read charged to no WABA, waits that cap.
    let faults = Faults {
        rate_limit_budget: Some(1),
        ..Faults::default()
    };
    let sim = Sim::start(world(1, "GREEN"), faults).await.unwrap();
    let mut cfg = config(&sim);
    cfg.retry.max_delay = Duration::from_secs(1);
    let (waits, hook) = pacing_recorder();
    let client = Client::new(cfg).unwrap().with_activity(hook);
    let token = Token::new(TOKEN);
    // The subscription write apply sends (an idempotent POST of a form).
    client
        .post_form(
            &token,
            "102290129340398/subscribed_apps",
            &wacfg::remote::Form::new(),
            wacfg::remote::WriteSafety::Idempotent,
        )
        .await
        .unwrap();
    assert_eq!(sim.stats().route_count("POST subscribed_apps"), 1);
    assert!(waits.lock().unwrap().is_empty(), "the write went at once");
    let started = Instant::now();
    client.read_business(&token, ACME).await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(800),
        "the next request went after {elapsed:?}"
    );
    let waits = waits.lock().unwrap().clone();
    assert_eq!(waits.len(), 1, "one pacing notice: {waits:?}");
    assert!(waits[0] > Duration::from_millis(800), "{waits:?}");
}
