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

use crate::cli::PlanFormat;
use crate::plan::Plan;

/// A plan in the format the user asked for. `color` is decided by the command (TTY,
/// `NO_COLOR`, `--no-color`); json and markdown are never coloured.
pub fn render_plan(plan: &Plan, format: PlanFormat, color: bool) -> String {
    match format {
        PlanFormat::Human => plan_human::render(plan, color),
        PlanFormat::Json => plan_json::render(plan),
        PlanFormat::Markdown => plan_markdown::render(plan),
        PlanFormat::Github => plan_github::render(plan, color),
    }
}
pub mod state;
