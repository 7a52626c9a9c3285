//! Every byte a person or a program reads: diagnostics, plans, state, reports, in human, json,
//! markdown and github formats.

pub mod apply_report;
pub mod diagnostics;
pub mod discover;
pub mod drift;
mod painter;
mod plan_attrs;
pub mod plan_github;
pub mod plan_human;
pub mod plan_json;
pub mod plan_markdown;
mod plan_notices;
pub mod progress;

use crate::plan::Plan;

/// The formats a plan, a drift report or an apply report can be written in. The command line
/// has its own flag type; `render` knows only this one, so it never depends on `cli`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text for a terminal, coloured when the command asks for it.
    Human,
    /// A machine-readable document with a format version.
    Json,
    /// A pull-request comment, under GitHub's size limit.
    Markdown,
    /// GitHub Actions annotations, followed by the human text.
    Github,
}

/// A plan in the format the user asked for. `color` is decided by the command (TTY,
/// `NO_COLOR`, `--no-color`); json and markdown are never coloured.
pub fn render_plan(plan: &Plan, format: Format, color: bool) -> String {
    match format {
        Format::Human => plan_human::render(plan, color),
        Format::Json => plan_json::render(plan),
        Format::Markdown => plan_markdown::render(plan),
        Format::Github => plan_github::render(plan, color),
    }
}
pub mod state;
pub mod template_yaml;
