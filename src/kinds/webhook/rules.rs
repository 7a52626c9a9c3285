//! Webhook rules beyond the schema: names and their uniqueness; `credentials` names a declared
//! entry; the callback is https (plain http only for a loopback host, with a warning); the
//! verify token is a secret reference; keywords are unique across categories ignoring case;
//! replies fit in a WhatsApp message; and Meta's one webhook per WABA.

use std::collections::BTreeMap;

use crate::config::{Node, SourceFile};
use crate::diag::{Diagnostic, Related};
use crate::rules::{Entry, check_names, check_secret_field, check_unique, entries};

/// WhatsApp's longest text message, which an automatic reply must fit in.
pub const MAX_REPLY_CHARS: usize = 4096;

pub fn entries_of(files: &[SourceFile]) -> Vec<Entry<'_>> {
    entries(files, "webhooks", "webhook")
}

pub fn check(files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    let webhooks = entries_of(files);
    if webhooks.is_empty() {
        return;
    }
    let credentials = crate::kinds::credentials::rules_entries(files);
    check_names(&webhooks, out);
    check_unique(&webhooks, "webhook", out);
    crate::kinds::credentials::check_references(&webhooks, &credentials, out);
    for entry in &webhooks {
        check_secret_field(
            entry,
            "verify_token",
            "the verify token",
            "WEBHOOK_VERIFY_TOKEN",
            out,
        );
        check_callback(entry, out);
        check_keywords(entry, out);
    }
    check_one_per_waba(&webhooks, &credentials, out);
}

/// What is wrong with a callback URL: `Err` is an error, `Ok(Some)` a warning.
pub fn callback_problem(url: &str) -> Result<Option<String>, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match parsed.scheme() {
        "https" => Ok(None),
        "http" if loopback => Ok(Some(
            "uses plain http: fine for local testing, but Meta only calls https callbacks".into(),
        )),
        "http" => Err("uses plain http: Meta only delivers to https callbacks".into()),
        other => Err(format!(
            "uses `{other}:`: Meta only delivers to https callbacks"
        )),
    }
}

fn check_callback(entry: &Entry<'_>, out: &mut Vec<Diagnostic>) {
    let Some(url) = entry.node.get_str("callback_url") else {
        return;
    };
    let (diag, help) = match callback_problem(url) {
        Ok(None) => return,
        Ok(Some(why)) => (
            Diagnostic::warning(
                "wacfg::webhook::http_callback",
                format!("callback_url of {} {why}", entry.label()),
            ),
            "use an https URL before pointing a real WABA at it",
        ),
        Err(why) => (
            Diagnostic::error(
                "wacfg::webhook::callback_url",
                format!("callback_url of {} {why}", entry.label()),
            ),
            "use an https:// URL Meta can reach (plain http only for localhost or 127.0.0.1)",
        ),
    };
    out.push(entry.at_field(diag.with_help(help), "callback_url"));
}

/// Keywords are unique across categories, ignoring case; replies fit in one message.
fn check_keywords(entry: &Entry<'_>, out: &mut Vec<Diagnostic>) {
    let Some(categories) = entry.node.get("keywords").and_then(Node::as_map) else {
        return;
    };
    let mut seen: BTreeMap<String, (&str, &Node)> = BTreeMap::new();
    for (key, category) in categories {
        if let Some(reply) = category.get("reply")
            && let Some(text) = reply.as_str()
            && text.chars().count() > MAX_REPLY_CHARS
        {
            out.push(crate::rules::at_node(
                Diagnostic::error(
                    "wacfg::webhook::reply_too_long",
                    format!(
                        "the {} reply of {} has {} characters; WhatsApp allows {MAX_REPLY_CHARS}",
                        key.name,
                        entry.label(),
                        text.chars().count()
                    ),
                )
                .with_help("shorten the reply"),
                entry.file,
                reply,
                &format!("{}/keywords/{}/reply", entry.pointer(), key.name),
            ));
        }
        let words = category
            .get("keywords")
            .and_then(Node::as_seq)
            .unwrap_or_default();
        for (i, word) in words.iter().enumerate() {
            let Some(text) = word.as_str() else { continue };
            let folded = text.to_lowercase();
            let pointer = format!("{}/keywords/{}/keywords/{i}", entry.pointer(), key.name);
            match seen.get(&folded) {
                None => {
                    seen.insert(folded, (key.name.as_str(), word));
                }
                Some((first_category, first)) => {
                    let mut diag = crate::rules::at_node(
                        Diagnostic::error(
                            "wacfg::webhook::duplicate_keyword",
                            format!(
                                "keyword `{text}` of {} is already in `{first_category}` (keywords are compared ignoring case)",
                                entry.label()
                            ),
                        )
                        .with_help("an inbound word can trigger one category only: keep it in one"),
                        entry.file,
                        word,
                        &pointer,
                    );
                    diag.related.push(Related {
                        message: "first listed here".into(),
                        file: Some(entry.file.to_path_buf()),
                        span: Some(first.span.clone()),
                    });
                    out.push(diag);
                }
            }
        }
    }
}

/// Meta allows one webhook per WABA: two webhooks whose credentials share a WABA are an error
/// shown at both.
fn check_one_per_waba(
    webhooks: &[Entry<'_>],
    credentials: &[Entry<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let waba_of: BTreeMap<&str, &str> = credentials
        .iter()
        .filter_map(|c| Some((c.name()?, c.node.get_str("whatsapp_business_account")?)))
        .collect();
    let mut by_waba: BTreeMap<&str, Vec<&Entry<'_>>> = BTreeMap::new();
    for w in webhooks {
        if let Some(waba) = w.node.get_str("credentials").and_then(|c| waba_of.get(c)) {
            by_waba.entry(waba).or_default().push(w);
        }
    }
    for (waba, group) in by_waba.into_iter().filter(|(_, g)| g.len() > 1) {
        let names: Vec<String> = group.iter().map(|w| w.label()).collect();
        for (i, w) in group.iter().enumerate() {
            let mut diag = w.at_field(
                Diagnostic::error(
                    "wacfg::webhook::one_per_waba",
                    format!(
                        "{} and {} both subscribe WABA {waba}; Meta allows one webhook per WABA",
                        names[i],
                        names
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| *j != i)
                            .map(|(_, n)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help("keep one webhook per WABA: remove the others or point them at credentials of another WABA"),
                "credentials",
            );
            for (_, other) in group.iter().enumerate().filter(|(j, _)| *j != i) {
                let there = other.at_field(Diagnostic::error("", ""), "credentials");
                diag.related.push(Related {
                    message: "also subscribes it here".into(),
                    file: there.file,
                    span: there.span,
                });
            }
            out.push(diag);
        }
    }
}
