//! The gRPC face of the deadlines service. Each method is a thin shell: check the request
//! into domain values (every bad field named), call the service, convert the answer, and
//! map an error to a status once, in platform.

use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use prost::Message;
use prost::bytes::Bytes;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use advocacy_platform::error::{checked, to_status};
use advocacy_platform::limits;
use advocacy_platform::memory::RecordMemory;
use advocacy_platform::time::{local_rfc3339, optional_timestamp, parse_when, parse_zone, to_timestamp};
use advocacy_platform::{Caller, Classification, FieldViolation, FieldViolations, Shutdown};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_server::DeadlinesService;

use crate::calendar;
use crate::domain::{
    self, Change, ChangeKind, Deadline, DeadlineEdit, Due, Kind, NewDeadline, Recurrence, Status as DeadlineStatus,
};
use crate::error::DeadlineError;
use crate::service::{Deadlines, MoveRequest};
use crate::store::{ListQuery, Outcome};
use advocacy_platform::page_token;

#[derive(Debug, Clone)]
pub struct DeadlinesApi {
    deadlines: Deadlines,
    shutdown: Shutdown,
    /// The organisation's zone: aggregates cover whole days of it.
    zone: chrono_tz::Tz,
    audit: advocacy_platform::audit::AuditLog,
    encoded: EncodedDeadlines,
}

impl DeadlinesApi {
    pub fn new(
        deadlines: Deadlines,
        shutdown: Shutdown,
        zone: chrono_tz::Tz,
        audit: advocacy_platform::audit::AuditLog,
    ) -> Self {
        Self { deadlines, shutdown, zone, audit, encoded: Default::default() }
    }
}

/// How far ahead a calendar expands recurring deadlines unless asked otherwise.
const DEFAULT_HORIZON_DAYS: usize = 365;

fn status(e: DeadlineError) -> Status {
    to_status(&e)
}

/// Each listed deadline's protobuf, encoded once and kept while its record is remembered:
/// building and encoding fifty records (with sending them) was a quarter of the server's
/// CPU for a page of a listing. Kept with the shared record it was encoded from, held here
/// so its address cannot be reused: a record decoded again (a new version) is a different
/// `Arc`, so nothing stale is sent.
#[derive(Debug, Clone, Default)]
struct EncodedDeadlines {
    memory: RecordMemory<Arc<Deadline>, Bytes>,
}

impl EncodedDeadlines {
    fn of(&self, deadline: &Arc<Deadline>) -> Bytes {
        self.memory
            .get_or_make(
                &deadline.id,
                |record| Arc::ptr_eq(record, deadline),
                || {
                    Ok::<_, std::convert::Infallible>((
                        deadline.clone(),
                        deadline_to_proto(deadline).encode_to_vec().into(),
                    ))
                },
            )
            .unwrap_or_else(|never| match never {})
    }
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::DeadlineChange, Status>> + Send>>;

#[tonic::async_trait]
impl DeadlinesService for DeadlinesApi {
    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        Ok(Response::new(self.audit.list(request.get_ref()).await?))
    }

    async fn verify_audit_log(
        &self,
        _request: Request<pb::VerifyAuditLogRequest>,
    ) -> Result<Response<pb::VerifyAuditLogResponse>, Status> {
        Ok(Response::new(self.audit.verify().await?))
    }

    async fn create_deadline(
        &self,
        request: Request<pb::CreateDeadlineRequest>,
    ) -> Result<Response<pb::Deadline>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let (request_id, new) = parse_create(&caller, &request, self.deadlines.clock().now()).map_err(status)?;
        let deadline = self.deadlines.create(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(deadline_to_proto(&deadline)))
    }

    async fn get_deadline(&self, request: Request<pb::GetDeadlineRequest>) -> Result<Response<pb::Deadline>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let deadline = self.deadlines.get(&caller, &id).await.map_err(status)?;
        Ok(Response::new(deadline_to_proto(&deadline)))
    }

    async fn list_deadlines(
        &self,
        request: Request<pb::ListDeadlinesRequest>,
    ) -> Result<Response<pb::ListDeadlinesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let mut query = parse_list(request.get_ref()).map_err(status)?;
        query.now = self.deadlines.clock().now();
        let found = self.deadlines.list(&caller, &query).await.map_err(status)?;
        let (encoded, next_page_token) = page_token::page_of(
            &found,
            query.limit - 1,
            |d| self.encoded.of(d),
            Bytes::len,
            |d| page_token::encode_at(d.due.at, &d.id),
        );
        Ok(Response::new(pb::ListDeadlinesResponse { deadlines: Vec::new(), next_page_token, encoded }))
    }

    async fn move_deadline(&self, request: Request<pb::MoveDeadlineRequest>) -> Result<Response<pb::Deadline>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let target = parse_target(&mut v, &r.request_id, &r.id, r.expected_version);
        let due = v.check(parse_when("due", r.due.as_ref()));
        let reason = v.check(limits::optional_line("reason", &r.reason, domain::MAX_REASON_CHARS));
        let (target, ((due, zone), reason)) = checked(v, target.zip(due.zip(reason)))?;
        let request = MoveRequest { id: target.id, expected_version: target.expected_version, due, zone, reason };
        let deadline = self.deadlines.move_due(&caller, &target.request_id, request).await.map_err(status)?;
        Ok(Response::new(deadline_to_proto(&deadline)))
    }

    async fn update_deadline(
        &self,
        request: Request<pb::UpdateDeadlineRequest>,
    ) -> Result<Response<pb::Deadline>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let target = parse_target(&mut v, &r.request_id, &r.id, r.expected_version);
        let edit = parse_edit(&mut v, &r, self.deadlines.clock().now());
        let (t, edit) = checked(v, target.zip(edit))?;
        let deadline =
            self.deadlines.edit(&caller, &t.request_id, &t.id, t.expected_version, edit).await.map_err(status)?;
        Ok(Response::new(deadline_to_proto(&deadline)))
    }

    async fn complete_deadline(
        &self,
        request: Request<pb::CompleteDeadlineRequest>,
    ) -> Result<Response<pb::Deadline>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let target = parse_target(&mut v, &r.request_id, &r.id, r.expected_version);
        let done_at = v.check(optional_timestamp("completed_at", r.completed_at.as_ref()));
        let (t, done_at) = checked(v, target.zip(done_at))?;
        let deadline = self
            .deadlines
            .complete(&caller, &t.request_id, &t.id, t.expected_version, done_at)
            .await
            .map_err(status)?;
        Ok(Response::new(deadline_to_proto(&deadline)))
    }

    async fn cancel_deadline(
        &self,
        request: Request<pb::CancelDeadlineRequest>,
    ) -> Result<Response<pb::Deadline>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let target = parse_target(&mut v, &r.request_id, &r.id, r.expected_version);
        let reason = v.check(limits::optional_line("reason", &r.reason, domain::MAX_REASON_CHARS));
        let (t, reason) = checked(v, target.zip(reason))?;
        let deadline =
            self.deadlines.cancel(&caller, &t.request_id, &t.id, t.expected_version, reason).await.map_err(status)?;
        Ok(Response::new(deadline_to_proto(&deadline)))
    }

    async fn list_occurrences(
        &self,
        request: Request<pb::ListOccurrencesRequest>,
    ) -> Result<Response<pb::ListOccurrencesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let id = v.check(limits::id("id", &r.id));
        let from = v.check(optional_timestamp("from", r.from.as_ref()));
        let limit = v.check(limits::count("limit", r.limit, 10, 500));
        let ((id, from), limit) = checked(v, id.zip(from).zip(limit))?;
        let deadline = self.deadlines.get(&caller, &id).await.map_err(status)?;
        let occurrences = deadline
            .occurrences(from.unwrap_or_else(|| self.deadlines.clock().now()), limit)
            .into_iter()
            .map(|at| pb::Occurrence { due: Some(to_timestamp(at)), due_local: local_rfc3339(at, deadline.due.zone) })
            .collect();
        Ok(Response::new(pb::ListOccurrencesResponse { occurrences }))
    }

    async fn list_changes(
        &self,
        request: Request<pb::ListChangesRequest>,
    ) -> Result<Response<pb::ListChangesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let after = v.check(parse_revision(r.after_revision));
        let limit = v.check(limits::count("limit", r.limit, 500, 1000));
        let (after, limit) = checked(v, after.zip(limit))?;
        let (found, resume, more) = self.deadlines.changes(&caller, after, limit).await.map_err(status)?;
        // Cut by bytes too: then resume after the last change sent.
        let (changes, _) = page_token::page(&found, found.len(), change_to_proto, |_| String::new());
        // A cut page keeps at least one change, so there is a last one sent.
        let (resume, more) =
            if changes.len() < found.len() { (found[changes.len() - 1].revision, true) } else { (resume, more) };
        Ok(Response::new(pb::ListChangesResponse { changes, resume_after_revision: resume, more }))
    }

    type WatchChangesStream = ChangeStream;

    async fn watch_changes(&self, request: Request<pb::WatchChangesRequest>) -> Result<Response<ChangeStream>, Status> {
        let caller = Caller::of(&request)?;
        let after = parse_revision(request.get_ref().after_revision).map_err(|v| status(v.into()))?;
        let stream = self
            .deadlines
            .watch(caller, after, self.shutdown.clone())
            .map_err(status)?
            .map(|item| item.map(|c| change_to_proto(&c)).map_err(status));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_deadline_aggregates(
        &self,
        request: Request<pb::DeadlineAggregatesRequest>,
    ) -> Result<Response<pb::DeadlineAggregates>, Status> {
        let caller = Caller::of(&request)?;
        let period = request
            .get_ref()
            .period
            .as_ref()
            .ok_or_else(|| status(FieldViolation::new("period", "is required").into()))?;
        let (from, to) = advocacy_platform::time::parse_day_period(period, self.zone).map_err(|v| status(v.into()))?;
        let a = self.deadlines.aggregates(&caller, from, to).await.map_err(status)?;
        let mut answer = pb::DeadlineAggregates { restricted: a.restricted, ..Default::default() };
        let mut by_mechanism = std::collections::BTreeMap::<String, i64>::new();
        let mut by_kind = std::collections::BTreeMap::<String, i64>::new();
        for (mechanism, kind, outcome, count) in a.counts {
            *match outcome {
                Outcome::MetOnTime => &mut answer.met_on_time,
                Outcome::CompletedLate => &mut answer.completed_late,
                Outcome::Missed => &mut answer.missed,
                Outcome::Open => &mut answer.open,
                Outcome::Cancelled => &mut answer.cancelled,
            } += count;
            *by_mechanism.entry(format!("{mechanism}/{}", outcome.as_str())).or_default() += count;
            *by_kind.entry(format!("{kind}/{}", outcome.as_str())).or_default() += count;
        }
        let counts = |m: std::collections::BTreeMap<String, i64>| {
            m.into_iter().map(|(key, count)| pb::CountByKey { key, count }).collect()
        };
        answer.by_mechanism = counts(by_mechanism);
        answer.by_kind = counts(by_kind);
        Ok(Response::new(answer))
    }

    async fn export_calendar(
        &self,
        request: Request<pb::ExportCalendarRequest>,
    ) -> Result<Response<pb::ExportCalendarResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let owner = v.check(limits::optional_email("owner", &r.owner));
        let horizon = v.check(limits::count("horizon_days", r.horizon_days, DEFAULT_HORIZON_DAYS, 3660));
        let one = match r.deadline_id.trim() {
            "" => Some(None),
            id => v.check(limits::id("deadline_id", id)).map(Some),
        };
        let ((owner, horizon), one) = checked(v, owner.zip(horizon).zip(one))?;
        let deadlines = match one {
            Some(id) => vec![self.deadlines.get(&caller, &id).await.map_err(status)?],
            None => self.deadlines.for_calendar(&caller, owner, calendar::MAX_EVENTS).await.map_err(status)?,
        };
        let now = self.deadlines.clock().now();
        let c = calendar::render(&deadlines, now, Duration::days(horizon as i64));
        Ok(Response::new(pb::ExportCalendarResponse {
            ics: c.ics,
            events: c.events as i32,
            deadlines_left_out: c.deadlines_left_out as i32,
            revision: deadlines.iter().map(|d| d.revision).max().unwrap_or(0),
        }))
    }

    async fn export_calendar_entries(
        &self,
        request: Request<pb::ExportCalendarEntriesRequest>,
    ) -> Result<Response<pb::ExportCalendarEntriesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let mut v = FieldViolations::new();
        let ids = v.check(limits::ids("deadline_ids", &request.get_ref().deadline_ids));
        let ids = checked(v, ids)?;
        let deadlines = self.deadlines.get_visible(&caller, &ids).await.map_err(status)?;
        let now = self.deadlines.clock().now();
        let horizon = Duration::days(DEFAULT_HORIZON_DAYS as i64);
        let (mut entries, mut left_out, mut bytes) = (Vec::new(), Vec::new(), 0);
        for d in &deadlines {
            let ics = calendar::render(std::slice::from_ref(d), now, horizon).ics;
            bytes += ics.len();
            if bytes > calendar::MAX_BYTES {
                left_out.push(d.id.clone());
            } else {
                entries.push(pb::CalendarEntry { deadline_id: d.id.clone(), ics, revision: d.revision });
            }
        }
        Ok(Response::new(pb::ExportCalendarEntriesResponse { entries, left_out }))
    }
}

/// The three fields every update carries: which request, which deadline, which version.
struct Target {
    request_id: String,
    id: String,
    expected_version: i64,
}

fn parse_target(v: &mut FieldViolations, request_id: &str, id: &str, expected_version: i64) -> Option<Target> {
    let request_id = v.check(limits::request_id("request_id", request_id));
    let id = v.check(limits::id("id", id));
    let expected_version = v.check(limits::version(expected_version));
    Some(Target { request_id: request_id?, id: id?, expected_version: expected_version? })
}

fn parse_revision(revision: i64) -> Result<i64, FieldViolation> {
    if revision < 0 {
        return Err(FieldViolation::new("after_revision", "must be 0 or more"));
    }
    Ok(revision)
}

/// A count with a default for 0 and an upper bound.
fn parse_create(
    caller: &Caller,
    r: &pb::CreateDeadlineRequest,
    now: DateTime<Utc>,
) -> Result<(String, NewDeadline), DeadlineError> {
    let mut v = FieldViolations::new();
    let request_id = v.check(limits::request_id("request_id", &r.request_id));
    let title = v.check(limits::required_line("title", &r.title, domain::MAX_TITLE_CHARS));
    let mechanism = v.check(limits::mechanism("mechanism", &r.mechanism));
    let kind = v.check(kind_of("kind", r.kind));
    let due = v.check(parse_when("due", r.due.as_ref()));
    let due = match (due, mechanism) {
        (Some((input, zone)), Some(m)) => v.check(Due::parse("due", &input, zone.unwrap_or(m.zone))),
        _ => None,
    };
    let source_url = v.check(limits::optional_url("source_url", &r.source_url));
    let verified_at = v.check(parse_verified(r.verified_at.as_ref(), now));
    let owners = v.check(limits::emails("owners", &r.owners, &caller.subject, domain::MAX_OWNERS));
    let lead_minutes = v.check(parse_leads(&r.lead_minutes));
    let recurrence = match (&r.recurrence, due) {
        (Some(rec), Some(due)) if !rec.cron.trim().is_empty() || !rec.zone.trim().is_empty() => {
            let zone = if rec.zone.trim().is_empty() { Ok(due.zone) } else { parse_zone("recurrence.zone", &rec.zone) };
            v.check(zone.and_then(|zone| Recurrence::parse("recurrence", &rec.cron, zone))).map(Some)
        }
        _ => Some(None),
    };
    let classification =
        v.check(Classification::parse("classification", r.classification.as_ref(), Classification::Internal));
    v.into_result()?;
    // Every value is present once no violation was recorded.
    let parsed = (|| {
        let new = NewDeadline {
            title: title?,
            mechanism: mechanism?.code.to_owned(),
            kind: kind?,
            due: due?,
            source_url: source_url?,
            verified_at: verified_at?,
            owners: owners?,
            lead_minutes: lead_minutes?,
            recurrence: recurrence?,
            classification: classification?,
        };
        Some((request_id?, new))
    })();
    parsed.ok_or_else(|| FieldViolation::new("request", "incomplete").into())
}

/// The fields an update names, each checked as on creation; none may be left empty.
fn parse_edit(v: &mut FieldViolations, r: &pb::UpdateDeadlineRequest, now: DateTime<Utc>) -> Option<DeadlineEdit> {
    const FIELDS: [&str; 6] = ["title", "owners", "lead_minutes", "source_url", "verified_at", "classification"];
    let paths = r.update_mask.as_ref().map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        v.push(FieldViolation::new("update_mask", format!("name the fields to change: {}", FIELDS.join(", "))));
        return None;
    }
    if paths.len() > FIELDS.len() {
        v.push(FieldViolation::new("update_mask", format!("at most {} fields", FIELDS.len())));
        return None;
    }
    // A value sent for a field the mask does not name would be silently dropped: refuse it.
    let set = [
        ("title", !r.title.is_empty()),
        ("owners", !r.owners.is_empty()),
        ("lead_minutes", !r.lead_minutes.is_empty()),
        ("source_url", !r.source_url.is_empty()),
        ("verified_at", r.verified_at.is_some()),
        ("classification", r.classification.is_some()),
    ];
    for (field, _) in set.iter().filter(|(field, given)| *given && !paths.iter().any(|p| p == field)) {
        v.push(FieldViolation::new(*field, "is given but not named in update_mask"));
    }
    let mut edit = DeadlineEdit::default();
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "title" => edit.title = v.check(limits::required_line("title", &r.title, domain::MAX_TITLE_CHARS)),
            "owners" => edit.owners = v.check(limits::emails("owners", &r.owners, "", domain::MAX_OWNERS)),
            "lead_minutes" if r.lead_minutes.is_empty() => {
                v.push(FieldViolation::new("lead_minutes", "name at least one lead time"));
            }
            "lead_minutes" => edit.lead_minutes = v.check(parse_leads(&r.lead_minutes)),
            "source_url" => edit.source_url = v.check(limits::optional_url("source_url", &r.source_url)),
            "verified_at" => edit.verified_at = v.check(parse_verified(r.verified_at.as_ref(), now)),
            "classification" => {
                edit.classification = v.check(Classification::parse(
                    "classification",
                    r.classification.as_ref(),
                    Classification::Internal,
                ))
            }
            other => v.push(FieldViolation::new(
                format!("update_mask.paths[{i}]"),
                format!("{:.64} is not one of {}", other, FIELDS.join(", ")),
            )),
        }
    }
    Some(edit)
}

fn parse_verified(
    at: Option<&advocacy_proto::Timestamp>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, FieldViolation> {
    match optional_timestamp("verified_at", at)? {
        Some(t) if t > now + Duration::minutes(5) => Err(FieldViolation::new("verified_at", "is in the future")),
        t => Ok(t),
    }
}

fn parse_leads(leads: &[i32]) -> Result<Vec<i32>, FieldViolation> {
    if leads.is_empty() {
        return Ok(domain::DEFAULT_LEAD_MINUTES.to_vec());
    }
    if leads.len() > domain::MAX_LEADS {
        return Err(FieldViolation::new("lead_minutes", format!("at most {} lead times", domain::MAX_LEADS)));
    }
    let mut out = Vec::with_capacity(leads.len());
    for (i, &minutes) in leads.iter().enumerate() {
        if !(1..=domain::MAX_LEAD_MINUTES).contains(&minutes) {
            return Err(FieldViolation::new(
                format!("lead_minutes[{i}]"),
                format!("{minutes} is not between 1 minute and 366 days ({} minutes)", domain::MAX_LEAD_MINUTES),
            ));
        }
        if !out.contains(&minutes) {
            out.push(minutes);
        }
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    Ok(out)
}

fn parse_list(r: &pb::ListDeadlinesRequest) -> Result<ListQuery, DeadlineError> {
    let mut v = FieldViolations::new();
    let mut statuses = Vec::new();
    if r.statuses.len() > 3 {
        v.push(FieldViolation::new("statuses", "at most 3: open, completed, cancelled"));
    } else {
        for (i, s) in r.statuses.iter().enumerate() {
            if let Some(status) = v.check(status_of(&format!("statuses[{i}]"), *s))
                && !statuses.contains(&status)
            {
                statuses.push(status);
            }
        }
    }
    let mechanism = if r.mechanism.trim().is_empty() {
        None
    } else {
        v.check(limits::mechanism("mechanism", &r.mechanism).map(|m| m.code.to_owned()))
    };
    let owner = v.check(limits::optional_email("owner", &r.owner)).flatten();
    let due_from = v.check(optional_timestamp("due_from", r.due_from.as_ref())).flatten();
    let due_to = v.check(optional_timestamp("due_to", r.due_to.as_ref())).flatten();
    let page_size = v.check(limits::count("page_size", r.page_size, 50, 500));
    let after = v.check(page_token::decode_at(&r.page_token)).flatten();
    let outcome = v.check(outcome_of(r.outcome));
    v.into_result()?;
    Ok(ListQuery {
        outcome: outcome.flatten(),
        statuses,
        mechanism,
        owner,
        due_from,
        due_to,
        after,
        // One more than the page, to learn whether another page follows.
        limit: page_size.unwrap_or(50) + 1,
        ..ListQuery::default()
    })
}

fn outcome_of(value: i32) -> Result<Option<Outcome>, FieldViolation> {
    match pb::DeadlineOutcome::try_from(value) {
        Ok(pb::DeadlineOutcome::Unspecified) => Ok(None),
        Ok(pb::DeadlineOutcome::MetOnTime) => Ok(Some(Outcome::MetOnTime)),
        Ok(pb::DeadlineOutcome::CompletedLate) => Ok(Some(Outcome::CompletedLate)),
        Ok(pb::DeadlineOutcome::Missed) => Ok(Some(Outcome::Missed)),
        Ok(pb::DeadlineOutcome::Open) => Ok(Some(Outcome::Open)),
        Ok(pb::DeadlineOutcome::Cancelled) => Ok(Some(Outcome::Cancelled)),
        Err(_) => Err(FieldViolation::new("outcome", format!("{value} is not a deadline outcome"))),
    }
}

advocacy_platform::enum_mapping!(
    kind_of,
    kind_to_proto,
    pb::DeadlineKind,
    Kind,
    "a deadline kind",
    [UprStakeholderSubmission, UprPreSession, SpecialProceduresCallForInput, HrcSession, TreatyBody, FollowUp, Other]
);

advocacy_platform::enum_mapping!(
    status_of,
    status_to_proto,
    pb::DeadlineStatus,
    DeadlineStatus,
    "a deadline status",
    [Open, Completed, Cancelled]
);

pub fn deadline_to_proto(d: &Deadline) -> pb::Deadline {
    pb::Deadline {
        id: d.id.clone(),
        version: d.version,
        title: d.title.clone(),
        mechanism: d.mechanism.clone(),
        kind: kind_to_proto(d.kind).into(),
        due: Some(to_timestamp(d.due.at)),
        zone: d.due.zone.name().to_owned(),
        due_local: d.due.local(),
        source_url: d.source_url.clone(),
        verified_at: d.verified_at.map(to_timestamp),
        owners: d.owners.clone(),
        lead_minutes: d.lead_minutes.clone(),
        recurrence: d
            .recurrence
            .as_ref()
            .map(|r| pb::Recurrence { cron: r.cron.clone(), zone: r.zone.name().to_owned() }),
        status: status_to_proto(d.status).into(),
        completed_at: d.completed_at.map(to_timestamp),
        completed_on_time: d.completed_on_time,
        cancel_reason: d.cancel_reason.clone(),
        classification: Some(d.classification.to_proto()),
        stamp: Some(pb::Stamp {
            created_by: d.created_by.clone(),
            created_at: Some(to_timestamp(d.created_at)),
            updated_by: d.updated_by.clone(),
            updated_at: Some(to_timestamp(d.updated_at)),
        }),
        revision: d.revision,
    }
}

fn change_to_proto(c: &Change) -> pb::DeadlineChange {
    let kind = match c.kind {
        ChangeKind::Created => pb::ChangeKind::Created,
        ChangeKind::Moved => pb::ChangeKind::Moved,
        ChangeKind::Completed => pb::ChangeKind::Completed,
        ChangeKind::Cancelled => pb::ChangeKind::Cancelled,
        ChangeKind::Updated => pb::ChangeKind::Updated,
    };
    pb::DeadlineChange {
        revision: c.revision,
        kind: kind.into(),
        deadline: Some(deadline_to_proto(&c.deadline)),
        at: Some(to_timestamp(c.at)),
        actor: c.actor.clone(),
        previous_due: c.previous_due.map(to_timestamp),
        reason: c.reason.clone(),
    }
}
