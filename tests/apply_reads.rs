//! How many Graph requests `wacfg apply` makes for the live reads its checks need: the real
//! binary against the simulator in-process, counting the simulator's requests. The facts of a
//! sender number, and the review status of a WABA, are read once per apply, in Graph batches,
//! however many configurations use them (issue 12).

#[path = "../benches/support/generate.rs"]
mod generate;

use generate::Shape;

/// 200 new configurations on 20 sender numbers, 4 credentials over 2 tokens.
const SHAPE: Shape = Shape {
    businesses: 2,
    credentials: 4,
    numbers: 20,
    channels: 200,
};

fn apply(sim: &wacfg_sim::Sim, dir: &std::path::Path) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"));
    for b in 0..SHAPE.businesses {
        cmd.env(generate::token_var(b), generate::token(b));
    }
    cmd.current_dir(dir)
        .env("WACFG_GRAPH_URL", sim.url())
        .env("NO_COLOR", "1")
        .args(["apply", "--auto-approve", "--format", "json"])
        .output()
        .expect("wacfg runs")
}

fn active_in_state(dir: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(dir.join("wacfg.state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    state["resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["status"] == "active")
        .count()
}

#[test]
fn apply_reads_each_sender_number_once_in_batches_not_once_per_configuration() {
    let world = wacfg_sim::World::from_yaml(&generate::world_yaml(&SHAPE)).expect("world");
    let sim = wacfg_sim::Sim::start_blocking(world, Default::default()).expect("sim");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wacfg.yaml"), generate::config_yaml(&SHAPE)).unwrap();

    let out = apply(&sim, dir.path());
    assert!(
        out.status.success(),
        "apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(active_in_state(dir.path()), SHAPE.channels);
    let stats = sim.stats();
    // Each of the 20 numbers read exactly once at apply (the plan's own read is one business
    // expansion per token and reads no number node).
    assert_eq!(
        stats.route_count("phone_number"),
        SHAPE.numbers as u64,
        "{stats:?}"
    );
    // The review status of each of the 4 WABAs the credentials name, read once too.
    assert_eq!(stats.route_count("waba"), 4, "{stats:?}");
    // 2 batches for the plan's read (one per token), and for apply's live reads one batch
    // per token carrying its 10 numbers and its 2 WABAs together: the review statuses cost
    // no request of their own.
    assert!(
        stats.http_requests <= 4,
        "{} HTTP requests for {} configurations on {} numbers: the live reads are not batched once per number ({stats:?})",
        stats.http_requests,
        SHAPE.channels,
        SHAPE.numbers
    );
}
