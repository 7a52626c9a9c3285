//! How fast the simulator answers, so benchmarks of the client measure the client: a world of
//! 20 businesses, 100 WABAs, 400 numbers and 5 tokens, no latency. Prints per-request times
//! for phone number reads (sequential and 8 concurrent), the whole-portfolio expansion, a
//! 50-item batch, and the peak memory (VmHWM).

use std::time::{Duration, Instant};

use wacfg_sim::{Business, Faults, PhoneNumber, Sim, Token, Waba, World};

const BUSINESSES: usize = 20;
const WABAS: usize = 5;
const NUMBERS: usize = 4;
const TOKEN: &str = "test-token-bench";

fn world() -> World {
    let businesses: Vec<Business> = (0..BUSINESSES).map(business).collect();
    let mut tokens = vec![Token {
        value: TOKEN.into(),
        label: Some("bench".into()),
        valid: true,
        expires_at: None,
        issued_at: None,
        scopes: vec![
            "whatsapp_business_management".into(),
            "business_management".into(),
        ],
        businesses: businesses.iter().map(|b| b.id.clone()).collect(),
        user_id: None,
        user_name: None,
        app_id: None,
        application: None,
    }];
    for t in 1..5 {
        let mut extra = tokens[0].clone();
        extra.value = format!("{TOKEN}-{t}");
        extra.label = Some(format!("bench-{t}"));
        tokens.push(extra);
    }
    World {
        tokens,
        businesses,
        ..World::default()
    }
}

fn business(b: usize) -> Business {
    let wabas: Vec<Waba> = (0..WABAS).map(|w| waba(b, w)).collect();
    Business {
        id: format!("1{b:015}"),
        name: format!("Business {b}"),
        verification_status: None,
        owned_whatsapp_business_accounts: wabas,
        client_whatsapp_business_accounts: Vec::new(),
    }
}

fn waba(b: usize, w: usize) -> Waba {
    Waba {
        id: format!("2{b:03}{w:011}"),
        name: format!("WABA {b}-{w}"),
        currency: Some("EUR".into()),
        timezone_id: Some("1".into()),
        message_template_namespace: None,
        account_review_status: Some("APPROVED".into()),
        business_verification_status: None,
        country: None,
        ownership_type: None,
        status: None,
        phone_numbers: (0..NUMBERS).map(|n| number(b, w, n)).collect(),
        subscribed: false,
        webhook_override: None,
        message_templates: Vec::new(),
    }
}

fn number(b: usize, w: usize, n: usize) -> PhoneNumber {
    PhoneNumber {
        id: number_id(b, w, n),
        display_phone_number: Some(format!("+1 555-{b:03}-{w:02}{n:02}")),
        verified_name: Some(format!("Brand {b}")),
        quality_rating: Some("GREEN".into()),
        throughput: Some("STANDARD".into()),
        status: Some("CONNECTED".into()),
        name_status: Some("APPROVED".into()),
        code_verification_status: Some("VERIFIED".into()),
        messaging_limit_tier: Some("TIER_1K".into()),
        platform_type: Some("CLOUD_API".into()),
        ..PhoneNumber::default()
    }
}

fn number_id(b: usize, w: usize, n: usize) -> String {
    format!("3{b:03}{w:03}{n:08}")
}

fn all_numbers() -> Vec<String> {
    let mut ids = Vec::new();
    for b in 0..BUSINESSES {
        for w in 0..WABAS {
            for n in 0..NUMBERS {
                ids.push(number_id(b, w, n));
            }
        }
    }
    ids
}

const NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,status,name_status,quality_rating,throughput,messaging_limit_tier,code_verification_status,platform_type";

async fn get(client: &reqwest::Client, url: &str) -> usize {
    let r = client
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("sim answers");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.bytes().await.expect("body").len()
}

fn per_request(total: Duration, n: usize) -> String {
    format!("{:.1} µs/request", total.as_secs_f64() * 1e6 / n as f64)
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "n/a".into())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sim = Sim::start(world(), Faults::default())
        .await
        .expect("sim starts");
    let base = format!("{}/v23.0", sim.url());
    let client = reqwest::Client::new();
    let ids = all_numbers();

    let rounds = 5;
    let t = Instant::now();
    for _ in 0..rounds {
        for id in &ids {
            get(&client, &format!("{base}/{id}?fields={NUMBER_FIELDS}")).await;
        }
    }
    println!(
        "phone number node, sequential:      {}",
        per_request(t.elapsed(), rounds * ids.len())
    );

    let t = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..8 {
        let (client, base, ids) = (client.clone(), base.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..rounds {
                for id in ids.iter().skip(k).step_by(8) {
                    get(&client, &format!("{base}/{id}?fields={NUMBER_FIELDS}")).await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let n = rounds * ids.len();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "phone number node, 8 concurrent:    {:.0} requests/s",
        n as f64 / secs
    );

    let waba = format!("id,name,account_review_status,phone_numbers.limit(100){{{NUMBER_FIELDS}}}");
    let fields = format!(
        "id,name,owned_whatsapp_business_accounts.limit(100){{{waba}}},client_whatsapp_business_accounts.limit(100){{{waba}}}"
    );
    let t = Instant::now();
    let mut bytes = 0;
    for b in 0..BUSINESSES * 10 {
        bytes = get(
            &client,
            &format!("{base}/1{:015}?fields={fields}", b % BUSINESSES),
        )
        .await;
    }
    println!(
        "business expansion (20 numbers):    {} ({bytes} bytes each)",
        per_request(t.elapsed(), BUSINESSES * 10)
    );

    let items: Vec<serde_json::Value> = ids[..50]
        .iter()
        .map(|id| serde_json::json!({"method": "GET", "relative_url": format!("{id}?fields={NUMBER_FIELDS}")}))
        .collect();
    let body = format!(
        "batch={}",
        wacfg_sim::urlenc::escape(&serde_json::Value::from(items).to_string())
    );
    let t = Instant::now();
    for _ in 0..100 {
        let r = client
            .post(format!("{base}/"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .expect("batch answers");
        assert!(r.status().is_success());
        r.bytes().await.expect("body");
    }
    println!(
        "batch of 50 number reads:           {}",
        per_request(t.elapsed(), 100)
    );
    let stats = sim.stats();
    println!(
        "requests served: {} HTTP, {} batch items",
        stats.http_requests, stats.batch_sub_requests
    );
    println!("peak memory (VmHWM): {}", vm_hwm());
}
