//! Reading configuration files from disk: size and encoding checks, directory listing, and
//! YAML parsing with the hardened parser options. Problems become diagnostics, never panics.

use std::path::{Path, PathBuf};

use serde_saphyr::{DuplicateKeyPolicy, Error as YamlError, Options};

use super::node::{Node, span_of};
use crate::diag::{Diagnostic, Span};

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Alias replay budget: generous for real files, fatal for alias bombs.
const MAX_REPLAYED_EVENTS: usize = 100_000;
const MAX_EXPANSIONS_PER_ANCHOR: usize = 1_000;

/// One file as read: its path, raw bytes (for the digest) and its parsed tree when it parsed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub tree: Option<Node>,
}

/// Everything loaded from `-c PATH`.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The directory relative paths in the configuration are resolved against.
    pub base_dir: PathBuf,
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Load a file, or every `*.yaml`/`*.yml` file of a directory in name order.
pub fn load_path(path: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    if path.is_dir() {
        loaded.base_dir = path.to_path_buf();
        match list_yaml_files(path) {
            Ok(paths) if paths.is_empty() => loaded.diagnostics.push(
                Diagnostic::error(
                    "wacfg::load::empty_directory",
                    format!("{} contains no *.yaml or *.yml file", path.display()),
                )
                .with_help("put the configuration in a .yaml file, or pass the file with -c"),
            ),
            Ok(paths) => {
                let files: Vec<ReadFile> = paths.into_iter().map(ReadFile::read).collect();
                for (parsed, file) in parse_all(&files).into_iter().zip(files) {
                    file.record(parsed, &mut loaded);
                }
            }
            Err(err) => loaded.diagnostics.push(io_diag(path, &err)),
        }
    } else {
        loaded.base_dir = parent_dir(path);
        load_file(path, &mut loaded);
    }
    loaded
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn list_yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn io_diag(path: &Path, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "wacfg::load::io",
        format!("cannot read {}: {err}", path.display()),
    )
    .with_help("check the path given with -c/--config (default: wacfg.yaml)")
}

fn load_file(path: &Path, loaded: &mut Loaded) {
    let read = ReadFile::read(path.to_path_buf());
    let parsed = read.parse();
    read.record(parsed, loaded);
}

/// A file as read from disk: its bytes, or why they cannot be used (missing, unreadable,
/// too large).
struct ReadFile {
    path: PathBuf,
    bytes: Result<Vec<u8>, Box<Diagnostic>>,
}

/// A file's tree and parse diagnostic, as `parse_bytes` gives them.
type Parsed = (Option<Node>, Option<Diagnostic>);

impl ReadFile {
    fn read(path: PathBuf) -> ReadFile {
        let bytes = Self::bytes(&path);
        ReadFile { path, bytes }
    }

    fn bytes(path: &Path) -> Result<Vec<u8>, Box<Diagnostic>> {
        let io = |err: std::io::Error| Box::new(io_diag(path, &err));
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_FILE_BYTES {
            return Err(Box::new(
                Diagnostic::error(
                    "wacfg::load::too_large",
                    format!(
                        "{} is {size} bytes; configuration files are limited to 16 MiB",
                        path.display()
                    ),
                )
                .with_help("split the configuration into several files in a directory")
                .at(path, Span::default()),
            ));
        }
        std::fs::read(path).map_err(io)
    }

    fn size(&self) -> usize {
        self.bytes.as_ref().map_or(0, Vec::len)
    }

    fn parse(&self) -> Option<Parsed> {
        let bytes = self.bytes.as_ref().ok()?;
        Some(parse_bytes(&self.path, bytes))
    }

    /// Add the file to `loaded`: its read error, or its bytes, tree and parse diagnostic.
    fn record(self, parsed: Option<Parsed>, loaded: &mut Loaded) {
        match self.bytes {
            Err(diag) => loaded.diagnostics.push(*diag),
            Ok(bytes) => {
                let (tree, diag) = parsed.unwrap_or_default();
                loaded.diagnostics.extend(diag);
                loaded.files.push(SourceFile {
                    path: self.path,
                    bytes,
                    tree,
                });
            }
        }
    }
}

/// Parse every file that was read, in order; when there is enough to share, on every core
/// (each worker takes a run of consecutive files of about equal total size).
fn parse_all(files: &[ReadFile]) -> Vec<Option<Parsed>> {
    let total: usize = files.iter().map(ReadFile::size).sum();
    let cores = super::split::cores();
    if cores < 2 || files.len() < 2 || total < super::split::PARALLEL_MIN_BYTES {
        return files.iter().map(ReadFile::parse).collect();
    }
    let share = total.div_ceil(cores);
    let mut runs: Vec<&[ReadFile]> = Vec::new();
    let (mut start, mut filled) = (0, 0);
    for (i, file) in files.iter().enumerate() {
        filled += file.size();
        if filled >= share || i + 1 == files.len() {
            runs.push(&files[start..=i]);
            (start, filled) = (i + 1, 0);
        }
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = runs
            .iter()
            .map(|run| scope.spawn(move || run.iter().map(ReadFile::parse).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// The parser options: YAML 1.2 booleans only, duplicate keys and unknown tags refused,
/// aliases budgeted.
fn options() -> Options {
    let mut options = Options::default();
    options.strict_booleans = true;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.reject_unsupported_tags = true;
    options.with_snippet = false;
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    options.alias_limits.max_alias_expansions_per_anchor = MAX_EXPANSIONS_PER_ANCHOR;
    // The default budget counts 250,000 nodes: a real file of 10,000+ channel configurations
    // gets close. Size the budget to the 16 MiB limit instead (a node takes at least 2 bytes).
    if let Some(budget) = options.budget.as_mut() {
        budget.max_nodes = 8_000_000;
        budget.max_events = 16_000_000;
        // A configuration nests 4 levels deep; a low limit also keeps the recursive
        // deserializer far from the stack's end, even in a debug build on a test thread.
        budget.max_depth = 16;
    }
    options
}

/// Parse with serde-saphyr's hardened options only (no fast path): the reference behaviour.
pub fn parse_strict(text: &str) -> Result<Node, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options::<Node>(text, options())
}

/// Parse one file's bytes into a tree, or say why it cannot be. Plain files take the fast
/// path; anything unusual is decided by serde-saphyr.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> (Option<Node>, Option<Diagnostic>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => return (None, Some(not_utf8(path, bytes, &err))),
    };
    if text.trim().is_empty() || only_comments(text) {
        return (None, None);
    }
    if let Some(node) = super::split::parse(text) {
        return (Some(node), None);
    }
    match serde_saphyr::from_str_with_options::<Node>(text, options()) {
        Ok(node) => (Some(node), None),
        Err(err) => (None, Some(yaml_diag(path, text, &err))),
    }
}

fn only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---"
    })
}

fn not_utf8(path: &Path, bytes: &[u8], err: &std::str::Utf8Error) -> Diagnostic {
    let offset = err.valid_up_to();
    let prefix = &bytes[..offset];
    let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = prefix
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&prefix[line_start..])
        .chars()
        .count()
        + 1;
    Diagnostic::error(
        "wacfg::load::not_utf8",
        format!("the file is not valid UTF-8 (invalid byte at offset {offset})"),
    )
    .with_help("save the file as UTF-8")
    .at(
        path,
        Span {
            line,
            column,
            offset,
            len: 1,
        },
    )
}

fn yaml_diag(path: &Path, text: &str, err: &YamlError) -> Diagnostic {
    let (code, help) = classify(err);
    let mut message = clean_message(&err.without_snippet().to_string());
    if code == "wacfg::yaml::budget" && message.contains("Depth") {
        message = "invalid YAML: nested more than 16 levels deep".to_string();
    }
    let span = err.location().map(|l| span_of(&l)).unwrap_or_default();
    let span = fix_offset(text, span);
    Diagnostic::error(code, message)
        .with_help(help)
        .at(path, span)
}

/// Byte offsets are only known for some errors; derive them from line/column when missing.
fn fix_offset(text: &str, mut span: Span) -> Span {
    if span.offset == 0 && (span.line > 1 || span.column > 1) {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(span.line - 1)
            .map(str::len)
            .sum();
        let col: usize = text[line_start..]
            .chars()
            .take(span.column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        span.offset = (line_start + col).min(text.len());
    }
    span
}

fn classify(err: &YamlError) -> (&'static str, &'static str) {
    let text = err.without_snippet().to_string().to_lowercase();
    if matches!(err, YamlError::DuplicateMappingKey { .. }) || text.contains("duplicate") {
        (
            "wacfg::yaml::duplicate_key",
            "remove one of the two entries: each key may appear once per mapping",
        )
    } else if text.contains("alias") {
        (
            "wacfg::yaml::alias_budget",
            "aliases expand to too much data: write the values out, or use fewer nested aliases",
        )
    } else if text.contains("budget") || text.contains("depth") || text.contains("nesting") {
        (
            "wacfg::yaml::budget",
            "the document is too large or too deeply nested for a configuration: simplify it",
        )
    } else if text.contains("tag") {
        (
            "wacfg::yaml::unsupported_tag",
            "remove the `!tag`: wacfg reads plain YAML values only",
        )
    } else if text.contains("multiple yaml documents") {
        (
            "wacfg::yaml::multiple_documents",
            "keep one document per file (remove `---`), or split it into files in a directory",
        )
    } else if text.contains("tab") {
        (
            "wacfg::yaml::tab",
            "indent with spaces: YAML does not allow tabs for indentation",
        )
    } else {
        (
            "wacfg::yaml::syntax",
            "fix the YAML syntax at this place (check indentation, quotes and brackets)",
        )
    }
}

/// serde-saphyr appends the position to its messages; ours carry it separately.
fn clean_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    let cut = first.find(" at line ").map_or(first, |i| &first[..i]);
    let cut = cut.strip_prefix("error: ").unwrap_or(cut);
    // Hints aimed at Rust programmers, not at people editing the file.
    let cut = cut.split(", set DuplicateKeyPolicy").next().unwrap_or(cut);
    let cut = cut.split("; use from_str_multiple").next().unwrap_or(cut);
    format!("invalid YAML: {cut}")
}
