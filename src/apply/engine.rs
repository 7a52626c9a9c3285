//! The apply engine: carries a plan's changes out phase by phase (`kinds::phases`),
//! independent changes concurrently, and has each change's kind execute it. It decides
//! nothing: kinds decide (from their lifecycle) and record; the engine orders, skips what
//! depends on a failure, stops starting work on Ctrl-C, and collects the report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;

use super::commit::Committer;
use super::ports::{GraphPort, StateWriter};
use super::report::{ApplyReport, ChangeOutcome, ChangeResult};
use crate::kinds::outcome::result;
use crate::kinds::{Desired, ExecCtx, RecordedResource, kind_of, phases};
use crate::model::{Address, Observed, TokenFingerprint};
use crate::plan::{Plan, ResourceChange};

/// What apply needs besides the plan.
pub struct ApplyInput<'a> {
    pub desired: &'a Desired,
    /// Facts read just before apply (the same read the stale check used).
    pub observed: &'a Observed,
    /// Secret fingerprints by secret key, as the planner saw them.
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub recorded: BTreeMap<Address, RecordedResource>,
    pub parallelism: usize,
    /// Set by the Ctrl-C handler: finish what is in flight, start nothing new.
    pub interrupted: Arc<AtomicBool>,
}

/// Progress events, for the renderer to print as they happen.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    Started(&'a ResourceChange),
    Finished(&'a ChangeResult),
}

/// Carry out every actionable change of `plan`, phase by phase.
pub async fn apply<W: StateWriter + Sync>(
    plan: &Plan,
    input: ApplyInput<'_>,
    writer: W,
    graph: &dyn GraphPort,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> ApplyReport {
    let records = Committer::new(input.recorded.clone(), writer);
    let cx = ExecCtx {
        desired: input.desired,
        observed: input.observed,
        fingerprints: input.fingerprints,
        records: &records,
        graph,
    };
    let mut report = ApplyReport::default();
    let mut failed: Vec<Address> = Vec::new();
    let changes: Vec<&ResourceChange> = plan.actionable().collect();
    for phase in 0..phases::count() {
        let batch: Vec<&ResourceChange> = changes
            .iter()
            .copied()
            .filter(|c| phases::phase_of(c) == phase)
            .collect();
        if batch.is_empty() {
            continue;
        }
        let results: Vec<ChangeResult> = futures::stream::iter(batch)
            .map(|change| {
                let (failed, cx, input) = (&failed, &cx, &input);
                async move {
                    if input.interrupted.load(Ordering::SeqCst) {
                        return skipped(change, "interrupted before it started (Ctrl-C)");
                    }
                    if let Some(dep) = change.depends_on.iter().find(|d| failed.contains(d)) {
                        return skipped(change, &format!("{dep} failed"));
                    }
                    progress(Progress::Started(change));
                    let result = kind_of(&change.address).execute(change, cx).await;
                    progress(Progress::Finished(&result));
                    result
                }
            })
            .buffer_unordered(input.parallelism.max(1))
            .collect()
            .await;
        for r in results {
            if !matches!(r.outcome, ChangeOutcome::Applied) {
                failed.push(r.address.clone());
            }
            report.results.push(r);
        }
    }
    report.results.sort_by_key(|r| {
        changes
            .iter()
            .position(|c| c.address == r.address)
            .unwrap_or(usize::MAX)
    });
    report.interrupted = input.interrupted.load(Ordering::SeqCst);
    report.state = records.into_last();
    report
}

fn skipped(change: &ResourceChange, why: &str) -> ChangeResult {
    result(
        change,
        ChangeOutcome::Skipped {
            why: why.to_string(),
        },
    )
}
