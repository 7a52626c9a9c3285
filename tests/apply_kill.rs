//! kill -9 of a real `wacfg apply` of 10,000 new channel configurations, end to end, on the
//! local store and on PostgreSQL (issue 12). The binary runs against the simulator in-process
//! and is killed with SIGKILL at random points (seeded; the seed is printed, and
//! `WACFG_KILL_SEED` replays it), counted in the changes it reports done so the kills spread
//! over the whole apply: its reads, its group commits, its final fold. Each store is fresh;
//! its apply is killed, run again and killed further on, and so on. After each kill every
//! change reported done on stderr so far must be in the state and the state must read; a last
//! run must converge to the whole estate with nothing recorded twice.

#[path = "support/state_fixtures.rs"]
mod fixtures;
#[path = "../benches/support/generate.rs"]
mod generate;
#[path = "support/kill_seed.rs"]
mod kill_seed;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use generate::Shape;
use rand::Rng;

/// 10,000 new configurations on 100 sender numbers, 10 credentials over 2 tokens.
const SHAPE: Shape = Shape {
    businesses: 2,
    credentials: 10,
    numbers: 100,
    channels: 10_000,
};

/// Kills per store: one fresh store, its apply killed, the apply run again and killed again
/// further on, then a last run. Each kill after the first costs a plan and a read of the
/// state, not another apply of 10,000 (about 30 s of CPU per store in a debug build).
const KILLS: usize = 3;

/// How progress says a change is done (`render::apply_report::progress_line`): it is printed
/// only once the change is durable.
const DONE: &[&str] = &[
    "Creation complete",
    "Import complete",
    "Modifications complete",
];

fn command(sim: &wacfg_sim::Sim, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wacfg"));
    for b in 0..SHAPE.businesses {
        cmd.env(generate::token_var(b), generate::token(b));
    }
    cmd.current_dir(dir)
        .env("WACFG_GRAPH_URL", sim.url())
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .args(args);
    cmd
}

/// The state as `wacfg state pull` prints it (it must read); no resources when a kill came
/// before the first write.
fn pull(sim: &wacfg_sim::Sim, dir: &Path, when: &str) -> serde_json::Value {
    let out = command(sim, dir, &["state", "pull"]).output().unwrap();
    if String::from_utf8_lossy(&out.stderr).contains("there is no state yet") {
        return serde_json::json!({ "resources": {} });
    }
    assert!(
        out.status.success(),
        "{when}: the state does not read: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the state is JSON")
}

/// The address a progress line reports done, if it does.
fn done(line: &str) -> Option<&str> {
    let (address, rest) = line.split_once(": ")?;
    DONE.iter().any(|w| rest.starts_with(w)).then_some(address)
}

/// Run `wacfg apply` and SIGKILL it once it has reported `kill_after` changes done (never, if
/// it ends first). Returns the addresses it reported done, and whether it had ended by itself.
fn killed_apply(sim: &wacfg_sim::Sim, dir: &Path, kill_after: usize) -> (Vec<String>, bool) {
    let mut child = command(sim, dir, &["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wacfg starts");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    // One whole line; `None` at the end of the output. A last line torn by the kill (no
    // newline) reports nothing.
    let mut next_line = move || {
        let mut line = String::new();
        match err.read_line(&mut line) {
            Ok(n) if n > 0 && line.ends_with('\n') => Some(line),
            _ => None,
        }
    };
    let mut reported = Vec::new();
    let mut ended = true;
    while let Some(line) = next_line() {
        if let Some(address) = done(&line) {
            reported.push(address.to_string());
        }
        if reported.len() >= kill_after {
            ended = child.try_wait().unwrap().is_some();
            child.kill().ok(); // SIGKILL: nothing of the apply runs after it.
            break;
        }
    }
    child.wait().unwrap();
    // What it printed before the kill and the test had not read yet was reported too.
    while let Some(line) = next_line() {
        if let Some(address) = done(&line) {
            reported.push(address.to_string());
        }
    }
    (reported, ended)
}

fn resources(doc: &serde_json::Value) -> &serde_json::Map<String, serde_json::Value> {
    doc["resources"].as_object().expect("resources")
}

/// One trial in `dir` (its configuration written, its store fresh): the apply killed once it
/// has reported `kills[0]` changes done in all, the apply run again and killed at `kills[1]`
/// in all, and so on; after each kill every change reported so far (by any of the runs) must
/// be in the state. Then a last run converges.
fn trial(sim: &wacfg_sim::Sim, dir: &Path, store: &str, kills: &[usize]) {
    let mut reported: Vec<String> = Vec::new();
    for &kill_at in kills {
        let started = Instant::now();
        let (now, ended) = killed_apply(sim, dir, kill_at.saturating_sub(reported.len()));
        reported.extend(now);
        let doc = pull(sim, dir, "after the kill");
        let held = resources(&doc);
        for address in &reported {
            let record = held.get(address).unwrap_or_else(|| {
                panic!("{store}: {address} was reported done before a kill and is not in the state")
            });
            if address.starts_with("channel_configuration.") {
                assert_eq!(record["status"], "active", "{store}: {address}: {record}");
            }
        }
        eprintln!(
            "{store}: killed at {kill_at} reported changes{}: {} reported so far, {} in the state ({:.1} s)",
            if ended {
                " (it had ended by itself)"
            } else {
                ""
            },
            reported.len(),
            held.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let started = Instant::now();
    let rerun = command(sim, dir, &["apply", "--auto-approve", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        rerun.status.success(),
        "{store}: the rerun failed: {}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let doc = pull(sim, dir, "after the rerun");
    let held = resources(&doc);
    let channels = held
        .iter()
        .filter(|(a, r)| a.starts_with("channel_configuration.") && r["status"] == "active")
        .count();
    assert_eq!(
        channels, SHAPE.channels,
        "{store}: every configuration active"
    );
    // Each configuration and credentials entry recorded once: nothing else, nothing twice.
    assert_eq!(held.len(), SHAPE.channels + SHAPE.credentials, "{store}");
    let names: std::collections::BTreeSet<&str> =
        held.values().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names.len(), held.len(), "{store}: a name recorded twice");
    eprintln!(
        "{store}: the rerun converged ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
}

/// The kill points of a trial: [`KILLS`] counts of reported changes, in order, spread over the
/// whole apply (0: at the first line it prints, while it reads Meta; the total: in its final
/// fold and report).
fn kill_points(rng: &mut impl Rng) -> Vec<usize> {
    let mut kills: Vec<usize> = (0..KILLS)
        .map(|_| rng.random_range(0..=SHAPE.channels + SHAPE.credentials))
        .collect();
    kills.sort_unstable();
    kills
}

fn start_sim() -> wacfg_sim::Sim {
    let world = wacfg_sim::World::from_yaml(&generate::world_yaml(&SHAPE)).expect("world");
    wacfg_sim::Sim::start_blocking(world, Default::default()).expect("sim")
}

#[test]
fn kill_9_of_an_apply_of_10000_on_the_local_store_loses_no_reported_change() {
    let sim = start_sim();
    let mut rng = kill_seed::rng("local apply kill");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wacfg.yaml"), generate::config_yaml(&SHAPE)).unwrap();
    trial(&sim, dir.path(), "local", &kill_points(&mut rng));
}

#[test]
fn kill_9_of_an_apply_of_10000_on_postgresql_loses_no_reported_change() {
    let sim = start_sim();
    let mut rng = kill_seed::rng("postgres apply kill");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = rt.block_on(async {
        let (client, connection) =
            tokio_postgres::connect(&fixtures::pg_conn(), tokio_postgres::NoTls)
                .await
                .expect("PostgreSQL must be running on 127.0.0.1:5432");
        tokio::spawn(connection);
        client
    });
    let db = rt.block_on(fixtures::FreshDatabase::create(&admin, "apply_kill"));
    {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("pg-url");
        std::fs::write(&secret, &db.conn).unwrap();
        let yaml = format!(
            "{}state:\n  backend: postgres\n  url: file:{}\n  workspace: kill\n",
            generate::config_yaml(&SHAPE),
            secret.display()
        );
        std::fs::write(dir.path().join("wacfg.yaml"), yaml).unwrap();
        trial(&sim, dir.path(), "postgres", &kill_points(&mut rng));
    }
    rt.block_on(db.drop_with(&admin));
}
