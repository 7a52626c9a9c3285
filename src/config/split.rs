//! Parsing one large file on several cores. A configuration file is mostly one long top-level
//! block sequence (`channel_configurations:`), whose items start at lines of the form
//! `<n spaces>- `. Such a file is cut at item starts into pieces that are parsed at the same
//! time with the fast path, each piece's spans moved to where the piece sits in the file, and
//! the items joined back in order.
//!
//! Why cutting is safe: in a file the parser accepts, a line that starts at the sequence's own
//! indentation with `- ` can only be a new item, unless it lies inside a quoted scalar or a
//! flow collection that spans lines; then the piece holding the opening quote or bracket ends
//! inside it and fails to parse. Every piece, the head before the first cut and the tail
//! after the sequence, is parsed on its own, so any failure anywhere makes the whole file go
//! through the ordinary path, which decides and reports. So does a piece that ends in a block
//! scalar or an empty value (their spans reach to the next token, which the piece cannot see),
//! and a file with a lone carriage return or a byte-order mark inside it. Property tests and
//! `cargo fuzz` check that this path builds exactly the tree the strict parser builds, or
//! steps aside.

use super::fast::{self, Origin, Piece};
use super::node::{Node, Value};

/// Below this many bytes of configuration, loading and validating stay on one thread:
/// threads would cost more than they save.
pub const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// How many threads large inputs are shared among.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// The tree of `text`, on as many cores as help; `None` when the strict parser must decide.
pub fn parse(text: &str) -> Option<Node> {
    parse_in(text, cores(), PARALLEL_MIN_BYTES)
}

/// As [`parse`], cutting into at most `parts` pieces when `text` has at least `min_bytes`.
pub fn parse_in(text: &str, parts: usize, min_bytes: usize) -> Option<Node> {
    if parts < 2 || text.len() < min_bytes {
        return fast::parse(text);
    }
    match Cut::find(text, parts) {
        Some(cut) => cut.parse(text).or_else(|| fast::parse(text)),
        None => fast::parse(text),
    }
}

/// How many pieces `text` is parsed in when cut into at most `parts` (1: not cut).
pub fn pieces(text: &str, parts: usize) -> usize {
    Cut::find(text, parts).map_or(1, |cut| cut.starts.len() + 1)
}

/// Where to cut: the top-level key whose block sequence is cut, the piece boundaries inside
/// that sequence, and where the sequence's block ends.
#[derive(Debug)]
struct Cut {
    key: String,
    /// Byte offsets of item starts where a new piece begins, with the lines before each.
    starts: Vec<(usize, usize)>,
    /// Byte offset where the block ends (the next top-level line, or the end of the text),
    /// with the lines before it.
    end: (usize, usize),
}

/// A top-level key whose block may be a sequence: its indentation once known, and where each
/// item starts (byte offset, lines before).
struct Block {
    key: String,
    indent: Option<usize>,
    items: Vec<(usize, usize)>,
}

impl Block {
    fn new(key: &str) -> Block {
        Block {
            key: key.to_string(),
            indent: None,
            items: Vec::new(),
        }
    }

    /// Bytes from the first item to `end`.
    fn size(&self, end: usize) -> usize {
        self.items.first().map_or(0, |first| end - first.0)
    }

    /// The block ends at `end`: keep it if it is the largest sequence so far.
    fn finish(self, end: (usize, usize), best: &mut Option<(Block, (usize, usize))>) {
        let best_size = best.as_ref().map_or(0, |(b, e)| b.size(e.0));
        if self.items.len() >= 2 && self.size(end.0) > best_size {
            *best = Some((self, end));
        }
    }
}

/// One line of the text: where it starts, how many lines come before it, its content
/// without the line break.
struct Line<'a> {
    offset: usize,
    number: usize,
    text: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .enumerate()
        .map(move |(number, raw)| {
            let line = Line {
                offset,
                number,
                text: raw.trim_end_matches(['\n', '\r']),
            };
            offset += raw.len();
            line
        })
}

/// Blank or comment-only: no structure.
fn is_trivia(line: &str) -> bool {
    let body = line.trim_start_matches(' ');
    body.is_empty() || body.starts_with('#')
}

/// `name:` alone at column 0 (a comment may follow), the shape of a key whose value is a
/// block below it. Returns the name.
fn top_level_key(line: &str) -> Option<&str> {
    let (name, rest) = line.split_once(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None; // `a:b` is one plain scalar, not a key
    }
    let rest = rest.trim_start_matches(' ');
    let plain_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && name.as_bytes()[0].is_ascii_alphabetic();
    (plain_name && (rest.is_empty() || rest.starts_with('#'))).then_some(name)
}

/// A line that starts a sequence item at exactly `indent` spaces.
fn is_item_start(line: &str, indent: usize) -> bool {
    let bytes = line.as_bytes();
    bytes.len() > indent
        && bytes[..indent].iter().all(|b| *b == b' ')
        && bytes[indent] == b'-'
        && matches!(bytes.get(indent + 1), None | Some(b' '))
}

impl Cut {
    /// The largest top-level block sequence of `text`, cut into at most `parts` pieces of
    /// about equal size; `None` when the file does not have that plain shape.
    fn find(text: &str, parts: usize) -> Option<Cut> {
        // A lone carriage return is a line break to YAML but not to this count of lines (one
        // look at the whole text rather than one per line).
        if text.contains('\r') {
            return None;
        }
        let mut best: Option<(Block, (usize, usize))> = None;
        let mut current: Option<Block> = None;
        let mut total_lines = 0;
        for line in lines(text) {
            total_lines = line.number + 1;
            // Directives, document markers and tabs: several documents or unusual layout;
            // leave those files to the ordinary path.
            if ["---", "...", "%", "\t"]
                .iter()
                .any(|m| line.text.starts_with(m))
            {
                return None;
            }
            // A byte-order mark is allowed at the start of a piece but not inside a file.
            if line.offset > 0 && line.text.starts_with('\u{feff}') {
                return None;
            }
            if is_trivia(line.text) {
                continue;
            }
            let at = (line.offset, line.number);
            let leading = line.text.len() - line.text.trim_start_matches(' ').len();
            if leading == 0 {
                // A sequence may sit at the key's own indentation (`key:` then `- item`).
                if let Some(block) = current.as_mut().filter(|b| b.indent.is_none_or(|n| n == 0))
                    && is_item_start(line.text, 0)
                {
                    block.indent = Some(0);
                    block.items.push(at);
                    continue;
                }
                if let Some(block) = current.take() {
                    block.finish(at, &mut best);
                }
                current = top_level_key(line.text).map(Block::new);
                continue;
            }
            let Some(block) = current.as_mut() else {
                continue;
            };
            match block.indent {
                None if is_item_start(line.text, leading) => {
                    block.indent = Some(leading);
                    block.items.push(at);
                }
                // The block under the key is not a sequence: not a candidate.
                None => current = None,
                Some(n) if is_item_start(line.text, n) => block.items.push(at),
                Some(n) if leading < n => return None, // unusual indentation: do not guess
                Some(_) => {}
            }
        }
        if let Some(block) = current.take() {
            block.finish((text.len(), total_lines), &mut best);
        }
        let (Block { key, items, .. }, end) = best?;
        // Pieces of about equal size; the head also carries everything before the sequence.
        let first = items[0].0;
        let step = (end.0 - first) / parts;
        let mut starts = Vec::with_capacity(parts - 1);
        let mut next_at = first + step;
        for &(offset, number) in &items[1..] {
            if starts.len() + 1 == parts {
                break;
            }
            if offset >= next_at {
                starts.push((offset, number));
                next_at = offset + step;
            }
        }
        (!starts.is_empty()).then_some(Cut { key, starts, end })
    }

    /// Parse the head (the file up to the first cut), each piece of the sequence and the tail
    /// (after the sequence) at the same time, then join them.
    fn parse(&self, text: &str) -> Option<Node> {
        let first = self.starts[0].0;
        let (head, pieces, tail) = std::thread::scope(|scope| {
            let pieces: Vec<_> = self
                .starts
                .iter()
                .enumerate()
                .map(|(i, &(offset, lines))| {
                    let end = self.starts.get(i + 1).map_or(self.end.0, |s| s.0);
                    let piece = &text[offset..end];
                    scope.spawn(move || {
                        let origin = Origin {
                            offset,
                            lines,
                            depth: 1,
                        };
                        fast::parse_piece(piece, origin)
                    })
                })
                .collect();
            let head = fast::parse_piece(&text[..first], Origin::default());
            let tail = self.tail(text);
            let pieces: Vec<Option<Piece>> = pieces
                .into_iter()
                .map(|handle| handle.join().ok().flatten())
                .collect();
            (head, pieces, tail)
        });
        let tail = tail?;
        // An empty value or a block scalar ends where the next token starts, which a piece
        // parsed on its own cannot see: its span would differ from the whole file's.
        let head = head?;
        if head.ends_open
            || pieces
                .iter()
                .any(|p| p.as_ref().is_none_or(|p| p.ends_open))
        {
            return None;
        }
        let mut root = head.tree;
        let Value::Map(entries) = &mut root.value else {
            return None;
        };
        let sequence = entries.iter_mut().find(|(k, _)| k.name == self.key)?;
        if sequence.0.span.column != 1 {
            return None;
        }
        let Value::Seq(items) = &mut sequence.1.value else {
            return None;
        };
        for piece in pieces {
            let Value::Seq(more) = piece?.tree.value else {
                return None;
            };
            items.extend(more);
        }
        if let Some(Node {
            value: Value::Map(more),
            ..
        }) = tail
        {
            for (key, value) in more {
                if entries.iter().any(|(k, _)| k.name == key.name) {
                    return None; // a duplicate key: the strict parser reports it
                }
                entries.push((key, value));
            }
        }
        Some(root)
    }

    /// The top-level entries after the sequence: `Some(None)` when there are none, `None`
    /// when they do not parse as a mapping on their own.
    fn tail(&self, text: &str) -> Option<Option<Node>> {
        let (offset, lines) = self.end;
        let rest = &text[offset..];
        if rest.lines().all(is_trivia) {
            return Some(None);
        }
        let origin = Origin {
            offset,
            lines,
            depth: 0,
        };
        let node = fast::parse_piece(rest, origin)?.tree;
        matches!(node.value, Value::Map(_)).then_some(Some(node))
    }
}
