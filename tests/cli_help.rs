//! `wacfg --help` of every command, as golden files: each must keep its examples, exit codes
//! and environment, and describe its positional arguments. The list of commands is read
//! from clap itself, so a new command without help text fails here.

use clap::CommandFactory;
use wacfg::cli::Cli;

/// Every command path: `[]` for wacfg itself, `["state", "rm"]`…
fn commands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut next = path.clone();
            next.push(sub.get_name().to_string());
            walk(sub, next, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), Vec::new(), &mut out);
    out
}

fn help_of(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"))
        .args(&args)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .output()
        .expect("wacfg runs");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn every_command_has_examples_exit_codes_and_environment() {
    let all = commands();
    assert!(all.len() >= 20, "{all:?}");
    for path in all {
        let text = help_of(&path);
        for heading in ["Examples:\n", "Exit codes:\n", "Environment:\n"] {
            assert!(
                text.contains(heading),
                "wacfg {path:?} --help lacks {heading}{text}"
            );
        }
        let name = if path.is_empty() {
            "wacfg".to_string()
        } else {
            path.join("_")
        };
        insta::assert_snapshot!(format!("help_{name}"), text);
    }
}

/// The Environment section of a help text.
fn environment_of(help: &str) -> &str {
    help.split("Environment:\n").nth(1).unwrap_or("")
}

#[test]
fn every_command_that_reads_the_configuration_names_the_variables_it_reads() {
    let mut reading = 0;
    for path in commands() {
        let text = help_of(&path);
        let env = environment_of(&text);
        // `fmt` takes -c but only rewrites text: it substitutes nothing.
        if text.contains("-c, --config <PATH>") && path != ["fmt"] {
            reading += 1;
            assert!(
                env.contains("WACFG_VAR_NAME"),
                "wacfg {path:?} reads ${{var.NAME}} but its help does not name WACFG_VAR_NAME:\n{env}"
            );
        }
        // The commands that talk to Meta.
        let remote = ["plan", "apply", "drift", "import", "discover"];
        if path.first().is_some_and(|c| remote.contains(&c.as_str())) {
            assert!(env.contains("WACFG_GRAPH_URL"), "wacfg {path:?}:\n{env}");
        }
    }
    assert!(
        reading >= 10,
        "only {reading} commands read a configuration"
    );
    let plan = help_of(&["plan".to_string()]);
    assert!(environment_of(&plan).contains("WACFG_COMMIT"), "{plan}");
    let fmt = help_of(&["fmt".to_string()]);
    assert!(
        environment_of(&fmt).contains("change nothing"),
        "fmt must say its shared flags do nothing:\n{fmt}"
    );
}

#[test]
fn every_positional_argument_is_described() {
    fn check(cmd: &clap::Command, path: &str) {
        for arg in cmd.get_positionals() {
            assert!(
                arg.get_help().is_some(),
                "{path}: positional {} has no description",
                arg.get_id()
            );
        }
        for sub in cmd.get_subcommands() {
            check(sub, &format!("{path} {}", sub.get_name()));
        }
    }
    check(&Cli::command(), "wacfg");
}

#[test]
fn version_reports_the_build_and_the_formats_as_json() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"))
        .args(["version", "--format", "json"])
        .output()
        .expect("wacfg runs");
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        doc["target"]
            .as_str()
            .is_some_and(|t| t.contains(std::env::consts::ARCH)),
        "{doc}"
    );
    assert!(
        doc["commit"].is_string() || doc["commit"].is_null(),
        "{doc}"
    );
    assert_eq!(doc["plan_format"], wacfg::plan::PLAN_FORMAT_VERSION);
    assert_eq!(doc["state_format"], wacfg::state::FORMAT_VERSION);
    assert_eq!(doc["state_formats_read"][0], 1);
    let human = std::process::Command::new(env!("CARGO_BIN_EXE_wacfg"))
        .arg("version")
        .output()
        .expect("wacfg runs");
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.starts_with(&format!("wacfg {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}
