//! Reading message templates: every page of `GET /{waba-id}/message_templates` with the fields
//! wacfg needs, for many WABAs in the fewest round trips cursor paging allows — the first
//! page of every WABA of one token in one Graph batch (at most 50 per batch, tokens
//! concurrently), then each WABA's further pages in sequence (a cursor names the next page
//! only once the previous one arrived), WABAs concurrently. The languages of one name are
//! grouped back into one entry.

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::Value;

use crate::model::observed::ObservedError;
use crate::model::{ObservedTemplate, TemplatesByName};

use super::error::RemoteError;
use super::retry::is_transient;
use super::token::Token;
use super::wire::Page;
use super::{Client, convert, redact};

/// The largest page Meta's template edge serves per request.
pub const TEMPLATE_PAGE_LIMIT: u32 = 100;

/// The fields a plan, drift and import need.
pub const TEMPLATE_FIELDS: &str =
    "id,name,language,status,category,parameter_format,rejected_reason,quality_score,components";

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
        let size = self.config().batch_size.clamp(1, 50);
        let chunks = join_all(wabas.chunks(size).map(|c| self.templates_chunk(token, c))).await;
        chunks.into_iter().flatten().collect()
    }

    async fn templates_chunk(
        &self,
        token: &Token,
        wabas: &[String],
    ) -> Vec<(String, TemplatesResult)> {
        let urls: Vec<String> = wabas.iter().map(|w| self.templates_path(w, None)).collect();
        let answers = self.transport.batch(token, &urls).await.unwrap_or_default();
        let reads = wabas.iter().zip(&urls).enumerate().map(|(i, (waba, url))| {
            let answer = answers.get(i).cloned().flatten();
            async move {
                let first = match answer.map(|item| {
                    self.transport.note_item_usage(&item);
                    self.transport.batch_item(token, url, &item)
                }) {
                    Some(Err(err)) if is_transient(&err) => self.get_relative(token, url).await,
                    Some(r) => r,
                    None => self.get_relative(token, url).await,
                };
                let result = match first {
                    Ok(value) => self.all_templates(token, value, url).await,
                    Err(e) => Err(e),
                };
                (waba.clone(), result.map_err(|e| convert::error(&e)))
            }
        });
        join_all(reads).await
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
    }
}
