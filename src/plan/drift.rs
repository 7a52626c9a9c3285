//! Drift: what changed at Meta since the last apply (Observed vs Recorded), asked of each
//! recorded resource's kind. Reported, never acted on by itself.

use std::collections::BTreeMap;

use super::types::Drift;
use crate::kinds::{RecordedResource, kind_of};
use crate::model::{Address, Observed};

/// Every drift, in address then attribute order.
pub fn detect(recorded: &BTreeMap<Address, RecordedResource>, observed: &Observed) -> Vec<Drift> {
    let mut out = Vec::new();
    for (addr, r) in recorded {
        kind_of(addr).drift(r, recorded, observed, &mut out);
    }
    out.sort_by(|a, b| (&a.address, &a.attribute).cmp(&(&b.address, &b.attribute)));
    out
}
