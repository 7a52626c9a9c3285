//! Golden tests of every plan format over hand-built scenarios, plus the properties each
//! format must keep: the JSON matches its schema and round-trips, no secret leaks, colour only
//! when asked, markdown stays under GitHub's comment limit.

#[path = "render_plan/reports.rs"]
mod reports;
#[path = "render_plan/scenarios.rs"]
mod scenarios;

use wacfg::plan::{Action, Plan};
use wacfg::render::Format;
use wacfg::render::plan_markdown::{MAX_CHARS, PLAN_MARKER};
use wacfg::render::render_plan;

const FORMATS: [(Format, &str); 4] = [
    (Format::Human, "human"),
    (Format::Json, "json"),
    (Format::Markdown, "markdown"),
    (Format::Github, "github"),
];

/// Snapshot every format of one scenario.
fn golden(name: &str, plan: &Plan) {
    for (format, suffix) in FORMATS {
        let text = render_plan(plan, format, false);
        insta::assert_snapshot!(format!("{name}__{suffix}"), text);
    }
}

#[test]
fn golden_create_from_empty() {
    golden("create_from_empty", &scenarios::create_from_empty());
}

#[test]
fn golden_description_only_update() {
    golden(
        "description_only_update",
        &scenarios::description_only_update(),
    );
}

#[test]
fn golden_sender_change_failing() {
    golden("sender_change_failing", &scenarios::sender_change_failing());
}

#[test]
fn golden_token_rotation() {
    golden("token_rotation", &scenarios::token_rotation());
}

#[test]
fn golden_webhook_changes() {
    golden("webhook_changes", &scenarios::webhook_changes());
}

#[test]
fn golden_deactivate_and_delete() {
    golden("deactivate_and_delete", &scenarios::deactivate_and_delete());
}

#[test]
fn golden_reactivate() {
    golden("reactivate", &scenarios::reactivate());
}

#[test]
fn golden_drift_present() {
    golden("drift_present", &scenarios::drift_present());
}

#[test]
fn golden_warnings() {
    golden("warnings", &scenarios::warnings());
}

#[test]
fn golden_refused() {
    golden("refused", &scenarios::refused());
}

#[test]
fn golden_token_expired() {
    golden("token_expired", &scenarios::token_expired());
}

#[test]
fn golden_empty() {
    golden("empty", &scenarios::empty());
}

#[test]
fn golden_other_graph_endpoint() {
    golden("other_graph_endpoint", &scenarios::other_graph_endpoint());
}

#[test]
fn golden_named_environment() {
    golden("named_environment", &scenarios::named_environment());
}

#[test]
fn the_environment_is_named_in_every_format_and_pinned_by_the_digest() {
    let named = scenarios::named_environment();
    for (format, _) in FORMATS {
        let text = render_plan(&named, format, false);
        let expected = match format {
            Format::Json => "\"environment\": \"production\"",
            Format::Markdown => "Environment: `production`",
            Format::Human | Format::Github => "Environment: production\n",
        };
        assert!(text.contains(expected), "{format:?}:\n{text}");
        let unnamed = render_plan(&scenarios::other_graph_endpoint(), format, false);
        assert!(!unnamed.contains("nvironment"), "{format:?}:\n{unnamed}");
    }
    let human = render_plan(&named, Format::Human, false);
    assert!(
        human.starts_with("Environment: production\nGraph API: "),
        "{human}"
    );
    // Unlike the endpoint, the environment is part of what a reviewer approves.
    assert_ne!(
        wacfg::plan::digest::plan_digest(&named),
        wacfg::plan::digest::plan_digest(&scenarios::other_graph_endpoint())
    );
}

#[test]
fn a_non_default_graph_endpoint_is_named_first_in_every_format_and_not_for_metas() {
    let line = "Graph API: http://127.0.0.1:8080 (set by WACFG_GRAPH_URL)";
    let other = scenarios::other_graph_endpoint();
    for (format, _) in FORMATS {
        let text = render_plan(&other, format, false);
        if format != Format::Json {
            assert!(text.contains(line), "{format:?}:\n{text}");
        }
        let meta = render_plan(&scenarios::create_from_empty(), format, false);
        assert!(!meta.contains("Graph API"), "{format:?}:\n{meta}");
    }
    let human = render_plan(&other, Format::Human, false);
    assert!(human.starts_with(&format!("{line}\n\n")), "{human}");
    let json: serde_json::Value =
        serde_json::from_str(&render_plan(&other, Format::Json, false)).unwrap();
    assert_eq!(json["graph_api"]["url"], "http://127.0.0.1:8080");
    assert_eq!(json["graph_api"]["set_by"], "WACFG_GRAPH_URL");
    let meta: serde_json::Value = serde_json::from_str(&render_plan(
        &scenarios::create_from_empty(),
        Format::Json,
        false,
    ))
    .unwrap();
    assert!(
        meta.get("graph_api").is_none(),
        "additive: absent for Meta's"
    );
    // Said, not pinned: the endpoint (a random port) leaves the plan's digest as it was.
    assert_eq!(
        wacfg::plan::digest::plan_digest(&other),
        wacfg::plan::digest::plan_digest(&scenarios::create_from_empty())
    );
}

#[test]
fn json_of_every_golden_plan_validates_against_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/plan.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    for (name, plan) in scenarios::all() {
        let doc: serde_json::Value =
            serde_json::from_str(&render_plan(&plan, Format::Json, false)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn schema_rejects_an_undocumented_field_and_a_bad_action() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/plan.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let plan = scenarios::sender_change_failing();
    let mut doc: serde_json::Value =
        serde_json::from_str(&render_plan(&plan, Format::Json, false)).unwrap();
    doc["resource_changes"][0]["action"] = "mutate".into();
    assert!(!validator.is_valid(&doc));
    let mut doc: serde_json::Value =
        serde_json::from_str(&render_plan(&plan, Format::Json, false)).unwrap();
    doc["surprise"] = true.into();
    assert!(!validator.is_valid(&doc));
}

#[test]
fn the_address_of_every_registered_kind_matches_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/plan.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let plan = scenarios::create_from_empty();
    for (_, prefix) in wacfg::model::ResourceKind::ALL {
        let mut doc: serde_json::Value =
            serde_json::from_str(&render_plan(&plan, Format::Json, false)).unwrap();
        doc["resource_changes"][0]["address"] = format!("{prefix}.example").into();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{prefix}: {errors:#?}");
    }
    let mut doc: serde_json::Value =
        serde_json::from_str(&render_plan(&plan, Format::Json, false)).unwrap();
    doc["resource_changes"][0]["address"] = "channel.example".into();
    assert!(!validator.is_valid(&doc), "an unknown kind is refused");
}

#[test]
fn every_schema_property_has_a_description() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/plan.schema.json")).unwrap();
    let mut missing = Vec::new();
    walk_properties(&schema, "", &mut missing);
    assert!(
        missing.is_empty(),
        "properties without a description: {missing:?}"
    );
}

fn walk_properties(node: &serde_json::Value, path: &str, missing: &mut Vec<String>) {
    let Some(map) = node.as_object() else { return };
    if let Some(props) = map.get("properties").and_then(|p| p.as_object()) {
        for (name, prop) in props {
            if prop.get("description").is_none() {
                missing.push(format!("{path}/{name}"));
            }
        }
    }
    for (key, child) in map {
        walk_properties(child, &format!("{path}/{key}"), missing);
    }
}

#[test]
fn json_round_trips_to_the_same_plan() {
    for (name, plan) in scenarios::all() {
        let text = render_plan(&plan, Format::Json, false);
        let back: Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan, "{name}");
    }
}

#[test]
fn no_human_format_shows_a_sensitive_value() {
    let plan = scenarios::token_rotation();
    for format in [Format::Human, Format::Markdown, Format::Github] {
        let text = render_plan(&plan, format, false);
        assert!(!text.contains(scenarios::OLD_TOKEN_MARK), "{format:?}");
        assert!(!text.contains(scenarios::NEW_TOKEN_MARK), "{format:?}");
        assert!(text.contains("token") && text.contains("(sensitive value changed)"));
    }
}

#[test]
fn no_human_format_shows_a_verify_token_fingerprint() {
    let plan = scenarios::webhook_changes();
    for format in [Format::Human, Format::Markdown, Format::Github] {
        let text = render_plan(&plan, format, false);
        assert!(!text.contains(scenarios::OLD_TOKEN_MARK), "{format:?}");
        assert!(!text.contains(scenarios::NEW_TOKEN_MARK), "{format:?}");
        assert!(text.contains("verify_token"), "{format:?}");
        assert!(text.contains("(sensitive value changed)"), "{format:?}");
    }
}

#[test]
fn no_op_changes_are_hidden() {
    let plan = scenarios::description_only_update();
    assert!(
        plan.resource_changes
            .iter()
            .any(|c| c.action == Action::NoOp)
    );
    for format in [Format::Human, Format::Markdown, Format::Github] {
        let text = render_plan(&plan, format, false);
        assert!(!text.contains("Marketing_DE"), "{format:?}");
        assert!(text.contains("Marketing_FR"), "{format:?}");
    }
}

#[test]
fn colour_only_when_asked() {
    for (name, plan) in scenarios::all() {
        for (format, _) in FORMATS {
            let plain = render_plan(&plan, format, false);
            assert!(
                !plain.contains('\u{1b}'),
                "{name} {format:?} has escape codes"
            );
        }
        for format in [Format::Json, Format::Markdown] {
            let text = render_plan(&plan, format, true);
            assert!(!text.contains('\u{1b}'), "{name} {format:?} coloured");
        }
        let coloured = render_plan(&plan, Format::Human, true);
        assert!(coloured.contains('\u{1b}'), "{name}: no colour when asked");
        assert_eq!(
            strip_ansi(&coloured),
            render_plan(&plan, Format::Human, false)
        );
    }
}

/// Removes SGR escape sequences (`ESC [ … m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn summary_line_names_reactivate_and_replace_only_when_present() {
    let human = render_plan(&scenarios::deactivate_and_delete(), Format::Human, false);
    assert!(human.contains("Plan: 0 to create, 0 to update, 1 to deactivate, 1 to delete.\n"));
    let human = render_plan(&scenarios::reactivate(), Format::Human, false);
    assert!(human.contains("Plan: 0 to create, 0 to update, 1 to reactivate, 0 to deactivate"));
    let human = render_plan(&scenarios::empty(), Format::Human, false);
    assert!(human.contains("No changes. Your WhatsApp configuration matches the file."));
    assert!(!human.contains("Plan:"));
    // A plan that failed does not claim the configuration matches.
    let human = render_plan(&scenarios::token_expired(), Format::Human, false);
    assert!(!human.contains("No changes"));
    assert!(human.contains("error: the token of credentials.acme expired"));
}

#[test]
fn warnings_come_after_the_summary_and_errors_last() {
    let human = render_plan(&scenarios::warnings(), Format::Human, false);
    let summary = human.find("Plan: ").unwrap();
    let warning = human.find("warning: the token").unwrap();
    let check = human
        .find("warning: channel_configuration.Marketing_FR: check quality_rating")
        .unwrap();
    assert!(summary < check && check < warning);
    let human = render_plan(&scenarios::refused(), Format::Human, false);
    assert!(human.find("Plan: ").unwrap() < human.find("error: ").unwrap());
}

#[test]
fn terminal_output_spells_error_and_warning_as_every_command_does() {
    // `error:` and `warning:`, as validate's diagnostics and the commands' own errors.
    for plan in [
        scenarios::refused(),
        scenarios::warnings(),
        scenarios::token_expired(),
    ] {
        for format in [Format::Human, Format::Github] {
            let text = render_plan(&plan, format, false);
            for line in text.lines() {
                assert!(
                    !line.starts_with("Error:") && !line.starts_with("Warning:"),
                    "{line}"
                );
            }
        }
    }
}

#[test]
fn huge_markdown_plan_is_cut_to_whole_blocks_and_says_so() {
    let mut changes = Vec::new();
    for i in 0..3_000 {
        let mut c = scenarios::create_from_empty().resource_changes[1].clone();
        c.address = wacfg::model::Address::channel(format!("Marketing_{i:05}"));
        changes.push(c);
    }
    let plan = scenarios::plan(changes);
    let text = render_plan(&plan, Format::Markdown, false);
    assert!(
        text.chars().count() <= MAX_CHARS,
        "{} chars",
        text.chars().count()
    );
    assert!(text.starts_with(&format!("{PLAN_MARKER}\n")));
    assert!(text.contains("| create | 3000 |"));
    let shown = text.matches("<details>").count();
    assert_eq!(shown, text.matches("</details>").count());
    assert!(shown > 10 && shown < 3_000, "{shown} blocks shown");
    let note = format!("{} more changes", 3_000 - shown);
    assert!(text.contains(&note), "missing `{note}`");
    assert!(text.contains("wacfg show plan.json"));
    // The blocks kept are the first ones, in order.
    assert!(text.contains("channel_configuration.Marketing_00000"));
    assert!(!text.contains("channel_configuration.Marketing_02999"));
}

#[test]
fn small_markdown_plan_is_not_cut() {
    let text = render_plan(&scenarios::create_from_empty(), Format::Markdown, false);
    assert!(!text.contains("not shown"));
    assert_eq!(text.matches("<details>").count(), 3);
}

/// The `<summary>` line of the block of `address`: all a reviewer sees of it while collapsed.
fn summary_line<'a>(markdown: &'a str, address: &str) -> &'a str {
    markdown
        .lines()
        .find(|l| l.starts_with("<details><summary>") && l.contains(address))
        .unwrap_or_else(|| panic!("no block for {address}:\n{markdown}"))
}

#[test]
fn markdown_summary_lines_flag_destructive_changes_and_expected_failures() {
    use wacfg::model::{Address, Expectation};
    let mut failing = scenarios::change(Address::channel("Failing"), Action::Update, "sender");
    failing.checks = vec![
        scenarios::check("sender_in_waba", Expectation::Pass, "ok"),
        scenarios::check(
            "sender_connected",
            Expectation::Fail,
            "the number is not connected",
        ),
    ];
    let gone = scenarios::change(Address::channel("Gone"), Action::Deactivate, "not in file");
    let removed = scenarios::change(Address::credentials("old"), Action::Delete, "not in file");
    let calm = scenarios::change(Address::channel("Calm"), Action::Create, "not in state");
    let text = render_plan(
        &scenarios::plan(vec![calm, failing, gone, removed]),
        Format::Markdown,
        false,
    );
    let failing = summary_line(&text, "channel_configuration.Failing");
    assert!(
        failing.contains("expected to fail:</b> sender_connected"),
        "{failing}"
    );
    assert!(!failing.contains("sender_in_waba"), "{failing}");
    assert!(!failing.contains("DESTRUCTIVE"), "{failing}");
    for address in ["channel_configuration.Gone", "credentials.old"] {
        let line = summary_line(&text, address);
        assert!(
            line.starts_with("<details><summary>⚠️ <b>DESTRUCTIVE</b>"),
            "{line}"
        );
    }
    let calm = summary_line(&text, "channel_configuration.Calm");
    assert!(
        !calm.contains("DESTRUCTIVE") && !calm.contains("expected to fail"),
        "{calm}"
    );
}

#[test]
fn markdown_plan_names_the_commit_it_was_made_at() {
    let mut plan = scenarios::create_from_empty();
    let text = render_plan(&plan, Format::Markdown, false);
    assert!(
        !text.contains("Planned at commit"),
        "no commit known: {text}"
    );
    plan.commit = Some(wacfg::plan::PlanCommit {
        sha: "0123456789abcdef0123456789abcdef01234567".into(),
        modified: false,
    });
    let text = render_plan(&plan, Format::Markdown, false);
    let head: String = text.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(
        head.contains("Planned at commit `0123456789abcdef0123456789abcdef01234567`"),
        "{head}"
    );
    assert!(!head.contains("uncommitted"));
    plan.commit.as_mut().unwrap().modified = true;
    let text = render_plan(&plan, Format::Markdown, false);
    assert!(text.contains("with uncommitted changes to the configuration"));
}
