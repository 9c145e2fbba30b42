//! The gRPC face of the submissions service: check each request into domain values (every
//! bad field named), call the service, convert the answer; errors become statuses once,
//! in platform.

use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};

use advocacy_platform::error::{checked, to_status};
use advocacy_platform::limits;
use advocacy_platform::time::{optional_timestamp, parse_day_period, parse_period};
use advocacy_platform::{Caller, Clock, FieldViolation, FieldViolations};
use advocacy_platform::{import, page_token};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::submissions_service_server::SubmissionsService;

use crate::domain::resolutions::{self as res};
use crate::domain::{self, SubmissionEdit};
use crate::error::SubmissionError;
use crate::service::{Publications, Resolutions, Submissions};
use crate::store::SubmissionQuery;

mod publications;
mod resolutions;
mod submissions;

use publications::{parse_publication, publication_kind_of, publication_to_proto};
use resolutions::{
    amendment_status_of, amendment_to_proto, parse_amendment_content, parse_body, parse_imported_amendment,
    parse_propose, parse_resolution, parse_vote, resolution_state_of, resolution_to_proto,
};
use submissions::{kind_of, parse_create, parse_mechanism, parse_word_count, status_of, to_proto};

#[derive(Debug, Clone)]
pub struct SubmissionsApi {
    submissions: Submissions,
    resolutions: Resolutions,
    publications: Publications,
    clock: Clock,
    /// The organisation's zone, whose whole days report periods cover.
    zone: chrono_tz::Tz,
    audit: advocacy_platform::audit::AuditLog,
}

impl SubmissionsApi {
    pub fn new(
        submissions: Submissions,
        resolutions: Resolutions,
        publications: Publications,
        clock: Clock,
        zone: chrono_tz::Tz,
        audit: advocacy_platform::audit::AuditLog,
    ) -> Self {
        Self { submissions, resolutions, publications, clock, zone, audit }
    }
}

fn status(e: SubmissionError) -> Status {
    to_status(&e)
}

#[tonic::async_trait]
impl SubmissionsService for SubmissionsApi {
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

    async fn create_submission(
        &self,
        request: Request<pb::CreateSubmissionRequest>,
    ) -> Result<Response<pb::Submission>, Status> {
        let caller = Caller::of(&request)?;
        let (request_id, new) = parse_create(request.get_ref(), self.clock.now()).map_err(|v| status(v.into()))?;
        let submission = self.submissions.create(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(to_proto(&submission)))
    }

    async fn import_submissions(
        &self,
        request: Request<tonic::Streaming<pb::ImportSubmissionRow>>,
    ) -> Result<Response<pb::ImportSubmissionsResult>, Status> {
        let (caller, mode) = (Caller::of(&request)?, import::Mode::of(&request));
        let now = self.clock.now();
        let (rows, _turn) = import::checked_rows(
            request.into_inner(),
            |r| r.line,
            |row| {
                let submission = row.submission.clone().unwrap_or_default();
                if !submission.deadline_id.trim().is_empty() {
                    return Err(
                        FieldViolation::new("deadline_id", "link deadlines after the import, one by one").into()
                    );
                }
                parse_create(&submission, now)
            },
        )
        .await?;
        let counts = self.submissions.import(&caller, rows, mode).await.map_err(status)?;
        Ok(Response::new(pb::ImportSubmissionsResult {
            submissions: counts.written as i32,
            already_imported: counts.skipped as i32,
        }))
    }

    async fn get_submission(
        &self,
        request: Request<pb::GetSubmissionRequest>,
    ) -> Result<Response<pb::Submission>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let submission = self.submissions.get(&caller, &id).await.map_err(status)?;
        Ok(Response::new(to_proto(&submission)))
    }

    async fn list_submissions(
        &self,
        request: Request<pb::ListSubmissionsRequest>,
    ) -> Result<Response<pb::ListSubmissionsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let mechanism =
            if r.mechanism.trim().is_empty() { Some(None) } else { v.check(parse_mechanism(&r.mechanism)).map(Some) };
        let kind = if r.kind == 0 { Some(None) } else { v.check(kind_of("kind", r.kind)).map(Some) };
        let state = if r.status == 0 { Some(None) } else { v.check(status_of("status", r.status)).map(Some) };
        let country =
            if r.country.trim().is_empty() { Some(None) } else { v.check(parse_country(&r.country)).map(Some) };
        let size = v.check(limits::count("page_size", r.page_size, 50, 500));
        let after = v.check(page_token::decode_at(&r.page_token));
        let period = match &r.period {
            Some(p) => v.check(parse_period(p)).map(Some),
            None => Some(None),
        };
        let ((((((mechanism, kind), state), country), size), after), period) =
            checked(v, mechanism.zip(kind).zip(state).zip(country).zip(size).zip(after).zip(period))?;
        let query = SubmissionQuery { mechanism, kind, status: state, country, period, after, limit: size + 1 };
        let found = self.submissions.list(&caller, &query).await.map_err(status)?;
        let (submissions, next_page_token) =
            page_token::page(&found, size, to_proto, |s| page_token::encode_at(s.created_at, &s.id));
        Ok(Response::new(pb::ListSubmissionsResponse { submissions, next_page_token }))
    }

    async fn record_submission_status(
        &self,
        request: Request<pb::RecordSubmissionStatusRequest>,
    ) -> Result<Response<pb::Submission>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let id = v.check(limits::id("id", &r.id));
        let version = v.check(limits::version(r.expected_version));
        let new_status = v.check(status_of("status", r.status));
        let at = v.check(optional_timestamp("at", r.at.as_ref()));
        let note = v.check(limits::optional_line("note", &r.note, 1_000));
        let (((((request_id, id), version), new_status), at), note) =
            checked(v, request_id.zip(id).zip(version).zip(new_status).zip(at).zip(note))?;
        let submission = self
            .submissions
            .record_status(&caller, &request_id, &id, version, new_status, at, note)
            .await
            .map_err(status)?;
        Ok(Response::new(to_proto(&submission)))
    }

    async fn update_submission(
        &self,
        request: Request<pb::UpdateSubmissionRequest>,
    ) -> Result<Response<pb::Submission>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let id = v.check(limits::id("id", &r.id));
        let version = v.check(limits::version(r.expected_version));
        let title = v.check(limits::required_line("title", &r.title, domain::MAX_TITLE_CHARS));
        let partners = v.check(limits::lines("partners", &r.partners, 200, false));
        let document_url = v.check(limits::optional_url("document_url", &r.document_url));
        let document_sha256 = v.check(limits::optional_sha256("document_sha256", &r.document_sha256));
        let word_count = v.check(parse_word_count(r.word_count));
        let themes = v.check(limits::lines("themes", &r.themes, 100, true));
        let evidence = v.check(limits::ids("evidence", &r.evidence));
        v.into_result().map_err(|e| status(e.into()))?;
        let parsed = (|| {
            let edit = SubmissionEdit {
                title: title?,
                partners: partners?,
                document_url: document_url?,
                document_sha256: document_sha256?,
                word_count: word_count?,
                themes: themes?,
                evidence: evidence?,
            };
            Some((request_id?, id?, version?, edit))
        })();
        let (request_id, id, version, edit) = parsed.ok_or_else(|| status(incomplete().into()))?;
        let submission = self.submissions.edit(&caller, &request_id, &id, version, edit).await.map_err(status)?;
        Ok(Response::new(to_proto(&submission)))
    }

    async fn create_resolution(
        &self,
        request: Request<pb::CreateResolutionRequest>,
    ) -> Result<Response<pb::Resolution>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let new = parse_resolution(&r.body, &r.session, &r.title, &r.symbol).map_err(|found| v.push_under("", &found));
        let (request_id, new) = checked(v, request_id.zip(new.ok()))?;
        let resolution = self.resolutions.create(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(resolution_to_proto(&resolution)))
    }

    async fn get_resolution(
        &self,
        request: Request<pb::GetResolutionRequest>,
    ) -> Result<Response<pb::Resolution>, Status> {
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let resolution = self.resolutions.get(&id).await.map_err(status)?;
        Ok(Response::new(resolution_to_proto(&resolution)))
    }

    async fn list_resolutions(
        &self,
        request: Request<pb::ListResolutionsRequest>,
    ) -> Result<Response<pb::ListResolutionsResponse>, Status> {
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let body = if r.body.trim().is_empty() { Some(None) } else { v.check(parse_body(&r.body)).map(Some) };
        let session = v.check(limits::optional_line("session", &r.session, 50)).map(|s| (!s.is_empty()).then_some(s));
        let (body, session) = checked(v, body.zip(session))?;
        let found = self.resolutions.list(body.as_deref(), session.as_deref()).await.map_err(status)?;
        Ok(Response::new(pb::ListResolutionsResponse { resolutions: found.iter().map(resolution_to_proto).collect() }))
    }

    async fn record_resolution_state(
        &self,
        request: Request<pb::RecordResolutionStateRequest>,
    ) -> Result<Response<pb::Resolution>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let id = v.check(limits::id("id", &r.id));
        let version = v.check(limits::version(r.expected_version));
        let state = v.check(resolution_state_of("state", r.state));
        let adopted_on = v.check(optional_timestamp("adopted_on", r.adopted_on.as_ref()));
        let vote = v.check(parse_vote(r.vote.as_ref()));
        let (((((request_id, id), version), state), adopted_on), vote) =
            checked(v, request_id.zip(id).zip(version).zip(state).zip(adopted_on).zip(vote))?;
        let resolution = self
            .resolutions
            .record_state(&caller, &request_id, &id, version, state, adopted_on, vote)
            .await
            .map_err(status)?;
        Ok(Response::new(resolution_to_proto(&resolution)))
    }

    async fn propose_amendment(
        &self,
        request: Request<pb::ProposeAmendmentRequest>,
    ) -> Result<Response<pb::Amendment>, Status> {
        let caller = Caller::of(&request)?;
        let (request_id, new) = parse_propose(request.get_ref(), true).map_err(|v| status(v.into()))?;
        let amendment = self.resolutions.propose(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(amendment_to_proto(&amendment)))
    }

    async fn import_amendments(
        &self,
        request: Request<tonic::Streaming<pb::ImportAmendmentRow>>,
    ) -> Result<Response<pb::ImportAmendmentsResult>, Status> {
        let (caller, mode) = (Caller::of(&request)?, import::Mode::of(&request));
        let now = self.clock.now();
        let (rows, _turn) =
            import::checked_rows(request.into_inner(), |r| r.line, |row| parse_imported_amendment(row, now)).await?;
        let counts = self.resolutions.import(&caller, rows, mode).await.map_err(status)?;
        Ok(Response::new(pb::ImportAmendmentsResult {
            amendments: counts.written as i32,
            already_imported: counts.skipped as i32,
            resolutions_matched: counts.resolutions_matched as i32,
            resolutions_created: counts.resolutions_created as i32,
        }))
    }

    async fn update_amendment(
        &self,
        request: Request<pb::UpdateAmendmentRequest>,
    ) -> Result<Response<pb::Amendment>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let id = v.check(limits::id("id", &r.id));
        let version = v.check(limits::version(r.expected_version));
        let content = parse_amendment_content(
            r.paragraph_kind,
            r.paragraph_number,
            &r.proposed_text,
            &r.rationale,
            &r.evidence,
            &r.lobbied,
        )
        .map_err(|found| v.push_under("", &found))
        .ok();
        let (((request_id, id), version), edit) = checked(v, request_id.zip(id).zip(version).zip(content))?;
        let amendment =
            self.resolutions.edit_amendment(&caller, &request_id, &id, version, edit).await.map_err(status)?;
        Ok(Response::new(amendment_to_proto(&amendment)))
    }

    async fn get_amendment(
        &self,
        request: Request<pb::GetAmendmentRequest>,
    ) -> Result<Response<pb::Amendment>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let amendment = self.resolutions.amendment(&caller, &id).await.map_err(status)?;
        if amendment.classification.is_restricted() {
            self.audit.reads(&caller, &[amendment.id.as_str()], self.clock.now()).await?;
        }
        Ok(Response::new(amendment_to_proto(&amendment)))
    }

    async fn list_amendments(
        &self,
        request: Request<pb::ListAmendmentsRequest>,
    ) -> Result<Response<pb::ListAmendmentsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let id = v.check(limits::optional_id("resolution_id", &r.resolution_id));
        let size = v.check(limits::count("page_size", r.page_size, 100, 500));
        let after = v.check(page_token::decode_at(&r.page_token));
        let period = v.check(r.period.as_ref().map(advocacy_platform::time::parse_period).transpose());
        let wanted = v.check(match r.status {
            0 => Ok(None),
            s => amendment_status_of("status", s).map(Some),
        });
        let values = (|| Some((id?, size?, after?, period?, wanted?)))();
        let (resolution_id, size, after, period, status_wanted) = checked(v, values)?;
        let query = crate::store::resolutions::AmendmentQuery {
            resolution_id,
            period,
            status: status_wanted,
            after,
            limit: size + 1,
        };
        let found = self.resolutions.amendments(&caller, &query).await.map_err(status)?;
        let restricted: Vec<&str> =
            found.iter().take(size).filter(|a| a.classification.is_restricted()).map(|a| a.id.as_str()).collect();
        self.audit.reads(&caller, &restricted, self.clock.now()).await?;
        let (amendments, next_page_token) =
            page_token::page(&found, size, amendment_to_proto, |a| page_token::encode_at(a.created_at, &a.id));
        Ok(Response::new(pb::ListAmendmentsResponse { amendments, next_page_token }))
    }

    async fn record_amendment_outcome(
        &self,
        request: Request<pb::RecordAmendmentOutcomeRequest>,
    ) -> Result<Response<pb::Amendment>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let id = v.check(limits::id("id", &r.id));
        let version = v.check(limits::version(r.expected_version));
        let outcome = v.check(amendment_status_of("status", r.status));
        let adopted_text = v.check(limits::optional_text("adopted_text", &r.adopted_text, res::MAX_TEXT_CHARS));
        let ((((request_id, id), version), outcome), adopted_text) =
            checked(v, request_id.zip(id).zip(version).zip(outcome).zip(adopted_text))?;
        let amendment = self
            .resolutions
            .record_outcome(&caller, &request_id, &id, version, outcome, adopted_text)
            .await
            .map_err(status)?;
        Ok(Response::new(amendment_to_proto(&amendment)))
    }

    async fn create_publication(
        &self,
        request: Request<pb::CreatePublicationRequest>,
    ) -> Result<Response<pb::Publication>, Status> {
        let caller = Caller::of(&request)?;
        let (request_id, new) = parse_publication(request.get_ref()).map_err(|v| status(v.into()))?;
        let publication = self.publications.create(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(publication_to_proto(&publication)))
    }

    async fn import_publications(
        &self,
        request: Request<tonic::Streaming<pb::ImportPublicationRow>>,
    ) -> Result<Response<pb::ImportPublicationsResult>, Status> {
        let (caller, mode) = (Caller::of(&request)?, import::Mode::of(&request));
        let (rows, _turn) = import::checked_rows(
            request.into_inner(),
            |r| r.line,
            |r| parse_publication(&r.publication.clone().unwrap_or_default()),
        )
        .await?;
        let counts = self.publications.import(&caller, rows, mode).await.map_err(status)?;
        Ok(Response::new(pb::ImportPublicationsResult {
            publications: counts.written as i32,
            already_imported: counts.skipped as i32,
        }))
    }

    async fn get_publication(
        &self,
        request: Request<pb::GetPublicationRequest>,
    ) -> Result<Response<pb::Publication>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        let publication = self.publications.get(&caller, &id).await.map_err(status)?;
        if publication.classification.is_restricted() {
            self.audit.reads(&caller, &[publication.id.as_str()], self.clock.now()).await?;
        }
        Ok(Response::new(publication_to_proto(&publication)))
    }

    async fn list_publications(
        &self,
        request: Request<pb::ListPublicationsRequest>,
    ) -> Result<Response<pb::ListPublicationsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.get_ref();
        let mut v = FieldViolations::new();
        let kind = if r.kind == 0 { Some(None) } else { v.check(publication_kind_of("kind", r.kind)).map(Some) };
        let period = match &r.period {
            Some(p) => v.check(parse_period(p)).map(Some),
            None => Some(None),
        };
        let (kind, period) = checked(v, kind.zip(period))?;
        let found = self.publications.list(&caller, kind, period).await.map_err(status)?;
        let restricted: Vec<&str> =
            found.iter().filter(|p| p.classification.is_restricted()).map(|p| p.id.as_str()).collect();
        self.audit.reads(&caller, &restricted, self.clock.now()).await?;
        Ok(Response::new(pb::ListPublicationsResponse {
            publications: found.iter().map(publication_to_proto).collect(),
        }))
    }

    async fn get_submission_aggregates(
        &self,
        request: Request<pb::AggregatesRequest>,
    ) -> Result<Response<pb::SubmissionAggregates>, Status> {
        let caller = Caller::of(&request)?;
        let period = request
            .get_ref()
            .period
            .as_ref()
            .ok_or_else(|| status(FieldViolation::new("period", "is required").into()))?;
        let (from, to) = parse_day_period(period, self.zone).map_err(|v| status(v.into()))?;
        let a = self.publications.aggregates(&caller, from, to).await.map_err(status)?;
        let counts =
            |pairs: Vec<(String, i64)>| pairs.into_iter().map(|(key, count)| pb::CountByKey { key, count }).collect();
        Ok(Response::new(pb::SubmissionAggregates {
            by_mechanism: counts(a.by_mechanism),
            by_kind: counts(a.by_kind),
            by_status: counts(a.by_status),
            amendments_by_status: counts(a.amendments_by_status),
            amendments_by_resolution: counts(a.amendments_by_resolution),
            publications_by_kind: counts(a.publications_by_kind),
            resolutions_influenced: a.resolutions_influenced,
            amendments_words_kept: a.amendments_words_kept,
            submissions_restricted: a.submissions_restricted,
            amendments_restricted: a.amendments_restricted,
            publications_restricted: a.publications_restricted,
        }))
    }
}

fn parse_country(code: &str) -> Result<String, FieldViolation> {
    advocacy_catalog::country(code.trim()).map(|c| c.code.to_owned()).ok_or_else(|| {
        FieldViolation::new("country", format!("{:.16} is not an ISO 3166-1 country code such as KP", code.trim()))
    })
}

/// An optional time that has already come (a few minutes of clock skew allowed).
fn past_time(
    field: &str,
    value: Option<&prost_types::Timestamp>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, FieldViolation> {
    let at = optional_timestamp(field, value)?;
    if at.is_some_and(|at| at > now + chrono::Duration::minutes(5)) {
        return Err(FieldViolation::new(field, "is in the future"));
    }
    Ok(at)
}

/// The answer when every field parsed but a value is still missing: a bug, not bad input.
fn incomplete() -> FieldViolations {
    FieldViolation::new("request", "incomplete").into()
}
