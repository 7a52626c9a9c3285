//! Benchmark: rendering many diagnostics in the human format (miette's graphical report).
//! The time must grow in proportion to the number of diagnostics, not with its square.
//!
//! Cases (each a generated `wacfg.yaml` whose diagnostics come from the real validator):
//! - 10,000 channel configurations with one misspelled key each (10,000 diagnostics);
//! - 10,000 channel configurations with ten unknown keys each (100,000 diagnostics);
//! - `wacfg validate -c FILE` (release binary) on the first file, human and JSON format.
//!
//! Sizes can be given on the command line to measure the slope: `cargo bench --bench
//! diagnostics -- 1000 2000 4000 1000x10` (N channel configurations with K unknown keys each,
//! one misspelled key when K is omitted), or `-- command` for one end-to-end run of each format.
//! Target (release build): 100,000 diagnostics render in under 5 s, and doubling the count at
//! most about doubles the time.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// Channel configurations in the generated files.
const CHANNELS: usize = 10_000;

/// A valid configuration of `channels` channel configurations, each with `typos` unknown keys.
fn generate(channels: usize, typos: usize) -> String {
    let mut text = String::from(
        "version: 1\ncredentials:\n  - name: acme_fr\n    token: env:WHATSAPP_TOKEN_ACME_FR\n    business_id: \"1234567890123456\"\n    whatsapp_business_account: \"102290129340398\"\n    phone_number: \"15550100001\"\nchannel_configurations:\n",
    );
    for i in 0..channels {
        let _ = write!(
            text,
            "  - name: Channel_{i:06}\n    channel: whatsapp\n    marketing_actions: [emailTargeting]\n    credentials: acme_fr\n    sender_number: \"15550100001\"\n",
        );
        if typos == 1 {
            // One misspelled key, as a hurried edit leaves it.
            text.push_str("    descripton: a typo\n");
        } else {
            for k in 0..typos {
                let _ = writeln!(text, "    unknown_{k}: {k}");
            }
        }
    }
    text
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Validate `text` as a file and time the human and JSON rendering of its diagnostics.
fn render_case(dir: &Path, label: &str, channels: usize, typos: usize, runs: usize) -> f64 {
    let path = dir.join(format!("typos_{channels}_{typos}.yaml"));
    std::fs::write(&path, generate(channels, typos)).expect("write the generated file");
    let start = Instant::now();
    let validation = wacfg::validate::validate_path(&path);
    let validated = start.elapsed();
    let diags = validation.diagnostics;
    assert!(validation.desired.is_none(), "the file must be invalid");
    assert_eq!(
        diags.len(),
        channels * typos,
        "one diagnostic per unknown key"
    );
    let sources = wacfg::config::read_sources(&validation.files);
    let mut human = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let text = wacfg::render::diagnostics::human(&diags, &sources, false);
        human.push(start.elapsed());
        bytes = text.len();
        assert!(text.contains("descripton") || text.contains("unknown_0"));
    }
    human.sort();
    let start = Instant::now();
    let json = wacfg::render::diagnostics::json(&diags);
    let json_time = start.elapsed();
    assert!(json.len() > diags.len());
    let median = ms(human[runs / 2]);
    println!(
        "{label}: {} diagnostics ({:.1} MiB of YAML)",
        diags.len(),
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1048576.0
    );
    println!(
        "  human: median of {runs} {median:.1} ms (min {:.1}, max {:.1}), {:.2} µs/diagnostic, {:.1} MiB of text",
        ms(human[0]),
        ms(human[runs - 1]),
        median * 1000.0 / diags.len() as f64,
        bytes as f64 / 1048576.0
    );
    println!(
        "  json: {:.1} ms; validation itself: {:.1} ms",
        ms(json_time),
        ms(validated)
    );
    median
}

/// `wacfg validate -c FILE` as a user runs it, in the human format (stderr) and in JSON.
fn whole_command(dir: &Path, runs: usize) {
    let path = dir.join("wacfg.yaml");
    std::fs::write(&path, generate(CHANNELS, 1)).expect("write the generated file");
    let bin = env!("CARGO_BIN_EXE_wacfg");
    for format in ["human", "json"] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let out = std::process::Command::new(bin)
                .args(["validate", "--format", format, "-c"])
                .arg(&path)
                .env("NO_COLOR", "1")
                .output()
                .expect("run wacfg validate");
            times.push(start.elapsed());
            assert_eq!(out.status.code(), Some(1), "an invalid file exits 1");
            let text = if format == "human" {
                out.stderr
            } else {
                out.stdout
            };
            assert!(String::from_utf8_lossy(&text).contains("descripton"));
        }
        times.sort();
        println!(
            "`wacfg validate --format {format}`, {CHANNELS} typos: median of {runs} {:.1} ms (min {:.1}, max {:.1})",
            ms(times[runs / 2]),
            ms(times[0]),
            ms(times[runs - 1])
        );
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if !args.is_empty() {
        // `N` or `NxK`: N configurations with K unknown keys each (one misspelled key when K is
        // 1); `command`: only the end-to-end `wacfg validate` runs.
        for arg in args {
            if arg == "command" {
                whole_command(dir.path(), 1);
                continue;
            }
            let (n, k) = arg.split_once('x').unwrap_or((&arg, "1"));
            let (Ok(n), Ok(k)) = (n.parse(), k.parse()) else {
                panic!("unknown argument {arg}: give N, NxK or command");
            };
            render_case(dir.path(), &format!("{n} configurations x {k}"), n, k, 1);
        }
        return;
    }
    let ten = render_case(
        dir.path(),
        "10,000 configurations, one typo each",
        CHANNELS,
        1,
        5,
    );
    let hundred = render_case(
        dir.path(),
        "10,000 configurations, ten unknown keys each",
        CHANNELS,
        10,
        3,
    );
    println!(
        "  100,000 / 10,000 diagnostics: time ratio {:.1} (linear: about 10)",
        hundred / ten
    );
    whole_command(dir.path(), 3);
}
