//! Waiting for Meta's review after an apply (`apply --wait`): which languages of a recorded
//! template Meta has not decided yet (pure), and one poll — read the template at Meta, record
//! each decision (status, rejection reason, quality) and say what is still in review and what
//! Meta rejected, with a hint. It never writes to Meta.

use std::collections::BTreeMap;

use super::lifecycle::rejection_hint;
use super::model::RecordedTemplate;
use crate::kinds::{ExecCtx, PortError, RecordedResource, Review};
use crate::model::{Address, ObservedTemplate};

/// Statuses that mean Meta has not decided yet.
const IN_REVIEW: &[&str] = &["PENDING", "IN_APPEAL"];

/// The languages submitted (they have an id) whose review Meta has not decided.
pub fn undecided(r: &RecordedTemplate) -> Vec<String> {
    r.languages
        .iter()
        .filter(|(_, l)| !l.id.is_empty() && IN_REVIEW.contains(&l.status.as_str()))
        .map(|(code, _)| code.clone())
        .collect()
}

/// Record what Meta says of the undecided languages (same id only: a language deleted and
/// submitted again outside wacfg is drift for the plan, not a decision), and where the
/// template stands.
pub fn record_review(
    r: &mut RecordedTemplate,
    at_meta: &BTreeMap<String, ObservedTemplate>,
) -> Review {
    for code in undecided(r) {
        let (Some(lang), Some(o)) = (r.languages.get_mut(&code), at_meta.get(&code)) else {
            continue;
        };
        if o.id != lang.id {
            continue;
        }
        lang.status = o.status.clone();
        lang.rejected_reason = o.rejected_reason.clone().filter(|r| r != "NONE");
        if o.quality_score.is_some() {
            lang.quality_score = o.quality_score.clone();
        }
    }
    let pending = undecided(r);
    let rejected: Vec<String> = r
        .languages
        .iter()
        .filter(|(_, l)| l.status == "REJECTED")
        .map(|(code, l)| match &l.rejected_reason {
            Some(reason) => format!(
                "{code} REJECTED by Meta ({reason}): {}",
                rejection_hint(reason)
            ),
            None => format!("{code} REJECTED by Meta"),
        })
        .collect();
    let status = if !rejected.is_empty() {
        "REJECTED".to_string()
    } else if !pending.is_empty() {
        "PENDING".to_string()
    } else {
        r.languages
            .values()
            .map(|l| l.status.clone())
            .next()
            .unwrap_or_default()
    };
    Review {
        pending,
        rejected,
        status,
    }
}

/// One poll of the template at `addr`: `None` when it is not a recorded template.
pub async fn poll(addr: &Address, cx: &ExecCtx<'_>) -> Option<Result<Review, PortError>> {
    let Some(RecordedResource::MessageTemplate(mut r)) = cx.records.get(addr).await else {
        return None;
    };
    let at_meta = if undecided(&r).is_empty() {
        BTreeMap::new()
    } else {
        match cx
            .graph
            .read_template(&r.credentials, &r.waba_id, &r.name)
            .await
        {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        }
    };
    let before = r.clone();
    let review = record_review(&mut r, &at_meta);
    if r != before
        && let Err(e) = cx
            .records
            .commit(addr.clone(), Some(RecordedResource::MessageTemplate(r)))
            .await
    {
        return Some(Err(e));
    }
    Some(Ok(review))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::message_template::model::{Category, RecordedLanguage};

    fn lang(id: &str, status: &str) -> RecordedLanguage {
        RecordedLanguage {
            id: id.into(),
            status: status.into(),
            components: serde_json::json!([]),
            rejected_reason: None,
            quality_score: None,
            edits: Vec::new(),
            created_at: None,
        }
    }

    fn template(langs: &[(&str, RecordedLanguage)]) -> RecordedTemplate {
        RecordedTemplate {
            name: "order_update".into(),
            credentials: "acme_fr".into(),
            waba_id: "1".into(),
            category: Category::Utility,
            parameter_format: Default::default(),
            allow_category_change: false,
            prevent_destroy: false,
            message_send_ttl_seconds: None,
            languages: langs
                .iter()
                .map(|(c, l)| (c.to_string(), l.clone()))
                .collect(),
        }
    }

    fn seen(id: &str, language: &str, status: &str, reason: Option<&str>) -> ObservedTemplate {
        ObservedTemplate {
            id: id.into(),
            name: "order_update".into(),
            language: language.into(),
            status: status.into(),
            category: "UTILITY".into(),
            parameter_format: None,
            rejected_reason: reason.map(str::to_string),
            quality_score: None,
            components: serde_json::Value::Null,
            message_send_ttl_seconds: None,
        }
    }

    #[test]
    fn only_submitted_languages_in_review_are_awaited() {
        let t = template(&[
            ("de_DE", lang("", "SUBMITTING")),
            ("en_US", lang("1", "PENDING")),
            ("fr_FR", lang("2", "APPROVED")),
            ("it_IT", lang("3", "IN_APPEAL")),
        ]);
        assert_eq!(undecided(&t), ["en_US", "it_IT"]);
    }

    #[test]
    fn decisions_are_recorded_and_a_rejection_says_what_to_change() {
        let mut t = template(&[
            ("en_US", lang("1", "PENDING")),
            ("fr_FR", lang("2", "PENDING")),
        ]);
        let meta: BTreeMap<String, ObservedTemplate> = [
            (
                "en_US".to_string(),
                seen("1", "en_US", "APPROVED", Some("NONE")),
            ),
            ("fr_FR".to_string(), seen("2", "fr_FR", "PENDING", None)),
        ]
        .into();
        let review = record_review(&mut t, &meta);
        assert_eq!(review.pending, ["fr_FR"]);
        assert_eq!(review.status, "PENDING");
        assert_eq!(t.languages["en_US"].status, "APPROVED");
        assert_eq!(t.languages["en_US"].rejected_reason, None);

        let meta: BTreeMap<String, ObservedTemplate> = [(
            "fr_FR".to_string(),
            seen("2", "fr_FR", "REJECTED", Some("INVALID_FORMAT")),
        )]
        .into();
        let review = record_review(&mut t, &meta);
        assert!(review.pending.is_empty());
        assert_eq!(review.status, "REJECTED");
        assert_eq!(
            review.rejected,
            [
                "fr_FR REJECTED by Meta (INVALID_FORMAT): check placeholders, examples and the components' format"
            ]
        );
        assert_eq!(
            t.languages["fr_FR"].rejected_reason.as_deref(),
            Some("INVALID_FORMAT")
        );
    }

    #[test]
    fn another_id_at_meta_is_not_a_decision() {
        let mut t = template(&[("en_US", lang("1", "PENDING"))]);
        let meta: BTreeMap<String, ObservedTemplate> =
            [("en_US".to_string(), seen("9", "en_US", "APPROVED", None))].into();
        let review = record_review(&mut t, &meta);
        assert_eq!(review.pending, ["en_US"]);
        assert_eq!(t.languages["en_US"].status, "PENDING");
    }
}
