//! The gRPC face of the notifier: check each request (every bad field named), read or
//! act, convert the answer. A restricted deadline's deliveries and previews are shown only
//! to callers holding its compartments; to others they do not exist.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use advocacy_platform::error::{checked, to_status};
use advocacy_platform::time::{parse_period, to_timestamp};
use advocacy_platform::{Caller, Clock, FieldViolation, FieldViolations, limits, page_token};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::notifier_service_server::NotifierService;

use crate::domain::Deadline;
use crate::error::NotifierError;
use crate::messages::Messages;
use crate::people::Language;
use crate::store::{DeliveryFilter, DeliveryRow, State, Store};

/// Deliveries per page when the caller does not say, and at most.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 500;
/// A plan lists at most this many deliveries (owners × leads × moves).
const MAX_PLAN: usize = 2_000;

#[derive(Debug, Clone)]
pub struct NotifierApi {
    store: Store,
    messages: Arc<Messages>,
    clock: Clock,
    audit: advocacy_platform::audit::AuditLog,
}

impl NotifierApi {
    pub fn new(
        store: Store,
        messages: Arc<Messages>,
        clock: Clock,
        audit: advocacy_platform::audit::AuditLog,
    ) -> NotifierApi {
        NotifierApi { store, messages, clock, audit }
    }

    /// The deadline, if the notifier has seen it and the caller may see it.
    async fn visible_deadline(&self, caller: &Caller, id: &str) -> Result<Deadline, NotifierError> {
        match self.store.deadline(id).await? {
            Some(d) if d.classification.visible_to(caller) => Ok(d),
            _ => Err(NotifierError::NotFound(format!("no deadline {id} among those the notifier follows"))),
        }
    }

    async fn visible_delivery(&self, caller: &Caller, id: &str) -> Result<DeliveryRow, NotifierError> {
        let missing = || NotifierError::NotFound(format!("no delivery {id}"));
        let row = self.store.delivery(id).await?.ok_or_else(missing)?;
        if row.key.deadline_id.is_empty() {
            if row.key.recipient != caller.subject && !crate::store::may_see_everyones_digests(caller) {
                return Err(missing());
            }
        } else {
            self.visible_deadline(caller, &row.key.deadline_id).await.map_err(|_| missing())?;
        }
        Ok(row)
    }
}

fn status(e: NotifierError) -> Status {
    to_status(&e)
}

fn invalid(v: FieldViolations) -> Status {
    status(NotifierError::Invalid(v))
}

pub fn delivery_to_proto(row: &DeliveryRow) -> pb::Delivery {
    pb::Delivery {
        id: row.id.clone(),
        deadline_id: row.key.deadline_id.clone(),
        lead_minutes: row.key.lead_minutes,
        recipient: row.key.recipient.clone(),
        state: row.state.to_proto() as i32,
        send_at: Some(to_timestamp(row.send_at)),
        sent_at: row.sent_at.map(to_timestamp),
        attempts: row.attempts.clamp(0, i64::from(i32::MAX)) as i32,
        last_error: row.last_error.clone(),
        message_id: row.message_id.clone(),
        kind: row.key.purpose.to_proto() as i32,
        due: Some(to_timestamp(row.key.due)),
        catch_up: row.catch_up,
        reason: row.reason.clone(),
        next_attempt_at: row.next_attempt_at.map(to_timestamp),
    }
}

fn state_filter(value: i32) -> Result<Option<State>, FieldViolation> {
    let state = pb::DeliveryState::try_from(value)
        .map_err(|_| FieldViolation::new("state", format!("{value} is not a delivery state")))?;
    Ok(State::of_proto(state))
}

fn language(value: &str) -> Result<Option<Language>, FieldViolation> {
    if value.is_empty() {
        return Ok(None);
    }
    Language::parse(value).map(Some).ok_or_else(|| {
        FieldViolation::new("language", format!("{:.20} is not a language we write in: en or ko", value))
    })
}

#[tonic::async_trait]
impl NotifierService for NotifierApi {
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

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let deadline_id = v.check(limits::optional_id("deadline_id", &r.deadline_id));
        let recipient = v.check(limits::optional_email("recipient", &r.recipient));
        let state = v.check(state_filter(r.state));
        let limit = v.check(limits::count("page_size", r.page_size, DEFAULT_PAGE, MAX_PAGE));
        let after = v.check(page_token::decode_at(&r.page_token));
        let period = v.check(r.period.as_ref().map(parse_period).transpose());
        let (((((deadline_id, recipient), state), limit), after), period) =
            checked(v, deadline_id.zip(recipient).zip(state).zip(limit).zip(after).zip(period))?;
        let filter = DeliveryFilter { deadline_id, recipient, state, period, after, limit: limit + 1 };
        let found = self.store.list(&caller, &filter).await.map_err(|e| status(e.into()))?;
        let (deliveries, next_page_token) =
            page_token::page(&found, limit, delivery_to_proto, |row| page_token::encode_at(row.send_at, &row.id));
        Ok(Response::new(pb::ListDeliveriesResponse { deliveries, next_page_token }))
    }

    async fn get_plan(&self, request: Request<pb::GetPlanRequest>) -> Result<Response<pb::Plan>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("deadline_id", &request.get_ref().deadline_id).map_err(|v| invalid(v.into()))?;
        let deadline = self.visible_deadline(&caller, &id).await.map_err(status)?;
        let filter = DeliveryFilter { deadline_id: Some(id.clone()), limit: MAX_PLAN, ..DeliveryFilter::default() };
        let mut rows = self.store.list(&caller, &filter).await.map_err(|e| status(e.into()))?;
        rows.reverse();
        Ok(Response::new(pb::Plan {
            deadline_id: id,
            due: Some(to_timestamp(deadline.due)),
            deliveries: rows.iter().map(delivery_to_proto).collect(),
        }))
    }

    async fn preview_reminder(
        &self,
        request: Request<pb::PreviewReminderRequest>,
    ) -> Result<Response<pb::ReminderPreview>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let id = v.check(limits::id("deadline_id", &r.deadline_id));
        let lang = v.check(language(&r.language));
        let recipient = v.check(limits::optional_email("recipient", &r.recipient));
        if !(0..=366 * 24 * 60).contains(&r.lead_minutes) {
            v.push(FieldViolation::new("lead_minutes", "must be 0 to 527,040 (a year)"));
        }
        let ((id, lang), recipient) = checked(v, id.zip(lang).zip(recipient))?;
        let deadline = self.visible_deadline(&caller, &id).await.map_err(status)?;
        let recipient =
            recipient.or_else(|| deadline.owners.first().cloned()).unwrap_or_else(|| caller.subject.clone());
        let mut person = self.store.people().person(&recipient);
        if let Some(lang) = lang {
            person.language = lang;
        }
        let lead =
            if r.lead_minutes > 0 { r.lead_minutes } else { deadline.lead_minutes.first().copied().unwrap_or(0) };
        // Rendered as it would read at the lead's moment (or now, if that has passed).
        let at = (deadline.due - chrono::Duration::minutes(i64::from(lead))).max(self.clock.now());
        let rendered = self
            .messages
            .reminder(&deadline, crate::domain::Purpose::Reminder, false, &person, at)
            .map_err(|e| status(NotifierError::Render(e)))?;
        Ok(Response::new(pb::ReminderPreview {
            subject: rendered.subject,
            body: rendered.text,
            html: rendered.html,
            recipient: person.email,
        }))
    }

    async fn send_test(&self, request: Request<pb::SendTestRequest>) -> Result<Response<pb::Delivery>, Status> {
        let caller = Caller::of(&request)?;
        let recipient = limits::email("recipient", &request.get_ref().recipient).map_err(|v| invalid(v.into()))?;
        let id = self.store.plan_test(&recipient, &caller.subject).await.map_err(|e| status(e.into()))?;
        let row = self.store.delivery(&id).await.map_err(|e| status(e.into()))?;
        let row = row.ok_or_else(|| status(NotifierError::NotFound(format!("no delivery {id}"))))?;
        Ok(Response::new(delivery_to_proto(&row)))
    }

    async fn retry_delivery(
        &self,
        request: Request<pb::RetryDeliveryRequest>,
    ) -> Result<Response<pb::Delivery>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("delivery_id", &request.get_ref().delivery_id).map_err(|v| invalid(v.into()))?;
        let row = self.visible_delivery(&caller, &id).await.map_err(status)?;
        if row.state != State::Failed {
            let why = format!("delivery {id} is {}, not failed: only a failed delivery is retried", row.state.as_str());
            return Err(status(NotifierError::Precondition(why)));
        }
        if !self.store.retry(&id, &caller.subject).await.map_err(|e| status(e.into()))? {
            return Err(status(NotifierError::Precondition(format!("delivery {id} is no longer failed"))));
        }
        let row = self.visible_delivery(&caller, &id).await.map_err(status)?;
        Ok(Response::new(delivery_to_proto(&row)))
    }
}
