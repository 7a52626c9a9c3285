//! `wacfg fmt [--check] [-c PATH]`: rewrite each configuration file in the canonical layout
//! (`crate::fmt`), atomically; with `--check`, change nothing and exit 1 naming the files
//! that would change (for CI). A file that cannot be formatted safely is named with why and
//! left alone (exit 1).

use std::path::{Path, PathBuf};

use super::{CommandError, CommandResult, Outcome};
use crate::cli::FmtArgs;

pub fn run(args: FmtArgs) -> CommandResult {
    // Every -c source is formatted (each is a file or a folder of its own).
    let mut files = Vec::new();
    for source in &args.config.config {
        files.extend(files_of(source)?);
    }
    let mut would_change = Vec::new();
    let mut refused = false;
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CommandError::new(format!("cannot read {}: {e}", file.display())))?;
        let formatted = match crate::fmt::format(&text) {
            Ok(formatted) => formatted,
            Err(refusal) => {
                let place = if refusal.line > 0 {
                    format!("{}:{}", file.display(), refusal.line)
                } else {
                    file.display().to_string()
                };
                eprintln!(
                    "error: {place}: cannot format this file safely: {}; it was left as it is (format it by hand)",
                    refusal.message
                );
                refused = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check {
            outln!("{}", file.display());
        } else {
            write_atomically(file, &formatted)?;
            outln!("formatted {}", file.display());
        }
        would_change.push(file);
    }
    if args.check && !would_change.is_empty() {
        eprintln!(
            "{} would change: run `wacfg fmt` to format {}",
            count(would_change.len()),
            if would_change.len() == 1 {
                "it"
            } else {
                "them"
            }
        );
    }
    Ok(if refused || (args.check && !would_change.is_empty()) {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

/// The file itself, or the `*.yaml`/`*.yml` files of a directory in name order (the files
/// `validate` reads).
fn files_of(path: &Path) -> Result<Vec<PathBuf>, CommandError> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(CommandError::new(format!(
                "{} does not exist: pass the configuration with -c PATH (a file or a directory)",
                path.display()
            )));
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| CommandError::new(format!("cannot list {}: {e}", path.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// A temp file beside the target, then a rename: a reader sees the old or the new file,
/// never half of one. The file's permissions are kept.
fn write_atomically(path: &Path, text: &str) -> Result<(), CommandError> {
    use std::io::Write;
    let fail =
        |e: std::io::Error| CommandError::new(format!("cannot write {}: {e}", path.display()));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.wacfg-fmt-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(fail)
}
