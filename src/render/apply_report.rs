//! What apply says: one progress line per change started or finished (the apply engine calls
//! [`progress_line`] for each event; plain text without a TTY), and the final report in every
//! format, ending with the `Apply complete! …` line or the failures and their reasons.

use std::time::Duration;

use serde::Serialize;

use super::Format;
use super::painter::Painter;
use super::plan_github::annotation;
use super::plan_markdown::{MAX_CHARS, escape_cell, inline_code};
use crate::apply::wait::ReviewWait;
use crate::apply::{ApplyReport, ChangeOutcome, ChangeResult, STATE_UNWRITABLE};
use crate::model::{Address, CheckStatus};
use crate::plan::{Action, PLAN_FORMAT_VERSION, PriorState};

/// First line of the markdown apply report.
pub const APPLY_MARKER: &str = "<!-- wacfg-apply -->";

/// One moment of an apply, as the engine sees it.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    Started {
        address: &'a Address,
        action: Action,
    },
    Finished {
        result: &'a ChangeResult,
        /// How long the change took; `None` leaves the time out (golden tests).
        elapsed: Option<Duration>,
    },
}

/// One progress line, without a trailing newline.
pub fn progress_line(event: Progress<'_>, color: bool) -> String {
    let p = Painter::new(color);
    match event {
        Progress::Started { address, action } => {
            format!("{}: {}...", p.bold(&address.to_string()), words(action).0)
        }
        Progress::Finished { result, elapsed } => finished_line(result, elapsed, &p),
    }
}

/// The present participle and the completion noun of an action.
fn words(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("Creating", "Creation complete"),
        Action::Import => ("Importing", "Import complete"),
        Action::Move => ("Moving", "Move complete"),
        Action::Refresh => ("Refreshing", "Refresh complete"),
        Action::Update => ("Modifying", "Modifications complete"),
        Action::Reactivate => ("Reactivating", "Reactivation complete"),
        Action::Deactivate => ("Deactivating", "Deactivation complete"),
        Action::Delete => ("Destroying", "Destruction complete"),
        Action::Replace => ("Replacing", "Replacement complete"),
        Action::NoOp => ("Checking", "Nothing to do"),
    }
}

fn finished_line(result: &ChangeResult, elapsed: Option<Duration>, p: &Painter) -> String {
    let address = p.bold(&result.address.to_string());
    let after = elapsed
        .map(|d| format!(" after {}", super::progress::seconds(d)))
        .unwrap_or_default();
    let status = result
        .status
        .as_ref()
        .map(|s| format!(" [status={s}]"))
        .unwrap_or_default();
    match &result.outcome {
        ChangeOutcome::Applied => {
            let done = p.green(words(result.action).1);
            format!("{address}: {done}{after}{status}")
        }
        ChangeOutcome::ChecksFailed { reasons } => format!(
            "{address}: {}{after}{status}: {}",
            p.red("Checks failed"),
            reasons.join("; ")
        ),
        ChangeOutcome::Error { message, .. } => {
            format!("{address}: {}{after}: {message}", p.red("Error"))
        }
        ChangeOutcome::Skipped { why } => format!("{address}: {} {why}", p.yellow("Skipped:")),
    }
}

/// Counts of what an apply did, by outcome and action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyCounts {
    pub created: usize,
    pub imported: usize,
    pub moved: usize,
    pub refreshed: usize,
    pub updated: usize,
    pub reactivated: usize,
    pub deactivated: usize,
    pub destroyed: usize,
    pub replaced: usize,
    pub checks_failed: usize,
    pub errors: usize,
    pub skipped: usize,
}

impl ApplyCounts {
    pub fn of(report: &ApplyReport) -> Self {
        let mut c = Self::default();
        for r in &report.results {
            match (&r.outcome, r.action) {
                (ChangeOutcome::Applied, Action::Create) => c.created += 1,
                (ChangeOutcome::Applied, Action::Import) => c.imported += 1,
                (ChangeOutcome::Applied, Action::Move) => c.moved += 1,
                (ChangeOutcome::Applied, Action::Refresh) => c.refreshed += 1,
                (ChangeOutcome::Applied, Action::Update) => c.updated += 1,
                (ChangeOutcome::Applied, Action::Reactivate) => c.reactivated += 1,
                (ChangeOutcome::Applied, Action::Deactivate) => c.deactivated += 1,
                (ChangeOutcome::Applied, Action::Delete) => c.destroyed += 1,
                (ChangeOutcome::Applied, Action::Replace) => c.replaced += 1,
                (ChangeOutcome::Applied, Action::NoOp) => {}
                (ChangeOutcome::ChecksFailed { .. }, _) => c.checks_failed += 1,
                (ChangeOutcome::Error { .. }, _) => c.errors += 1,
                (ChangeOutcome::Skipped { .. }, _) => c.skipped += 1,
            }
        }
        c
    }

    /// `Resources: 2 created, 1 updated, 0 deactivated, 0 destroyed.`
    pub fn resources_text(&self) -> String {
        let mut parts = vec![format!("{} created", self.created)];
        if self.imported > 0 {
            parts.push(format!("{} imported", self.imported));
        }
        if self.moved > 0 {
            parts.push(format!("{} moved", self.moved));
        }
        parts.push(format!("{} updated", self.updated));
        if self.reactivated > 0 {
            parts.push(format!("{} reactivated", self.reactivated));
        }
        parts.push(format!("{} deactivated", self.deactivated));
        parts.push(format!("{} destroyed", self.destroyed));
        if self.replaced > 0 {
            parts.push(format!("{} replaced", self.replaced));
        }
        if self.refreshed > 0 {
            parts.push(format!("{} refreshed", self.refreshed));
        }
        format!("Resources: {}.", parts.join(", "))
    }

    fn problems_text(&self) -> String {
        let mut parts = Vec::new();
        if self.checks_failed > 0 {
            parts.push(format!("{} failed its checks", plural(self.checks_failed)));
        }
        if self.errors > 0 {
            parts.push(format!("{} could not be carried out", plural(self.errors)));
        }
        if self.skipped > 0 {
            parts.push(format!("{} not attempted", plural(self.skipped)));
        }
        parts.join(", ")
    }
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 change".to_string()
    } else {
        format!("{n} changes")
    }
}

/// The final report in the format the user asked for.
pub fn render_apply_report(report: &ApplyReport, format: Format, color: bool) -> String {
    match format {
        Format::Human => human(report, &Painter::new(color)),
        Format::Json => json(report),
        Format::Markdown => markdown(report),
        Format::Github => {
            let mut out: String = problems(report)
                .map(|r| {
                    let title = format!("wacfg apply: {}", r.address);
                    annotation("error", &[("title", title)], &outcome_text(r))
                })
                .collect();
            out.push_str(&human(report, &Painter::new(color)));
            out
        }
    }
}

/// The headline: complete, failed, or interrupted, with the counts.
pub fn headline(report: &ApplyReport) -> String {
    let counts = ApplyCounts::of(report);
    let resources = counts.resources_text();
    if report.interrupted {
        let mut text = String::from(
            "Apply interrupted: Ctrl-C stopped the run; the changes in flight finished and were saved",
        );
        let problems = counts.problems_text();
        if !problems.is_empty() {
            text.push_str(&format!("; {problems}"));
        }
        format!("{text}. {resources}")
    } else if let Some(why) = &report.stopped {
        format!(
            "Apply stopped early: {why}, so nothing more was sent to Meta; {}. {resources}",
            counts.problems_text()
        )
    } else if report.failed() {
        format!("Apply failed: {}. {resources}", counts.problems_text())
    } else {
        format!("Apply complete! {resources}")
    }
}

fn problems(report: &ApplyReport) -> impl Iterator<Item = &ChangeResult> {
    report
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, ChangeOutcome::Applied))
}

/// What happened to one change that did not apply, in a sentence.
fn outcome_text(r: &ChangeResult) -> String {
    let status = r
        .status
        .as_ref()
        .map(|s| format!(" (status: {s})"))
        .unwrap_or_default();
    match &r.outcome {
        ChangeOutcome::Applied => format!("{} applied{status}", r.action.as_str()),
        ChangeOutcome::ChecksFailed { reasons } => format!(
            "{}: checks failed{status}: {}",
            r.action.as_str(),
            reasons.join("; ")
        ),
        ChangeOutcome::Error { message, .. } => format!("{}: error: {message}", r.action.as_str()),
        ChangeOutcome::Skipped { why } => format!("{}: not attempted: {why}", r.action.as_str()),
    }
}

fn human(report: &ApplyReport, p: &Painter) -> String {
    let line = headline(report);
    let mut out = if report.interrupted || report.failed() {
        p.red(&p.bold(&line))
    } else {
        p.green(&p.bold(&line))
    };
    out.push('\n');
    let failed: Vec<&ChangeResult> = problems(report).collect();
    if !failed.is_empty() {
        out.push_str("\nNot applied:\n");
        for r in failed {
            out.push_str(&format!("  {}: {}\n", r.address, outcome_text(r)));
        }
    }
    let warnings = check_warnings(report);
    if !warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for line in warnings {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(review) = &report.review {
        out.push('\n');
        for line in review_lines(review) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    if let Some(state) = &report.state {
        out.push_str(&format!("\n{}\n", state_line(state)));
    }
    if report.interrupted {
        out.push_str("Run `wacfg plan` to see what is left to do.\n");
    } else if report.stopped.as_deref() == Some(STATE_UNWRITABLE) {
        out.push_str(
            "Make the state writable again (the errors above say why it is not: free space, say), then run `wacfg apply` again: every change reported done is saved, and what was not attempted is still planned.\n",
        );
    } else if report.stopped.is_some() {
        out.push_str(
            "Run `wacfg apply` again once Meta answers again (or after its wait): what was not attempted is still planned.\n",
        );
    }
    out
}

/// Checks that passed with a warning (RED quality rating), one line each.
fn check_warnings(report: &ApplyReport) -> Vec<String> {
    report
        .results
        .iter()
        .flat_map(|r| {
            r.checks
                .iter()
                .filter(|c| c.status == CheckStatus::Warning)
                .map(move |c| format!("{}: {}: {}", r.address, c.id, c.message))
        })
        .collect()
}

fn state_line(state: &PriorState) -> String {
    format!(
        "State saved: serial {} (lineage {}).",
        state.serial, state.lineage
    )
}

#[derive(Serialize)]
struct ReportDocument<'a> {
    format_version: &'a str,
    complete: bool,
    summary: ApplyCounts,
    #[serde(flatten)]
    report: &'a ApplyReport,
}

fn json(report: &ApplyReport) -> String {
    let doc = ReportDocument {
        format_version: PLAN_FORMAT_VERSION,
        complete: !report.failed() && !report.interrupted,
        summary: ApplyCounts::of(report),
        report,
    };
    // Plain data with string keys: serialising cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn markdown(report: &ApplyReport) -> String {
    let mut out = format!(
        "{APPLY_MARKER}\n### wacfg apply\n\n**{}**\n\n",
        headline(report)
    );
    let failed: Vec<&ChangeResult> = problems(report).collect();
    if !failed.is_empty() {
        out.push_str("| Resource | Outcome |\n|---|---|\n");
        // Keep the comment under GitHub's limit: whole rows only, then say how many were cut.
        let mut used = out.chars().count();
        let mut cut = 0;
        for r in failed {
            let row = format!(
                "| {} | {} |\n",
                inline_code(&r.address.to_string()),
                escape_cell(&outcome_text(r))
            );
            let n = row.chars().count();
            if cut == 0 && used + n <= MAX_CHARS - 1_000 {
                used += n;
                out.push_str(&row);
            } else {
                cut += 1;
            }
        }
        out.push('\n');
        if cut > 0 {
            out.push_str(&format!(
                "> **{cut} more changes not applied, not shown** (a comment holds at most \
                 {MAX_CHARS} characters): see the CI log for the full report.\n\n"
            ));
        }
    }
    if let Some(review) = &report.review {
        let lines = review_lines(review);
        out.push_str(&format!("{}\n\n", lines.join("  \n")));
    }
    if let Some(state) = &report.state {
        out.push_str(&format!("{}\n", state_line(state)));
    }
    out
}

/// `apply --wait` ended with resources still in review: which, why, and what to do.
fn review_lines(review: &ReviewWait) -> Vec<String> {
    let n = review.in_review.len();
    let mut lines = vec![format!(
        "Still in Meta's review when the wait ended ({}): {} (not a failure):",
        review.ended,
        if n == 1 {
            "1 resource".to_string()
        } else {
            format!("{n} resources")
        }
    )];
    for r in &review.in_review {
        lines.push(format!("  {}: {}", r.address, r.pending.join(", ")));
    }
    lines.push(
        "`wacfg plan` shows Meta's decision once it is made; `wacfg apply --refresh-only` records it."
            .to_string(),
    );
    lines
}
