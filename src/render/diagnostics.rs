//! Rendering diagnostics: `human` (miette's graphical report, colour only when asked), `json`
//! (an array of flat objects, 1-based line/column) and `github` (workflow commands). Pure
//! functions from data to text; the caller decides where the text goes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity, Span};

/// File contents by path, for snippets. A diagnostic whose file is missing here (or has no
/// file at all) is still rendered, without a snippet.
pub type Sources = BTreeMap<PathBuf, String>;

/// Human format: one miette report per diagnostic, then a count line.
pub fn human(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    let sources = redact(diags, sources);
    let mut out = String::new();
    for diag in diags {
        let report = Report::new(diag, &sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!(
                "{}: {}\n",
                severity_word(diag.severity),
                diag.message
            ));
        }
        out.push('\n');
    }
    out
}

/// Sources with every secret literal masked, so a snippet never shows one: the spans of
/// `wacfg::secret::*` diagnostics, and any `token:`/`url:` value that is not a reference.
fn redact(diags: &[Diagnostic], sources: &Sources) -> Sources {
    let mut out = Sources::new();
    for (path, text) in sources {
        let mut bytes = mask_literal_values(text).into_bytes();
        for d in diags
            .iter()
            .filter(|d| d.code.starts_with("wacfg::secret::") && d.file.as_ref() == Some(path))
        {
            if let Some(span) = &d.span {
                let end = (span.offset + span.len).min(bytes.len());
                bytes[span.offset.min(end)..end]
                    .iter_mut()
                    .for_each(|b| *b = b'*');
            }
        }
        out.insert(path.clone(), String::from_utf8_lossy(&bytes).into_owned());
    }
    out
}

/// Mask `token: <literal>`, `verify_token: <literal>` and `url: <literal>` values line by line
/// (same byte length).
fn mask_literal_values(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            let Some((key, value)) = trimmed.split_once(':') else {
                return line.to_string();
            };
            let value = value.trim().trim_matches(['"', '\'']);
            let secret_key = matches!(key.trim(), "token" | "verify_token" | "url");
            if !secret_key
                || value.is_empty()
                || value.starts_with("env:")
                || value.starts_with("file:")
            {
                return line.to_string();
            }
            let start = line.find(':').map_or(line.len(), |i| i + 1);
            let (head, tail) = line.split_at(start);
            let masked: String = tail
                .chars()
                .map(|c| {
                    if c.is_whitespace() {
                        c.to_string()
                    } else {
                        "*".repeat(c.len_utf8())
                    }
                })
                .collect();
            format!("{head}{masked}")
        })
        .collect()
}

/// "2 errors, 1 warning" (or an empty string when there is nothing).
pub fn counts(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => String::new(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One diagnostic as miette sees it.
struct Report {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
}

impl Report {
    fn new(diag: &Diagnostic, sources: &Sources) -> Self {
        let source_text = diag.file.as_ref().and_then(|f| sources.get(f));
        let mut help = diag.help.clone();
        let mut labels = Vec::new();
        if let (Some(text), Some(span)) = (source_text, &diag.span) {
            labels.push(LabeledSpan::new_primary_with_span(
                Some("here".into()),
                clamp(text, span),
            ));
        }
        for related in &diag.related {
            let same_file = related.file == diag.file;
            match (same_file, source_text, &related.span) {
                (true, Some(text), Some(span)) => {
                    labels.push(LabeledSpan::new_with_span(
                        Some(related.message.clone()),
                        clamp(text, span),
                    ));
                }
                _ => {
                    let place = place(related.file.as_deref(), related.span.as_ref());
                    let note = format!("{}: {place}", related.message);
                    help = Some(match help {
                        Some(h) => format!("{h}\n{note}"),
                        None => note,
                    });
                }
            }
        }
        let location = place(diag.file.as_deref(), diag.span.as_ref());
        let message = if location.is_empty() || source_text.is_some() {
            diag.message.clone()
        } else {
            format!("{location}: {}", diag.message)
        };
        Self {
            message,
            code: diag.code.clone(),
            severity: match diag.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help,
            source: match (&diag.file, source_text) {
                (Some(file), Some(text)) => {
                    Some(NamedSource::new(file.display().to_string(), text.clone()))
                }
                _ => None,
            },
            labels,
        }
    }
}

/// `file:line:column`, or whatever part is known.
fn place(file: Option<&Path>, span: Option<&Span>) -> String {
    match (file, span) {
        (Some(f), Some(s)) if s.line > 0 => format!("{}:{}:{}", f.display(), s.line, s.column),
        (Some(f), _) => f.display().to_string(),
        _ => String::new(),
    }
}

/// A span that fits the text and falls on character boundaries.
fn clamp(text: &str, span: &Span) -> SourceSpan {
    let mut start = span.offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + span.len).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    SourceSpan::new(start.into(), end - start)
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// The JSON shape of one diagnostic.
#[derive(Serialize)]
struct JsonDiag<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    help: Option<&'a str>,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    pointer: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
}

/// JSON format: a pretty-printed array, one object per diagnostic, then a newline.
pub fn json(diags: &[Diagnostic]) -> String {
    let items: Vec<JsonDiag<'_>> = diags
        .iter()
        .map(|d| JsonDiag {
            code: &d.code,
            severity: d.severity,
            message: &d.message,
            help: d.help.as_deref(),
            file: d.file.as_ref().map(|f| f.display().to_string()),
            line: d.span.as_ref().map(|s| s.line),
            column: d.span.as_ref().map(|s| s.column),
            pointer: d.pointer.as_deref(),
            related: d
                .related
                .iter()
                .map(|r| JsonRelated {
                    message: &r.message,
                    file: r.file.as_ref().map(|f| f.display().to_string()),
                    line: r.span.as_ref().map(|s| s.line),
                    column: r.span.as_ref().map(|s| s.column),
                })
                .collect(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}

/// GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=CODE::message`.
pub fn github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let mut props = Vec::new();
        if let Some(file) = &d.file {
            props.push(format!(
                "file={}",
                escape_property(&file.display().to_string())
            ));
        }
        if let Some(span) = d.span.as_ref().filter(|s| s.line > 0) {
            props.push(format!("line={}", span.line));
            props.push(format!("col={}", span.column));
        }
        props.push(format!("title={}", escape_property(&d.code)));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{} {}::{}\n",
            severity_word(d.severity),
            props.join(","),
            escape_data(&message)
        ));
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Diagnostic {
        Diagnostic::error(
            "wacfg::name::invalid_start",
            "credentials name `1x` starts with `1`",
        )
        .with_help("start with a letter")
        .at(
            "w.yaml",
            Span {
                line: 2,
                column: 9,
                offset: 18,
                len: 2,
            },
        )
        .with_pointer("/credentials/0/name")
    }

    #[test]
    fn github_lines_carry_file_line_col_and_code() {
        let text = github(&[sample()]);
        assert_eq!(
            text,
            "::error file=w.yaml,line=2,col=9,title=wacfg%3A%3Aname%3A%3Ainvalid_start::credentials name `1x` starts with `1`%0Ahelp: start with a letter\n"
        );
    }

    #[test]
    fn json_has_one_based_positions_and_pointer() {
        let value: serde_json::Value = serde_json::from_str(&json(&[sample()])).unwrap();
        assert_eq!(value[0]["line"], 2);
        assert_eq!(value[0]["column"], 9);
        assert_eq!(value[0]["pointer"], "/credentials/0/name");
        assert_eq!(value[0]["severity"], "error");
    }

    #[test]
    fn human_renders_snippets_and_diagnostics_without_files() {
        let mut sources = Sources::new();
        sources.insert("w.yaml".into(), "credentials:\n  - name: 1x\n".into());
        let text = human(&[sample()], &sources, false);
        assert!(text.contains("wacfg::name::invalid_start"), "{text}");
        assert!(text.contains("name: 1x"), "{text}");
        assert!(!text.contains('\u{1b}'), "no colour when not asked: {text}");
        let bare = human(
            &[Diagnostic::warning("wacfg::x", "no place")],
            &Sources::new(),
            false,
        );
        assert!(bare.contains("no place"), "{bare}");
        assert!(human(&[sample()], &sources, true).contains('\u{1b}'));
    }
}
