//! The webhook lifecycle and rules as data: which writes take Meta from a recorded webhook to
//! the desired one, in which order and with whose token; what the callback rule accepts.

use std::collections::BTreeMap;

use super::lifecycle::{needs_write, removal, writes};
use super::model::{KeywordCategory, RecordedWebhook, WebhookScope};
use super::rules::callback_problem;
use crate::kinds::ports::{FormValue, Repeat};
use crate::model::TokenFingerprint;

const KEY: &str = "webhook:inbound";

fn webhook(scope: WebhookScope) -> RecordedWebhook {
    RecordedWebhook {
        name: "inbound".into(),
        credentials: "acme_fr".into(),
        waba_id: "111".into(),
        phone_number_id: (scope == WebhookScope::PhoneNumber).then(|| "555".into()),
        scope,
        callback_url: "https://hooks.example.com/a".into(),
        verify_token_fingerprint: TokenFingerprint::of("test-verify-token-1"),
        keywords: BTreeMap::new(),
        prevent_destroy: false,
    }
}

/// `METHOD path [form field names]` with the credentials that send it.
fn describe(plan: &[(String, crate::kinds::GraphRequest)]) -> Vec<String> {
    plan.iter()
        .map(|(creds, r)| {
            assert_eq!(r.repeat, Repeat::Safe, "webhook writes are safe to repeat");
            let fields: Vec<String> = r
                .form
                .iter()
                .map(|(k, v)| match v {
                    FormValue::Plain(v) => format!("{k}={v}"),
                    FormValue::Secret(key) => format!("{k}=<{key}>"),
                    FormValue::Json(members) => format!("{k}={members:?}"),
                })
                .collect();
            format!("{creds}: {} {} {}", r.method, r.path, fields.join(" "))
                .trim_end()
                .to_string()
        })
        .collect()
}

#[test]
fn a_new_waba_webhook_subscribes_with_the_override_and_the_verify_token_by_key() {
    let w = webhook(WebhookScope::Waba);
    assert_eq!(
        describe(&writes(None, &w, KEY)),
        vec![
            "acme_fr: POST 111/subscribed_apps override_callback_uri=https://hooks.example.com/a verify_token=<webhook:inbound>"
        ]
    );
}

#[test]
fn a_number_webhook_subscribes_the_waba_first_then_sets_the_number_override() {
    let w = webhook(WebhookScope::PhoneNumber);
    let plan = describe(&writes(None, &w, KEY));
    assert_eq!(plan.len(), 2);
    assert_eq!(plan[0], "acme_fr: POST 111/subscribed_apps");
    assert!(
        plan[1].starts_with("acme_fr: POST 555 webhook_configuration="),
        "{plan:?}"
    );
    assert!(plan[1].contains("Secret(\"webhook:inbound\")"), "{plan:?}");
}

#[test]
fn a_rotated_verify_token_or_a_new_callback_is_sent_again_but_keywords_are_not() {
    let before = webhook(WebhookScope::Waba);
    let mut rotated = before.clone();
    rotated.verify_token_fingerprint = TokenFingerprint::of("test-verify-token-2");
    assert_eq!(writes(Some(&before), &rotated, KEY).len(), 1);
    let mut moved = before.clone();
    moved.callback_url = "https://hooks.example.com/b".into();
    assert_eq!(writes(Some(&before), &moved, KEY).len(), 1);
    let mut words = before.clone();
    words.keywords.insert(
        "opt_out".into(),
        KeywordCategory {
            keywords: vec!["STOP".into()],
            reply: Some("Bye".into()),
        },
    );
    words.prevent_destroy = true;
    assert!(!needs_write(Some(&before), &words));
    assert!(writes(Some(&before), &words, KEY).is_empty());
}

#[test]
fn every_field_meta_holds_needs_a_write_and_no_other_does() {
    type Edit = fn(&mut RecordedWebhook);
    let table: &[(&str, Edit, bool)] = &[
        ("credentials", |w| w.credentials = "acme_de".into(), true),
        ("waba", |w| w.waba_id = "999".into(), true),
        ("scope", |w| w.scope = WebhookScope::PhoneNumber, true),
        ("number", |w| w.phone_number_id = Some("555".into()), true),
        (
            "callback",
            |w| w.callback_url = "https://hooks.example.com/b".into(),
            true,
        ),
        (
            "verify token",
            |w| w.verify_token_fingerprint = TokenFingerprint::of("test-verify-token-2"),
            true,
        ),
        ("prevent_destroy", |w| w.prevent_destroy = true, false),
        (
            "keywords",
            |w| {
                w.keywords.insert("help".into(), KeywordCategory::default());
                w.keywords.get_mut("help").unwrap().reply = Some("Hi".into());
            },
            false,
        ),
    ];
    let before = webhook(WebhookScope::Waba);
    for (what, edit, written) in table {
        let mut after = before.clone();
        edit(&mut after);
        assert_eq!(needs_write(Some(&before), &after), *written, "{what}");
    }
    assert!(needs_write(None, &before), "a new webhook is written");
    assert!(!needs_write(Some(&before), &before));
}

#[test]
fn moving_to_another_waba_clears_the_old_number_override_and_unsubscribes_the_old_waba_first() {
    let before = webhook(WebhookScope::PhoneNumber);
    let mut after = webhook(WebhookScope::Waba);
    after.credentials = "acme_de".into();
    after.waba_id = "222".into();
    let plan = describe(&writes(Some(&before), &after, KEY));
    assert_eq!(plan.len(), 3, "{plan:?}");
    assert!(
        plan[0].starts_with("acme_fr: POST 555 webhook_configuration="),
        "{plan:?}"
    );
    assert!(
        plan[0].contains("override_callback_uri\", Plain(\"\")"),
        "{plan:?}"
    );
    assert_eq!(plan[1], "acme_fr: DELETE 111/subscribed_apps");
    assert!(plan[2].starts_with("acme_de: POST 222/subscribed_apps override_callback_uri="));
}

#[test]
fn removal_clears_a_number_override_then_unsubscribes() {
    assert_eq!(
        describe(&removal(&webhook(WebhookScope::Waba))),
        vec!["acme_fr: DELETE 111/subscribed_apps"]
    );
    let plan = describe(&removal(&webhook(WebhookScope::PhoneNumber)));
    assert_eq!(plan.len(), 2);
    assert_eq!(plan[1], "acme_fr: DELETE 111/subscribed_apps");
}

#[test]
fn callbacks_are_https_with_plain_http_only_for_loopback_hosts() {
    assert_eq!(callback_problem("https://hooks.example.com/x"), Ok(None));
    assert!(matches!(
        callback_problem("http://127.0.0.1:8080/x"),
        Ok(Some(_))
    ));
    assert!(matches!(
        callback_problem("http://localhost/x"),
        Ok(Some(_))
    ));
    assert!(callback_problem("http://hooks.example.com/x").is_err());
    assert!(callback_problem("ftp://hooks.example.com/x").is_err());
    assert!(callback_problem("not a url").is_err());
}
