//! The token never leaves memory: a full cycle in every format is grepped for it. And the
//! README demo stays true.

use std::path::Path;

use crate::config::{base, config, replacing};
use crate::harness::{Env, ROTATED_TOKEN, TOKEN};

const FORMATS: [&str; 4] = ["human", "json", "markdown", "github"];

#[test]
fn token_is_absent_from_everything_a_run_writes() {
    let mut env = Env::new(&base());
    let mut written: Vec<(String, String)> = Vec::new();
    let mut record = |label: String, r: crate::harness::Run| {
        written.push((format!("{label} stdout"), r.stdout));
        written.push((format!("{label} stderr"), r.stderr));
    };
    // The steps that must succeed are run with `expect`, so the grep covers real output.
    record("validate".into(), env.expect(&["validate"], 0));
    for f in FORMATS {
        record(format!("plan {f}"), env.expect(&["plan", "--format", f], 0));
    }
    record(
        "plan -o".into(),
        env.expect(&["plan", "-o", "plan.json"], 0),
    );
    for f in FORMATS {
        record(
            format!("show plan {f}"),
            env.expect(&["show", "plan.json", "--format", f], 0),
        );
    }
    let apply = env.expect(&["apply", "plan.json"], 0);
    record("apply plan.json".into(), apply);
    // A second cycle: an edit, a rotated token, a failing check, every format of apply.
    env.write_config(&crate::config::config(
        &replacing("Support_FR", |c| c.sender("15550200001")),
        None,
    ));
    env.token = ROTATED_TOKEN.into();
    for f in ["human", "json", "markdown"] {
        record(
            format!("apply {f}"),
            // Exit 1: the sender outside the WABA fails its checks (after the first run,
            // the failed update is retried, as asked).
            env.expect(
                &["apply", "--auto-approve", "--retry-failed", "--format", f],
                1,
            ),
        );
    }
    env.control("numbers/106540352242923/remove", "");
    for f in ["human", "json", "markdown"] {
        record(
            format!("drift {f}"),
            env.expect(&["drift", "--format", f], 2),
        );
    }
    for f in ["human", "json"] {
        record(format!("show state {f}"), env.run(&["show", "--format", f]));
        record(
            format!("state show {f}"),
            env.run(&["state", "show", "--format", f]),
        );
    }
    record("state list".into(), env.run(&["state", "list"]));
    // Errors too: an expired token.
    env.control(
        "tokens/expire",
        &format!(r#"{{"value":"{ROTATED_TOKEN}"}}"#),
    );
    record("plan expired".into(), env.expect(&["plan"], 1));
    env.write_config(&config(&[], None));
    record(
        "apply expired".into(),
        env.expect(&["apply", "--auto-approve"], 1),
    );

    for name in ["plan.json", "wacfg.state.json", "wacfg.state.json.backup"] {
        let path = env.path(name);
        assert!(path.exists(), "{name} was written");
        written.push((name.into(), read(&path)));
    }
    let everything: String = written.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        everything.contains("acme_fr"),
        "the runs did produce output"
    );
    for (label, text) in &written {
        for token in [TOKEN, ROTATED_TOKEN] {
            assert!(
                !text.contains(token),
                "the token appears in {label}:\n{text}"
            );
        }
    }
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

#[test]
fn readme_demo_runs_to_the_end() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_wacfg"))
        .parent()
        .unwrap()
        .to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ensure_simulator_binary(root, &bin_dir);
    let out = std::process::Command::new("bash")
        .arg(root.join("examples/demo/run.sh"))
        .env("WACFG_BIN_DIR", &bin_dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("==> demo complete: the configuration is applied and the plan is empty"),
        "{stdout}"
    );
    assert!(stdout.contains("No changes."), "{stdout}");
}

/// `cargo test` builds only this package's binaries; the demo also needs `wacfg-sim` beside
/// `wacfg`. Build it (quick: its library is already built) when a plain `cargo test` ran.
fn ensure_simulator_binary(root: &Path, bin_dir: &Path) {
    if bin_dir.join("wacfg-sim").exists() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "-p", "wacfg-sim", "--bin", "wacfg-sim"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cannot build wacfg-sim for the demo");
    assert!(
        bin_dir.join("wacfg-sim").exists(),
        "wacfg-sim is not in {}",
        bin_dir.display()
    );
}

// ---- Issue 11, item 1: the operator, not the file, decides where tokens go and which files
// are read as secrets. Item 4: a literal token under any key is never printed.

/// A loopback server that records every connection and answers each with a Graph error (so
/// a client that does reach it gives up at once). It must stay silent in these tests.
struct Recorder {
    url: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Recorder {
    fn start() -> Recorder {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                let body = r#"{"error":{"message":"recorded","type":"OAuthException","code":190}}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Recorder { url, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

fn with_graph_url(url: &str) -> String {
    base().replacen(
        "version: 1\n",
        &format!("version: 1\nmeta:\n  graph_url: {url}\n"),
        1,
    )
}

fn with_token_ref(reference: &str) -> String {
    base().replace(
        "token: env:WHATSAPP_TOKEN_ACME_FR",
        &format!("token: {reference}"),
    )
}

/// Run with the harness environment but without `WACFG_GRAPH_URL`: only the file speaks.
fn run_without_operator_url(env: &Env, args: &[&str]) -> crate::harness::Run {
    let out = env
        .cmd(args)
        .env_remove("WACFG_GRAPH_URL")
        .output()
        .expect("wacfg runs");
    crate::harness::Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn yaml_graph_url_alone_is_refused_and_nothing_is_sent_anywhere() {
    let recorder = Recorder::start();
    let env = Env::new(&with_graph_url(&recorder.url));
    for args in [&["plan"][..], &["drift"], &["apply", "--auto-approve"]] {
        let r = run_without_operator_url(&env, args);
        assert_eq!(r.code, Some(1), "{args:?}: {r:#?}");
        assert!(r.stderr.contains("meta.graph_url"), "{r:#?}");
        assert!(
            r.stderr.contains("WACFG_GRAPH_URL"),
            "says how to allow it: {r:#?}"
        );
        assert!(
            r.stderr.contains("--graph-url"),
            "says how to allow it: {r:#?}"
        );
    }
    assert_eq!(recorder.hits(), 0, "a request reached the file's graph_url");
    assert_eq!(env.sim.stats().http_requests, 0, "no request anywhere");

    // An attacker's host: the same refusal, naming Meta's host.
    env.write_config(&with_graph_url("https://attacker.example"));
    let r = run_without_operator_url(&env, &["plan"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stderr.contains("https://graph.facebook.com"), "{r:#?}");
    assert!(!r.stderr.contains(TOKEN), "{r:#?}");

    // The operator allows the endpoint: WACFG_GRAPH_URL (the harness sets it to the simulator)
    // is used as before, whatever the file says; so is --graph-url.
    env.write_config(&with_graph_url(&recorder.url));
    env.expect(&["plan"], 0);
    let sim_url = env.sim.url();
    let r = run_without_operator_url(&env, &["--graph-url", &sim_url, "plan"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(recorder.hits(), 0, "the operator's endpoint was used");
    assert!(env.sim.stats().http_requests > 0);
}

#[test]
fn file_references_outside_the_configuration_tree_are_refused_unless_allowed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("token"), format!("{TOKEN}\n")).unwrap();
    let env = Env::new(&base());
    let dir_name = outside.path().file_name().unwrap().to_str().unwrap();
    let absolute = outside.path().join("token").display().to_string();
    std::fs::create_dir(env.path("secrets")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("token"), env.path("secrets/link")).unwrap();
    for reference in [
        format!("file:../{dir_name}/token"),
        format!("file:{absolute}"),
        "file:secrets/link".to_string(),
        format!("file:secrets/../../{dir_name}/token"),
        "file:../no-such-dir/token".to_string(),
    ] {
        env.write_config(&with_token_ref(&reference));
        let r = env.run(&["plan"]);
        assert_eq!(r.code, Some(1), "{reference}: {r:#?}");
        assert!(r.stderr.contains("outside"), "{reference}: {r:#?}");
        assert!(r.stderr.contains("--secret-dir"), "{reference}: {r:#?}");
        assert!(
            r.stderr.contains("WACFG_SECRET_DIRS"),
            "{reference}: {r:#?}"
        );
    }
    assert_eq!(
        env.sim.stats().http_requests,
        0,
        "refused before any request"
    );
    // A verify token is held to the same rule.
    let webhook = format!(
        "{}webhooks:\n  - name: inbound\n    credentials: acme_fr\n    callback_url: https://hooks.example.com/wa\n    verify_token: file:{absolute}\n",
        base()
    );
    env.write_config(&webhook);
    let r = env.run(&["plan"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(
        r.stderr.contains("webhook `inbound`") && r.stderr.contains("outside"),
        "{r:#?}"
    );

    // So is the PostgreSQL connection string, refused before any connection.
    env.write_config(&base().replacen(
        "version: 1\n",
        &format!(
            "version: 1\nstate:\n  backend: postgres\n  url: file:{absolute}\n  workspace: w\n"
        ),
        1,
    ));
    for args in [&["plan"][..], &["state", "list"]] {
        let r = env.run(args);
        assert_eq!(r.code, Some(1), "{args:?}: {r:#?}");
        assert!(r.stderr.contains("outside"), "{args:?}: {r:#?}");
        assert!(!r.stderr.contains(TOKEN), "{args:?}: {r:#?}");
    }

    // Inside the tree: read as before.
    std::fs::write(env.path("secrets/token"), format!("{TOKEN}\n")).unwrap();
    env.write_config(&with_token_ref("file:secrets/token"));
    env.expect(&["plan"], 0);
    // The operator allows the other directory: by flag, or by the environment.
    env.write_config(&with_token_ref(&format!("file:{absolute}")));
    let allowed = outside.path().display().to_string();
    env.expect(&["--secret-dir", &allowed, "plan"], 0);
    let out = env
        .cmd(&["plan"])
        .env("WACFG_SECRET_DIRS", &allowed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// Run with a deadline; a run still going after it is killed and reported as such.
fn run_within(env: &Env, args: &[&str], limit: std::time::Duration) -> crate::harness::Run {
    let mut child = env
        .cmd(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("wacfg {args:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    crate::harness::Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn devices_fifos_and_big_files_are_clear_errors_at_once() {
    let env = Env::new(&base());
    let limit = std::time::Duration::from_secs(3);
    let fifo = env.path("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    env.write_config(&with_token_ref("file:fifo"));
    let r = run_within(&env, &["plan"], limit);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stderr.contains("not a regular file"), "{r:#?}");

    env.write_config(&with_token_ref("file:/dev/zero"));
    let r = run_within(&env, &["--secret-dir", "/dev", "plan"], limit);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stderr.contains("not a regular file"), "{r:#?}");

    std::fs::write(env.path("big.token"), "A".repeat(65 * 1024)).unwrap();
    env.write_config(&with_token_ref("file:big.token"));
    let r = run_within(&env, &["plan"], limit);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stderr.contains("64 KiB"), "{r:#?}");
    assert_eq!(env.sim.stats().http_requests, 0);
}

#[test]
fn a_literal_token_under_a_misspelled_key_is_never_printed() {
    // Token-shaped (what the masking must catch) yet obviously fake; split so that no
    // token-shaped literal sits in the repository.
    const LITERAL: &str = concat!(
        "EA",
        "A",
        "faketokenZZ0123456789abcdefFAKEFAKEFAKEnotreal0123456789"
    );
    const PASSWORD: &str = "hunter2notreal";
    let config = base()
        .replace(
            "token: env:WHATSAPP_TOKEN_ACME_FR",
            &format!("tokn: {LITERAL}\n    token: env:WHATSAPP_TOKEN_ACME_FR"),
        )
        .replacen(
            "version: 1\n",
            &format!("version: 1\nstate:\n  backend: postgres\n  urll: postgres://wacfg:{PASSWORD}@db.example.com/wacfg\n"),
            1,
        );
    let env = Env::new(&config);
    for format in ["human", "json", "github"] {
        let r = env.expect(&["validate", "--format", format], 1);
        let text = format!("{}{}", r.stdout, r.stderr);
        assert!(text.contains("tokn"), "the diagnostic is there: {text}");
        assert!(
            !text.contains(LITERAL),
            "{format} printed the token:\n{text}"
        );
        assert!(
            !text.contains(&LITERAL[..12]),
            "{format} printed part of it:\n{text}"
        );
        assert!(
            !text.contains(PASSWORD),
            "{format} printed the password:\n{text}"
        );
        if format == "human" {
            // Ordinary values around it are still shown.
            assert!(text.contains("name: acme_fr"), "{text}");
            assert!(text.contains("token: env:WHATSAPP_TOKEN_ACME_FR"), "{text}");
            assert!(text.contains("@db.example.com/wacfg"), "{text}");
        }
    }
}
