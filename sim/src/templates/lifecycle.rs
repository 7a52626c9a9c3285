//! Templates over simulated time. "Now" is the real clock plus the ledger's offset (a test
//! advances it through `POST /__sim/clock`, so nothing waits in real time). Owns the review
//! (PENDING until its time, then the first matching reject rule or APPROVED), the edit quota
//! of an APPROVED template (1 per 24 h, 10 per 30 days), the creation rate (100 per hour per
//! WABA) and the 30-day lock on a deleted APPROVED template's name and language.

use crate::errors::GraphError;
use crate::templates::model::{Ledger, MessageTemplate, TemplateReview};
use crate::world::World;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
pub const CREATIONS_PER_HOUR: usize = 100;
pub const EDITS_PER_DAY: usize = 1;
pub const EDITS_PER_30_DAYS: usize = 10;
pub const NAME_LOCK_MS: i64 = 30 * DAY_MS;

/// Subcodes the simulator chose where Meta's reference gives none (sim/README.md).
pub const SUB_NOT_EDITABLE: u32 = 2388901;
pub const SUB_EDIT_QUOTA: u32 = 2388902;
pub const SUB_CATEGORY_LOCKED: u32 = 2388903;
pub const SUB_CREATION_RATE: u32 = 2388904;
pub const SUB_NOT_FOUND: u32 = 2388905;
/// Meta's: the name and language already exist.
pub const SUB_DUPLICATE: u32 = 2388024;
/// Meta's: the name and language are still being deleted (30 days after an APPROVED one).
pub const SUB_NAME_LOCKED: u32 = 2388023;

/// Simulated Unix milliseconds.
pub fn now_ms(ledger: &Ledger) -> i64 {
    ledger.frozen_at_ms.unwrap_or_else(real_ms) + ledger.clock_offset_ms
}

/// The real clock, in Unix milliseconds.
pub fn real_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Stops (true) or restarts (false) the clock without a jump.
pub fn freeze(ledger: &mut Ledger, frozen: bool) {
    match (frozen, ledger.frozen_at_ms) {
        (true, None) => ledger.frozen_at_ms = Some(real_ms()),
        (false, Some(at)) => {
            ledger.clock_offset_ms += at - real_ms();
            ledger.frozen_at_ms = None;
        }
        _ => {}
    }
}

/// True when some review has come due (cheap, under a read lock).
pub fn due(world: &World) -> bool {
    let now = now_ms(&world.ledger);
    world.ledger.pending.values().any(|&at| at <= now)
}

/// Decides every review that has come due.
pub fn settle(world: &mut World) {
    let now = now_ms(&world.ledger);
    let ready: Vec<String> = world
        .ledger
        .pending
        .iter()
        .filter(|(_, at)| **at <= now)
        .map(|(id, _)| id.clone())
        .collect();
    let review = world.template_review.clone().unwrap_or_default();
    for id in ready {
        world.ledger.pending.remove(&id);
        if let Some(t) = world.template_mut(&id) {
            decide(t, &review);
        }
    }
}

fn decide(t: &mut MessageTemplate, review: &TemplateReview) {
    if t.status != "PENDING" {
        return;
    }
    match review.reject.iter().find(|r| r.matches(t)) {
        Some(rule) => {
            t.status = "REJECTED".into();
            t.rejected_reason = Some(rule.reason.clone());
        }
        None => {
            t.status = "APPROVED".into();
            t.rejected_reason = Some("NONE".into());
        }
    }
}

/// Puts a template in review from now.
pub fn submit(world: &mut World, t: &mut MessageTemplate) {
    let delay = world
        .template_review
        .as_ref()
        .map_or(0, |r| r.delay_ms as i64);
    t.status = "PENDING".into();
    t.rejected_reason = None;
    let at = now_ms(&world.ledger) + delay;
    world.ledger.pending.insert(t.id.clone(), at);
}

/// A fresh template id no node of the world uses.
pub fn new_id(world: &mut World) -> String {
    loop {
        world.ledger.next += 1;
        let id = (1_300_000_000_000_000u64 + world.ledger.next).to_string();
        if !world.has_id(&id) {
            return id;
        }
    }
}

/// 100 creations per rolling hour per WABA.
pub fn check_creation_rate(ledger: &Ledger, waba: &str) -> Result<(), GraphError> {
    let now = now_ms(ledger);
    let recent = ledger.creations.get(waba).map_or(0, |times| {
        times.iter().filter(|&&t| t > now - HOUR_MS).count()
    });
    if recent < CREATIONS_PER_HOUR {
        return Ok(());
    }
    Err(GraphError::template(
        SUB_CREATION_RATE,
        "Too Many Templates Created",
        format!(
            "This WhatsApp Business Account created {CREATIONS_PER_HOUR} templates in the last hour, the most Meta allows. Try again later."
        ),
    ))
}

pub fn record_creation(ledger: &mut Ledger, waba: &str) {
    let now = now_ms(ledger);
    let times = ledger.creations.entry(waba.to_string()).or_default();
    times.retain(|&t| t > now - HOUR_MS);
    times.push(now);
}

pub fn check_name_lock(
    ledger: &Ledger,
    waba: &str,
    name: &str,
    language: &str,
) -> Result<(), GraphError> {
    let key = (waba.to_string(), name.to_string(), language.to_string());
    match ledger.locks.get(&key) {
        Some(&until) if until > now_ms(ledger) => Err(GraphError::template(
            SUB_NAME_LOCKED,
            "Message Template Language Is Being Deleted",
            format!(
                "New {language} content for {name} can't be added while the existing {language} content is being deleted. Try again in 4 weeks or create a template with another name."
            ),
        )),
        _ => Ok(()),
    }
}

/// Deleting an APPROVED template locks its name and language for 30 days.
pub fn lock_name(ledger: &mut Ledger, waba: &str, t: &MessageTemplate) {
    if t.status == "APPROVED" {
        let until = now_ms(ledger) + NAME_LOCK_MS;
        let key = (waba.to_string(), t.name.clone(), t.language.clone());
        ledger.locks.insert(key, until);
    }
}

/// Which edits Meta allows: APPROVED within its quota, REJECTED and PAUSED freely.
pub fn check_edit(ledger: &Ledger, t: &MessageTemplate) -> Result<(), GraphError> {
    match t.status.as_str() {
        "APPROVED" => {}
        "REJECTED" | "PAUSED" => return Ok(()),
        other => {
            return Err(GraphError::template(
                SUB_NOT_EDITABLE,
                "Message Template Can't Be Edited",
                format!(
                    "A template whose status is {other} can't be edited; only APPROVED, REJECTED or PAUSED templates can."
                ),
            ));
        }
    }
    let now = now_ms(ledger);
    let edits = ledger.edits.get(&t.id).map(Vec::as_slice).unwrap_or(&[]);
    let within = |ms: i64| edits.iter().filter(|&&e| e > now - ms).count();
    if within(DAY_MS) >= EDITS_PER_DAY {
        return Err(quota(format!(
            "An approved template can be edited {EDITS_PER_DAY} time per 24 hours; try again later."
        )));
    }
    if within(30 * DAY_MS) >= EDITS_PER_30_DAYS {
        return Err(quota(format!(
            "An approved template can be edited {EDITS_PER_30_DAYS} times per 30 days; try again later."
        )));
    }
    Ok(())
}

fn quota(msg: String) -> GraphError {
    GraphError::template(SUB_EDIT_QUOTA, "Message Template Edit Limit Reached", msg)
}

pub fn record_edit(ledger: &mut Ledger, id: &str) {
    let now = now_ms(ledger);
    let times = ledger.edits.entry(id.to_string()).or_default();
    times.retain(|&t| t > now - 30 * DAY_MS);
    times.push(now);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(status: &str) -> MessageTemplate {
        MessageTemplate {
            id: "1".into(),
            name: "n".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            status: status.into(),
            quality_score: None,
            components: Vec::new(),
            parameter_format: None,
            rejected_reason: None,
            previous_category: None,
            message_send_ttl_seconds: None,
        }
    }

    #[test]
    fn approved_edits_once_a_day_and_ten_a_month() {
        let mut l = Ledger::default();
        let t = template("APPROVED");
        for day in 0..10 {
            assert!(check_edit(&l, &t).is_ok(), "edit on day {day}");
            record_edit(&mut l, "1");
            assert_eq!(
                check_edit(&l, &t).unwrap_err().subcode,
                Some(SUB_EDIT_QUOTA)
            );
            l.clock_offset_ms += DAY_MS + 1;
        }
        let e = check_edit(&l, &t).unwrap_err();
        assert!(e.user.unwrap().msg.unwrap().contains("30 days"));
        assert!(check_edit(&l, &template("PAUSED")).is_ok());
        let pending = check_edit(&l, &template("PENDING")).unwrap_err();
        assert_eq!(pending.subcode, Some(SUB_NOT_EDITABLE));
    }

    #[test]
    fn creations_are_counted_per_rolling_hour() {
        let mut l = Ledger::default();
        for _ in 0..CREATIONS_PER_HOUR {
            assert!(check_creation_rate(&l, "w").is_ok());
            record_creation(&mut l, "w");
        }
        assert!(check_creation_rate(&l, "w").is_err());
        assert!(check_creation_rate(&l, "other").is_ok());
        l.clock_offset_ms += HOUR_MS;
        assert!(check_creation_rate(&l, "w").is_ok());
    }
}
