//! Carrying out a template change: decide every language again on fresh facts (a read of the
//! template at Meta), then per language: record the intent, create (read back when the answer
//! is lost, never sent twice), edit (only what changed, within the quota), or delete by
//! `hsm_id`. The record is committed after each language, so a stop halfway keeps what Meta
//! already has. Creates spend the WABA's hourly creations (`pacing`): beyond them, or once
//! Meta answers its creation-rate error, the languages left are not sent and the change is
//! reported not attempted, with when to apply again.

use std::collections::BTreeMap;

use serde_json::Value;

use super::components::components;
use super::graph;
use super::lifecycle::{SUBMITTING, Step, after_edit};
use super::model::{DesiredTemplate, RecordedLanguage, RecordedTemplate};
use super::plan::steps;
use super::{media, pacing};
use crate::kinds::outcome::{applied, failed, port_error, result};
use crate::kinds::{ExecCtx, MediaFile, PortError, RecordedResource};
use crate::model::{
    Address, ChangeOutcome, ChangeResult, ErrorClass, ObservedTemplate, ResourceChange,
};

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
            Ok(()) => match cx.records.commit_last(addr.clone(), None).await {
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
    let mut waiting: Vec<String> = Vec::new();
    let mut wait_until: Option<i64> = Some(now);
    let held = held_back(change);
    for (code, step) in &decided {
        if held.contains(code) && matches!(step, Step::Create | Step::Recreate) {
            waiting.push(code.clone());
            let next_at = cx
                .pacing
                .next_at(&waba, || pacing::budget_of(cx.prior, &waba, now));
            wait_until = pacing::later(wait_until, next_at);
            continue;
        }
        let result = run_step(cx, d, &waba, code, step, &mut record, observed, now).await;
        match result {
            Ok(Done::Status(status)) => pending.push(status),
            Ok(Done::Nothing) => {}
            Ok(Done::Waits(next_at)) => {
                waiting.push(code.clone());
                wait_until = pacing::later(wait_until, next_at);
            }
            Err(e) => return port_error(change, &e),
        }
    }
    record.category = d.category;
    record.parameter_format = d.parameter_format;
    record.allow_category_change = d.allow_category_change;
    record.prevent_destroy = d.prevent_destroy;
    if d.message_send_ttl_seconds.is_some() {
        record.message_send_ttl_seconds = d.message_send_ttl_seconds;
    }
    if let Err(e) = cx
        .records
        .commit_last(addr.clone(), value_of(&record))
        .await
    {
        return port_error(change, &e);
    }
    let status = pending.first().map(String::as_str);
    if !waiting.is_empty() {
        let mut why = pacing::waiting_text(&waiting, &waba, wait_until);
        if !pending.is_empty() {
            why = format!("the other languages were submitted; {why}");
        }
        return ChangeResult {
            status: status.map(str::to_string),
            ..result(change, ChangeOutcome::Skipped { why })
        };
    }
    applied(change, status)
}

/// The languages the plan held back for Meta's hourly creation limit.
fn held_back(change: &ResourceChange) -> Vec<String> {
    change
        .after
        .as_ref()
        .and_then(|a| a.get(super::plan::CREATIONS_WAITING))
        .and_then(Value::as_array)
        .map(|codes| {
            codes
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What one language's step came to.
enum Done {
    Nothing,
    /// Submitted or edited: Meta's status.
    Status(String),
    /// A create not sent: Meta's hourly limit for the WABA is spent until then (unix s;
    /// `None`: an hour after this apply's creations).
    Waits(Option<i64>),
}

async fn commit(
    cx: &ExecCtx<'_>,
    addr: &Address,
    record: &RecordedTemplate,
) -> Result<(), PortError> {
    cx.records.commit(addr.clone(), value_of(record)).await
}

/// What state keeps of `record`: nothing once no language is left.
fn value_of(record: &RecordedTemplate) -> Option<RecordedResource> {
    (!record.languages.is_empty()).then(|| RecordedResource::MessageTemplate(record.clone()))
}

/// One language.
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
) -> Result<Done, PortError> {
    let addr = Address::message_template(&d.name);
    let wanted = || {
        d.languages
            .get(code)
            .map(|l| components(l, d.parameter_format))
    };
    match step {
        Step::Create | Step::Recreate => {
            let Some(comps) = wanted() else {
                return Ok(Done::Nothing);
            };
            // Meta's 100 creations per hour per WABA: counted from state's creation times
            // and this run's creates; beyond them nothing is sent.
            if let Err(next_at) = cx
                .pacing
                .take(waba, || pacing::budget_of(cx.prior, waba, now))
            {
                return Ok(Done::Waits(next_at));
            }
            let sent = match uploaded(cx, d, code, &comps).await {
                Ok(sent) => sent,
                Err(e) => {
                    cx.pacing.give_back(waba);
                    return Err(e);
                }
            };
            // The intent is durable before the create is sent: a crash in between is seen by
            // the next plan, which adopts what Meta has instead of submitting it twice.
            let previous = record.languages.get(code).cloned();
            record.languages.insert(
                code.to_string(),
                RecordedLanguage {
                    id: String::new(),
                    status: SUBMITTING.into(),
                    components: comps.clone(),
                    rejected_reason: None,
                    quality_score: None,
                    edits: Vec::new(),
                    created_at: Some(now),
                },
            );
            commit(cx, &addr, record).await?;
            let (id, status) = match create(cx, d, waba, code, &sent).await {
                Ok(made) => made,
                // Refused before acting: nothing was made. No more creates for this WABA.
                Err(e) if pacing::is_creation_limit(&e) => {
                    let next_at = now + pacing::HOUR_SECS;
                    cx.pacing.exhaust(waba, next_at);
                    match previous {
                        Some(p) => record.languages.insert(code.to_string(), p),
                        None => record.languages.remove(code),
                    };
                    commit(cx, &addr, record).await?;
                    return Ok(Done::Waits(Some(next_at)));
                }
                Err(e) => return Err(e),
            };
            record.languages.insert(
                code.to_string(),
                RecordedLanguage {
                    id,
                    status: status.clone(),
                    components: comps,
                    rejected_reason: None,
                    quality_score: None,
                    edits: Vec::new(),
                    created_at: Some(now),
                },
            );
            commit(cx, &addr, record).await?;
            Ok(Done::Status(status))
        }
        Step::Paced { next_at } => Ok(Done::Waits(*next_at)),
        Step::Adopt { id } => {
            if let (Some(lang), Some(o)) = (
                record.languages.get_mut(code),
                observed.and_then(|o| o.get(code)),
            ) {
                lang.id = id.clone();
                lang.status = o.status.clone();
            }
            Ok(Done::Nothing)
        }
        Step::Edit { quota } => {
            let (Some(comps), Some(before)) = (wanted(), record.languages.get(code)) else {
                return Ok(Done::Nothing);
            };
            let category = (record.category != d.category).then_some(d.category.as_str());
            let ttl = super::plan::ttl_change(d, record);
            let sent = uploaded(cx, d, code, &comps).await?;
            let answer = cx
                .graph
                .write_answer(
                    &d.credentials,
                    graph::edit(&before.id, &sent, category, ttl),
                )
                .await?;
            let status = answer
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_string);
            let next = after_edit(before, comps, quota.is_some(), status.as_deref(), now);
            let shown = next.status.clone();
            record.languages.insert(code.to_string(), next);
            commit(cx, &addr, record).await?;
            Ok(Done::Status(shown))
        }
        Step::Delete { .. } => {
            if let Some(lang) = record.languages.get(code).filter(|l| !l.id.is_empty()) {
                cx.graph
                    .write(&d.credentials, graph::delete(waba, &d.name, &lang.id))
                    .await?;
            }
            record.languages.remove(code);
            commit(cx, &addr, record).await?;
            Ok(Done::Nothing)
        }
        Step::Refused { why } => Err(PortError::Missing(format!(
            "message template `{}` ({code}) cannot be edited now: {why}",
            d.name
        ))),
        Step::Unmanaged { id } => Err(PortError::Missing(format!(
            "message template `{}` ({code}) exists at Meta (id {id}) but is not managed: adopt it with `wacfg import templates`",
            d.name
        ))),
        Step::Wait { .. } | Step::Unchanged => Ok(Done::Nothing),
    }
}

/// The components to send: each header `file:` uploaded through Meta's resumable upload (its
/// type and size checked against what Meta takes, the file read confined) and replaced by
/// the handle Meta answered.
async fn uploaded(
    cx: &ExecCtx<'_>,
    d: &DesiredTemplate,
    code: &str,
    comps: &Value,
) -> Result<Value, PortError> {
    let files = media::files_in(comps);
    if files.is_empty() {
        return Ok(comps.clone());
    }
    let mut handles = BTreeMap::new();
    for (path, format) in files {
        let refused = |why: String| {
            PortError::Missing(format!(
                "message template `{}` ({code}): the header file {}: {why}",
                d.name,
                path.display()
            ))
        };
        let (mime, max) = media::media_type(&path, &format).map_err(refused)?;
        let bytes = cx.files.read(&path, max)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = MediaFile { name, mime, bytes };
        let handle = cx.graph.upload(&d.credentials, &file).await?;
        handles.insert(path, handle);
    }
    Ok(media::with_handles(comps, &handles))
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
