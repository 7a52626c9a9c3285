//! Reading everything a plan needs: one `debug_token` per distinct token and one expanded read
//! per business, sent as one Graph batch per token (at most 50 sub-requests each), all tokens
//! concurrently. Extra pages of embedded edges are followed with plain GETs. A failure of one
//! token or business lands in `Observed` as an error; it does not stop the others.

use std::collections::BTreeSet;

use futures::future::join_all;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::observed::{ObservedError, ObservedProblem, WabaOwnership};
use crate::model::{Observed, ObservedBusiness, ObservedToken, TokenFingerprint};

use super::batch::{MAX_BATCH, WholeFailure};
use super::error::RemoteError;
use super::token::Token;
use super::wire::{Page, WireBusiness, WireNumber, WireProblem, WireWaba, join, lenient};
use super::{Client, convert, redact};

/// One token and the businesses to read with it.
#[derive(Debug, Clone)]
pub struct TokenReads {
    pub token: Token,
    pub business_ids: Vec<String>,
}

/// Pages followed per edge before giving up: a loop guard, far above any real portfolio.
pub(super) const MAX_PAGES: usize = 1000;

type TokenResult = Result<ObservedToken, ObservedError>;
type BusinessResult = (String, Result<ObservedBusiness, ObservedError>);

/// What one sub-request is for.
enum Read {
    Token,
    Business(String),
}

impl Client {
    /// Read every token and business, concurrently; never fails as a whole.
    pub async fn observe(&self, reads: &[TokenReads]) -> Observed {
        let read_at = time::OffsetDateTime::now_utc().unix_timestamp();
        let plan = plan_reads(reads);
        let results = join_all(plan.iter().map(|(t, ids)| self.observe_token(t, ids))).await;
        let mut observed = Observed {
            read_at,
            ..Observed::default()
        };
        for ((fingerprint, token), businesses) in results {
            observed.tokens.insert(fingerprint, token);
            observed.businesses.extend(businesses);
        }
        observed
    }

    async fn observe_token(
        &self,
        token: &Token,
        business_ids: &[String],
    ) -> ((TokenFingerprint, TokenResult), Vec<BusinessResult>) {
        let mut reads = vec![Read::Token];
        reads.extend(business_ids.iter().cloned().map(Read::Business));
        let size = self.config().batch_size.clamp(1, MAX_BATCH);
        let chunks = join_all(reads.chunks(size).map(|c| self.read_chunk(token, c))).await;
        let mut token_result = None;
        let mut businesses = Vec::new();
        for (read, result) in chunks.into_iter().flatten() {
            match read {
                Read::Token => {
                    token_result =
                        Some(result.and_then(|v| self.token_from_value(token, v, "debug_token")))
                }
                Read::Business(id) => {
                    let business = match result {
                        Ok(v) => self.complete_business(token, id, v).await,
                        Err(e) => Err(e),
                    };
                    businesses.push((id.clone(), business.map_err(|e| convert::error(&e))));
                }
            }
        }
        let token_result = token_result
            .expect("the first chunk always holds the debug_token read")
            .map_err(|e| convert::error(&e));
        ((token.fingerprint(), token_result), businesses)
    }

    /// One batch; see `batch::batch_get` for what happens to the items that failed.
    async fn read_chunk<'a>(
        &self,
        token: &Token,
        chunk: &'a [Read],
    ) -> Vec<(&'a Read, Result<Value, RemoteError>)> {
        let urls: Vec<String> = chunk.iter().map(|r| self.path_of(token, r)).collect();
        let answers = self.batch_get(token, &urls, WholeFailure::ReadEach).await;
        chunk.iter().zip(answers).collect()
    }

    fn path_of(&self, token: &Token, read: &Read) -> String {
        match read {
            Read::Token => self.debug_token_path(token),
            Read::Business(id) => self.business_path(id),
        }
    }

    /// Parse a business answer and fetch the pages its embedded edges did not hold. Decoded
    /// field by field: a WABA, number or field that cannot be read is left out and recorded
    /// as a problem with its path; the rest of the portfolio is kept.
    pub(super) async fn complete_business(
        &self,
        token: &Token,
        business_id: &str,
        value: Value,
    ) -> Result<ObservedBusiness, RemoteError> {
        let mut problems = Vec::new();
        let Some(wire) = lenient::<WireBusiness>(&value, "", &mut problems) else {
            return Err(RemoteError::Decode {
                request: redact::request_label("GET", business_id),
                message: problems
                    .first()
                    .map(|p| p.message.clone())
                    .unwrap_or_default(),
            });
        };
        let owned = self
            .all_rows(token, wire.owned_whatsapp_business_accounts)
            .await?;
        let client = self
            .all_rows(token, wire.client_whatsapp_business_accounts)
            .await?;
        let mut tagged = Vec::new();
        for (edge, rows, own) in [
            (
                "owned_whatsapp_business_accounts",
                owned,
                WabaOwnership::Owned,
            ),
            (
                "client_whatsapp_business_accounts",
                client,
                WabaOwnership::Client,
            ),
        ] {
            for (i, row) in rows.iter().enumerate() {
                let path = format!("{edge}[{i}]");
                match lenient::<WireWaba>(row, &path, &mut problems) {
                    Some(w) if w.id.is_empty() => problems.push(WireProblem {
                        path: join(&path, "id"),
                        message: "no WABA ID; the WABA was left out".to_string(),
                    }),
                    Some(w) => tagged.push((w, own, path)),
                    None => {}
                }
            }
        }
        let mut problems: Vec<ObservedProblem> = problems
            .into_iter()
            .map(|p| convert::problem(p, None, None))
            .collect();
        let wabas = join_all(
            tagged
                .into_iter()
                .map(|(w, own, path)| self.complete_waba(token, w, own, path)),
        )
        .await;
        let mut kept = Vec::new();
        for waba in wabas {
            let (waba, mut found) = waba?;
            problems.append(&mut found);
            kept.push(waba);
        }
        let id = if wire.id.is_empty() {
            business_id.to_string()
        } else {
            wire.id
        };
        let mut business = convert::business(id, wire.name, kept);
        business.problems = problems;
        Ok(business)
    }

    async fn complete_waba(
        &self,
        token: &Token,
        mut waba: WireWaba,
        ownership: WabaOwnership,
        path: String,
    ) -> Result<(crate::model::ObservedWaba, Vec<ObservedProblem>), RemoteError> {
        let rows: Vec<Value> = self.all_rows(token, waba.phone_numbers.take()).await?;
        let mut problems = Vec::new();
        let mut numbers = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let at = format!("{path}.phone_numbers[{i}]");
            let mut found = Vec::new();
            match lenient::<WireNumber>(row, &at, &mut found) {
                Some(n) if n.id.is_empty() => {
                    let no_id = WireProblem {
                        path: join(&at, "id"),
                        message: "no phone number ID; the number was left out".to_string(),
                    };
                    problems.extend(
                        found
                            .into_iter()
                            .chain([no_id])
                            .map(|p| convert::problem(p, Some(&waba.id), None)),
                    );
                }
                Some(n) => {
                    problems.extend(
                        found
                            .into_iter()
                            .map(|p| convert::problem(p, Some(&waba.id), Some(&n.id))),
                    );
                    numbers.push(n);
                }
                None => problems.extend(
                    found
                        .into_iter()
                        .map(|p| convert::problem(p, Some(&waba.id), None)),
                ),
            }
        }
        if let Some(first) = waba.subscribed_apps.take() {
            let rows = self.all_rows(token, Some(first)).await?;
            waba.subscribed_apps = Some(Page {
                data: rows,
                paging: None,
            });
        }
        Ok((convert::waba(waba, ownership, numbers), problems))
    }

    /// Every row of an edge: the embedded page, then `paging.next` until it is absent.
    pub(super) async fn all_rows<T: DeserializeOwned>(
        &self,
        token: &Token,
        first: Option<Page<T>>,
    ) -> Result<Vec<T>, RemoteError> {
        let Some(mut page) = first else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        let mut seen = BTreeSet::new();
        loop {
            let next = page.next().map(|n| self.reroot(n));
            rows.append(&mut page.data);
            let Some(next) = next else {
                return Ok(rows);
            };
            if !seen.insert(next.clone()) || seen.len() > MAX_PAGES {
                return Err(RemoteError::Decode {
                    request: redact::request_label("GET", &next),
                    message: "paging.next repeats itself; stopped following it".to_string(),
                });
            }
            let value = self.transport.get(token, &next).await?;
            page = self.decode(value, &next)?;
        }
    }

    /// A `paging.next` URL pointed at our base URL, so the token is only ever sent to the host
    /// the configuration names.
    pub(super) fn reroot(&self, next: &str) -> String {
        reroot(&self.config().base_url, next)
    }

    pub(super) fn decode<T: DeserializeOwned>(
        &self,
        value: Value,
        what: &str,
    ) -> Result<T, RemoteError> {
        serde_json::from_value(value).map_err(|e| RemoteError::Decode {
            request: redact::request_label("GET", what),
            message: e.to_string(),
        })
    }
}

/// `next` pointed at `base`: its path and query kept, below the base URL's own path prefix
/// (a proxy at `https://proxy.example/graph` must not lose `/graph` when Meta's `next`
/// names `https://graph.facebook.com/v23.0/…`).
fn reroot(base: &str, next: &str) -> String {
    if next.starts_with(&format!("{base}/")) {
        return next.to_string();
    }
    let prefix = url::Url::parse(base)
        .map(|b| b.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    match url::Url::parse(next) {
        Ok(u) => {
            let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
            let path = u.path();
            let path = if !prefix.is_empty() && path.starts_with(&format!("{prefix}/")) {
                path.to_string()
            } else {
                format!("{prefix}{path}")
            };
            format!("{}{}{}", origin(base), path, query)
        }
        Err(_) => format!("{}/{}", base, next.trim_start_matches('/')),
    }
}

/// `scheme://host[:port]` of a base URL.
fn origin(base: &str) -> String {
    match url::Url::parse(base) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => base.to_string(),
    }
}

/// Distinct tokens in first-seen order, each with the businesses it reads; a business named by
/// several tokens is read once, with the first.
fn plan_reads(reads: &[TokenReads]) -> Vec<(Token, Vec<String>)> {
    let mut plan: Vec<(Token, Vec<String>)> = Vec::new();
    let mut taken = BTreeSet::new();
    for read in reads {
        let index = match plan.iter().position(|(t, _)| *t == read.token) {
            Some(i) => i,
            None => {
                plan.push((read.token.clone(), Vec::new()));
                plan.len() - 1
            }
        };
        for id in &read.business_ids {
            if taken.insert(id.clone()) {
                plan[index].1.push(id.clone());
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_grouped_by_distinct_token_and_businesses_read_once() {
        let a = Token::new("test-token-a");
        let b = Token::new("test-token-b");
        let reads = [
            TokenReads {
                token: a.clone(),
                business_ids: vec!["1".into(), "2".into()],
            },
            TokenReads {
                token: b.clone(),
                business_ids: vec!["2".into(), "3".into()],
            },
            TokenReads {
                token: a.clone(),
                business_ids: vec!["4".into(), "1".into()],
            },
        ];
        let plan = plan_reads(&reads);
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].0, a);
        assert_eq!(plan[0].1, ["1", "2", "4"]);
        assert_eq!(plan[1].0, b);
        assert_eq!(plan[1].1, ["3"]);
    }

    #[test]
    fn paging_next_keeps_the_base_urls_path_prefix() {
        let next = "https://graph.facebook.com/v23.0/1/phone_numbers?after=abc&limit=25";
        assert_eq!(
            reroot("https://proxy.example/graph", next),
            "https://proxy.example/graph/v23.0/1/phone_numbers?after=abc&limit=25"
        );
        assert_eq!(
            reroot("http://127.0.0.1:9000", next),
            "http://127.0.0.1:9000/v23.0/1/phone_numbers?after=abc&limit=25"
        );
        // Already below the prefix (a proxy that rewrites `next`), or already ours.
        assert_eq!(
            reroot(
                "https://proxy.example/graph",
                "https://other.example/graph/v23.0/1?after=x"
            ),
            "https://proxy.example/graph/v23.0/1?after=x"
        );
        let ours = "https://proxy.example/graph/v23.0/1?after=y";
        assert_eq!(reroot("https://proxy.example/graph", ours), ours);
    }

    #[test]
    fn origin_keeps_scheme_host_and_port() {
        assert_eq!(
            origin("http://127.0.0.1:8080/graph"),
            "http://127.0.0.1:8080"
        );
    }
}
