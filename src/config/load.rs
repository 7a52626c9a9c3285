//! Reading configuration files from disk: size and encoding checks, directory listing, and
//! YAML parsing with the hardened parser options. Problems become diagnostics, never panics.

use std::path::{Path, PathBuf};

use serde_saphyr::{DuplicateKeyPolicy, Error as YamlError, Options};

use super::cause;
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

/// Load a file, or every `*.yaml`/`*.yml` entry of a directory in name order.
///
/// In a directory, the name decides: every entry ending in `.yaml` or `.yml` is configuration
/// and must be a readable regular file (or a symbolic link to one); a dangling link, a loop of
/// links, a FIFO, a socket, a device or a subdirectory under such a name is an error, never
/// skipped (skipping it would deactivate its configurations at the next apply). Entries with
/// any other name are ignored whatever they are, and never opened. Subdirectories are not read.
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
                let files: Vec<ReadFile> = paths
                    .into_iter()
                    .map(|p| ReadFile::read(p, Origin::DirectoryEntry))
                    .collect();
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

/// The entries named `*.yaml`/`*.yml`, whatever their type: `ReadFile::read` says why one that
/// is not a readable regular file cannot be used. Nothing is opened or followed here.
fn list_yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Read a file checked to be regular, checking again on the open handle (it may have been
/// replaced since), and never more than the size limit and one byte.
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("it is no longer a regular file"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(
            "it grew over the 16 MiB limit while being read",
        ));
    }
    Ok(bytes)
}

fn io_diag(path: &Path, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "wacfg::load::io",
        format!("cannot read {}: {err}", path.display()),
    )
    .with_help("check the path given with -c/--config (default: wacfg.yaml)")
}

fn load_file(path: &Path, loaded: &mut Loaded) {
    let read = ReadFile::read(path.to_path_buf(), Origin::Given);
    let parsed = read.parse();
    read.record(parsed, loaded);
}

/// Where a path to read came from: given with `-c`, or listed from a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Given,
    DirectoryEntry,
}

/// What following a symbolic link's chain found.
enum Chain {
    /// The last link points at this path, which does not exist.
    Dangling(PathBuf),
    /// The links never reach anything but links.
    Loop,
    /// The chain ends somewhere that exists (the error is about something else).
    Ends,
}

/// Links followed before a chain counts as a loop (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Follow `path`'s chain of symbolic links without opening anything.
fn follow_chain(path: &Path) -> Chain {
    let mut current = path.to_path_buf();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..MAX_LINKS {
        let Ok(target) = std::fs::read_link(&current) else {
            return if std::fs::symlink_metadata(&current).is_ok() {
                Chain::Ends
            } else {
                Chain::Dangling(current)
            };
        };
        current = match current.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
        if !seen.insert(current.clone()) {
            return Chain::Loop;
        }
    }
    Chain::Loop
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Why `path` (whose metadata could not be read through its links) cannot be used.
fn unreadable(path: &Path, err: &std::io::Error, origin: Origin) -> Diagnostic {
    let shown = path.display();
    if is_symlink(path) {
        match follow_chain(path) {
            Chain::Dangling(missing) => {
                return Diagnostic::error(
                    "wacfg::load::dangling_symlink",
                    format!(
                        "{shown} is a symbolic link to {}, which does not exist",
                        missing.display()
                    ),
                )
                .with_help(format!(
                    "restore {} or point the link at the right file; if its configurations are \
                     meant to go, remove the link (an entry that cannot be read is never skipped: \
                     that would deactivate its configurations at the next apply)",
                    missing.display()
                ))
                .at(path, Span::default());
            }
            Chain::Loop => {
                return Diagnostic::error(
                    "wacfg::load::symlink_loop",
                    format!(
                        "{shown} is a symbolic link that never reaches a file: its links form a loop"
                    ),
                )
                .with_help(
                    "point the link at a configuration file, or remove it (an entry that cannot \
                     be read is never skipped: that would deactivate its configurations at the \
                     next apply)",
                )
                .at(path, Span::default());
            }
            Chain::Ends => {}
        }
    }
    match origin {
        Origin::Given => io_diag(path, err),
        Origin::DirectoryEntry => Diagnostic::error(
            "wacfg::load::io",
            format!("cannot read {shown}: {err}"),
        )
        .with_help(
            "make it readable, or move it out of the directory (every *.yaml/*.yml entry of a \
             configuration directory is loaded; one that cannot be read is never skipped)",
        )
        .at(path, Span::default()),
    }
}

/// `path` exists but is not a regular file: it is never opened (a FIFO would block the load).
fn not_a_file(path: &Path, file_type: std::fs::FileType, origin: Origin) -> Diagnostic {
    use std::os::unix::fs::FileTypeExt;
    let what = if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    let link = if is_symlink(path) {
        "a symbolic link to "
    } else {
        ""
    };
    let shown = path.display();
    let (message, help) = match origin {
        Origin::DirectoryEntry if file_type.is_dir() => (
            format!("{shown} is {link}{what}: configuration directories are not read recursively"),
            "move its files up into the configuration directory, or rename it so that its name \
             does not end in .yaml or .yml"
                .to_string(),
        ),
        Origin::DirectoryEntry => (
            format!("{shown} is {link}{what}, not a regular file"),
            "replace it with a regular file (or a link to one), or rename it so that its name \
             does not end in .yaml or .yml"
                .to_string(),
        ),
        Origin::Given => (
            format!("{shown} is {link}{what}, not a regular file"),
            "pass a configuration file or a directory with -c/--config".to_string(),
        ),
    };
    Diagnostic::error("wacfg::load::not_a_file", message)
        .with_help(help)
        .at(path, Span::default())
}

/// A file as read from disk: its bytes, or why they cannot be used (missing, unreadable,
/// not a regular file, too large).
struct ReadFile {
    path: PathBuf,
    bytes: Result<Vec<u8>, Box<Diagnostic>>,
}

/// A file's tree and parse diagnostic, as `parse_bytes` gives them.
type Parsed = (Option<Node>, Option<Diagnostic>);

impl ReadFile {
    fn read(path: PathBuf, origin: Origin) -> ReadFile {
        let bytes = Self::bytes(&path, origin);
        ReadFile { path, bytes }
    }

    /// The file type is checked before the file is opened: only a regular file (or a link to
    /// one) is read, so a FIFO or a device cannot block or flood the load.
    fn bytes(path: &Path, origin: Origin) -> Result<Vec<u8>, Box<Diagnostic>> {
        let metadata =
            std::fs::metadata(path).map_err(|err| Box::new(unreadable(path, &err, origin)))?;
        if !metadata.is_file() {
            return Err(Box::new(not_a_file(path, metadata.file_type(), origin)));
        }
        let size = metadata.len();
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
        read_regular(path).map_err(|err| Box::new(unreadable(path, &err, origin)))
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
    if cause::only_blank_or_comments(text) {
        return (None, None);
    }
    if let Some(node) = super::split::parse(text) {
        return (Some(node), None);
    }
    match serde_saphyr::from_str_with_options::<Node>(text, options()) {
        // serde-saphyr decodes a well-formed `!!binary` silently; wacfg refuses it like any
        // other tag (the scan runs only when the word is there, so plain files pay nothing).
        Ok(_) if text.contains("binary") && cause::binary_tag(text).is_some() => {
            (None, binary_tag_diag(path, text))
        }
        Ok(node) => (Some(node), None),
        Err(err) => (None, Some(yaml_diag(path, text, &err))),
    }
}

/// `!!binary` refused at the tag.
fn binary_tag_diag(path: &Path, text: &str) -> Option<Diagnostic> {
    let tag = cause::binary_tag(text)?;
    Some(
        Diagnostic::error(
            "wacfg::yaml::unsupported_tag",
            "invalid YAML: unsupported tag `!!binary`",
        )
        .with_help("remove the `!tag`: wacfg reads plain YAML values only")
        .at(path, tag),
    )
}

fn not_utf8(path: &Path, bytes: &[u8], err: &std::str::Utf8Error) -> Diagnostic {
    let offset = err.valid_up_to();
    // The bytes before the first invalid one are valid UTF-8.
    let prefix = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let starts = cause::line_starts(prefix);
    let line = starts.len();
    let column = prefix[starts[line - 1]..].chars().count() + 1;
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
    if let Some(diag) = located_cause(path, text, code, &message, &span) {
        return diag;
    }
    Diagnostic::error(code, message)
        .with_help(help)
        .at(path, span)
}

/// The diagnostic at the cause, when the parser noticed it elsewhere (`noticed`): a tab in
/// indentation, a `[`/`{` never closed, a `!!binary` tag.
fn located_cause(
    path: &Path,
    text: &str,
    code: &str,
    message: &str,
    noticed: &Span,
) -> Option<Diagnostic> {
    if code == "wacfg::yaml::tab" {
        let tab = cause::indentation_tab(text, noticed.line)?;
        return Some(
            Diagnostic::error(
                "wacfg::yaml::tab",
                "invalid YAML: a tab indents this line; YAML indentation must be spaces",
            )
            .with_help("replace the tab with spaces, as many as the lines around it use")
            .at(path, tab),
        );
    }
    if message.contains("binary") || message.contains("base64") {
        return binary_tag_diag(path, text);
    }
    if code == "wacfg::yaml::syntax" {
        let (open, bracket) = cause::unclosed_flow(text)?;
        let close = if bracket == '[' { ']' } else { '}' };
        let hint = if noticed.line > 0 {
            format!(
                " (the parser noticed at line {}, column {}: {})",
                noticed.line,
                noticed.column,
                message.trim_start_matches("invalid YAML: ")
            )
        } else {
            String::new()
        };
        return Some(
            Diagnostic::error(
                "wacfg::yaml::unclosed_bracket",
                format!("invalid YAML: this `{bracket}` is never closed"),
            )
            .with_help(format!(
                "add the closing `{close}` where the list or mapping ends{hint}"
            ))
            .at(path, open),
        );
    }
    None
}

/// Byte offsets are only known for some errors; derive them from line/column when missing.
fn fix_offset(text: &str, mut span: Span) -> Span {
    if span.offset == 0 && (span.line > 1 || span.column > 1) {
        // Lines as YAML breaks them (`\r` alone too), as the parser counted them.
        let starts = cause::line_starts(text);
        let line_start = starts
            .get(span.line.saturating_sub(1))
            .copied()
            .unwrap_or(text.len());
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
