//! `wacfg init`: write a starter `wacfg.yaml` (schema modeline, commented example that
//! validates), the schema its modeline points at (`.wacfg/schema.json`, so editors work
//! offline in a new repository), and add the local state files (and their lock and temp files)
//! to `.gitignore`. Never overwrites the configuration; the schema copy is wacfg's own file,
//! refreshed by `wacfg schema --write`.

use std::io::Write;
use std::path::Path;

use super::{CommandError, CommandResult, Outcome};
use crate::cli::InitArgs;

/// The starter configuration: valid as written, with the options explained in comments.
pub const TEMPLATE: &str = include_str!("init_template.yaml");

/// Lines `.gitignore` must contain: the local state, its journal, its backup, its lock and lock
/// info, and the temp files a killed write can leave (removed by the next write or lock).
pub const GITIGNORE_LINES: &[&str] = &[
    "wacfg.state.json",
    "wacfg.state.json.journal",
    "wacfg.state.json.backup",
    "wacfg.state.json.lock",
    "wacfg.state.json.lock.info",
    ".wacfg.state.json.tmp-*",
    "wacfg.state.json.backup.tmp-*",
    "wacfg.state.json.lock.info.tmp-*",
];

pub fn run(args: InitArgs) -> CommandResult {
    let config = args.dir.join("wacfg.yaml");
    if config.exists() {
        return Err(CommandError::new(format!(
            "{} already exists; wacfg init never overwrites a file (remove it first, or edit it)",
            config.display()
        )));
    }
    std::fs::create_dir_all(&args.dir)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&config)?;
    file.write_all(TEMPLATE.as_bytes())?;
    let schema = args.dir.join(super::schema::EDITOR_SCHEMA_PATH);
    super::schema::write_schema(&schema, crate::validate::SCHEMA_TEXT)?;
    let added = update_gitignore(&args.dir.join(".gitignore"))?;
    outln!("wrote {}", config.display());
    outln!(
        "wrote {} (editors read it through the first line of wacfg.yaml; commit it, and refresh it with `wacfg schema --write` after upgrading wacfg)",
        schema.display()
    );
    if added > 0 {
        outln!(
            "added the local state files to {}",
            args.dir.join(".gitignore").display()
        );
    }
    outln!("next: edit it, then run `wacfg validate`");
    Ok(Outcome::Success)
}

/// Append the missing state lines; returns how many were added.
fn update_gitignore(path: &Path) -> std::io::Result<usize> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err),
    };
    let present: Vec<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&str> = GITIGNORE_LINES
        .iter()
        .copied()
        .filter(|l| !present.contains(l))
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let mut text = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# wacfg local state (never commit it)\n");
    for line in &missing {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())?;
    Ok(missing.len())
}
