//! Reading message templates: every page of `GET /{waba-id}/message_templates` with the fields
//! wacfg needs, for many WABAs in the fewest round trips cursor paging allows. Pages are read
//! in rounds: the first page of every WABA of one token in one Graph batch (at most 50 per
//! batch, tokens concurrently), then, while any WABA has a next cursor, the next page of every
//! such WABA in one batch again — a cursor names the next page only once the previous one
//! arrived, so a WABA of P pages takes P round trips and the whole read takes as many as the
//! WABA with the most pages, whatever the number of WABAs or the parallelism. The languages of
//! one name are grouped back into one entry.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;
use serde_json::Value;

use crate::model::observed::ObservedError;
use crate::model::{ObservedTemplate, TemplatesByName};

use super::batch::{MAX_BATCH, WholeFailure};
use super::error::RemoteError;
use super::observe::MAX_PAGES;
use super::token::Token;
use super::wire::Page;
use super::{Client, convert, redact};

/// The largest page Meta's template edge serves per request.
pub const TEMPLATE_PAGE_LIMIT: u32 = 100;

/// The fields a plan, drift and import need.
pub const TEMPLATE_FIELDS: &str = "id,name,language,status,category,parameter_format,rejected_reason,quality_score,message_send_ttl_seconds,components";

/// One WABA's templates, or why they could not be read.
pub type TemplatesResult = Result<TemplatesByName, ObservedError>;

impl Client {
    /// The templates of every WABA listed, each read with its token; never fails as a whole.
    pub async fn read_templates(
        &self,
        reads: &[(Token, Vec<String>)],
    ) -> BTreeMap<String, TemplatesResult> {
        let per_token = join_all(
            reads
                .iter()
                .map(|(token, wabas)| self.templates_of_token(token, wabas)),
        )
        .await;
        per_token.into_iter().flatten().collect()
    }

    /// `v23.0/{waba}/message_templates?fields=…&limit=…`.
    pub fn templates_path(&self, waba_id: &str, name: Option<&str>) -> String {
        let id = redact::encode_query_value(waba_id);
        let fields = redact::encode_query_value(TEMPLATE_FIELDS);
        let name = name
            .map(|n| format!("&name={}", redact::encode_query_value(n)))
            .unwrap_or_default();
        self.config().relative(&format!(
            "{id}/message_templates?fields={fields}&limit={TEMPLATE_PAGE_LIMIT}{name}"
        ))
    }

    async fn templates_of_token(
        &self,
        token: &Token,
        wabas: &[String],
    ) -> Vec<(String, TemplatesResult)> {
        let size = self.config().batch_size.clamp(1, MAX_BATCH);
        let mut rows: BTreeMap<&String, Vec<ObservedTemplate>> = BTreeMap::new();
        let mut failed: BTreeMap<&String, RemoteError> = BTreeMap::new();
        let mut seen: BTreeMap<&String, BTreeSet<String>> = BTreeMap::new();
        // The page each WABA still has to read, as a URL below the base URL.
        let mut pending: Vec<(&String, String)> = wabas
            .iter()
            .map(|w| (w, self.templates_path(w, None)))
            .collect();
        while !pending.is_empty() {
            let urls: Vec<String> = pending.iter().map(|(_, u)| u.clone()).collect();
            let answers: Vec<Result<Value, RemoteError>> = join_all(
                urls.chunks(size)
                    .map(|c| self.batch_get(token, c, WholeFailure::ReadEach)),
            )
            .await
            .into_iter()
            .flatten()
            .collect();
            let mut next_round = Vec::new();
            for ((waba, url), answer) in pending.into_iter().zip(answers) {
                let page = answer.and_then(|v| {
                    take_page(v).map_err(|message| RemoteError::Decode {
                        request: redact::request_label(
                            "GET",
                            &format!("{}/{url}", self.config().base_url),
                        ),
                        message,
                    })
                });
                let (data, next) = match page {
                    Ok(page) => page,
                    Err(e) => {
                        failed.insert(waba, e);
                        continue;
                    }
                };
                rows.entry(waba)
                    .or_default()
                    .extend(data.into_iter().filter_map(owned_template));
                let Some(next) = next.map(|n| self.reroot(&n)) else {
                    continue;
                };
                let seen = seen.entry(waba).or_default();
                let relative = next
                    .strip_prefix(&format!("{}/", self.config().base_url))
                    .map(str::to_string);
                let problem = match relative {
                    Some(rel) if seen.insert(rel.clone()) && seen.len() <= MAX_PAGES => {
                        next_round.push((waba, rel));
                        continue;
                    }
                    Some(_) => "paging.next repeats itself; stopped following it",
                    None => "paging.next is not below the Graph base URL; not followed",
                };
                failed.insert(
                    waba,
                    RemoteError::Decode {
                        request: redact::request_label("GET", &next),
                        message: problem.to_string(),
                    },
                );
            }
            pending = next_round;
        }
        wabas
            .iter()
            .map(|w| {
                let result = match failed.remove(w) {
                    Some(e) => Err(convert::error(&e)),
                    None => Ok(group(rows.remove(w).unwrap_or_default().into_iter())),
                };
                (w.clone(), result)
            })
            .collect()
    }

    /// The languages of template `name` in one WABA (every page), by language code.
    pub async fn read_template(
        &self,
        token: &Token,
        waba_id: &str,
        name: &str,
    ) -> Result<BTreeMap<String, ObservedTemplate>, RemoteError> {
        let url = self.templates_path(waba_id, Some(name));
        let value = self.get_relative(token, &url).await?;
        let mut all = self.all_templates(token, value, &url).await?;
        Ok(all.remove(name).unwrap_or_default())
    }

    async fn get_relative(&self, token: &Token, relative: &str) -> Result<Value, RemoteError> {
        let url = format!("{}/{}", self.config().base_url, relative);
        self.transport.get(token, &url).await
    }

    async fn all_templates(
        &self,
        token: &Token,
        value: Value,
        what: &str,
    ) -> Result<TemplatesByName, RemoteError> {
        let page: Page<Value> = self.decode(value, what)?;
        let rows = self.all_rows(token, Some(page)).await?;
        Ok(group(rows.iter().filter_map(template)))
    }
}

/// One page of Meta's answer taken apart without copying its rows: the rows (`data`, or the
/// answer itself when it is a list) and the next page's URL. Shapes as `wire::Page` reads them.
fn take_page(value: Value) -> Result<(Vec<Value>, Option<String>), String> {
    match value {
        Value::Array(rows) => Ok((rows, None)),
        Value::Object(mut map) => {
            let rows = match map.remove("data") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(rows)) => rows,
                Some(_) => return Err("`data` is not a list".into()),
            };
            let next = match map.remove("paging") {
                None | Some(Value::Null) => None,
                Some(Value::Object(mut paging)) => match paging.remove("next") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(next)) => Some(next).filter(|n| !n.is_empty()),
                    Some(_) => return Err("`paging.next` is not a string".into()),
                },
                Some(_) => return Err("`paging` is not an object".into()),
            };
            Ok((rows, next))
        }
        _ => Err("not a page of rows".into()),
    }
}

/// [`template`], taking the row apart instead of copying it (a read of thousands of rows).
pub fn owned_template(row: Value) -> Option<ObservedTemplate> {
    let Value::Object(mut row) = row else {
        return None;
    };
    let mut text = |key: &str| match row.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let name = text("name")?;
    let language = text("language")?;
    let status = text("status").unwrap_or_default();
    let category = text("category").unwrap_or_default();
    let parameter_format = text("parameter_format");
    let rejected_reason = text("rejected_reason").filter(|r| r != "NONE");
    let id = match row.remove("id")? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(ObservedTemplate {
        id,
        name,
        language,
        status,
        category,
        parameter_format,
        rejected_reason,
        quality_score: row
            .get("quality_score")
            .and_then(|q| q.get("score"))
            .and_then(Value::as_str)
            .map(str::to_string),
        message_send_ttl_seconds: row.get("message_send_ttl_seconds").and_then(Value::as_i64),
        components: row.remove("components").unwrap_or(Value::Null),
    })
}

/// One row of Meta's answer; a row without id, name or language is left out.
pub fn template(row: &Value) -> Option<ObservedTemplate> {
    let text = |key: &str| row.get(key).and_then(Value::as_str).map(str::to_string);
    let id = match row.get("id")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(ObservedTemplate {
        id,
        name: text("name")?,
        language: text("language")?,
        status: text("status").unwrap_or_default(),
        category: text("category").unwrap_or_default(),
        parameter_format: text("parameter_format"),
        rejected_reason: text("rejected_reason").filter(|r| r != "NONE"),
        quality_score: row
            .get("quality_score")
            .and_then(|q| q.get("score"))
            .and_then(Value::as_str)
            .map(str::to_string),
        message_send_ttl_seconds: row.get("message_send_ttl_seconds").and_then(Value::as_i64),
        components: row.get("components").cloned().unwrap_or(Value::Null),
    })
}

/// Rows grouped by name, then language.
pub fn group(rows: impl Iterator<Item = ObservedTemplate>) -> TemplatesByName {
    let mut out = TemplatesByName::new();
    for t in rows {
        out.entry(t.name.clone())
            .or_default()
            .insert(t.language.clone(), t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn languages_of_one_name_group_into_one_entry() {
        let rows = [
            json!({"id": "1", "name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "quality_score": {"score": "GREEN"}, "components": []}),
            json!({"id": 2, "name": "order_update", "language": "fr_FR", "status": "REJECTED", "category": "UTILITY", "rejected_reason": "INVALID_FORMAT"}),
            json!({"id": "3", "name": "welcome", "language": "en_US", "status": "PENDING", "rejected_reason": "NONE"}),
            json!({"name": "no_id", "language": "en_US"}),
        ];
        let grouped = group(rows.iter().filter_map(template));
        assert_eq!(grouped.len(), 2);
        let order = &grouped["order_update"];
        assert_eq!(order.len(), 2);
        assert_eq!(order["en_US"].quality_score.as_deref(), Some("GREEN"));
        assert_eq!(order["fr_FR"].id, "2");
        assert_eq!(
            order["fr_FR"].rejected_reason.as_deref(),
            Some("INVALID_FORMAT")
        );
        assert_eq!(grouped["welcome"]["en_US"].rejected_reason, None);
        for row in &rows {
            assert_eq!(owned_template(row.clone()), template(row), "{row}");
        }
    }

    #[test]
    fn pages_are_taken_apart_as_wire_reads_them() {
        let page = json!({"data": [{"id": "1"}], "paging": {"cursors": {}, "next": "https://x/v23.0/1/message_templates?after=A"}});
        let (rows, next) = take_page(page).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            next.as_deref(),
            Some("https://x/v23.0/1/message_templates?after=A")
        );
        assert_eq!(
            take_page(json!({"data": [], "paging": {"next": ""}}))
                .unwrap()
                .1,
            None
        );
        assert_eq!(take_page(json!({})).unwrap().0.len(), 0);
        assert_eq!(take_page(json!([{"id": "1"}])).unwrap().0.len(), 1);
        for bad in [
            json!({"data": 3}),
            json!({"data": [], "paging": {"next": 1}}),
            json!("x"),
        ] {
            assert!(take_page(bad.clone()).is_err(), "{bad}");
        }
    }
}
