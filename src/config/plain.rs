//! The quickest path, tried before the parser's events (`fast.rs`): a reader for the plainest
//! layout a configuration file has — block mappings and sequences indented with spaces, one
//! value per line (plain, single- or double-quoted without escapes, or a flow collection
//! closed on the same line), comments — that builds the tree straight from the text, with
//! the spans the parser gives. Anything else (tabs, anchors, tags, block scalars, empty
//! values, a value over several lines, escapes, unusual keys or characters, deep nesting) is
//! `None`, and the parser decides. So it never accepts more than the parser; property tests
//! check that where it answers, it builds the parser's tree exactly.

use std::borrow::Cow;

use serde_saphyr::granit_parser::ScalarStyle;

use super::fast::{MAX_DEPTH, Origin, Piece, resolve};
use super::node::{Key, Node, Value};
use crate::diag::Span;

/// The tree of a piece of a file that starts at a line boundary, or `None`.
pub fn parse_piece(text: &str, origin: Origin) -> Option<Piece> {
    if !plain_characters(text) {
        return None;
    }
    let mut reader = Reader {
        text,
        ascii: text.is_ascii(),
        origin,
        pos: 0,
        number: 0,
    };
    let first = reader.peek()?;
    let tree = reader.block(first, first.start + first.indent, 0)?;
    // Everything was read: nothing but blank lines and comments may follow.
    reader.peek().is_none().then_some(Piece {
        tree,
        ends_open: false,
    })
}

/// No tab, carriage return, control character, byte-order mark or non-character anywhere:
/// those have rules of their own.
fn plain_characters(text: &str) -> bool {
    let ascii_ok = |b: u8| (b' '..0x7f).contains(&b) || b == b'\n';
    if text.bytes().all(ascii_ok) {
        return true;
    }
    text.chars().all(|c| {
        if c.is_ascii() {
            ascii_ok(c as u8)
        } else {
            !matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
        }
    })
}

/// One line with content (not blank, not only a comment).
#[derive(Debug, Clone, Copy)]
struct Line {
    /// Lines of the piece before it.
    number: usize,
    /// Byte offset of its first character, and of its end (before the `\n`).
    start: usize,
    end: usize,
    /// Spaces before its content.
    indent: usize,
}

struct Reader<'t> {
    text: &'t str,
    /// Whether every character is one byte: then a column is a byte count.
    ascii: bool,
    origin: Origin,
    /// Where the first line not read yet starts, and its number.
    pos: usize,
    number: usize,
}

/// Characters that cannot start a plain scalar here (YAML's indicators).
const INDICATORS: &[u8] = b"-?:,[]{}#&*!|>'\"%@`";

impl<'t> Reader<'t> {
    /// The next line with content, not consumed.
    fn peek(&self) -> Option<Line> {
        let (mut pos, mut number) = (self.pos, self.number);
        while pos < self.text.len() {
            let end = self.text[pos..]
                .find('\n')
                .map_or(self.text.len(), |i| pos + i);
            let line = &self.text[pos..end];
            let indent = line.len() - line.trim_start_matches(' ').len();
            let rest = &line[indent..];
            if !rest.is_empty() && !rest.starts_with('#') {
                return Some(Line {
                    number,
                    start: pos,
                    end,
                    indent,
                });
            }
            pos = end + 1;
            number += 1;
        }
        None
    }

    /// Mark `line` read.
    fn consume(&mut self, line: Line) {
        self.pos = (line.end + 1).min(self.text.len());
        self.number = line.number + 1;
    }

    fn span(&self, line: Line, at: usize, len: usize) -> Span {
        Span {
            line: line.number + 1 + self.origin.lines,
            column: if self.ascii {
                at - line.start + 1
            } else {
                self.text[line.start..at].chars().count() + 1
            },
            offset: at + self.origin.offset,
            len,
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// A block sequence or mapping whose first item or key is at `at` on `line`.
    fn block(&mut self, line: Line, at: usize, depth: usize) -> Option<Node> {
        if depth + self.origin.depth + 2 >= MAX_DEPTH {
            return None;
        }
        if self.byte(at) == Some(b'-')
            && matches!(self.byte(at + 1), Some(b' ') | Some(b'\n') | None)
        {
            self.sequence(line, at, depth)
        } else {
            self.mapping(line, at, depth)
        }
    }

    fn sequence(&mut self, mut line: Line, mut at: usize, depth: usize) -> Option<Node> {
        let column = at - line.start;
        let span = self.span(line, at, 0);
        let mut items = Vec::new();
        loop {
            let item = at + 1 + self.text[at + 1..line.end].len()
                - self.text[at + 1..line.end].trim_start_matches(' ').len();
            if item >= line.end || self.byte(item) == Some(b'#') {
                return None; // the item's value on the next lines, or empty
            }
            if self.byte(item) == Some(b'-') {
                return None; // a sequence in a sequence on one line
            }
            let node = if self.key_at(line, item).is_some() {
                self.mapping(line, item, depth + 1)?
            } else {
                self.inline(line, item, depth + 1)?
            };
            items.push(node);
            match self.peek() {
                Some(next) if next.indent == column => {
                    at = next.start + column;
                    if self.byte(at) != Some(b'-')
                        || !matches!(self.byte(at + 1), Some(b' ') | Some(b'\n') | None)
                    {
                        return None;
                    }
                    line = next;
                }
                Some(next) if next.indent > column => return None,
                _ => break,
            }
        }
        Some(Node {
            value: Value::Seq(items),
            span,
        })
    }

    /// A plain key at `at` followed by `:` and a space or the line's end: its end.
    fn key_at(&self, line: Line, at: usize) -> Option<usize> {
        let bytes = &self.text.as_bytes()[at..line.end];
        let first = *bytes.first()?;
        if !(first.is_ascii_alphanumeric() || first == b'_') {
            return None;
        }
        let len = bytes
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || b"_.-/".contains(b)))?;
        (bytes[len] == b':' && matches!(bytes.get(len + 1), Some(b' ') | None)).then_some(at + len)
    }

    /// A key as the parser reads it: a string that is not a merge key, not seen before.
    fn key(&self, line: Line, at: usize, end: usize, seen: &[(Key, Node)]) -> Option<Key> {
        let text = &self.text[at..end];
        if text == "<<" || seen.iter().any(|(k, _)| k.name == text) {
            return None;
        }
        match resolve(Cow::Borrowed(text), ScalarStyle::Plain)? {
            Value::String(name) => Some(Key {
                name,
                span: self.span(line, at, end - at),
            }),
            _ => None,
        }
    }

    fn mapping(&mut self, mut line: Line, mut at: usize, depth: usize) -> Option<Node> {
        let column = at - line.start;
        let span = self.span(line, at, 0);
        let mut entries: Vec<(Key, Node)> = Vec::new();
        loop {
            let end = self.key_at(line, at)?;
            let key = self.key(line, at, end, &entries)?;
            let value_at = end + 1 + self.text[end + 1..line.end].len()
                - self.text[end + 1..line.end].trim_start_matches(' ').len();
            let value = if value_at >= line.end || self.byte(value_at) == Some(b'#') {
                // The value is the block on the next lines, indented deeper.
                if value_at < line.end && self.byte(value_at - 1) != Some(b' ') {
                    return None;
                }
                self.consume(line);
                let next = self.peek()?;
                if next.indent <= column {
                    return None; // empty, or a sequence at the key's own indentation
                }
                self.block(next, next.start + next.indent, depth + 1)?
            } else {
                if self.byte(value_at) == Some(b'-') || self.key_at(line, value_at).is_some() {
                    return None;
                }
                self.inline(line, value_at, depth + 1)?
            };
            entries.push((key, value));
            match self.peek() {
                Some(next) if next.indent == column => {
                    line = next;
                    at = next.start + column;
                }
                Some(next) if next.indent > column => return None,
                _ => break,
            }
        }
        Some(Node {
            value: Value::Map(entries),
            span,
        })
    }

    /// A value that ends on its own line: a flow collection, a quoted or a plain scalar.
    /// Consumes the line.
    fn inline(&mut self, line: Line, at: usize, depth: usize) -> Option<Node> {
        let (node, end) = match self.byte(at)? {
            b'[' | b'{' | b'"' | b'\'' => self.flow(line, at, depth)?,
            _ => {
                let raw = &self.text[at..line.end];
                let raw = raw
                    .find(" #")
                    .map_or(raw, |i| &raw[..i])
                    .trim_end_matches(' ');
                if raw.contains(": ")
                    || raw.ends_with(':')
                    || INDICATORS.contains(&raw.as_bytes()[0])
                {
                    return None;
                }
                let node = Node {
                    value: resolve(Cow::Borrowed(raw), ScalarStyle::Plain)?,
                    span: self.span(line, at, raw.len()),
                };
                (node, at + raw.len())
            }
        };
        let rest = &self.text[end..line.end];
        let trimmed = rest.trim_start_matches(' ');
        if !(trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())) {
            return None;
        }
        self.consume(line);
        Some(node)
    }

    /// A node inside a flow collection (or a quoted scalar), all on `line`: the node and
    /// where it ends.
    fn flow(&self, line: Line, at: usize, depth: usize) -> Option<(Node, usize)> {
        if depth + self.origin.depth + 2 >= MAX_DEPTH {
            return None;
        }
        match self.byte(at)? {
            b'"' => {
                let body = &self.text[at + 1..line.end];
                let close = body.find('"')?;
                if body[..close].contains('\\') {
                    return None;
                }
                let value = resolve(Cow::Borrowed(&body[..close]), ScalarStyle::DoubleQuoted)?;
                let end = at + close + 2;
                Some((
                    Node {
                        value,
                        span: self.span(line, at, end - at),
                    },
                    end,
                ))
            }
            b'\'' => {
                let bytes = self.text.as_bytes();
                let mut i = at + 1;
                let mut escaped = false;
                loop {
                    if i >= line.end {
                        return None;
                    }
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') && i + 1 < line.end {
                            escaped = true;
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                let body = &self.text[at + 1..i];
                let text = if escaped {
                    Cow::Owned(body.replace("''", "'"))
                } else {
                    Cow::Borrowed(body)
                };
                let value = resolve(text, ScalarStyle::SingleQuoted)?;
                Some((
                    Node {
                        value,
                        span: self.span(line, at, i + 1 - at),
                    },
                    i + 1,
                ))
            }
            open @ (b'[' | b'{') => self.collection(line, at, open == b'{', depth),
            _ => self.flow_plain(line, at),
        }
    }

    fn skip_spaces(&self, mut at: usize, line: Line) -> usize {
        while at < line.end && self.byte(at) == Some(b' ') {
            at += 1;
        }
        at
    }

    /// `[a, b]` or `{k: v, …}` closed on the same line.
    fn collection(&self, line: Line, at: usize, map: bool, depth: usize) -> Option<(Node, usize)> {
        let close = if map { b'}' } else { b']' };
        let mut items = Vec::new();
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut pos = self.skip_spaces(at + 1, line);
        if self.byte(pos) != Some(close) {
            loop {
                if map {
                    let end = self.key_at(line, pos)?;
                    let key = self.key(line, pos, end, &entries)?;
                    let value_at = self.skip_spaces(end + 1, line);
                    let (value, end) = self.flow(line, value_at, depth + 1)?;
                    entries.push((key, value));
                    pos = end;
                } else {
                    let (item, end) = self.flow(line, pos, depth + 1)?;
                    items.push(item);
                    pos = end;
                }
                pos = self.skip_spaces(pos, line);
                match self.byte(pos) {
                    Some(b',') if pos < line.end => {
                        pos = self.skip_spaces(pos + 1, line);
                        if pos >= line.end || self.byte(pos) == Some(close) {
                            return None; // a trailing comma, or the collection goes on below
                        }
                    }
                    Some(b) if b == close && pos < line.end => break,
                    _ => return None,
                }
            }
        }
        let value = if map {
            Value::Map(entries)
        } else {
            Value::Seq(items)
        };
        Some((
            Node {
                value,
                span: self.span(line, at, 1),
            },
            pos + 1,
        ))
    }

    /// A plain scalar inside a flow collection: up to `,`, `]` or `}`.
    fn flow_plain(&self, line: Line, at: usize) -> Option<(Node, usize)> {
        let bytes = &self.text.as_bytes()[at..line.end];
        if bytes.is_empty() || INDICATORS.contains(&bytes[0]) {
            return None;
        }
        let len = bytes
            .iter()
            .position(|b| b",[]{}".contains(b))
            .unwrap_or(bytes.len());
        let raw = self.text[at..at + len].trim_end_matches(' ');
        if raw.contains(':') || raw.contains(" #") {
            return None;
        }
        let node = Node {
            value: resolve(Cow::Borrowed(raw), ScalarStyle::Plain)?,
            span: self.span(line, at, raw.len()),
        };
        Some((node, at + raw.len()))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::fast::{Origin, events};
    use super::parse_piece;

    /// Where this reader answers, the parser's events build the same tree (spans included).
    fn agrees(text: &str) -> Result<bool, TestCaseError> {
        let Some(plain) = parse_piece(text, Origin::default()) else {
            return Ok(false);
        };
        let events = events(text, Origin::default());
        prop_assert!(events.is_some(), "only the plain reader accepts:\n{text}");
        prop_assert_eq!(&plain.tree, &events.unwrap().tree, "{}", text);
        prop_assert!(!plain.ends_open);
        Ok(true)
    }

    #[test]
    fn reads_the_plain_layouts_as_the_parser_does() {
        let texts = [
            "version: 1   # c\ncredentials:\n  - name: acme_fr\n    token: 'env:X''y'\n    business_id: \"1234567890123456\"\n",
            "a:\n    b:\n       c: 1\n    d: [x, \"y z\" , {k: v}, [], {}]\n# end\n",
            "list:\n  -   b c  \n  - {type: URL, text: \"Details\", url: \"https://acme.example/o/{{1}}\"}\n  -   key: v\n      other:   w   \n",
            "  - name: piece\n    x: Olá, ça va {{1}}\n  - n: 2\n",
            "k: -1\nl: 007\nm: 0x1F\nn: 1.5\no: true\np: ~\nq: .inf\n",
        ];
        for text in texts {
            agrees(text).unwrap();
        }
        // The layouts it must read itself, not leave to the parser.
        for text in &texts[..4] {
            assert!(parse_piece(text, Origin::default()).is_some(), "{text}");
        }
        for file in ["full.yaml", "minimal.yaml", "templates.yaml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(file);
            let text = std::fs::read_to_string(path).unwrap();
            agrees(&text).unwrap();
        }
    }

    #[test]
    fn leaves_everything_else_to_the_parser() {
        for text in [
            "a:\n- b\n",           // a sequence at its key's indentation
            "a:\n  b: 1\n c: 2\n", // unusual indentation
            "a: b\n  c\n",         // a value over two lines
            "a: \"x\\ty\"\n",      // an escape
            "a: |\n  x\n",         // a block scalar
            "a: &x 1\nb: *x\n",    // an anchor and an alias
            "a: !!str 1\n",        // a tag
            "a:\n",                // an empty value
            "a: 1\na: 2\n",        // a duplicate key
            "<<: {a: 1}\n",        // a merge key
            "a: [1,\n  2]\n",      // a flow collection over two lines
            "a: b: c\n",           // a mapping where a value is
            "a:\tb\n",             // a tab
            "a: b\r\n",            // a carriage return
            "---\na: 1\n",         // a document marker
            "1: a\n",              // a key that is not a string
            "? a\n: b\n",          // a complex key
            "a: [b,]\n",           // a trailing comma
            "a: \u{feff}\"b\"\n",  // a byte-order mark inside the file
            "a: b\u{85}c\n",       // a next-line character
            "a: b\u{2028}c\n",     // a line separator
            "a: b\u{7f}\n",        // a control character
        ] {
            assert!(parse_piece(text, Origin::default()).is_none(), "{text:?}");
        }
    }

    /// Lines of a configuration-like file: keys, sequences, every scalar style, flow
    /// collections, comments, at assorted indentations.
    fn line() -> impl Strategy<Value = String> {
        let indent = (0..4usize).prop_map(|n| " ".repeat(n * 2));
        let key =
            prop::sample::select(&["a", "b", "name", "en_US", "x-y", "1", "true", "<<", "a.b"][..]);
        let scalar = prop::sample::select(
            &[
                "v",
                "a b",
                "1",
                "-1",
                "1.5",
                "0x1F",
                "true",
                "null",
                "~",
                "\"q\"",
                "\"a\\tb\"",
                "'s''t'",
                "'u'",
                "[]",
                "{}",
                "[a, \"b\", {k: v}]",
                "{k: v, l: [1, 2]}",
                "{k: v,}",
                "x # c",
                "x#y",
                "{{1}}",
                "Olá",
                "http://a/b",
                "a: b",
                "&a x",
                "*a",
                "!t x",
                "|",
                "a\u{feff}b",
                "x\u{85}y",
                "\u{2028}",
                "b\u{7f}",
                "- z",
                "'",
                "\"",
                "[a",
                "{k: v",
            ][..],
        );
        prop_oneof![
            (indent.clone(), key.clone(), scalar.clone())
                .prop_map(|(i, k, v)| format!("{i}{k}: {v}")),
            (indent.clone(), key.clone()).prop_map(|(i, k)| format!("{i}{k}:")),
            (indent.clone(), scalar.clone()).prop_map(|(i, v)| format!("{i}- {v}")),
            (indent.clone(), key, scalar).prop_map(|(i, k, v)| format!("{i}- {k}: {v}")),
            indent.clone().prop_map(|i| format!("{i}# comment")),
            Just(String::new()),
        ]
    }

    /// A generated document: scalars as written, mappings, sequences.
    #[derive(Debug, Clone)]
    enum Doc {
        Scalar(&'static str),
        Map(Vec<(&'static str, Doc)>),
        Seq(Vec<Doc>),
    }

    const SCALARS: &[&str] = &[
        "v",
        "a b",
        "1",
        "-1",
        "007",
        "1.5",
        "true",
        "null",
        "~",
        "\"q\"",
        "\"a\\tb\"",
        "'s''t'",
        "''",
        "\"\"",
        "[]",
        "{}",
        "[a, \"b\", {k: v}]",
        "{k: v, l: [1, 2]}",
        "x # c",
        "x#y",
        "Hi {{1}}, ok",
        "Olá ça",
        "\"https://a/o/{{1}}\"",
        "[\"#1\", 'x']",
        "{a: {b: [c]}}",
    ];
    const KEYS: &[&str] = &["a", "b", "name", "en_US", "x-y", "a.b", "body"];

    fn doc() -> impl Strategy<Value = Doc> {
        let leaf = prop::sample::select(SCALARS).prop_map(Doc::Scalar);
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 1..5)
                    .prop_map(Doc::Map),
                prop::collection::vec(inner, 1..4).prop_map(Doc::Seq),
            ]
        })
    }

    /// `doc` in block layout at `indent`, nested ones `step` deeper, with `gap` spaces after
    /// each `-`. `first` is written before the first line instead of its indentation.
    fn render(doc: &Doc, indent: usize, step: usize, gap: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match doc {
            Doc::Scalar(s) => {
                out.push_str(&pad);
                out.push_str(s);
                out.push('\n');
            }
            Doc::Map(entries) => {
                for (k, v) in entries {
                    match v {
                        Doc::Scalar(s) => out.push_str(&format!("{pad}{k}: {s}\n")),
                        _ => {
                            out.push_str(&format!("{pad}{k}:  # nested\n"));
                            render(v, indent + step, step, gap, out);
                        }
                    }
                }
            }
            Doc::Seq(items) => {
                for item in items {
                    let dash = format!("{pad}-{}", " ".repeat(gap));
                    let mut inner = String::new();
                    render(item, indent + 1 + gap, step, gap, &mut inner);
                    // The item's first line goes on the dash's line.
                    out.push_str(&dash);
                    out.push_str(&inner[indent + 1 + gap..]);
                }
            }
        }
    }

    /// Whether `doc` is in the layout read here, not left to the parser: no sequence right
    /// inside a sequence, no value starting with `-`, no comment or escape in a value.
    fn reads_itself(doc: &Doc) -> bool {
        match doc {
            Doc::Scalar(s) => !s.starts_with('-') && !s.contains(['#', '\\']),
            Doc::Map(entries) => entries.iter().all(|(_, v)| reads_itself(v)),
            Doc::Seq(items) => items
                .iter()
                .all(|i| !matches!(i, Doc::Seq(_)) && reads_itself(i)),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn agrees_with_the_parser_on_generated_documents(
            doc in doc(),
            step in 1..5usize,
            gap in 1..4usize,
            start in 0..3usize,
        ) {
            let root = match doc {
                Doc::Scalar(_) => Doc::Map(vec![("a", doc)]),
                other => other,
            };
            let mut text = String::new();
            render(&root, start * 2, step, gap, &mut text);
            let accepted = agrees(&text)?;
            if reads_itself(&root) && events(&text, Origin::default()).is_some() {
                prop_assert!(accepted, "left to the parser:\n{}", text);
            }
        }

        #[test]
        fn agrees_with_the_parser_on_generated_lines(lines in prop::collection::vec(line(), 1..12)) {
            let text = lines.join("\n") + "\n";
            agrees(&text)?;
        }
    }
}
