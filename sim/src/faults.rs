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
    /// Seed of the random draws, so a failing run can be replayed.
    pub seed: u64,
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
