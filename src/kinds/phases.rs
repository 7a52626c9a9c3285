//! The apply order, defined once from the registry: every kind's creations and updates in
//! dependency order, then its removals in reverse. The planner sorts by it and the engine runs
//! one phase at a time.

use super::KINDS;
use crate::model::{Action, ResourceChange, ResourceKind};

/// Whether an action takes something away (it runs in the removal phases).
pub fn is_removal(action: Action) -> bool {
    matches!(action, Action::Delete | Action::Deactivate)
}

fn rank(kind: ResourceKind) -> usize {
    KINDS
        .iter()
        .position(|k| k.kind() == kind)
        .unwrap_or(KINDS.len())
}

/// The phase of a change: `0..n` for creations and updates, `n..2n` for removals.
pub fn phase(kind: ResourceKind, action: Action) -> usize {
    let n = KINDS.len();
    let r = rank(kind);
    if is_removal(action) { 2 * n - 1 - r } else { r }
}

pub fn phase_of(change: &ResourceChange) -> usize {
    phase(change.address.kind, change.action)
}

/// How many phases there are.
pub fn count() -> usize {
    2 * KINDS.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creations_run_in_dependency_order_and_removals_in_reverse() {
        use ResourceKind::*;
        let order = [
            phase(Credentials, Action::Create),
            phase(Webhook, Action::Update),
            phase(ChannelConfiguration, Action::Reactivate),
            phase(ChannelConfiguration, Action::Deactivate),
            phase(Webhook, Action::Delete),
            phase(Credentials, Action::Delete),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert_eq!(phase(Credentials, Action::Delete), count() - 1);
    }
}
