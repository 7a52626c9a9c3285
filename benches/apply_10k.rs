//! Benchmark: issue 12's large shape, end to end, on both stores. 10,000 new channel
//! configurations sending from 1,000 numbers, 100 credentials over 10 tokens, the simulator at
//! 20 ms of latency per request, from no state: the release `wacfg apply --auto-approve` run as
//! a user runs it, under GNU time (wall time, peak RSS `%M`, file system blocks written `%O`).
//! For each store (local file; PostgreSQL in a fresh database on 127.0.0.1:5432 or
//! WACFG_TEST_PG) it prints:
//!
//! - the first apply's wall time and peak memory (targets ≤ 3 s, ≤ 300 MB);
//! - the bytes written to the store during it against the final state's size (target ≤ 4 ×):
//!   local, the blocks the process wrote (journal appends, the fold's snapshot); PostgreSQL, the
//!   WAL the server generated (`pg_stat_wal`, cluster-wide: other sessions' writes count too);
//! - PostgreSQL's `wacfg` tables after it (heap, indexes, TOAST) against the final state's
//!   resource data (target ≤ 3 ×), and their growth after an apply changing 10 configurations
//!   (target O(10 resources));
//! - the wall time of an apply changing 1 configuration out of 10,000 against an unchanged
//!   remote (target ≤ 0.3 s), median of 5;
//! - kill -9 trials: an apply of 10,000 killed at a pseudo-random moment, then a rerun, which
//!   must converge (every configuration active, the state readable). The bench fails if not.
//!
//! - diagnostic: the first apply at parallelism 64 (groups of up to 64 changes).
//!
//! Run: `cargo bench --bench apply_10k` (`-- local` or `-- postgres` for one store; `-- setup
//! DIR` writes the world, configuration and token variables for a run by hand).

#[path = "../tests/support/state_fixtures.rs"]
mod fixtures;
#[path = "support/generate.rs"]
mod generate;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use generate::Shape;

const SHAPE: Shape = Shape {
    businesses: 10,
    credentials: 100,
    numbers: 1_000,
    channels: 10_000,
};
const LATENCY: Duration = Duration::from_millis(20);
const ONE_CHANGE_RUNS: usize = 5;

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Local,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Local => "local",
            Backend::Postgres => "postgres",
        }
    }
}

/// One measured run of the wacfg binary.
struct Run {
    wall: f64,
    peak_kib: u64,
    blocks_written: u64,
    out: Output,
}

fn command(sim: &wacfg_sim::Sim, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wacfg"));
    for b in 0..SHAPE.businesses {
        cmd.env(generate::token_var(b), generate::token(b));
    }
    cmd.current_dir(dir)
        .env("WACFG_GRAPH_URL", sim.url())
        .env("NO_COLOR", "1")
        .args(args);
    cmd
}

/// `wacfg ARGS` under GNU time.
fn timed(sim: &wacfg_sim::Sim, dir: &Path, args: &[&str]) -> Run {
    let stats = dir.join("time.out");
    let inner = command(sim, dir, args);
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%e %M %O")
        .arg("-o")
        .arg(&stats)
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir(dir);
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let start = Instant::now();
    let out = cmd.output().expect("GNU time runs wacfg");
    let wall = start.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&stats).unwrap_or_default();
    let fields: Vec<u64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    Run {
        wall,
        peak_kib: fields.first().copied().unwrap_or(0),
        blocks_written: fields.get(1).copied().unwrap_or(0),
        out,
    }
}

fn apply(sim: &wacfg_sim::Sim, dir: &Path) -> Run {
    apply_with(sim, dir, &[])
}

fn apply_with(sim: &wacfg_sim::Sim, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--auto-approve", "--format", "json"];
    args.extend_from_slice(extra);
    let run = timed(sim, dir, &args);
    assert!(
        run.out.status.success(),
        "apply failed: {}",
        String::from_utf8_lossy(&run.out.stderr)
    );
    run
}

/// The state as `wacfg state pull` prints it.
fn pull(sim: &wacfg_sim::Sim, dir: &Path) -> serde_json::Value {
    let out = command(sim, dir, &["state", "pull"]).output().unwrap();
    assert!(
        out.status.success(),
        "state pull failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the state is JSON")
}

/// (document bytes, resource bytes, active channel configurations, serial).
fn state_figures(doc: &serde_json::Value) -> (usize, usize, usize, u64) {
    let resources = doc["resources"].as_object().expect("resources");
    let active = resources
        .values()
        .filter(|r| r["kind"] == "channel_configuration" && r["status"] == "active")
        .count();
    (
        serde_json::to_vec(doc).unwrap().len(),
        serde_json::to_vec(&doc["resources"]).unwrap().len(),
        active,
        doc["serial"].as_u64().unwrap_or(0),
    )
}

/// A fresh database for one PostgreSQL run, dropped by `drop_database`.
struct Database {
    name: String,
    conn: String,
    admin: tokio_postgres::Client,
    rt: tokio::runtime::Runtime,
}

impl Database {
    fn create() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let admin = rt.block_on(connect(&fixtures::pg_conn()));
        let name = format!("wacfg_bench_{}", uuid::Uuid::new_v4().simple());
        rt.block_on(admin.batch_execute(&format!("CREATE DATABASE {name}")))
            .unwrap();
        let conn = format!(
            "{} dbname={name}",
            fixtures::pg_conn().replace("dbname=test", "")
        );
        Self {
            name,
            conn,
            admin,
            rt,
        }
    }

    /// Total size of the `wacfg` tables (heap, indexes, TOAST), bytes.
    fn tables_bytes(&self) -> i64 {
        self.rt.block_on(async {
            let client = connect(&self.conn).await;
            client
                .query_one(
                    "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'wacfg' AND c.relkind = 'r'",
                    &[],
                )
                .await
                .unwrap()
                .get(0)
        })
    }

    /// Per table: (name, total bytes, rows).
    fn tables(&self) -> Vec<(String, i64, i64)> {
        self.rt.block_on(async {
            let client = connect(&self.conn).await;
            client
                .query(
                    "SELECT c.relname::text, pg_total_relation_size(c.oid)::bigint,
                            c.reltuples::bigint
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'wacfg' AND c.relkind = 'r' ORDER BY 1",
                    &[],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        })
    }

    fn analyze(&self) {
        self.rt.block_on(async {
            connect(&self.conn)
                .await
                .batch_execute("ANALYZE")
                .await
                .unwrap();
        });
    }

    /// WAL bytes the server has generated so far (all databases).
    fn wal_bytes(&self) -> i64 {
        self.rt.block_on(async {
            self.admin
                .query_one("SELECT wal_bytes::bigint FROM pg_stat_wal", &[])
                .await
                .unwrap()
                .get(0)
        })
    }

    fn drop_database(self) {
        self.rt
            .block_on(
                self.admin
                    .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name)),
            )
            .unwrap();
    }
}

async fn connect(conn: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL must be running on 127.0.0.1:5432");
    tokio::spawn(connection);
    client
}

/// A working directory with the generated configuration on `backend`.
fn workdir(backend: Backend, db: Option<&Database>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut yaml = generate::config_yaml(&SHAPE);
    if backend == Backend::Postgres {
        let secret = dir.path().join("pg-url");
        std::fs::write(&secret, &db.expect("a database").conn).unwrap();
        yaml.push_str(&format!(
            "state:\n  backend: postgres\n  url: file:{}\n  workspace: bench\n",
            secret.display()
        ));
    }
    std::fs::write(dir.path().join("wacfg.yaml"), yaml).unwrap();
    dir
}

/// Change the descriptions of configurations `range` (a new value per `round`).
fn change_descriptions(dir: &Path, range: std::ops::Range<usize>, round: usize) {
    let path = dir.join("wacfg.yaml");
    let mut yaml = std::fs::read_to_string(&path).unwrap();
    for c in range {
        let suffix = format!(" configuration {c}");
        let old = yaml
            .lines()
            .find(|l| l.starts_with("    description: ") && l.ends_with(&suffix))
            .map(|l| format!("{l}\n"))
            .expect("the configuration's description");
        yaml = yaml.replacen(
            &old,
            &format!("    description: Round {round}{suffix}\n"),
            1,
        );
    }
    std::fs::write(&path, yaml).unwrap();
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn mb(bytes: i64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Measure `backend`; returns the first apply's wall time (the kill trials aim inside it).
fn measure(sim: &wacfg_sim::Sim, backend: Backend) -> Duration {
    let db = (backend == Backend::Postgres).then(Database::create);
    let dir = workdir(backend, db.as_ref());
    println!("\n{}:", backend.name());
    let wal_before = db.as_ref().map(Database::wal_bytes);
    let before = sim.stats();
    let first = apply(sim, dir.path());
    let after = sim.stats();
    let wal = db.as_ref().map(|d| d.wal_bytes() - wal_before.unwrap_or(0));
    let doc = pull(sim, dir.path());
    let (doc_bytes, resource_bytes, active, serial) = state_figures(&doc);
    assert_eq!(active, SHAPE.channels, "every configuration active");
    println!(
        "  first apply: wall {:.2} s (target ≤ 3 s), peak RSS {:.1} MB (target ≤ 300 MB), {} Graph HTTP requests, state serial {serial}",
        first.wall,
        first.peak_kib as f64 / 1024.0,
        after.http_requests - before.http_requests
    );
    println!(
        "  final state: {:.2} MB document, {:.2} MB of resource data",
        mb(doc_bytes as i64),
        mb(resource_bytes as i64)
    );
    let blocks = first.blocks_written as i64 * 512;
    match (&db, wal) {
        (Some(db), Some(wal)) => {
            db.analyze();
            let tables = db.tables_bytes();
            println!(
                "  bytes written to the store: {:.2} MB of WAL = {:.2} × the final state (target ≤ 4 ×; cluster-wide, the wacfg process itself wrote {:.2} MB to disk)",
                mb(wal),
                wal as f64 / doc_bytes as f64,
                mb(blocks)
            );
            println!(
                "  wacfg tables after it: {:.2} MB = {:.2} × the resource data (target ≤ 3 ×)",
                mb(tables),
                tables as f64 / resource_bytes as f64
            );
            for (name, bytes, rows) in db.tables() {
                println!("    {name}: {:.2} MB, {rows} rows", mb(bytes));
            }
        }
        _ => println!(
            "  bytes written to the store: {:.2} MB of file system blocks = {:.2} × the final state (target ≤ 4 ×)",
            mb(blocks),
            blocks as f64 / doc_bytes as f64
        ),
    }

    // An apply changing 10 configurations: the tables grow by those, not by a copy.
    change_descriptions(dir.path(), 0..10, 1);
    let tables_before = db.as_ref().map(Database::tables_bytes);
    let wal_before = db.as_ref().map(Database::wal_bytes);
    let ten = apply(sim, dir.path());
    let per_resource = resource_bytes as f64 / (SHAPE.channels + SHAPE.credentials) as f64;
    match &db {
        Some(db) => {
            let grown = db.tables_bytes() - tables_before.unwrap_or(0);
            let wal = db.wal_bytes() - wal_before.unwrap_or(0);
            println!(
                "  apply changing 10 configurations: wall {:.2} s; tables grew by {:.1} KB = {:.1} resources' worth ({per_resource:.0} bytes each; page-granular), WAL {:.1} KB",
                ten.wall,
                grown as f64 / 1000.0,
                grown as f64 / per_resource,
                wal as f64 / 1000.0
            );
        }
        None => println!(
            "  apply changing 10 configurations: wall {:.2} s, {:.2} MB of blocks written (its journal records; the snapshot is rewritten only once the journal reaches half of it)",
            ten.wall,
            mb(ten.blocks_written as i64 * 512)
        ),
    }

    // An apply changing 1 configuration out of 10,000, against an unchanged remote.
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    for round in 0..ONE_CHANGE_RUNS {
        change_descriptions(dir.path(), 5_000..5_001, round + 2);
        let run = apply(sim, dir.path());
        walls.push(run.wall);
        peaks.push(run.peak_kib as f64 / 1024.0);
    }
    let (lo, mid, hi) = median(walls);
    println!(
        "  apply changing 1 configuration of 10,000: median {mid:.3} s (min {lo:.3}, max {hi:.3}; target ≤ 0.3 s), peak RSS {:.1} MB",
        median(peaks).1
    );
    // What part of that is the plan: validation, the state's read, the read of Meta.
    let plans: Vec<f64> = (0..ONE_CHANGE_RUNS)
        .map(|_| timed(sim, dir.path(), &["plan", "--format", "json"]).wall)
        .collect();
    let (lo, mid, hi) = median(plans);
    println!(
        "  plan with nothing to change (validate, read the state and Meta): median {mid:.3} s (min {lo:.3}, max {hi:.3})"
    );
    let doc = pull(sim, dir.path());
    assert_eq!(state_figures(&doc).2, SHAPE.channels);
    drop(dir);
    if let Some(db) = db {
        db.drop_database();
    }
    Duration::from_secs_f64(first.wall)
}

/// Diagnostic: the first apply at parallelism 64. A change gives its parallelism slot back
/// while it waits to be durable (`src/apply/slot.rs`), and up to 64 changes per slot are under
/// way at once, so a group commit carries at most 64 × `parallelism` changes: this shows what
/// more slots do to the wall time (more Graph work at once, larger and fewer fsync'd groups).
fn wider(sim: &wacfg_sim::Sim, backend: Backend) {
    let db = (backend == Backend::Postgres).then(Database::create);
    let dir = workdir(backend, db.as_ref());
    let run = apply_with(sim, dir.path(), &["--parallelism", "64"]);
    let (_, _, active, serial) = state_figures(&pull(sim, dir.path()));
    assert_eq!(active, SHAPE.channels);
    println!(
        "  {}: first apply at parallelism 64: wall {:.2} s, {serial} serials, peak RSS {:.1} MB",
        backend.name(),
        run.wall,
        run.peak_kib as f64 / 1024.0
    );
    drop(dir);
    if let Some(db) = db {
        db.drop_database();
    }
}

/// An apply of 10,000 killed with SIGKILL after `after`, then a rerun that must converge.
fn kill_trial(sim: &wacfg_sim::Sim, backend: Backend, after: Duration) {
    let db = (backend == Backend::Postgres).then(Database::create);
    let dir = workdir(backend, db.as_ref());
    let mut child = command(
        sim,
        dir.path(),
        &["apply", "--auto-approve", "--format", "json"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    std::thread::sleep(after);
    let finished = child.try_wait().unwrap().is_some();
    child.kill().ok(); // SIGKILL
    child.wait().unwrap();
    let killed_state = command(sim, dir.path(), &["state", "pull"])
        .output()
        .unwrap();
    let recorded = if killed_state.status.success() {
        let doc: serde_json::Value = serde_json::from_slice(&killed_state.stdout).unwrap();
        state_figures(&doc).2
    } else {
        0
    };
    let rerun = apply(sim, dir.path());
    let doc = pull(sim, dir.path());
    let active = state_figures(&doc).2;
    println!(
        "  {}: killed after {:.2} s{}: {recorded} configurations active in the state it left; rerun {:.2} s, then {active} active",
        backend.name(),
        after.as_secs_f64(),
        if finished {
            " (it had already finished)"
        } else {
            ""
        },
        rerun.wall
    );
    assert_eq!(active, SHAPE.channels, "the rerun converges");
    drop(dir);
    if let Some(db) = db {
        db.drop_database();
    }
}

/// `-- setup DIR`: write the shape's world (`world.yaml`, for `wacfg-sim --world`), its
/// configuration (`wacfg.yaml`) and the token variables (`env.sh`) into DIR and exit, to run
/// and profile one apply by hand.
fn setup(dir: &Path) {
    std::fs::create_dir_all(dir).expect("the setup directory");
    std::fs::write(dir.join("world.yaml"), generate::world_yaml(&SHAPE)).unwrap();
    std::fs::write(dir.join("wacfg.yaml"), generate::config_yaml(&SHAPE)).unwrap();
    let env: String = (0..SHAPE.businesses)
        .map(|b| format!("export {}={}\n", generate::token_var(b), generate::token(b)))
        .collect();
    std::fs::write(dir.join("env.sh"), env).unwrap();
    println!(
        "wrote {}/{{world.yaml,wacfg.yaml,env.sh}}; run wacfg-sim --world world.yaml --latency-ms {}",
        dir.display(),
        LATENCY.as_millis()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "setup") {
        setup(Path::new(
            args.get(i + 1).map_or("apply_10k", String::as_str),
        ));
        return;
    }
    let only: Option<String> = args.into_iter().find(|a| a == "local" || a == "postgres");
    let world = wacfg_sim::World::from_yaml(&generate::world_yaml(&SHAPE)).expect("world");
    let faults = wacfg_sim::Faults {
        latency: LATENCY,
        ..Default::default()
    };
    let sim = wacfg_sim::Sim::start_blocking(world, faults).expect("sim");
    println!(
        "apply_10k: {} new channel configurations on {} numbers, {} credentials over {} tokens, simulator latency {} ms, parallelism 8",
        SHAPE.channels,
        SHAPE.numbers,
        SHAPE.credentials,
        SHAPE.businesses,
        LATENCY.as_millis()
    );
    let backends: Vec<Backend> = [Backend::Local, Backend::Postgres]
        .into_iter()
        .filter(|b| only.as_deref().is_none_or(|o| o == b.name()))
        .collect();
    let mut first_walls = Vec::new();
    for &backend in &backends {
        first_walls.push(measure(&sim, backend));
    }
    println!("\ndiagnostic, larger groups (not the target's parallelism):");
    for &backend in &backends {
        wider(&sim, backend);
    }
    println!("\nkill -9 trials (10,000 new configurations, killed mid-apply, then a rerun):");
    // Pseudo-random kill points, fixed per process id: spread over the apply.
    let mut seed = u64::from(std::process::id()) | 1;
    for (&backend, &wall) in backends.iter().zip(&first_walls) {
        for _ in 0..3 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Somewhere in the first 90 % of what the first apply took (process start,
            // validation and the reads included).
            let after = wall.mul_f64(0.9 * ((seed >> 33) % 1_000) as f64 / 1_000.0);
            kill_trial(&sim, backend, after);
        }
    }
}
