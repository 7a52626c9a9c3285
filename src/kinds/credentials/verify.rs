//! Credentials verification as a pure function of Meta's facts, in PRODUCT.md §3's order:
//! the token (valid, not expired, the WhatsApp permissions), the WABA in the portfolio, the
//! number in the WABA. The plan says what it will find; apply runs it again on fresh facts.

use super::model::{DesiredCredentials, RecordedCredentials};
use crate::model::{Observed, TokenFingerprint};

/// Scopes a credentials token must carry.
pub const REQUIRED_SCOPES: &[&str] = &[
    "whatsapp_business_management",
    "whatsapp_business_messaging",
];

/// A token expiring within this many seconds is a warning in every plan.
pub const EXPIRY_WARNING_SECS: i64 = 14 * 24 * 3600;

/// How a verification message starts when the check could not be made (Meta's answer could
/// not be read in full), as opposed to a check that failed.
pub const CANNOT_CHECK: &str = "could not be checked: ";

/// Whether a verification failure is a check that could not be made.
pub fn cannot_check(message: &str) -> bool {
    message.starts_with(CANNOT_CHECK)
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
        let why = token
            .error
            .as_ref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err((
            Token,
            format!(
                "token check failed: Meta says the token is invalid{why}; create a new system-user token"
            ),
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
        if let Some(p) = business.waba_problems().next() {
            return Err((
                WabaInBusiness,
                format!(
                    "{CANNOT_CHECK}WhatsApp Business Account {} was not among the WABAs read, but Meta's answer for business portfolio {} could not be read in full (`{}`: {})",
                    creds.waba_id, creds.business_id, p.path, p.message
                ),
            ));
        }
        return Err((
            WabaInBusiness,
            format!(
                "WhatsApp Business Account {} does not belong to business portfolio {} (owned or client); check whatsapp_business_account and business_id (the portfolio ID, not the WABA ID)",
                creds.waba_id, creds.business_id
            ),
        ));
    };
    let Some(number) = waba.number_by_digits(&creds.phone_number) else {
        if let Some(p) = business.number_problems(&creds.waba_id).next() {
            return Err((
                NumberInWaba,
                format!(
                    "{CANNOT_CHECK}phone number {} was not among the numbers read, but Meta's answer for WhatsApp Business Account {} could not be read in full (`{}`: {})",
                    creds.phone_number, creds.waba_id, p.path, p.message
                ),
            ));
        }
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

/// The outcome of verifying one credentials entry: the record to keep, or the failed step.
pub type Verification = Result<RecordedCredentials, (VerifyStep, String)>;
