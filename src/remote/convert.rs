//! Wire types into the `model::Observed` types. Pure: no requests here; paging has already
//! been followed by the time these run.

use std::collections::BTreeMap;

use crate::model::observed::{
    ObservedError, ObservedProblem, ObservedSubscription, ObservedWebhookConfig, WabaOwnership,
};
use crate::model::{ObservedBusiness, ObservedNumber, ObservedToken, ObservedWaba};

use super::error::RemoteError;
use super::token::Token;
use super::wire::{
    DebugTokenData, WireNumber, WireProblem, WireSubscribedApp, WireWaba, WireWebhookConfig, digits,
};

/// The granular scope whose targets are business portfolios.
const BUSINESS_SCOPE: &str = "business_management";

pub fn token(token: &Token, data: DebugTokenData) -> ObservedToken {
    let mut business_ids: Vec<String> = data
        .granular_scopes
        .iter()
        .filter(|g| g.scope == BUSINESS_SCOPE)
        .flat_map(|g| g.target_ids.iter().flatten().cloned())
        .collect();
    business_ids.sort();
    business_ids.dedup();
    let mut scopes = data.scopes;
    scopes.sort();
    scopes.dedup();
    let error = data.error.as_ref().and_then(|e| {
        let message = e.message.as_deref()?.trim();
        let text = match e.error_subcode.or(e.code) {
            Some(code) => format!("{message} (code {code})"),
            None => message.to_string(),
        };
        Some(super::redact::scrub(&text, token.expose()))
    });
    ObservedToken {
        fingerprint: token.fingerprint(),
        valid: data.is_valid,
        expires_at: data.expires_at.filter(|t| *t > 0),
        scopes,
        business_ids,
        error: error.filter(|_| !data.is_valid),
    }
}

pub fn number(n: WireNumber) -> ObservedNumber {
    let display = n.display_phone_number.unwrap_or_default();
    ObservedNumber {
        digits: digits(&display),
        display_phone_number: display,
        id: n.id,
        verified_name: n.verified_name.unwrap_or_default(),
        status: n.status,
        name_status: n.name_status,
        quality_rating: n.quality_rating,
        throughput_level: n.throughput.and_then(|t| t.level),
        // `messaging_limit_tier` is deprecated: Meta now sets the limit per business portfolio
        // and reports it as `whatsapp_business_manager_messaging_limit`.
        messaging_limit: n
            .whatsapp_business_manager_messaging_limit
            .or(n.messaging_limit_tier),
        code_verification_status: n.code_verification_status,
        platform_type: n.platform_type,
        webhook_configuration: n.webhook_configuration.map(webhook_config),
    }
}

pub fn webhook_config(w: WireWebhookConfig) -> ObservedWebhookConfig {
    let set = |v: Option<String>| v.filter(|s| !s.is_empty());
    ObservedWebhookConfig {
        application: set(w.application),
        whatsapp_business_account: set(w.whatsapp_business_account),
        phone_number: set(w.phone_number),
    }
}

/// One `subscribed_apps` row; an empty override counts as none. A row without app data keeps
/// an empty `app_id` rather than being dropped.
pub fn subscription(row: WireSubscribedApp) -> ObservedSubscription {
    let app = row.whatsapp_business_api_data.unwrap_or_default();
    ObservedSubscription {
        app_id: app.id,
        app_name: app.name,
        override_callback_uri: row.override_callback_uri.filter(|u| !u.is_empty()),
    }
}

/// A WABA whose numbers (all pages) are given separately; its `subscribed_apps` are the rows
/// of the embedded page (`None` when the edge was not reported).
pub fn waba(w: WireWaba, ownership: WabaOwnership, numbers: Vec<WireNumber>) -> ObservedWaba {
    let phone_numbers: BTreeMap<String, ObservedNumber> = numbers
        .into_iter()
        .map(number)
        .map(|n| (n.id.clone(), n))
        .collect();
    ObservedWaba {
        id: w.id,
        name: w.name.unwrap_or_default(),
        ownership,
        account_review_status: w.account_review_status,
        phone_numbers,
        subscribed_apps: w
            .subscribed_apps
            .map(|page| page.data.into_iter().map(subscription).collect()),
    }
}

/// A business from its WABAs; an ID listed as both owned and client counts as owned.
pub fn business(id: String, name: Option<String>, wabas: Vec<ObservedWaba>) -> ObservedBusiness {
    let mut map: BTreeMap<String, ObservedWaba> = BTreeMap::new();
    for w in wabas {
        match map.get(&w.id) {
            Some(existing) if existing.ownership == WabaOwnership::Owned => {}
            _ => {
                map.insert(w.id.clone(), w);
            }
        }
    }
    ObservedBusiness {
        id,
        name: name.unwrap_or_default(),
        wabas: map,
        problems: Vec::new(),
    }
}

/// A field that could not be decoded, tied to the WABA (and number) it is inside when known.
pub fn problem(p: WireProblem, waba_id: Option<&str>, number_id: Option<&str>) -> ObservedProblem {
    ObservedProblem {
        path: p.path,
        message: p.message,
        waba_id: waba_id.map(str::to_string),
        number_id: number_id.map(str::to_string),
    }
}

/// A failed read as the planner keeps it: the code and the (already scrubbed) message with its
/// hint.
pub fn error(err: &RemoteError) -> ObservedError {
    ObservedError {
        code: err.code(),
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::wire::{GranularScope, Throughput};

    #[test]
    fn debug_token_becomes_an_observed_token() {
        let data = DebugTokenData {
            is_valid: true,
            expires_at: Some(0),
            scopes: vec!["b".into(), "a".into()],
            granular_scopes: vec![
                GranularScope {
                    scope: "business_management".into(),
                    target_ids: Some(vec!["2".into(), "1".into()]),
                },
                GranularScope {
                    scope: "whatsapp_business_management".into(),
                    target_ids: Some(vec!["99".into()]),
                },
            ],
            error: None,
        };
        let t = token(&Token::new("test-token-acme"), data);
        assert!(t.valid);
        assert_eq!(t.expires_at, None);
        assert_eq!(t.scopes, ["a", "b"]);
        assert_eq!(t.business_ids, ["1", "2"]);
    }

    #[test]
    fn an_invalid_tokens_own_error_is_kept_scrubbed() {
        let secret = Token::new("test-token-gone");
        let data: DebugTokenData = serde_json::from_str(
            r#"{"is_valid":false,"scopes":[],"error":{"code":190,"subcode":460,"error_subcode":460,"message":"The session was invalidated for test-token-gone because the user changed their password."}}"#,
        )
        .unwrap();
        let t = token(&secret, data);
        let why = t.error.as_deref().unwrap();
        assert!(why.contains("changed their password"), "{why}");
        assert!(why.contains("(code 460)"), "{why}");
        assert!(!why.contains("test-token-gone"), "{why}");
    }

    #[test]
    fn numbers_keep_raw_values_and_get_digits() {
        let n = number(WireNumber {
            id: "7".into(),
            display_phone_number: Some("+33 6 12 34 56 78".into()),
            quality_rating: Some("MAUVE".into()),
            throughput: Some(Throughput {
                level: Some("HIGH".into()),
            }),
            whatsapp_business_manager_messaging_limit: Some("TIER_2K".into()),
            messaging_limit_tier: Some("TIER_1K".into()),
            ..Default::default()
        });
        assert_eq!(n.digits, "33612345678");
        assert_eq!(n.quality_rating.as_deref(), Some("MAUVE"));
        assert_eq!(n.throughput_level.as_deref(), Some("HIGH"));
        assert_eq!(
            n.messaging_limit.as_deref(),
            Some("TIER_2K"),
            "the current field wins"
        );
        let old = number(WireNumber {
            id: "8".into(),
            messaging_limit_tier: Some("TIER_1K".into()),
            ..Default::default()
        });
        assert_eq!(
            old.messaging_limit.as_deref(),
            Some("TIER_1K"),
            "the deprecated one alone"
        );
    }

    #[test]
    fn subscriptions_and_webhook_levels_are_kept_and_absence_is_none() {
        let wire: WireWaba = serde_json::from_str(
            r#"{"id":"5","subscribed_apps":{"data":[
                {"whatsapp_business_api_data":{"id":"77","link":"https://x","name":"Acme app"}},
                {"whatsapp_business_api_data":{"id":"78"},"override_callback_uri":"https://cb/wa"}]}}"#,
        )
        .unwrap();
        let w = waba(wire, WabaOwnership::Owned, vec![]);
        let subs = w.subscribed_apps.unwrap();
        assert_eq!(subs[0].app_id, "77");
        assert_eq!(subs[0].app_name.as_deref(), Some("Acme app"));
        assert_eq!(subs[0].override_callback_uri, None);
        assert_eq!(
            subs[1].override_callback_uri.as_deref(),
            Some("https://cb/wa")
        );
        let bare = waba(WireWaba::default(), WabaOwnership::Owned, vec![]);
        assert_eq!(bare.subscribed_apps, None);
        let n: WireNumber = serde_json::from_str(
            r#"{"id":"7","webhook_configuration":{"application":"https://app/wh","phone_number":""}}"#,
        )
        .unwrap();
        let hooks = number(n).webhook_configuration.unwrap();
        assert_eq!(hooks.application.as_deref(), Some("https://app/wh"));
        assert_eq!(hooks.phone_number, None);
        assert_eq!(number(WireNumber::default()).webhook_configuration, None);
    }

    #[test]
    fn data_saved_before_the_webhook_fields_still_loads_and_saves_the_same() {
        let old = r#"{"id":"5","name":"W","ownership":"owned","account_review_status":null,"phone_numbers":{"7":{"id":"7","display_phone_number":"+1","digits":"1","verified_name":"A","status":null,"name_status":null,"quality_rating":null,"throughput_level":null,"messaging_limit":null,"code_verification_status":null,"platform_type":null}}}"#;
        let w: ObservedWaba = serde_json::from_str(old).unwrap();
        assert_eq!(w.subscribed_apps, None);
        assert_eq!(w.phone_numbers["7"].webhook_configuration, None);
        assert_eq!(serde_json::to_string(&w).unwrap(), old);
    }

    #[test]
    fn owned_wins_over_client_for_the_same_waba() {
        let w = |own| {
            waba(
                WireWaba {
                    id: "5".into(),
                    ..Default::default()
                },
                own,
                vec![],
            )
        };
        let b = business(
            "1".into(),
            None,
            vec![w(WabaOwnership::Owned), w(WabaOwnership::Client)],
        );
        assert_eq!(b.wabas["5"].ownership, WabaOwnership::Owned);
        let b = business(
            "1".into(),
            None,
            vec![w(WabaOwnership::Client), w(WabaOwnership::Owned)],
        );
        assert_eq!(b.wabas["5"].ownership, WabaOwnership::Owned);
    }
}
