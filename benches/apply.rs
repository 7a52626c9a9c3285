//! Benchmark: apply of 1,000 new channel configurations (and 10 credentials) against the
//! simulator with 10 ms of latency per request, from an empty local state. Reports the wall
//! time of `wacfg apply --auto-approve` (the release binary, as a user runs it) and the Graph
//! requests it made. Run: `cargo bench --bench apply`.

#[path = "support/generate.rs"]
mod generate;

use std::time::{Duration, Instant};

use generate::Shape;

const SHAPE: Shape = Shape {
    businesses: 2,
    credentials: 10,
    numbers: 10,
    channels: 1_000,
};
const RUNS: usize = 3;

fn main() {
    let world = wacfg_sim::World::from_yaml(&generate::world_yaml(&SHAPE)).expect("world");
    let faults = wacfg_sim::Faults {
        latency: Duration::from_millis(10),
        ..Default::default()
    };
    let sim = wacfg_sim::Sim::start_blocking(world, faults).expect("sim");
    let mut times = Vec::new();
    let mut requests = Vec::new();
    let mut serials = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("wacfg.yaml"), generate::config_yaml(&SHAPE)).unwrap();
        let before = sim.stats();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"));
        for b in 0..SHAPE.businesses {
            cmd.env(generate::token_var(b), generate::token(b));
        }
        let start = Instant::now();
        let out = cmd
            .current_dir(dir.path())
            .env("WACFG_GRAPH_URL", sim.url())
            .env("NO_COLOR", "1")
            .args(["apply", "--auto-approve", "--format", "json"])
            .output()
            .expect("wacfg runs");
        let secs = start.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let after = sim.stats();
        times.push(secs);
        requests.push((
            after.http_requests - before.http_requests,
            after.batch_sub_requests - before.batch_sub_requests,
        ));
        // The state must record every configuration as Active.
        let text = std::fs::read_to_string(dir.path().join("wacfg.state.json")).unwrap();
        let state: serde_json::Value = serde_json::from_str(&text).unwrap();
        let active = state["resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["status"] == "active")
            .count();
        assert_eq!(active, SHAPE.channels, "every configuration active");
        serials.push(state["serial"].as_u64().unwrap_or(0));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "apply: {} new channel configurations + {} credentials, simulator latency 10 ms, parallelism 8",
        SHAPE.channels, SHAPE.credentials
    );
    println!(
        "  wall time over {RUNS} runs: min {:.2} s, median {:.2} s, max {:.2} s",
        times[0],
        times[RUNS / 2],
        times[RUNS - 1]
    );
    let (http, batched) = requests[0];
    println!("  Graph requests per apply: {http} HTTP requests ({batched} reads inside batches)");
    println!(
        "  state writes per apply (final serial): {:?} for {} changes (group commit)",
        serials,
        SHAPE.channels + SHAPE.credentials
    );
}
