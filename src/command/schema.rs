//! `wacfg schema [config|plan|state] [--write [PATH]]`: print a JSON Schema shipped with the
//! binary, or write it where editors find it (the local copy `wacfg init`'s modeline names).

use std::path::Path;

use super::{CommandError, CommandResult, Outcome};
use crate::cli::{SchemaArgs, SchemaKind};

/// Where `wacfg init` puts the configuration schema and its modeline points, relative to the
/// configuration: editors resolve it offline, in a new repository, before any push.
pub const EDITOR_SCHEMA_PATH: &str = ".wacfg/schema.json";

const PLAN_SCHEMA: &str = include_str!("../../schemas/plan.schema.json");
const STATE_SCHEMA: &str = include_str!("../../schemas/state.schema.json");

pub fn run(args: SchemaArgs) -> CommandResult {
    let text = schema_text(args.kind);
    match args.write {
        None => out!("{text}"),
        Some(path) => {
            let changed = write_schema(&path, text).map_err(|e| {
                CommandError::new(format!(
                    "could not write the schema to {}: {e} (check the directory exists and is writable)",
                    path.display()
                ))
            })?;
            if changed {
                outln!("wrote {}", path.display());
            } else {
                outln!("{} is up to date", path.display());
            }
        }
    }
    Ok(Outcome::Success)
}

/// Write `text` to `path` (creating its directory) unless it already holds exactly that;
/// returns whether the file changed. Written to a temporary file first and renamed, so an
/// editor never reads half a schema.
pub fn write_schema(path: &Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| true)
}

/// The schema document for a kind, exactly as in `schemas/`.
pub fn schema_text(kind: SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Config => crate::validate::SCHEMA_TEXT,
        SchemaKind::Plan => PLAN_SCHEMA,
        SchemaKind::State => STATE_SCHEMA,
    }
}
