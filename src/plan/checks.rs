//! The checks, as pure functions of the facts: credentials verification (token, WABA in the
//! portfolio, number in the WABA) and the channel configuration checks. The planner uses them
//! to say what will happen; apply runs them again on fresh facts to decide what happens.

use crate::model::{
    ChannelSpec, CheckResult, CheckStatus, DesiredCredentials, Observed, ObservedNumber,
    ObservedWaba, RecordedCredentials, TokenFingerprint,
};

/// Scopes a credentials token must carry.
pub const REQUIRED_SCOPES: &[&str] = &[
    "whatsapp_business_management",
    "whatsapp_business_messaging",
];

/// A token expiring within this many seconds is a warning in every plan.
pub const EXPIRY_WARNING_SECS: i64 = 14 * 24 * 3600;

/// Stable check ids, in the order they run.
pub const CHECK_IDS: &[&str] = &[
    "credentials_valid",
    "sender_in_waba",
    "sender_connected",
    "display_name_approved",
    "waba_approved",
    "marketing_actions_known",
    "quality_rating",
];

fn pass(id: &str, message: String) -> CheckResult {
    CheckResult {
        id: id.to_string(),
        status: CheckStatus::Passed,
        message,
    }
}

fn fail(id: &str, message: String) -> CheckResult {
    CheckResult {
        id: id.to_string(),
        status: CheckStatus::Failed,
        message,
    }
}

/// The steps of credentials verification, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyStep {
    Token,
    WabaInBusiness,
    NumberInWaba,
}

impl VerifyStep {
    pub const ALL: [VerifyStep; 3] = [
        VerifyStep::Token,
        VerifyStep::WabaInBusiness,
        VerifyStep::NumberInWaba,
    ];

    pub fn id(self) -> &'static str {
        match self {
            VerifyStep::Token => "token_valid",
            VerifyStep::WabaInBusiness => "waba_in_business",
            VerifyStep::NumberInWaba => "number_in_waba",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            VerifyStep::Token => {
                "the token is valid, not expired, and carries the WhatsApp permissions"
            }
            VerifyStep::WabaInBusiness => "the WABA belongs to the business portfolio",
            VerifyStep::NumberInWaba => "the phone number belongs to the WABA",
        }
    }
}

/// Verify a credentials entry against Meta's facts, in PRODUCT.md §3's order. On success,
/// the record to keep in state; on failure, the step that failed and why.
pub fn verify_credentials(
    creds: &DesiredCredentials,
    fingerprint: &TokenFingerprint,
    observed: &Observed,
) -> Result<RecordedCredentials, (VerifyStep, String)> {
    use VerifyStep::*;
    let token = match observed.tokens.get(fingerprint) {
        Some(Ok(t)) => t,
        Some(Err(e)) => return Err((Token, format!("token check failed: {}", e.message))),
        None => {
            return Err((
                Token,
                "token check failed: the token was not read from Meta".into(),
            ));
        }
    };
    if !token.valid {
        return Err((
            Token,
            "token check failed: Meta says the token is invalid; create a new system-user token"
                .into(),
        ));
    }
    if let Some(exp) = token.expires_at
        && exp <= observed.read_at
    {
        return Err((
            Token,
            "token check failed: the token has expired; renew it".into(),
        ));
    }
    let missing: Vec<&str> = REQUIRED_SCOPES
        .iter()
        .copied()
        .filter(|s| !token.scopes.iter().any(|t| t == s))
        .collect();
    if !missing.is_empty() {
        return Err((
            Token,
            format!(
                "token check failed: the token lacks the permission(s) {}; add them to the system user's token",
                missing.join(", ")
            ),
        ));
    }
    let business = match observed.businesses.get(&creds.business_id) {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            return Err((
                WabaInBusiness,
                format!(
                    "business portfolio {} could not be read: {}",
                    creds.business_id, e.message
                ),
            ));
        }
        None => {
            return Err((
                WabaInBusiness,
                format!(
                    "business portfolio {} was not read from Meta",
                    creds.business_id
                ),
            ));
        }
    };
    let Some(waba) = business.wabas.get(&creds.waba_id) else {
        return Err((
            WabaInBusiness,
            format!(
                "WhatsApp Business Account {} does not belong to business portfolio {} (owned or client); check whatsapp_business_account and business_id (the portfolio ID, not the WABA ID)",
                creds.waba_id, creds.business_id
            ),
        ));
    };
    let Some(number) = waba.number_by_digits(&creds.phone_number) else {
        return Err((
            NumberInWaba,
            format!(
                "phone number {} is not a number of WhatsApp Business Account {}; run `wacfg discover` to list its numbers",
                creds.phone_number, creds.waba_id
            ),
        ));
    };
    Ok(RecordedCredentials {
        name: creds.name.clone(),
        business_id: creds.business_id.clone(),
        waba_id: creds.waba_id.clone(),
        phone_number: creds.phone_number.clone(),
        phone_number_id: number.id.clone(),
        display_phone_number: number.display_phone_number.clone(),
        verified_name: number.verified_name.clone(),
        token_fingerprint: fingerprint.clone(),
        token_expires_at: token.expires_at,
        quality_rating: number.quality_rating.clone(),
        throughput_level: number.throughput_level.clone(),
        messaging_limit: number.messaging_limit.clone(),
        number_status: number.status.clone(),
        name_status: number.name_status.clone(),
        account_review_status: waba.account_review_status.clone(),
        observed_at: observed.read_at,
    })
}

/// What a channel configuration's checks know about its credentials.
pub struct CredentialsFacts<'a> {
    pub name: &'a str,
    /// `Ok` when the credentials are (or will be, earlier in this apply) verified.
    pub verified: Result<(), String>,
    pub waba: Option<&'a ObservedWaba>,
    pub waba_id: &'a str,
}

/// Run the channel configuration checks. Returns every check's result (in CHECK_IDS order)
/// and the sender's phone number ID when it was found.
pub fn channel_checks(
    spec: &ChannelSpec,
    creds: Option<&CredentialsFacts<'_>>,
    knows_action: &dyn Fn(&str) -> bool,
) -> (Vec<CheckResult>, Option<String>) {
    let mut out = Vec::with_capacity(CHECK_IDS.len());
    let sender = spec.sender_number.as_deref().unwrap_or("");
    match creds {
        None => out.push(fail(
            "credentials_valid",
            format!(
                "credentials `{}` are not applied; declare them and apply",
                spec.credentials.as_deref().unwrap_or("")
            ),
        )),
        Some(c) => out.push(match &c.verified {
            Ok(()) => pass(
                "credentials_valid",
                format!("credentials `{}` are applied and valid", c.name),
            ),
            Err(why) => fail(
                "credentials_valid",
                format!("credentials `{}` are not valid: {why}", c.name),
            ),
        }),
    }
    let number: Option<&ObservedNumber> = creds
        .and_then(|c| c.waba)
        .and_then(|w| w.number_by_digits(sender));
    let waba_id = creds.map(|c| c.waba_id).unwrap_or("");
    out.push(match number {
        Some(_) => pass(
            "sender_in_waba",
            format!("sender {sender} is a number of WABA {waba_id}"),
        ),
        None => fail(
            "sender_in_waba",
            format!("sender {sender} is not a phone number of WABA {waba_id}"),
        ),
    });
    out.push(number_field_check(
        "sender_connected",
        number.map(|n| n.status.as_deref()),
        &["CONNECTED"],
        &format!("sender {sender} status"),
    ));
    out.push(number_field_check(
        "display_name_approved",
        number.map(|n| n.name_status.as_deref()),
        &["APPROVED", "AVAILABLE_WITHOUT_REVIEW"],
        "display name status",
    ));
    out.push(number_field_check(
        "waba_approved",
        creds
            .and_then(|c| c.waba)
            .map(|w| w.account_review_status.as_deref()),
        &["APPROVED"],
        &format!("WABA {waba_id} review status"),
    ));
    let unknown: Vec<&str> = spec
        .marketing_actions
        .iter()
        .map(String::as_str)
        .filter(|a| !knows_action(a))
        .collect();
    out.push(if unknown.is_empty() {
        pass(
            "marketing_actions_known",
            "every marketing action is known".into(),
        )
    } else {
        fail(
            "marketing_actions_known",
            format!("unknown marketing action(s): {}", unknown.join(", ")),
        )
    });
    out.push(quality_check(number));
    (out, number.map(|n| n.id.clone()))
}

fn number_field_check(
    id: &str,
    value: Option<Option<&str>>,
    accepted: &[&str],
    what: &str,
) -> CheckResult {
    match value {
        None => fail(id, format!("{what} unknown: the sender was not found")),
        Some(Some(v)) if accepted.contains(&v) => pass(id, format!("{what} is {v}")),
        Some(Some(v)) => fail(
            id,
            format!("{what} is {v}, expected {}", accepted.join(" or ")),
        ),
        Some(None) => fail(id, format!("{what} is not reported by Meta")),
    }
}

fn quality_check(number: Option<&ObservedNumber>) -> CheckResult {
    match number.and_then(|n| n.quality_rating.as_deref()) {
        Some("RED") => CheckResult {
            id: "quality_rating".into(),
            status: CheckStatus::Warning,
            message: "quality rating is RED: messages may be limited; review recent feedback"
                .into(),
        },
        Some(q) => pass("quality_rating", format!("quality rating is {q}")),
        None => pass("quality_rating", "quality rating not reported".into()),
    }
}

/// The reasons a set of check results failed, in check order.
pub fn failure_reasons(checks: &[CheckResult]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.status == CheckStatus::Failed)
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect()
}
