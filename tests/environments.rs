//! Environments: several `-c` sources overlaying one another, `${var.NAME}` variables and
//! their precedence, diagnostics located in the file each value came from, the shipped
//! `examples/environments/`, and the environment named by the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use wacfg::config::OperatorVars;
use wacfg::diag::Diagnostic;
use wacfg::kinds::DesiredStatus;
use wacfg::model::{SecretRef, StateSettings};
use wacfg::validate::{Validation, validate_sources};

const BASE: &str = "\
version: 1
vars:
  waba: \"102290129340398\"
safety:
  max_destructive_percent: 30
  min_managed: 2
credentials:
  - name: acme
    token: env:WHATSAPP_TOKEN_TEST
    business_id: \"1234567890123456\"
    whatsapp_business_account: ${var.waba}
    phone_number: \"15550100001\"
channel_configurations:
  - name: Promo
    description: Shared description
    channel: whatsapp
    marketing_actions: [emailTargeting]
    credentials: acme
    sender_number: \"15550100001\"
    execution_field: mobilePhone.number
";

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new(files: &[(&str, &str)]) -> Dir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Dir { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn validate(&self, names: &[&str], vars: &OperatorVars) -> Validation {
        let paths: Vec<PathBuf> = names.iter().map(|n| self.path(n)).collect();
        validate_sources(&paths, vars)
    }
}

fn errors(v: &Validation) -> Vec<&Diagnostic> {
    v.diagnostics.iter().filter(|d| d.is_error()).collect()
}

fn operator(flags: &[&str], env: &[(&str, &str)]) -> OperatorVars {
    OperatorVars::new(
        flags.iter().copied(),
        env.iter()
            .map(|(k, v)| (format!("WACFG_VAR_{k}"), v.to_string())),
    )
    .unwrap()
}

#[test]
fn an_overlay_patches_entries_removes_fields_adds_entries_and_overrides_settings() {
    let dir = Dir::new(&[
        ("base.yaml", BASE),
        (
            "prod.yaml",
            "\
version: 1
environment: production
safety:
  min_managed: 5
state:
  backend: local
  path: prod.state.json
credentials:
  - name: acme
    token: env:WHATSAPP_TOKEN_PROD
channel_configurations:
  - name: Promo
    description: Production description
    execution_field: null
  - name: Only_Prod
    channel: whatsapp
    status: draft
",
        ),
    ]);
    let v = dir.validate(&["base.yaml", "prod.yaml"], &OperatorVars::default());
    assert!(errors(&v).is_empty(), "{:#?}", v.diagnostics);
    let desired = v.desired.unwrap();
    // A field the overlay sets is replaced; one it nulls is gone; the rest stays.
    let promo = &desired.channel_configurations["Promo"];
    assert_eq!(promo.description.as_deref(), Some("Production description"));
    assert_eq!(promo.execution_field, None);
    assert_eq!(promo.sender_number.as_deref(), Some("15550100001"));
    // A new name is a new entry.
    assert_eq!(
        desired.channel_configurations["Only_Prod"].status,
        DesiredStatus::Draft
    );
    assert_eq!(desired.channel_configurations.len(), 2);
    // Credentials patched: the production token, the base's ids (through the base's var).
    let acme = &desired.credentials["acme"];
    assert_eq!(acme.token, SecretRef::Env("WHATSAPP_TOKEN_PROD".into()));
    assert_eq!(acme.waba_id, "102290129340398");
    // Settings: safety patched field by field, state declared by the overlay only.
    assert_eq!(desired.safety.min_managed, 5);
    assert_eq!(desired.safety.max_destructive_percent, 30);
    assert_eq!(
        desired.state,
        StateSettings::Local {
            path: dir.path("prod.state.json")
        }
    );
    assert_eq!(desired.environment.as_deref(), Some("production"));
    // The digest covers every source.
    let base_only = dir.validate(&["base.yaml"], &OperatorVars::default());
    assert_ne!(
        base_only.desired.unwrap().config_digest,
        desired.config_digest
    );
}

#[test]
fn a_later_source_overrides_meta_state_and_safety_declared_earlier() {
    let dir = Dir::new(&[
        (
            "base.yaml",
            &format!(
                "{BASE}meta:\n  api_version: v22.0\nstate:\n  backend: local\n  path: base.state.json\nenvironment: base\n"
            ),
        ),
        (
            "test.yaml",
            "version: 1\nenvironment: test\nmeta:\n  api_version: v23.0\nstate:\n  path: test.state.json\nsafety: null\n",
        ),
    ]);
    let v = dir.validate(&["base.yaml", "test.yaml"], &OperatorVars::default());
    assert!(errors(&v).is_empty(), "{:#?}", v.diagnostics);
    let desired = v.desired.unwrap();
    assert_eq!(desired.meta.api_version, "v23.0");
    assert_eq!(
        desired.state,
        StateSettings::Local {
            path: dir.path("test.state.json")
        }
    );
    // `safety: null` drops the block: the defaults apply again.
    assert_eq!(desired.safety, wacfg::model::Safety::default());
    assert_eq!(desired.environment.as_deref(), Some("test"));
    // Alone, each file of one source still declares a block once.
    let dir = Dir::new(&[
        ("a.yaml", "version: 1\nenvironment: a\n"),
        ("b.yaml", "version: 1\nenvironment: b\n"),
    ]);
    let v = validate_sources(&[dir.dir.path().to_path_buf()], &OperatorVars::default());
    assert_eq!(errors(&v)[0].code, "wacfg::merge::conflict");
}

#[test]
fn an_error_in_an_overlaid_value_points_into_the_overlay_file() {
    let overlay = "\
version: 1
channel_configurations:
  - name: Promo
    sender_number: \"+33 6\"
    colour: blue
";
    let dir = Dir::new(&[("base.yaml", BASE), ("prod.yaml", overlay)]);
    let v = dir.validate(&["base.yaml", "prod.yaml"], &OperatorVars::default());
    let located: Vec<(String, String, usize, usize)> = errors(&v)
        .iter()
        .map(|d| {
            let span = d.span.clone().unwrap();
            let file = d.file.as_ref().unwrap().file_name().unwrap();
            (
                d.code.clone(),
                file.to_string_lossy().into_owned(),
                span.line,
                span.column,
            )
        })
        .collect();
    assert!(
        located.contains(&(
            "wacfg::schema::unknown_key".into(),
            "prod.yaml".into(),
            5,
            5
        )),
        "{located:#?}"
    );
    assert!(
        located.iter().any(
            |(code, file, line, column)| code.starts_with("wacfg::phone")
                && file == "prod.yaml"
                && (*line, *column) == (4, 20)
        ),
        "{located:#?}"
    );
    // The byte offset is the overlay file's own: the snippet shows the right text.
    let unknown = errors(&v)
        .into_iter()
        .find(|d| d.code == "wacfg::schema::unknown_key")
        .unwrap();
    let span = unknown.span.as_ref().unwrap();
    assert_eq!(&overlay[span.offset..span.offset + span.len], "colour");
    // A value the base wrote is still reported in the base.
    let dir = Dir::new(&[
        ("base.yaml", &BASE.replace("emailTargeting", "noSuchAction")),
        ("prod.yaml", "version: 1\n"),
    ]);
    let v = dir.validate(&["base.yaml", "prod.yaml"], &OperatorVars::default());
    let d = errors(&v)[0];
    assert_eq!(d.file.as_deref(), Some(dir.path("base.yaml").as_path()));
    assert_eq!(d.span.as_ref().unwrap().line, 17);
}

#[test]
fn variables_come_from_files_then_environment_then_flags() {
    let dir = Dir::new(&[
        ("base.yaml", BASE),
        ("prod.yaml", "version: 1\nvars:\n  waba: \"200\"\n"),
    ]);
    let waba = |v: Validation| {
        assert!(errors(&v).is_empty(), "{:#?}", v.diagnostics);
        v.desired.unwrap().credentials["acme"].waba_id.clone()
    };
    let none = OperatorVars::default();
    assert_eq!(waba(dir.validate(&["base.yaml"], &none)), "102290129340398");
    // A later source's `vars:` beats an earlier one's.
    assert_eq!(
        waba(dir.validate(&["base.yaml", "prod.yaml"], &none)),
        "200"
    );
    // The environment beats the files; a flag beats the environment.
    let env = operator(&[], &[("waba", "300")]);
    assert_eq!(waba(dir.validate(&["base.yaml", "prod.yaml"], &env)), "300");
    let both = operator(&["waba=400"], &[("waba", "300")]);
    assert_eq!(
        waba(dir.validate(&["base.yaml", "prod.yaml"], &both)),
        "400"
    );
}

#[test]
fn an_undefined_variable_is_located_at_its_reference() {
    let text = "\
version: 1
channel_configurations:
  - name: Promo
    description: \"Sale for ${var.market}: ${var.undefined_one}\"
    channel: whatsapp
    status: draft
";
    let dir = Dir::new(&[("c.yaml", text)]);
    let v = dir.validate(&["c.yaml"], &operator(&["market=FR", "unused=1"], &[]));
    let errs = errors(&v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let d = errs[0];
    assert_eq!(d.code, "wacfg::vars::undefined");
    assert!(d.message.contains("`undefined_one`"), "{}", d.message);
    let span = d.span.as_ref().unwrap();
    assert_eq!((span.line, span.column), (4, 43));
    assert_eq!(
        &text[span.offset..span.offset + span.len],
        "${var.undefined_one}"
    );
    // In an overlay source, the reference is located in the overlay.
    let dir = Dir::new(&[
        ("base.yaml", BASE),
        (
            "prod.yaml",
            "version: 1\ncredentials:\n  - name: acme\n    business_id: ${var.biz}\n",
        ),
    ]);
    let v = dir.validate(&["base.yaml", "prod.yaml"], &OperatorVars::default());
    let errs = errors(&v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        errs[0].file.as_deref(),
        Some(dir.path("prod.yaml").as_path())
    );
    let span = errs[0].span.as_ref().unwrap();
    assert_eq!((span.line, span.column), (4, 18));
}

#[test]
fn a_variable_in_a_token_position_must_still_be_a_reference() {
    // A reference through a variable is fine: the token is read from WA_TOKEN_PROD.
    let text = BASE.replace("env:WHATSAPP_TOKEN_TEST", "${var.token_ref}");
    let dir = Dir::new(&[("c.yaml", &text)]);
    let v = dir.validate(
        &["c.yaml"],
        &operator(&["token_ref=env:WA_TOKEN_PROD"], &[]),
    );
    assert!(errors(&v).is_empty(), "{:#?}", v.diagnostics);
    assert_eq!(
        v.desired.unwrap().credentials["acme"].token,
        SecretRef::Env("WA_TOKEN_PROD".into())
    );
    // A literal value through a variable is refused like a literal in the file, and never shown.
    let v = dir.validate(&["c.yaml"], &operator(&["token_ref=not-a-reference"], &[]));
    let errs = errors(&v);
    assert_eq!(errs[0].code, "wacfg::secret::literal");
    assert!(!format!("{errs:?}").contains("not-a-reference"));
    // A value shaped like Meta's tokens is refused wherever it would go.
    let fake = format!("EAAB{}", "Fake0".repeat(10));
    let v = dir.validate(&["c.yaml"], &operator(&[], &[("token_ref", fake.as_str())]));
    let codes: Vec<&str> = errors(&v).iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"wacfg::vars::secret"), "{codes:?}");
    assert!(!format!("{:?}", v.diagnostics).contains(&fake));
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/environments")
}

#[test]
fn the_environment_examples_validate_and_differ_where_they_should() {
    let base = examples().join("base.yaml");
    let none = OperatorVars::default();
    let test = validate_sources(&[base.clone(), examples().join("test.yaml")], &none);
    assert!(errors(&test).is_empty(), "{:#?}", test.diagnostics);
    let prod = validate_sources(&[base.clone(), examples().join("production.yaml")], &none);
    assert!(errors(&prod).is_empty(), "{:#?}", prod.diagnostics);
    let (test, prod) = (test.desired.unwrap(), prod.desired.unwrap());
    assert_eq!(test.environment.as_deref(), Some("test"));
    assert_eq!(prod.environment.as_deref(), Some("production"));
    assert_ne!(
        test.credentials["acme"].waba_id,
        prod.credentials["acme"].waba_id
    );
    assert!(test.channel_configurations.contains_key("Winter_Sale_FR"));
    assert!(!prod.channel_configurations.contains_key("Winter_Sale_FR"));
    assert!(prod.channel_configurations["Marketing_FR"].prevent_destroy);
    assert_eq!(
        prod.channel_configurations["Service_FR"].execution_field,
        None
    );
    assert!(matches!(prod.state, StateSettings::Postgres { .. }));
    // The base alone is not a configuration: its ids are variables nobody set.
    let alone = validate_sources(&[base], &none);
    assert!(
        errors(&alone)
            .iter()
            .any(|d| d.code == "wacfg::vars::undefined")
    );
}

fn wacfg(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wacfg"));
    cmd.args(args).current_dir(examples()).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_binary_takes_repeated_sources_vars_and_names_the_environment() {
    let (code, stdout, stderr) = wacfg(&["validate", "-c", "base.yaml", "-c", "test.yaml"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("environment `test`: "), "{stdout}");
    // WACFG_VAR_* is read; a bad --var is a clear error.
    let (code, _, stderr) = wacfg(
        &[
            "validate",
            "-c",
            "base.yaml",
            "-c",
            "test.yaml",
            "--format",
            "json",
        ],
        &[("WACFG_VAR_phone_number", "12")],
    );
    assert_eq!(code, 1, "{stderr}");
    let (code, _, stderr) = wacfg(
        &[
            "validate",
            "-c",
            "base.yaml",
            "-c",
            "test.yaml",
            "--var",
            "oops",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: --var \"oops\" has no `=`"),
        "{stderr}"
    );
}
