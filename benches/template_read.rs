//! Benchmark: reading 6,000 existing message templates spread over 20 WABAs (300 each, one
//! language each) from the simulator at 50 ms latency per HTTP request, as a plan or
//! `wacfg import templates` reads them (`Client::read_templates`, one token, parallelism 8).
//! Prints the floor Meta's cursor paging allows next to the measured figure, with the HTTP
//! requests made. Run: `cargo bench --bench template_read`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use wacfg::remote::templates::TEMPLATE_PAGE_LIMIT;
use wacfg::remote::{Client, ClientConfig, Token};
use wacfg_sim::{Faults, Sim, World};

const WABAS: usize = 20;
const TEMPLATES_PER_WABA: usize = 300;
const LATENCY: Duration = Duration::from_millis(50);
const RUNS: usize = 5;
const TOKEN: &str = "test-token-bench-templates";

fn waba_id(w: usize) -> String {
    format!("2{w:014}")
}

fn world_yaml() -> String {
    let mut y = format!(
        "tokens:\n  - value: {TOKEN}\n    scopes: [whatsapp_business_management, whatsapp_business_messaging, business_management]\n    businesses: [\"1000000000000001\"]\nbusinesses:\n  - id: \"1000000000000001\"\n    name: Bench\n    owned_whatsapp_business_accounts:\n"
    );
    let mut id = 1_600_000_000_000_000u64;
    for w in 0..WABAS {
        let _ = writeln!(
            y,
            "      - id: \"{}\"\n        name: WABA {w}\n        message_templates:",
            waba_id(w)
        );
        for t in 0..TEMPLATES_PER_WABA {
            id += 1;
            let _ = writeln!(
                y,
                "          - {{id: \"{id}\", name: tpl_{t:04}, language: en_US, category: UTILITY, quality_score: GREEN, components: [{{type: BODY, text: \"Hi {{{{1}}}}, your order {t} ships today.\", example: {{body_text: [[Ana]]}}}}, {{type: FOOTER, text: Reply STOP to opt out}}]}}"
            );
        }
    }
    y
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
    let wabas: Vec<String> = (0..WABAS).map(waba_id).collect();
    let reads = vec![(Token::new(TOKEN), wabas)];
    let pages = TEMPLATES_PER_WABA.div_ceil(TEMPLATE_PAGE_LIMIT as usize);
    let floor = LATENCY * pages as u32;
    println!(
        "template_read: {} templates over {WABAS} WABAs ({TEMPLATES_PER_WABA} each), page size {TEMPLATE_PAGE_LIMIT}, latency {} ms, one token, parallelism 8",
        WABAS * TEMPLATES_PER_WABA,
        LATENCY.as_millis()
    );
    println!(
        "  floor: {pages} pages per WABA, read in sequence (a cursor names the next page only once the previous one arrived), WABAs at the same time: {pages} round trips = {} ms",
        floor.as_millis()
    );
    let mut times = Vec::new();
    for run in 0..RUNS {
        sim.reset();
        let started = Instant::now();
        let read = client.read_templates(&reads).await;
        let elapsed = started.elapsed();
        let stats = sim.stats();
        let rows: usize = read
            .values()
            .map(|r| r.as_ref().expect("every WABA read").len())
            .sum();
        assert_eq!(rows, WABAS * TEMPLATES_PER_WABA, "everything read");
        println!(
            "  run {run}: {:>6.1} ms = {:.2} round trips, {} HTTP requests ({} batch sub-requests)",
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() / LATENCY.as_secs_f64(),
            stats.http_requests,
            stats.batch_sub_requests
        );
        times.push(elapsed);
    }
    times.sort();
    // The same read without latency: what the simulator and the client spend on 6,000 rows.
    sim.set_faults(Faults::default());
    let mut work = Vec::new();
    for _ in 0..RUNS {
        sim.reset();
        let started = Instant::now();
        let read = client.read_templates(&reads).await;
        work.push(started.elapsed());
        assert!(read.values().all(Result::is_ok));
    }
    work.sort();
    println!(
        "template_read: median {:.1} ms (min {:.1}, max {:.1}) over {RUNS} runs; floor {} ms; the same read without latency (simulator + client work) median {:.1} ms",
        times[RUNS / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[RUNS - 1].as_secs_f64() * 1000.0,
        floor.as_millis(),
        work[RUNS / 2].as_secs_f64() * 1000.0,
    );
}
