//! Planner scenarios: one test per lifecycle rule, over hand-built inputs.

use std::collections::BTreeMap;

use super::fixtures::*;
use super::*;
use crate::kinds::channel_configuration::checks::CHECK_IDS;
use crate::kinds::message_template::{DesiredTemplate, RecordedTemplate};
use crate::kinds::*;
use crate::model::*;

fn run(d: &Desired, o: &Observed, r: &BTreeMap<Address, RecordedResource>) -> Plan {
    run_with(d, o, r, vec![], false)
}

fn run_with(
    d: &Desired,
    o: &Observed,
    r: &BTreeMap<Address, RecordedResource>,
    targets: Vec<Address>,
    allow_destructive: bool,
) -> Plan {
    let fps = fingerprints();
    let prior = Some(PriorState {
        lineage: "lineage-1".into(),
        serial: 3,
    });
    plan(&PlanInput {
        desired: d,
        observed: o,
        prior,
        recorded: r,
        fingerprints: &fps,
        targets,
        allow_destructive,
        options: Default::default(),
    })
}

fn actions(p: &Plan) -> Vec<(String, Action)> {
    p.resource_changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

fn change<'a>(p: &'a Plan, addr: &str) -> &'a ResourceChange {
    p.resource_changes
        .iter()
        .find(|c| c.address.to_string() == addr)
        .expect("change present")
}

fn applied_world() -> BTreeMap<Address, RecordedResource> {
    recorded(vec![
        RecordedResource::Credentials(recorded_credentials("acme_fr")),
        RecordedResource::ChannelConfiguration(recorded_channel(
            "Marketing_FR",
            ChannelStatus::Active,
        )),
    ])
}

#[test]
fn create_from_empty_orders_credentials_first_and_expects_checks_to_pass() {
    let d = desired(vec![
        channel("Marketing_FR", DesiredStatus::Active),
        channel("Later", DesiredStatus::Draft),
    ]);
    let p = run(&d, &observed(), &BTreeMap::new());
    assert_eq!(
        actions(&p),
        vec![
            ("credentials.acme_fr".into(), Action::Import),
            ("channel_configuration.Later".into(), Action::Create),
            ("channel_configuration.Marketing_FR".into(), Action::Create),
        ]
    );
    let m = change(&p, "channel_configuration.Marketing_FR");
    assert_eq!(m.checks.len(), CHECK_IDS.len());
    assert!(
        m.checks.iter().all(|c| c.expectation == Expectation::Pass),
        "{:?}",
        m.checks
    );
    assert_eq!(m.after.as_ref().unwrap()["status"], KNOWN_AFTER_APPLY);
    assert_eq!(
        m.after.as_ref().unwrap()["phone_number_id"],
        "106540352242922"
    );
    assert_eq!(m.depends_on, vec![Address::credentials("acme_fr")]);
    let draft = change(&p, "channel_configuration.Later");
    assert!(draft.checks.is_empty());
    assert_eq!(draft.after.as_ref().unwrap()["status"], "draft");
    assert_eq!((p.summary.create, p.summary.import), (2, 1));
    assert!(!p.refused);
    assert!(p.digests.plan.starts_with("sha256:"));
}

#[test]
fn unchanged_world_plans_no_changes() {
    let d = desired(vec![channel("Marketing_FR", DesiredStatus::Active)]);
    let p = run(&d, &observed(), &applied_world());
    assert!(!p.has_changes(), "{:?}", actions(&p));
    assert!(p.resource_drift.is_empty());
    assert_eq!(p.summary.no_op, 2);
}

#[test]
fn description_only_edit_is_an_instant_update_without_checks() {
    let mut c = channel("Marketing_FR", DesiredStatus::Active);
    c.description = Some("New text".into());
    let p = run(&desired(vec![c]), &observed(), &applied_world());
    let m = change(&p, "channel_configuration.Marketing_FR");
    assert_eq!(m.action, Action::Update);
    assert!(m.checks.is_empty());
    assert!(m.reason.contains("at once"), "{}", m.reason);
    assert_eq!(m.after.as_ref().unwrap()["version"], 1);
}

#[test]
fn sender_change_runs_checks_and_new_version() {
    let mut c = channel("Marketing_FR", DesiredStatus::Active);
    c.sender_number = Some(NUMBER_2.into());
    let p = run(&desired(vec![c]), &observed(), &applied_world());
    let m = change(&p, "channel_configuration.Marketing_FR");
    assert_eq!(m.action, Action::Update);
    assert_eq!(m.checks.len(), CHECK_IDS.len());
    assert_eq!(m.after.as_ref().unwrap()["version"], 2);
    assert_eq!(m.after.as_ref().unwrap()["status"], "active");
}

#[test]
fn sender_outside_the_waba_is_expected_to_fail() {
    let mut c = channel("Marketing_FR", DesiredStatus::Active);
    c.sender_number = Some("15559999999".into());
    let p = run(&desired(vec![c]), &observed(), &applied_world());
    let m = change(&p, "channel_configuration.Marketing_FR");
    let failing: Vec<_> = m
        .checks
        .iter()
        .filter(|c| c.expectation == Expectation::Fail)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        failing,
        vec![
            "sender_in_waba",
            "sender_connected",
            "display_name_approved"
        ]
    );
    assert!(!p.refused, "a failing check is a warning, not a refusal");
}

#[test]
fn removing_an_active_configuration_deactivates_and_a_draft_is_deleted() {
    let mut r = applied_world();
    let draft = recorded_channel("Draft_One", ChannelStatus::Draft);
    r.insert(
        Address::channel("Draft_One"),
        RecordedResource::ChannelConfiguration(draft),
    );
    let p = run(&desired(vec![]), &observed(), &r);
    assert_eq!(
        change(&p, "channel_configuration.Marketing_FR").action,
        Action::Deactivate
    );
    assert_eq!(
        change(&p, "channel_configuration.Draft_One").action,
        Action::Delete
    );
    assert_eq!(change(&p, "channel_configuration.Draft_One").after, None);
}

#[test]
fn rename_is_a_create_plus_a_removal() {
    let p = run(
        &desired(vec![channel("Marketing_FR2", DesiredStatus::Active)]),
        &observed(),
        &applied_world(),
    );
    assert_eq!(
        change(&p, "channel_configuration.Marketing_FR2").action,
        Action::Create
    );
    assert_eq!(
        change(&p, "channel_configuration.Marketing_FR").action,
        Action::Deactivate
    );
    let pos = |a: &str| {
        p.resource_changes
            .iter()
            .position(|c| c.address.to_string() == a)
            .unwrap()
    };
    assert!(pos("channel_configuration.Marketing_FR2") < pos("channel_configuration.Marketing_FR"));
}

#[test]
fn token_rotation_is_a_sensitive_update() {
    let d = desired(vec![channel("Marketing_FR", DesiredStatus::Active)]);
    let mut fps = fingerprints();
    let new_fp = TokenFingerprint::of("test-token-acme-rotated");
    fps.insert("acme_fr".into(), new_fp.clone());
    let mut o = observed();
    let mut t = o.tokens.values().next().unwrap().clone().unwrap();
    t.fingerprint = new_fp.clone();
    o.tokens.insert(new_fp, Ok(t));
    let r = applied_world();
    let p = plan(&PlanInput {
        desired: &d,
        observed: &o,
        prior: None,
        recorded: &r,
        fingerprints: &fps,
        targets: vec![],
        allow_destructive: false,
        options: Default::default(),
    });
    let c = change(&p, "credentials.acme_fr");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.sensitive, vec!["token".to_string()]);
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains("test-token-acme"));
}

#[test]
fn expired_token_is_an_error_and_expiring_soon_a_warning() {
    let d = desired(vec![]);
    let mut o = observed();
    let fp = TokenFingerprint::of(TOKEN);
    if let Some(Ok(t)) = o.tokens.get_mut(&fp) {
        t.expires_at = Some(NOW - 10);
    }
    let p = run(&d, &o, &BTreeMap::new());
    assert!(
        p.diagnostics
            .iter()
            .any(|x| x.code == "wacfg::token::expired" && x.is_error())
    );
    assert!(p.refused);
    if let Some(Ok(t)) = o.tokens.get_mut(&fp) {
        t.expires_at = Some(NOW + 3 * 86_400);
    }
    let p = run(&d, &o, &BTreeMap::new());
    let w = p
        .diagnostics
        .iter()
        .find(|x| x.code == "wacfg::token::expiring")
        .unwrap();
    assert!(!w.is_error());
    assert!(w.message.contains("3 day"), "{}", w.message);
    assert!(!p.refused);
}

#[test]
fn red_quality_is_a_warning_check() {
    let mut o = observed();
    if let Some(Ok(b)) = o.businesses.get_mut(BUSINESS) {
        for n in b.wabas.get_mut(WABA).unwrap().phone_numbers.values_mut() {
            n.quality_rating = Some("RED".into());
        }
    }
    let p = run(
        &desired(vec![channel("Marketing_FR", DesiredStatus::Active)]),
        &o,
        &BTreeMap::new(),
    );
    let q = change(&p, "channel_configuration.Marketing_FR")
        .checks
        .iter()
        .find(|c| c.id == "quality_rating")
        .unwrap();
    assert_eq!(q.expectation, Expectation::Warn);
}

#[test]
fn number_leaving_its_waba_is_drift() {
    let mut o = observed();
    if let Some(Ok(b)) = o.businesses.get_mut(BUSINESS) {
        b.wabas
            .get_mut(WABA)
            .unwrap()
            .phone_numbers
            .remove("106540352242922");
    }
    let p = run(
        &desired(vec![channel("Marketing_FR", DesiredStatus::Active)]),
        &o,
        &applied_world(),
    );
    let attrs: Vec<_> = p
        .resource_drift
        .iter()
        .map(|d| format!("{}:{}", d.address, d.attribute))
        .collect();
    assert_eq!(
        attrs,
        vec![
            "credentials.acme_fr:phone_number",
            "channel_configuration.Marketing_FR:sender_number"
        ]
    );
}

#[test]
fn failed_configuration_is_submitted_again_while_the_file_asks_active() {
    let mut r = applied_world();
    r.insert(
        Address::channel("Marketing_FR"),
        RecordedResource::ChannelConfiguration(recorded_channel(
            "Marketing_FR",
            ChannelStatus::Failed,
        )),
    );
    let p = run(
        &desired(vec![channel("Marketing_FR", DesiredStatus::Active)]),
        &observed(),
        &r,
    );
    let m = change(&p, "channel_configuration.Marketing_FR");
    assert_eq!(m.action, Action::Update);
    assert_eq!(m.checks.len(), CHECK_IDS.len());
}

#[test]
fn deactivated_then_active_is_a_reactivation_and_edits_are_refused_while_deactivated() {
    let mut r = applied_world();
    r.insert(
        Address::channel("Marketing_FR"),
        RecordedResource::ChannelConfiguration(recorded_channel(
            "Marketing_FR",
            ChannelStatus::Deactivated,
        )),
    );
    let p = run(
        &desired(vec![channel("Marketing_FR", DesiredStatus::Active)]),
        &observed(),
        &r,
    );
    assert_eq!(
        change(&p, "channel_configuration.Marketing_FR").action,
        Action::Reactivate
    );
    let mut c = channel("Marketing_FR", DesiredStatus::Deactivated);
    c.description = Some("edited".into());
    let p = run(&desired(vec![c]), &observed(), &r);
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.code == "wacfg::lifecycle::edit_deactivated")
    );
    assert!(p.refused);
}

#[test]
fn prevent_destroy_refuses_and_no_flag_overrides_it() {
    let mut r = applied_world();
    let mut ch = recorded_channel("Marketing_FR", ChannelStatus::Active);
    ch.prevent_destroy = true;
    r.insert(
        Address::channel("Marketing_FR"),
        RecordedResource::ChannelConfiguration(ch),
    );
    let p = run_with(&desired(vec![]), &observed(), &r, vec![], true);
    assert!(p.refused);
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.code == "wacfg::plan::prevent_destroy")
    );
}

#[test]
fn safety_threshold_refuses_unless_allowed() {
    let mut r = applied_world();
    for i in 0..10 {
        let name = format!("C{i}");
        r.insert(
            Address::channel(&name),
            RecordedResource::ChannelConfiguration(recorded_channel(&name, ChannelStatus::Active)),
        );
    }
    // 12 managed; removing 4 of them is 33% > 30%.
    let keep: Vec<_> = (0..6)
        .map(|i| channel(&format!("C{i}"), DesiredStatus::Active))
        .chain([channel("Marketing_FR", DesiredStatus::Active)])
        .collect();
    let p = run(&desired(keep.clone()), &observed(), &r);
    assert!(p.refused);
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.code == "wacfg::plan::too_destructive")
    );
    let p = run_with(&desired(keep), &observed(), &r, vec![], true);
    assert!(!p.refused);
    assert_eq!(p.summary.deactivate, 4);
}

#[test]
fn target_keeps_the_targeted_change_and_its_credentials() {
    let d = desired(vec![
        channel("A", DesiredStatus::Active),
        channel("B", DesiredStatus::Active),
    ]);
    let p = run_with(
        &d,
        &observed(),
        &BTreeMap::new(),
        vec![Address::channel("A")],
        false,
    );
    assert_eq!(
        actions(&p),
        vec![
            ("credentials.acme_fr".into(), Action::Import),
            ("channel_configuration.A".into(), Action::Create)
        ]
    );
}

#[test]
fn a_target_matching_nothing_declared_or_recorded_is_reported() {
    let d = desired(vec![channel("A", DesiredStatus::Active)]);
    let recorded = applied_world();
    let gone = recorded
        .keys()
        .find(|a| a.kind == ResourceKind::ChannelConfiguration)
        .cloned()
        .unwrap();
    let typo = Address::channel("a");
    let targets = vec![
        Address::channel("A"),
        "credentials.acme_fr".parse().unwrap(),
        gone,
        typo.clone(),
    ];
    // Declared (A, acme_fr) or only recorded (to be removed): matched. The typo: not.
    assert_eq!(
        planner::unmatched_targets(&d, &recorded, &targets),
        vec![&typo]
    );
    assert!(planner::unmatched_targets(&d, &BTreeMap::new(), &[]).is_empty());
}

#[test]
fn stale_plan_names_each_cause() {
    let d = desired(vec![channel("Marketing_FR", DesiredStatus::Active)]);
    let p = run(&d, &observed(), &BTreeMap::new());
    let fps = fingerprints();
    let o = observed();
    let fresh = stale::Current {
        prior: p.prior_state.clone(),
        config_digest: "sha256:config",
        fingerprints: &fps,
    };
    assert!(stale::stale_causes(&p, &fresh).is_empty());
    let moved = stale::Current {
        prior: Some(PriorState {
            lineage: "lineage-1".into(),
            serial: 4,
        }),
        ..fresh
    };
    let causes = stale::stale_causes(&p, &moved);
    assert_eq!(causes.len(), 1);
    assert!(causes[0].contains("stale") && causes[0].contains("serial 3 to 4"));
    let mut o2 = observed();
    if let Some(Ok(b)) = o2.businesses.get_mut(BUSINESS) {
        b.name = "Renamed".into();
    }
    let changed = stale::Current {
        prior: p.prior_state.clone(),
        config_digest: "sha256:other",
        fingerprints: &fps,
    };
    // Meta's facts are compared through the re-derived changes, not by digest.
    let causes = stale::stale_causes(&p, &changed);
    assert_eq!(causes.len(), 1, "{causes:?}");
    assert!(causes[0].contains("configuration files changed"));
    assert_eq!(
        stale::meta_moved(&p, &o2),
        vec![format!("business:{BUSINESS}")]
    );
    assert!(stale::meta_moved(&p, &o).is_empty());
    let mut tampered = p.clone();
    tampered.summary.create = 99;
    let again = stale::Current {
        prior: p.prior_state.clone(),
        config_digest: "sha256:config",
        fingerprints: &fps,
    };
    assert!(stale::stale_causes(&tampered, &again)[0].contains("modified"));
}

#[test]
fn a_changed_secret_is_named_by_the_kind_that_owns_it() {
    let d = desired(vec![channel("Marketing_FR", DesiredStatus::Active)]);
    let mut p = run(&d, &observed(), &BTreeMap::new());
    let hook_key = crate::kinds::webhook::secret_key("acme_fr_inbound");
    p.digests
        .tokens
        .insert(hook_key.clone(), TokenFingerprint::of("vt-old").0);
    p.digests.plan = super::digest::plan_digest(&p);
    let rotated = BTreeMap::from([
        ("acme_fr".to_string(), TokenFingerprint::of("token-new")),
        (hook_key, TokenFingerprint::of("vt-new")),
    ]);
    let now = stale::Current {
        prior: p.prior_state.clone(),
        config_digest: "sha256:config",
        fingerprints: &rotated,
    };
    assert_eq!(
        stale::stale_causes(&p, &now),
        [
            "stale plan: the token of credentials `acme_fr` changed since the plan was made",
            "stale plan: the verify token of webhook `acme_fr_inbound` changed since the plan was made",
        ]
    );
}

#[test]
fn saved_changes_are_compared_with_the_rederived_ones() {
    let d = desired(vec![channel("Marketing_FR", DesiredStatus::Active)]);
    let now = run(&d, &observed(), &BTreeMap::new());
    let same = now.clone();
    assert!(stale::differences(&same.resource_changes, &now.resource_changes).is_empty());
    // A fact no change relied on: the business's name. The re-derived changes are the same.
    let mut o2 = observed();
    if let Some(Ok(b)) = o2.businesses.get_mut(BUSINESS) {
        b.name = "Renamed".into();
    }
    let renamed = run(&d, &o2, &BTreeMap::new());
    assert!(stale::differences(&now.resource_changes, &renamed.resource_changes).is_empty());

    let mut edited = now.clone();
    let ch = edited
        .resource_changes
        .iter_mut()
        .find(|c| c.address == Address::channel("Marketing_FR"))
        .unwrap();
    ch.action = Action::Deactivate;
    let diffs = stale::differences(&edited.resource_changes, &now.resource_changes);
    assert_eq!(
        diffs,
        vec![
            "channel_configuration.Marketing_FR: the saved plan would deactivate it; re-derived now: create"
        ]
    );

    let mut edited = now.clone();
    let ch = edited
        .resource_changes
        .iter_mut()
        .find(|c| c.address == Address::channel("Marketing_FR"))
        .unwrap();
    ch.after
        .as_mut()
        .unwrap()
        .insert("description".into(), "edited".into());
    ch.checks.pop();
    let diffs = stale::differences(&edited.resource_changes, &now.resource_changes);
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0].starts_with("channel_configuration.Marketing_FR (create): the saved plan differs in after.description, checks ("),
        "{diffs:?}"
    );

    let mut edited = now.clone();
    edited
        .resource_changes
        .retain(|c| c.address != Address::credentials("acme_fr"));
    let diffs = stale::differences(&edited.resource_changes, &now.resource_changes);
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0].starts_with("credentials.acme_fr: now planned to "),
        "{diffs:?}"
    );

    let mut reordered = now.clone();
    reordered.resource_changes.reverse();
    if now.resource_changes.len() > 1 {
        assert_eq!(
            stale::differences(&reordered.resource_changes, &now.resource_changes),
            vec!["the saved plan lists the same changes in another order"]
        );
    }
}

#[test]
fn asked_deactivated_is_created_as_a_draft_and_then_left_alone() {
    let c = channel("Marketing_FR", DesiredStatus::Deactivated);
    let p = run(&desired(vec![c.clone()]), &observed(), &BTreeMap::new());
    assert_eq!(
        change(&p, "channel_configuration.Marketing_FR").action,
        Action::Create
    );
    let mut r = applied_world();
    r.insert(
        Address::channel("Marketing_FR"),
        RecordedResource::ChannelConfiguration(recorded_channel(
            "Marketing_FR",
            ChannelStatus::Draft,
        )),
    );
    // The draft it became is not refused by the next plan: nothing to do.
    let p = run(&desired(vec![c]), &observed(), &r);
    assert!(!p.refused, "{:?}", p.diagnostics);
    assert_eq!(
        change(&p, "channel_configuration.Marketing_FR").action,
        Action::NoOp
    );
}

#[test]
fn an_unreadable_portfolio_makes_the_checks_on_its_facts_unknown_not_failing() {
    // Meta answered the portfolio read with an error (an API failure): the checks that read
    // its facts cannot be known before apply; the one on the file alone still runs.
    let mut o = observed();
    o.businesses.insert(
        BUSINESS.into(),
        Err(crate::model::observed::ObservedError {
            code: Some(3),
            message: "Graph API error 3: Application does not have the capability".into(),
        }),
    );
    let mut c = channel("Marketing_FR", DesiredStatus::Active);
    c.marketing_actions = vec!["noSuchAction".into()];
    let p = run(&desired(vec![c]), &o, &BTreeMap::new());
    let checks = &change(&p, "channel_configuration.Marketing_FR").checks;
    let unknown: Vec<&str> = checks
        .iter()
        .filter(|c| c.expectation == Expectation::Unknown)
        .map(|c| c.id.as_str())
        .collect();
    assert!(unknown.contains(&"credentials_valid"), "{checks:#?}");
    assert!(unknown.contains(&"sender_in_waba"), "{checks:#?}");
    for check in checks
        .iter()
        .filter(|c| c.expectation == Expectation::Unknown)
    {
        assert!(
            check.message.starts_with(
                "could not be checked: business portfolio 1234567890123456 could not be read from Meta"
            ),
            "{check:?}"
        );
    }
    // Meta's error once, with the first.
    let with_error = checks
        .iter()
        .filter(|c| {
            c.message
                .contains("Application does not have the capability")
        })
        .count();
    assert_eq!(with_error, 1, "{checks:#?}");
    // A check on the file alone is not Meta's to answer: it still fails.
    let known = checks
        .iter()
        .find(|c| c.id == "marketing_actions_known")
        .unwrap();
    assert_eq!(known.expectation, Expectation::Fail, "{known:?}");
}

#[test]
fn a_number_meta_sent_unreadably_is_a_warning_naming_its_path_and_an_unknown_check() {
    let mut o = observed();
    if let Some(Ok(b)) = o.businesses.get_mut(BUSINESS) {
        b.wabas.get_mut(WABA).unwrap().phone_numbers.clear();
        b.problems.push(crate::model::observed::ObservedProblem {
            path: "owned_whatsapp_business_accounts[0].phone_numbers[2].id".into(),
            message: "invalid type: boolean, expected an ID (a string of digits)".into(),
            waba_id: Some(WABA.into()),
            number_id: None,
        });
    }
    let p = run(&desired(vec![]), &o, &BTreeMap::new());
    let w = p
        .diagnostics
        .iter()
        .find(|x| x.code == "wacfg::meta::unreadable_field")
        .expect("a warning for the unreadable field");
    assert!(!w.is_error());
    assert!(
        w.message
            .contains("owned_whatsapp_business_accounts[0].phone_numbers[2].id"),
        "{}",
        w.message
    );
    let check = change(&p, "credentials.acme_fr")
        .checks
        .iter()
        .find(|c| c.id == "number_in_waba")
        .unwrap();
    assert_eq!(check.expectation, Expectation::Unknown, "{}", check.message);
    assert!(
        check.message.starts_with("could not be checked"),
        "{}",
        check.message
    );
}

fn moved(from: Address, to: Address) -> Moved {
    Moved {
        from,
        to,
        source: SourceLocation::default(),
    }
}

#[test]
fn a_moved_unchanged_configuration_is_one_move_without_checks() {
    let mut d = desired(vec![channel("Marketing_France", DesiredStatus::Active)]);
    d.moved = vec![moved(
        Address::channel("Marketing_FR"),
        Address::channel("Marketing_France"),
    )];
    let p = run(&d, &observed(), &applied_world());
    assert_eq!(
        actions(&p),
        vec![
            ("credentials.acme_fr".into(), Action::NoOp),
            (
                "channel_configuration.Marketing_France".into(),
                Action::Move
            ),
        ],
        "no create, no deactivation of the old name"
    );
    let c = change(&p, "channel_configuration.Marketing_France");
    assert_eq!(c.moved_from, Some(Address::channel("Marketing_FR")));
    assert!(c.checks.is_empty());
    assert_eq!(p.summary.moved, 1);
    assert!(p.has_changes());
}

#[test]
fn a_moved_and_edited_configuration_is_the_edit_marked_moved() {
    let mut renamed = channel("Marketing_France", DesiredStatus::Active);
    renamed.sender_number = Some(NUMBER_2.into());
    let mut d = desired(vec![renamed]);
    d.moved = vec![moved(
        Address::channel("Marketing_FR"),
        Address::channel("Marketing_France"),
    )];
    let p = run(&d, &observed(), &applied_world());
    let c = change(&p, "channel_configuration.Marketing_France");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.moved_from, Some(Address::channel("Marketing_FR")));
    assert!(
        c.reason
            .starts_with("moved from channel_configuration.Marketing_FR; sender_number changed"),
        "{}",
        c.reason
    );
    assert!(!c.checks.is_empty(), "other fields changed: the checks run");
    assert_eq!(c.before.as_ref().unwrap()["version"], serde_json::json!(1));
}

#[test]
fn a_move_already_done_or_with_both_addresses_recorded() {
    let mut d = desired(vec![channel("Marketing_FR", DesiredStatus::Active)]);
    // Already applied: the source is gone from state, the entry does nothing.
    d.moved = vec![moved(
        Address::channel("Old"),
        Address::channel("Marketing_FR"),
    )];
    let p = run(&d, &observed(), &applied_world());
    assert!(!p.has_changes(), "{:?}", actions(&p));
    // Both recorded: an error naming the way out.
    let mut world = applied_world();
    world.insert(
        Address::channel("Old"),
        RecordedResource::ChannelConfiguration(recorded_channel("Old", ChannelStatus::Active)),
    );
    let p = run(&d, &observed(), &world);
    assert!(p.refused);
    let e = p
        .diagnostics
        .iter()
        .find(|e| e.code == "wacfg::moved::both_recorded")
        .expect("both recorded is an error");
    assert!(
        e.help
            .as_deref()
            .unwrap_or("")
            .contains("wacfg state rm channel_configuration.Old")
    );
}

#[test]
fn refresh_only_plans_only_refresh_changes_for_drift_a_kind_can_record() {
    let mut o = observed();
    if let Some(Ok(b)) = o.businesses.get_mut(BUSINESS) {
        let n = b
            .wabas
            .get_mut(WABA)
            .unwrap()
            .phone_numbers
            .get_mut("106540352242922")
            .unwrap();
        n.quality_rating = Some("YELLOW".into());
    }
    // A file edit that would otherwise be planned is left out of a refresh-only plan.
    let mut edited = channel("Marketing_FR", DesiredStatus::Active);
    edited.description = Some("Edited".into());
    let d = desired(vec![edited]);
    let fps = fingerprints();
    let p = plan(&PlanInput {
        desired: &d,
        observed: &o,
        prior: None,
        recorded: &applied_world(),
        fingerprints: &fps,
        targets: vec![],
        allow_destructive: false,
        options: PlanOptions {
            refresh_only: true,
            retry_failed: false,
        },
    });
    assert_eq!(
        actions(&p),
        vec![("credentials.acme_fr".into(), Action::Refresh)]
    );
    let c = &p.resource_changes[0];
    assert_eq!(c.before.as_ref().unwrap()["quality_rating"], "GREEN");
    assert_eq!(c.after.as_ref().unwrap()["quality_rating"], "YELLOW");
    assert_eq!(p.summary.refresh, 1);
    assert!(p.options.refresh_only, "kept for apply's re-derivation");
}

/// A whole plan over templates: the fixtures' credentials and WABA, `recorded` in state.
fn plan_templates(
    templates: Vec<DesiredTemplate>,
    recorded: Vec<RecordedTemplate>,
    allow_destructive: bool,
) -> Plan {
    let mut d = desired(vec![]);
    d.resources.message_templates = templates.into_iter().map(|t| (t.name.clone(), t)).collect();
    let r: BTreeMap<Address, RecordedResource> = recorded
        .into_iter()
        .map(|t| {
            (
                Address::message_template(&t.name),
                RecordedResource::MessageTemplate(t),
            )
        })
        .collect();
    run_with(&d, &observed(), &r, vec![], allow_destructive)
}

const OLD: &str = "Hi {{1}}, it ships.";
const NEW: &str = "Hello {{1}}, it ships today.";

fn has(p: &Plan, code: &str) -> bool {
    p.diagnostics.iter().any(|d| d.code == code)
}

#[test]
fn prevent_destroy_refuses_deleting_a_whole_template() {
    let mut r = recorded_template("order_update", &[("en_US", "APPROVED", OLD)]);
    r.prevent_destroy = true;
    let p = plan_templates(vec![], vec![r], true);
    let c = change(&p, "message_template.order_update");
    assert_eq!(c.action, Action::Delete);
    assert!(p.refused, "{:?}", p.diagnostics);
    assert!(has(&p, "wacfg::plan::prevent_destroy"));
}

/// Removing one language deletes that template at Meta (by its `hsm_id`, the name locked for
/// 30 days when APPROVED): the update is destructive, shown so, and `prevent_destroy` refuses
/// it whatever `--allow-destructive` says.
#[test]
fn removing_a_language_is_destructive_and_prevent_destroy_refuses_it() {
    let r = recorded_template(
        "order_update",
        &[("en_US", "APPROVED", OLD), ("fr_FR", "APPROVED", OLD)],
    );
    let mut d = template("order_update", &[("en_US", OLD)]);
    d.prevent_destroy = true;
    let p = plan_templates(vec![d.clone()], vec![r.clone()], true);
    let c = change(&p, "message_template.order_update");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.destroys, ["language fr_FR"]);
    assert!(c.is_destructive());
    assert!(p.refused);
    let refusal = p
        .diagnostics
        .iter()
        .find(|d| d.code == "wacfg::plan::prevent_destroy")
        .expect("prevent_destroy refuses the language's deletion");
    assert!(refusal.message.contains("delete its language fr_FR"));
    // Without prevent_destroy the same update is planned (and still destructive).
    d.prevent_destroy = false;
    let p = plan_templates(vec![d], vec![r], false);
    assert!(!p.refused, "{:?}", p.diagnostics);
    assert!(change(&p, "message_template.order_update").is_destructive());
    // An update that deletes no language is not destructive.
    let r = recorded_template("order_update", &[("en_US", "APPROVED", OLD)]);
    let d = template("order_update", &[("en_US", NEW)]);
    let p = plan_templates(vec![d], vec![r], false);
    assert!(
        change(&p, "message_template.order_update")
            .destroys
            .is_empty()
    );
    assert!(!change(&p, "message_template.order_update").is_destructive());
}

/// Language removals count for the safety threshold like deletions: 4 of 10 managed
/// templates losing a language is 40% > 30%.
#[test]
fn language_removals_count_for_the_safety_threshold() {
    let names: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let recorded: Vec<RecordedTemplate> = names
        .iter()
        .map(|n| recorded_template(n, &[("en_US", "APPROVED", OLD), ("fr_FR", "APPROVED", OLD)]))
        .collect();
    let desired: Vec<DesiredTemplate> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if i < 4 {
                template(n, &[("en_US", OLD)])
            } else {
                template(n, &[("en_US", OLD), ("fr_FR", OLD)])
            }
        })
        .collect();
    let p = plan_templates(desired.clone(), recorded.clone(), false);
    assert!(p.refused);
    assert!(
        has(&p, "wacfg::plan::too_destructive"),
        "{:?}",
        p.diagnostics
    );
    let p = plan_templates(desired, recorded, true);
    assert!(!p.refused, "{:?}", p.diagnostics);
    assert!(has(&p, "wacfg::plan::destructive_allowed"));
}
