//! Hand-built Desired / Observed / Recorded worlds for the planner's tests (and the apply
//! engine's). Test-only.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::kinds::message_template::{DesiredTemplate, RecordedTemplate};
use crate::kinds::*;
use crate::model::observed::{ObservedError, WabaOwnership};
use crate::model::*;

pub const NOW: i64 = 1_790_000_000;
pub const TOKEN: &str = "test-token-acme";
pub const BUSINESS: &str = "1234567890123456";
pub const WABA: &str = "102290129340398";
pub const NUMBER_1: &str = "15550100001";
pub const NUMBER_2: &str = "15550100002";

pub fn number(id: &str, digits: &str) -> ObservedNumber {
    ObservedNumber {
        id: id.into(),
        display_phone_number: format!("+{digits}"),
        digits: digits.into(),
        verified_name: "Acme".into(),
        status: Some("CONNECTED".into()),
        name_status: Some("APPROVED".into()),
        quality_rating: Some("GREEN".into()),
        throughput_level: Some("STANDARD".into()),
        messaging_limit: Some("TIER_1K".into()),
        code_verification_status: Some("VERIFIED".into()),
        platform_type: Some("CLOUD_API".into()),
        webhook_configuration: None,
    }
}

pub fn observed() -> Observed {
    let mut numbers = BTreeMap::new();
    numbers.insert(
        "106540352242922".to_string(),
        number("106540352242922", NUMBER_1),
    );
    numbers.insert(
        "106540352242923".to_string(),
        number("106540352242923", NUMBER_2),
    );
    let waba = ObservedWaba {
        id: WABA.into(),
        name: "Acme FR".into(),
        ownership: WabaOwnership::Owned,
        account_review_status: Some("APPROVED".into()),
        phone_numbers: numbers,
        // An app is subscribed (set outside wacfg), so `webhook_registered` passes.
        subscribed_apps: Some(vec![ObservedSubscription {
            app_id: "1000000000000001".into(),
            app_name: Some("wacfg-sim".into()),
            override_callback_uri: None,
        }]),
    };
    let business = ObservedBusiness {
        id: BUSINESS.into(),
        name: "Acme".into(),
        wabas: BTreeMap::from([(WABA.to_string(), waba)]),
        problems: Vec::new(),
    };
    let fp = TokenFingerprint::of(TOKEN);
    let token = ObservedToken {
        fingerprint: fp.clone(),
        valid: true,
        expires_at: None,
        scopes: vec![
            "whatsapp_business_management".into(),
            "whatsapp_business_messaging".into(),
            "business_management".into(),
        ],
        business_ids: vec![BUSINESS.into()],
        error: None,
    };
    Observed {
        tokens: BTreeMap::from([(fp, Ok::<_, ObservedError>(token))]),
        businesses: BTreeMap::from([(BUSINESS.to_string(), Ok(business))]),
        read_at: NOW,
        templates: BTreeMap::new(),
    }
}

pub fn credentials(name: &str) -> DesiredCredentials {
    DesiredCredentials {
        name: name.into(),
        token: SecretRef::Env("WHATSAPP_TOKEN".into()),
        business_id: BUSINESS.into(),
        waba_id: WABA.into(),
        phone_number: NUMBER_1.into(),
        source: Default::default(),
    }
}

pub fn channel(name: &str, status: DesiredStatus) -> DesiredChannel {
    DesiredChannel {
        name: name.into(),
        description: Some("Promotions".into()),
        marketing_actions: vec!["emailTargeting".into()],
        credentials: Some("acme_fr".into()),
        sender_number: Some(NUMBER_1.into()),
        execution_field: None,
        templates: Vec::new(),
        status,
        prevent_destroy: false,
        source: Default::default(),
    }
}

pub fn desired(channels: Vec<DesiredChannel>) -> Desired {
    Desired {
        meta: MetaSettings::default(),
        state: StateSettings::Local {
            path: PathBuf::from("wacfg.state.json"),
        },
        safety: Safety::default(),
        marketing_actions: vec![],
        moved: vec![],
        resources: DesiredResources {
            credentials: BTreeMap::from([("acme_fr".to_string(), credentials("acme_fr"))]),
            channel_configurations: channels.into_iter().map(|c| (c.name.clone(), c)).collect(),
            ..DesiredResources::default()
        },
        config_digest: "sha256:config".into(),
        environment: None,
    }
}

pub fn fingerprints() -> BTreeMap<String, TokenFingerprint> {
    BTreeMap::from([("acme_fr".to_string(), TokenFingerprint::of(TOKEN))])
}

pub fn recorded_channel(name: &str, status: ChannelStatus) -> RecordedChannel {
    let d = channel(name, DesiredStatus::Active);
    RecordedChannel {
        name: name.into(),
        status,
        version: 1,
        spec: crate::kinds::channel_configuration::attrs::desired_spec(&d),
        phone_number_id: Some("106540352242922".into()),
        checks: vec![],
        failure_reasons: vec![],
        failed_update: None,
        prevent_destroy: false,
        failure_digest: None,
    }
}

/// The credentials record a successful apply of `credentials(name)` leaves.
pub fn recorded_credentials(name: &str) -> RecordedCredentials {
    crate::kinds::credentials::verify_credentials(
        &credentials(name),
        &TokenFingerprint::of(TOKEN),
        &observed(),
    )
    .expect("fixture credentials verify")
}

pub fn recorded(resources: Vec<RecordedResource>) -> BTreeMap<Address, RecordedResource> {
    resources.into_iter().map(|r| (r.address(), r)).collect()
}

/// A UTILITY template of `acme_fr` with one body text per language.
pub fn template(name: &str, languages: &[(&str, &str)]) -> DesiredTemplate {
    use crate::kinds::message_template::model::*;
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
            .map(|(code, text)| (code.to_string(), template_language(text)))
            .collect(),
        source: Default::default(),
    }
}

fn template_language(text: &str) -> crate::kinds::message_template::model::Language {
    use crate::kinds::message_template::model::*;
    Language {
        body: Body {
            text: Some(text.into()),
            example: Examples::List(vec!["Ana".into()]),
            add_security_recommendation: false,
        },
        ..Language::default()
    }
}

/// The record of `template(name, …)` once applied, each language with its status.
pub fn recorded_template(name: &str, languages: &[(&str, &str, &str)]) -> RecordedTemplate {
    use crate::kinds::message_template::components::components;
    use crate::kinds::message_template::model::*;
    RecordedTemplate {
        name: name.into(),
        credentials: "acme_fr".into(),
        waba_id: WABA.into(),
        category: Category::Utility,
        parameter_format: ParameterFormat::Positional,
        allow_category_change: false,
        prevent_destroy: false,
        message_send_ttl_seconds: None,
        languages: languages
            .iter()
            .enumerate()
            .map(|(i, (code, status, text))| {
                let lang = RecordedLanguage {
                    id: format!("900{i}"),
                    status: status.to_string(),
                    components: components(&template_language(text), ParameterFormat::Positional),
                    rejected_reason: None,
                    quality_score: None,
                    edits: Vec::new(),
                    created_at: None,
                };
                (code.to_string(), lang)
            })
            .collect(),
    }
}
