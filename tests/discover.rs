//! `wacfg discover` run as a binary against the simulator (WACFG_GRAPH_URL points at it), in
//! each output format; the YAML output is parsed back as a configuration file.

use std::collections::BTreeSet;

use assert_cmd::Command;
use serde_json::Value;
use wacfg_sim::{Faults, Sim, World};

const ACME: &str = "1234567890123456";
const TOKEN: &str = "test-token-acme";

const WORLD: &str = r#"
tokens:
  - value: test-token-acme
    scopes: [whatsapp_business_management, whatsapp_business_messaging, business_management]
    businesses: ["1234567890123456"]
businesses:
  - id: "1234567890123456"
    name: Acme
    owned_whatsapp_business_accounts:
      - id: "102290129340398"
        name: Acme FR
        account_review_status: APPROVED
        phone_numbers:
          - id: "106540352242922"
            display_phone_number: "+1 555-010-0001"
            verified_name: Acme
            quality_rating: GREEN
            throughput: STANDARD
            status: CONNECTED
            messaging_limit_tier: TIER_1K
          - id: "106540352242923"
            display_phone_number: "+1 555-010-0002"
            verified_name: Acme Promo
            quality_rating: RED
            throughput: HIGH
            status: CONNECTED
      - id: "102290129340397"
        name: "Acme FR"
        account_review_status: PENDING
        phone_numbers:
          - id: "106540352242924"
            display_phone_number: "+33 6 12 34 56 78"
            verified_name: Acme Paris
            quality_rating: YELLOW
            throughput: STANDARD
            status: PENDING
    client_whatsapp_business_accounts:
      - id: "302290129340398"
        name: Partner DE
        account_review_status: APPROVED
        phone_numbers:
          - id: "306540352242922"
            display_phone_number: "+49 30 1234567"
            verified_name: Partner
            quality_rating: UNKNOWN
            throughput: NOT_APPLICABLE
            status: CONNECTED
"#;

fn sim(faults: Faults) -> Sim {
    Sim::start_blocking(World::from_yaml(WORLD).unwrap(), faults).unwrap()
}

fn discover(sim: &Sim, token: &str, format: &str) -> Command {
    let mut cmd = Command::cargo_bin("wacfg").unwrap();
    cmd.env("WACFG_GRAPH_URL", sim.url())
        .env("WA_TOKEN", token)
        .env_remove("NO_COLOR")
        .args([
            "discover",
            "--business-id",
            ACME,
            "--token",
            "env:WA_TOKEN",
            "--format",
            format,
        ]);
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn human_format_lists_every_waba_and_number_without_colour_off_a_tty() {
    let sim = sim(Faults::default());
    let text = stdout_of(&mut discover(&sim, TOKEN, "human"));
    for part in [
        "WABA 102290129340398  Acme FR  (owned, review APPROVED)",
        "WABA 302290129340398  Partner DE  (client, review APPROVED)",
        "+1 555-010-0001",
        "15550100002",
        "+49 30 1234567",
        "GREEN",
        "RED",
        "NOT_APPLICABLE",
        "TIER_1K",
        "3 WABA(s), 4 number(s)",
    ] {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no colour when stdout is a pipe");
    assert!(
        sim.stats().http_requests >= 1,
        "the sim was used (WACFG_GRAPH_URL)"
    );
}

#[test]
fn json_format_is_the_observed_business() {
    let sim = sim(Faults::default());
    let text = stdout_of(&mut discover(&sim, TOKEN, "json"));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["id"], ACME);
    assert_eq!(v["wabas"].as_object().unwrap().len(), 3);
    let number = &v["wabas"]["102290129340397"]["phone_numbers"]["106540352242924"];
    assert_eq!(number["digits"], "33612345678");
    assert_eq!(number["quality_rating"], "YELLOW");
    assert_eq!(v["wabas"]["302290129340398"]["ownership"], "client");
}

#[test]
fn yaml_format_is_a_configuration_file_with_one_credentials_entry_per_number() {
    let sim = sim(Faults::default());
    let text = stdout_of(&mut discover(&sim, TOKEN, "yaml"));
    let doc: Value = serde_saphyr::from_str(&text).expect("valid YAML");
    assert_eq!(doc["version"], 1);
    let creds = doc["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 4);
    let mut names = BTreeSet::new();
    for c in creds {
        let name = c["name"].as_str().unwrap();
        assert!(valid_name(name), "bad name {name}");
        assert!(names.insert(name.to_lowercase()), "duplicate name {name}");
        assert_eq!(c["token"], "env:WA_TOKEN");
        assert_eq!(c["business_id"], ACME);
        let digits = c["phone_number"].as_str().unwrap();
        assert!(digits.chars().all(|d| d.is_ascii_digit()), "{digits}");
    }
    let entry = creds
        .iter()
        .find(|c| c["phone_number"] == "33612345678")
        .unwrap();
    assert_eq!(entry["whatsapp_business_account"], "102290129340397");
    assert!(!text.contains(TOKEN), "the token value is never printed");
}

/// `^[A-Za-z][A-Za-z0-9_.-]*$`, 1–255 characters.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 255
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[test]
fn a_rejected_token_exits_1_with_the_hint_and_never_shows_the_token() {
    let sim = sim(Faults {
        echo_token_in_errors: true,
        ..Faults::default()
    });
    let secret = "test-token-revoked-echo";
    let out = discover(&sim, secret, "human").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("token is invalid or expired"),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("190"), "stderr: {stderr}");
    assert!(
        stderr.contains("REDACTED"),
        "the echo was scrubbed: {stderr}"
    );
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
}

#[test]
fn a_literal_token_is_refused_without_being_echoed() {
    let sim = sim(Faults::default());
    let out = Command::cargo_bin("wacfg")
        .unwrap()
        .env("WACFG_GRAPH_URL", sim.url())
        .args([
            "discover",
            "--business-id",
            ACME,
            "--token",
            "test-token-literal",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("env:VAR or file:PATH"), "{stderr}");
    assert!(!stderr.contains("test-token-literal"));
    assert_eq!(sim.stats().http_requests, 0);
}

#[test]
fn a_number_without_a_display_number_leaves_a_yaml_that_validates() {
    // Meta lists a number that has no display number yet: discover leaves it out of the
    // credentials with a note, and `wacfg validate` accepts the file it wrote as it is.
    let sim = sim(Faults::default());
    sim.mutate(|w| {
        w.number_mut("106540352242924")
            .unwrap()
            .display_phone_number = None
    });
    let text = stdout_of(&mut discover(&sim, TOKEN, "yaml"));
    assert!(!text.contains("phone_number: \"\""), "{text}");
    assert!(
        text.contains(
            "# number ID 106540352242924 in WABA \"Acme FR\" has no usable display number"
        ),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wacfg.yaml");
    std::fs::write(&path, &text).unwrap();
    let out = Command::cargo_bin("wacfg")
        .unwrap()
        .args(["validate", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate refused discover's YAML:\n{text}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let doc: Value = serde_saphyr::from_str(&text).expect("valid YAML");
    assert_eq!(doc["credentials"].as_array().unwrap().len(), 3);
}
