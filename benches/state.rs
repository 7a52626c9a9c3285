//! Benchmark: a state of 10,000 resources (1 credentials + 9,999 channel configurations),
//! read + checksum verify + compare-and-swap write, on the local store and on PostgreSQL
//! (127.0.0.1:5432, or WACFG_TEST_PG). Targets: ≤ 100 ms local, ≤ 300 ms PostgreSQL.
//! Then what an apply writes to the local store (its journal of group commits and the fold at
//! the end): bytes written for 10,000 new configurations from no state (target ≤ 4 × the final
//! state), and the time of an apply's state writes changing 1 configuration out of 10,000.
//! Run: cargo bench --bench state

#[path = "../tests/support/state_fixtures.rs"]
mod fixtures;

use std::time::{Duration, Instant};

use wacfg::model::StateSettings;
use wacfg::state::{Store, open_store};

const RESOURCES: usize = 10_000;
const ROUNDS: usize = 15;

struct Figures {
    read: Vec<Duration>,
    write: Vec<Duration>,
    total: Vec<Duration>,
    /// CPU time (user + system) of this process per round, on average: what the work costs
    /// whatever else the machine is running.
    cpu_per_round: Duration,
}

/// user + system CPU time of this process, from /proc/self/stat (clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

async fn measure(store: &Store) -> Figures {
    let seed = fixtures::sample_doc(RESOURCES - 1);
    assert_eq!(seed.resources.len(), RESOURCES);
    store.write(&seed, None).await.expect("seed write");
    let mut figures = Figures {
        read: vec![],
        write: vec![],
        total: vec![],
        cpu_per_round: Duration::ZERO,
    };
    let cpu_start = cpu_time();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let doc = store.read().await.expect("read").expect("a state");
        let read = start.elapsed();
        let written = store.write(&doc, Some(doc.serial)).await.expect("write");
        let total = start.elapsed();
        assert_eq!(written.resources.len(), RESOURCES);
        figures.read.push(read);
        figures.write.push(total - read);
        figures.total.push(total);
    }
    figures.cpu_per_round = (cpu_time() - cpu_start) / ROUNDS as u32;
    figures
}

fn stats(samples: &mut [Duration]) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:7.1} ms  min {:7.1} ms  max {:7.1} ms",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    )
}

fn report(name: &str, budget_ms: u64, mut f: Figures) {
    println!("{name} ({RESOURCES} resources, {ROUNDS} rounds)");
    println!("  read+verify        {}", stats(&mut f.read));
    println!("  write (CAS)        {}", stats(&mut f.write));
    println!("  read+verify+write  {}", stats(&mut f.total));
    println!(
        "  cpu per round      {:7.1} ms (this process; the server's work not included)",
        f.cpu_per_round.as_secs_f64() * 1000.0
    );
    let median = f.total[f.total.len() / 2];
    let verdict = if median <= Duration::from_millis(budget_ms) {
        "within"
    } else {
        "OVER"
    };
    println!("  -> {verdict} the {budget_ms} ms budget");
}

/// Where the local time goes: the pure steps, then the file system's.
fn breakdown(dir: &std::path::Path) {
    let ms = |d: Duration| format!("{:6.1} ms", d.as_secs_f64() * 1000.0);
    let mut doc = fixtures::sample_doc(RESOURCES - 1);
    let t = Instant::now();
    let bytes = wacfg::state::canonical::seal_and_encode(&mut doc);
    let seal = t.elapsed();
    let origin = wacfg::state::canonical::Origin {
        location: "bench".into(),
        restore: "-".into(),
    };
    let t = Instant::now();
    wacfg::state::canonical::decode(&bytes, &origin).unwrap();
    let decode = t.elapsed();
    let path = dir.join("breakdown.json");
    let t = Instant::now();
    let mut file = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(&mut file, &bytes).unwrap();
    let write = t.elapsed();
    let t = Instant::now();
    file.sync_all().unwrap();
    let sync = t.elapsed();
    println!("local breakdown ({} bytes)", bytes.len());
    println!(
        "  seal+encode {}  decode (verify by hash) {}",
        ms(seal),
        ms(decode)
    );
    println!("  write {}  fsync {}", ms(write), ms(sync));
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "VmHWM: unknown".into())
}

/// The size of a directory's regular files.
fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// One group of new configurations.
fn group(names: std::ops::Range<usize>) -> wacfg::state::ResourceChanges {
    wacfg::state::ResourceChanges {
        upserts: names
            .map(|i| {
                let r = fixtures::channel(
                    &format!("Marketing_{i:05}"),
                    wacfg::kinds::ChannelStatus::Active,
                );
                (r.address().to_string(), r)
            })
            .collect(),
        removals: vec![],
    }
}

/// An apply's state writes on the local store: 10,000 new configurations (plus their
/// credentials) in groups of 4, as the group committer makes them at parallelism 8, then the
/// fold; and 1 changed configuration out of 10,000.
fn apply_writes() {
    use wacfg::state::local::LocalStore;
    const GROUP: usize = 4;
    let dir = tempfile::TempDir::new().unwrap();
    let store = LocalStore::new(dir.path().join("wacfg.state.json"));
    let lineage = uuid::Uuid::new_v4();
    let creds = fixtures::credentials("acme");
    let first = wacfg::state::ResourceChanges {
        upserts: [(creds.address().to_string(), creds)].into(),
        removals: vec![],
    };
    let start = Instant::now();
    let mut serial = store.append(lineage, &first, None).unwrap().serial;
    let mut appended = std::fs::metadata(store.journal_path()).unwrap().len();
    let mut i = 0;
    while i < RESOURCES - 1 {
        let end = (i + GROUP).min(RESOURCES - 1);
        let before = std::fs::metadata(store.journal_path()).unwrap().len();
        serial = store
            .append(lineage, &group(i..end), Some(serial))
            .unwrap()
            .serial;
        appended += std::fs::metadata(store.journal_path()).unwrap().len() - before;
        i = end;
    }
    let appends = start.elapsed();
    let t = Instant::now();
    store.fold().unwrap();
    let fold = t.elapsed();
    let state = std::fs::metadata(store.path()).unwrap().len();
    // The fold writes the snapshot once (its backup is a hard link: no bytes).
    let written = appended + state;
    // Before the journal, every group wrote the whole document as it then stood; its size
    // grows linearly from the credentials alone to the final state.
    let groups = serial;
    let per_resource = state as f64 / RESOURCES as f64;
    let before: f64 = (1..=groups)
        .map(|g| (1 + (g as usize - 1) * GROUP).min(RESOURCES) as f64 * per_resource)
        .sum();
    println!(
        "apply writes, local: {} new resources in {groups} groups of {GROUP}",
        RESOURCES
    );
    println!(
        "  journal appends {:7.1} ms total ({:.0} µs per group, fsync each)  fold {:6.1} ms",
        appends.as_secs_f64() * 1000.0,
        appends.as_secs_f64() * 1e6 / groups as f64,
        fold.as_secs_f64() * 1000.0
    );
    println!(
        "  bytes written {written} = journal {appended} + one snapshot {state}: {:.2} × the final state (target ≤ 4)",
        written as f64 / state as f64
    );
    println!(
        "  before (a whole document per group): ≈ {:.0} MB = {:.0} × the final state",
        before / 1e6,
        before / state as f64
    );
    let on_disk = dir_bytes(dir.path());
    println!("  left on disk: {on_disk} bytes (snapshot + backup link)");

    // 1 changed configuration out of 10,000: one append, then the fold.
    let mut times = Vec::new();
    let mut bytes = 0;
    for round in 0..ROUNDS {
        let t = Instant::now();
        let doc = store.read().unwrap().unwrap();
        let read = t.elapsed();
        let mut one = group(round..round + 1);
        for r in one.upserts.values_mut() {
            if let wacfg::kinds::RecordedResource::ChannelConfiguration(c) = r {
                c.spec.description = Some(format!("changed in round {round}"));
            }
        }
        let t = Instant::now();
        store.append(lineage, &one, Some(doc.serial)).unwrap();
        let append = t.elapsed();
        bytes = std::fs::metadata(store.journal_path()).unwrap().len();
        store.fold().unwrap();
        times.push((read, append, t.elapsed()));
    }
    times.sort_by_key(|t| t.2);
    let (read, append, total) = times[ROUNDS / 2];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  1 change of {RESOURCES}: read {:.1} ms, append {:.2} ms ({bytes} bytes), append+fold {:.1} ms (median of {ROUNDS})",
        ms(read),
        ms(append),
        ms(total)
    );
}

fn main() {
    apply_writes();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let dir = tempfile::TempDir::new().unwrap();
        let local = open_store(&fixtures::local_settings(dir.path()))
            .await
            .unwrap();
        let size = std::fs::metadata(dir.path().join("wacfg.state.json")).map(|m| m.len());
        let figures = measure(&local).await;
        let size = std::fs::metadata(dir.path().join("wacfg.state.json"))
            .map(|m| m.len())
            .or(size);
        report("local", 100, figures);
        println!("  state file: {} bytes", size.unwrap_or(0));
        breakdown(dir.path());

        let settings: StateSettings = fixtures::pg_settings(dir.path(), "bench");
        let pg = open_store(&settings)
            .await
            .expect("PostgreSQL must be running on 127.0.0.1:5432");
        report("postgres", 300, measure(&pg).await);
    });
    println!("{}", peak_rss());
}
