//! Carrying out a template change: decide every language again on fresh facts (a read of the
//! template at Meta), then per language: record the intent, create (read back when the answer
//! is lost, never sent twice), edit (only what changed, within the quota), or delete by
//! `hsm_id`. The record is committed after each language, so a stop halfway keeps what Meta
//! already has.

use std::collections::BTreeMap;

use serde_json::Value;

use super::components::components;
use super::graph;
use super::lifecycle::{SUBMITTING, Step, after_edit};
use super::model::{DesiredTemplate, RecordedLanguage, RecordedTemplate};
use super::plan::steps;
use crate::kinds::outcome::{applied, failed, port_error};
use crate::kinds::{ExecCtx, PortError, RecordedResource};
use crate::model::{Address, ChangeResult, ErrorClass, ObservedTemplate, ResourceChange};

pub async fn execute(change: &ResourceChange, cx: &ExecCtx<'_>) -> ChangeResult {
    let addr = &change.address;
    let recorded = match cx.records.get(addr).await {
        Some(RecordedResource::MessageTemplate(r)) => Some(r),
        _ => None,
    };
    let desired = cx.desired.message_templates.get(&addr.name);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Another WABA: remove every language from the old one first.
    let mut recorded = recorded;
    if let (Some(d), Some(r)) = (desired, &recorded)
        && cx
            .desired
            .credentials
            .get(&d.credentials)
            .is_some_and(|c| c.waba_id != r.waba_id)
    {
        if let Err(e) = delete_all(cx, r).await {
            return port_error(change, &e);
        }
        if let Err(e) = cx.records.commit(addr.clone(), None).await {
            return port_error(change, &e);
        }
        recorded = None;
    }
    let Some(d) = desired else {
        let Some(r) = recorded else {
            return applied(change, None);
        };
        return match delete_all(cx, &r).await {
            Ok(()) => match cx.records.commit(addr.clone(), None).await {
                Ok(()) => applied(change, None),
                Err(e) => port_error(change, &e),
            },
            Err(e) => port_error(change, &e),
        };
    };
    let Some(creds) = cx.desired.credentials.get(&d.credentials) else {
        return failed(
            change,
            ErrorClass::Config,
            format!(
                "credentials `{}` are not in the configuration",
                d.credentials
            ),
        );
    };
    let waba = creds.waba_id.clone();
    let fresh = cx.graph.read_template(&d.credentials, &waba, &d.name).await;
    let observed = fresh.as_ref().ok();
    let decided = steps(Some(d), recorded.as_ref(), observed, now);
    let mut record = recorded.unwrap_or_else(|| RecordedTemplate {
        name: d.name.clone(),
        credentials: d.credentials.clone(),
        waba_id: waba.clone(),
        category: d.category,
        parameter_format: d.parameter_format,
        allow_category_change: d.allow_category_change,
        prevent_destroy: d.prevent_destroy,
        message_send_ttl_seconds: d.message_send_ttl_seconds,
        languages: BTreeMap::new(),
    });
    let mut pending = Vec::new();
    for (code, step) in &decided {
        let result = run_step(cx, d, &waba, code, step, &mut record, observed, now).await;
        match result {
            Ok(Some(status)) => pending.push(status),
            Ok(None) => {}
            Err(e) => return port_error(change, &e),
        }
    }
    record.category = d.category;
    record.parameter_format = d.parameter_format;
    record.allow_category_change = d.allow_category_change;
    record.prevent_destroy = d.prevent_destroy;
    record.message_send_ttl_seconds = d.message_send_ttl_seconds;
    if let Err(e) = commit(cx, addr, &record).await {
        return port_error(change, &e);
    }
    let status = pending.first().map(String::as_str);
    applied(change, status)
}

async fn commit(
    cx: &ExecCtx<'_>,
    addr: &Address,
    record: &RecordedTemplate,
) -> Result<(), PortError> {
    let value =
        (!record.languages.is_empty()).then(|| RecordedResource::MessageTemplate(record.clone()));
    cx.records.commit(addr.clone(), value).await
}

/// One language; `Ok(Some(status))` when it was submitted or edited.
#[allow(clippy::too_many_arguments)]
async fn run_step(
    cx: &ExecCtx<'_>,
    d: &DesiredTemplate,
    waba: &str,
    code: &str,
    step: &Step,
    record: &mut RecordedTemplate,
    observed: Option<&BTreeMap<String, ObservedTemplate>>,
    now: i64,
) -> Result<Option<String>, PortError> {
    let addr = Address::message_template(&d.name);
    let wanted = || {
        d.languages
            .get(code)
            .map(|l| components(l, d.parameter_format))
    };
    match step {
        Step::Create | Step::Recreate => {
            let Some(comps) = wanted() else {
                return Ok(None);
            };
            if has_upload(&comps) {
                return Err(PortError::Missing(format!(
                    "message template `{}` ({code}) names a header `file:`; uploading it is not supported yet: upload it and set `example: [<handle>]`",
                    d.name
                )));
            }
            // The intent is durable before the create is sent: a crash in between is seen by
            // the next plan, which adopts what Meta has instead of submitting it twice.
            record.languages.insert(
                code.to_string(),
                RecordedLanguage {
                    id: String::new(),
                    status: SUBMITTING.into(),
                    components: comps.clone(),
                    rejected_reason: None,
                    quality_score: None,
                    edits: Vec::new(),
                },
            );
            commit(cx, &addr, record).await?;
            let (id, status) = create(cx, d, waba, code, &comps).await?;
            record.languages.insert(
                code.to_string(),
                RecordedLanguage {
                    id,
                    status: status.clone(),
                    components: comps,
                    rejected_reason: None,
                    quality_score: None,
                    edits: Vec::new(),
                },
            );
            commit(cx, &addr, record).await?;
            Ok(Some(status))
        }
        Step::Adopt { id } => {
            if let (Some(lang), Some(o)) = (
                record.languages.get_mut(code),
                observed.and_then(|o| o.get(code)),
            ) {
                lang.id = id.clone();
                lang.status = o.status.clone();
            }
            Ok(None)
        }
        Step::Edit { quota } => {
            let (Some(comps), Some(before)) = (wanted(), record.languages.get(code)) else {
                return Ok(None);
            };
            let category = (record.category != d.category).then_some(d.category.as_str());
            let answer = cx
                .graph
                .write_answer(&d.credentials, graph::edit(&before.id, &comps, category))
                .await?;
            let status = answer
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_string);
            let next = after_edit(before, comps, quota.is_some(), status.as_deref(), now);
            let shown = next.status.clone();
            record.languages.insert(code.to_string(), next);
            commit(cx, &addr, record).await?;
            Ok(Some(shown))
        }
        Step::Delete { .. } => {
            if let Some(lang) = record.languages.get(code).filter(|l| !l.id.is_empty()) {
                cx.graph
                    .write(&d.credentials, graph::delete(waba, &d.name, &lang.id))
                    .await?;
            }
            record.languages.remove(code);
            commit(cx, &addr, record).await?;
            Ok(None)
        }
        Step::Refused { why } => Err(PortError::Missing(format!(
            "message template `{}` ({code}) cannot be edited now: {why}",
            d.name
        ))),
        Step::Unmanaged { id } => Err(PortError::Missing(format!(
            "message template `{}` ({code}) exists at Meta (id {id}) but is not managed: adopt it with `wacfg import templates`",
            d.name
        ))),
        Step::Wait { .. } | Step::Unchanged => Ok(None),
    }
}

fn has_upload(components: &Value) -> bool {
    components.as_array().into_iter().flatten().any(|c| {
        c["example"]["header_handle"][0]
            .as_str()
            .is_some_and(|h| h.starts_with("file:"))
    })
}

/// Submit one language. A create whose answer is lost is read back: found, it is done; not
/// found, it did not happen; never sent twice.
async fn create(
    cx: &ExecCtx<'_>,
    d: &DesiredTemplate,
    waba: &str,
    code: &str,
    comps: &Value,
) -> Result<(String, String), PortError> {
    let request = graph::create(waba, d, code, comps);
    match cx.graph.write_answer(&d.credentials, request).await {
        Ok(answer) => {
            let id = answer.get("id").and_then(Value::as_str).unwrap_or_default();
            if id.is_empty() {
                return Err(PortError::Graph {
                    code: None,
                    message: format!(
                        "Meta accepted message template `{}` ({code}) without an id",
                        d.name
                    ),
                    outcome_unknown: true,
                });
            }
            let status = answer
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("PENDING");
            Ok((id.to_string(), status.to_string()))
        }
        Err(PortError::Graph {
            outcome_unknown: true,
            code: err_code,
            message,
        }) => match cx.graph.read_template(&d.credentials, waba, &d.name).await {
            Ok(found) => match found.get(code) {
                Some(t) => Ok((t.id.clone(), t.status.clone())),
                None => Err(PortError::Graph {
                    code: err_code,
                    message: format!("{message} (a read afterwards shows it did not happen)"),
                    outcome_unknown: false,
                }),
            },
            Err(read) => Err(PortError::Graph {
                code: err_code,
                message: format!(
                    "{message}; reading whether it happened failed too ({read}): the next plan reads it before anything is sent again"
                ),
                outcome_unknown: true,
            }),
        },
        Err(e) => Err(e),
    }
}

async fn delete_all(cx: &ExecCtx<'_>, r: &RecordedTemplate) -> Result<(), PortError> {
    for lang in r.languages.values().filter(|l| !l.id.is_empty()) {
        cx.graph
            .write(&r.credentials, graph::delete(&r.waba_id, &r.name, &lang.id))
            .await?;
    }
    Ok(())
}
