//! Renames (`moved:` in the file): which recorded resources move to a new address before
//! planning, and how the change planned at the new address is shown as a move. The kind then
//! decides on the record under its new name, so an unchanged resource is one "move" that
//! keeps its history and version and runs no checks; one with other edits is that edit with
//! `moved_from` set.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::kinds::plan_ctx::at_source;
use crate::kinds::{Desired, RecordedResource};
use crate::model::{Action, Address, ResourceChange};

/// The recorded resources with every applicable move done, and the moves done (new address ->
/// old). A move is done when state has its source and not its target; both recorded is an
/// error; neither, or only the target (already moved), is nothing to do.
pub fn resolve<'a>(
    desired: &Desired,
    recorded: &'a BTreeMap<Address, RecordedResource>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (
    Cow<'a, BTreeMap<Address, RecordedResource>>,
    BTreeMap<Address, Address>,
) {
    let mut done = BTreeMap::new();
    let mut out = Cow::Borrowed(recorded);
    for m in &desired.moved {
        match (recorded.get(&m.from), recorded.contains_key(&m.to)) {
            (Some(_), true) => diagnostics.push(at_source(
                Diagnostic::error(
                    "wacfg::moved::both_recorded",
                    format!(
                        "`moved` from {} to {}: state records both addresses",
                        m.from, m.to
                    ),
                )
                .with_help(format!(
                    "keep one: `wacfg state rm {}` forgets the old record (or remove the `moved` entry)",
                    m.from
                )),
                &m.source,
            )),
            (Some(r), false) => {
                let map = out.to_mut();
                map.remove(&m.from);
                map.insert(m.to.clone(), r.renamed(&m.to.name));
                done.insert(m.to.clone(), m.from.clone());
            }
            (None, _) => {}
        }
    }
    (out, done)
}

/// Mark the change planned at a moved resource's new address; a resource that is otherwise
/// unchanged becomes one `move` change.
pub fn mark(change: &mut ResourceChange, from: &Address) {
    change.moved_from = Some(from.clone());
    if change.action == Action::NoOp {
        change.action = Action::Move;
        change.reason = format!(
            "moved from {from}: history and version kept, nothing else changed (no checks)"
        );
    } else {
        change.reason = format!("moved from {from}; {}", change.reason);
    }
}
