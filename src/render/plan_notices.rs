//! The warnings and errors a plan carries, gathered once for every format: diagnostics by
//! severity, plus the checks the planner already knows will fail or warn (a reviewer must see
//! them before apply turns a configuration Failed). Warnings come before errors.

use crate::diag::{Diagnostic, Severity};
use crate::plan::{Expectation, Plan};

/// One warning or error, ready to be written in any format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub severity: Severity,
    /// One line: what is wrong and where.
    pub title: String,
    /// Where: `file:line:col`, or a JSON pointer into the configuration.
    pub location: Option<String>,
    /// More lines: detail, related places, help.
    pub detail: Vec<String>,
    /// A short stable name for annotation titles: the diagnostic code or `check <id>`.
    pub code: String,
    /// `file`, line and column when the notice points into a configuration file.
    pub file: Option<(String, usize, usize)>,
}

/// Every warning, then every error, of `plan`.
pub fn notices(plan: &Plan) -> Vec<Notice> {
    let mut out = check_notices(plan);
    out.extend(diag_notices(&plan.diagnostics, Severity::Warning));
    out.extend(diag_notices(&plan.diagnostics, Severity::Error));
    out
}

/// Checks expected to fail or to pass with a warning, in change order.
fn check_notices(plan: &Plan) -> Vec<Notice> {
    let mut out = Vec::new();
    for change in plan.actionable() {
        for check in &change.checks {
            let what = match check.expectation {
                Expectation::Fail => "is expected to fail",
                Expectation::Warn => "is expected to pass with a warning",
                Expectation::Pass | Expectation::Unknown => continue,
            };
            out.push(Notice {
                severity: Severity::Warning,
                title: format!("{}: check {} {what}", change.address, check.id),
                location: None,
                detail: vec![check.message.clone()],
                code: format!("wacfg check {}", check.id),
                file: None,
            });
        }
    }
    out
}

/// Diagnostics of one severity, in the planner's order.
pub fn diag_notices(diagnostics: &[Diagnostic], severity: Severity) -> Vec<Notice> {
    diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(diag_notice)
        .collect()
}

fn diag_notice(d: &Diagnostic) -> Notice {
    let file = match (&d.file, &d.span) {
        (Some(f), Some(s)) => Some((f.display().to_string(), s.line, s.column)),
        (Some(f), None) => Some((f.display().to_string(), 0, 0)),
        _ => None,
    };
    let location = match &file {
        Some((f, 0, _)) => Some(f.clone()),
        Some((f, line, col)) => Some(format!("{f}:{line}:{col}")),
        None => d.pointer.clone(),
    };
    let mut detail = Vec::new();
    for related in &d.related {
        let at = match (&related.file, &related.span) {
            (Some(f), Some(s)) => format!(" (at {}:{}:{})", f.display(), s.line, s.column),
            (Some(f), None) => format!(" (at {})", f.display()),
            _ => String::new(),
        };
        detail.push(format!("note: {}{at}", related.message));
    }
    if let Some(help) = &d.help {
        detail.push(format!("help: {help}"));
    }
    Notice {
        severity: d.severity,
        title: format!("{} [{}]", d.message, d.code),
        location,
        detail,
        code: d.code.clone(),
        file,
    }
}

/// `warning` or `error`, as terminal output spells them everywhere (validate's diagnostics,
/// plan notices, command errors).
pub fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// `Warning` or `Error`: the markdown comment's bold labels, written as prose.
pub fn markdown_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "Warning",
        Severity::Error => "Error",
    }
}
