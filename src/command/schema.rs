//! `wacfg schema [config|plan|state]`: print a JSON Schema shipped with the binary.

use super::{CommandResult, Outcome};
use crate::cli::{SchemaArgs, SchemaKind};

const PLAN_SCHEMA: &str = include_str!("../../schemas/plan.schema.json");
const STATE_SCHEMA: &str = include_str!("../../schemas/state.schema.json");

pub fn run(args: SchemaArgs) -> CommandResult {
    print!("{}", schema_text(args.kind));
    Ok(Outcome::Success)
}

/// The schema document for a kind, exactly as in `schemas/`.
pub fn schema_text(kind: SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Config => crate::validate::SCHEMA_TEXT,
        SchemaKind::Plan => PLAN_SCHEMA,
        SchemaKind::State => STATE_SCHEMA,
    }
}
