//! Naming rules for credentials and channel configurations: the character rules (with their
//! own message for non-ASCII letters), and uniqueness within each kind, including names that
//! differ only in case, within a file and across files.

use std::collections::HashMap;

use super::entry::Entry;
use crate::diag::{Diagnostic, Related};

pub const MAX_NAME_LEN: usize = 255;

/// Why a name breaks the naming rule, if it does.
pub fn check_name(name: &str) -> Option<(&'static str, String, String)> {
    let rule = "names start with an ASCII letter, then letters, digits, `_`, `.` or `-`";
    let Some(first) = name.chars().next() else {
        return Some(("wacfg::name::empty", "name is empty".into(), rule.into()));
    };
    if let Some(c) = name.chars().find(|c| c.is_alphabetic() && !c.is_ascii()) {
        return Some((
            "wacfg::name::non_ascii",
            format!("name `{name}` contains the non-ASCII letter `{c}`"),
            format!("use ASCII letters only (A–Z, a–z), e.g. replace `{c}` with a plain letter"),
        ));
    }
    if !first.is_ascii_alphabetic() {
        return Some((
            "wacfg::name::invalid_start",
            format!("name `{name}` starts with `{first}`"),
            format!("{rule}, e.g. `x{name}`"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        let shown = if c.is_whitespace() {
            "a space".to_string()
        } else {
            format!("`{c}`")
        };
        return Some((
            "wacfg::name::invalid_char",
            format!("name `{name}` contains {shown}"),
            format!("{rule}; try `{}`", suggest(name)),
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Some((
            "wacfg::name::too_long",
            format!(
                "name is {} characters long; the limit is {MAX_NAME_LEN}",
                name.len()
            ),
            "shorten the name".into(),
        ));
    }
    None
}

/// The name with every disallowed character replaced by `_`.
fn suggest(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Character rules for every entry's `name`.
pub fn check_names(entries: &[Entry<'_>], out: &mut Vec<Diagnostic>) {
    for entry in entries {
        let Some(name) = entry.name() else { continue };
        if let Some((code, message, help)) = check_name(name) {
            let message = format!("{} {message}", entry.kind);
            out.push(entry.at_field(Diagnostic::error(code, message).with_help(help), "name"));
        }
    }
}

/// Uniqueness within one kind: exact duplicates and case-only differences.
pub fn check_unique(entries: &[Entry<'_>], kind: &str, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<String, Entry<'_>> = HashMap::with_capacity(entries.len());
    for entry in entries {
        let Some(name) = entry.name() else { continue };
        let Some(first) = seen.get(&name.to_lowercase()) else {
            seen.insert(name.to_lowercase(), *entry);
            continue;
        };
        let first_name = first.name().unwrap_or_default();
        let same_file = first.file == entry.file;
        let (code, message, help) = if first_name == name {
            let code = if same_file {
                "wacfg::name::duplicate"
            } else {
                "wacfg::name::duplicate_across_files"
            };
            (
                code,
                format!("{kind} `{name}` is declared twice"),
                "names are unique within their kind: rename or remove one".to_string(),
            )
        } else {
            (
                "wacfg::name::case_conflict",
                format!("{kind} `{name}` and `{first_name}` differ only in case"),
                "names that differ only in case are too easy to confuse: rename one".to_string(),
            )
        };
        let here = entry.at_field(
            Diagnostic::error(code, message.clone()).with_help(help.clone()),
            "name",
        );
        let there = first.at_field(Diagnostic::error(code, message).with_help(help), "name");
        if same_file {
            out.push(with_related(here, &there, "first declared here"));
        } else {
            // Across files each file gets its own diagnostic, so both places are shown.
            out.push(with_related(here.clone(), &there, "also declared here"));
            out.push(with_related(there, &here, "also declared here"));
        }
    }
}

fn with_related(mut diag: Diagnostic, other: &Diagnostic, message: &str) -> Diagnostic {
    diag.related.push(Related {
        message: message.to_string(),
        file: other.file.clone(),
        span: other.span.clone(),
    });
    diag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules_pick_the_right_code() {
        assert!(check_name("Marketing_FR.v2-a").is_none());
        assert_eq!(check_name("").unwrap().0, "wacfg::name::empty");
        assert_eq!(check_name("1abc").unwrap().0, "wacfg::name::invalid_start");
        assert_eq!(check_name("_abc").unwrap().0, "wacfg::name::invalid_start");
        assert_eq!(check_name("Café").unwrap().0, "wacfg::name::non_ascii");
        assert_eq!(check_name("éa").unwrap().0, "wacfg::name::non_ascii");
        assert_eq!(check_name("a b").unwrap().0, "wacfg::name::invalid_char");
        assert_eq!(
            check_name(&"a".repeat(256)).unwrap().0,
            "wacfg::name::too_long"
        );
        assert!(check_name(&"a".repeat(255)).is_none());
    }
}
