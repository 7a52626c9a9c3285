//! A line-based reader of the block YAML a wacfg file is written in, keeping what a plain
//! serializer loses: comments, blank lines, each scalar's own spelling. It reads block
//! mappings and sequences, one-line scalars (plain or quoted), one-line flow collections and
//! block scalars (`|`, `>`). Anything else (anchors, aliases, tags, multi-line plain or quoted
//! scalars, flow collections over several lines or with comments, complex keys, several
//! documents, tabs in indentation) is refused with its line, never guessed at.
//!
//! Comments attach to what follows them: full-line comments to the next mapping entry or
//! sequence item (wherever it is, so a comment that ended a nested block moves before the
//! next entry), a comment at the end of a line to that line's entry. Comments after the last
//! entry of the file stay at the end.

/// Why a file cannot be formatted safely, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub message: String,
}

/// Comments and blank lines before a node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lead {
    /// Each comment (text from `#`), with whether a blank line preceded it.
    pub comments: Vec<(bool, String)>,
    /// A blank line right before the node itself.
    pub blank: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nothing after `key:` or `-`.
    Empty,
    /// A one-line scalar as written (quotes included); `plain` when unquoted.
    Scalar {
        text: String,
        plain: bool,
    },
    /// A one-line flow collection as written.
    Flow(String),
    /// A block scalar: its header (`|`, `>-`…) and its lines without their indentation.
    Block {
        header: String,
        lines: Vec<String>,
    },
    Map(Vec<Entry>),
    Seq(Vec<Item>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub lead: Lead,
    /// The key as written (quotes included).
    pub key: String,
    pub trailing: Option<String>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub lead: Lead,
    pub trailing: Option<String>,
    pub value: Value,
}

/// A whole file: its top-level value and the comments after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: Value,
    pub tail: Lead,
}

#[derive(Debug, Clone)]
struct Line {
    /// 1-based line number in the file.
    number: usize,
    indent: usize,
    text: String,
}

struct Reader {
    lines: Vec<Line>,
    pos: usize,
    pending: Lead,
}

type Result<T> = std::result::Result<T, Refusal>;

fn refuse<T>(line: usize, message: impl Into<String>) -> Result<T> {
    Err(Refusal {
        line,
        message: message.into(),
    })
}

/// Read `text` into a [`Document`], or say why it cannot be formatted safely.
pub fn read(text: &str) -> Result<Document> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let body = raw.trim_end();
        let indent = body.len() - body.trim_start_matches(' ').len();
        if body[indent..].starts_with('\t') {
            return refuse(number, "a tab in the indentation");
        }
        if body == "---" || body == "..." || body.starts_with("--- ") || body.starts_with("%") {
            return refuse(
                number,
                "document markers or directives (`---`, `...`, `%`): keep one document per file",
            );
        }
        lines.push(Line {
            number,
            indent,
            text: body[indent..].to_string(),
        });
    }
    let mut reader = Reader {
        lines,
        pos: 0,
        pending: Lead::default(),
    };
    reader.skip_trivia();
    let root = match reader.peek() {
        None => Value::Empty,
        Some(line) => {
            let indent = line.indent;
            reader.block(indent)?
        }
    };
    reader.skip_trivia();
    if let Some(line) = reader.peek() {
        return refuse(
            line.number,
            "this line is not part of the document's structure",
        );
    }
    Ok(Document {
        root,
        tail: std::mem::take(&mut reader.pending),
    })
}

impl Reader {
    fn peek(&self) -> Option<&Line> {
        self.lines.get(self.pos)
    }

    /// Skip blank and comment lines, keeping them for the next node.
    fn skip_trivia(&mut self) {
        let mut blank = false;
        while let Some(line) = self.lines.get(self.pos) {
            if line.text.is_empty() {
                blank = true;
            } else if line.text.starts_with('#') {
                self.pending.comments.push((blank, line.text.clone()));
                blank = false;
            } else {
                break;
            }
            self.pos += 1;
        }
        if blank {
            self.pending.blank = true;
        }
    }

    fn take_lead(&mut self) -> Lead {
        std::mem::take(&mut self.pending)
    }

    /// The collection starting at the current line, at `indent`.
    fn block(&mut self, indent: usize) -> Result<Value> {
        let line = self
            .peek()
            .cloned()
            .expect("caller checked a line is there");
        if is_item(&line.text) {
            self.sequence(indent)
        } else {
            self.mapping(indent)
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<Value> {
        let mut items = Vec::new();
        loop {
            self.skip_trivia();
            let Some(line) = self.peek().cloned() else {
                break;
            };
            if line.indent != indent || !is_item(&line.text) {
                if line.indent > indent {
                    return refuse(line.number, "indentation that does not match its block");
                }
                break;
            }
            let lead = self.take_lead();
            let rest = line.text[1..].trim_start_matches(' ');
            let offset = line.text.len() - rest.len();
            if rest.is_empty() || rest.starts_with('#') {
                self.pos += 1;
                let trailing = (!rest.is_empty()).then(|| rest.to_string());
                let value = self.nested(indent, false)?;
                items.push(Item {
                    lead,
                    trailing,
                    value,
                });
            } else if is_item(rest) || looks_like_entry(rest) {
                // `- key: value` or `- - x`: the rest is a line of its own at a deeper column.
                let column = indent + offset;
                self.lines[self.pos] = Line {
                    number: line.number,
                    indent: column,
                    text: rest.to_string(),
                };
                let value = self.block(column)?;
                items.push(Item {
                    lead,
                    trailing: None,
                    value,
                });
            } else {
                self.pos += 1;
                let (value, trailing) = self.inline(rest, line.number, indent)?;
                items.push(Item {
                    lead,
                    trailing,
                    value,
                });
            }
        }
        Ok(Value::Seq(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Value> {
        let mut entries: Vec<Entry> = Vec::new();
        loop {
            self.skip_trivia();
            let Some(line) = self.peek().cloned() else {
                break;
            };
            if line.indent != indent || is_item(&line.text) {
                if line.indent > indent {
                    return refuse(
                        line.number,
                        "a multi-line scalar or an indentation that does not match its block",
                    );
                }
                break;
            }
            let lead = self.take_lead();
            let Some((key, rest)) = split_key(&line.text) else {
                return refuse(
                    line.number,
                    "not a `key: value` line (complex keys, multi-line scalars and keys with anchors or tags are not formatted)",
                );
            };
            self.pos += 1;
            let rest = rest.trim_start_matches(' ');
            let (value, trailing) = if rest.is_empty() || rest.starts_with('#') {
                let trailing = (!rest.is_empty()).then(|| rest.to_string());
                (self.nested(indent, true)?, trailing)
            } else {
                self.inline(rest, line.number, indent)?
            };
            entries.push(Entry {
                lead,
                key,
                trailing,
                value,
            });
        }
        Ok(Value::Map(entries))
    }

    /// The value on the lines after `key:` or `-`: a deeper block, a sequence at the same
    /// column (allowed after a key), or nothing.
    fn nested(&mut self, indent: usize, after_key: bool) -> Result<Value> {
        let saved = self.pos;
        let pending = self.pending.clone();
        self.skip_trivia();
        match self.peek().cloned() {
            Some(next) if next.indent > indent => self.block(next.indent),
            Some(next) if after_key && next.indent == indent && is_item(&next.text) => {
                self.sequence(indent)
            }
            _ => {
                // Nothing nested: the comments belong to whatever comes next.
                self.pos = saved;
                self.pending = pending;
                Ok(Value::Empty)
            }
        }
    }

    /// A value written on its key's (or dash's) line, and the comment ending that line.
    fn inline(
        &mut self,
        rest: &str,
        number: usize,
        indent: usize,
    ) -> Result<(Value, Option<String>)> {
        let first = rest.chars().next().unwrap_or(' ');
        match first {
            '&' | '*' => return refuse(number, "anchors and aliases are not formatted"),
            '!' => return refuse(number, "tags are not formatted"),
            '?' => return refuse(number, "complex keys are not formatted"),
            '|' | '>' => return self.block_scalar(rest, number, indent),
            _ => {}
        }
        let (value_text, comment) = split_comment(rest, number)?;
        let value = match first {
            '[' | '{' => {
                if !balanced(value_text) {
                    return refuse(
                        number,
                        "a flow collection over several lines, or with a comment inside",
                    );
                }
                Value::Flow(value_text.to_string())
            }
            '"' | '\'' => {
                if !closes_at_end(value_text, first) {
                    return refuse(number, "a quoted scalar over several lines");
                }
                Value::Scalar {
                    text: value_text.to_string(),
                    plain: false,
                }
            }
            _ => Value::Scalar {
                text: value_text.to_string(),
                plain: true,
            },
        };
        // A plain scalar continued on deeper lines is caught by the caller's block check.
        Ok((value, comment))
    }

    fn block_scalar(
        &mut self,
        rest: &str,
        number: usize,
        indent: usize,
    ) -> Result<(Value, Option<String>)> {
        let (header, comment) = split_comment(rest, number)?;
        if !matches!(header, "|" | ">" | "|-" | ">-") {
            return refuse(
                number,
                "a block scalar with an indentation indicator or `+` chomping",
            );
        }
        let start = self.pos;
        let mut end = start;
        let mut content_indent = None;
        while let Some(line) = self.lines.get(end) {
            if line.text.is_empty() {
                end += 1;
                continue;
            }
            if line.indent <= indent {
                break;
            }
            let ci = *content_indent.get_or_insert(line.indent);
            if line.indent < ci {
                return refuse(
                    line.number,
                    "a block scalar line less indented than its first",
                );
            }
            end += 1;
        }
        // Trailing blank lines belong to what follows (clip and strip drop them anyway).
        while end > start && self.lines[end - 1].text.is_empty() {
            end -= 1;
        }
        let ci = content_indent.unwrap_or(indent + 2);
        let lines = self.lines[start..end]
            .iter()
            .map(|l| {
                if l.text.is_empty() {
                    String::new()
                } else {
                    format!("{}{}", " ".repeat(l.indent - ci), l.text)
                }
            })
            .collect();
        self.pos = end;
        Ok((
            Value::Block {
                header: header.to_string(),
                lines,
            },
            comment,
        ))
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

fn looks_like_entry(text: &str) -> bool {
    split_key(text).is_some()
}

/// `key: rest` → (`key`, `rest`), for plain and one-line quoted keys.
fn split_key(text: &str) -> Option<(String, &str)> {
    let first = text.chars().next()?;
    let key_end = if first == '"' || first == '\'' {
        let close = quoted_end(text, first)?;
        if !text[close..].starts_with(':') {
            return None;
        }
        close
    } else {
        if matches!(
            first,
            '&' | '*' | '!' | '?' | '[' | '{' | '#' | '|' | '>' | '%' | '@' | '`'
        ) {
            return None;
        }
        let mut found = None;
        for (i, c) in text.char_indices() {
            if c == ':' && text[i + 1..].chars().next().is_none_or(|n| n == ' ') {
                found = Some(i);
                break;
            }
            if c == '#' && text[..i].ends_with(' ') {
                return None;
            }
        }
        found?
    };
    let rest = &text[key_end + 1..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    Some((text[..key_end].trim_end().to_string(), rest))
}

/// The byte index just past the closing quote of a quoted scalar starting at 0.
fn quoted_end(text: &str, quote: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        let b = bytes[i];
        if quote == '"' && b == b'\\' {
            i += 2;
            continue;
        }
        if b == quote as u8 {
            if quote == '\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn closes_at_end(text: &str, quote: char) -> bool {
    quoted_end(text, quote) == Some(text.len())
}

/// Split `value # comment` outside quotes and brackets.
fn split_comment(text: &str, number: usize) -> Result<(&str, Option<String>)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut depth = 0i32;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'')
                if i == 0 || matches!(bytes[i - 1], b' ' | b'[' | b'{' | b',' | b':') =>
            {
                match quoted_end(&text[i..], q as char) {
                    Some(end) => i += end,
                    None => return refuse(number, "a quoted scalar over several lines"),
                }
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth -= 1,
            b'#' if i > 0 && bytes[i - 1] == b' ' => {
                if depth > 0 {
                    return refuse(number, "a comment inside a flow collection");
                }
                return Ok((text[..i].trim_end(), Some(text[i..].to_string())));
            }
            _ => {}
        }
        i += 1;
    }
    Ok((text, None))
}

/// Brackets balance outside quotes (a one-line flow collection).
fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => match quoted_end(&text[i..], q as char) {
                Some(end) => {
                    i += end;
                    continue;
                }
                None => return false,
            },
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 && i + 1 != bytes.len() {
                    return false;
                }
            }
            b'&' | b'*' | b'!' if i > 0 && matches!(bytes[i - 1], b'[' | b'{' | b' ' | b',') => {
                return false;
            }
            _ => {}
        }
        i += 1;
    }
    depth == 0
}
