//! Reading a whole estate from the simulator with 50 ms latency per HTTP request: 20
//! businesses, 100 WABAs, 400 numbers, 5 tokens. Measures `Client::observe` (one batch per
//! token, all tokens concurrent) against a naive client that reads one number per request, in
//! sequence. Prints wall time, HTTP requests and peak memory (VmHWM).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use wacfg::model::Observed;
use wacfg::remote::{Client, ClientConfig, Token, TokenReads};
use wacfg_sim::{Faults, Sim, World};

const BUSINESSES: usize = 20;
const WABAS_PER_BUSINESS: usize = 5;
const NUMBERS_PER_WABA: usize = 4;
const TOKENS: usize = 5;
const LATENCY: Duration = Duration::from_millis(50);
const RUNS: usize = 5;

fn business_id(b: usize) -> String {
    format!("1{b:015}")
}

fn token_value(t: usize) -> String {
    format!("test-token-bench-{t}")
}

/// Token `t` sees businesses t, t+5, t+10, t+15; each business has 5 WABAs of 4 numbers (the
/// last WABA of each business is a client WABA).
fn world_yaml() -> String {
    let mut y = String::from("tokens:\n");
    for t in 0..TOKENS {
        let ids: Vec<String> = (t..BUSINESSES)
            .step_by(TOKENS)
            .map(|b| format!("\"{}\"", business_id(b)))
            .collect();
        let _ = writeln!(
            y,
            "  - value: {}\n    scopes: [whatsapp_business_management, whatsapp_business_messaging, business_management]\n    businesses: [{}]",
            token_value(t),
            ids.join(", ")
        );
    }
    y.push_str("businesses:\n");
    for b in 0..BUSINESSES {
        let _ = writeln!(y, "  - id: \"{}\"\n    name: Business {b}", business_id(b));
        let (owned, client) = (WABAS_PER_BUSINESS - 1, 1);
        y.push_str("    owned_whatsapp_business_accounts:\n");
        for w in 0..owned {
            push_waba(&mut y, b, w);
        }
        y.push_str("    client_whatsapp_business_accounts:\n");
        for w in owned..owned + client {
            push_waba(&mut y, b, w);
        }
    }
    y
}

fn push_waba(y: &mut String, b: usize, w: usize) {
    let _ = writeln!(
        y,
        "      - id: \"2{b:03}{w:011}\"\n        name: WABA {b}-{w}\n        account_review_status: APPROVED\n        phone_numbers:"
    );
    for n in 0..NUMBERS_PER_WABA {
        let _ = writeln!(
            y,
            "          - id: \"3{b:03}{w:03}{n:08}\"\n            display_phone_number: \"+1 555-{b:03}-{w:02}{n:02}\"\n            verified_name: Brand {b}\n            quality_rating: GREEN\n            throughput: STANDARD\n            status: CONNECTED\n            name_status: APPROVED\n            messaging_limit_tier: TIER_1K"
        );
    }
}

fn reads() -> Vec<TokenReads> {
    (0..TOKENS)
        .map(|t| TokenReads {
            token: Token::new(token_value(t)),
            business_ids: (t..BUSINESSES).step_by(TOKENS).map(business_id).collect(),
        })
        .collect()
}

fn count_numbers(observed: &Observed) -> usize {
    observed
        .businesses
        .values()
        .flatten()
        .flat_map(|b| b.wabas.values())
        .map(|w| w.phone_numbers.len())
        .sum()
}

/// The naive way: debug_token per token, one request per business for its WABA and number
/// IDs, then one request per number — all in sequence.
async fn naive_read(base: &str) -> usize {
    let http = reqwest::Client::new();
    let get = |url: String, token: String| {
        let http = http.clone();
        async move {
            let r = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("sim answers");
            r.json::<serde_json::Value>().await.expect("json")
        }
    };
    let mut numbers = 0;
    for t in 0..TOKENS {
        let token = token_value(t);
        get(
            format!("{base}/v23.0/debug_token?input_token={token}"),
            token.clone(),
        )
        .await;
        for b in (t..BUSINESSES).step_by(TOKENS) {
            let fields = "owned_whatsapp_business_accounts.limit(100){id,phone_numbers.limit(100){id}},client_whatsapp_business_accounts.limit(100){id,phone_numbers.limit(100){id}}";
            let v = get(
                format!("{base}/v23.0/{}?fields={fields}", business_id(b)),
                token.clone(),
            )
            .await;
            for edge in [
                "owned_whatsapp_business_accounts",
                "client_whatsapp_business_accounts",
            ] {
                for waba in v[edge]["data"].as_array().into_iter().flatten() {
                    for n in waba["phone_numbers"]["data"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        let id = n["id"].as_str().unwrap();
                        let url = format!(
                            "{base}/v23.0/{id}?fields={}",
                            wacfg::remote::wire::NUMBER_FIELDS
                        );
                        get(url, token.clone()).await;
                        numbers += 1;
                    }
                }
            }
        }
    }
    numbers
}

fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let world = World::from_yaml(&world_yaml()).expect("bench world is valid");
    let faults = Faults {
        latency: LATENCY,
        ..Faults::default()
    };
    let sim = Sim::start(world, faults).await.expect("sim starts");
    let cfg = ClientConfig::from_parts(&sim.url(), None, "v23.0", 8);
    let client = Client::new(cfg).expect("client");
    let reads = reads();
    println!(
        "remote_read: {BUSINESSES} businesses, {} WABAs, {} numbers, {TOKENS} tokens, latency {} ms, parallelism 8",
        BUSINESSES * WABAS_PER_BUSINESS,
        BUSINESSES * WABAS_PER_BUSINESS * NUMBERS_PER_WABA,
        LATENCY.as_millis()
    );
    let mut times = Vec::new();
    for run in 0..RUNS {
        sim.reset();
        let started = Instant::now();
        let observed = client.observe(&reads).await;
        let elapsed = started.elapsed();
        let stats = sim.stats();
        assert_eq!(count_numbers(&observed), 400, "everything read");
        assert!(observed.tokens.values().all(|t| t.is_ok()));
        println!(
            "  observe run {run}: {:>6.1} ms, {} HTTP requests ({} batch sub-requests)",
            elapsed.as_secs_f64() * 1000.0,
            stats.http_requests,
            stats.batch_sub_requests
        );
        times.push(elapsed);
    }
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "observe (batched, concurrent): median {:.1} ms = {:.2} round trips of {} ms",
        median.as_secs_f64() * 1000.0,
        median.as_secs_f64() / LATENCY.as_secs_f64(),
        LATENCY.as_millis()
    );
    sim.reset();
    let started = Instant::now();
    let numbers = naive_read(&sim.url()).await;
    let elapsed = started.elapsed();
    println!(
        "naive (one request per number, in sequence): {:.1} ms, {} HTTP requests, {numbers} numbers",
        elapsed.as_secs_f64() * 1000.0,
        sim.stats().http_requests
    );
    println!("peak memory (VmHWM): {} KiB", peak_memory_kib());
}
