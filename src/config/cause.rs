//! The cause of a YAML error, when the parser noticed it somewhere else: a tab used for
//! indentation (reported at the start of the scalar before it), a flow collection (`[` or
//! `{`) never closed (reported lines later, as whatever the next key looks like inside it),
//! and a `!!binary` tag (refused while building the value, without the tag's place). Only
//! called once parsing has failed, so it may re-read the text.

use serde_saphyr::granit_parser::{Event, Parser, StructureStyle};

use crate::diag::Span;

/// Where a line starts, as YAML breaks lines: after `\n`, after `\r\n`, and after a lone `\r`.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            starts.push(i + 1);
        }
    }
    starts
}

/// The lines of `text` with their byte offsets, without their line breaks (any of the three).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let starts = line_starts(text);
    (0..starts.len()).map(move |i| {
        let start = starts[i];
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let line = text[start..end].trim_end_matches(['\n', '\r']);
        (start, line)
    })
}

/// The span of one character at byte `offset`, on 1-based `line`.
fn char_span(text: &str, line_start: usize, line: usize, offset: usize) -> Span {
    Span {
        line,
        column: text[line_start..offset].chars().count() + 1,
        offset,
        len: text[offset..].chars().next().map_or(0, char::len_utf8),
    }
}

/// The first tab in the indentation of a line with content (not blank, not a comment), from
/// the line before `near_line` (1-based, where the parser noticed) on: the parser reports the
/// start of the scalar before the tab (a plain scalar may go on over the next lines), not the
/// tab. `None` when no such tab is there: then the parser's place stands.
pub fn indentation_tab(text: &str, near_line: usize) -> Option<Span> {
    lines(text)
        .enumerate()
        .skip(near_line.saturating_sub(2))
        .find_map(|(i, (start, line))| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let rest = &line[indent..];
            let tab = line[..indent].find('\t')?;
            (!rest.is_empty() && !rest.starts_with('#'))
                .then(|| char_span(text, start, i + 1, start + tab))
        })
}

/// Whether `text` holds no YAML node: only blank lines (any line break) and comments.
pub fn only_blank_or_comments(text: &str) -> bool {
    // Cutting at every `\r` and `\n` gives YAML's lines and blank ones between `\r` and `\n`;
    // read lazily, so that a real file is decided at its first line with content.
    text.split(['\n', '\r']).all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---"
    })
}

/// A flow collection still open where the parser gave up, and never closed anywhere after
/// it: its opening bracket's span and the bracket.
pub fn unclosed_flow(text: &str) -> Option<(Span, char)> {
    let starts = line_starts(text);
    // Open collections: the opening bracket's byte offset for a flow one, `None` for a block.
    let mut open: Vec<Option<usize>> = Vec::new();
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        match event {
            Event::SequenceStart(style, ..) | Event::MappingStart(style, ..) => {
                let flow = style == StructureStyle::Flow;
                open.push(flow.then(|| span.start.byte_offset()).flatten());
            }
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
            }
            _ => {}
        }
    }
    // The innermost one that is never closed.
    let offset = open.into_iter().flatten().rev().find(|&offset| {
        text.get(offset..)
            .is_some_and(|rest| rest.starts_with(['[', '{']) && !closed_later(rest))
    })?;
    let bracket = text[offset..].chars().next()?;
    let line = starts.partition_point(|&s| s <= offset);
    Some((char_span(text, starts[line - 1], line, offset), bracket))
}

/// Whether the flow collection opening `text` is closed somewhere: brackets counted outside
/// quoted strings and comments.
fn closed_later(text: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return true;
                }
            }
            '"' => {
                while let Some(q) = chars.next() {
                    match q {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                while let Some(q) = chars.next() {
                    if q == '\'' && chars.next_if_eq(&'\'').is_none() {
                        break;
                    }
                }
            }
            '#' if previous.is_whitespace() => {
                while chars.next_if(|c| *c != '\n' && *c != '\r').is_some() {}
            }
            _ => {}
        }
        previous = c;
    }
    false
}

/// The first node tagged `!!binary` (however spelled), and the tag as written.
pub fn binary_tag(text: &str) -> Option<Span> {
    let starts = line_starts(text);
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let tag = match &event {
            Event::Scalar(_, _, _, tag)
            | Event::SequenceStart(_, _, tag)
            | Event::MappingStart(_, _, tag) => tag.as_ref(),
            _ => None,
        };
        let Some(tag) = tag else { continue };
        let binary =
            tag.suffix() == "binary" && matches!(tag.handle(), "tag:yaml.org,2002:" | "!!" | "!");
        if !binary {
            continue;
        }
        // The tag as written, before the node; else the `!` before the node.
        let offset = match span.tag_span().and_then(|t| t.start.byte_offset()) {
            Some(offset) => offset,
            None => {
                let node = span.start.byte_offset()?;
                text.get(..node)?.rfind('!').unwrap_or(node)
            }
        };
        let line = starts.partition_point(|&s| s <= offset);
        let mut at = char_span(text, starts[line - 1], line, offset);
        let rest = text.get(offset..)?;
        at.len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        return Some(at);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_at_lf_crlf_and_lone_cr() {
        assert_eq!(line_starts("a\nb\r\nc\rd"), vec![0, 2, 5, 7]);
        assert_eq!(line_starts("\r\r\r"), vec![0, 1, 2, 3]);
    }

    #[test]
    fn comments_on_lines_ended_by_a_lone_cr_do_not_hide_the_next_line() {
        assert!(only_blank_or_comments("\r\r\r"));
        assert!(only_blank_or_comments("# a\r\n\r# b\n---\n"));
        assert!(!only_blank_or_comments("# a comment\rversion: 1\r"));
    }

    #[test]
    fn a_tab_in_indentation_is_found_after_the_reported_line() {
        let text = "a:\n  - name: x\n\tchannel: y\n";
        let tab = indentation_tab(text, 2).unwrap();
        assert_eq!((tab.line, tab.column, tab.offset, tab.len), (3, 1, 15, 1));
        // A tab after the indentation (a separator) is not one.
        assert!(indentation_tab("a:\tb\n", 1).is_none());
        assert!(indentation_tab("a: 1\n\t# note\n", 1).is_none());
        // Far before the place the parser noticed: not the cause.
        assert!(indentation_tab("a: |\n  \tx\nb: 1\nc: 2\nd: [\n", 5).is_none());
    }

    #[test]
    fn an_unclosed_bracket_is_found_and_a_closed_one_is_not() {
        let text = "a:\n  b: [x, y\n  c: d\n";
        let (span, bracket) = unclosed_flow(text).unwrap();
        assert_eq!(bracket, '[');
        assert_eq!((span.line, span.column, span.offset), (2, 6, 8));
        // Closed on a later line: the error is something else.
        assert!(unclosed_flow("a: [x,\n  y: z: w]\n").is_none());
        assert!(unclosed_flow("a: {x: 1\n").is_some());
        // Brackets in quotes and comments do not close it.
        assert!(unclosed_flow("a: [x, \"]\" # ]\nb: c\n").is_some());
    }

    #[test]
    fn a_binary_tag_is_found_at_its_bang() {
        let text = "a:\n  token: !!binary RUFB\n";
        let span = binary_tag(text).unwrap();
        assert_eq!((span.line, span.column, span.len), (2, 10, 8));
        assert!(binary_tag("a: !!str x\n").is_none());
    }
}
