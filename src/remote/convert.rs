//! Wire types into the `model::Observed` types. Pure: no requests here; paging has already
//! been followed by the time these run.

use std::collections::BTreeMap;

use crate::model::observed::{ObservedError, WabaOwnership};
use crate::model::{ObservedBusiness, ObservedNumber, ObservedToken, ObservedWaba};

use super::error::RemoteError;
use super::token::Token;
use super::wire::{DebugTokenData, WireNumber, WireWaba, digits};

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
    ObservedToken {
        fingerprint: token.fingerprint(),
        valid: data.is_valid,
        expires_at: data.expires_at.filter(|t| *t > 0),
        scopes,
        business_ids,
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
        messaging_limit: n
            .messaging_limit_tier
            .or(n.whatsapp_business_manager_messaging_limit),
        code_verification_status: n.code_verification_status,
        platform_type: n.platform_type,
    }
}

/// A WABA whose numbers (all pages) are given separately.
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
    fn numbers_keep_raw_values_and_get_digits() {
        let n = number(WireNumber {
            id: "7".into(),
            display_phone_number: Some("+33 6 12 34 56 78".into()),
            quality_rating: Some("MAUVE".into()),
            throughput: Some(Throughput {
                level: Some("HIGH".into()),
            }),
            whatsapp_business_manager_messaging_limit: Some("TIER_2K".into()),
            ..Default::default()
        });
        assert_eq!(n.digits, "33612345678");
        assert_eq!(n.quality_rating.as_deref(), Some("MAUVE"));
        assert_eq!(n.throughput_level.as_deref(), Some("HIGH"));
        assert_eq!(n.messaging_limit.as_deref(), Some("TIER_2K"));
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
