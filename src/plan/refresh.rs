//! `--refresh-only`: one `refresh` change per recorded resource whose drift its kind can record
//! (`Kind::refresh`), showing each drifted attribute as recorded -> observed. Drift a kind
//! cannot accept (a sender that left its WABA: the file must change) is a warning saying so.
//! Nothing is sent to Meta; applying writes the observed facts to state.

use std::collections::BTreeMap;

use super::drift;
use crate::diag::Diagnostic;
use crate::kinds::{RecordedResource, kind_of};
use crate::model::{Action, Address, Attributes, Drift, Observed, ResourceChange};

pub fn changes(
    recorded: &BTreeMap<Address, RecordedResource>,
    observed: &Observed,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ResourceChange> {
    let mut by_address: BTreeMap<Address, Vec<Drift>> = BTreeMap::new();
    for d in drift::detect(recorded, observed) {
        by_address.entry(d.address.clone()).or_default().push(d);
    }
    let mut out = Vec::new();
    for (addr, drifts) in by_address {
        let Some(record) = recorded.get(&addr) else {
            continue;
        };
        if kind_of(&addr).refresh(record, observed).is_none() {
            for d in &drifts {
                diagnostics.push(
                    Diagnostic::warning(
                        "wacfg::refresh::not_accepted",
                        format!("{addr}: {} (refresh cannot record this)", d.message),
                    )
                    .with_help("change the file to match (the checks run again), then apply"),
                );
            }
            continue;
        }
        let mut before = Attributes::new();
        let mut after = Attributes::new();
        for d in &drifts {
            before.insert(d.attribute.clone(), d.recorded.clone());
            after.insert(d.attribute.clone(), d.observed.clone());
        }
        let names: Vec<&str> = drifts.iter().map(|d| d.attribute.as_str()).collect();
        out.push(ResourceChange {
            address: addr.clone(),
            action: Action::Refresh,
            reason: format!(
                "Meta changed {} since the last apply: recorded as Meta says now (nothing is sent to Meta)",
                names.join(", ")
            ),
            before: Some(before),
            after: Some(after),
            sensitive: Vec::new(),
            unknown_after: Vec::new(),
            checks: Vec::new(),
            depends_on: Vec::new(),
            moved_from: None,
            destroys: Vec::new(),
        });
    }
    out
}
