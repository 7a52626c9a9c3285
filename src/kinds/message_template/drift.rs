//! Template drift: what Meta decided or changed on its own since the last apply — a review
//! decision (with the rejection reason and a hint), PAUSED or DISABLED, a new category, a
//! quality move, components edited outside wacfg, a language deleted. Reported as status and
//! drift, never "fixed" by a plan. `--refresh-only` records Meta's own decisions (status,
//! rejection reason, quality); what only the file can settle (a new category, components
//! edited outside wacfg, a deleted language) it cannot accept.

use serde_json::{Value, json};

use super::components::{as_written, comparable, comparable_eq};
use super::lifecycle::{SUBMITTING, rejection_hint};
use super::model::{Category, RecordedTemplate};
use crate::model::{Address, Drift, Observed};

pub fn detect(out: &mut Vec<Drift>, r: &RecordedTemplate, observed: &Observed) {
    let Some(at_meta) = observed.template(&r.waba_id, &r.name) else {
        return;
    };
    let addr = Address::message_template(&r.name);
    let authentication = r.category == Category::Authentication;
    let mut push = |attribute: String, recorded: Value, observed: Value, message: String| {
        out.push(Drift {
            address: addr.clone(),
            attribute,
            recorded,
            observed,
            message,
        });
    };
    for (code, lang) in &r.languages {
        if lang.id.is_empty() && lang.status == SUBMITTING {
            continue;
        }
        let Some(o) = at_meta.get(code) else {
            push(
                format!("languages.{code}"),
                json!(lang.id),
                Value::Null,
                format!("{code} was deleted at Meta outside wacfg"),
            );
            continue;
        };
        if o.status != lang.status {
            let message = match (o.status.as_str(), o.rejected_reason.as_deref()) {
                ("REJECTED", Some(reason)) => format!(
                    "{code} was REJECTED by Meta ({reason}): {}",
                    rejection_hint(reason)
                ),
                ("REJECTED", None) => format!("{code} was REJECTED by Meta"),
                ("APPROVED", _) if lang.status == "PENDING" => {
                    format!("{code} was APPROVED by Meta")
                }
                ("PAUSED", _) => format!(
                    "{code} was PAUSED by Meta (low quality); it resumes on its own or can be edited"
                ),
                ("DISABLED", _) => {
                    format!("{code} was DISABLED by Meta; it cannot be sent or edited")
                }
                (now, _) => format!("{code} is now {now} at Meta"),
            };
            push(
                format!("languages.{code}.status"),
                json!(lang.status),
                json!(o.status),
                message,
            );
        }
        if !o.category.is_empty() && o.category != r.category.as_str() {
            push(
                format!("languages.{code}.category"),
                json!(r.category.as_str()),
                json!(o.category),
                format!(
                    "{code} was re-categorised by Meta to {}; the file says {}",
                    o.category,
                    r.category.as_str()
                ),
            );
        }
        if let Some(q) = &o.quality_score
            && lang.quality_score.as_ref() != Some(q)
            && (lang.quality_score.is_some() || q != "UNKNOWN")
        {
            push(
                format!("languages.{code}.quality_score"),
                json!(lang.quality_score),
                json!(q),
                format!("{code}'s quality is {q} at Meta"),
            );
        }
        let theirs = as_written(&o.components, authentication, Some(&lang.components));
        if !o.components.is_null() && !comparable_eq(&theirs, &lang.components) {
            push(
                format!("languages.{code}.components"),
                comparable(&lang.components),
                comparable(&theirs),
                format!("{code}'s components were changed at Meta outside wacfg"),
            );
        }
    }
}

/// The record with Meta's decisions as they are now (`--refresh-only`): each language's
/// status, rejection reason and quality. `None` when the template is not at Meta any more or
/// Meta changed what the file owns (category, components, a language deleted): the file has
/// to change for those, so nothing is accepted on their behalf.
pub fn refresh(r: &RecordedTemplate, observed: &Observed) -> Option<RecordedTemplate> {
    let at_meta = observed.template(&r.waba_id, &r.name)?;
    let authentication = r.category == Category::Authentication;
    let mut next = r.clone();
    for (code, lang) in &mut next.languages {
        if lang.id.is_empty() && lang.status == SUBMITTING {
            continue;
        }
        let o = at_meta.get(code)?;
        let recategorised = !o.category.is_empty() && o.category != r.category.as_str();
        let theirs = as_written(&o.components, authentication, Some(&lang.components));
        let edited = !o.components.is_null() && !comparable_eq(&theirs, &lang.components);
        if recategorised || edited {
            return None;
        }
        lang.status = o.status.clone();
        lang.rejected_reason = o.rejected_reason.clone();
        if o.quality_score.is_some() {
            lang.quality_score = o.quality_score.clone();
        }
    }
    Some(next)
}
