//! Building a change's result, shared by every kind's execution.

use super::PortError;
use crate::model::{ChangeOutcome, ChangeResult, CheckResult, ErrorClass, ResourceChange};

pub fn result(change: &ResourceChange, outcome: ChangeOutcome) -> ChangeResult {
    ChangeResult {
        address: change.address.clone(),
        action: change.action,
        outcome,
        status: None,
        checks: Vec::new(),
    }
}

pub fn applied(change: &ResourceChange, status: Option<&str>) -> ChangeResult {
    ChangeResult {
        status: status.map(str::to_string),
        ..result(change, ChangeOutcome::Applied)
    }
}

pub fn checks_failed(
    change: &ResourceChange,
    status: &str,
    reasons: Vec<String>,
    checks: Vec<CheckResult>,
) -> ChangeResult {
    ChangeResult {
        status: Some(status.to_string()),
        checks,
        ..result(change, ChangeOutcome::ChecksFailed { reasons })
    }
}

pub fn failed(change: &ResourceChange, class: ErrorClass, message: String) -> ChangeResult {
    result(change, ChangeOutcome::Error { message, class })
}

pub fn port_error(change: &ResourceChange, e: &PortError) -> ChangeResult {
    failed(change, e.class(), e.to_string())
}
