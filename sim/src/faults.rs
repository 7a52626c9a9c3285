//! Faults a test can switch on: latency, random transient errors, hanging requests, a per-WABA
//! call budget, token echo in error messages and one-shot injected errors. Owns their JSON form
//! for `POST /__sim/faults` and the decision of which fault hits a given request.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::errors::GraphError;

/// The faults in force. `Default` = a well-behaved server.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Added to every HTTP request (a batch is one request).
    pub latency: Duration,
    /// Probability (0..=1) that a request answers a transient error instead.
    pub transient_error_rate: f64,
    /// Requests hang until the client gives up.
    pub hang: bool,
    /// Calls per WABA per hour; past it, 80008.
    pub rate_limit_budget: Option<u32>,
    /// Error messages include the token the client sent, to test scrubbing.
    pub echo_token_in_errors: bool,
    /// The next requests answer these errors, one each, in order.
    pub fail_next: Vec<InjectedError>,
    /// The next sub-requests of batches answer these errors, one each, in order, inside the
    /// batch answer (its headers, `Retry-After` and usage included), the batch itself a 200.
    pub fail_batch_items: Vec<InjectedError>,
    /// The next writes (POST and DELETE, batch items too) are applied, then answer these
    /// errors instead, one each, in order: Meta did it but the client never heard (a create
    /// that landed before a 5xx or a timeout).
    pub fail_after_write: Vec<InjectedError>,
    /// The next this many writes (POST and DELETE) are applied, then their answer is held a
    /// day: Meta did it, and the client is still waiting when it is killed (a crash between a
    /// create and its record).
    pub hang_after_write: u32,
    /// When set, business reads carry an `X-Business-Use-Case-Usage` header keyed by the
    /// business, at this call-count percentage (Meta sends one on business reads too).
    pub business_usage_percent: Option<u32>,
    /// Shapes Meta sends that its own document does not promise (off by default).
    pub malformed: Malformed,
    /// Seed of the random draws, so a failing run can be replayed.
    pub seed: u64,
}

/// Off-document shapes seen from Meta, to test that a client keeps what it can read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Malformed {
    /// Node IDs (business, WABA, number) as JSON numbers instead of strings.
    pub numeric_ids: bool,
    /// An embedded edge without rows as `{"data": null}`.
    pub null_empty_edges: bool,
    /// An embedded edge that fits one page as a bare array of rows.
    pub bare_array_edges: bool,
    /// These fields of a phone number answer (`id` included) as an object instead of their
    /// type, for the numbers listed in `wrongly_typed_numbers` (all numbers when empty).
    pub wrongly_typed_fields: Vec<String>,
    pub wrongly_typed_numbers: Vec<String>,
}

/// An error answered once instead of the real response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectedError {
    /// HTTP status; defaults to Meta's status for `code`, or 503 for a bare error.
    #[serde(default)]
    pub status: Option<u16>,
    /// Graph error code; None = a bare HTTP error with a plain-text body.
    #[serde(default)]
    pub code: Option<u32>,
    #[serde(default)]
    pub subcode: Option<u32>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    /// Minutes, sent in `X-Business-Use-Case-Usage` (for 80008).
    #[serde(default)]
    pub estimated_time_to_regain_access: Option<u32>,
    /// Seconds, sent as a `Retry-After` header.
    #[serde(default)]
    pub retry_after: Option<u32>,
    /// Sent as `error_user_title`.
    #[serde(default)]
    pub error_user_title: Option<String>,
    /// Sent as `error_user_msg`.
    #[serde(default)]
    pub error_user_msg: Option<String>,
    /// Sent as `error_data.details`.
    #[serde(default)]
    pub error_data_details: Option<String>,
}

impl InjectedError {
    /// A Graph error with Meta's status and wording for `code` when known.
    pub fn code(code: u32) -> InjectedError {
        InjectedError {
            status: None,
            code: Some(code),
            subcode: None,
            message: None,
            is_transient: None,
            estimated_time_to_regain_access: None,
            retry_after: None,
            error_user_title: None,
            error_user_msg: None,
            error_data_details: None,
        }
    }

    /// A bare HTTP error (no Graph envelope), e.g. a 503 from a load balancer.
    pub fn http(status: u16) -> InjectedError {
        InjectedError {
            status: Some(status),
            code: None,
            ..InjectedError::code(0)
        }
    }

    /// The Graph error this stands for, or None for a bare HTTP error.
    pub fn graph_error(&self) -> Option<GraphError> {
        let code = self.code?;
        let mut e = match code {
            80008 => GraphError::rate_limited(),
            2 => GraphError::service_unavailable(),
            131000 => GraphError::something_went_wrong(),
            190 => GraphError::token_invalid(),
            _ => GraphError::new(code, "OAuthException", format!("(#{code}) Injected error")),
        };
        if let Some(m) = &self.message {
            e.message = m.clone();
        }
        if let Some(s) = self.subcode {
            e.subcode = Some(s);
        }
        if let Some(t) = self.is_transient {
            e.is_transient = t;
        }
        if let Some(s) = self.status {
            e.status = s;
        }
        let user = crate::errors::UserFacing {
            title: self.error_user_title.clone(),
            msg: self.error_user_msg.clone(),
            details: self.error_data_details.clone(),
        };
        if user != crate::errors::UserFacing::default() {
            e.user = Some(Box::new(user));
        }
        Some(e)
    }
}

/// JSON form of `Faults` for the control endpoint and the CLI (latency in milliseconds).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultsBody {
    pub latency_ms: u64,
    pub transient_error_rate: f64,
    pub hang: bool,
    pub rate_limit_budget: Option<u32>,
    pub echo_token_in_errors: bool,
    pub fail_next: Vec<InjectedError>,
    pub fail_batch_items: Vec<InjectedError>,
    pub fail_after_write: Vec<InjectedError>,
    pub hang_after_write: u32,
    pub business_usage_percent: Option<u32>,
    pub malformed: Malformed,
    pub seed: u64,
}

impl From<FaultsBody> for Faults {
    fn from(b: FaultsBody) -> Faults {
        Faults {
            latency: Duration::from_millis(b.latency_ms),
            transient_error_rate: b.transient_error_rate.clamp(0.0, 1.0),
            hang: b.hang,
            rate_limit_budget: b.rate_limit_budget,
            echo_token_in_errors: b.echo_token_in_errors,
            fail_next: b.fail_next,
            fail_batch_items: b.fail_batch_items,
            fail_after_write: b.fail_after_write,
            hang_after_write: b.hang_after_write,
            business_usage_percent: b.business_usage_percent,
            malformed: b.malformed,
            seed: b.seed,
        }
    }
}

impl From<&Faults> for FaultsBody {
    fn from(f: &Faults) -> FaultsBody {
        FaultsBody {
            latency_ms: f.latency.as_millis() as u64,
            transient_error_rate: f.transient_error_rate,
            hang: f.hang,
            rate_limit_budget: f.rate_limit_budget,
            echo_token_in_errors: f.echo_token_in_errors,
            fail_next: f.fail_next.clone(),
            fail_batch_items: f.fail_batch_items.clone(),
            fail_after_write: f.fail_after_write.clone(),
            hang_after_write: f.hang_after_write,
            business_usage_percent: f.business_usage_percent,
            malformed: f.malformed.clone(),
            seed: f.seed,
        }
    }
}

/// The random part of the faults: a seeded generator, so runs repeat.
pub struct Dice {
    rng: StdRng,
}

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// With probability `rate`, one of the three transient failures Meta produces.
    pub fn transient(&mut self, rate: f64) -> Option<InjectedError> {
        if rate <= 0.0 || self.rng.random::<f64>() >= rate {
            return None;
        }
        Some(match self.rng.random_range(0..3) {
            0 => InjectedError::code(2),
            1 => InjectedError::code(131000),
            _ => InjectedError::http(503),
        })
    }

    /// A hex id like Meta's trace ids.
    pub fn trace_id(&mut self) -> String {
        let n: u64 = self.rng.random();
        format!("A{n:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_rate_zero_never_and_one_always_fails() {
        let mut d = Dice::new(7);
        assert!((0..100).all(|_| d.transient(0.0).is_none()));
        assert!((0..100).all(|_| d.transient(1.0).is_some()));
    }

    #[test]
    fn injected_codes_get_metas_status() {
        let e = InjectedError::code(80008).graph_error().unwrap();
        assert_eq!((e.status, e.is_transient), (400, true));
        let e = InjectedError::code(2).graph_error().unwrap();
        assert_eq!(e.status, 503);
        assert!(InjectedError::http(503).graph_error().is_none());
    }

    #[test]
    fn body_round_trips_through_json() {
        let b: FaultsBody = serde_json::from_str(
            r#"{"latency_ms":50,"fail_next":[{"code":80008,"estimated_time_to_regain_access":1}]}"#,
        )
        .unwrap();
        let f = Faults::from(b);
        assert_eq!(f.latency, Duration::from_millis(50));
        assert_eq!(f.fail_next[0].code, Some(80008));
    }
}
