//! Rendering diagnostics: `human` (miette's graphical report, colour only when asked), `json`
//! (an array of flat objects, 1-based line/column) and `github` (workflow commands). Pure
//! functions from data to text; the caller decides where the text goes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity, Span};

/// File contents by path, for snippets. A diagnostic whose file is missing here (or has no
/// file at all) is still rendered, without a snippet.
pub type Sources = BTreeMap<PathBuf, String>;

/// Human format: one miette report per diagnostic, then a count line.
///
/// Linear in the number of diagnostics: each source file is masked and indexed once, and
/// every report borrows it (see [`IndexedSource`]).
pub fn human(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    render_human(diags, sources, color).0
}

/// [`human`], and how many source bytes miette was given to scan for snippets (the work that
/// must grow with the number of diagnostics, not with their number times the file's size).
fn render_human(diags: &[Diagnostic], sources: &Sources, color: bool) -> (String, usize) {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    let diags = &masked(diags)[..];
    let sources: BTreeMap<PathBuf, IndexedSource> = redact(diags, sources)
        .into_iter()
        .map(|(path, text)| {
            let source = IndexedSource::new(path.display().to_string(), text);
            (path, source)
        })
        .collect();
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
    let scanned = sources.values().map(IndexedSource::scanned).sum();
    (out, scanned)
}

/// A source file as every report quotes it: its (masked) text, made once, and where each
/// line starts. miette's `SourceCode` for a string finds a snippet by scanning the text from
/// its first byte on every call (several calls per report), and a `NamedSource` owns its
/// text, so each report used to copy the whole file and scan it: N diagnostics in one file
/// cost N times the file's size (26.7 s for 10,000 typos). Here a report borrows the text,
/// and a snippet is read from a window of the lines around the span, found by binary search;
/// miette's own scanner runs on that window, so the output is the same byte for byte.
struct IndexedSource {
    name: String,
    text: String,
    /// Byte offset where each line starts, breaking lines as miette does (`\n`, `\r\n`, or a
    /// lone `\r`).
    line_starts: Vec<usize>,
    /// Bytes handed to miette's scanner so far.
    scanned: std::sync::atomic::AtomicUsize,
}

impl IndexedSource {
    fn new(name: String, text: String) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            let breaks = *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if breaks {
                line_starts.push(i + 1);
            }
        }
        Self {
            name,
            text,
            line_starts,
            scanned: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The 0-based line holding byte `offset` (the last line for an offset past the end).
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    fn scanned(&self) -> usize {
        self.scanned.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl SourceCode for IndexedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // The window: from `context_lines_before` + 1 lines above the span's first line to two
        // lines past the last line miette may show (its scanner stops there on its own).
        let last_byte = span.offset() + span.len().saturating_sub(1);
        // One line more above: miette treats a zero-length span at the very start of its input
        // apart, so the span must never start the window unless it starts the file.
        let first_line = self
            .line_of(span.offset())
            .saturating_sub(context_lines_before + 1);
        let end_line = self.line_of(last_byte) + context_lines_after + 2;
        let start = self.line_starts[first_line];
        let end = self
            .line_starts
            .get(end_line)
            .copied()
            .unwrap_or(self.text.len());
        let window = &self.text.as_bytes()[start..end];
        self.scanned
            .fetch_add(window.len(), std::sync::atomic::Ordering::Relaxed);
        let local = SourceSpan::new((span.offset().saturating_sub(start)).into(), span.len());
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        // Back to the file's coordinates: the window starts `first_line` lines in.
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + first_line,
            inner.column(),
            inner.line_count() + first_line,
        )))
    }
}

/// Sources with every secret literal masked, so a snippet never shows one: the spans of
/// `wacfg::secret::*` diagnostics, any `token:`/`url:` value that is not a reference, and any
/// value shaped like a secret whatever its key (see [`mask_secret_shapes`]).
fn redact(diags: &[Diagnostic], sources: &Sources) -> Sources {
    // The secret spans by file, gathered in one pass (not one pass per file).
    let mut secret_spans: BTreeMap<&Path, Vec<&Span>> = BTreeMap::new();
    for d in diags
        .iter()
        .filter(|d| d.code.starts_with("wacfg::secret::"))
    {
        if let (Some(file), Some(span)) = (&d.file, &d.span) {
            secret_spans.entry(file.as_path()).or_default().push(span);
        }
    }
    let mut out = Sources::new();
    for (path, text) in sources {
        let mut bytes = mask_secret_shapes(&mask_literal_values(text)).into_bytes();
        for span in secret_spans.get(path.as_path()).into_iter().flatten() {
            let end = (span.offset + span.len).min(bytes.len());
            bytes[span.offset.min(end)..end]
                .iter_mut()
                .for_each(|b| *b = b'*');
        }
        out.insert(path.clone(), String::from_utf8_lossy(&bytes).into_owned());
    }
    out
}

/// The diagnostics with secret-shaped words masked in their messages and help (a message may
/// quote a value); copied only when something is masked.
fn masked(diags: &[Diagnostic]) -> std::borrow::Cow<'_, [Diagnostic]> {
    let mask = |text: &str| {
        let masked = mask_secret_shapes(text);
        (masked != text).then_some(masked)
    };
    let mut out: Option<Vec<Diagnostic>> = None;
    for (i, d) in diags.iter().enumerate() {
        let message = mask(&d.message);
        let help = d.help.as_deref().and_then(mask);
        let related: Vec<Option<String>> = d.related.iter().map(|r| mask(&r.message)).collect();
        if message.is_none() && help.is_none() && related.iter().all(Option::is_none) {
            if let Some(out) = &mut out {
                out.push(d.clone());
            }
            continue;
        }
        let out = out.get_or_insert_with(|| diags[..i].to_vec());
        let mut d = d.clone();
        if let Some(m) = message {
            d.message = m;
        }
        if help.is_some() {
            d.help = help;
        }
        for (r, m) in d.related.iter_mut().zip(related) {
            if let Some(m) = m {
                r.message = m;
            }
        }
        out.push(d);
    }
    match out {
        Some(out) => std::borrow::Cow::Owned(out),
        None => std::borrow::Cow::Borrowed(diags),
    }
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

/// Mask, in place and at the same byte length, every word (a run of non-blank characters)
/// shaped like a secret wherever it stands, and the credentials of URLs
/// (`postgres://user:pass@host` keeps only the scheme and what follows the `@`). A word is
/// secret-shaped when it looks like a Meta access token (`EAA` and at least 20 letters and
/// digits) or holds a long random-looking run of base64/hex characters (see
/// [`random_looking`]). Names, IDs, phone numbers, plain URLs and prose stay as they are.
pub fn mask_secret_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let blank = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..blank]);
        rest = &rest[blank..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        if word_is_secret(word) {
            stars(&mut out, word);
        } else if let Some((head, creds, host)) = url_credentials(word) {
            out.push_str(head);
            stars(&mut out, creds);
            out.push_str(host);
        } else {
            out.push_str(word);
        }
        rest = tail;
    }
    out
}

/// As many `*` as `text` has bytes.
fn stars(out: &mut String, text: &str) {
    out.extend(std::iter::repeat_n('*', text.len()));
}

fn word_is_secret(word: &str) -> bool {
    let core = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if core.len() >= 23
        && core.starts_with("EAA")
        && core.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return true;
    }
    // A URL's host and path are not secrets (its credentials are handled apart).
    if word.contains("://") {
        return false;
    }
    word.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '='))
        .any(random_looking)
}

/// A run of base64/hex characters that is long (24 or more), mixes letters and digits, and
/// switches between them often (at least 4 times and once per 10 characters), as random
/// strings do: `a1B2…` tokens and hex digests, but not `Campaign2024` nor all-digit IDs.
fn random_looking(run: &str) -> bool {
    if run.len() < 24 {
        return false;
    }
    let mut switches = 0;
    let mut last_digit = None;
    let (mut letters, mut digits) = (0, 0);
    for b in run.bytes() {
        let digit = b.is_ascii_digit();
        if digit {
            digits += 1;
        } else if b.is_ascii_alphabetic() {
            letters += 1;
        }
        if last_digit.is_some_and(|d| d != digit) {
            switches += 1;
        }
        last_digit = Some(digit);
    }
    letters > 0 && digits > 0 && switches >= 4 && switches * 10 >= run.len()
}

/// `(scheme://, user:pass, @host…)` of a URL carrying credentials.
fn url_credentials(word: &str) -> Option<(&str, &str, &str)> {
    let start = word.find("://")? + 3;
    let after = &word[start..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let at = after[..authority_end].rfind('@')?;
    if at == 0 {
        return None;
    }
    Some((&word[..start], &after[..at], &after[at..]))
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

/// One diagnostic as miette sees it; it borrows its source file, never copies it.
struct Report<'s> {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<&'s IndexedSource>,
    labels: Vec<LabeledSpan>,
}

impl<'s> Report<'s> {
    fn new(diag: &Diagnostic, sources: &'s BTreeMap<PathBuf, IndexedSource>) -> Self {
        let source = diag.file.as_ref().and_then(|f| sources.get(f));
        let source_text = source.map(|s| s.text.as_str());
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
            source,
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

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
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
        self.source.map(|s| s as &dyn SourceCode)
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
    let diags = &masked(diags)[..];
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
    let diags = &masked(diags)[..];
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

    /// Shaped like a Meta token (what the masking must catch), obviously fake, and split so
    /// that no token-shaped literal sits in the repository.
    const FAKE_META_TOKEN: &str = concat!("EA", "A", "faketokenZZ0123456789NOTREAL");

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
    fn secret_shaped_values_are_masked_wherever_they_stand() {
        let fake_meta = FAKE_META_TOKEN;
        let b64 = "q8Zr3kP1xV7mN2bW9tY4hL6cJ0sD5fG";
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        for secret in [fake_meta, b64, hex] {
            for line in [
                format!("    tokn: {secret}\n"),
                format!("  - \"{secret}\"\n"),
                format!("    description: the key is {secret}, keep it\n"),
            ] {
                let masked = mask_secret_shapes(&line);
                assert!(!masked.contains(secret), "{masked}");
                assert_eq!(masked.len(), line.len());
            }
        }
        let masked = mask_secret_shapes(
            "url2: postgres://wacfg:s3cr3t-not-real@db.example.com:5432/x?a=b\n",
        );
        assert_eq!(
            masked,
            format!(
                "url2: postgres://{}@db.example.com:5432/x?a=b\n",
                "*".repeat("wacfg:s3cr3t-not-real".len())
            )
        );
        assert_eq!(
            mask_secret_shapes("https://someone@host.example.com/"),
            "https://*******@host.example.com/"
        );
        for ordinary in [
            "    - name: Marketing_FR_campaign_2024_spring_edition_v2\n",
            "    business_id: \"1234567890123456\"\n",
            "    whatsapp_business_account: \"102290129340398\"\n",
            "    phone_number: \"+33 6 12 34 56 78\"\n",
            "    callback_url: https://hooks.example.com/whatsapp/acme-2024/inbound\n",
            "    description: Promotions for French customers, spring 2024 (v2)\n",
            "    token: env:WHATSAPP_TOKEN_ACME_FR_15550100001\n",
            "    name: CampaignSpring2024FranceEmailsV2\n",
            "    pointer: /credentials/0/tokn\n",
            "a@b user@example.com ftp://@x\n",
        ] {
            assert_eq!(mask_secret_shapes(ordinary), ordinary);
        }
    }

    #[test]
    fn secret_shaped_words_in_messages_are_masked_in_every_format() {
        let diag = Diagnostic::error(
            "wacfg::schema::type",
            format!("`{FAKE_META_TOKEN}` is not a number"),
        )
        .with_help("postgres://u:notreal-pass@db.example.com/x");
        for text in [
            json(std::slice::from_ref(&diag)),
            github(std::slice::from_ref(&diag)),
            human(std::slice::from_ref(&diag), &Sources::new(), false),
        ] {
            assert!(!text.contains("EAAfake"), "{text}");
            assert!(!text.contains("notreal-pass"), "{text}");
            assert!(text.contains("is not a number"), "{text}");
        }
    }

    #[test]
    fn a_literal_under_a_misspelled_key_is_masked_in_the_snippet() {
        let mut sources = Sources::new();
        let text = format!("credentials:\n  - name: acme_fr\n    tokn: {FAKE_META_TOKEN}\n");
        sources.insert("w.yaml".into(), text);
        let diag = Diagnostic::error("wacfg::schema::unknown_key", "unknown key `tokn`").at(
            "w.yaml",
            Span {
                line: 3,
                column: 5,
                offset: 34,
                len: 4,
            },
        );
        let out = human(&[diag], &sources, false);
        assert!(out.contains("tokn: ****"), "{out}");
        assert!(!out.contains("EAAfake"), "{out}");
        assert!(out.contains("name: acme_fr"), "{out}");
    }

    /// A file of `n` channel configurations, and one diagnostic on each one's name.
    fn many(n: usize) -> (Vec<Diagnostic>, Sources) {
        let mut text = String::from("channel_configurations:\n");
        let mut diags = Vec::new();
        for i in 0..n {
            let line = format!("  - name: 1x{i:06}\n    channel: whatsapp\n");
            let offset = text.len() + 10;
            diags.push(
                Diagnostic::error("wacfg::name::invalid_start", "starts with a digit").at(
                    "w.yaml",
                    Span {
                        line: 2 + 2 * i,
                        column: 11,
                        offset,
                        len: 8,
                    },
                ),
            );
            text.push_str(&line);
        }
        let mut sources = Sources::new();
        sources.insert("w.yaml".into(), text);
        (diags, sources)
    }

    #[test]
    fn snippet_work_grows_linearly_with_the_number_of_diagnostics() {
        let (diags, sources) = many(2_000);
        let (_, once) = render_human(&diags, &sources, false);
        let (diags, sources) = many(4_000);
        let (text, twice) = render_human(&diags, &sources, false);
        assert!(text.contains("1x003999"), "the last snippet is shown");
        // Twice the diagnostics in a file twice as long: about twice the bytes scanned
        // (a scan from the top of the file per snippet would give four times as many).
        assert!(
            twice <= once * 21 / 10,
            "2,000 diagnostics scanned {once} bytes, 4,000 scanned {twice}"
        );
        assert!(twice / 4_000 < 1_000, "a snippet scans its own lines only");
    }

    #[test]
    fn indexed_snippets_are_the_ones_miette_reads_from_the_whole_text() {
        let text = "a: 1\nbb: 2\r\nccc: 3\rdddd: 4\n\n  e: [x, y]\r\n\r\nlast: é\n";
        let whole = miette::NamedSource::new("f.yaml", text.to_string());
        let indexed = IndexedSource::new("f.yaml".into(), text.to_string());
        for offset in 0..=text.len() {
            for len in [0, 1, 3, 12] {
                let span = SourceSpan::new(offset.into(), len);
                for context in [0, 1, 2] {
                    let expected = whole.read_span(&span, context, context);
                    let got = indexed.read_span(&span, context, context);
                    match (expected, got) {
                        (Ok(e), Ok(g)) => {
                            let at = format!("offset {offset} len {len} context {context}");
                            assert_eq!(e.data(), g.data(), "{at}");
                            assert_eq!(e.span(), g.span(), "{at}");
                            assert_eq!(e.line(), g.line(), "{at}");
                            assert_eq!(e.column(), g.column(), "{at}");
                            assert_eq!(e.line_count(), g.line_count(), "{at}");
                            assert_eq!(e.name(), g.name(), "{at}");
                        }
                        (Err(_), Err(_)) => {}
                        (e, g) => panic!(
                            "offset {offset} len {len}: whole text {:?}, indexed {:?}",
                            e.is_ok(),
                            g.is_ok()
                        ),
                    }
                }
            }
        }
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
