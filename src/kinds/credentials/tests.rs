//! Credentials verification as a data table: which of Meta's facts stops it at which step.

use std::collections::BTreeMap;

use super::model::DesiredCredentials;
use super::verify::{VerifyStep, verify_credentials};
use crate::model::observed::{ObservedError, WabaOwnership};
use crate::model::{
    Observed, ObservedBusiness, ObservedNumber, ObservedToken, ObservedWaba, SecretRef,
    SourceLocation, TokenFingerprint,
};

const NOW: i64 = 1_790_000_000;

fn creds() -> DesiredCredentials {
    DesiredCredentials {
        name: "acme_fr".into(),
        token: SecretRef::Env("WHATSAPP_TOKEN".into()),
        business_id: "1".into(),
        waba_id: "11".into(),
        phone_number: "15550100001".into(),
        source: SourceLocation::default(),
    }
}

fn world() -> Observed {
    let number = ObservedNumber {
        id: "111".into(),
        display_phone_number: "+1 555-010-0001".into(),
        digits: "15550100001".into(),
        verified_name: "Acme".into(),
        status: Some("CONNECTED".into()),
        name_status: Some("APPROVED".into()),
        quality_rating: Some("GREEN".into()),
        throughput_level: None,
        messaging_limit: None,
        code_verification_status: None,
        platform_type: None,
        webhook_configuration: None,
    };
    let waba = ObservedWaba {
        id: "11".into(),
        name: "Acme".into(),
        ownership: WabaOwnership::Client,
        account_review_status: Some("APPROVED".into()),
        phone_numbers: BTreeMap::from([("111".to_string(), number)]),
        subscribed_apps: None,
    };
    let business = ObservedBusiness {
        id: "1".into(),
        name: "Acme".into(),
        wabas: BTreeMap::from([("11".to_string(), waba)]),
        problems: Vec::new(),
    };
    let token = ObservedToken {
        fingerprint: TokenFingerprint::of("t"),
        valid: true,
        expires_at: None,
        scopes: vec![
            "whatsapp_business_management".into(),
            "whatsapp_business_messaging".into(),
        ],
        business_ids: vec![],
        error: None,
    };
    Observed {
        tokens: BTreeMap::from([(TokenFingerprint::of("t"), Ok(token))]),
        businesses: BTreeMap::from([("1".to_string(), Ok(business))]),
        read_at: NOW,
        templates: BTreeMap::new(),
    }
}

type Edit = fn(&mut Observed, &mut DesiredCredentials);

fn token(o: &mut Observed) -> &mut ObservedToken {
    o.tokens.values_mut().next().unwrap().as_mut().unwrap()
}

#[test]
fn each_fact_stops_verification_at_its_step() {
    let rows: [(&str, Edit, Option<VerifyStep>); 8] = [
        ("all good", |_, _| {}, None),
        (
            "token invalid",
            |o, _| token(o).valid = false,
            Some(VerifyStep::Token),
        ),
        (
            "token expired",
            |o, _| token(o).expires_at = Some(NOW),
            Some(VerifyStep::Token),
        ),
        (
            "scope missing",
            |o, _| {
                token(o).scopes.pop();
            },
            Some(VerifyStep::Token),
        ),
        (
            "token unreadable",
            |o, _| {
                *o.tokens.values_mut().next().unwrap() = Err(ObservedError {
                    code: Some(190),
                    message: "x".into(),
                });
            },
            Some(VerifyStep::Token),
        ),
        (
            "WABA of another portfolio",
            |_, c| c.waba_id = "99".into(),
            Some(VerifyStep::WabaInBusiness),
        ),
        (
            "portfolio unreadable",
            |o, _| {
                o.businesses.insert(
                    "1".into(),
                    Err(ObservedError {
                        code: Some(200),
                        message: "x".into(),
                    }),
                );
            },
            Some(VerifyStep::WabaInBusiness),
        ),
        (
            "number of another WABA",
            |_, c| c.phone_number = "15550100009".into(),
            Some(VerifyStep::NumberInWaba),
        ),
    ];
    for (what, edit, want) in rows {
        let (mut o, mut c) = (world(), creds());
        edit(&mut o, &mut c);
        let got = verify_credentials(&c, &TokenFingerprint::of("t"), &o);
        match (got, want) {
            (Ok(r), None) => {
                assert_eq!(r.phone_number_id, "111", "{what}");
                assert_eq!(r.token_fingerprint, TokenFingerprint::of("t"), "{what}");
            }
            (Err((step, _)), Some(want)) => assert_eq!(step, want, "{what}"),
            (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn a_number_or_waba_that_could_not_be_decoded_makes_the_check_unknown_not_failed() {
    use super::verify::cannot_check;
    use crate::model::observed::ObservedProblem;
    fn business(o: &mut Observed) -> &mut ObservedBusiness {
        o.businesses.values_mut().next().unwrap().as_mut().unwrap()
    }
    // The number's row could not be read: the number check cannot be made.
    let mut o = world();
    let b = business(&mut o);
    b.wabas.get_mut("11").unwrap().phone_numbers.clear();
    b.problems.push(ObservedProblem {
        path: "client_whatsapp_business_accounts[0].phone_numbers[2].id".into(),
        message: "invalid type: boolean, expected an ID".into(),
        waba_id: Some("11".into()),
        number_id: None,
    });
    let (step, why) = verify_credentials(&creds(), &TokenFingerprint::of("t"), &o).unwrap_err();
    assert_eq!(step, VerifyStep::NumberInWaba);
    assert!(cannot_check(&why), "{why}");
    assert!(why.contains("phone_numbers[2].id"), "{why}");
    // A field of a kept number is no reason to doubt a number that is simply absent.
    let mut o = world();
    business(&mut o).problems.push(ObservedProblem {
        path: "client_whatsapp_business_accounts[0].phone_numbers[0].quality_rating".into(),
        message: "invalid type".into(),
        waba_id: Some("11".into()),
        number_id: Some("111".into()),
    });
    let mut c = creds();
    c.phone_number = "15550100009".into();
    let (_, why) = verify_credentials(&c, &TokenFingerprint::of("t"), &o).unwrap_err();
    assert!(!cannot_check(&why), "{why}");
    // A WABA row that could not be read: the WABA check cannot be made.
    let mut o = world();
    let b = business(&mut o);
    b.wabas.clear();
    b.problems.push(ObservedProblem {
        path: "client_whatsapp_business_accounts[0]".into(),
        message: "invalid type: array, expected an object".into(),
        waba_id: None,
        number_id: None,
    });
    let (step, why) = verify_credentials(&creds(), &TokenFingerprint::of("t"), &o).unwrap_err();
    assert_eq!(step, VerifyStep::WabaInBusiness);
    assert!(cannot_check(&why), "{why}");
}
