//! Variables: `${var.NAME}` in any string value of a configuration, replaced by the value the
//! operator (`--var NAME=VALUE`, then `WACFG_VAR_NAME`) or a file's `vars:` block gives.
//! No other templating: a variable's value is inserted as is (never expanded again), `$${`
//! writes a literal `${`, and any other `${…}` is an error. Owns the precedence and the
//! located diagnostics (file, line and column of the reference itself). Reads no environment:
//! the command layer hands the operator's values in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::load::{Loaded, SourceFile};
use super::node::{Node, Value};
use crate::diag::{Diagnostic, Related, Span};

/// The prefix of environment variables that set a variable: `WACFG_VAR_waba_test`.
pub const ENV_PREFIX: &str = "WACFG_VAR_";

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarOrigin {
    /// `--var NAME=VALUE`.
    Flag,
    /// `WACFG_VAR_NAME`.
    Env,
    /// A `vars:` block: the file and the key's place.
    File(PathBuf, Span),
}

impl VarOrigin {
    /// How messages name it: `--var waba`, `WACFG_VAR_waba`, `vars.waba` (the diagnostic
    /// points at the file).
    fn describe(&self, name: &str) -> String {
        match self {
            VarOrigin::Flag => format!("--var {name}"),
            VarOrigin::Env => format!("{ENV_PREFIX}{name}"),
            VarOrigin::File(..) => format!("vars.{name}"),
        }
    }
}

/// One variable's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarValue {
    pub value: String,
    pub origin: VarOrigin,
}

/// The variables the operator set: `--var` flags and `WACFG_VAR_*` environment variables.
/// Flags beat the environment, which beats every file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorVars {
    pub flags: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
}

impl OperatorVars {
    /// Parse `NAME=VALUE` flags (a later flag for the same name wins) and pick the
    /// `WACFG_VAR_*` entries of an environment listing.
    pub fn new<'a>(
        flags: impl IntoIterator<Item = &'a str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, String> {
        let mut out = OperatorVars::default();
        for flag in flags {
            let (name, value) = parse_flag(flag)?;
            out.flags.insert(name.to_string(), value.to_string());
        }
        for (key, value) in env {
            if let Some(name) = key.strip_prefix(ENV_PREFIX)
                && is_name(name)
            {
                out.env.insert(name.to_string(), value);
            }
        }
        Ok(out)
    }
}

/// `NAME=VALUE` as `--var` takes it.
pub fn parse_flag(flag: &str) -> Result<(&str, &str), String> {
    let Some((name, value)) = flag.split_once('=') else {
        return Err(format!(
            "--var {flag:?} has no `=`: write --var NAME=VALUE, e.g. --var waba_id=123456789012345"
        ));
    };
    if !is_name(name) {
        return Err(format!(
            "--var {flag:?}: {name:?} is not a variable name (letters, digits and `_`, not \
             starting with a digit)"
        ));
    }
    Ok((name, value))
}

/// Letters, digits and `_`, not starting with a digit.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every variable, by name, after precedence: each source's `vars:` blocks in order (a later
/// source overrides an earlier one; within one source a name is declared once), then the
/// environment, then the flags. Problems (a name declared twice in one source, a value that
/// looks like an access token) are pushed on `out`.
pub fn collect(
    sources: &[Loaded],
    operator: &OperatorVars,
    out: &mut Vec<Diagnostic>,
) -> BTreeMap<String, VarValue> {
    let mut vars: BTreeMap<String, VarValue> = BTreeMap::new();
    for source in sources {
        let mut in_source: BTreeMap<String, (PathBuf, Span)> = BTreeMap::new();
        for file in &source.files {
            let Some(entries) = file
                .tree
                .as_ref()
                .and_then(|t| t.get("vars"))
                .and_then(Node::as_map)
            else {
                continue;
            };
            for (key, node) in entries {
                let value = match &node.value {
                    Value::String(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    // The schema says what a variable may be.
                    _ => continue,
                };
                if let Some((first_file, first_span)) = in_source.get(&key.name) {
                    let mut diag = Diagnostic::error(
                        "wacfg::vars::duplicate",
                        format!("variable `{}` is declared twice in one source", key.name),
                    )
                    .with_help(
                        "declare it once; to give it another value per environment, set it in a \
                         later -c source or with --var",
                    )
                    .at(&file.path, key.span.clone())
                    .with_pointer(format!("/vars/{}", key.name));
                    diag.related.push(Related {
                        message: "first declared here".to_string(),
                        file: Some(first_file.clone()),
                        span: Some(first_span.clone()),
                    });
                    out.push(diag);
                    continue;
                }
                in_source.insert(key.name.clone(), (file.path.clone(), key.span.clone()));
                vars.insert(
                    key.name.clone(),
                    VarValue {
                        value,
                        origin: VarOrigin::File(file.path.clone(), key.span.clone()),
                    },
                );
            }
        }
    }
    for (name, value) in &operator.env {
        vars.insert(
            name.clone(),
            VarValue {
                value: value.clone(),
                origin: VarOrigin::Env,
            },
        );
    }
    for (name, value) in &operator.flags {
        vars.insert(
            name.clone(),
            VarValue {
                value: value.clone(),
                origin: VarOrigin::Flag,
            },
        );
    }
    for (name, var) in &vars {
        if looks_like_token(&var.value) {
            let diag = Diagnostic::error(
                "wacfg::vars::secret",
                format!(
                    "variable `{name}` ({}) looks like an access token",
                    var.origin.describe(name)
                ),
            )
            .with_help(
                "never pass a secret as a variable: its value would be written into plans and \
                 state. Give the variable a reference instead (e.g. env:WA_TOKEN_PROD or \
                 file:secrets/prod.token) and use it where a token is expected",
            );
            out.push(match &var.origin {
                VarOrigin::File(path, span) => diag
                    .at(path, span.clone())
                    .with_pointer(format!("/vars/{name}")),
                _ => diag,
            });
        }
    }
    vars
}

/// Meta's access tokens start with `EAA` and run to well over a hundred letters and digits.
/// A value of that shape is refused as a variable wherever it is used.
fn looks_like_token(value: &str) -> bool {
    value.len() >= 32
        && value.starts_with("EAA")
        && value.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Replace every `${var.NAME}` in the string values of each file (the `vars:` block itself
/// excepted) and `$${` by `${`. An undefined or malformed reference is an error located at the
/// reference; the string is left as written.
pub fn substitute(
    files: &mut [SourceFile],
    vars: &BTreeMap<String, VarValue>,
    out: &mut Vec<Diagnostic>,
) {
    for file in files.iter_mut() {
        let Some(tree) = file.tree.as_mut() else {
            continue;
        };
        let text = std::str::from_utf8(&file.bytes).unwrap_or("");
        // The tree was parsed from these bytes: when no value can hold a reference, there is
        // nothing to replace or report.
        if text.len() == file.bytes.len() && !may_hold_references(text) {
            continue;
        }
        let mut cx = Cx {
            path: &file.path,
            text,
            vars,
            out,
        };
        // One pointer buffer for the whole walk, grown and cut back as it goes down and up:
        // a pointer is only needed for a diagnostic, not worth a string per node.
        let mut pointer = String::new();
        match &mut tree.value {
            Value::Map(entries) => {
                for (key, node) in entries.iter_mut() {
                    if key.name != "vars" {
                        push_key(&mut pointer, &key.name);
                        cx.walk(node, &mut pointer);
                        pointer.clear();
                    }
                }
            }
            _ => cx.walk(tree, &mut pointer),
        }
    }
}

/// Whether a value parsed from `text` may contain `${` (a reference, or the `$${` escape).
/// Every way YAML writes a value either keeps `${` as written, or joins lines with a space
/// or a line break; only a backslash, in a double-quoted scalar, makes characters the text
/// does not show side by side (`\x24{`, a `\` at the end of a line). So without `${` and
/// without a backslash in the file, no value holds `${`. A property test checks this on
/// generated scalars of every style.
pub(crate) fn may_hold_references(text: &str) -> bool {
    text.contains("${") || text.contains('\\')
}

/// Append `/part` to a JSON pointer, escaped.
fn push_key(pointer: &mut String, part: &str) {
    pointer.push('/');
    if part.contains(['~', '/']) {
        pointer.push_str(&part.replace('~', "~0").replace('/', "~1"));
    } else {
        pointer.push_str(part);
    }
}

struct Cx<'a> {
    path: &'a Path,
    text: &'a str,
    vars: &'a BTreeMap<String, VarValue>,
    out: &'a mut Vec<Diagnostic>,
}

impl Cx<'_> {
    /// `pointer` is `node`'s pointer; it is the same again when this returns.
    fn walk(&mut self, node: &mut Node, pointer: &mut String) {
        let at = pointer.len();
        match &mut node.value {
            Value::String(s) if s.contains("${") => {
                let span = node.span.clone();
                if let Some(replaced) = self.expand(s, &span, pointer) {
                    *s = replaced;
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    use std::fmt::Write as _;
                    let _ = write!(pointer, "/{i}");
                    self.walk(item, pointer);
                    pointer.truncate(at);
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries.iter_mut() {
                    push_key(pointer, &key.name);
                    self.walk(value, pointer);
                    pointer.truncate(at);
                }
            }
            _ => {}
        }
    }

    /// The string with its references replaced, or `None` after reporting a problem.
    fn expand(&mut self, s: &str, span: &Span, pointer: &str) -> Option<String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        let mut ok = true;
        while let Some(at) = rest.find("${") {
            if rest[..at].ends_with('$') {
                // `$${`: a literal `${`.
                out.push_str(&rest[..at - 1]);
                out.push_str("${");
                rest = &rest[at + 2..];
                continue;
            }
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let Some(close) = after.find('}') else {
                self.report_malformed(&rest[at..], span, pointer);
                return None;
            };
            let reference = &rest[at..at + 2 + close + 1];
            let inner = &after[..close];
            match inner.strip_prefix("var.").filter(|name| is_name(name)) {
                Some(name) => match self.vars.get(name) {
                    Some(var) => out.push_str(&var.value),
                    None => {
                        self.report_undefined(name, reference, span, pointer);
                        ok = false;
                    }
                },
                None => {
                    self.report_malformed(reference, span, pointer);
                    ok = false;
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        ok.then_some(out)
    }

    /// Where `needle` is written inside the scalar at `span`; the scalar's own place when it
    /// cannot be found as written (an escape sequence inside a double-quoted reference).
    fn locate(&self, needle: &str, span: &Span) -> Span {
        let end = (span.offset + span.len.max(needle.len())).min(self.text.len());
        let found = self
            .text
            .get(span.offset..end)
            .and_then(|raw| raw.find(needle))
            .map(|i| span.offset + i)
            .or_else(|| {
                // The parser's span may not cover a multi-line scalar's whole text.
                self.text
                    .get(span.offset..)
                    .and_then(|raw| raw.find(needle))
                    .map(|i| span.offset + i)
            });
        let Some(offset) = found else {
            return span.clone();
        };
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Span {
            line,
            column: before[line_start..].chars().count() + 1,
            offset,
            len: needle.len(),
        }
    }

    fn report_undefined(&mut self, name: &str, reference: &str, span: &Span, pointer: &str) {
        let known: Vec<String> = self.vars.keys().take(8).map(|k| format!("`{k}`")).collect();
        let defined = match known.as_slice() {
            [] => String::from(" (no variable is defined)"),
            _ => format!(" (defined: {})", known.join(", ")),
        };
        let diag = Diagnostic::error(
            "wacfg::vars::undefined",
            format!("variable `{name}` is not defined{defined}"),
        )
        .with_help(format!(
            "declare it under `vars:` in a configuration file, or set it with --var {name}=VALUE \
             or {ENV_PREFIX}{name}"
        ))
        .at(self.path, self.locate(reference, span))
        .with_pointer(pointer);
        self.out.push(diag);
    }

    fn report_malformed(&mut self, reference: &str, span: &Span, pointer: &str) {
        let shown: String = reference.chars().take(40).collect();
        let diag = Diagnostic::error(
            "wacfg::vars::syntax",
            format!("`{shown}` is not a variable reference"),
        )
        .with_help(
            "write ${var.NAME} (letters, digits and `_`); for a literal `${`, write `$${`. \
             wacfg has no other templating",
        )
        .at(self.path, self.locate(reference, span))
        .with_pointer(pointer);
        self.out.push(diag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, VarValue> {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    VarValue {
                        value: v.to_string(),
                        origin: VarOrigin::Flag,
                    },
                )
            })
            .collect()
    }

    fn expand(s: &str, vars: &BTreeMap<String, VarValue>) -> (Option<String>, Vec<Diagnostic>) {
        let mut out = Vec::new();
        let mut cx = Cx {
            path: Path::new("f.yaml"),
            text: "",
            vars,
            out: &mut out,
        };
        let got = cx.expand(s, &Span::default(), "/x");
        (got, out)
    }

    #[test]
    fn references_are_replaced_and_escapes_kept_literal() {
        let v = vars(&[("waba", "123"), ("env", "prod")]);
        assert_eq!(
            expand("${var.waba}-${var.env}", &v).0.as_deref(),
            Some("123-prod")
        );
        assert_eq!(
            expand("cost $${var.waba} ok", &v).0.as_deref(),
            Some("cost ${var.waba} ok")
        );
        // A value is inserted as is, never expanded again.
        let v = vars(&[("a", "${var.b}")]);
        assert_eq!(expand("${var.a}", &v).0.as_deref(), Some("${var.b}"));
    }

    #[test]
    fn undefined_and_malformed_references_are_errors() {
        let v = vars(&[("waba", "1")]);
        let (got, diags) = expand("${var.wabba}", &v);
        assert!(got.is_none());
        assert_eq!(diags[0].code, "wacfg::vars::undefined");
        assert!(diags[0].message.contains("(defined: `waba`)"), "{diags:?}");
        for bad in ["${env.HOME}", "${var.}", "${var.a-b}", "${var.waba"] {
            let (got, diags) = expand(bad, &v);
            assert!(got.is_none(), "{bad}");
            assert_eq!(diags[0].code, "wacfg::vars::syntax", "{bad}");
        }
    }

    #[test]
    fn flags_are_parsed_and_checked() {
        assert_eq!(parse_flag("a=b=c"), Ok(("a", "b=c")));
        assert!(parse_flag("novalue").is_err());
        assert!(parse_flag("1a=x").is_err());
        let op = OperatorVars::new(
            ["x=1", "x=2"],
            [
                ("WACFG_VAR_y".to_string(), "3".to_string()),
                ("WACFG_VAR_".to_string(), "4".to_string()),
                ("OTHER".to_string(), "5".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(op.flags.get("x").map(String::as_str), Some("2"));
        assert_eq!(op.env.len(), 1);
        assert_eq!(op.env.get("y").map(String::as_str), Some("3"));
    }

    #[test]
    fn token_shaped_values_are_recognised() {
        assert!(looks_like_token(&format!("EAA{}", "x".repeat(40))));
        assert!(!looks_like_token("env:WA_TOKEN"));
        assert!(!looks_like_token("EAA"));
    }

    #[test]
    fn a_reference_written_with_an_escape_is_still_walked() {
        let text = "k: \"\\x24{var.waba}\"\n";
        let tree = crate::config::parse_strict(text).unwrap();
        assert_eq!(tree.get_str("k"), Some("${var.waba}"));
        assert!(may_hold_references(text));
        assert!(!may_hold_references("k: \"$ {var.waba}\"\n"));
    }

    /// Every string value of a tree (keys are not substituted).
    fn strings(node: &Node, out: &mut Vec<String>) {
        match &node.value {
            Value::String(s) => out.push(s.clone()),
            Value::Seq(items) => items.iter().for_each(|n| strings(n, out)),
            Value::Map(entries) => entries.iter().for_each(|(_, n)| strings(n, out)),
            _ => {}
        }
    }

    /// Pieces of scalar text that can make a `${` with or without showing one: escapes,
    /// folded and escaped line breaks, quotes doubled.
    const PIECES: &[&str] = &[
        "$",
        "{",
        "}",
        "${",
        "$${",
        "\\x24",
        "\\u0024",
        "\\U00000024",
        "\\\n",
        "\\",
        "''",
        "\n",
        "\n\n",
        " ",
        "  ",
        "a",
        "var.x",
        "#",
        " #",
        ": ",
        "-",
        "\"",
        "'",
    ];

    fn scalar() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let body = proptest::collection::vec(proptest::sample::select(PIECES), 0..8)
            .prop_map(|pieces| pieces.concat());
        (body, 0..5usize).prop_map(|(body, style)| {
            // Continuation lines indented under the key, as each style needs them.
            let indented = body.replace('\n', "\n  ");
            match style {
                0 => indented,
                1 => format!("'{indented}'"),
                2 => format!("\"{indented}\""),
                3 => format!("|\n  {indented}"),
                _ => format!(">\n  {indented}"),
            }
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// The premise of skipping the walk: a file without `${` and without a backslash
        /// parses to values without `${`, whatever the scalar style.
        #[test]
        fn no_value_holds_a_reference_the_text_does_not_show(
            values in proptest::collection::vec(scalar(), 1..4)
        ) {
            let text: String = values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("k{i}: {v}\n"))
                .collect();
            if let Ok(tree) = crate::config::parse_strict(&text) {
                let mut found = Vec::new();
                strings(&tree, &mut found);
                if !may_hold_references(&text) {
                    proptest::prop_assert!(
                        found.iter().all(|s| !s.contains("${")),
                        "{text:?} -> {found:?}"
                    );
                }
            }
        }
    }
}
