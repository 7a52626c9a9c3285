//! Is a saved plan still the plan? Compares what it pinned with what is true now and names
//! every cause; each message contains the word "stale".

use std::collections::BTreeMap;

use super::digest::{observed_digests, plan_digest};
use super::types::{Plan, PriorState};
use crate::model::{Observed, TokenFingerprint};

/// What is true now, read just before apply.
pub struct Current<'a> {
    pub prior: Option<PriorState>,
    pub config_digest: &'a str,
    pub fingerprints: &'a BTreeMap<String, TokenFingerprint>,
    pub observed: &'a Observed,
}

/// The causes a saved plan is stale, or why it was tampered with; empty when it can be applied.
pub fn stale_causes(plan: &Plan, now: &Current<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if plan_digest(plan) != plan.digests.plan {
        out.push("the plan file was modified after it was saved (its digest does not match): stale or tampered plan; run `wacfg plan -o` again".into());
        return out;
    }
    match (&plan.prior_state, &now.prior) {
        (Some(a), Some(b)) if a.lineage != b.lineage => out.push(format!(
            "stale plan: the state's lineage changed ({} -> {}); this plan was made against another state",
            a.lineage, b.lineage
        )),
        (Some(a), Some(b)) if a.serial != b.serial => out.push(format!(
            "stale plan: the state moved from serial {} to {} since the plan was made",
            a.serial, b.serial
        )),
        (None, Some(b)) => out.push(format!(
            "stale plan: it was made with no state, and the state now exists (serial {})",
            b.serial
        )),
        (Some(_), None) => out.push("stale plan: the state it was made against is gone".into()),
        _ => {}
    }
    if plan.digests.config != now.config_digest {
        out.push("stale plan: the configuration files changed since the plan was made".into());
    }
    let now_tokens: BTreeMap<String, String> = now
        .fingerprints
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    // Meta's facts about a token that was replaced are gone with it: the line above already
    // says why, so those keys are not reported a second time.
    let mut replaced = Vec::new();
    for (name, fp) in &plan.digests.tokens {
        if now_tokens.get(name) != Some(fp) {
            let what = match name.strip_prefix("webhook:") {
                Some(webhook) => format!("the verify token of webhook `{webhook}`"),
                None => format!("the token of credentials `{name}`"),
            };
            out.push(format!(
                "stale plan: {what} changed since the plan was made"
            ));
            replaced.push(format!("token:{}", TokenFingerprint(fp.clone()).short()));
        }
    }
    let observed = observed_digests(now.observed);
    for (key, digest) in &plan.digests.observed {
        if observed.get(key) != Some(digest) && !replaced.contains(key) {
            out.push(format!(
                "stale plan: Meta's facts for {key} changed since the plan was made"
            ));
        }
    }
    out
}
