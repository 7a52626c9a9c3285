//! A fast path for the common case: build the tree straight from the parser's events (the
//! parser serde-saphyr itself uses), for plain well-formed files. Anything unusual — an alias,
//! a tag, a duplicate key, a merge key (`<<`), a second document, a scalar whose type is not obvious, a parse
//! error — returns `None`, and the caller parses with serde-saphyr's hardened options, which
//! decides and reports. So this path never accepts what the strict parser would refuse; a test
//! checks that both paths build the same tree.

use std::borrow::Cow;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::node::{Key, Node, Value};
use crate::diag::Span;

/// Below serde-saphyr's nesting budget (16), so deep files always take the strict path.
pub(super) const MAX_DEPTH: usize = 12;

enum Frame {
    Seq(Vec<Node>, Span),
    Map(Vec<(Key, Node)>, Span, Option<Key>),
}

/// Where a piece of a file starts, so spans of a piece parsed on its own point into the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    /// Byte offset of the piece in the file.
    pub offset: usize,
    /// Lines of the file before the piece.
    pub lines: usize,
    /// How deeply the piece's root is nested in the file (for the nesting budget).
    pub depth: usize,
}

/// The tree, or `None` when the strict parser must decide.
pub fn parse(text: &str) -> Option<Node> {
    parse_piece(text, Origin::default()).map(|piece| piece.tree)
}

/// A piece's tree, and whether its last scalar is open-ended: empty, or a block scalar
/// (`|`, `>`). Where such a scalar's span ends depends on the token after it, which a piece
/// parsed on its own does not see.
pub struct Piece {
    pub tree: Node,
    pub ends_open: bool,
}

/// The tree of a piece of a file that starts at a line boundary (see `split.rs`): read
/// straight from the text when its layout is plain enough (`plain.rs`), else from the
/// parser's events.
pub fn parse_piece(text: &str, origin: Origin) -> Option<Piece> {
    super::plain::parse_piece(text, origin).or_else(|| events(text, origin))
}

/// The tree of a piece built from the parser's events.
pub(super) fn events(text: &str, origin: Origin) -> Option<Piece> {
    let mut ends_open = false;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.ok()?;
        if stack.len() + origin.depth >= MAX_DEPTH {
            return None; // serde-saphyr's budget refuses deep nesting; let it say so
        }
        let span = convert(&span, origin)?;
        let node = match event {
            // The parser is built without its `comments` feature (Cargo.toml): comments are
            // skipped by the scanner and never reach here as events.
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {
                continue;
            }
            Event::Anchor(..) => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => return None,
            Event::SequenceStart(_, _, tag) | Event::MappingStart(_, _, tag) if tag.is_some() => {
                return None;
            }
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(Vec::new(), span));
                continue;
            }
            Event::MappingStart(..) => {
                if matches!(stack.last(), Some(Frame::Map(_, _, None))) {
                    return None; // a mapping used as a key
                }
                stack.push(Frame::Map(Vec::new(), span, None));
                continue;
            }
            Event::SequenceEnd => match stack.pop()? {
                Frame::Seq(items, span) => Node {
                    value: Value::Seq(items),
                    span,
                },
                Frame::Map(..) => return None,
            },
            Event::MappingEnd => match stack.pop()? {
                Frame::Map(entries, span, None) => Node {
                    value: Value::Map(entries),
                    span,
                },
                _ => return None,
            },
            Event::Scalar(text, style, _, tag) => {
                ends_open = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    || (style == ScalarStyle::Plain && text.is_empty());
                if tag.is_some() {
                    return None;
                }
                if let Some(Frame::Map(entries, _, pending @ None)) = stack.last_mut() {
                    if style == ScalarStyle::Plain && text == "<<" {
                        return None; // a merge key: serde-saphyr merges, found by fuzzing
                    }
                    let Value::String(name) = resolve(text, style)? else {
                        return None;
                    };
                    if entries.iter().any(|(k, _)| k.name == name) {
                        return None;
                    }
                    *pending = Some(Key { name, span });
                    continue;
                }
                Node {
                    value: resolve(text, style)?,
                    span,
                }
            }
            _ => return None,
        };
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return None;
                }
                root = Some(node);
            }
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(entries, _, pending)) => {
                let key = pending.take()?;
                entries.push((key, node));
            }
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root.map(|tree| Piece { tree, ends_open })
}

fn convert(span: &serde_saphyr::granit_parser::Span, origin: Origin) -> Option<Span> {
    let start = span.start.byte_offset()?;
    let end = span.end.byte_offset()?;
    Some(Span {
        line: span.start.line() + origin.lines,
        column: span.start.col() + 1,
        offset: start + origin.offset,
        len: end.saturating_sub(start),
    })
}

/// The YAML 1.2 core type of a scalar, for the unambiguous cases only. Takes the parser's
/// text, so a string it already owns is not copied again.
pub(super) fn resolve(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.into_owned()));
    }
    match &*text {
        "" | "~" | "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "Null" | "NULL" | "True" | "TRUE" | "False" | "FALSE" => return None,
        _ => {}
    }
    let bytes = text.as_bytes();
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let simple_int = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1);
    if simple_int {
        return text.parse::<i64>().ok().map(Value::Int);
    }
    // Numbers in other spellings (floats, hex, octal, `.inf`, `+1`, `1_000`…): let serde-saphyr
    // resolve them.
    let numberish = match bytes[0] {
        b'0'..=b'9' | b'.' | b'+' => true,
        b'-' => bytes
            .get(1)
            .is_some_and(|b| b.is_ascii_digit() || *b == b'.'),
        _ => false,
    };
    // A byte that no number spelling of any YAML version uses (digits, signs, `.`, `_`, `:`,
    // hex digits, the `0x`/`0o`/`0b` prefixes, exponents, `.inf`, `.nan`) makes it a string
    // for certain: `9lives`, `1st floor`.
    let surely_text = bytes
        .iter()
        .any(|b| !(b.is_ascii_hexdigit() || b"+-._:xXoObBeEiInNfFaA".contains(b)));
    (!numberish || surely_text).then(|| Value::String(text.into_owned()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn comments_keep_a_file_on_the_fast_path() {
        // The parser is built without comment events (Cargo.toml); if they came back, every
        // commented file would silently leave this path.
        let text = "# head\nversion: 1 # trailing\n# between\nvars:\n  # inside\n  a: b # after\n  c: [d, e] # flow\n";
        let fast = super::parse(text).expect("a file with comments takes the fast path");
        assert_eq!(fast, crate::config::parse_strict(text).unwrap());
    }
}
