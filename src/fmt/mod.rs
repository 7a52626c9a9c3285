//! `wacfg fmt`: one canonical layout for a configuration file, comments kept. Keys in the
//! order the JSON Schema lists them (unknown keys after, in their own order), 2-space
//! indentation with sequences indented under their key, at most one blank line between
//! entries, one space before a line's comment, and ids or numbers the schema wants as
//! strings quoted (`waba_id: 1234` becomes `waba_id: "1234"`). Scalars are otherwise kept
//! as written.
//!
//! The file is read line by line (`layout`), not re-serialized, so comments survive. Before a
//! result is returned it is checked: the original and the formatted text are parsed by the
//! strict loader and must hold the same data (up to the quoting above), and formatting the
//! result again must change nothing. A file that fails either check, or uses a construct the
//! reader does not handle (anchors, aliases, tags, multi-line flow collections…), is
//! refused, never rewritten.

mod layout;
mod order;

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::config::parse_strict;
pub use layout::Refusal;
use layout::{Document, Entry, Item, Lead, Value};
use order::Schema;

/// The file in canonical layout, or why it cannot be formatted safely.
pub fn format(text: &str) -> Result<String, Refusal> {
    let schema = Schema::load();
    let once = format_with(text, &schema)?;
    let twice = format_with(&once.text, &schema)?;
    if twice.text != once.text {
        return Err(Refusal {
            line: 0,
            message: "formatting is not stable on this file (a wacfg bug: please report it)".into(),
        });
    }
    check_same_data(text, &once)?;
    Ok(once.text)
}

struct Formatted {
    text: String,
    /// JSON pointers of plain scalars quoted because the schema wants a string.
    quoted: BTreeSet<String>,
}

fn format_with(text: &str, schema: &Schema) -> Result<Formatted, Refusal> {
    let mut doc: Document = layout::read(text)?;
    let head = file_head(&mut doc);
    let mut w = Writer {
        out: String::new(),
        schema,
        quoted: BTreeSet::new(),
    };
    if !head.is_empty() {
        for comment in &head {
            w.out.push_str(comment);
            w.out.push('\n');
        }
        w.out.push('\n');
    }
    match &doc.root {
        Value::Map(entries) => w.mapping(entries, 0, &[], true),
        Value::Seq(items) => w.sequence(items, 0, &[], true),
        Value::Empty => {}
        other => {
            let text = w.scalar_text(other, &[]);
            w.out.push_str(&text);
            w.out.push('\n');
        }
    }
    let empty = w.out.is_empty();
    w.lead(&doc.tail, 0, empty);
    Ok(Formatted {
        text: w.out,
        quoted: w.quoted,
    })
}

/// The comments at the top of the file that a blank line separates from the first entry
/// (a header, a schema modeline): they stay at the top whatever entry is sorted first.
fn file_head(doc: &mut Document) -> Vec<String> {
    let Value::Map(entries) = &mut doc.root else {
        return Vec::new();
    };
    let Some(first) = entries.first_mut() else {
        return Vec::new();
    };
    let lead = &mut first.lead;
    let split = if lead.blank {
        lead.comments.len()
    } else {
        match lead.comments.iter().rposition(|(blank, _)| *blank) {
            Some(i) if i > 0 => i,
            _ => return Vec::new(),
        }
    };
    let rest = lead.comments.split_off(split);
    let head = std::mem::replace(&mut lead.comments, rest);
    // Keep the entry apart from the header: by a blank before its own comments, else before
    // itself.
    match lead.comments.first_mut() {
        Some((blank, _)) => *blank = true,
        None => lead.blank = true,
    }
    head.into_iter().map(|(_, text)| text).collect()
}

/// The strict parser must read the same data before and after, apart from the quoted
/// scalars, which must read as the string of what was written.
fn check_same_data(original: &str, formatted: &Formatted) -> Result<(), Refusal> {
    let parse = |text: &str, which: &str| {
        parse_strict(text)
            .map(|n| n.to_json())
            .map_err(|e| Refusal {
                line: 0,
                message: format!("the {which} text does not parse: {e}"),
            })
    };
    let before = parse(original, "original")?;
    let after = parse(&formatted.text, "formatted")?;
    if same(&before, &after, &mut String::new(), &formatted.quoted) {
        Ok(())
    } else {
        Err(Refusal {
            line: 0,
            message:
                "the formatted text would not hold the same data (a wacfg bug: please report it)"
                    .into(),
        })
    }
}

fn same(a: &Json, b: &Json, path: &mut String, quoted: &BTreeSet<String>) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    let len = path.len();
                    path.push('/');
                    path.push_str(k);
                    let ok = y.get(k).is_some_and(|w| same(v, w, path, quoted));
                    path.truncate(len);
                    ok
                })
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).enumerate().all(|(i, (v, w))| {
                    let len = path.len();
                    path.push_str(&format!("/{i}"));
                    let ok = same(v, w, path, quoted);
                    path.truncate(len);
                    ok
                })
        }
        (Json::String(_), _) | (_, Json::Object(_) | Json::Array(_)) => a == b,
        (_, Json::String(_)) => quoted.contains(path.as_str()),
        _ => a == b,
    }
}

struct Writer<'a> {
    out: String,
    schema: &'a Schema,
    quoted: BTreeSet<String>,
}

/// One step of a path through the document: a key, or an index into a sequence.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn pointer(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s {
            Step::Key(k) => format!("/{k}"),
            Step::Index(i) => format!("/{i}"),
        })
        .collect()
}

fn key_name(raw: &str) -> String {
    let trimmed = raw.trim();
    if (trimmed.starts_with('"') || trimmed.starts_with('\'')) && trimmed.len() >= 2 {
        trimmed[1..trimmed.len() - 1].to_string()
    } else {
        trimmed.to_string()
    }
}

impl Writer<'_> {
    fn indent(&mut self, n: usize) {
        self.out.push_str(&" ".repeat(n));
    }

    /// Comments and blank lines before a node; `first` drops a leading blank line (the start
    /// of the file or of a block).
    fn lead(&mut self, lead: &Lead, indent: usize, first: bool) {
        let mut first = first;
        for (blank, comment) in &lead.comments {
            if *blank && !first {
                self.out.push('\n');
            }
            self.indent(indent);
            self.out.push_str(comment);
            self.out.push('\n');
            first = false;
        }
        if lead.blank && !first {
            self.out.push('\n');
        }
    }

    fn end_line(&mut self, trailing: &Option<String>) {
        if let Some(comment) = trailing {
            self.out.push(' ');
            self.out.push_str(comment);
        }
        self.out.push('\n');
    }

    fn ordered<'e>(&self, entries: &'e [Entry], path: &[Step]) -> Vec<&'e Entry> {
        let order = self.schema.key_order(path);
        let mut sorted: Vec<&Entry> = entries.iter().collect();
        sorted.sort_by_key(|e| {
            let name = key_name(&e.key);
            order.iter().position(|k| *k == name).unwrap_or(order.len())
        });
        sorted
    }

    fn mapping(&mut self, entries: &[Entry], indent: usize, path: &[Step], first: bool) {
        for (i, entry) in self.ordered(entries, path).into_iter().enumerate() {
            self.lead(&entry.lead, indent, first && i == 0);
            self.indent(indent);
            self.entry_body(entry, indent, path);
        }
    }

    /// `key:` and its value, from the key on (the indentation is written already).
    fn entry_body(&mut self, entry: &Entry, indent: usize, path: &[Step]) {
        let mut here = path.to_vec();
        here.push(Step::Key(key_name(&entry.key)));
        self.out.push_str(entry.key.trim());
        self.out.push(':');
        match &entry.value {
            Value::Map(entries) => {
                self.end_line(&entry.trailing);
                self.mapping(entries, indent + 2, &here, true);
            }
            Value::Seq(items) => {
                self.end_line(&entry.trailing);
                self.sequence(items, indent + 2, &here, true);
            }
            Value::Block { header, lines } => {
                self.out.push(' ');
                self.out.push_str(header);
                self.end_line(&entry.trailing);
                self.block_lines(lines, indent + 2);
            }
            Value::Empty => self.end_line(&entry.trailing),
            other => {
                self.out.push(' ');
                let text = self.scalar_text(other, &here);
                self.out.push_str(&text);
                self.end_line(&entry.trailing);
            }
        }
    }

    fn sequence(&mut self, items: &[Item], indent: usize, path: &[Step], first: bool) {
        for (i, item) in items.iter().enumerate() {
            let mut here = path.to_vec();
            here.push(Step::Index(i));
            self.lead(&item.lead, indent, first && i == 0);
            self.indent(indent);
            self.out.push('-');
            match &item.value {
                Value::Map(entries) if item.trailing.is_none() && !entries.is_empty() => {
                    let sorted = self.ordered(entries, &here);
                    for (j, entry) in sorted.into_iter().enumerate() {
                        if j == 0 {
                            // Comments before the first entry go above the dash.
                            self.out.push(' ');
                        } else {
                            self.lead(&entry.lead, indent + 2, false);
                            self.indent(indent + 2);
                        }
                        self.entry_body(entry, indent + 2, &here);
                    }
                }
                Value::Map(entries) => {
                    self.end_line(&item.trailing);
                    self.mapping(entries, indent + 2, &here, true);
                }
                Value::Seq(inner) => {
                    self.end_line(&item.trailing);
                    self.sequence(inner, indent + 2, &here, true);
                }
                Value::Block { header, lines } => {
                    self.out.push(' ');
                    self.out.push_str(header);
                    self.end_line(&item.trailing);
                    self.block_lines(lines, indent + 2);
                }
                Value::Empty => self.end_line(&item.trailing),
                other => {
                    self.out.push(' ');
                    let text = self.scalar_text(other, &here);
                    self.out.push_str(&text);
                    self.end_line(&item.trailing);
                }
            }
        }
    }

    fn block_lines(&mut self, lines: &[String], indent: usize) {
        for line in lines {
            if !line.is_empty() {
                self.indent(indent);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
    }

    /// A scalar or flow value; a plain scalar that would read as a number or a boolean is
    /// quoted where the schema wants a string. A null never is: in an overlay `key: null`
    /// removes the field, and `"null"` would set it to that word.
    fn scalar_text(&mut self, value: &Value, path: &[Step]) -> String {
        match value {
            Value::Scalar { text, plain: true }
                if not_a_string(text) && !is_null(text) && self.schema.wants_string(path) =>
            {
                self.quoted.insert(pointer(path));
                format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
            Value::Scalar { text, .. } | Value::Flow(text) => text.clone(),
            _ => String::new(),
        }
    }
}

/// Whether YAML reads this plain scalar as null.
fn is_null(text: &str) -> bool {
    matches!(text, "~" | "null" | "Null" | "NULL" | "")
}

/// Whether YAML would read this plain scalar as something other than a string.
fn not_a_string(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "~" | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | "-.inf"
            | "+.inf"
            | ".nan"
    ) {
        return true;
    }
    let digits = text.trim_start_matches(['+', '-']);
    !digits.is_empty()
        && digits
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().all(|c| {
            c.is_ascii_hexdigit() || matches!(c, '.' | '_' | 'x' | 'o' | 'e' | 'E' | '+' | '-')
        })
}

#[cfg(test)]
mod tests;
