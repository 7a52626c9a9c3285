//! Benchmark: issue 12's shape. Apply of 1,000 new channel configurations sending from 100
//! numbers, with 10 credentials over 10 tokens, against the simulator with 50 ms of latency
//! per request, from an empty local state: the release `wacfg apply --auto-approve` binary,
//! timed from outside, as a user runs it. Prints the wall time, the Graph HTTP requests (and
//! the phone number reads among them), the state serial reached, and the wall time of `wacfg
//! plan` on the same files (validation and the plan's read of Meta, the part of an apply
//! before its changes start). Targets: ≤ 0.6 s, ≤ 20 HTTP requests. Run:
//! `cargo bench --bench apply_scale`.

#[path = "support/generate.rs"]
mod generate;

use std::time::{Duration, Instant};

use generate::Shape;

const SHAPE: Shape = Shape {
    businesses: 10,
    credentials: 10,
    numbers: 100,
    channels: 1_000,
};
const LATENCY: Duration = Duration::from_millis(50);
const RUNS: usize = 5;

fn wacfg(
    sim: &wacfg_sim::Sim,
    dir: &std::path::Path,
    args: &[&str],
) -> (f64, std::process::Output) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"));
    for b in 0..SHAPE.businesses {
        cmd.env(generate::token_var(b), generate::token(b));
    }
    let start = Instant::now();
    let out = cmd
        .current_dir(dir)
        .env("WACFG_GRAPH_URL", sim.url())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("wacfg runs");
    (start.elapsed().as_secs_f64(), out)
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let world = wacfg_sim::World::from_yaml(&generate::world_yaml(&SHAPE)).expect("world");
    let faults = wacfg_sim::Faults {
        latency: LATENCY,
        ..Default::default()
    };
    let sim = wacfg_sim::Sim::start_blocking(world, faults).expect("sim");
    let (mut applies, mut plans) = (Vec::new(), Vec::new());
    let mut counts = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("wacfg.yaml"), generate::config_yaml(&SHAPE)).unwrap();
        let (secs, out) = wacfg(&sim, dir.path(), &["plan", "--format", "json"]);
        assert!(
            out.status.success() || out.status.code() == Some(2),
            "plan failed"
        );
        plans.push(secs);
        let before = sim.stats();
        let (secs, out) = wacfg(
            &sim,
            dir.path(),
            &["apply", "--auto-approve", "--format", "json"],
        );
        assert!(
            out.status.success(),
            "apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let after = sim.stats();
        applies.push(secs);
        let text = std::fs::read_to_string(dir.path().join("wacfg.state.json")).unwrap();
        let state: serde_json::Value = serde_json::from_str(&text).unwrap();
        let active = state["resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["status"] == "active")
            .count();
        assert_eq!(active, SHAPE.channels, "every configuration active");
        counts.push((
            after.http_requests - before.http_requests,
            after.batch_sub_requests - before.batch_sub_requests,
            after.route_count("phone_number") - before.route_count("phone_number"),
            state["serial"].as_u64().unwrap_or(0),
        ));
    }
    println!(
        "apply_scale: {} new channel configurations on {} numbers, {} credentials over {} tokens, simulator latency {} ms, parallelism 8",
        SHAPE.channels,
        SHAPE.numbers,
        SHAPE.credentials,
        SHAPE.businesses,
        LATENCY.as_millis()
    );
    let (lo, mid, hi) = median(applies);
    println!("  apply wall time over {RUNS} runs: min {lo:.2} s, median {mid:.2} s, max {hi:.2} s");
    let (lo, mid, hi) = median(plans);
    println!(
        "  plan wall time (validate + the plan's read of Meta): min {lo:.2} s, median {mid:.2} s, max {hi:.2} s"
    );
    for (http, batched, numbers, serial) in counts {
        println!(
            "  Graph HTTP requests: {http} ({batched} reads inside batches, {numbers} phone number reads); state serial {serial}"
        );
    }
}
