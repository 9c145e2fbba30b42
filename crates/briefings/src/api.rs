//! The gRPC face of the briefings service: check each request into domain values (every
//! bad field named), call the service, convert the answer; errors become statuses once,
//! in platform.

use tonic::{Request, Response, Status};

use advocacy_platform::error::{checked, to_status};
use advocacy_platform::limits;
use advocacy_platform::time::{local_rfc3339, parse_day_period, parse_period, parse_when, to_timestamp};
use advocacy_platform::{Caller, Classification, FieldViolation, FieldViolations};
use advocacy_platform::{import, page_token};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_server::BriefingsService;

use crate::domain::{
    self, ActorKind, Briefing, Contact, FollowUp, Format, Institution, InstitutionKind, NewBriefing, NewContact,
    NewFollowUp, NewInstitution,
};
use crate::error::BriefingError;
use crate::service::Briefings;
use crate::store::BriefingQuery;

#[derive(Debug, Clone)]
pub struct BriefingsApi {
    briefings: Briefings,
    /// The organisation's zone, whose whole days report periods cover.
    zone: chrono_tz::Tz,
    audit: advocacy_platform::audit::AuditLog,
}

impl BriefingsApi {
    pub fn new(briefings: Briefings, zone: chrono_tz::Tz, audit: advocacy_platform::audit::AuditLog) -> Self {
        Self { briefings, zone, audit }
    }
}

fn status(e: BriefingError) -> Status {
    to_status(&e)
}

#[tonic::async_trait]
impl BriefingsService for BriefingsApi {
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

    async fn create_institution(
        &self,
        request: Request<pb::CreateInstitutionRequest>,
    ) -> Result<Response<pb::Institution>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let name = v.check(limits::required_line("name", &r.name, domain::MAX_NAME_CHARS).and_then(|n| {
            if domain::normalize_name(&n).is_empty() {
                Err(FieldViolation::new("name", "needs letters or digits"))
            } else {
                Ok(n)
            }
        }));
        let kind = v.check(institution_kind("kind", r.kind));
        let actor = v.check(parse_actor("actor", &r.actor));
        let city = v.check(limits::optional_line("city", &r.city, 100));
        let parent_id = v.check(limits::optional_id("parent_id", &r.parent_id));
        let (((((request_id, name), kind), actor), city), parent_id) =
            checked(v, request_id.zip(name).zip(kind).zip(actor).zip(city).zip(parent_id))?;
        let new = NewInstitution { name, kind, actor, city, parent_id };
        let institution = self.briefings.create_institution(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(institution_to_proto(&institution)))
    }

    async fn get_institution(
        &self,
        request: Request<pb::GetInstitutionRequest>,
    ) -> Result<Response<pb::Institution>, Status> {
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let institution = self.briefings.institution(&id).await.map_err(status)?;
        Ok(Response::new(institution_to_proto(&institution)))
    }

    async fn list_institutions(
        &self,
        request: Request<pb::ListInstitutionsRequest>,
    ) -> Result<Response<pb::ListInstitutionsResponse>, Status> {
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let actor =
            if r.actor.trim().is_empty() { Some(None) } else { v.check(parse_actor("actor", &r.actor)).map(Some) };
        let size = v.check(limits::count("page_size", r.page_size, 100, 500));
        let after =
            if r.page_token.is_empty() { Some(None) } else { v.check(page_token::decode(&r.page_token)).map(Some) };
        let ((actor, size), after) = checked(v, actor.zip(size).zip(after))?;
        let found = self.briefings.list_institutions(actor.as_deref(), after, size + 1).await.map_err(status)?;
        let (institutions, next_page_token) = page_token::page(&found, size, institution_to_proto, |i| {
            page_token::encode(&domain::normalize_name(&i.name), &i.id)
        });
        Ok(Response::new(pb::ListInstitutionsResponse { institutions, next_page_token }))
    }

    async fn create_contact(
        &self,
        request: Request<pb::CreateContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let institution_id = v.check(limits::id("institution_id", &r.institution_id));
        let name = v.check(limits::required_line("name", &r.name, domain::MAX_NAME_CHARS));
        let role = v.check(limits::optional_line("role", &r.role, domain::MAX_NAME_CHARS));
        let email =
            v.check(if r.email.trim().is_empty() { Ok(String::new()) } else { limits::email("email", &r.email) });
        let phone = v.check(parse_phone(&r.phone));
        let (((((request_id, institution_id), name), role), email), phone) =
            checked(v, request_id.zip(institution_id).zip(name).zip(role).zip(email).zip(phone))?;
        let new = NewContact { institution_id, name, role, email, phone };
        let contact = self.briefings.create_contact(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(contact_to_proto(&contact)))
    }

    async fn get_contact(&self, request: Request<pb::GetContactRequest>) -> Result<Response<pb::Contact>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let contact = self.briefings.contact(&caller, &id).await.map_err(status)?;
        Ok(Response::new(contact_to_proto(&contact)))
    }

    async fn list_contacts(
        &self,
        request: Request<pb::ListContactsRequest>,
    ) -> Result<Response<pb::ListContactsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let institution =
            limits::id("institution_id", &request.get_ref().institution_id).map_err(|v| status(v.into()))?;
        let contacts = self.briefings.contacts_at(&caller, &institution).await.map_err(status)?;
        Ok(Response::new(pb::ListContactsResponse { contacts: contacts.iter().map(contact_to_proto).collect() }))
    }

    async fn erase_contact(&self, request: Request<pb::EraseContactRequest>) -> Result<Response<pb::Contact>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let id = v.check(limits::id("id", &r.id));
        let (request_id, id) = checked(v, request_id.zip(id))?;
        let contact = self.briefings.erase_contact(&caller, &request_id, &id).await.map_err(status)?;
        Ok(Response::new(contact_to_proto(&contact)))
    }

    async fn log_briefing(&self, request: Request<pb::LogBriefingRequest>) -> Result<Response<pb::Briefing>, Status> {
        let caller = Caller::of(&request)?;
        let (request_id, new) = parse_log(&caller, request.get_ref()).map_err(status)?;
        let briefing = self.briefings.log(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(briefing_to_proto(&briefing)))
    }

    async fn update_briefing(
        &self,
        request: Request<pb::UpdateBriefingRequest>,
    ) -> Result<Response<pb::Briefing>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let id = v.check(limits::id("id", &r.id));
        let version = v.check(limits::version(r.expected_version));
        let content = match &r.briefing {
            None => {
                v.push(FieldViolation::new("briefing", "is required"));
                None
            }
            // The content is checked like a new briefing; the update has its own request id.
            Some(b) => match parse_log(
                &caller,
                &pb::LogBriefingRequest { request_id: "update".into(), follow_ups: vec![], ..b.clone() },
            ) {
                Ok((_, new)) => Some(new),
                Err(BriefingError::Invalid(violations)) => {
                    for violation in violations.iter() {
                        v.push(FieldViolation::new(
                            format!("briefing.{}", violation.field),
                            violation.description.clone(),
                        ));
                    }
                    None
                }
                Err(other) => return Err(status(other)),
            },
        };
        let (((request_id, id), version), new) = checked(v, request_id.zip(id).zip(version).zip(content))?;
        let briefing = self.briefings.update(&caller, &request_id, &id, version, new).await.map_err(status)?;
        Ok(Response::new(briefing_to_proto(&briefing)))
    }

    async fn get_briefing(&self, request: Request<pb::GetBriefingRequest>) -> Result<Response<pb::Briefing>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let briefing = self.briefings.get(&caller, &id).await.map_err(status)?;
        Ok(Response::new(briefing_to_proto(&briefing)))
    }

    async fn list_briefings(
        &self,
        request: Request<pb::ListBriefingsRequest>,
    ) -> Result<Response<pb::ListBriefingsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let actor =
            if r.actor.trim().is_empty() { Some(None) } else { v.check(parse_actor("actor", &r.actor)).map(Some) };
        let period = match &r.period {
            Some(p) => v.check(parse_period(p)).map(|(from, to)| (Some(from), Some(to))),
            None => Some((None, None)),
        };
        let theme =
            v.check(limits::optional_line("theme", &r.theme, 100)).map(|t| (!t.is_empty()).then(|| t.to_lowercase()));
        let size = v.check(limits::count("page_size", r.page_size, 50, 500));
        let after = v.check(page_token::decode_at(&r.page_token));
        let ((((actor, (from, to)), theme), size), after) =
            checked(v, actor.zip(period).zip(theme).zip(size).zip(after))?;
        let query = BriefingQuery { actor, from, to, theme, after, limit: size + 1 };
        let found = self.briefings.list(&caller, &query).await.map_err(status)?;
        let (briefings, next_page_token) =
            page_token::page(&found, size, briefing_to_proto, |b| page_token::encode_at(b.at, &b.id));
        Ok(Response::new(pb::ListBriefingsResponse { briefings, next_page_token }))
    }

    async fn complete_follow_up(
        &self,
        request: Request<pb::CompleteFollowUpRequest>,
    ) -> Result<Response<pb::Briefing>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let briefing_id = v.check(limits::id("briefing_id", &r.briefing_id));
        let follow_up_id = v.check(limits::id("follow_up_id", &r.follow_up_id));
        let version = v.check(limits::version(r.expected_version));
        let (((request_id, briefing_id), follow_up_id), version) =
            checked(v, request_id.zip(briefing_id).zip(follow_up_id).zip(version))?;
        let briefing = self
            .briefings
            .complete_follow_up(&caller, &request_id, &briefing_id, &follow_up_id, version)
            .await
            .map_err(status)?;
        Ok(Response::new(briefing_to_proto(&briefing)))
    }

    async fn import_briefings(
        &self,
        request: Request<tonic::Streaming<pb::ImportBriefingRow>>,
    ) -> Result<Response<pb::ImportBriefingsResult>, Status> {
        let (caller, mode) = (Caller::of(&request)?, import::Mode::of(&request));
        let (rows, _turn) =
            import::checked_rows(request.into_inner(), |r| r.line, |r| parse_import_row(&caller, r)).await?;
        let rows = rows.into_iter().map(|(_, row)| row).collect();
        let counts = self.briefings.import(&caller, rows, mode).await.map_err(status)?;
        Ok(Response::new(pb::ImportBriefingsResult {
            briefings: counts.briefings as i32,
            already_imported: counts.already_imported as i32,
            institutions_created: counts.institutions_created as i32,
            institutions_matched: counts.institutions_matched as i32,
        }))
    }

    async fn get_briefing_aggregates(
        &self,
        request: Request<pb::BriefingAggregatesRequest>,
    ) -> Result<Response<pb::BriefingAggregates>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let period = r.period.as_ref().ok_or_else(|| status(FieldViolation::new("period", "is required").into()))?;
        let (from, to) = parse_day_period(period, self.zone).map_err(|v| status(v.into()))?;
        let a = self.briefings.aggregates(&caller, from, to).await.map_err(status)?;
        let counts =
            |pairs: Vec<(String, i64)>| pairs.into_iter().map(|(key, count)| pb::CountByKey { key, count }).collect();
        Ok(Response::new(pb::BriefingAggregates {
            briefings: a.briefings,
            governments_briefed: a.governments,
            multilateral_actors_briefed: a.multilateral,
            by_format: counts(a.by_format),
            by_city: counts(a.by_city),
            by_month: counts(a.by_month),
            follow_ups_open: a.follow_ups_open,
            follow_ups_overdue: a.follow_ups_overdue,
            follow_ups_done: a.follow_ups_done,
            quiet_or_restricted: a.quiet_or_restricted,
        }))
    }
}

fn parse_import_row(
    caller: &Caller,
    row: &pb::ImportBriefingRow,
) -> Result<(String, NewInstitution, NewBriefing), FieldViolations> {
    let mut v = FieldViolations::new();
    let request_id = v.check(limits::request_id("request_id", &row.request_id));
    let given = row.institution.clone().unwrap_or_default();
    let name = v.check(limits::required_line("institution.name", &given.name, domain::MAX_NAME_CHARS));
    let actor = v.check(parse_actor("institution.actor", &given.actor));
    let kind = v.check(institution_kind("institution.kind", given.kind));
    let city = v.check(limits::optional_line("institution.city", &given.city, 100));
    // Checked like a logged briefing, under the row's own request id (checked above).
    let content =
        pb::LogBriefingRequest { request_id: row.request_id.clone(), ..row.briefing.clone().unwrap_or_default() };
    let briefing = match parse_briefing(caller, &content, false) {
        Ok((_, new)) => Some(new),
        Err(BriefingError::Invalid(found)) => {
            for violation in found.iter().filter(|f| f.field != "request_id") {
                v.push(violation.clone());
            }
            None
        }
        Err(other) => {
            v.push(FieldViolation::new("briefing", other.to_string()));
            None
        }
    };
    v.into_result()?;
    let parsed = request_id.zip(name).zip(actor).zip(kind).zip(city).zip(briefing);
    let (((((request_id, name), actor), kind), city), briefing) =
        parsed.ok_or_else(|| FieldViolations::from(FieldViolation::new("row", "incomplete")))?;
    Ok((request_id, NewInstitution { name, kind, actor, city, parent_id: None }, briefing))
}

/// Cuts a fetched page (one longer than asked) to size; the extra row says a next page exists.
/// A phone number as people write it: digits, spaces and + - ( ) . only.
fn parse_phone(phone: &str) -> Result<String, FieldViolation> {
    let phone = phone.trim();
    let ok = phone.len() <= 40 && phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !ok || (!phone.is_empty() && !phone.chars().any(|c| c.is_ascii_digit())) {
        return Err(FieldViolation::new("phone", "is not a phone number such as +41 22 917 90 00"));
    }
    Ok(phone.to_owned())
}

fn contact_to_proto(c: &Contact) -> pb::Contact {
    pb::Contact {
        id: c.id.clone(),
        version: c.version,
        institution_id: c.institution_id.clone(),
        name: c.name.clone(),
        role: c.role.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        erased: c.erased_at.is_some(),
        erased_at: c.erased_at.map(to_timestamp),
        stamp: Some(pb::Stamp {
            created_by: c.created_by.clone(),
            created_at: Some(to_timestamp(c.created_at)),
            updated_by: c.created_by.clone(),
            updated_at: Some(to_timestamp(c.erased_at.unwrap_or(c.created_at))),
        }),
    }
}

fn parse_actor(field: &str, code: &str) -> Result<String, FieldViolation> {
    let code = code.trim();
    ActorKind::of(code).map(|_| code.to_owned()).ok_or_else(|| {
        FieldViolation::new(field, format!("{code:.64} is neither a country code (ISO 3166-1, such as CH) nor a body code of the catalog (such as EU-EEAS)"))
    })
}

advocacy_platform::enum_mapping!(
    institution_kind,
    institution_kind_to_proto,
    pb::InstitutionKind,
    InstitutionKind,
    "an institution kind",
    [Ministry, PermanentMission, Embassy, Parliament, MultilateralUnit, UnOffice]
);

advocacy_platform::enum_mapping!(
    format_of,
    format_to_proto,
    pb::BriefingFormat,
    Format,
    "a briefing format",
    [InPerson, Virtual, Written, SideEvent]
);

fn parse_log(caller: &Caller, r: &pb::LogBriefingRequest) -> Result<(String, NewBriefing), BriefingError> {
    parse_briefing(caller, r, true)
}

/// Checks a briefing; `with_institutions` is false for imports, whose rows name their
/// institution instead of giving its id.
fn parse_briefing(
    caller: &Caller,
    r: &pb::LogBriefingRequest,
    with_institutions: bool,
) -> Result<(String, NewBriefing), BriefingError> {
    let mut v = FieldViolations::new();
    let request_id = v.check(limits::request_id("request_id", &r.request_id));
    let at = v.check(parse_when("at", r.at.as_ref()).and_then(|(given, zone)| {
        let zone = match (&given, zone) {
            (_, Some(zone)) => zone,
            (advocacy_platform::time::WhenGiven::Utc(_), None) => chrono_tz::UTC,
            (advocacy_platform::time::WhenGiven::Local(_), None) => {
                return Err(FieldViolation::new(
                    "at.zone",
                    "a local time needs the zone of the place, such as Europe/Zurich",
                ));
            }
        };
        Ok((given.resolve("at", zone)?, zone))
    }));
    let city = v.check(limits::optional_line("city", &r.city, 100));
    let format = v.check(format_of("format", r.format));
    let institution_ids = v.check(if !with_institutions {
        Ok(Vec::new())
    } else if r.institution_ids.is_empty() {
        Err(FieldViolation::new("institution_ids", "name at least one institution briefed"))
    } else {
        limits::ids("institution_ids", &r.institution_ids)
    });
    let attendees = v.check(limits::emails("attendees", &r.attendees, &caller.subject, limits::MAX_ENTRIES));
    let themes = v.check(limits::lines("themes", &r.themes, 100, true));
    let materials = v.check(limits::lines("materials", &r.materials, 100, false));
    let asks = v.check(limits::lines("asks", &r.asks, domain::MAX_LINE_CHARS, false));
    let summary = v.check(limits::optional_text("summary", &r.summary, domain::MAX_TEXT_CHARS));
    let notes = v.check(limits::optional_text("notes", &r.notes, domain::MAX_TEXT_CHARS));
    let outcome = v.check(limits::optional_text("outcome", &r.outcome, domain::MAX_TEXT_CHARS));
    let classification =
        v.check(Classification::parse("classification", r.classification.as_ref(), Classification::Internal));
    let contact_ids = v.check(limits::ids("contact_ids", &r.contact_ids));
    let follow_ups = if r.follow_ups.len() > 20 {
        v.push(FieldViolation::new("follow_ups", "at most 20 follow-ups"));
        None
    } else {
        let zone = at.map(|(_, zone)| zone).unwrap_or(chrono_tz::UTC);
        let parsed: Vec<Option<NewFollowUp>> =
            r.follow_ups.iter().enumerate().map(|(i, f)| v.check(parse_follow_up(caller, i, f, zone))).collect();
        parsed.into_iter().collect::<Option<Vec<_>>>()
    };
    v.into_result()?;
    let parsed = (|| {
        let (at, zone) = at?;
        Some((
            request_id?,
            NewBriefing {
                at,
                zone,
                city: city?,
                format: format?,
                institution_ids: institution_ids?,
                attendees: attendees?,
                themes: themes?,
                materials: materials?,
                asks: asks?,
                summary: summary?,
                notes: notes?,
                quiet: r.quiet,
                outcome: outcome?,
                follow_ups: follow_ups?,
                classification: classification?,
                contact_ids: contact_ids?,
            },
        ))
    })();
    parsed.ok_or_else(|| FieldViolation::new("request", "incomplete").into())
}

fn parse_follow_up(
    caller: &Caller,
    i: usize,
    f: &pb::FollowUpInput,
    default_zone: chrono_tz::Tz,
) -> Result<NewFollowUp, FieldViolation> {
    let field = format!("follow_ups[{i}]");
    let action = limits::required_line(&format!("{field}.action"), &f.action, domain::MAX_LINE_CHARS)?;
    let owner = if f.owner.trim().is_empty() { caller.subject.clone() } else { f.owner.clone() };
    let owner = limits::email(&format!("{field}.owner"), &owner)?;
    let (given, zone) = parse_when(&format!("{field}.due"), f.due.as_ref())?;
    let zone = zone.unwrap_or(default_zone);
    let due = given.resolve(&format!("{field}.due"), zone)?;
    Ok(NewFollowUp { action, owner, due, zone })
}

fn institution_to_proto(i: &Institution) -> pb::Institution {
    pb::Institution {
        id: i.id.clone(),
        version: i.version,
        name: i.name.clone(),
        kind: institution_kind_to_proto(i.kind).into(),
        actor: i.actor.clone(),
        city: i.city.clone(),
        parent_id: i.parent_id.clone().unwrap_or_default(),
        stamp: Some(pb::Stamp {
            created_by: i.created_by.clone(),
            created_at: Some(to_timestamp(i.created_at)),
            updated_by: i.created_by.clone(),
            updated_at: Some(to_timestamp(i.created_at)),
        }),
    }
}

fn follow_up_to_proto(f: &FollowUp) -> pb::FollowUp {
    pb::FollowUp {
        id: f.id.clone(),
        action: f.action.clone(),
        owner: f.owner.clone(),
        due: Some(to_timestamp(f.due)),
        zone: f.zone.name().to_owned(),
        deadline_id: f.deadline_id.clone().unwrap_or_default(),
        done: f.done_at.is_some(),
        done_at: f.done_at.map(to_timestamp),
    }
}

pub fn briefing_to_proto(b: &Briefing) -> pb::Briefing {
    pb::Briefing {
        id: b.id.clone(),
        version: b.version,
        at: Some(to_timestamp(b.at)),
        zone: b.zone.name().to_owned(),
        at_local: local_rfc3339(b.at, b.zone),
        city: b.city.clone(),
        format: format_to_proto(b.format).into(),
        institution_ids: b.institution_ids.clone(),
        actors: b.actors.clone(),
        attendees: b.attendees.clone(),
        themes: b.themes.clone(),
        materials: b.materials.clone(),
        asks: b.asks.clone(),
        summary: b.summary.clone(),
        notes: b.notes.clone(),
        quiet: b.quiet,
        outcome: b.outcome.clone(),
        follow_ups: b.follow_ups.iter().map(follow_up_to_proto).collect(),
        contacts: b.contacts.iter().map(|c| pb::ContactRef { id: c.id.clone(), display: c.display.clone() }).collect(),
        classification: Some(b.classification.to_proto()),
        stamp: Some(pb::Stamp {
            created_by: b.created_by.clone(),
            created_at: Some(to_timestamp(b.created_at)),
            updated_by: b.updated_by.clone(),
            updated_at: Some(to_timestamp(b.updated_at)),
        }),
    }
}
