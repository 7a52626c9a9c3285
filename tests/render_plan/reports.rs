//! Golden tests of the apply report (progress lines and final summary) and of `wacfg drift`.

use std::time::Duration;

use wacfg::apply::{ApplyReport, ChangeOutcome, ChangeResult};
use wacfg::model::{Address, CheckResult, CheckStatus};
use wacfg::plan::{Action, PriorState};
use wacfg::render::Format;
use wacfg::render::apply_report::{Progress, progress_line, render_apply_report};
use wacfg::render::drift::render_drift;

use super::FORMATS;

fn result(address: Address, action: Action, outcome: ChangeOutcome) -> ChangeResult {
    ChangeResult {
        address,
        action,
        outcome,
        status: None,
        checks: Vec::new(),
    }
}

fn state() -> Option<PriorState> {
    Some(PriorState {
        lineage: "6b1f8c1e-0000-4000-8000-000000000001".to_string(),
        serial: 9,
    })
}

fn success() -> ApplyReport {
    let mut fr = result(
        Address::channel("Marketing_FR"),
        Action::Create,
        ChangeOutcome::Applied,
    );
    fr.status = Some("active".to_string());
    fr.checks = vec![
        CheckResult {
            id: "sender_connected".to_string(),
            status: CheckStatus::Passed,
            message: "the sender's status is CONNECTED".to_string(),
        },
        CheckResult {
            id: "quality_rating".to_string(),
            status: CheckStatus::Warning,
            message: "the sender's quality rating is RED".to_string(),
        },
    ];
    ApplyReport {
        results: vec![
            result(
                Address::credentials("acme"),
                Action::Create,
                ChangeOutcome::Applied,
            ),
            fr,
            result(
                Address::channel("Marketing_DE"),
                Action::Update,
                ChangeOutcome::Applied,
            ),
        ],
        interrupted: false,
        state: state(),
        stopped: None,
        finish_warning: None,
        review: None,
    }
}

fn failures() -> ApplyReport {
    let mut fr = result(
        Address::channel("Marketing_FR"),
        Action::Update,
        ChangeOutcome::ChecksFailed {
            reasons: vec![
                "15550100009 is not a number of WABA 2000000001".to_string(),
                "the previous version stays active".to_string(),
            ],
        },
    );
    fr.status = Some("active".to_string());
    ApplyReport {
        results: vec![
            result(
                Address::credentials("globex"),
                Action::Create,
                ChangeOutcome::Error {
                    message: "Graph error 190 (OAuthException): the token is invalid or expired"
                        .to_string(),
                    class: wacfg::model::ErrorClass::Graph,
                },
            ),
            fr,
            result(
                Address::channel("Old_Draft"),
                Action::Delete,
                ChangeOutcome::Applied,
            ),
            result(
                Address::channel("Globex_US"),
                Action::Create,
                ChangeOutcome::Skipped {
                    why: "credentials.globex failed".to_string(),
                },
            ),
        ],
        interrupted: false,
        state: state(),
        stopped: None,
        finish_warning: None,
        review: None,
    }
}

fn interrupted() -> ApplyReport {
    ApplyReport {
        results: vec![
            result(
                Address::credentials("acme"),
                Action::Create,
                ChangeOutcome::Applied,
            ),
            result(
                Address::channel("Marketing_FR"),
                Action::Create,
                ChangeOutcome::Skipped {
                    why: "interrupted before it started".to_string(),
                },
            ),
        ],
        interrupted: true,
        state: state(),
        stopped: None,
        finish_warning: None,
        review: None,
    }
}

#[test]
fn golden_apply_reports() {
    for (name, report) in [
        ("success", success()),
        ("failures", failures()),
        ("interrupted", interrupted()),
    ] {
        for (format, suffix) in FORMATS {
            let text = render_apply_report(&report, format, false);
            assert!(!text.contains('\u{1b}'));
            insta::assert_snapshot!(format!("apply_{name}__{suffix}"), text);
        }
    }
}

#[test]
fn apply_summary_lines() {
    let human = render_apply_report(&success(), Format::Human, false);
    assert!(human.starts_with(
        "Apply complete! Resources: 2 created, 1 updated, 0 deactivated, 0 destroyed.\n"
    ));
    let human = render_apply_report(&failures(), Format::Human, false);
    assert!(human.starts_with("Apply failed: "));
    assert!(human.contains("15550100009 is not a number of WABA 2000000001"));
    assert!(human.contains("credentials.globex failed"));
    let human = render_apply_report(&interrupted(), Format::Human, false);
    assert!(human.starts_with("Apply interrupted: "));
}

#[test]
fn golden_progress_lines() {
    let report = failures();
    let mut lines = Vec::new();
    for r in success().results.iter().chain(report.results.iter()) {
        lines.push(progress_line(
            Progress::Started {
                address: &r.address,
                action: r.action,
            },
            false,
        ));
        lines.push(progress_line(
            Progress::Finished {
                result: r,
                elapsed: Some(Duration::from_millis(1_250)),
            },
            false,
        ));
    }
    let last = &report.results[0];
    lines.push(progress_line(
        Progress::Finished {
            result: last,
            elapsed: None,
        },
        false,
    ));
    insta::assert_snapshot!("apply_progress_lines", lines.join("\n"));
    let coloured = progress_line(
        Progress::Finished {
            result: last,
            elapsed: None,
        },
        true,
    );
    assert!(coloured.contains('\u{1b}'));
}

#[test]
fn golden_drift_reports() {
    let drift = super::scenarios::drift_present().resource_drift;
    for (format, suffix) in FORMATS {
        insta::assert_snapshot!(
            format!("drift_some__{suffix}"),
            render_drift(&drift, format, false)
        );
        insta::assert_snapshot!(
            format!("drift_none__{suffix}"),
            render_drift(&[], format, false)
        );
    }
    let human = render_drift(&[], Format::Human, false);
    assert_eq!(human, "No drift: Meta matches the state.\n");
}

#[test]
fn huge_markdown_apply_report_stays_under_the_comment_limit() {
    let failed = failures().results[1].clone();
    let results = (0..5_000)
        .map(|i| {
            let mut r = failed.clone();
            r.address = Address::channel(format!("Marketing_{i:05}"));
            r
        })
        .collect();
    let report = ApplyReport {
        results,
        interrupted: false,
        state: state(),
        stopped: None,
        finish_warning: None,
        review: None,
    };
    let text = render_apply_report(&report, Format::Markdown, false);
    let max = wacfg::render::plan_markdown::MAX_CHARS;
    assert!(text.chars().count() <= max);
    let shown = text.matches("| `channel_configuration.").count();
    assert!(shown > 10 && shown < 5_000);
    assert!(text.contains(&format!("{} more changes not applied", 5_000 - shown)));
}
