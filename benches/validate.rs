//! Benchmark: validate a generated configuration of 10,000 channel configurations and 100
//! credentials (load, parse, schema, rules, model), and report time and peak memory.
//! Targets (release build): at most 150 ms and 100 MB peak RSS.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

const CREDENTIALS: usize = 100;
const CHANNELS: usize = 10_000;
const RUNS: usize = 7;

fn generate() -> String {
    let mut text =
        String::from("version: 1\nmarketing_actions: [whatsappPromotions]\ncredentials:\n");
    for i in 0..CREDENTIALS {
        let _ = write!(
            text,
            "  - name: creds_{i:03}\n    token: env:WHATSAPP_TOKEN_{i:03}\n    business_id: \"{}\"\n    whatsapp_business_account: \"{}\"\n    phone_number: \"{}\"\n",
            1_000_000_000_000_000u64 + i as u64,
            100_000_000_000_000u64 + i as u64,
            15_550_100_000u64 + i as u64,
        );
    }
    text.push_str("channel_configurations:\n");
    for i in 0..CHANNELS {
        let cred = i % CREDENTIALS;
        let status = if i % 10 == 0 { "draft" } else { "active" };
        let _ = write!(
            text,
            "  - name: Channel_{i:05}\n    description: Generated channel number {i}\n    channel: whatsapp\n    marketing_actions: [emailTargeting, whatsappPromotions]\n    credentials: creds_{cred:03}\n    sender_number: \"{}\"\n    execution_field: mobilePhone.number\n    status: {status}\n    prevent_destroy: {}\n",
            15_550_100_000u64 + cred as u64,
            i % 7 == 0,
        );
    }
    text
}

/// CPU time of this process (user + system), in ms: honest on a loaded machine.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0
}

/// Where the time goes: reading+parsing versus checking and building the model.
fn phases(path: &std::path::Path) {
    let bytes = std::fs::read(path).expect("read");
    let c0 = cpu_ms();
    let start = Instant::now();
    let (tree, _) = wacfg::config::parse_bytes(path, &bytes);
    let parsed = start.elapsed();
    let c1 = cpu_ms();
    let loaded = wacfg::config::Loaded {
        base_dir: ".".into(),
        files: vec![wacfg::config::SourceFile {
            path: path.to_path_buf(),
            bytes,
            tree,
        }],
        diagnostics: Vec::new(),
    };
    let start = Instant::now();
    let validation = wacfg::validate::validate_loaded(loaded);
    let checked = start.elapsed();
    let c2 = cpu_ms();
    assert!(validation.desired.is_some());
    println!(
        "  phases: parse {:.1} ms, schema+rules+model {:.1} ms",
        parsed.as_secs_f64() * 1000.0,
        checked.as_secs_f64() * 1000.0
    );
    println!(
        "  phases (CPU): parse {:.0} ms, schema+rules+model {:.0} ms",
        c1 - c0,
        c2 - c1
    );
}

/// Peak resident memory of this process so far, in kB (`VmHWM`).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wacfg.yaml");
    let text = generate();
    std::fs::write(&path, &text).expect("write the generated file");
    drop(text);
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut cpu_times: Vec<f64> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let cpu = cpu_ms();
        let validation = wacfg::validate::validate_path(&path);
        times.push(start.elapsed());
        cpu_times.push(cpu_ms() - cpu);
        let desired = validation.desired.expect("the generated file is valid");
        assert_eq!(desired.channel_configurations.len(), CHANNELS);
        assert_eq!(desired.credentials.len(), CREDENTIALS);
    }
    let first = times[0];
    times.sort();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "validate: {CHANNELS} channel configurations + {CREDENTIALS} credentials ({:.1} MiB)",
        size as f64 / 1048576.0
    );
    println!(
        "  first run (includes schema compile): {:.1} ms",
        first.as_secs_f64() * 1000.0
    );
    println!(
        "  median of {RUNS}: {:.1} ms   min: {:.1} ms   max: {:.1} ms",
        times[RUNS / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[RUNS - 1].as_secs_f64() * 1000.0
    );
    cpu_times.sort_by(f64::total_cmp);
    println!(
        "  CPU time (user+sys, 10 ms ticks): median {:.0} ms, min {:.0} ms",
        cpu_times[RUNS / 2],
        cpu_times[0]
    );
    phases(&path);
    println!(
        "  peak RSS (VmHWM): {:.1} MB",
        peak_rss_kb() as f64 / 1024.0
    );
    whole_command(&path);
}

/// The same file through the release binary, as a user runs it: process start, clap, load,
/// validate and the one-line summary. Peak RSS is the largest of the children's (`ru_maxrss`).
fn whole_command(path: &std::path::Path) {
    let bin = env!("CARGO_BIN_EXE_wacfg");
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = std::process::Command::new(bin)
            .arg("validate")
            .arg("-c")
            .arg(path)
            .env("NO_COLOR", "1")
            .output()
            .expect("run wacfg validate");
        times.push(start.elapsed());
        assert!(out.status.success(), "wacfg validate failed: {out:?}");
        let summary = String::from_utf8_lossy(&out.stdout);
        assert!(
            summary.contains("10000 channel configurations: valid")
                || summary.contains("10,000 channel configurations: valid"),
            "unexpected summary: {summary}"
        );
    }
    times.sort();
    println!(
        "  `wacfg validate` command: median of {RUNS}: {:.1} ms   min: {:.1} ms   max: {:.1} ms",
        times[RUNS / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[RUNS - 1].as_secs_f64() * 1000.0
    );
    match command_peak_rss_kb(bin, path) {
        Some(kb) => println!(
            "  `wacfg validate` command peak RSS (GNU time %M): {:.1} MB",
            kb as f64 / 1024.0
        ),
        None => println!("  `wacfg validate` command peak RSS: not measured (no /usr/bin/time)"),
    }
}

/// Peak resident set of one `wacfg validate` run, in kB, read by GNU time (`%M`); `None` when
/// GNU time is not installed (the in-process figure above still stands).
fn command_peak_rss_kb(bin: &str, path: &std::path::Path) -> Option<u64> {
    let report = tempfile::NamedTempFile::new().ok()?;
    let status = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(bin)
        .arg("validate")
        .arg("-c")
        .arg(path)
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    std::fs::read_to_string(report.path())
        .ok()?
        .trim()
        .parse()
        .ok()
}
