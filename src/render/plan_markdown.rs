//! The markdown plan, for a pull-request comment: a hidden marker line first (so CI finds and
//! updates one comment), the summary and a table of counts, then one `<details>` block per
//! change holding the uncoloured human diff, then drift, warnings and errors. GitHub refuses
//! comments over 65,536 characters, so the whole text is kept under [`MAX_CHARS`] by leaving
//! out whole pieces from the end and saying what was left out and where the full plan is.

use super::drift::drift_row;
use super::painter::Painter;
use super::plan_human::{change_block, summary_text, symbol, verb};
use super::plan_notices::{Notice, markdown_label, notices};
use crate::model::Expectation;
use crate::plan::{Plan, ResourceChange, Summary};

/// The first line of every markdown plan.
pub const PLAN_MARKER: &str = "<!-- wacfg-plan -->";
/// The most characters a markdown plan may hold.
pub const MAX_CHARS: usize = 65_000;
/// Kept free for the notes that say what was cut.
const RESERVE: usize = 1_000;
/// Where a reader finds what was cut.
const ELSEWHERE: &str = "run `wacfg show plan.json` or see the CI log for the full plan";

/// The whole markdown plan, at most [`MAX_CHARS`] characters.
pub fn render(plan: &Plan) -> String {
    let head = head(plan);
    let mut budget = MAX_CHARS.saturating_sub(chars(&head) + RESERVE);
    let all = notices(plan);
    let (errors, warnings): (Vec<&Notice>, Vec<&Notice>) = all
        .iter()
        .partition(|n| n.severity == crate::diag::Severity::Error);
    // The most important pieces claim the budget first; the page shows them in reading order.
    let errors = Section::fill("Errors", notice_items(&errors), &mut budget);
    let warnings = Section::fill("Warnings", notice_items(&warnings), &mut budget);
    let drift_rows: Vec<String> = plan.resource_drift.iter().map(drift_row).collect();
    let drift = Section::fill("Objects changed outside wacfg", drift_rows, &mut budget);
    let blocks: Vec<String> = plan.actionable().map(details).collect();
    let changes = Section::fill("Changes", blocks, &mut budget);

    let mut out = head;
    out.push_str(&changes.text(""));
    out.push_str(
        &drift
            .text("| Resource | Attribute | Recorded | At Meta | Note |\n|---|---|---|---|---|\n"),
    );
    out.push_str(&warnings.text(""));
    out.push_str(&errors.text(""));
    out.push_str(&cut_notes(&[
        (&changes, "changes"),
        (&drift, "drift items"),
        (&warnings, "warnings"),
        (&errors, "errors"),
    ]));
    out
}

/// Marker, title, summary sentence, counts table, target note, digest.
fn head(plan: &Plan) -> String {
    let mut out = format!("{PLAN_MARKER}\n### wacfg plan\n\n");
    if let Some(environment) = &plan.environment {
        out.push_str(&format!("Environment: {}\n\n", inline_code(environment)));
    }
    if let Some(commit) = &plan.commit {
        out.push_str(&format!("Planned at commit {}", inline_code(&commit.sha)));
        if commit.modified {
            out.push_str(" **with uncommitted changes to the configuration**");
        }
        out.push_str("\n\n");
    }
    if let Some(endpoint) = &plan.graph_api {
        out.push_str(&escape_html(&endpoint.header()));
        out.push_str("\n\n");
    }
    if plan.has_errors() && !plan.has_changes() {
        out.push_str("**Planning found errors: see below.**\n\n");
    } else {
        out.push_str(&format!("**{}**\n\n", summary_text(&plan.summary)));
    }
    if plan.summary.has_changes() {
        out.push_str(&counts_table(&plan.summary));
        out.push('\n');
    }
    if !plan.targets.is_empty() {
        let targets: Vec<String> = plan
            .targets
            .iter()
            .map(|t| inline_code(&t.to_string()))
            .collect();
        out.push_str(&format!(
            "> **Note:** this plan is limited to {}; other resources may have changes it does \
             not show.\n\n",
            targets.join(", ")
        ));
    }
    if plan.refused {
        out.push_str("> **This plan is refused and cannot be applied:** see the errors below.\n\n");
    }
    if plan.has_changes() && !plan.digests.plan.is_empty() {
        out.push_str(&format!(
            "Plan digest: {}\n\n",
            inline_code(&plan.digests.plan)
        ));
    }
    out
}

fn counts_table(s: &Summary) -> String {
    let rows = [
        ("create", s.create),
        ("import", s.import),
        ("move", s.moved),
        ("update", s.update),
        ("reactivate", s.reactivate),
        ("deactivate", s.deactivate),
        ("delete", s.delete),
        ("replace", s.replace),
        ("refresh", s.refresh),
    ];
    let mut out = String::from("| Action | Count |\n|---|---:|\n");
    for (action, count) in rows.iter().filter(|(_, n)| *n > 0) {
        out.push_str(&format!("| {action} | {count} |\n"));
    }
    out
}

/// One change as a collapsible block holding its human diff.
fn details(change: &ResourceChange) -> String {
    let body = diff_lines(&change_block(change, &Painter::new(false)));
    let fence = fence_for(&body);
    // Collapsed, only the summary line shows: a destructive change and one whose checks are
    // expected to fail must stand out there, not only inside the block.
    let mut summary = String::new();
    if change.is_destructive() {
        summary.push_str("⚠️ <b>DESTRUCTIVE</b> ");
    }
    summary.push_str(&format!(
        "<code>{}</code> <code>{}</code> {}",
        escape_html(symbol(change.action)),
        change.address,
        verb(change.action)
    ));
    if !change.reason.is_empty() {
        summary.push_str(&format!(": {}", escape_html(&change.reason)));
    }
    let failing: Vec<&str> = change
        .checks
        .iter()
        .filter(|c| c.expectation == Expectation::Fail)
        .map(|c| c.id.as_str())
        .collect();
    if !failing.is_empty() {
        summary.push_str(&format!(
            " — ❌ <b>expected to fail:</b> {}",
            escape_html(&failing.join(", "))
        ));
    }
    format!("<details><summary>{summary}</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n\n")
}

/// Moves each line's change symbol to the first column, where a `diff` fence colours it;
/// the widths stay the same, so columns still line up.
fn diff_lines(block: &str) -> String {
    let mut out = String::new();
    for line in block.lines() {
        let rest = line.trim_start_matches(' ');
        let indent = &line[..line.len() - rest.len()];
        // `~` stays where it is: a diff fence colours only `+` and `-`.
        let sym = ["-/+ ", "+ ", "- "]
            .into_iter()
            .find(|s| rest.starts_with(s));
        match sym {
            Some(sym) => out.push_str(&format!(
                "{}{indent} {}",
                sym.trim_end(),
                &rest[sym.len()..]
            )),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A code fence longer than any run of backticks in `body`.
fn fence_for(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn notice_items(notices: &[&Notice]) -> Vec<String> {
    notices
        .iter()
        .map(|n| {
            let mut item = format!(
                "- **{}:** {}",
                markdown_label(n.severity),
                escape_html(&n.title)
            );
            if let Some(location) = &n.location {
                item.push_str(&format!(" (at {})", inline_code(location)));
            }
            for line in &n.detail {
                item.push_str(&format!("<br>{}", escape_html(line)));
            }
            item.push('\n');
            item
        })
        .collect()
}

/// Whole items of one section, as many as the budget allows.
struct Section {
    title: &'static str,
    kept: Vec<String>,
    cut: usize,
}

impl Section {
    fn fill(title: &'static str, items: Vec<String>, budget: &mut usize) -> Self {
        let heading = chars(title) + 200;
        let mut kept = Vec::new();
        let mut cut = 0;
        let mut used = heading;
        for item in items {
            let n = chars(&item);
            if cut == 0 && used + n <= *budget {
                used += n;
                kept.push(item);
            } else {
                cut += 1;
            }
        }
        if !kept.is_empty() {
            *budget -= used;
        }
        Self { title, kept, cut }
    }

    fn text(&self, preamble: &str) -> String {
        if self.kept.is_empty() {
            return String::new();
        }
        let mut out = format!("#### {}\n\n{preamble}", self.title);
        for item in &self.kept {
            out.push_str(item);
        }
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        out
    }
}

fn cut_notes(sections: &[(&Section, &str)]) -> String {
    let parts: Vec<String> = sections
        .iter()
        .filter(|(s, _)| s.cut > 0)
        .map(|(s, what)| match s.kept.len() {
            0 => format!("{} {what}", s.cut),
            _ => format!("{} more {what}", s.cut),
        })
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "> **{} not shown** (a comment holds at most {MAX_CHARS} characters): {ELSEWHERE}.\n",
        parts.join(", ")
    )
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Text made safe inside HTML and markdown paragraphs.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text made safe in a table cell.
pub fn escape_cell(text: &str) -> String {
    escape_html(text).replace('|', "\\|").replace('\n', "<br>")
}

/// `text` as inline code, safe in a table cell.
pub fn inline_code(text: &str) -> String {
    let text = text.replace('\n', " ").replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }

    #[test]
    fn diff_lines_move_plus_and_minus_to_the_first_column() {
        let block = "  + credentials \"a\" {\n      - name = \"x\" -> null\n      ~ a = 1 -> 2\n";
        assert_eq!(
            diff_lines(block),
            "+   credentials \"a\" {\n-       name = \"x\" -> null\n      ~ a = 1 -> 2\n"
        );
    }

    #[test]
    fn table_cells_escape_pipes_and_html() {
        assert_eq!(escape_cell("a|b <c>\nd"), "a\\|b &lt;c&gt;<br>d");
        assert_eq!(inline_code("x`y|z"), "`` x`y\\|z ``");
    }
}
