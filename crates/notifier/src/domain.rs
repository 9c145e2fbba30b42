//! The rules of reminding, free of SQL and mail: which messages a deadline's state calls
//! for, when each goes out, and what makes two of them the same message.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use advocacy_platform::Classification;
use advocacy_platform::schedule::Recurrence;
use advocacy_platform::time::from_timestamp;
use advocacy_proto::v1 as pb;

/// A deadline as the change feed last showed it: what reminders need of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Deadline {
    pub id: String,
    pub revision: i64,
    pub title: String,
    pub mechanism: String,
    pub kind: pb::DeadlineKind,
    pub zone: Tz,
    pub due: DateTime<Utc>,
    pub status: pb::DeadlineStatus,
    pub owners: Vec<String>,
    /// Largest first.
    pub lead_minutes: Vec<i32>,
    pub classification: Classification,
}

impl Deadline {
    /// The deadline of a change; an error means the feed sent something unreadable.
    pub fn of_change(change: &pb::DeadlineChange) -> Result<Deadline, String> {
        let d = change.deadline.as_ref().ok_or("a change without its deadline")?;
        let due = d.due.as_ref().ok_or("a deadline without a due time")?;
        let due = from_timestamp("due", due).map_err(|e| e.to_string())?;
        let zone = d.zone.parse().map_err(|_| format!("unknown zone {:?}", d.zone))?;
        let classification =
            Classification::parse("classification", d.classification.as_ref(), Classification::Internal)
                .map_err(|e| e.to_string())?;
        let mut lead_minutes: Vec<i32> = d.lead_minutes.iter().copied().filter(|m| *m > 0).collect();
        lead_minutes.sort_unstable_by(|a, b| b.cmp(a));
        lead_minutes.dedup();
        Ok(Deadline {
            id: d.id.clone(),
            revision: change.revision,
            title: d.title.clone(),
            mechanism: d.mechanism.clone(),
            kind: d.kind(),
            zone,
            due,
            status: d.status(),
            owners: d.owners.clone(),
            lead_minutes,
            classification,
        })
    }

    pub fn is_open(&self) -> bool {
        self.status == pb::DeadlineStatus::Open
    }
}

/// What a message is for; part of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    Reminder,
    Escalation,
    Digest,
    Test,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Reminder => "reminder",
            Purpose::Escalation => "escalation",
            Purpose::Digest => "digest",
            Purpose::Test => "test",
        }
    }

    pub fn parse(text: &str) -> Option<Purpose> {
        [Purpose::Reminder, Purpose::Escalation, Purpose::Digest, Purpose::Test]
            .into_iter()
            .find(|p| p.as_str() == text)
    }

    pub fn to_proto(self) -> pb::DeliveryKind {
        match self {
            Purpose::Reminder => pb::DeliveryKind::Reminder,
            Purpose::Escalation => pb::DeliveryKind::Escalation,
            Purpose::Digest => pb::DeliveryKind::Digest,
            Purpose::Test => pb::DeliveryKind::Test,
        }
    }
}

/// What makes a message one message: unique in the database, and the source of its
/// Message-ID, so a retry or a replay is recognisably the same email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub purpose: Purpose,
    /// Empty for digests and tests.
    pub deadline_id: String,
    pub due: DateTime<Utc>,
    pub lead_minutes: i32,
    pub recipient: String,
}

impl Key {
    /// `<hash@domain>`, the same for every attempt at this message.
    pub fn message_id(&self, domain: &str) -> String {
        let text = format!(
            "{}|{}|{}|{}|{}",
            self.purpose.as_str(),
            self.deadline_id,
            self.due.timestamp_micros(),
            self.lead_minutes,
            self.recipient
        );
        let hash = Sha256::digest(text.as_bytes());
        format!("<{}@{domain}>", hex::encode(&hash[..16]))
    }
}

/// One message the plan calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub key: Key,
    pub send_at: DateTime<Utc>,
    pub catch_up: bool,
    /// Recorded but never sent, with the reason: a lead folded into a catch-up.
    pub skipped: Option<&'static str>,
}

/// Why a lead planned after its moment is not sent on its own.
pub const FOLDED: &str = "its moment had passed when it was planned; folded into one catch-up message";
/// Why a lead planned after its moment is not sent at all.
pub const ALREADY_REMINDED: &str = "this lead was already reminded for an earlier due time of the deadline";

/// What the plan of one deadline looks at besides the deadline.
#[derive(Debug, Clone, Default)]
pub struct PlanInputs {
    /// Keys already recorded for this deadline, in any state.
    pub existing: HashSet<Key>,
    /// (recipient, lead) pairs already sent for this deadline, at any due time.
    pub sent_leads: HashSet<(String, i32)>,
    /// Each owner's manager, where known.
    pub managers: Vec<(String, String)>,
    /// How long before the due time an open deadline is escalated; zero: never.
    pub escalate_before: Duration,
}

/// The messages a deadline calls for at `now`:
/// - each owner gets each lead at `due - lead`;
/// - leads whose moment has passed and that the owner has not had are folded into one
///   catch-up, sent at once (the closest lead's message), while the deadline is ahead;
/// - each owner's manager gets one escalation `escalate_before` the due time (at once
///   if that moment has passed);
/// - a closed or past deadline calls for nothing.
pub fn plan(deadline: &Deadline, now: DateTime<Utc>, inputs: &PlanInputs) -> Vec<Planned> {
    let mut out = Vec::new();
    if !deadline.is_open() || deadline.due <= now {
        return out;
    }
    let key = |purpose, lead: i32, recipient: &str| Key {
        purpose,
        deadline_id: deadline.id.clone(),
        due: deadline.due,
        lead_minutes: lead,
        recipient: recipient.to_owned(),
    };
    let owners: BTreeSet<&str> = deadline.owners.iter().map(String::as_str).collect();
    for owner in &owners {
        let mut passed = Vec::new();
        for &lead in &deadline.lead_minutes {
            let at = deadline.due - Duration::minutes(i64::from(lead));
            let k = key(Purpose::Reminder, lead, owner);
            if at > now {
                out.push(Planned { key: k, send_at: at, catch_up: false, skipped: None });
            } else if !inputs.existing.contains(&k) {
                passed.push(k);
            }
        }
        // Largest first, so the last one passed is the closest to the due time.
        let Some(closest) = passed.pop() else { continue };
        let reminded = |k: &Key| inputs.sent_leads.contains(&(k.recipient.clone(), k.lead_minutes));
        for k in passed {
            out.push(Planned {
                skipped: Some(if reminded(&k) { ALREADY_REMINDED } else { FOLDED }),
                ..catch_up(k, now)
            });
        }
        let skipped = reminded(&closest).then_some(ALREADY_REMINDED);
        out.push(Planned { skipped, ..catch_up(closest, now) });
    }
    if escalates(deadline, inputs) {
        let minutes = inputs.escalate_before.num_minutes() as i32;
        for manager in managers(deadline, inputs) {
            let at = (deadline.due - inputs.escalate_before).max(now);
            out.push(Planned {
                key: key(Purpose::Escalation, minutes, manager),
                send_at: at,
                catch_up: false,
                skipped: None,
            });
        }
    }
    out
}

/// Managers hear of open deadlines, unless escalation is off or the deadline is
/// restricted: the notifier cannot know whether a manager holds its compartments.
fn escalates(deadline: &Deadline, inputs: &PlanInputs) -> bool {
    inputs.escalate_before > Duration::zero() && !deadline.classification.is_restricted()
}

/// The owners' managers who are not owners themselves.
fn managers<'a>(deadline: &Deadline, inputs: &'a PlanInputs) -> BTreeSet<&'a str> {
    inputs
        .managers
        .iter()
        .filter(|(person, manager)| deadline.owners.contains(person) && !deadline.owners.contains(manager))
        .map(|(_, manager)| manager.as_str())
        .collect()
}

/// Whether a message already planned is still wanted: the deadline is open and ahead,
/// and the message is for its due time, an owner and one of its leads (or, for an
/// escalation, a manager of an owner). A reminder whose moment has passed but that is not
/// sent yet (a catch-up, a retry) stays wanted.
pub fn still_wanted(key: &Key, deadline: &Deadline, now: DateTime<Utc>, inputs: &PlanInputs) -> bool {
    if !deadline.is_open() || deadline.due <= now || key.due != deadline.due {
        return false;
    }
    match key.purpose {
        Purpose::Reminder => {
            deadline.owners.contains(&key.recipient) && deadline.lead_minutes.contains(&key.lead_minutes)
        }
        Purpose::Escalation => {
            escalates(deadline, inputs)
                && key.lead_minutes as i64 == inputs.escalate_before.num_minutes()
                && managers(deadline, inputs).contains(key.recipient.as_str())
        }
        Purpose::Digest | Purpose::Test => true,
    }
}

fn catch_up(key: Key, now: DateTime<Utc>) -> Planned {
    Planned { key, send_at: now, catch_up: true, skipped: None }
}

/// The next weekly digest of a person after `after`, on `schedule` read in their zone.
pub fn next_digest(schedule: &str, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Recurrence::parse("digest_schedule", schedule, zone).ok()?.next_after(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc)
    }

    fn deadline(due: &str, leads: &[i32]) -> Deadline {
        Deadline {
            id: "d1".into(),
            revision: 1,
            title: "UPR report".into(),
            mechanism: "UPR".into(),
            kind: pb::DeadlineKind::UprStakeholderSubmission,
            zone: chrono_tz::Europe::Zurich,
            due: at(due),
            status: pb::DeadlineStatus::Open,
            owners: vec!["a@example.org".into()],
            lead_minutes: leads.to_vec(),
            classification: Classification::Internal,
        }
    }

    const DAY: i32 = 24 * 60;

    #[test]
    fn each_future_lead_is_planned_at_its_moment() {
        let d = deadline("2027-03-28T10:00:00Z", &[30 * DAY, 7 * DAY, DAY]);
        let plan = plan(&d, at("2027-01-01T00:00:00Z"), &PlanInputs::default());
        let moments: Vec<String> = plan.iter().map(|p| p.send_at.to_rfc3339()).collect();
        assert_eq!(moments, ["2027-02-26T10:00:00+00:00", "2027-03-21T10:00:00+00:00", "2027-03-27T10:00:00+00:00"]);
        assert!(plan.iter().all(|p| !p.catch_up && p.skipped.is_none()));
    }

    #[test]
    fn passed_leads_fold_into_one_catch_up_and_a_repeat_plans_nothing_new() {
        let d = deadline("2027-03-28T10:00:00Z", &[30 * DAY, 7 * DAY, DAY]);
        let now = at("2027-03-25T00:00:00Z");
        let first = plan(&d, now, &PlanInputs::default());
        let sent: Vec<(i32, bool, bool)> =
            first.iter().map(|p| (p.key.lead_minutes, p.catch_up, p.skipped.is_none())).collect();
        assert_eq!(sent, [(DAY, false, true), (30 * DAY, true, false), (7 * DAY, true, true)]);
        let inputs = PlanInputs { existing: first.iter().map(|p| p.key.clone()).collect(), ..PlanInputs::default() };
        let later = plan(&d, at("2027-03-27T12:00:00Z"), &inputs);
        assert!(later.iter().all(|p| inputs.existing.contains(&p.key)), "nothing new: {later:?}");
    }

    #[test]
    fn a_lead_already_reminded_for_an_earlier_due_time_is_not_caught_up() {
        let d = deadline("2027-03-28T10:00:00Z", &[30 * DAY, 7 * DAY]);
        let inputs = PlanInputs {
            sent_leads: [("a@example.org".to_owned(), 30 * DAY)].into_iter().collect(),
            ..PlanInputs::default()
        };
        let plan = plan(&d, at("2027-03-01T00:00:00Z"), &inputs);
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[1].skipped, Some(ALREADY_REMINDED));
        assert!(plan[0].skipped.is_none() && plan[0].key.lead_minutes == 7 * DAY);
    }

    #[test]
    fn closed_or_past_deadlines_call_for_nothing_and_managers_get_one_escalation() {
        let mut d = deadline("2027-03-28T10:00:00Z", &[DAY]);
        let inputs = PlanInputs {
            managers: vec![("a@example.org".into(), "boss@example.org".into())],
            escalate_before: Duration::hours(24),
            ..PlanInputs::default()
        };
        let plan_now = plan(&d, at("2027-03-01T00:00:00Z"), &inputs);
        assert_eq!(plan_now.len(), 2);
        assert_eq!(plan_now[1].key.purpose, Purpose::Escalation);
        assert_eq!(plan_now[1].key.recipient, "boss@example.org");
        assert!(plan(&d, at("2027-03-29T00:00:00Z"), &inputs).is_empty());
        d.status = pb::DeadlineStatus::Completed;
        assert!(plan(&d, at("2027-03-01T00:00:00Z"), &inputs).is_empty());
    }

    #[test]
    fn a_reminder_due_but_not_yet_sent_stays_wanted_through_an_edit_and_restricted_deadlines_are_not_escalated() {
        let mut d = deadline("2027-03-28T10:00:00Z", &[7 * DAY, DAY]);
        let now = at("2027-03-25T00:00:00Z");
        let plan = plan(&d, now, &PlanInputs::default());
        let catch_up = plan.iter().find(|p| p.catch_up).expect("a catch-up").key.clone();
        d.title = "A new title".into();
        assert!(still_wanted(&catch_up, &d, now + Duration::seconds(5), &PlanInputs::default()), "an edit keeps it");
        d.lead_minutes = vec![DAY];
        assert!(!still_wanted(&catch_up, &d, now, &PlanInputs::default()), "its lead was removed");
        let inputs = PlanInputs {
            managers: vec![("a@example.org".into(), "boss@example.org".into())],
            escalate_before: Duration::hours(24),
            ..PlanInputs::default()
        };
        d.classification = Classification::restricted(["sanctions"]);
        assert!(
            super::plan(&d, at("2027-03-01T00:00:00Z"), &inputs).iter().all(|p| p.key.purpose != Purpose::Escalation)
        );
    }

    #[test]
    fn message_ids_are_stable_and_differ_per_key() {
        let k = Key {
            purpose: Purpose::Reminder,
            deadline_id: "d1".into(),
            due: at("2027-03-28T10:00:00Z"),
            lead_minutes: DAY,
            recipient: "a@example.org".into(),
        };
        let id = k.message_id("example.org");
        assert_eq!(id, k.clone().message_id("example.org"));
        assert!(id.starts_with('<') && id.ends_with("@example.org>"));
        assert_ne!(id, Key { lead_minutes: 2 * DAY, ..k }.message_id("example.org"));
    }
}
