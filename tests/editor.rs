//! The editor experience `wacfg init` promises, checked with the real YAML language server
//! (Red Hat's `yaml-language-server`, the one VS Code, Neovim and others use), installed from
//! npm into `tools/` (by `.ci/run`, or by this test when missing). It speaks the Language
//! Server Protocol over stdio to the file `init` wrote, offline: the modeline must resolve to
//! the local schema copy, and completion, hover and the unknown-key diagnostic must work.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{Value, json};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The language server's entry point, installing `tools/` from its lock file first if needed.
fn language_server() -> PathBuf {
    let tools = repo().join("tools");
    let server = tools.join("node_modules/yaml-language-server/bin/yaml-language-server");
    if !server.exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .status()
            .unwrap_or_else(|e| {
                panic!(
                    "this test runs the YAML language server, an npm package: install Node.js and npm, then `npm ci --prefix tools` ({e})"
                )
            });
        assert!(status.success(), "`npm ci --prefix tools` failed");
    }
    assert!(server.exists(), "{} missing after npm ci", server.display());
    server
}

/// A minimal LSP client: Content-Length framed JSON-RPC over the server's stdio.
struct Lsp {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications seen while waiting for responses.
    notifications: Vec<Value>,
}

impl Lsp {
    fn start(server: &Path) -> Self {
        let mut child = Command::new("node")
            .arg(server)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the language server (install Node.js)");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        length = v.trim().parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if stdout.read_exact(&mut body).is_err() {
                    return;
                }
                let message: Value = serde_json::from_slice(&body).expect("JSON-RPC body");
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            incoming,
            next_id: 0,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Answer the server's own requests as an editor would: the settings it asks for, and
    /// null for the rest (capability registrations).
    fn answer(&mut self, message: Value) {
        match (message.get("id"), message["method"].as_str()) {
            (Some(id), Some("workspace/configuration")) => {
                let n = message["params"]["items"].as_array().map_or(1, Vec::len);
                let settings = json!({
                    "validate": true, "hover": true, "completion": true,
                    "schemaStore": {"enable": false}
                });
                let id = id.clone();
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": vec![settings; n]}));
            }
            (Some(id), Some(_)) => {
                let id = id.clone();
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
            }
            _ => self.notifications.push(message),
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .incoming
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to {method} within 60 s"));
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
            self.answer(message);
        }
    }

    /// Wait for the diagnostics published for `uri` that satisfy `done`.
    fn diagnostics_until(&mut self, uri: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = Vec::new();
        loop {
            for n in std::mem::take(&mut self.notifications) {
                if n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri {
                    last = n["params"]["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                }
            }
            if done(&last) {
                return last;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .incoming
                .recv_timeout(left.min(Duration::from_millis(500)))
            {
                Ok(message) => self.answer(message),
                Err(_) if Instant::now() >= deadline => {
                    panic!("the expected diagnostics never came; last: {last:?}")
                }
                Err(_) => {}
            }
        }
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn line_of(text: &str, pred: impl Fn(&str) -> bool) -> usize {
    text.lines()
        .position(pred)
        .expect("the line is in the file")
}

#[test]
fn the_file_init_writes_gets_completion_hover_and_diagnostics_offline() {
    let server = language_server();
    let dir = tempfile::tempdir().unwrap();
    let status = Command::cargo_bin("wacfg")
        .unwrap()
        .args(["init", "--dir"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let path = dir.path().join("wacfg.yaml");
    // What `init` wrote, plus a configuration whose sender is a variable, one whose sender
    // is not a number, a configuration being typed (its marketing action not yet chosen)
    // and a misspelt top-level key.
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(concat!(
        "  - name: From_${var.env}\n    channel: whatsapp\n    marketing_actions: [emailTargeting]\n",
        "    credentials: acme_fr\n    sender_number: \"${var.sender}\"\n",
        "  - name: Bad_number\n    channel: whatsapp\n    marketing_actions: [emailTargeting]\n",
        "    credentials: acme_fr\n    sender_number: \"12ab\"\n",
        "  - name: Typing\n    channel: whatsapp\n    marketing_actions:\n      - \nbogus_key: 1\n",
    ));
    std::fs::write(&path, &text).unwrap();
    let uri = format!("file://{}", path.display());

    let mut lsp = Lsp::start(&server);
    lsp.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": format!("file://{}", dir.path().display()),
            "capabilities": {
                "workspace": {"configuration": true},
                "textDocument": {
                    "hover": {"contentFormat": ["plaintext", "markdown"]},
                    "completion": {"completionItem": {"snippetSupport": false}}
                }
            }
        }),
    );
    lsp.notify("initialized", json!({}));
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"yaml": {"validate": true, "hover": true, "completion": true,
                                      "schemaStore": {"enable": false}}}}),
    );
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );

    // Diagnostics: the unknown key, flagged on its line, from the local schema copy.
    let bogus = line_of(&text, |l| l.starts_with("bogus_key"));
    let diagnostics = lsp.diagnostics_until(&uri, |d| {
        d.iter().any(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.contains("bogus_key"))
        })
    });
    let unknown = diagnostics
        .iter()
        .find(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.contains("bogus_key"))
        })
        .unwrap();
    assert_eq!(unknown["message"], "Property bogus_key is not allowed.");
    assert_eq!(unknown["range"]["start"]["line"], bogus);
    let schema_uri = unknown["data"]["schemaUri"][0].as_str().unwrap_or_default();
    assert!(
        schema_uri.ends_with("/.wacfg/schema.json"),
        "the modeline must resolve to the local copy, not {schema_uri}"
    );

    // A variable passes the schema's patterns (wacfg checks the substituted value); a value
    // that is neither still fails.
    let on_line = |line: usize| -> Vec<&Value> {
        diagnostics
            .iter()
            .filter(|d| d["range"]["start"]["line"] == line)
            .collect()
    };
    let var_line = line_of(&text, |l| l.contains("${var.sender}"));
    assert!(on_line(var_line).is_empty(), "{:?}", on_line(var_line));
    let name_line = line_of(&text, |l| l.contains("From_${var.env}"));
    assert!(on_line(name_line).is_empty(), "{:?}", on_line(name_line));
    let bad_line = line_of(&text, |l| l.contains("\"12ab\""));
    assert!(
        on_line(bad_line)
            .iter()
            .any(|d| d["message"].as_str().is_some_and(|m| m.contains("pattern"))),
        "{diagnostics:?}"
    );

    // Hover: the schema's description of the key under the cursor.
    let schema: Value = serde_json::from_str(wacfg::validate::SCHEMA_TEXT).unwrap();
    let described = schema["properties"]["credentials"]["description"]
        .as_str()
        .unwrap();
    let credentials = line_of(&text, |l| l.starts_with("credentials:"));
    let hover = lsp.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": credentials, "character": 3}}),
    );
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains(described), "hover showed: {shown}");

    // Completion: the core marketing actions are suggested where one is being typed.
    let typing = line_of(&text, |l| l == "      - ");
    let completion = lsp.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": typing, "character": 8}}),
    );
    let items = completion["items"]
        .as_array()
        .or(completion.as_array())
        .expect("completion items");
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    for action in wacfg::model::CORE_MARKETING_ACTIONS {
        assert!(
            labels.contains(action),
            "{action} not suggested: {labels:?}"
        );
    }
}

#[test]
fn init_writes_the_schema_its_modeline_names_and_schema_write_refreshes_it() {
    let dir = tempfile::tempdir().unwrap();
    let wacfg = || Command::cargo_bin("wacfg").unwrap();
    assert!(
        wacfg()
            .args(["init", "--dir"])
            .arg(dir.path())
            .status()
            .unwrap()
            .success()
    );
    let config = std::fs::read_to_string(dir.path().join("wacfg.yaml")).unwrap();
    let modeline = config.lines().next().unwrap();
    let target = modeline
        .strip_prefix("# yaml-language-server: $schema=")
        .expect("first line is the modeline");
    assert!(
        !target.contains("://"),
        "the modeline must work offline: {target}"
    );
    let copy = dir.path().join(target);
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        wacfg::validate::SCHEMA_TEXT
    );

    // An outdated copy (an older wacfg's) is brought up to date by `schema --write`.
    std::fs::write(&copy, "{}").unwrap();
    let out = wacfg()
        .args(["schema", "--write"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote .wacfg/schema.json"));
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        wacfg::validate::SCHEMA_TEXT
    );
    let again = wacfg()
        .args(["schema", "--write"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("is up to date"));
}
