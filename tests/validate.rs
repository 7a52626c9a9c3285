//! Validation tests: the invalid corpus against golden diagnostics, the examples, the typed
//! model built from a valid file, and the JSON Schema itself. Each corpus case under
//! `tests/fixtures/invalid/` (a `.yaml` file or a folder) has its diagnostics in
//! `tests/snapshots/validate__invalid__<case>.snap`, one line per diagnostic.

use std::path::{Path, PathBuf};

use wacfg::diag::{Diagnostic, Severity};
use wacfg::kinds::DesiredStatus;
use wacfg::model::{SecretRef, StateSettings};
use wacfg::render::diagnostics::{Sources, github, human, json};
use wacfg::validate::validate_path;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

/// One line per diagnostic (plus its help), file names relative to the fixture.
fn golden(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let severity = if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        let file = d
            .file
            .as_ref()
            .and_then(|f| f.file_name())
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (line, column) = d.span.as_ref().map_or((0, 0), |s| (s.line, s.column));
        out.push_str(&format!(
            "{severity} {} {file}:{line}:{column} {}\n",
            d.code, d.message
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("  help: {help}\n"));
        }
    }
    out
}

fn corpus() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    cases
}

/// The snapshot name of a corpus case: `invalid__<file stem or folder name>`, stored as
/// `tests/snapshots/validate__invalid__<case>.snap`.
fn snapshot_name(case: &Path) -> String {
    let stem = case.file_stem().unwrap().to_string_lossy();
    format!("invalid__{stem}")
}

/// One corpus case: it must be refused with at least one error, and its diagnostics must
/// match the case's snapshot (a mismatch panics with insta's diff).
fn assert_case_matches_snapshot(case: &Path) {
    let validation = validate_path(case);
    assert!(
        validation.desired.is_none(),
        "{} must be invalid",
        case.display()
    );
    assert!(
        validation.diagnostics.iter().any(Diagnostic::is_error),
        "{} has no error",
        case.display()
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_input_file(case);
    settings.set_omit_expression(true);
    let _bound = settings.bind_to_scope();
    insta::assert_snapshot!(snapshot_name(case), golden(&validation.diagnostics));
}

/// Every case is checked even after a mismatch, so one run shows (and, with
/// `INSTA_UPDATE=always` or `cargo insta review`, updates) every changed diagnostic.
#[test]
fn invalid_corpus_matches_golden_diagnostics() {
    let cases = corpus();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let failed: Vec<String> = cases
        .iter()
        .filter(|case| std::panic::catch_unwind(|| assert_case_matches_snapshot(case)).is_err())
        .map(|case| case.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} corpus cases differ from their snapshots (diffs above):\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}

/// A snapshot whose fixture was renamed or deleted would otherwise linger unchecked.
#[test]
fn every_corpus_snapshot_has_its_fixture() {
    let expected: Vec<String> = corpus()
        .iter()
        .map(|case| format!("validate__{}.snap", snapshot_name(case)))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut orphans: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("validate__invalid__") && name.ends_with(".snap"))
        .filter(|name| !expected.contains(name))
        .collect();
    orphans.sort();
    assert!(
        orphans.is_empty(),
        "snapshots without a fixture: {orphans:?}"
    );
}

/// A token passed as a variable is refused where it is declared, used or not. Not a corpus
/// file: the token is built here, so that no token-shaped literal sits in the repository.
#[test]
fn a_token_shaped_variable_is_refused_where_it_is_declared() {
    let token = format!("EA{}FAKEtokenFORtestsONLYnotREAL0000000000000000", "A");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var_token_shaped.yaml");
    std::fs::write(
        &path,
        format!(
            "# A token passed as a variable is refused where it is declared, used or not.\n\
             version: 1\n\
             vars:\n  \
             token: {token}\n\
             credentials:\n  \
             - name: acme\n    \
             token: ${{var.token}}\n    \
             business_id: \"1234567890123456\"\n    \
             whatsapp_business_account: \"102290129340398\"\n    \
             phone_number: \"15550100001\"\n"
        ),
    )
    .unwrap();
    let validation = validate_path(&path);
    assert!(validation.desired.is_none());
    let mut settings = insta::Settings::clone_current();
    settings.set_omit_expression(true);
    let _bound = settings.bind_to_scope();
    insta::assert_snapshot!("var_token_shaped", golden(&validation.diagnostics));
}

#[test]
fn secret_literals_never_appear_in_any_format() {
    for (case, secret) in [
        ("secret_literal_token.yaml", "test-token-acme-do-not-echo"),
        ("state_postgres_literal_url.yaml", "test-password"),
    ] {
        let path = fixtures().join(case);
        let validation = validate_path(&path);
        assert!(
            validation
                .diagnostics
                .iter()
                .any(|d| d.code == "wacfg::secret::literal")
        );
        let sources: Sources = wacfg::config::read_sources(&validation.files);
        for text in [
            human(&validation.diagnostics, &sources, false),
            json(&validation.diagnostics),
            github(&validation.diagnostics),
        ] {
            assert!(!text.contains(secret), "{case} leaked its secret:\n{text}");
            assert!(text.contains("literal value"), "{text}");
        }
    }
}

/// A webhook reply at WhatsApp's limit, 4,096 characters (counted as characters: each `é` is
/// two bytes), validates; one character more is refused at the reply.
#[test]
fn a_webhook_reply_of_4096_characters_validates_and_4097_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let validate_reply = |chars: usize| {
        let path = dir.path().join(format!("reply_{chars}.yaml"));
        let reply = "é".repeat(chars);
        std::fs::write(
            &path,
            format!(
                "version: 1\n\
                 credentials:\n  \
                 - name: acme_fr\n    \
                 token: env:WHATSAPP_TOKEN_ACME_FR\n    \
                 business_id: \"1234567890123456\"\n    \
                 whatsapp_business_account: \"102290129340398\"\n    \
                 phone_number: \"15550100001\"\n\
                 webhooks:\n  \
                 - name: inbound\n    \
                 credentials: acme_fr\n    \
                 callback_url: https://hooks.example.com/whatsapp\n    \
                 verify_token: env:WEBHOOK_VERIFY_TOKEN\n    \
                 keywords:\n      \
                 help: {{keywords: [HELP], reply: \"{reply}\"}}\n"
            ),
        )
        .unwrap();
        validate_path(&path)
    };
    let at_limit = validate_reply(4096);
    assert!(
        at_limit.desired.is_some() && at_limit.diagnostics.is_empty(),
        "{:?}",
        at_limit.diagnostics
    );
    let over = validate_reply(4097);
    assert!(over.desired.is_none());
    let shown: Vec<String> = over
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(
        shown,
        [
            "wacfg::webhook::reply_too_long the help reply of webhook `inbound` has 4097 characters; WhatsApp allows 4096"
        ]
    );
    let span = over.diagnostics[0].span.as_ref().expect("located");
    assert_eq!((span.line, span.column), (14, 39));
}

#[test]
fn oversized_file_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let mut text = String::from("version: 1\n");
    let filler = format!("# {}\n", "x".repeat(1000));
    while text.len() <= 16 * 1024 * 1024 {
        text.push_str(&filler);
    }
    std::fs::write(&path, text).unwrap();
    let validation = validate_path(&path);
    assert_eq!(validation.diagnostics.len(), 1);
    assert_eq!(validation.diagnostics[0].code, "wacfg::load::too_large");
    assert!(validation.diagnostics[0].message.contains("16 MiB"));
}

#[test]
fn missing_path_is_an_error_not_a_panic() {
    let validation = validate_path(Path::new("/nonexistent/wacfg.yaml"));
    assert!(validation.desired.is_none());
    assert_eq!(validation.diagnostics[0].code, "wacfg::load::io");
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

#[test]
fn every_example_validates_without_errors() {
    let mut checked = 0;
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        // examples/ci holds CI recipes and examples/sim simulator worlds: not wacfg configs.
        // examples/environments is a base and its overlays, validated in tests/environments.rs.
        if path
            .file_name()
            .is_some_and(|n| n == "ci" || n == "sim" || n == "environments")
        {
            continue;
        }
        if path.is_dir() || path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let validation = validate_path(&path);
            let errors: Vec<_> = validation
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            assert!(validation.desired.is_some());
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "expected minimal, full and folder examples, found {checked}"
    );
}

#[test]
fn full_example_fills_the_model_completely() {
    let path = examples().join("full.yaml");
    let desired = validate_path(&path).desired.expect("full.yaml is valid");
    assert_eq!(desired.meta.api_version, "v23.0");
    assert_eq!(
        desired.state,
        StateSettings::Postgres {
            url: SecretRef::Env("WACFG_DATABASE_URL".into()),
            workspace: "production".into()
        }
    );
    assert_eq!(desired.safety.max_destructive_percent, 25);
    assert_eq!(desired.safety.min_managed, 8);
    assert_eq!(
        desired.marketing_actions,
        vec!["whatsappPromotions", "whatsappServiceUpdates"]
    );
    let de = &desired.credentials["acme_de"];
    assert_eq!(
        de.token,
        SecretRef::File(examples().join("secrets/acme_de.token"))
    );
    assert_eq!(de.waba_id, "102290129340399");
    let fr = &desired.channel_configurations["Marketing_FR"];
    assert_eq!(
        fr.marketing_actions,
        vec!["emailTargeting", "whatsappPromotions"]
    );
    assert!(fr.prevent_destroy);
    assert_eq!(fr.execution_field.as_deref(), Some("mobilePhone.number"));
    assert_eq!((fr.source.line, fr.source.column), (55, 5));
    let hook = &desired.webhooks["acme_de_inbound"];
    assert_eq!(hook.scope, wacfg::kinds::WebhookScope::PhoneNumber);
    assert_eq!(
        hook.verify_token,
        SecretRef::File(examples().join("secrets/webhook-de.token"))
    );
    let fr_hook = &desired.webhooks["acme_fr_inbound"];
    assert!(fr_hook.prevent_destroy);
    assert_eq!(
        fr_hook.keywords["opt_out"].keywords,
        vec!["STOP".to_string(), "ARRET".to_string()]
    );
    assert_eq!(fr_hook.keywords["default"].keywords, Vec::<String>::new());
    let draft = &desired.channel_configurations["Winter_Sale_DE"];
    assert_eq!(draft.status, DesiredStatus::Draft);
    assert_eq!(draft.credentials, None);
    assert_eq!(
        desired.channel_configurations["Legacy_FR"].status,
        DesiredStatus::Deactivated
    );
    assert!(desired.config_digest.starts_with("sha256:") && desired.config_digest.len() == 71);
}

#[test]
fn defaults_and_directory_loading() {
    let minimal = validate_path(&examples().join("minimal.yaml"))
        .desired
        .unwrap();
    assert_eq!(minimal.meta.graph_url, "https://graph.facebook.com");
    assert_eq!(
        minimal.state,
        StateSettings::Local {
            path: examples().join("wacfg.state.json")
        }
    );
    assert_eq!(
        (
            minimal.safety.max_destructive_percent,
            minimal.safety.min_managed
        ),
        (30, 10)
    );
    let folder = examples().join("folder");
    let validation = validate_path(&folder);
    let names: Vec<_> = validation
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "00-settings.yaml",
            "10-credentials.yaml",
            "20-channels-fr.yaml",
            "30-channels-es.yml"
        ]
    );
    let desired = validation.desired.unwrap();
    assert_eq!(
        desired.state,
        StateSettings::Local {
            path: folder.join("wacfg.state.json")
        }
    );
    assert_eq!(desired.channel_configurations.len(), 2);
    assert_ne!(desired.config_digest, minimal.config_digest);
}

#[test]
fn digest_changes_with_any_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wacfg.yaml");
    let text = std::fs::read_to_string(examples().join("minimal.yaml")).unwrap();
    std::fs::write(&path, &text).unwrap();
    let first = validate_path(&path).desired.unwrap().config_digest;
    assert_eq!(first, validate_path(&path).desired.unwrap().config_digest);
    std::fs::write(&path, text.replace("Marketing_FR", "Marketing_FX")).unwrap();
    assert_ne!(first, validate_path(&path).desired.unwrap().config_digest);
}

#[test]
fn schema_passes_the_metaschema_check() {
    let schema: serde_json::Value = serde_json::from_str(wacfg::validate::SCHEMA_TEXT).unwrap();
    jsonschema::meta::validate(&schema).expect("the config schema is a valid draft 2020-12 schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

/// Every object in the schema forbids unknown keys and every property has a description.
#[test]
fn schema_is_closed_and_documented() {
    fn walk(value: &serde_json::Value, at: &str) {
        if let Some(obj) = value.as_object() {
            if obj.get("type").and_then(|t| t.as_str()) == Some("object") {
                assert_eq!(
                    obj.get("additionalProperties"),
                    Some(&serde_json::Value::Bool(false)),
                    "{at}"
                );
            }
            if let Some(props) = obj.get("properties").and_then(|p| p.as_object()) {
                for (name, prop) in props {
                    if prop.get("$ref").is_none() {
                        assert!(
                            prop.get("description").is_some(),
                            "{at}/{name} has no description"
                        );
                    }
                }
            }
            for (k, v) in obj {
                walk(v, &format!("{at}/{k}"));
            }
        }
    }
    let schema: serde_json::Value = serde_json::from_str(wacfg::validate::SCHEMA_TEXT).unwrap();
    walk(&schema, "");
}

/// The schema and wacfg agree: every example passes the schema alone, as JSON.
#[test]
fn schema_accepts_every_valid_example() {
    let schema: serde_json::Value = serde_json::from_str(wacfg::validate::SCHEMA_TEXT).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for file in ["minimal.yaml", "full.yaml", "folder/10-credentials.yaml"] {
        let bytes = std::fs::read(examples().join(file)).unwrap();
        let (tree, diag) = wacfg::config::parse_bytes(Path::new(file), &bytes);
        assert!(diag.is_none());
        let json = tree.unwrap().to_json();
        assert!(validator.is_valid(&json), "{file} fails the schema");
    }
}

/// A directory large enough to be parsed on several cores loads exactly as its files do one
/// by one: same order, same trees, same diagnostics (a broken file among them included).
#[test]
fn large_directory_parsed_in_parallel_loads_like_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    for f in 0..24 {
        let mut text = String::from("channel_configurations:\n");
        for i in 0..60 {
            text.push_str(&format!(
                "  - name: Channel_{f:02}_{i:03}\n    description: a channel that says a little about itself\n    channel: whatsapp\n    marketing_actions: [emailTargeting]\n    credentials: creds\n    sender_number: \"15550100001\"\n    status: active\n"
            ));
        }
        if f == 17 {
            text.push_str("  - name: [unclosed\n");
        }
        total += text.len();
        std::fs::write(dir.path().join(format!("part_{f:02}.yaml")), text).unwrap();
    }
    std::fs::write(
        dir.path().join("creds.yaml"),
        "version: 1\ncredentials:\n  - name: creds\n    token: env:WACFG_TEST_TOKEN\n    business_id: \"1000\"\n    whatsapp_business_account: \"2000\"\n    phone_number: \"15550100001\"\n",
    )
    .unwrap();
    assert!(total > wacfg::config::PARALLEL_MIN_BYTES, "{total} bytes");
    let loaded = wacfg::config::load_path(dir.path());
    let mut expected_diags = Vec::new();
    let mut names = Vec::new();
    for file in &loaded.files {
        let bytes = std::fs::read(&file.path).unwrap();
        let (tree, diag) = wacfg::config::parse_bytes(&file.path, &bytes);
        assert_eq!(file.tree, tree, "{}", file.path.display());
        assert_eq!(file.bytes, bytes);
        expected_diags.extend(diag);
        names.push(
            file.path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "files load in name order");
    assert_eq!(names.len(), 25);
    assert_eq!(loaded.diagnostics, expected_diags);
    assert_eq!(loaded.diagnostics.len(), 1, "{:#?}", loaded.diagnostics);
    assert!(
        loaded.diagnostics[0]
            .file
            .as_ref()
            .is_some_and(|f| f.ends_with("part_17.yaml"))
    );
}

/// Load `path` on a thread and give up after 20 s: a load that opens a FIFO would block for
/// ever, and the test must fail rather than hang.
fn validate_quickly(path: &Path) -> Vec<Diagnostic> {
    let (tx, rx) = std::sync::mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(validate_path(&path).diagnostics);
    });
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("the load hung (did it open a FIFO?)")
}

/// The template rule 2388293 (too many placeholders for the body's length) is the same in
/// `validate` and in the simulator standing in for Meta: for bodies on both sides of the limit,
/// wacfg refuses exactly the ones the simulator refuses.
#[test]
fn too_many_placeholders_agrees_with_the_simulator() {
    let bodies = [
        ("Dear {{1}}, your code {{2}} works", false),
        ("Dear {{1}}, your code {{2}} works today", true),
        ("Hi {{1}}, yes {{1}} is here", false),
        ("Hi {{1}}, yes {{1}} is here now", true),
        ("Hello {{1}} welcome", false),
        ("Hello {{1}} and welcome", true),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (body, accepted) in bodies {
        let file = dir.path().join("wacfg.yaml");
        std::fs::write(
            &file,
            format!(
                "version: 1\ncredentials:\n  - name: acme\n    token: env:WHATSAPP_TOKEN_ACME\n    business_id: \"1234567890123456\"\n    whatsapp_business_account: \"102290129340398\"\n    phone_number: \"15550100001\"\nmessage_templates:\n  - name: ratio\n    credentials: acme\n    category: UTILITY\n    languages:\n      en_US:\n        body: {{text: \"{body}\", example: [\"a\", \"b\"]}}\n"
            ),
        )
        .unwrap();
        let diags = validate_path(&file).diagnostics;
        let refused = diags
            .iter()
            .any(|d| d.code == "wacfg::template::too_many_placeholders");
        assert!(
            diags
                .iter()
                .all(|d| d.code == "wacfg::template::too_many_placeholders"),
            "{body}: {diags:?}"
        );
        let sim = wacfg_sim::templates::rules::check_components(&[serde_json::json!({
            "type": "BODY", "text": body,
        })]);
        assert_eq!(!refused, accepted, "wacfg on {body:?}");
        assert_eq!(sim.is_ok(), accepted, "the simulator on {body:?}");
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

const ONE_CONFIGURATION: &str = "version: 1\nchannel_configurations:\n  - name: Draft_1\n    channel: whatsapp\n    status: draft\n";

#[test]
fn directory_entries_that_cannot_be_read_are_errors_never_skipped() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a_good.yaml"), ONE_CONFIGURATION).unwrap();
    symlink(d.join("gone.yaml.orig"), d.join("b_dangling.yaml")).unwrap();
    symlink(d.join("c_loop.yml"), d.join("c_loop.yml")).unwrap();
    mkfifo(&d.join("d_pipe.yaml"));
    std::fs::create_dir(d.join("e_folder.yaml")).unwrap();
    // Not named as configuration: ignored whatever they are, and never opened.
    mkfifo(&d.join("notes.txt"));
    symlink(d.join("nowhere"), d.join("old.bak")).unwrap();
    std::fs::create_dir(d.join("secrets")).unwrap();
    std::fs::write(d.join("secrets/x.yaml"), "not: [loaded").unwrap();
    // A link to a readable file is loaded like the file.
    std::fs::write(
        d.join("target.txt"),
        ONE_CONFIGURATION.replace("Draft_1", "Draft_2"),
    )
    .unwrap();
    symlink(d.join("target.txt"), d.join("f_link.yaml")).unwrap();

    let started = std::time::Instant::now();
    let diags = validate_quickly(d);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let found: Vec<(String, String)> = diags
        .iter()
        .map(|d| {
            let file = d.file.as_ref().expect("located");
            (
                d.code.clone(),
                file.file_name().unwrap().to_string_lossy().into_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "wacfg::load::dangling_symlink".to_string(),
                "b_dangling.yaml".to_string()
            ),
            (
                "wacfg::load::symlink_loop".to_string(),
                "c_loop.yml".to_string()
            ),
            (
                "wacfg::load::not_a_file".to_string(),
                "d_pipe.yaml".to_string()
            ),
            (
                "wacfg::load::not_a_file".to_string(),
                "e_folder.yaml".to_string()
            ),
        ],
        "{diags:#?}"
    );
    for diag in &diags {
        assert!(diag.help.is_some(), "{diag:?}");
    }
    assert!(
        diags[0].message.contains("gone.yaml.orig"),
        "{}",
        diags[0].message
    );
    assert!(diags[2].message.contains("FIFO"), "{}", diags[2].message);
    assert!(
        diags[3].message.contains("directory"),
        "{}",
        diags[3].message
    );

    // Without the broken entries, both configurations (the file and the link) load.
    for name in ["b_dangling.yaml", "c_loop.yml", "d_pipe.yaml"] {
        std::fs::remove_file(d.join(name)).unwrap();
    }
    std::fs::remove_dir(d.join("e_folder.yaml")).unwrap();
    let validation = validate_path(d);
    assert!(
        validation.diagnostics.is_empty(),
        "{:?}",
        validation.diagnostics
    );
    assert_eq!(validation.desired.unwrap().channel_configurations.len(), 2);
}

#[test]
fn a_fifo_or_a_dangling_link_given_as_the_file_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("wacfg.yaml");
    mkfifo(&pipe);
    let diags = validate_quickly(&pipe);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, "wacfg::load::not_a_file");
    let link = dir.path().join("link.yaml");
    std::os::unix::fs::symlink(dir.path().join("missing.yaml"), &link).unwrap();
    let diags = validate_quickly(&link);
    assert_eq!(diags[0].code, "wacfg::load::dangling_symlink");
}
