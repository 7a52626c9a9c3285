//! Digests a saved plan pins (config, tokens, observed facts) and the digest of the plan itself.

use sha2::{Digest as _, Sha256};

use super::input::PlanInput;
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

pub fn digests(input: &PlanInput<'_>) -> Digests {
    Digests {
        config: input.desired.config_digest.clone(),
        tokens: input
            .fingerprints
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect(),
        observed: observed_digests(input.observed),
        plan: String::new(),
    }
}

/// The digest of a plan: SHA-256 over its JSON with `digests.plan` empty and without
/// `graph_api` (which endpoint was read is said, not pinned: a simulator's random port must
/// not change the digest run to run, and apply never reads it). Streams into the hasher
/// rather than building the JSON text, since plans can hold tens of thousands of changes.
pub fn plan_digest(plan: &Plan) -> String {
    struct HashWriter(Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Sha256::new());
    if plan.digests.plan.is_empty() && plan.graph_api.is_none() {
        let _ = serde_json::to_writer(&mut w, plan);
    } else {
        let mut copy = plan.clone();
        copy.digests.plan = String::new();
        copy.graph_api = None;
        let _ = serde_json::to_writer(&mut w, &copy);
    }
    format!("sha256:{}", hex::encode(w.0.finalize()))
}

/// Set `digests.plan` from the plan's content.
pub fn seal(plan: &mut Plan) {
    plan.digests.plan = String::new();
    plan.digests.plan = plan_digest(plan);
}
