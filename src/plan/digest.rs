//! Digests a saved plan pins (config, tokens, observed facts) and the digest of the plan itself.

use sha2::{Digest as _, Sha256};

use super::planner::PlanInput;
use super::types::{Digests, Plan};
use crate::model::Observed;

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Digest of the facts the plan relied on, per business and per token.
pub fn observed_digests(observed: &Observed) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for (id, b) in &observed.businesses {
        let text = serde_json::to_vec(b).unwrap_or_default();
        out.insert(format!("business:{id}"), sha256_hex(&text));
    }
    for (fp, t) in &observed.tokens {
        // Validity, expiry and scopes; not the read time.
        let text = serde_json::to_vec(t).unwrap_or_default();
        out.insert(format!("token:{}", fp.short()), sha256_hex(&text));
    }
    out
}

pub fn digests(plan: &Plan, input: &PlanInput<'_>) -> Digests {
    let mut d = Digests {
        config: input.desired.config_digest.clone(),
        tokens: input
            .fingerprints
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect(),
        observed: observed_digests(input.observed),
        plan: String::new(),
    };
    d.plan = plan_digest(plan, &d);
    d
}

/// The digest of a plan: SHA-256 over its JSON with `digests.plan` empty.
pub fn plan_digest(plan: &Plan, digests: &Digests) -> String {
    let mut copy = plan.clone();
    copy.digests = Digests {
        plan: String::new(),
        ..digests.clone()
    };
    sha256_hex(&serde_json::to_vec(&copy).unwrap_or_default())
}
