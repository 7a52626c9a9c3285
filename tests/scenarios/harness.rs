//! The scenario harness: an in-process simulator, a temp directory holding the configuration
//! and the local state, and runs of the real `wacfg` binary pointed at both. Owns the output
//! normaliser that makes runs comparable to golden files (ports, paths, lineage, digests).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use wacfg::state::StateDocument;
use wacfg::state::local::LocalStore;
use wacfg_sim::{Faults, Sim, Token, World};

/// The token of the examples world that sees the Acme portfolio. Obviously fake.
pub const TOKEN: &str = "test-token-acme";
/// A second valid token for the same portfolio, added to the world for rotations.
pub const ROTATED_TOKEN: &str = "test-token-acme-rotated";
/// The variable the configurations name.
pub const TOKEN_VAR: &str = "WHATSAPP_TOKEN_ACME_FR";

/// The examples world (the demo's), plus a rotated token for the same portfolio.
pub fn world() -> World {
    let mut w = World::from_yaml(include_str!("../../examples/sim/world.yaml")).expect("world");
    let mut rotated: Token = w.tokens[0].clone();
    rotated.value = ROTATED_TOKEN.into();
    rotated.label = Some("acme-rotated".into());
    w.tokens.push(rotated);
    w
}

/// One scenario's world: a simulator, a directory, and the environment of every run.
pub struct Env {
    pub sim: Sim,
    pub dir: TempDir,
    pub token: String,
}

/// What a run of `wacfg` printed and how it ended.
#[derive(Debug)]
pub struct Run {
    /// None when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    /// The examples world, no faults, `config` written as wacfg.yaml.
    pub fn new(config: &str) -> Env {
        Env::with(world(), Faults::default(), config)
    }

    pub fn with(world: World, faults: Faults, config: &str) -> Env {
        let sim = Sim::start_blocking(world, faults).expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let env = Env {
            sim,
            dir,
            token: TOKEN.into(),
        };
        env.write_config(config);
        env
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.path("wacfg.yaml"), text).expect("write config");
    }

    /// A `wacfg` command in the directory, pointed at the simulator, no colour, CI set.
    pub fn cmd(&self, args: &[&str]) -> std::process::Command {
        self.program(env!("CARGO_BIN_EXE_wacfg"), args)
    }

    /// Any program with the environment of a `wacfg` run (e.g. `script` giving it a TTY).
    pub fn program(&self, program: &str, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.args(args)
            .current_dir(self.dir.path())
            .env("WACFG_GRAPH_URL", self.sim.url())
            .env(TOKEN_VAR, &self.token)
            .env("NO_COLOR", "1")
            .env("CI", "1")
            // The plan names the commit it was made at: none here, whatever CI sets.
            .env_remove("WACFG_COMMIT")
            // The timing lines of progress (a read that takes over a second, "Still
            // creating…") would come and go with the machine's speed: off unless a test
            // turns them on with a short interval.
            .env("WACFG_PROGRESS_QUIET_FOR", "1h")
            .env("WACFG_PROGRESS_EVERY", "1h")
            .env_remove("WACFG_DATABASE_URL")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().expect("wacfg runs");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run and insist on an exit code, showing the whole output when it differs.
    pub fn expect(&self, args: &[&str], code: i32) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, Some(code), "wacfg {args:?} exit code\n{r:#?}");
        r
    }

    /// Start `wacfg` in the background. Its output is drained as it comes (a long plan would
    /// otherwise fill the pipe and block the run); `finish` returns it.
    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut child = self.spawn_piped(args);
        let out = drain(child.stdout.take().expect("piped stdout"));
        let err = drain(child.stderr.take().expect("piped stderr"));
        DRAINED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(child.id(), (out, err));
        child
    }

    /// Start `wacfg` with its output pipes left to the caller, who must read both.
    pub fn spawn_piped(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wacfg starts")
    }

    pub fn state_path(&self) -> PathBuf {
        self.path("wacfg.state.json")
    }

    /// The state as the store reads it (checksum verified); panics when it is corrupt.
    pub fn state_doc(&self) -> Option<StateDocument> {
        LocalStore::new(self.state_path())
            .read()
            .expect("state file is valid")
    }

    /// The state as JSON (the snapshot with the journal's records applied, as every reader
    /// sees it: the snapshot file alone can be behind); panics when there is none or it is
    /// corrupt.
    pub fn state(&self) -> serde_json::Value {
        let doc = self.state_doc().expect("a state file exists");
        serde_json::to_value(&doc).expect("state is JSON")
    }

    pub fn serial(&self) -> u64 {
        self.state_doc().map_or(0, |d| d.serial)
    }

    /// A recorded channel configuration's JSON.
    pub fn channel(&self, name: &str) -> serde_json::Value {
        self.state()["resources"][format!("channel_configuration.{name}")].clone()
    }

    /// POST to a `/__sim/` control endpoint; panics unless it answers 200.
    pub fn control(&self, path: &str, body: &str) -> String {
        let addr = self.sim.addr();
        let mut s = TcpStream::connect(addr).expect("connect to the simulator");
        write!(
            s,
            "POST /__sim/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send control request");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read control answer");
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "control {path} failed: {answer}"
        );
        answer
    }

    /// The run's output, normalised, for a golden file.
    pub fn golden(&self, r: &Run) -> String {
        self.golden_with(r, false)
    }

    /// As `golden`, with stderr lines sorted: concurrent progress lines come in any order.
    pub fn golden_sorted(&self, r: &Run) -> String {
        self.golden_with(r, true)
    }

    fn golden_with(&self, r: &Run, sort_stderr: bool) -> String {
        let mut err: Vec<&str> = r.stderr.lines().collect();
        if sort_stderr {
            // Stable: each resource's lines keep their order.
            err.sort_by_key(|l| l.split(':').next().unwrap_or("").to_string());
        }
        let text = format!(
            "exit: {:?}\n--- stdout\n{}--- stderr\n{}\n",
            r.code,
            r.stdout,
            err.join("\n")
        );
        self.normalise(&text)
    }

    pub fn normalise(&self, text: &str) -> String {
        let dir = self.dir.path().display().to_string();
        let text = text.replace(&self.sim.url(), "http://127.0.0.1:[PORT]");
        let text = text.replace(&dir, "[DIR]");
        let digest = regex::Regex::new(r"sha256:[0-9a-f]{64}").unwrap();
        let uuid =
            regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
                .unwrap();
        // Times and trace ids in Graph errors change with every run.
        let time = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z").unwrap();
        let trace = regex::Regex::new(r"fbtrace_id \w+").unwrap();
        // Apply writes state with group commit: how many changes share a write depends on
        // timing, so the serial it ends at does too.
        let serial = regex::Regex::new(r"serial \d+( to )?\d*").unwrap();
        // Durations in progress lines ("after 2.1 s", "Apply took 3.0 s", retry waits).
        let took =
            regex::Regex::new(r"(after|in|waiting|took) (\d+ min )?\d+(\.\d+)? s\b").unwrap();
        let text = took.replace_all(text.as_ref(), "$1 [T] s");
        let text = digest.replace_all(&text, "sha256:[DIGEST]");
        let text = uuid.replace_all(&text, "[LINEAGE]");
        let text = time.replace_all(&text, "[TIME]");
        let text = serial.replace_all(&text, |c: &regex::Captures| {
            if c.get(1).is_some() {
                "serial [N] to [N]".to_string()
            } else {
                "serial [N]".to_string()
            }
        });
        trace.replace_all(&text, "fbtrace_id [TRACE]").into_owned()
    }
}

/// Poll `cond` every few milliseconds until it holds; panics after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The number of channel configurations the state file at `path` records, 0 when there is
/// none yet or it is between writes.
pub fn recorded_channels(path: &Path) -> usize {
    match LocalStore::new(path).read() {
        Ok(Some(doc)) => doc
            .resources
            .keys()
            .filter(|k| k.starts_with("channel_configuration."))
            .count(),
        _ => 0,
    }
}

/// Send a signal to a child with the `kill` command (no libc in the tests).
pub fn signal(child: &Child, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill {sig} failed");
}

type Drained = std::thread::JoinHandle<Vec<u8>>;

/// The output readers of children started by `Env::spawn`, by process id.
static DRAINED: std::sync::Mutex<std::collections::BTreeMap<u32, (Drained, Drained)>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn drain(mut stream: impl Read + Send + 'static) -> Drained {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        bytes
    })
}

/// Wait for a child and collect its output.
pub fn finish(child: Child) -> Run {
    let drained = DRAINED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&child.id());
    let out = child.wait_with_output().expect("wait for wacfg");
    let (stdout, stderr) = match drained {
        Some((o, e)) => (
            o.join().expect("stdout reader"),
            e.join().expect("stderr reader"),
        ),
        None => (out.stdout, out.stderr),
    };
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
