//! Safety, in one place: `prevent_destroy` (no flag overrides it) and the destructive
//! threshold (deletes + deactivations vs managed resources, overridable with
//! `--allow-destructive`). A change that deletes part of a resource at Meta (`destroys`: a
//! template language) counts like a delete. Returns whether the plan is refused.

use super::input::PlanInput;
use super::types::ResourceChange;
use crate::diag::Diagnostic;
use crate::kinds::kind_of;

pub fn check(
    diags: &mut Vec<Diagnostic>,
    changes: &[ResourceChange],
    input: &PlanInput<'_>,
) -> bool {
    let mut refused = false;
    for c in changes.iter().filter(|c| c.is_destructive()) {
        let guarded = kind_of(&c.address).prevent_destroy(
            input.desired,
            input.recorded.get(&c.address),
            &c.address.name,
        );
        if guarded {
            refused = true;
            diags.push(
                Diagnostic::error(
                    "wacfg::plan::prevent_destroy",
                    if c.action.is_destructive() {
                        format!("{} has prevent_destroy: the plan would {} it", c.address, c.action.as_str())
                    } else {
                        format!("{} has prevent_destroy: the plan would delete its {} at Meta", c.address, c.destroys.join(", "))
                    },
                )
                .with_help("no flag overrides this: set `prevent_destroy: false` and apply first if you really mean it"),
            );
        }
    }
    let managed = input.recorded.len();
    let destructive = changes.iter().filter(|c| c.is_destructive()).count();
    let safety = input.desired.safety;
    if managed >= safety.min_managed as usize
        && destructive * 100 > safety.max_destructive_percent as usize * managed
    {
        let percent = destructive * 100 / managed.max(1);
        if input.allow_destructive {
            diags.push(Diagnostic::warning(
                "wacfg::plan::destructive_allowed",
                format!("{destructive} of {managed} managed resources are deleted or deactivated ({percent}%); allowed by --allow-destructive"),
            ));
        } else {
            refused = true;
            diags.push(
                Diagnostic::error(
                    "wacfg::plan::too_destructive",
                    format!(
                        "the plan deletes or deactivates {destructive} of {managed} managed resources ({percent}%), above safety.max_destructive_percent = {}%",
                        safety.max_destructive_percent
                    ),
                )
                .with_help("check that the right files were loaded; if this is intended, run again with --allow-destructive"),
            );
        }
    }
    refused
}
