//! Benchmark: validate + plan of 10,000 channel configurations and 100 credentials against an
//! unchanged remote (the simulator, no latency) and a state that already records everything.
//! Target (PRODUCT.md §9): ≤ 300 ms and ≤ 150 MB peak memory, release build.
//!
//! The measured run happens in a child process (this binary re-executed) so its peak memory
//! is its own, not the simulator's or the setup's. Run: `cargo bench --bench plan`.

#[path = "support/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use generate::Shape;
use wacfg::command::pipeline;
use wacfg::kinds::channel_configuration::attrs::desired_spec;
use wacfg::kinds::channel_configuration::checks::{CredentialsFacts, channel_checks};
use wacfg::kinds::credentials::verify_credentials;
use wacfg::kinds::{RecordedChannel, RecordedResource};
use wacfg::model::Address;
use wacfg::remote::Token;
use wacfg::state::StateDocument;
use wacfg::state::local::LocalStore;

const SHAPE: Shape = Shape {
    businesses: 10,
    credentials: 100,
    numbers: 100,
    channels: 10_000,
};
const RUNS: usize = 7;

fn main() {
    if std::env::var_os("WACFG_BENCH_CHILD").is_some() {
        return child(Path::new(
            &std::env::var("WACFG_BENCH_CONFIG").expect("config path"),
        ));
    }
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("wacfg.yaml");
    std::fs::write(&config, generate::config_yaml(&SHAPE)).unwrap();
    let world = wacfg_sim::World::from_yaml(&generate::world_yaml(&SHAPE)).expect("world");
    let sim = wacfg_sim::Sim::start_blocking(world, wacfg_sim::Faults::default()).expect("sim");
    record_everything(&config, &sim.url());
    let before = sim.stats();
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..RUNS {
        let (ms, kib, changes) = run_child(&config, &sim.url());
        assert_eq!(
            changes, 0,
            "the remote and state are unchanged: the plan must be empty"
        );
        times.push(ms);
        peaks.push(kib);
    }
    let after = sim.stats();
    times.sort_by(f64::total_cmp);
    peaks.sort();
    println!(
        "plan: {} channel configurations, {} credentials, {} businesses/tokens, unchanged remote",
        SHAPE.channels, SHAPE.credentials, SHAPE.businesses
    );
    println!(
        "  validate+plan wall time over {RUNS} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms (target ≤ 300 ms)",
        times[0],
        times[RUNS / 2],
        times[RUNS - 1]
    );
    println!(
        "  peak memory (VmHWM): median {:.1} MB, max {:.1} MB (target ≤ 150 MB)",
        peaks[RUNS / 2] as f64 / 1024.0,
        peaks[RUNS - 1] as f64 / 1024.0
    );
    println!(
        "  Graph requests per plan: {} HTTP requests carrying {} batched reads",
        (after.http_requests - before.http_requests) / RUNS as u64,
        (after.batch_sub_requests - before.batch_sub_requests) / RUNS as u64
    );
}

fn run_child(config: &Path, url: &str) -> (f64, u64, usize) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    for b in 0..SHAPE.businesses {
        cmd.env(generate::token_var(b), generate::token(b));
    }
    let out = cmd
        .env("WACFG_GRAPH_URL", url)
        .env("WACFG_BENCH_CHILD", "1")
        .stderr(std::process::Stdio::inherit())
        .env("WACFG_BENCH_CONFIG", config)
        .output()
        .expect("child runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parts: Vec<&str> = text.split_whitespace().collect();
    (
        parts[0].parse().unwrap(),
        parts[1].parse().unwrap(),
        parts[2].parse().unwrap(),
    )
}

/// The measured work: exactly what `wacfg plan` does before rendering.
fn child(config: &Path) {
    let start = Instant::now();
    let sources = wacfg::command::ConfigSources::single(config);
    let prefetch = pipeline::prefetch_state(&sources);
    let validation = sources.validate();
    let desired = validation.desired.expect("valid config");
    // The parent sets WACFG_GRAPH_URL (the operator's allowance), as a CI job would.
    let prepared = pipeline::resolve_tokens(
        desired,
        Vec::new(),
        &sources,
        &wacfg::command::Operator::default(),
        8,
    )
    .expect("tokens");
    let rt = pipeline::runtime().unwrap();
    let t_validate = start.elapsed();
    let plan = rt.block_on(async {
        let store = pipeline::open(&prepared).await.unwrap();
        let doc = pipeline::read_state(&store, &prepared.desired, Some(prefetch))
            .await
            .unwrap();
        let (prior, recorded) = pipeline::recorded_of(doc);
        let t_state = start.elapsed();
        let client = pipeline::client(&prepared).unwrap();
        let observed = pipeline::observe(&client, &prepared, &recorded).await;
        let t_observe = start.elapsed();
        let plan = pipeline::make_plan(
            &prepared,
            &observed,
            prior,
            &recorded,
            &[],
            false,
            Default::default(),
        )
        .unwrap();
        if std::env::var_os("WACFG_BENCH_PHASES").is_some() {
            eprintln!(
                "validate {:?} state {:?} observe {:?} plan {:?}",
                t_validate,
                t_state - t_validate,
                t_observe - t_state,
                start.elapsed() - t_observe
            );
        }
        plan
    });
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let changes = plan
        .resource_changes
        .iter()
        .filter(|c| c.action != wacfg::plan::Action::NoOp)
        .count();
    println!("{ms:.3} {} {changes}", generate::peak_rss_kib());
}

/// Write a state in which every credentials entry and configuration is applied and Active.
fn record_everything(config: &Path, url: &str) {
    let mut desired = wacfg::validate::validate_path(config)
        .desired
        .expect("valid config");
    desired.meta.graph_url = url.to_string();
    let client_config =
        wacfg::remote::ClientConfig::from_parts(url, None, &desired.meta.api_version, 8);
    let tokens: BTreeMap<String, Token> = desired
        .credentials
        .iter()
        .map(|(name, c)| {
            let var = c.token.to_string();
            let b: usize = var.rsplit('_').next().unwrap().parse().unwrap();
            (name.clone(), Token::new(generate::token(b)))
        })
        .collect();
    let fingerprints = tokens
        .iter()
        .map(|(k, t)| (k.clone(), t.fingerprint()))
        .collect();
    let prepared = pipeline::Prepared {
        desired,
        warnings: Vec::new(),
        tokens,
        secrets: BTreeMap::new(),
        fingerprints,
        client_config,
        access: wacfg::model::SecretAccess::anywhere(),
    };
    let rt = pipeline::runtime().unwrap();
    let observed = rt.block_on(async {
        let client = pipeline::client(&prepared).unwrap();
        pipeline::observe(&client, &prepared, &BTreeMap::new()).await
    });
    let d = &prepared.desired;
    let mut doc = StateDocument::new();
    for (name, c) in &d.credentials {
        let rec = verify_credentials(c, &prepared.fingerprints[name], &observed)
            .expect("credentials verify");
        doc.resources.insert(
            Address::credentials(name).to_string(),
            RecordedResource::Credentials(rec),
        );
    }
    for (name, ch) in &d.channel_configurations {
        let spec = desired_spec(ch);
        let c = &d.credentials[ch.credentials.as_ref().unwrap()];
        let facts = CredentialsFacts {
            name: &c.name,
            verified: Ok(()),
            waba: observed.waba(&c.business_id, &c.waba_id),
            waba_id: &c.waba_id,
        };
        let (checks, id) = channel_checks(&spec, Some(&facts), &|a| d.knows_marketing_action(a));
        let rec = RecordedChannel {
            name: name.clone(),
            status: wacfg::kinds::ChannelStatus::Active,
            version: 1,
            spec,
            phone_number_id: id,
            checks,
            failure_reasons: Vec::new(),
            failed_update: None,
            prevent_destroy: false,
            failure_digest: None,
        };
        doc.resources.insert(
            Address::channel(name).to_string(),
            RecordedResource::ChannelConfiguration(rec),
        );
    }
    let path: PathBuf = config.parent().unwrap().join("wacfg.state.json");
    LocalStore::new(path)
        .write(&doc, None)
        .expect("state written");
}
