//! The human plan, Terraform-like: a legend of the symbols in use, one block per change that
//! does something (no-ops hidden), the drift section, the summary line, then warnings and
//! errors last so they are the first thing a reader sees at the bottom of a terminal. Colour
//! only when asked; without it the text has no escape codes.

use super::drift::drift_section;
use super::painter::Painter;
use super::plan_attrs::attribute_lines;
use super::plan_notices::{Notice, label, notices};
use crate::diag::Severity;
use crate::plan::{Action, Expectation, Plan, ResourceChange, Summary};

/// The line printed when a plan has nothing to do.
pub const NO_CHANGES: &str = "No changes. Your WhatsApp configuration matches the file.";

/// The whole human plan.
pub fn render(plan: &Plan, color: bool) -> String {
    let p = Painter::new(color);
    let mut out = String::new();
    if let Some(environment) = plan.environment_header() {
        out.push_str(&environment);
        out.push('\n');
        if plan.graph_api.is_none() {
            out.push('\n');
        }
    }
    if let Some(endpoint) = &plan.graph_api {
        out.push_str(&endpoint.header());
        out.push_str("\n\n");
    }
    if !plan.targets.is_empty() {
        out.push_str(&target_note(plan, &p));
    }
    if plan.has_changes() {
        out.push_str(&legend(plan, &p));
        out.push_str("wacfg will perform the following actions:\n\n");
        for change in plan.actionable() {
            out.push_str(&change_block(change, &p));
            out.push('\n');
        }
    }
    if !plan.resource_drift.is_empty() {
        out.push_str(&drift_section(&plan.resource_drift, &p));
        out.push('\n');
    }
    // "No changes" would mislead when planning failed: the errors below say why.
    if plan.has_changes() || !plan.has_errors() {
        out.push_str(&p.bold(&summary_text(&plan.summary)));
        out.push('\n');
    }
    if plan.has_changes() && !plan.digests.plan.is_empty() {
        out.push_str(&format!("Plan digest: {}\n", plan.digests.plan));
    }
    let notes = notices_text(&notices(plan), &p);
    // Nothing above the notes: no blank line to separate them from.
    out.push_str(match out.is_empty() {
        true => notes.trim_start_matches('\n'),
        false => &notes,
    });
    if plan.refused {
        out.push_str(&format!(
            "\n{}\n",
            p.red("error: this plan is refused and cannot be applied: see the errors above.")
        ));
    }
    out
}

/// `Plan: …` or the no-changes sentence.
pub fn summary_text(s: &Summary) -> String {
    if !s.has_changes() {
        return NO_CHANGES.to_string();
    }
    let mut parts = vec![format!("{} to create", s.create)];
    if s.import > 0 {
        parts.push(format!("{} to import", s.import));
    }
    if s.moved > 0 {
        parts.push(format!("{} to move", s.moved));
    }
    parts.push(format!("{} to update", s.update));
    if s.reactivate > 0 {
        parts.push(format!("{} to reactivate", s.reactivate));
    }
    parts.push(format!("{} to deactivate", s.deactivate));
    parts.push(format!("{} to delete", s.delete));
    if s.replace > 0 {
        parts.push(format!("{} to replace", s.replace));
    }
    if s.refresh > 0 {
        parts.push(format!("{} to refresh", s.refresh));
    }
    format!("Plan: {}.", parts.join(", "))
}

fn target_note(plan: &Plan, p: &Painter) -> String {
    let targets: Vec<String> = plan.targets.iter().map(ToString::to_string).collect();
    format!(
        "{} this plan is limited to {}; other resources may have changes it does not show.\n\n",
        p.yellow("Note:"),
        targets.join(", ")
    )
}

/// The symbol a block opens with.
pub fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create | Action::Import => "+",
        Action::Move => "->",
        Action::Refresh => "<=",
        Action::Update | Action::Reactivate | Action::Deactivate => "~",
        Action::Delete => "-",
        Action::Replace => "-/+",
        Action::NoOp => " ",
    }
}

/// How the header line ends: `… will be created`.
pub fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "will be created",
        Action::Import => "will be imported (it exists at Meta: verified and recorded)",
        Action::Move => "has moved (its history and version are kept)",
        Action::Refresh => "will be refreshed in state from what Meta says now",
        Action::Update => "will be updated in-place",
        Action::Reactivate => "will be reactivated",
        Action::Deactivate => "will be deactivated",
        Action::Delete => "will be destroyed",
        Action::Replace => "will be replaced",
        Action::NoOp => "is unchanged",
    }
}

fn legend_word(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Import => "import",
        Action::Move => "move (rename)",
        Action::Refresh => "refresh state from Meta",
        Action::Update => "update in-place",
        Action::Reactivate => "reactivate",
        Action::Deactivate => "deactivate",
        Action::Delete => "destroy",
        Action::Replace => "destroy and then create replacement",
        Action::NoOp => "no-op",
    }
}

/// Only the symbols this plan uses, in the summary's order.
fn legend(plan: &Plan, p: &Painter) -> String {
    let mut actions: Vec<Action> = plan.actionable().map(|c| c.action).collect();
    actions.sort();
    actions.dedup();
    let mut out = String::from("Resource actions are indicated with the following symbols:\n");
    for action in actions {
        let sym = format!("{:>3}", symbol(action));
        out.push_str(&format!(
            "{} {}\n",
            p.action(action, &sym),
            legend_word(action)
        ));
    }
    out.push('\n');
    out
}

/// One change: header comment, reason, the attribute block, checks and dependencies.
pub fn change_block(change: &ResourceChange, p: &Painter) -> String {
    let mut out = String::new();
    let header = format!("  # {} {}", change.address, verb(change.action));
    out.push_str(&p.bold(&header));
    out.push('\n');
    if let Some(from) = &change.moved_from {
        out.push_str(&format!("  # (moved from {from})\n"));
    }
    if !change.destroys.is_empty() {
        let text = format!(
            "  # DESTRUCTIVE: deletes at Meta its {} (counted like a delete by prevent_destroy and the safety threshold)",
            change.destroys.join(", ")
        );
        out.push_str(&p.red(&text));
        out.push('\n');
    }
    if !change.reason.is_empty() {
        out.push_str(&format!("  # reason: {}\n", change.reason));
    }
    out.push_str(&opener(change, p));
    let attrs = attribute_lines(change, p);
    for line in &attrs.lines {
        out.push_str(line);
        out.push('\n');
    }
    if attrs.hidden > 0 {
        let noun = if attrs.hidden == 1 {
            "attribute"
        } else {
            "attributes"
        };
        let text = format!("        # ({} unchanged {noun} hidden)", attrs.hidden);
        out.push_str(&p.dim(&text));
        out.push('\n');
    }
    out.push_str("    }\n");
    out.push_str(&checks_text(change, p));
    if !change.depends_on.is_empty() {
        let deps: Vec<String> = change.depends_on.iter().map(ToString::to_string).collect();
        out.push_str(&format!("    Depends on: {}\n", deps.join(", ")));
    }
    out
}

/// `  + channel_configuration "Marketing_FR" {`; deactivate and reactivate say their word.
fn opener(change: &ResourceChange, p: &Painter) -> String {
    let sym = format!("{:>3}", symbol(change.action));
    let word = match change.action {
        Action::Deactivate => "deactivate ",
        Action::Reactivate => "reactivate ",
        _ => "",
    };
    format!(
        "{} {word}{} \"{}\" {{\n",
        p.action(change.action, &sym),
        change.address.kind.as_str(),
        change.address.name
    )
}

/// The checks apply will run for this change, each with what the planner expects of it.
fn checks_text(change: &ResourceChange, p: &Painter) -> String {
    if change.checks.is_empty() {
        return String::new();
    }
    let mut out = String::from("    Checks at apply:\n");
    for check in &change.checks {
        let mark = match check.expectation {
            Expectation::Pass => p.green("✓"),
            Expectation::Fail => p.red("✗"),
            Expectation::Warn => p.yellow("!"),
            Expectation::Unknown => p.dim("?"),
        };
        out.push_str(&format!("      {mark} {}: {}\n", check.id, check.message));
    }
    out
}

/// Warnings then errors, each a titled paragraph.
pub fn notices_text(notices: &[Notice], p: &Painter) -> String {
    let mut out = String::new();
    for notice in notices {
        let title = format!("{}:", label(notice.severity));
        let title = match notice.severity {
            Severity::Warning => p.yellow(&p.bold(&title)),
            Severity::Error => p.red(&p.bold(&title)),
        };
        out.push_str(&format!("\n{title} {}\n", notice.title));
        if let Some(location) = &notice.location {
            out.push_str(&format!("  --> {location}\n"));
        }
        for line in &notice.detail {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}
