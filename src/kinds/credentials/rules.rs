//! Credentials rules beyond the schema: names, uniqueness, the token reference (never a
//! literal), the phone number's digits.

use crate::config::SourceFile;
use crate::diag::Diagnostic;
use std::collections::BTreeSet;

use crate::rules::{
    Entry, check_names, check_phone_field, check_secret_field, check_unique, did_you_mean, entries,
};

pub fn entries_of(files: &[SourceFile]) -> Vec<Entry<'_>> {
    entries(files, "credentials", "credentials")
}

pub fn check(files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    let credentials = entries_of(files);
    check_names(&credentials, out);
    check_unique(&credentials, "credentials", out);
    for entry in &credentials {
        check_secret_field(entry, "token", "the token", "WHATSAPP_TOKEN", out);
        check_phone_field(entry, "phone_number", out);
    }
    warn_unused(files, &credentials, out);
}

/// Credentials that nothing uses (no entry of any kind names them): allowed, but worth a
/// look.
fn warn_unused(files: &[SourceFile], credentials: &[Entry<'_>], out: &mut Vec<Diagnostic>) {
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for kind in crate::kinds::KINDS {
        for entry in entries(files, kind.list_key(), "") {
            used.extend(entry.node.get_str("credentials"));
        }
    }
    for cred in credentials {
        let Some(name) = cred.name() else { continue };
        if !used.contains(name) {
            out.push(cred.at_field(
                Diagnostic::warning(
                    "wacfg::credentials::unused",
                    format!("credentials `{name}` are not used by any channel configuration"),
                )
                .with_help("this is allowed (they are still verified on apply); remove them if they are left over"),
                "name",
            ));
        }
    }
}

/// `credentials:` of each referring entry (a channel configuration, a webhook) names a
/// declared credentials entry.
pub fn check_references(
    referrers: &[Entry<'_>],
    credentials: &[Entry<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let names: BTreeSet<&str> = credentials.iter().filter_map(Entry::name).collect();
    for channel in referrers {
        let Some(target) = channel.node.get_str("credentials") else {
            continue;
        };
        if names.contains(target) {
            continue;
        }
        let hint = did_you_mean(target, names.iter().copied());
        let help = if names.is_empty() {
            "declare it under `credentials:` (no credentials are declared)".to_string()
        } else {
            format!(
                "{hint}declared credentials: {}",
                names.iter().copied().collect::<Vec<_>>().join(", ")
            )
        };
        out.push(
            channel.at_field(
                Diagnostic::error(
                    "wacfg::reference::unknown_credentials",
                    format!(
                        "{} uses credentials `{target}`, which are not declared",
                        channel.label()
                    ),
                )
                .with_help(help),
                "credentials",
            ),
        );
    }
}
