//! The YAML `wacfg import templates` writes: a `message_templates:` list, one entry per
//! template in name order, languages in code order, each language with a comment of what Meta
//! says of it (status, rejection, quality), and the templates left out with their reasons as
//! comments at the end. Pure: the entries in, the text out, plus the lines each entry takes
//! (so a diagnostic on the text can be traced back to its template).

use std::fmt::Write as _;
use std::ops::RangeInclusive;

use crate::kinds::message_template::adopt::Imported;
use crate::kinds::message_template::model::{
    Button, Examples, Header, HeaderFormat, Language, ParameterFormat,
};
use crate::model::ObservedTemplate;

/// One template to write, with Meta's facts of each language (for comments).
pub struct Entry<'a> {
    pub imported: &'a Imported,
    pub facts: &'a std::collections::BTreeMap<String, ObservedTemplate>,
}

/// What the file's head comment says.
pub struct Origin<'a> {
    pub credentials: &'a str,
    pub waba_id: &'a str,
    pub glob: Option<&'a str>,
}

/// The text, and for each template (in order) the 1-based lines its entry takes.
pub struct Rendered {
    pub text: String,
    pub lines: Vec<(String, RangeInclusive<usize>)>,
}

pub fn render(
    origin: &Origin<'_>,
    entries: &[Entry<'_>],
    skipped: &[(String, String)],
) -> Rendered {
    let mut out = String::new();
    let filter = origin
        .glob
        .map(|g| format!(" --name {}", comment_safe(g)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "# Message templates of WABA {} adopted by `wacfg import templates --credentials {}{filter}`.",
        comment_safe(origin.waba_id),
        comment_safe(origin.credentials)
    );
    out.push_str(
        "# They are recorded in the state: keep this file as a configuration source (a directory\n\
         # given to -c, or one more `-c FILE`), or move the entries under `message_templates:` of\n\
         # your configuration (without `version`). Do it before the next plan: a recorded\n\
         # template missing from the configuration is planned for deletion.\n",
    );
    // Every configuration file says which format it is written in.
    out.push_str("version: 1\n");
    if entries.is_empty() {
        out.push_str("message_templates: []\n");
    } else {
        out.push_str("message_templates:\n");
    }
    let mut lines = Vec::new();
    for entry in entries {
        let start = out.lines().count() + 1;
        push_template(&mut out, origin.credentials, entry);
        let end = out.lines().count();
        lines.push((entry.imported.name.clone(), start..=end));
    }
    if !skipped.is_empty() {
        out.push_str(
            "# Not adopted (they stay at Meta, unmanaged; wacfg cannot write them as they are):\n",
        );
        for (name, why) in skipped {
            let _ = writeln!(out, "#   {}: {}", comment_safe(name), comment_safe(why));
        }
    }
    Rendered { text: out, lines }
}

fn push_template(out: &mut String, credentials: &str, entry: &Entry<'_>) {
    let t = entry.imported;
    let _ = writeln!(out, "  - name: {}", key_or_quoted(&t.name));
    let _ = writeln!(out, "    credentials: {}", key_or_quoted(credentials));
    let _ = writeln!(out, "    category: {}", t.category.as_str());
    if t.parameter_format == ParameterFormat::Named {
        out.push_str("    parameter_format: named\n");
    }
    if let Some(ttl) = t.message_send_ttl_seconds {
        let _ = writeln!(out, "    message_send_ttl_seconds: {ttl}");
    }
    out.push_str("    languages:\n");
    for (code, lang) in &t.languages {
        if let Some(fact) = entry.facts.get(code) {
            let _ = writeln!(out, "      # {}", comment_safe(&fact_line(fact)));
        }
        let _ = writeln!(out, "      {}:", key_or_quoted(code));
        push_language(out, lang);
    }
}

fn fact_line(f: &ObservedTemplate) -> String {
    let mut s = format!("id {}: {}", f.id, f.status);
    if let Some(r) = &f.rejected_reason {
        let _ = write!(s, " ({r})");
    }
    if let Some(q) = &f.quality_score {
        let _ = write!(s, ", quality {q}");
    }
    s.push_str(" at Meta");
    s
}

fn push_language(out: &mut String, lang: &Language) {
    const IN: &str = "        ";
    if let Some(h) = &lang.header {
        push_header(out, h);
    }
    let body = &lang.body;
    let _ = writeln!(out, "{IN}body:");
    if let Some(text) = &body.text {
        let _ = writeln!(out, "{IN}  text: {}", quote(text));
    }
    push_examples(out, &format!("{IN}  "), &body.example);
    if body.add_security_recommendation {
        let _ = writeln!(out, "{IN}  add_security_recommendation: true");
    }
    if body.text.is_none() && body.example.is_empty() && !body.add_security_recommendation {
        // An empty mapping, so `body:` is not null.
        out.truncate(out.len() - "body:\n".len());
        out.push_str("body: {}\n");
    }
    if let Some(footer) = &lang.footer {
        let _ = writeln!(out, "{IN}footer: {}", quote(footer));
    }
    if let Some(minutes) = lang.code_expiration_minutes {
        let _ = writeln!(out, "{IN}code_expiration_minutes: {minutes}");
    }
    if !lang.buttons.is_empty() {
        let _ = writeln!(out, "{IN}buttons:");
        for b in &lang.buttons {
            push_button(out, b);
        }
    }
}

fn push_header(out: &mut String, h: &Header) {
    const IN: &str = "          ";
    let _ = writeln!(out, "        header:");
    let _ = writeln!(out, "{IN}format: {}", h.format.as_str());
    if let Some(text) = &h.text {
        let _ = writeln!(out, "{IN}text: {}", quote(text));
    }
    if h.format != HeaderFormat::Text && !h.example.is_empty() {
        let _ = writeln!(
            out,
            "{IN}# Meta reads the example media back as a URL: before editing this language,\n\
             {IN}# replace `example` with `file: PATH` (Meta wants an upload handle)."
        );
    }
    push_examples(out, IN, &h.example);
}

fn push_examples(out: &mut String, indent: &str, examples: &Examples) {
    match examples {
        Examples::List(list) if !list.is_empty() => {
            let _ = writeln!(out, "{indent}example: {}", flow_list(list));
        }
        Examples::Named(map) if !map.is_empty() => {
            let _ = writeln!(out, "{indent}example:");
            for (k, v) in map {
                let _ = writeln!(out, "{indent}  {}: {}", key_or_quoted(k), quote(v));
            }
        }
        _ => {}
    }
}

fn push_button(out: &mut String, b: &Button) {
    const IN: &str = "            ";
    let _ = writeln!(out, "          - type: {}", b.kind.as_str());
    for (key, value) in [
        ("otp_type", &b.otp_type),
        ("text", &b.text),
        ("url", &b.url),
        ("phone_number", &b.phone_number),
    ] {
        if let Some(v) = value {
            let _ = writeln!(out, "{IN}{key}: {}", quote(v));
        }
    }
    if !b.example.is_empty() {
        let _ = writeln!(out, "{IN}example: {}", flow_list(&b.example));
    }
}

fn flow_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Words YAML may read as something other than a string when plain.
const RESERVED: [&str; 10] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

/// A key or name written plain when it is a plain identifier YAML reads as a string, quoted
/// otherwise.
pub fn key_or_quoted(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str());
    if plain { text.to_string() } else { quote(text) }
}

/// A YAML double-quoted scalar holding exactly `text`: JSON's escapes, plus `\uXXXX` for the
/// characters YAML does not allow unescaped (DEL, C1 controls, U+FFFE/U+FFFF), whatever Meta
/// sent.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(c, '\u{fffe}' | '\u{ffff}' | '\u{feff}') =>
            {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Comments end at a newline: keep any text Meta sends on one line.
fn comment_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
