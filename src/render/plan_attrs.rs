//! The attribute lines of one resource change in the human plan: one line per shown
//! attribute, names aligned, unchanged attributes counted instead of shown, sensitive values
//! masked, values known only after apply marked, and multi-line strings diffed line by line.
//! It owns the decision of how each attribute reads; it never decides what changes.

use std::time::Duration;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::painter::Painter;
use crate::plan::{Action, Attributes, KNOWN_AFTER_APPLY, ResourceChange, SENSITIVE};

/// Indentation of attribute lines inside a block.
const ATTR_INDENT: &str = "      ";

/// What the attribute part of a block holds.
#[derive(Debug, Default)]
pub struct AttrLines {
    pub lines: Vec<String>,
    /// Attributes equal before and after, not shown.
    pub hidden: usize,
}

/// How one attribute reads: its symbol, then either a one-line value or a heredoc.
enum Row {
    Line {
        sym: char,
        name: String,
        text: String,
    },
    /// A heredoc (`<<-EOT` … `EOT`) or a list (`[` … `]`), one line per text line or item.
    Block {
        sym: char,
        name: String,
        open: &'static str,
        close: &'static str,
        body: Vec<(ChangeTag, String)>,
    },
}

impl Row {
    fn name(&self) -> &str {
        match self {
            Row::Line { name, .. } | Row::Block { name, .. } => name,
        }
    }
}

/// The lines of every attribute of `change` that is worth a reviewer's eye.
pub fn attribute_lines(change: &ResourceChange, p: &Painter) -> AttrLines {
    let mut rows = Vec::new();
    let mut hidden = 0;
    for name in attribute_names(change) {
        match attribute_row(change, &name) {
            Some(row) => rows.push(row),
            None if !matches!(
                change.action,
                Action::Create | Action::Import | Action::Delete
            ) =>
            {
                hidden += 1
            }
            None => {}
        }
    }
    let width = rows.iter().map(|r| r.name().len()).max().unwrap_or(0);
    let mut lines = Vec::new();
    for row in rows {
        push_row(&mut lines, row, width, p);
    }
    AttrLines { lines, hidden }
}

/// Names from before and after, in order, each once.
fn attribute_names(change: &ResourceChange) -> Vec<String> {
    let mut names: Vec<String> = change
        .before
        .iter()
        .chain(change.after.iter())
        .flat_map(|attrs| attrs.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn attribute_row(change: &ResourceChange, name: &str) -> Option<Row> {
    let before = value_of(&change.before, name);
    let after = value_of(&change.after, name);
    let sensitive = change.sensitive.iter().any(|s| s == name)
        || [before, after].iter().any(|v| is_marker(*v, SENSITIVE));
    let unknown =
        change.unknown_after.iter().any(|s| s == name) || is_marker(after, KNOWN_AFTER_APPLY);
    let name = name.to_string();
    match change.action {
        Action::NoOp => None,
        Action::Create | Action::Import => after
            .or(unknown.then_some(&Value::Null))
            .map(|v| added(name, v, sensitive, unknown)),
        Action::Delete => before.map(|v| removed(name, v, sensitive)),
        _ => changed(name, before, after, sensitive, unknown),
    }
}

/// The attribute's value on one side; a JSON null counts as absent.
fn value_of<'a>(side: &'a Option<Attributes>, name: &str) -> Option<&'a Value> {
    side.as_ref()
        .and_then(|a| a.get(name))
        .filter(|v| !v.is_null())
}

fn is_marker(value: Option<&Value>, marker: &str) -> bool {
    value.and_then(Value::as_str) == Some(marker)
}

fn added(name: String, value: &Value, sensitive: bool, unknown: bool) -> Row {
    if unknown {
        return line('+', name, KNOWN_AFTER_APPLY.to_string());
    }
    if sensitive {
        return line('+', name, "(sensitive value)".to_string());
    }
    match multiline(value) {
        Some(text) => heredoc('+', name, text, text),
        None => line('+', name, show(value)),
    }
}

fn removed(name: String, value: &Value, sensitive: bool) -> Row {
    if sensitive {
        return line('-', name, "(sensitive value) -> null".to_string());
    }
    match multiline(value) {
        Some(text) => heredoc('-', name, text, text),
        None => line('-', name, format!("{} -> null", show(value))),
    }
}

fn changed(
    name: String,
    before: Option<&Value>,
    after: Option<&Value>,
    sensitive: bool,
    unknown: bool,
) -> Option<Row> {
    if unknown {
        return Some(match before {
            Some(_) if sensitive => line('~', name, "(sensitive value changed)".to_string()),
            Some(old) => line('~', name, format!("{} -> {KNOWN_AFTER_APPLY}", show(old))),
            None => line('+', name, KNOWN_AFTER_APPLY.to_string()),
        });
    }
    match (before, after) {
        (None, None) => None,
        (Some(old), Some(new)) if old == new => None,
        (None, Some(new)) => Some(added(name, new, sensitive, false)),
        (Some(old), None) => Some(removed(name, old, sensitive)),
        (Some(_), Some(_)) if sensitive => {
            Some(line('~', name, "(sensitive value changed)".to_string()))
        }
        (Some(Value::Array(old)), Some(Value::Array(new))) => Some(list_diff(name, old, new)),
        (Some(old), Some(new)) => Some(match (multiline(old), multiline(new)) {
            (None, None) => line('~', name, format!("{} -> {}", show(old), show(new))),
            _ => heredoc('~', name, text_of(old), text_of(new)),
        }),
    }
}

fn line(sym: char, name: String, text: String) -> Row {
    Row::Line { sym, name, text }
}

/// A heredoc whose body is the line-by-line diff of `old` and `new`. An added or removed
/// value passes the same text twice: its lines then read plain, as Terraform shows them.
fn heredoc(sym: char, name: String, old: &str, new: &str) -> Row {
    Row::Block {
        sym,
        name,
        open: "<<-EOT",
        close: "EOT",
        body: line_diff(old, new),
    }
}

/// A list whose items are diffed one per line, so an added marketing action stands out.
fn list_diff(name: String, old: &[Value], new: &[Value]) -> Row {
    let lines =
        |items: &[Value]| -> String { items.iter().map(|v| format!("{},\n", show(v))).collect() };
    Row::Block {
        sym: '~',
        name,
        open: "[",
        close: "]",
        body: line_diff(&lines(old), &lines(new)),
    }
}

fn line_diff(old: &str, new: &str) -> Vec<(ChangeTag, String)> {
    // A last line without its newline is still the same line.
    let (old, new) = (terminated(old), terminated(new));
    // A bound on the time a pathological value may take; real descriptions finish far sooner.
    TextDiff::configure()
        .timeout(Duration::from_millis(250))
        .diff_lines(old.as_str(), new.as_str())
        .iter_all_changes()
        .map(|c| {
            (
                c.tag(),
                c.value().trim_end_matches(['\n', '\r']).to_string(),
            )
        })
        .collect()
}

fn terminated(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// The text of a string value holding more than one line.
fn multiline(value: &Value) -> Option<&str> {
    value
        .as_str()
        .filter(|s| s.trim_end_matches('\n').contains('\n'))
}

fn text_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// A value as a reviewer reads it: strings quoted, markers bare, short lists inline.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) if s == KNOWN_AFTER_APPLY => KNOWN_AFTER_APPLY.to_string(),
        Value::String(s) if s == SENSITIVE => "(sensitive value)".to_string(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

fn push_row(lines: &mut Vec<String>, row: Row, width: usize, p: &Painter) {
    match row {
        Row::Line { sym, name, text } => {
            lines.push(format!(
                "{ATTR_INDENT}{} {name:<width$} = {text}",
                paint_sym(sym, p)
            ));
        }
        Row::Block {
            sym,
            name,
            open,
            close,
            body,
        } => {
            lines.push(format!(
                "{ATTR_INDENT}{} {name:<width$} = {open}",
                paint_sym(sym, p)
            ));
            for (tag, text) in body {
                lines.push(block_line(tag, &text, p));
            }
            lines.push(format!("{ATTR_INDENT}  {close}"));
        }
    }
}

fn block_line(tag: ChangeTag, text: &str, p: &Painter) -> String {
    let pad = format!("{ATTR_INDENT}    ");
    let line = match tag {
        ChangeTag::Equal => return format!("{pad}  {text}").trim_end().to_string(),
        ChangeTag::Delete => format!("{} {text}", paint_sym('-', p)),
        ChangeTag::Insert => format!("{} {text}", paint_sym('+', p)),
    };
    format!("{pad}{line}").trim_end().to_string()
}

/// A change symbol in its colour.
pub fn paint_sym(sym: char, p: &Painter) -> String {
    let text = sym.to_string();
    match sym {
        '+' => p.green(&text),
        '-' => p.red(&text),
        '~' => p.yellow(&text),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Address;

    fn update(before: Attributes, after: Attributes) -> ResourceChange {
        ResourceChange {
            address: Address::channel("X"),
            action: Action::Update,
            reason: String::new(),
            before: Some(before),
            after: Some(after),
            sensitive: Vec::new(),
            unknown_after: Vec::new(),
            checks: Vec::new(),
            depends_on: Vec::new(),
            moved_from: None,
            destroys: Vec::new(),
        }
    }

    fn one(key: &str, value: Value) -> Attributes {
        [(key.to_string(), value)].into()
    }

    fn text(change: &ResourceChange) -> (String, usize) {
        let attrs = attribute_lines(change, &Painter::new(false));
        (attrs.lines.join("\n"), attrs.hidden)
    }

    #[test]
    fn unknown_after_apply_replaces_the_new_value() {
        let mut c = update(
            one("phone_number_id", json!("1")),
            one("phone_number_id", json!("2")),
        );
        c.unknown_after = vec!["phone_number_id".to_string()];
        let (lines, _) = text(&c);
        assert_eq!(
            lines,
            "      ~ phone_number_id = \"1\" -> (known after apply)"
        );
    }

    #[test]
    fn sensitive_values_are_never_shown() {
        let mut c = update(
            one("token", json!("old-secret-mark")),
            one("token", Value::Null),
        );
        c.sensitive = vec!["token".to_string()];
        let (lines, _) = text(&c);
        assert_eq!(lines, "      - token = (sensitive value) -> null");
        let mut c = update(one("token", json!("a-mark")), one("token", json!("a-mark")));
        c.sensitive = vec!["token".to_string()];
        assert_eq!(text(&c), (String::new(), 1));
    }

    #[test]
    fn a_value_becoming_multi_line_is_diffed_line_by_line() {
        let c = update(
            one("description", json!("one line")),
            one("description", json!("one line\nsecond line")),
        );
        let (lines, hidden) = text(&c);
        assert_eq!(hidden, 0);
        assert_eq!(
            lines,
            "      ~ description = <<-EOT\n            one line\n          + second line\n        EOT"
        );
    }

    #[test]
    fn null_and_absent_are_the_same_so_counted_unchanged() {
        let c = update(one("execution_field", Value::Null), Attributes::new());
        assert_eq!(text(&c), (String::new(), 1));
    }
}
