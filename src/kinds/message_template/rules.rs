//! Template rules beyond the schema, mirroring Meta's synchronous checks so a template is
//! never refused for something a linter can see. Every diagnostic's help line names the Meta
//! error it prevents. Also: `credentials` names a declared entry, and channel configurations'
//! `templates:` name declared templates.

use std::collections::BTreeSet;
use std::fmt;

use super::model::Category;
use super::placeholders::{self, Placeholder};
use crate::config::{Node, SourceFile};
use crate::diag::Diagnostic;
use crate::rules::{Entry, Label, at_node, check_unique, did_you_mean, entries};

/// Meta's longest template name.
pub const MAX_NAME_LEN: usize = 512;
/// Meta's longest body text.
pub const MAX_BODY: usize = 1024;
/// Meta's longest header text and footer.
pub const MAX_HEADER: usize = 60;
pub const MAX_FOOTER: usize = 60;
/// Meta's longest button label.
pub const MAX_BUTTON_TEXT: usize = 25;
/// Meta's button limits: all buttons, and per type.
pub const MAX_BUTTONS: usize = 10;
pub const MAX_URL_BUTTONS: usize = 2;
pub const MAX_PHONE_BUTTONS: usize = 1;
pub const MAX_COPY_CODE_BUTTONS: usize = 1;

pub fn entries_of(files: &[SourceFile]) -> Vec<Entry<'_>> {
    entries(files, "message_templates", "message template")
}

pub fn check(files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    let templates = entries_of(files);
    check_channel_references(files, &templates, out);
    if templates.is_empty() {
        return;
    }
    let credentials = crate::kinds::credentials::rules_entries(files);
    check_unique(&templates, "message template", out);
    crate::kinds::credentials::check_references(&templates, &credentials, out);
    for entry in &templates {
        check_name(entry, out);
        check_ttl(entry, out);
        check_languages(entry, out);
    }
}

/// `message_send_ttl_seconds` within what Meta accepts for the template's category.
fn check_ttl(entry: &Entry<'_>, out: &mut Vec<Diagnostic>) {
    let Some(crate::config::Value::Int(ttl)) =
        entry.node.get("message_send_ttl_seconds").map(|n| &n.value)
    else {
        return;
    };
    let ttl = *ttl;
    let Some(category) = entry.node.get_str("category").and_then(Category::parse) else {
        return;
    };
    let (min, max) = category.ttl_range();
    if (i64::from(min)..=i64::from(max)).contains(&ttl) {
        return;
    }
    out.push(entry.at_field(
        Diagnostic::error(
            "wacfg::template::ttl_range",
            format!(
                "{} has message_send_ttl_seconds {ttl}; Meta takes {min} to {max} for {} templates",
                entry.named(),
                category.as_str()
            ),
        )
        .with_help(format!(
            "set {min} to {max} seconds, or remove it for Meta's default (Meta's ranges: AUTHENTICATION 30–900, UTILITY 30–43200, MARKETING 43200–2592000); prevents Meta's code 100 (invalid parameter: message_send_ttl_seconds)"
        )),
        "message_send_ttl_seconds",
    ));
}

/// Why a name breaks Meta's rule, if it does.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Some(format!(
            "is {} characters long; Meta allows {MAX_NAME_LEN}",
            name.chars().count()
        ));
    }
    name.chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
        .map(|c| format!("contains `{c}`; Meta allows lowercase letters, digits and `_`"))
}

fn check_name(entry: &Entry<'_>, out: &mut Vec<Diagnostic>) {
    let Some(name) = entry.name() else { return };
    if let Some(why) = name_problem(name) {
        let suggestion: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(MAX_NAME_LEN)
            .collect();
        out.push(entry.at_field(
            Diagnostic::error("wacfg::template::name", format!("template name `{name}` {why}"))
                .with_help(format!(
                    "try `{suggestion}`; prevents Meta's code 100 (invalid parameter: name) on create"
                )),
            "name",
        ));
    }
}

/// The most steps a rule goes below a language (`buttons/0/url`).
const MAX_STEPS: usize = 4;

/// One step of a JSON pointer below a language: a key or a list index.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where one rule looks: the node, and its pointer as the entry's, the language and the steps
/// below it. The pointer is written out only when a diagnostic is made: a valid file has no
/// use for one per node.
#[derive(Clone, Copy)]
struct Here<'a, 'e> {
    entry: &'e Entry<'a>,
    node: &'a Node,
    language: &'a str,
    steps: [Seg<'a>; MAX_STEPS],
    depth: usize,
}

impl<'a, 'e> Here<'a, 'e> {
    fn language(entry: &'e Entry<'a>, language: &'a str, node: &'a Node) -> Self {
        Here {
            entry,
            node,
            language,
            steps: [Seg::Index(0); MAX_STEPS],
            depth: 0,
        }
    }

    /// `/message_templates/3/languages/en_US/buttons/0/url`.
    fn pointer(&self) -> String {
        use std::fmt::Write as _;
        let mut pointer = format!("{}/languages/{}", self.entry.pointer(), self.language);
        for seg in &self.steps[..self.depth] {
            let _ = match seg {
                Seg::Key(key) => write!(pointer, "/{key}"),
                Seg::Index(i) => write!(pointer, "/{i}"),
            };
        }
        pointer
    }

    fn push(&self, out: &mut Vec<Diagnostic>, code: &str, message: String, help: String) {
        out.push(at_node(
            Diagnostic::error(format!("wacfg::template::{code}"), message).with_help(help),
            self.entry.file,
            self.node,
            &self.pointer(),
        ));
    }

    fn below(&self, seg: Seg<'a>, node: &'a Node) -> Here<'a, 'e> {
        let mut steps = self.steps;
        steps[self.depth] = seg;
        Here {
            node,
            steps,
            depth: self.depth + 1,
            ..*self
        }
    }

    fn child(&self, key: &'a str) -> Option<Here<'a, 'e>> {
        let node = self.node.get(key)?;
        Some(self.below(Seg::Key(key), node))
    }

    fn item(&self, i: usize, node: &'a Node) -> Here<'a, 'e> {
        self.below(Seg::Index(i), node)
    }
}

/// How messages name one language of a template: `message template `x` (en_US)`.
#[derive(Clone, Copy)]
struct What<'a> {
    template: Label<'a>,
    language: &'a str,
}

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.template, self.language)
    }
}

/// How messages name one button: `button 2 (URL) of message template `x` (en_US)`.
struct ButtonLabel<'a, 'w> {
    number: usize,
    kind: &'a str,
    what: &'w What<'a>,
}

impl fmt::Display for ButtonLabel<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "button {} ({}) of {}", self.number, self.kind, self.what)
    }
}

fn check_languages(entry: &Entry<'_>, out: &mut Vec<Diagnostic>) {
    let Some(languages) = entry.node.get("languages").and_then(Node::as_map) else {
        return;
    };
    let authentication = entry.node.get_str("category") == Some("AUTHENTICATION");
    let named = entry.node.get_str("parameter_format") == Some("named");
    for (code, node) in languages {
        let lang = Here::language(entry, &code.name, node);
        let what = What {
            template: entry.named(),
            language: &code.name,
        };
        if authentication {
            check_authentication(&lang, &what, out);
        } else {
            check_body(&lang, &what, named, out);
            check_header(&lang, &what, named, out);
            check_footer(&lang, &what, out);
        }
        check_buttons(&lang, &what, authentication, out);
    }
}

/// AUTHENTICATION templates are Meta's fixed shape: its own body text (with an optional
/// security line), an optional expiry footer, exactly one OTP button, nothing else.
fn check_authentication(lang: &Here<'_, '_>, what: &What<'_>, out: &mut Vec<Diagnostic>) {
    let help = "AUTHENTICATION templates take no header, body text or footer text (Meta writes them): keep `body: {add_security_recommendation: …}`, `code_expiration_minutes` and one OTP button; prevents Meta's code 100 (invalid parameter: components)";
    for key in ["header", "footer"] {
        if let Some(here) = lang.child(key) {
            here.push(
                out,
                "authentication_shape",
                format!("{what} is AUTHENTICATION and has a {key}"),
                help.into(),
            );
        }
    }
    if let Some(text) = lang.child("body").and_then(|b| b.child("text")) {
        text.push(
            out,
            "authentication_shape",
            format!("{what} is AUTHENTICATION and sets body text"),
            help.into(),
        );
    }
    let buttons = lang
        .node
        .get("buttons")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let otp = buttons
        .iter()
        .filter(|b| b.get_str("type") == Some("OTP"))
        .count();
    if let Some(list) = lang.child("buttons") {
        for (i, node) in buttons.iter().enumerate() {
            let button = list.item(i, node);
            match node.get_str("type") {
                Some("OTP") | None => {}
                Some(kind) => button.push(
                    out,
                    "authentication_shape",
                    format!("button {} ({kind}) of {what}: an AUTHENTICATION template takes only its OTP button", i + 1),
                    "remove the button, or use category UTILITY or MARKETING for a template with other buttons; prevents Meta's code 100 (invalid parameter: buttons)".into(),
                ),
            }
            let has_apps = node
                .get("supported_apps")
                .and_then(Node::as_seq)
                .is_some_and(|apps| !apps.is_empty());
            if let (Some(otp_type @ ("ONE_TAP" | "ZERO_TAP")), false) =
                (node.get_str("otp_type"), has_apps)
            {
                button.push(
                    out,
                    "authentication_shape",
                    format!("button {} (OTP) of {what} is {otp_type} without `supported_apps`", i + 1),
                    "Meta requires the Android app the code is filled into: add `supported_apps: [{package_name: com.example.app, signature_hash: …}]`, or use `otp_type: COPY_CODE`; prevents Meta's code 100 (invalid parameter: supported_apps)".into(),
                );
            }
        }
    }
    if otp != 1 {
        lang.push(
            out,
            "authentication_shape",
            format!(
                "{what} is AUTHENTICATION and has {otp} OTP buttons; Meta requires exactly one"
            ),
            help.into(),
        );
    }
}

fn check_body(lang: &Here<'_, '_>, what: &What<'_>, named: bool, out: &mut Vec<Diagnostic>) {
    let Some(body) = lang.child("body") else {
        lang.push(
            out,
            "body_missing",
            format!("{what} has no body"),
            "add `body: {text: …}`; prevents Meta's code 100 (a BODY component is required)".into(),
        );
        return;
    };
    let Some(text_here) = body.child("text") else {
        body.push(
            out,
            "body_missing",
            format!("{what} has no body text"),
            "add `text:` to the body; prevents Meta's code 100 (a BODY component is required)"
                .into(),
        );
        return;
    };
    let Some(text) = text_here.node.as_str() else {
        return;
    };
    let chars = text.chars().count();
    if chars > MAX_BODY {
        text_here.push(
            out,
            "body_too_long",
            format!("the body of {what} has {chars} characters; Meta allows {MAX_BODY}"),
            "shorten the body; prevents Meta's subcode 2388040 (too many characters)".into(),
        );
    }
    let found = placeholders::find(text);
    if !check_format(&text_here, what, "body", &found, named, out) {
        return;
    }
    if let Some(p) = found.iter().find(|p| placeholders::at_edge(text, p)) {
        text_here.push(
            out,
            "placeholder_at_edge",
            format!(
                "the body of {what} starts or ends with the placeholder `{{{{{}}}}}`",
                p.name
            ),
            "put words before the first and after the last placeholder; prevents Meta's subcode 2388299 (variables at the start or end)".into(),
        );
    }
    let distinct = placeholders::distinct(&found);
    let words = placeholders::words_outside(text, &found);
    let needed = placeholders::words_needed(found.len());
    if words < needed {
        text_here.push(
            out,
            "too_many_placeholders",
            format!(
                "the body of {what} has {} placeholders and {words} words; {needed} words are needed",
                found.len()
            ),
            "add words or remove placeholders: at least 2 words per placeholder (each occurrence counts), plus 1; prevents Meta's subcode 2388293 (too many variables for the message length)".into(),
        );
    }
    check_examples(&body, what, "body", &distinct, out);
}

fn check_header(lang: &Here<'_, '_>, what: &What<'_>, named: bool, out: &mut Vec<Diagnostic>) {
    let Some(header) = lang.child("header") else {
        return;
    };
    let format = header.node.get_str("format").unwrap_or("TEXT");
    if format != "TEXT" {
        if header.node.get("text").is_some() {
            header.push(
                out,
                "header_shape",
                format!("the {format} header of {what} has text"),
                "a media header has no text: remove `text`, or use format TEXT; prevents Meta's subcode 2388047 (invalid header format)".into(),
            );
        }
        let has_example = header
            .node
            .get("example")
            .and_then(Node::as_seq)
            .is_some_and(|s| !s.is_empty());
        if !has_example && header.node.get("file").is_none() {
            header.push(
                out,
                "media_example_missing",
                format!("the {format} header of {what} has no example media"),
                "set `example: [<upload handle>]` or `file: PATH` (wacfg uploads it through Meta's resumable upload); prevents Meta's subcode 2388273 (media header without an example)".into(),
            );
        }
        if let Some(file) = header.child("file")
            && let Some(path) = file.node.as_str()
            && let Err(why) = super::media::media_type(std::path::Path::new(path), format)
        {
            file.push(
                out,
                "media_file_type",
                format!("the {format} header file of {what}: {why}"),
                "Meta takes JPEG or PNG images (5 MB), MP4 or 3GP videos (16 MB) and PDF documents (100 MB) as a header sample; the type is read from the extension. Meta documents no error code for a sample of another type, so none is named: wacfg refuses it before anything is uploaded or submitted".into(),
            );
        }
        return;
    }
    let Some(text_here) = header.child("text") else {
        header.push(
            out,
            "header_shape",
            format!("the TEXT header of {what} has no text"),
            "add `text:` or remove the header; prevents Meta's subcode 2388047 (invalid header format)".into(),
        );
        return;
    };
    let Some(text) = text_here.node.as_str() else {
        return;
    };
    let chars = text.chars().count();
    if chars > MAX_HEADER {
        text_here.push(
            out,
            "header_too_long",
            format!("the header of {what} has {chars} characters; Meta allows {MAX_HEADER}"),
            "shorten the header; prevents Meta's subcode 2388040 (too many characters)".into(),
        );
    }
    let found = placeholders::find(text);
    if !check_format(&text_here, what, "header", &found, named, out) {
        return;
    }
    let distinct = placeholders::distinct(&found);
    if distinct.len() > 1 {
        text_here.push(
            out,
            "header_placeholders",
            format!("the header of {what} has {} placeholders; Meta allows one", distinct.len()),
            "keep one placeholder in the header; prevents Meta's subcode 2388047 (invalid header format)".into(),
        );
    }
    check_examples(&header, what, "header", &distinct, out);
}

fn check_footer(lang: &Here<'_, '_>, what: &What<'_>, out: &mut Vec<Diagnostic>) {
    let Some(footer) = lang.child("footer") else {
        return;
    };
    let Some(text) = footer.node.as_str() else {
        return;
    };
    let chars = text.chars().count();
    if chars > MAX_FOOTER {
        footer.push(
            out,
            "footer_too_long",
            format!("the footer of {what} has {chars} characters; Meta allows {MAX_FOOTER}"),
            "shorten the footer; prevents Meta's subcode 2388040 (too many characters)".into(),
        );
    }
    if !placeholders::find(text).is_empty() {
        footer.push(
            out,
            "footer_placeholder",
            format!("the footer of {what} has a placeholder"),
            "footers are plain text: remove the placeholder; prevents Meta's subcode 2388073 (invalid footer format)".into(),
        );
    }
}

/// Placeholders of one text follow the template's parameter format: numbered from 1 without
/// gaps, or lowercase names; never both. `false` when they do not (later checks would only
/// repeat the problem).
fn check_format(
    here: &Here<'_, '_>,
    what: &What<'_>,
    part: &str,
    found: &[Placeholder<'_>],
    named: bool,
    out: &mut Vec<Diagnostic>,
) -> bool {
    let positional = found.iter().filter(|p| p.is_positional()).count();
    if positional > 0 && positional < found.len() {
        here.push(
            out,
            "placeholder_mixed",
            format!("the {part} of {what} mixes numbered and named placeholders"),
            "use one style: `{{1}}`, `{{2}}` (parameter_format: positional) or `{{name}}` (parameter_format: named); prevents Meta's subcode 2388047 (invalid format)".into(),
        );
        return false;
    }
    if named {
        if positional > 0 {
            here.push(
                out,
                "placeholder_format",
                format!("the {part} of {what} has numbered placeholders but parameter_format is named"),
                "write `{{first_name}}`-style names, or set `parameter_format: positional`; prevents Meta's subcode 2388047 (invalid format)".into(),
            );
            return false;
        }
        if let Some(p) = found.iter().find(|p| !p.is_valid_name()) {
            here.push(
                out,
                "placeholder_name",
                format!("the {part} of {what} has the placeholder `{{{{{}}}}}`", p.name),
                "named placeholders are lowercase letters, digits and `_`, a letter first; prevents Meta's subcode 2388047 (invalid format)".into(),
            );
            return false;
        }
        return true;
    }
    if let Some(p) = found.iter().find(|p| !p.is_positional()) {
        here.push(
            out,
            "placeholder_format",
            format!("the {part} of {what} has the named placeholder `{{{{{}}}}}` but parameter_format is positional", p.name),
            "number placeholders `{{1}}`, `{{2}}`, … or set `parameter_format: named`; prevents Meta's subcode 2388047 (invalid format)".into(),
        );
        return false;
    }
    let gaps = placeholders::gaps(found);
    if !gaps.is_empty() {
        let missing: Vec<String> = gaps.iter().map(|n| format!("{{{{{n}}}}}")).collect();
        here.push(
            out,
            "placeholder_gap",
            format!("the {part} of {what} skips {}", missing.join(", ")),
            "number placeholders from {{1}} without gaps; prevents Meta's subcode 2388047 (invalid format)".into(),
        );
        return false;
    }
    true
}

/// An example value for every placeholder of a text (list for numbered, map for named).
fn check_examples(
    part_here: &Here<'_, '_>,
    what: &What<'_>,
    part: &str,
    distinct: &[&str],
    out: &mut Vec<Diagnostic>,
) {
    if distinct.is_empty() {
        return;
    }
    let example = part_here.node.get("example");
    let missing: Vec<&str> = match example.map(|n| &n.value) {
        Some(crate::config::Value::Seq(items)) => distinct
            .iter()
            .copied()
            .filter(|name| {
                name.parse::<usize>()
                    .map_or(true, |n| n == 0 || n > items.len())
            })
            .collect(),
        Some(crate::config::Value::Map(_)) => distinct
            .iter()
            .copied()
            .filter(|name| example.and_then(|e| e.get(name)).is_none())
            .collect(),
        _ => distinct.to_vec(),
    };
    if missing.is_empty() {
        return;
    }
    let shown: Vec<String> = missing.iter().map(|n| format!("{{{{{n}}}}}")).collect();
    let target = part_here.child("example").unwrap_or(*part_here);
    target.push(
        out,
        "example_missing",
        format!("the {part} of {what} has no example for {}", shown.join(", ")),
        "give `example:` one value per placeholder (a list in order for {{1}}…, or name: value for named ones); prevents Meta's code 100 (examples are required for variables)".into(),
    );
}

fn check_buttons(
    lang: &Here<'_, '_>,
    what: &What<'_>,
    authentication: bool,
    out: &mut Vec<Diagnostic>,
) {
    let Some(list) = lang.child("buttons") else {
        return;
    };
    let Some(items) = list.node.as_seq() else {
        return;
    };
    let limit_help = |n: usize, kind: &str| {
        format!(
            "Meta allows {n} {kind} per template: remove some; prevents Meta's code 100 (invalid parameter: buttons)"
        )
    };
    if items.len() > MAX_BUTTONS {
        list.push(
            out,
            "too_many_buttons",
            format!("{what} has {} buttons", items.len()),
            limit_help(MAX_BUTTONS, "buttons"),
        );
    }
    let count = |t: &str| {
        items
            .iter()
            .filter(|b| b.get_str("type") == Some(t))
            .count()
    };
    for (kind, max) in [
        ("URL", MAX_URL_BUTTONS),
        ("PHONE_NUMBER", MAX_PHONE_BUTTONS),
        ("COPY_CODE", MAX_COPY_CODE_BUTTONS),
    ] {
        if count(kind) > max {
            list.push(
                out,
                "too_many_buttons",
                format!("{what} has {} {kind} buttons", count(kind)),
                limit_help(max, &format!("{kind} buttons")),
            );
        }
    }
    // Quick replies form one group: Meta refuses them interleaved with other buttons.
    let kinds: Vec<bool> = items
        .iter()
        .map(|b| b.get_str("type") == Some("QUICK_REPLY"))
        .collect();
    let switches = kinds.windows(2).filter(|w| w[0] != w[1]).count();
    if switches > 1 {
        list.push(
            out,
            "button_order",
            format!("the quick replies of {what} are interleaved with other buttons"),
            "list the QUICK_REPLY buttons together, before or after the others; prevents Meta's code 100 (invalid parameter: buttons)".into(),
        );
    }
    for (i, node) in items.iter().enumerate() {
        let button = list.item(i, node);
        check_button(&button, what, i, authentication, out);
    }
}

fn check_button(
    button: &Here<'_, '_>,
    what: &What<'_>,
    i: usize,
    authentication: bool,
    out: &mut Vec<Diagnostic>,
) {
    let Some(kind) = button.node.get_str("type") else {
        return;
    };
    let label = ButtonLabel {
        number: i + 1,
        kind,
        what,
    };
    let required: &[&str] = match kind {
        "QUICK_REPLY" => &["text"],
        "URL" => &["text", "url"],
        "PHONE_NUMBER" => &["text", "phone_number"],
        "COPY_CODE" => &["example"],
        "OTP" => &["otp_type"],
        _ => &[],
    };
    for key in required {
        if button.node.get(key).is_none() {
            button.push(
                out,
                "button_field_missing",
                format!("{label} has no `{key}`"),
                format!("add `{key}`; prevents Meta's code 100 (invalid parameter: buttons)"),
            );
        }
    }
    if kind == "OTP" && !authentication {
        button.push(
            out,
            "authentication_shape",
            format!("{label} is an OTP button outside an AUTHENTICATION template"),
            "OTP buttons belong to AUTHENTICATION templates: set `category: AUTHENTICATION` or use COPY_CODE; prevents Meta's code 100 (invalid parameter: buttons)".into(),
        );
    }
    if let Some(text) = button.child("text")
        && let Some(t) = text.node.as_str()
        && t.chars().count() > MAX_BUTTON_TEXT
    {
        text.push(
            out,
            "button_text_too_long",
            format!(
                "{label} has {} characters; Meta allows {MAX_BUTTON_TEXT}",
                t.chars().count()
            ),
            "shorten the label; prevents Meta's subcode 2388040 (too many characters)".into(),
        );
    }
    if kind == "URL"
        && let Some(url_here) = button.child("url")
        && let Some(url) = url_here.node.as_str()
    {
        check_url_button(button, &url_here, url, &label, out);
    }
}

fn check_url_button(
    button: &Here<'_, '_>,
    url_here: &Here<'_, '_>,
    url: &str,
    label: &ButtonLabel<'_, '_>,
    out: &mut Vec<Diagnostic>,
) {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        url_here.push(
            out,
            "url_invalid",
            format!("the URL of {label} does not start with https://"),
            "use an http(s) URL; prevents Meta's code 100 (invalid parameter: url)".into(),
        );
    }
    let found = placeholders::find(url);
    let misplaced = found.len() > 1
        || found
            .first()
            .is_some_and(|p| p.end != url.len() || !p.is_positional() || p.name != "1");
    if misplaced {
        url_here.push(
            out,
            "url_placeholder",
            format!("the URL of {label} has a placeholder that is not one `{{{{1}}}}` at its end"),
            "a URL button takes one placeholder, {{1}}, as the last thing of the URL (https://example.com/o/{{1}}); prevents Meta's code 100 (invalid parameter: url)".into(),
        );
        return;
    }
    if !found.is_empty() {
        let has_example = button
            .node
            .get("example")
            .and_then(Node::as_seq)
            .is_some_and(|s| !s.is_empty());
        if !has_example {
            button.push(
                out,
                "example_missing",
                format!("{label} has no example for the URL's {{{{1}}}}"),
                "add `example: [<value>]`; prevents Meta's code 100 (examples are required for variables)".into(),
            );
        }
    }
}

/// Each channel configuration's `templates:` names a declared template.
fn check_channel_references(
    files: &[SourceFile],
    templates: &[Entry<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let names: BTreeSet<&str> = templates.iter().filter_map(Entry::name).collect();
    for channel in entries(files, "channel_configurations", "channel configuration") {
        let Some(items) = channel.node.get("templates").and_then(Node::as_seq) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Some(target) = item.as_str() else {
                continue;
            };
            if names.contains(target) {
                continue;
            }
            let hint = did_you_mean(target, names.iter().copied());
            let help = if names.is_empty() {
                "declare it under `message_templates:` (no template is declared)".to_string()
            } else {
                format!("{hint}declare it under `message_templates:`, or fix the name")
            };
            out.push(at_node(
                Diagnostic::error(
                    "wacfg::reference::unknown_template",
                    format!(
                        "{} uses template `{target}`, which is not declared",
                        channel.label()
                    ),
                )
                .with_help(help),
                channel.file,
                item,
                &format!("{}/{i}", channel.field_pointer("templates")),
            ));
        }
    }
}
