//! The template lifecycle as one data table — (recorded status, edits, file change, Meta's
//! facts) → step — run through the same pure functions the planner and apply call; then the
//! plan of whole templates (create, replace on rename, delete with the lock, unmanaged).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::components::components;
use super::lifecycle::{DAY_SECS, Facts, SUBMITTING, Step, Wanted, after_edit, edit_quota, step};
use super::model::*;
use super::plan::{describe, steps};
use crate::model::{Action, ObservedTemplate, SourceLocation};

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3600;

fn lang(text: &str) -> Language {
    Language {
        body: Body {
            text: Some(text.into()),
            example: Examples::List(vec!["Ana".into()]),
            add_security_recommendation: false,
        },
        ..Language::default()
    }
}

fn comps(text: &str) -> Value {
    components(&lang(text), ParameterFormat::Positional)
}

fn recorded_lang(status: &str, text: &str, edits: &[i64]) -> RecordedLanguage {
    RecordedLanguage {
        id: "9001".into(),
        status: status.into(),
        components: comps(text),
        rejected_reason: None,
        quality_score: None,
        edits: edits.to_vec(),
        created_at: None,
    }
}

fn observed(status: &str, id: &str) -> ObservedTemplate {
    ObservedTemplate {
        id: id.into(),
        name: "order_update".into(),
        language: "en_US".into(),
        status: status.into(),
        category: "UTILITY".into(),
        components: comps("Hi {{1}}, it ships."),
        ..ObservedTemplate::default()
    }
}

const OLD: &str = "Hi {{1}}, it ships.";
const NEW: &str = "Hello {{1}}, it ships today.";

#[test]
fn each_status_and_quota_leads_to_its_step() {
    // (recorded status, Meta's status, edits ago in seconds, file text, category changed) → step
    type Row = (
        &'static str,
        Option<&'static str>,
        &'static [i64],
        &'static str,
        bool,
        Step,
    );
    let table: &[Row] = &[
        (
            "APPROVED",
            Some("APPROVED"),
            &[],
            OLD,
            false,
            Step::Unchanged,
        ),
        (
            "APPROVED",
            Some("APPROVED"),
            &[],
            NEW,
            false,
            Step::Edit { quota: Some(1) },
        ),
        (
            "APPROVED",
            Some("APPROVED"),
            &[2 * DAY_SECS, 3 * DAY_SECS],
            NEW,
            false,
            Step::Edit { quota: Some(3) },
        ),
        (
            "PENDING",
            Some("PENDING"),
            &[],
            NEW,
            false,
            Step::Wait {
                status: "PENDING".into(),
            },
        ),
        // Meta decided since: its status counts, not the recorded one.
        (
            "PENDING",
            Some("REJECTED"),
            &[],
            NEW,
            false,
            Step::Edit { quota: None },
        ),
        (
            "APPROVED",
            Some("PAUSED"),
            &[HOUR],
            NEW,
            false,
            Step::Edit { quota: None },
        ),
        (
            "REJECTED",
            None,
            &[],
            NEW,
            false,
            Step::Edit { quota: None },
        ),
        (
            "REJECTED",
            Some("REJECTED"),
            &[],
            OLD,
            true,
            Step::Edit { quota: None },
        ),
        ("PENDING", Some("PENDING"), &[], OLD, false, Step::Unchanged),
    ];
    for (recorded, meta, ago, text, category_changed, expected) in table {
        let edits: Vec<i64> = ago.iter().map(|a| NOW - a).collect();
        let r = recorded_lang(recorded, OLD, &edits);
        let o = meta.map(|s| observed(s, "9001"));
        let d = comps(text);
        let facts = Facts {
            desired: Some(Wanted::Components(&d)),
            category_changed: *category_changed,
            ttl_changed: false,
            recorded: Some(&r),
            observed: o.as_ref(),
            read: o.is_some(),
            now: NOW,
        };
        assert_eq!(
            &step(&facts),
            expected,
            "{recorded} / {meta:?} / {ago:?} / {text}"
        );
    }
}

#[test]
fn refusals_name_what_meta_would_refuse() {
    let cases: &[(&str, &[i64], bool, &str)] = &[
        ("APPROVED", &[3600], false, "per 24 hours"),
        ("APPROVED", &[], true, "category of an APPROVED template"),
        ("DISABLED", &[], false, "does not edit a DISABLED template"),
    ];
    for (status, ago, category_changed, needle) in cases {
        let edits: Vec<i64> = ago.iter().map(|a| NOW - a).collect();
        let r = recorded_lang(status, OLD, &edits);
        let o = observed(status, "9001");
        let d = comps(NEW);
        let got = step(&Facts {
            desired: Some(Wanted::Components(&d)),
            category_changed: *category_changed,
            ttl_changed: false,
            recorded: Some(&r),
            observed: Some(&o),
            read: true,
            now: NOW,
        });
        match got {
            Step::Refused { why } => assert!(why.contains(needle), "{why}"),
            other => panic!("{status}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn the_thirty_day_quota_counts_ten_edits_and_says_when_the_next_is_possible() {
    let ten: Vec<i64> = (1..=10).map(|d| NOW - d * 2 * DAY_SECS).collect();
    let why = edit_quota("APPROVED", &ten, NOW).unwrap_err();
    assert!(why.contains("10 edits") && why.contains("from 20"), "{why}");
    // The oldest falls out of the window: one more is allowed, the 10th.
    let nine_in_window: Vec<i64> = ten.iter().map(|t| t - 11 * DAY_SECS).collect();
    assert_eq!(edit_quota("APPROVED", &nine_in_window, NOW), Ok(Some(10)));
    assert_eq!(edit_quota("REJECTED", &ten, NOW), Ok(None));
}

#[test]
fn an_edit_keeps_its_time_only_when_it_spent_the_quota() {
    let before = recorded_lang("APPROVED", OLD, &[NOW - 40 * DAY_SECS, NOW - 5 * DAY_SECS]);
    let after = after_edit(&before, comps(NEW), true, Some("PENDING"), NOW);
    assert_eq!(after.edits, [NOW - 5 * DAY_SECS, NOW]);
    assert_eq!(after.status, "PENDING");
    assert_eq!(after.components, comps(NEW));
    let free = after_edit(&before, comps(NEW), false, None, NOW);
    assert_eq!(free.edits, [NOW - 5 * DAY_SECS]);
    assert_eq!(free.status, "APPROVED");
}

#[test]
fn creates_deletes_and_lost_answers() {
    let d = comps(OLD);
    let approved = recorded_lang("APPROVED", OLD, &[]);
    let submitting = RecordedLanguage {
        id: String::new(),
        status: SUBMITTING.into(),
        ..recorded_lang("PENDING", OLD, &[])
    };
    let at_meta = observed("PENDING", "777");
    let run = |desired: Option<&Value>,
               r: Option<&RecordedLanguage>,
               o: Option<&ObservedTemplate>,
               read: bool| {
        step(&Facts {
            desired: desired.map(Wanted::Components),
            category_changed: false,
            ttl_changed: false,
            recorded: r,
            observed: o,
            read,
            now: NOW,
        })
    };
    assert_eq!(run(Some(&d), None, None, true), Step::Create);
    assert_eq!(
        run(Some(&d), None, Some(&at_meta), true),
        Step::Unmanaged { id: "777".into() }
    );
    assert_eq!(
        run(None, Some(&approved), None, false),
        Step::Delete { locks_name: true }
    );
    let rejected = recorded_lang("REJECTED", OLD, &[]);
    assert_eq!(
        run(None, Some(&rejected), None, false),
        Step::Delete { locks_name: false }
    );
    assert_eq!(run(Some(&d), Some(&approved), None, true), Step::Recreate);
    // The create was sent but its answer never recorded: adopt Meta's, never send it again.
    assert_eq!(
        run(Some(&d), Some(&submitting), Some(&at_meta), true),
        Step::Adopt { id: "777".into() }
    );
    assert_eq!(run(Some(&d), Some(&submitting), None, true), Step::Create);
}

fn template(name: &str, languages: &[(&str, &str)]) -> DesiredTemplate {
    DesiredTemplate {
        name: name.into(),
        credentials: "acme_fr".into(),
        category: Category::Utility,
        parameter_format: ParameterFormat::Positional,
        allow_category_change: false,
        prevent_destroy: false,
        message_send_ttl_seconds: None,
        languages: languages
            .iter()
            .map(|(c, t)| (c.to_string(), lang(t)))
            .collect(),
        source: SourceLocation {
            file: "wacfg.yaml".into(),
            line: 1,
            column: 1,
        },
    }
}

fn record(name: &str, languages: &[(&str, &str, &str)]) -> RecordedTemplate {
    RecordedTemplate {
        name: name.into(),
        credentials: "acme_fr".into(),
        waba_id: "102290129340398".into(),
        category: Category::Utility,
        parameter_format: ParameterFormat::Positional,
        allow_category_change: false,
        prevent_destroy: false,
        message_send_ttl_seconds: None,
        languages: languages
            .iter()
            .map(|(c, status, t)| (c.to_string(), recorded_lang(status, t, &[])))
            .collect(),
    }
}

#[test]
fn a_template_plans_per_language_and_says_what_each_costs() {
    // Two languages created.
    let d = template("order_update", &[("en_US", OLD), ("fr_FR", OLD)]);
    let s = steps(Some(&d), None, None, NOW);
    assert_eq!(s.values().filter(|s| **s == Step::Create).count(), 2);
    assert_eq!(
        describe(&s, Action::Create),
        "not in state: en_US submitted for review; fr_FR submitted for review"
    );
    // A language code changed: the old one deleted (by id), the new one created.
    let r = record(
        "order_update",
        &[("en_US", "APPROVED", OLD), ("fr_FR", "APPROVED", OLD)],
    );
    let d = template("order_update", &[("en_US", OLD), ("fr_CA", OLD)]);
    let s = steps(Some(&d), Some(&r), None, NOW);
    assert_eq!(s["fr_CA"], Step::Create);
    assert_eq!(s["fr_FR"], Step::Delete { locks_name: true });
    assert_eq!(s["en_US"], Step::Unchanged);
    assert!(
        describe(&s, Action::Update)
            .contains("fr_FR deleted by its id (APPROVED: Meta locks the name for 30 days)")
    );
    // An APPROVED edit shows the quota it spends.
    let d = template("order_update", &[("en_US", NEW), ("fr_FR", OLD)]);
    let s = steps(Some(&d), Some(&r), None, NOW);
    assert!(
        describe(&s, Action::Update)
            .contains("spends the 24-hour edit and 1 of 10 edits in 30 days")
    );
    // Removed from the file: every language deleted.
    let s = steps(None, Some(&r), None, NOW);
    assert!(s.values().all(|s| *s == Step::Delete { locks_name: true }));
    // Unchanged against Meta's own read: nothing to do.
    let by_lang: BTreeMap<String, ObservedTemplate> =
        [("en_US".to_string(), observed("APPROVED", "9001"))].into();
    let r = record("order_update", &[("en_US", "APPROVED", OLD)]);
    let d = template("order_update", &[("en_US", OLD)]);
    let s = steps(Some(&d), Some(&r), Some(&by_lang), NOW);
    assert!(s.values().all(|s| !s.needs_apply()));
}

#[test]
fn the_graph_requests_follow_metas_documented_shapes() {
    use super::graph;
    use crate::kinds::ports::{FormValue, Repeat};
    let d = template("order_update", &[("en_US", OLD)]);
    let c = comps(OLD);
    let create = graph::create("111", &d, "en_US", &c);
    assert_eq!(
        (create.method, create.path.as_str(), create.repeat),
        ("POST", "111/message_templates", Repeat::Unsafe)
    );
    let field = |name: &str| {
        create
            .form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("language"), Some(FormValue::Plain("en_US".into())));
    assert_eq!(field("category"), Some(FormValue::Plain("UTILITY".into())));
    assert_eq!(field("components"), Some(FormValue::Plain(c.to_string())));
    let delete = graph::delete("111", "order_update", "9001");
    assert_eq!(delete.method, "DELETE");
    // Never the bare name: that deletes every language.
    assert_eq!(
        delete.path,
        "111/message_templates?hsm_id=9001&name=order_update"
    );
    let edit = graph::edit("9001", &c, None, None);
    assert_eq!((edit.method, edit.path.as_str()), ("POST", "9001"));
    assert_eq!(edit.form.len(), 1);
    assert_eq!(json!(c)[0]["type"], "BODY");
}

/// A header file's digest is compared once recorded; a language recorded before wacfg kept it
/// matches on the path alone (an upgrade edits nothing), and the digest is sent to nobody.
#[test]
fn a_header_file_is_compared_by_digest_once_recorded_and_by_path_before() {
    let with_file = |digest: Option<&str>| {
        let mut l = lang("Hi {{1}}");
        l.header = Some(Header {
            format: HeaderFormat::Image,
            text: None,
            example: Examples::default(),
            file: Some("/cfg/h.png".into()),
            file_sha256: digest.map(String::from),
        });
        l
    };
    let now = with_file(Some("sha256:02"));
    let wanted = Wanted::Language(&now, ParameterFormat::Positional);
    let recorded_with =
        |digest: Option<&str>| components(&with_file(digest), ParameterFormat::Positional);
    assert!(wanted.matches(&recorded_with(Some("sha256:02"))));
    assert!(
        !wanted.matches(&recorded_with(Some("sha256:01"))),
        "new bytes are an edit"
    );
    assert!(
        wanted.matches(&recorded_with(None)),
        "recorded before digests: the path decides"
    );
    let mut moved = with_file(None);
    if let Some(h) = moved.header.as_mut() {
        h.file = Some("/cfg/other.png".into());
    }
    assert!(!wanted.matches(&components(&moved, ParameterFormat::Positional)));
    // What Meta is sent: the handle, no digest.
    let handles = BTreeMap::from([("/cfg/h.png".into(), "4::handle".to_string())]);
    let sent = super::media::with_handles(&recorded_with(Some("sha256:02")), &handles);
    assert_eq!(sent[0]["example"], json!({"header_handle": ["4::handle"]}));
}

#[test]
fn a_plan_reads_the_templates_of_the_wabas_the_file_and_the_state_name() {
    use crate::kinds::credentials::DesiredCredentials;
    use crate::kinds::{Desired, DesiredResources, KINDS, RecordedResource};
    use crate::model::{Address, MetaSettings, Safety, SecretRef, StateSettings};

    let creds = DesiredCredentials {
        name: "acme_fr".into(),
        token: SecretRef::Env("WHATSAPP_TOKEN".into()),
        business_id: "1234567890123456".into(),
        waba_id: "111".into(),
        phone_number: "+15550100001".into(),
        source: SourceLocation::default(),
    };
    let mut orphan = template("orphan", &[("en_US", OLD)]);
    orphan.credentials = "not_declared".into();
    let desired = Desired {
        meta: MetaSettings::default(),
        state: StateSettings::Local {
            path: "wacfg.state.json".into(),
        },
        safety: Safety::default(),
        marketing_actions: vec![],
        moved: vec![],
        resources: DesiredResources {
            credentials: BTreeMap::from([("acme_fr".to_string(), creds)]),
            message_templates: BTreeMap::from([
                (
                    "welcome".to_string(),
                    template("welcome", &[("en_US", OLD)]),
                ),
                ("orphan".to_string(), orphan),
            ]),
            ..DesiredResources::default()
        },
        config_digest: "sha256:config".into(),
        environment: None,
    };
    let mut kept = record("old_promo", &[("en_US", "APPROVED", OLD)]);
    kept.credentials = "acme_de".into();
    kept.waba_id = "222".into();
    let recorded = BTreeMap::from([(
        Address::message_template("old_promo"),
        RecordedResource::MessageTemplate(kept),
    )]);
    let wanted: Vec<(&str, &str)> = KINDS
        .iter()
        .flat_map(|k| k.template_wabas(&desired, &recorded))
        .collect();
    // The file's template through its credentials' WABA (one whose credentials are not
    // declared has none to read), then the recorded one's own WABA.
    assert_eq!(wanted, [("111", "acme_fr"), ("222", "acme_de")]);
}

/// A new `message_send_ttl_seconds` is an edit of every language, spending the quota like
/// any other edit, and the edit sends it; a TTL removed from the file changes nothing.
#[test]
fn a_ttl_change_is_an_edit_that_sends_it() {
    let mut r = record(
        "order_update",
        &[("en_US", "APPROVED", OLD), ("fr_FR", "REJECTED", OLD)],
    );
    r.message_send_ttl_seconds = Some(600);
    let mut d = template("order_update", &[("en_US", OLD), ("fr_FR", OLD)]);
    d.message_send_ttl_seconds = Some(900);
    let s = steps(Some(&d), Some(&r), None, NOW);
    assert_eq!(s["en_US"], Step::Edit { quota: Some(1) });
    assert_eq!(s["fr_FR"], Step::Edit { quota: None });
    assert_eq!(super::plan::ttl_change(&d, &r), Some(900));
    let edit = super::graph::edit("9001", &comps(OLD), None, Some(900));
    assert!(edit.form.contains(&(
        "message_send_ttl_seconds".to_string(),
        crate::kinds::ports::FormValue::Plain("900".into())
    )));
    // The same TTL, or none in the file: nothing to send.
    d.message_send_ttl_seconds = Some(600);
    let s = steps(Some(&d), Some(&r), None, NOW);
    assert!(s.values().all(|s| *s == Step::Unchanged));
    d.message_send_ttl_seconds = None;
    let s = steps(Some(&d), Some(&r), None, NOW);
    assert!(s.values().all(|s| *s == Step::Unchanged));
    assert_eq!(super::plan::ttl_change(&d, &r), None);
}
