//! The `json` plan: the Plan itself, serialised as one pretty-printed document. Its shape is
//! documented by `schemas/plan.schema.json` (a test validates every golden plan against it).
//! The human formats are rendered from the same data, so the two never disagree.

use crate::plan::Plan;

/// The plan as JSON text, ending in a newline.
pub fn render(plan: &Plan) -> String {
    // A Plan is plain data with string keys: serialising it cannot fail.
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_default();
    text.push('\n');
    text
}

/// The JSON Schema of [`render`]'s output, as shipped in `schemas/plan.schema.json`.
pub const PLAN_SCHEMA: &str = include_str!("../../schemas/plan.schema.json");
