//! Validation: JSON Schema, the configuration-wide rules, and every registered kind's own
//! rules (`kinds/<kind>/rules.rs`), collecting every problem in one run; only a configuration
//! with no errors becomes a `kinds::Desired`. Offline: reads no secret, no environment
//! variable, no network.

mod build;
mod moved;
mod schema;
mod schema_tree;

use std::path::{Path, PathBuf};

pub use crate::rules::{check_name, check_phone, check_secret};
pub use build::digest;
pub use schema::{SCHEMA_TEXT, allowed_keys, is_valid_both_ways};

use crate::config::{self, Layout, Loaded, OperatorVars, SourceFile};
use crate::diag::{Diagnostic, Related};
use crate::kinds::{Desired, KINDS};

/// The outcome of validating a configuration.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Some only when there is no error.
    pub desired: Option<Desired>,
    /// Errors and warnings, sorted by file (load order), line, column.
    pub diagnostics: Vec<Diagnostic>,
    /// Files loaded, in order.
    pub files: Vec<PathBuf>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Load a file or directory and validate it fully (offline). Diagnostics include warnings.
pub fn validate_path(path: &Path) -> Validation {
    validate_loaded(config::load_path(path))
}

/// Load every `-c` source (a file or a directory each), later ones overlaying earlier ones,
/// with the operator's variables, and validate the result (offline: `vars` was read from
/// flags and the environment by the caller).
pub fn validate_sources(paths: &[PathBuf], vars: &OperatorVars) -> Validation {
    validate_overlay(paths.iter().map(|p| config::load_path(p)).collect(), vars)
}

/// Validate what was loaded (also used by tests and benchmarks on in-memory files).
pub fn validate_loaded(loaded: Loaded) -> Validation {
    validate_overlay(vec![loaded], &OperatorVars::default())
}

/// Variables first (each file's own spans), then the overlay, then the checks on the merged
/// trees, whose diagnostics are moved back into the file each value came from.
pub fn validate_overlay(mut sources: Vec<Loaded>, vars: &OperatorVars) -> Validation {
    let mut early = Vec::new();
    let values = config::vars::collect(&sources, vars, &mut early);
    for source in &mut sources {
        config::vars::substitute(&mut source.files, &values, &mut early);
    }
    let lists: Vec<&str> = KINDS.iter().map(|k| k.list_key()).collect();
    let (mut loaded, layout) = config::overlay::merge(sources, &lists);
    loaded.diagnostics.extend(early);
    validate_merged(loaded, layout.as_ref())
}

/// What files without a YAML node hold when that is line endings and blanks alone (not a
/// comment, not nothing at all), counted for the message: "3 carriage returns". A file of
/// carriage returns is not empty (issue 11, item 19). `None` when there is nothing at all or
/// something else (a comment, a document marker).
fn only_whitespace(files: &[SourceFile]) -> Option<String> {
    let bytes = || files.iter().flat_map(|f| f.bytes.iter().copied());
    if bytes().next().is_none() || !bytes().all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t')) {
        return None;
    }
    let all: Vec<u8> = bytes().collect();
    let crlf = all.windows(2).filter(|w| w == b"\r\n").count();
    let cr = all.iter().filter(|b| **b == b'\r').count() - crlf;
    let lf = all.iter().filter(|b| **b == b'\n').count() - crlf;
    let blanks = all.iter().filter(|b| matches!(b, b' ' | b'\t')).count();
    let plural = |n: usize, one: &str, many: &str| {
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    };
    let parts: Vec<String> = [
        plural(cr, "carriage return", "carriage returns"),
        plural(crlf, "CRLF line ending", "CRLF line endings"),
        plural(lf, "line feed", "line feeds"),
        plural(blanks, "space or tab", "spaces or tabs"),
    ]
    .into_iter()
    .flatten()
    .collect();
    Some(parts.join(", "))
}

fn validate_merged(loaded: Loaded, layout: Option<&Layout>) -> Validation {
    // Load and variable problems carry each file's own spans; the rest are located below.
    let early = loaded.diagnostics;
    let mut diagnostics = Vec::new();
    let files = &loaded.files;
    if early.is_empty() && files.iter().all(|f| f.tree.is_none()) {
        let mut diag = match only_whitespace(files) {
            Some(what) => Diagnostic::error(
                "wacfg::load::empty",
                format!("the configuration has no content, only {what}"),
            )
            .with_help(
                "a configuration needs at least `version: 1`: start from `wacfg init`, or copy examples/minimal.yaml",
            ),
            None => Diagnostic::error("wacfg::load::empty", "the configuration is empty")
                .with_help("start from `wacfg init`, or copy examples/minimal.yaml"),
        };
        if let [only] = files.as_slice() {
            diag = diag.at(
                &only.path,
                crate::diag::Span {
                    line: 1,
                    column: 1,
                    offset: 0,
                    len: 0,
                },
            );
        }
        diagnostics.push(diag);
    }
    // The checks and the typed model only read the trees: for a large configuration build
    // the model on another core while the JSON Schema check and the code rules run, and keep
    // it only when they find no error; a small one is done before a thread would have started.
    let large = files.iter().map(|f| f.bytes.len()).sum::<usize>() >= config::PARALLEL_MIN_BYTES;
    let schema_check = || {
        files
            .iter()
            .filter_map(|f| f.tree.as_ref().map(|t| schema::check(&f.path, t)))
            .flatten()
            .collect::<Vec<_>>()
    };
    let code_rules = |diagnostics: &mut Vec<Diagnostic>| {
        for file in files {
            if let Some(state) = file.tree.as_ref().and_then(|t| t.get("state")) {
                crate::rules::check_state(&file.path, state, diagnostics);
            }
        }
        check_single_blocks(files, diagnostics);
        run_rules(files, diagnostics);
        moved::check(files, diagnostics);
    };
    let built = if large {
        std::thread::scope(|scope| {
            let model = scope.spawn(|| build::build(files, &loaded.base_dir));
            code_rules(&mut diagnostics);
            diagnostics.extend(schema_check());
            Some(model.join())
        })
    } else {
        code_rules(&mut diagnostics);
        diagnostics.extend(schema_check());
        None
    };
    if let Some(layout) = layout {
        diagnostics.iter_mut().for_each(|d| layout.locate(d));
    }
    drop_echoes_of_variables(&mut diagnostics, &early);
    diagnostics.extend(early);
    sort(&mut diagnostics, files);
    let desired = (!diagnostics.iter().any(Diagnostic::is_error)).then(|| match built {
        Some(Ok(desired)) => desired,
        // A panic while building a valid configuration's model is a bug: let it surface as one.
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => build::build(files, &loaded.base_dir),
    });
    let files = files.iter().map(|f| f.path.clone()).collect();
    // Freeing a large tree takes a noticeable share of the run: let another thread do it.
    if large {
        std::thread::spawn(move || drop(loaded.files));
    }
    Validation {
        desired,
        diagnostics,
        files,
    }
}

/// A string whose `${var.…}` could not be replaced is checked as written, so its field's own
/// rules (an id's digits, a phone number) fail too: keep only the variable's diagnostic.
fn drop_echoes_of_variables(diagnostics: &mut Vec<Diagnostic>, early: &[Diagnostic]) {
    let spots: Vec<(&Path, &crate::diag::Span)> = early
        .iter()
        .filter(|d| d.code.starts_with("wacfg::vars::"))
        .filter_map(|d| Some((d.file.as_deref()?, d.span.as_ref()?)))
        .collect();
    if spots.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        let (Some(file), Some(span)) = (d.file.as_deref(), d.span.as_ref()) else {
            return true;
        };
        !spots.iter().any(|(f, s)| {
            *f == file
                && s.line == span.line
                && (span.offset..=span.offset + span.len).contains(&s.offset)
        })
    });
}

/// Every registered kind's rules, in registry order.
fn run_rules(files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    for kind in KINDS {
        kind.check(files, out);
    }
}

/// `meta`, `state`, `safety`, `vars` and `environment` may be declared in one file of each
/// source only (every file says `version`); a later `-c` source overrides them.
fn check_single_blocks(files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    for key in config::overlay::BLOCKS {
        let mut first: Option<(&Path, &config::Key)> = None;
        for file in files {
            let Some((k, _)) = file.tree.as_ref().and_then(|t| t.entry(key)) else {
                continue;
            };
            match first {
                None => first = Some((&file.path, k)),
                Some((first_file, first_key)) => {
                    let mut diag = Diagnostic::error(
                        "wacfg::merge::conflict",
                        format!(
                            "`{key}` is declared in {} and again in {}",
                            file_name(first_file),
                            file_name(&file.path)
                        ),
                    )
                    .with_help(format!(
                        "declare `{key}` in one file only (to override it per environment, \
                         put the new value in a later -c source)"
                    ))
                    .at(&file.path, k.span.clone())
                    .with_pointer(format!("/{key}"));
                    diag.related.push(Related {
                        message: "first declared here".to_string(),
                        file: Some(first_file.to_path_buf()),
                        span: Some(first_key.span.clone()),
                    });
                    out.push(diag);
                }
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Sort by file (load order; files that could not be loaded last, by name), line, column,
/// then code: stable, deterministic output.
fn sort(diagnostics: &mut [Diagnostic], files: &[SourceFile]) {
    let rank = |d: &Diagnostic| {
        d.file.as_ref().map_or(0, |f| {
            files
                .iter()
                .position(|s| &s.path == f)
                .map_or(usize::MAX, |i| i + 1)
        })
    };
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                rank(d),
                d.file.clone(),
                d.span.as_ref().map(|s| (s.line, s.column)),
                d.code.clone(),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> SourceFile {
        SourceFile {
            path: PathBuf::from("wacfg.yaml"),
            bytes: bytes.to_vec(),
            tree: None,
        }
    }

    #[test]
    fn line_endings_and_blanks_alone_are_counted_not_called_empty() {
        assert_eq!(
            only_whitespace(&[file(b"\r\r\r")]).as_deref(),
            Some("3 carriage returns")
        );
        assert_eq!(
            only_whitespace(&[file(b"\r\n \n"), file(b"\t\r")]).as_deref(),
            Some("1 carriage return, 1 CRLF line ending, 1 line feed, 2 spaces or tabs")
        );
        // Nothing at all, or a comment: empty as before.
        assert_eq!(only_whitespace(&[file(b"")]), None);
        assert_eq!(only_whitespace(&[]), None);
        assert_eq!(only_whitespace(&[file(b"\r# nothing\r")]), None);
    }
}
