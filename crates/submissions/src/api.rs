//! The gRPC face of the submissions service: check each request into domain values (every
//! bad field named), call the service, convert the answer; errors become statuses once,
//! in platform.

use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};

use advocacy_platform::error::{checked, to_status};
use advocacy_platform::limits;
use advocacy_platform::time::{from_timestamp, optional_timestamp, parse_period, to_timestamp};
use advocacy_platform::{Caller, Classification, Clock, FieldViolation, FieldViolations};
use advocacy_platform::{import, page_token};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::submissions_service_server::SubmissionsService;

use crate::domain::compare::{Comparison, Op};
use crate::domain::publications::{NewPublication, Publication, PublicationKind};
use crate::domain::resolutions::{
    self as res, Amendment, AmendmentEdit, AmendmentStatus, NewAmendment, NewResolution, ParagraphKind, Resolution,
    ResolutionState, Vote,
};
use crate::domain::{self, Kind, NewSubmission, Status as SubmissionStatus, Submission, SubmissionEdit};
use crate::error::SubmissionError;
use crate::service::{ImportedAmendment, Publications, Resolutions, Submissions};
use crate::store::SubmissionQuery;

#[derive(Debug, Clone)]
pub struct SubmissionsApi {
    submissions: Submissions,
    resolutions: Resolutions,
    publications: Publications,
    clock: Clock,
}

impl SubmissionsApi {
    pub fn new(submissions: Submissions, resolutions: Resolutions, publications: Publications, clock: Clock) -> Self {
        Self { submissions, resolutions, publications, clock }
    }
}

fn status(e: SubmissionError) -> Status {
    to_status(&e)
}

#[tonic::async_trait]
impl SubmissionsService for SubmissionsApi {
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
        let caller = Caller::of(&request)?;
        let now = self.clock.now();
        let rows = import::checked_rows(
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
        let counts = self.submissions.import(&caller, rows).await.map_err(status)?;
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
        let mut found = self.submissions.list(&caller, &query).await.map_err(status)?;
        let next_page_token = page_token::next(&mut found, size, |s| page_token::encode_at(s.created_at, &s.id));
        Ok(Response::new(pb::ListSubmissionsResponse {
            submissions: found.iter().map(to_proto).collect(),
            next_page_token,
        }))
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
        let caller = Caller::of(&request)?;
        let now = self.clock.now();
        let rows =
            import::checked_rows(request.into_inner(), |r| r.line, |row| parse_imported_amendment(row, now)).await?;
        let counts = self.resolutions.import(&caller, rows).await.map_err(status)?;
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
        Ok(Response::new(amendment_to_proto(&amendment)))
    }

    async fn list_amendments(
        &self,
        request: Request<pb::ListAmendmentsRequest>,
    ) -> Result<Response<pb::ListAmendmentsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("resolution_id", &request.get_ref().resolution_id).map_err(|v| status(v.into()))?;
        let found = self.resolutions.amendments(&caller, &id).await.map_err(status)?;
        Ok(Response::new(pb::ListAmendmentsResponse { amendments: found.iter().map(amendment_to_proto).collect() }))
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
        let caller = Caller::of(&request)?;
        let rows = import::checked_rows(
            request.into_inner(),
            |r| r.line,
            |r| parse_publication(&r.publication.clone().unwrap_or_default()),
        )
        .await?;
        let counts = self.publications.import(&caller, rows).await.map_err(status)?;
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
        Ok(Response::new(pb::ListPublicationsResponse {
            publications: found.iter().map(publication_to_proto).collect(),
        }))
    }

    async fn get_submission_aggregates(
        &self,
        request: Request<pb::AggregatesRequest>,
    ) -> Result<Response<pb::SubmissionAggregates>, Status> {
        let period = request
            .get_ref()
            .period
            .as_ref()
            .ok_or_else(|| status(FieldViolation::new("period", "is required").into()))?;
        let (from, to) = parse_period(period).map_err(|v| status(v.into()))?;
        let a = self.publications.aggregates(from, to).await.map_err(status)?;
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
        }))
    }
}

fn parse_resolution(body: &str, session: &str, title: &str, symbol: &str) -> Result<NewResolution, FieldViolations> {
    let mut v = FieldViolations::new();
    let body = v.check(parse_body(body));
    let session = v.check(limits::required_line("session", session, 50));
    let title = v.check(limits::required_line("title", title, domain::MAX_TITLE_CHARS));
    let symbol = v.check(limits::optional_line("symbol", symbol, 60));
    v.into_result()?;
    let new = || Some(NewResolution { body: body?, session: session?, title: title?, symbol: symbol? });
    new().ok_or_else(incomplete)
}

/// An amendment as proposed. An imported one names its resolution beside it, so its
/// resolution_id stays empty until the import matches the resolution.
fn parse_propose(r: &pb::ProposeAmendmentRequest, by_id: bool) -> Result<(String, NewAmendment), FieldViolations> {
    let mut v = FieldViolations::new();
    let request_id = v.check(limits::request_id("request_id", &r.request_id));
    let resolution_id = v.check(match (by_id, r.resolution_id.trim()) {
        (true, id) => limits::id("resolution_id", id),
        (false, "") => Ok(String::new()),
        (false, _) => Err(FieldViolation::new("resolution_id", "stays empty: the row names its resolution")),
    });
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
    let classification =
        v.check(Classification::parse("classification", r.classification.as_ref(), Classification::Internal));
    v.into_result()?;
    let parsed = (|| {
        let c = content?;
        let new = NewAmendment {
            resolution_id: resolution_id?,
            paragraph_kind: c.paragraph_kind,
            paragraph_number: c.paragraph_number,
            proposed_text: c.proposed_text,
            rationale: c.rationale,
            evidence: c.evidence,
            lobbied: c.lobbied,
            classification: classification?,
        };
        Some((request_id?, new))
    })();
    parsed.ok_or_else(incomplete)
}

/// What an amendment says, as proposed or as edited during the negotiation.
fn parse_amendment_content(
    paragraph_kind: i32,
    paragraph_number: i32,
    proposed_text: &str,
    rationale: &str,
    evidence: &[String],
    lobbied: &[String],
) -> Result<AmendmentEdit, FieldViolations> {
    let mut v = FieldViolations::new();
    let paragraph_kind = v.check(paragraph_kind_of("paragraph_kind", paragraph_kind));
    let paragraph_number = v.check(if (1..=500).contains(&paragraph_number) {
        Ok(paragraph_number as u32)
    } else {
        Err(FieldViolation::new("paragraph_number", "must be 1 to 500"))
    });
    let proposed_text = v.check(required_text("proposed_text", proposed_text));
    let rationale = v.check(limits::optional_text("rationale", rationale, res::MAX_TEXT_CHARS));
    let evidence = v.check(limits::ids("evidence", evidence));
    let lobbied = v.check(limits::lines("lobbied", lobbied, 20, false).and_then(|codes| {
        for (i, code) in codes.iter().enumerate() {
            if advocacy_catalog::actor(code).is_none() {
                return Err(FieldViolation::new(
                    format!("lobbied[{i}]"),
                    format!("{code:.20} is not a country or body code of the catalog"),
                ));
            }
        }
        Ok(codes)
    }));
    v.into_result()?;
    let parsed = || {
        Some(AmendmentEdit {
            paragraph_kind: paragraph_kind?,
            paragraph_number: paragraph_number?,
            proposed_text: proposed_text?,
            rationale: rationale?,
            evidence: evidence?,
            lobbied: lobbied?,
        })
    };
    parsed().ok_or_else(incomplete)
}

/// A row of an amendments import: its resolution (fields named "resolution.title"), the
/// amendment, and the outcome when it is known.
fn parse_imported_amendment(
    row: &pb::ImportAmendmentRow,
    now: DateTime<Utc>,
) -> Result<ImportedAmendment, FieldViolations> {
    let mut v = FieldViolations::new();
    let given = row.resolution.clone().unwrap_or_default();
    let resolution = parse_resolution(&given.body, &given.session, &given.title, &given.symbol)
        .map_err(|found| v.push_under("resolution.", &found))
        .ok();
    let proposal =
        parse_propose(&row.amendment.clone().unwrap_or_default(), false).map_err(|found| v.push_under("", &found)).ok();
    let adopted_text = v.check(limits::optional_text("adopted_text", &row.adopted_text, res::MAX_TEXT_CHARS));
    let proposed_on = v.check(past_time("proposed_on", row.proposed_on.as_ref(), now));
    let outcome = v.check(match row.status {
        0 => Ok(None),
        s => amendment_status_of("status", s).map(|s| (s != AmendmentStatus::Proposed).then_some(s)),
    });
    let adopted = matches!(outcome, Some(Some(AmendmentStatus::Adopted | AmendmentStatus::AdoptedInPart)));
    if !adopted && !row.adopted_text.trim().is_empty() {
        v.push(FieldViolation::new("adopted_text", "only an amendment adopted in full or in part has one"));
    }
    v.into_result()?;
    let parsed = (|| {
        let (request_id, amendment) = proposal?;
        let outcome = outcome?.map(|status| (status, adopted_text.clone().unwrap_or_default()));
        Some(ImportedAmendment { request_id, resolution: resolution?, amendment, outcome, proposed_on: proposed_on? })
    })();
    parsed.ok_or_else(incomplete)
}

fn parse_publication(r: &pb::CreatePublicationRequest) -> Result<(String, NewPublication), FieldViolations> {
    let mut v = FieldViolations::new();
    let request_id = v.check(limits::request_id("request_id", &r.request_id));
    let title = v.check(limits::required_line("title", &r.title, domain::MAX_TITLE_CHARS));
    let kind = v.check(publication_kind_of("kind", r.kind));
    let contracted_by = v.check(match (kind, r.contracted_by.trim()) {
        (Some(PublicationKind::GovernmentContractedReport), "") => {
            Err(FieldViolation::new("contracted_by", "a report contracted by a government names that government"))
        }
        (Some(PublicationKind::GovernmentContractedReport), code) => parse_country(code)
            .map(Some)
            .map_err(|_| FieldViolation::new("contracted_by", format!("{code:.16} is not a country code"))),
        (_, "") => Ok(None),
        _ => Err(FieldViolation::new("contracted_by", "only reports contracted by a government have this")),
    });
    let published_on = v.check(match r.published_on.as_ref() {
        Some(ts) => from_timestamp("published_on", ts),
        None => Err(FieldViolation::new("published_on", "is required")),
    });
    let url = v.check(limits::optional_url("url", &r.url));
    let classification =
        v.check(Classification::parse("classification", r.classification.as_ref(), Classification::Public));
    v.into_result()?;
    let parsed = (|| {
        let new = NewPublication {
            title: title?,
            kind: kind?,
            contracted_by: contracted_by?,
            published_on: published_on?,
            url: url?,
            classification: classification?,
        };
        Some((request_id?, new))
    })();
    parsed.ok_or_else(incomplete)
}

fn parse_mechanism(code: &str) -> Result<String, FieldViolation> {
    advocacy_catalog::mechanism(code.trim()).map(|m| m.code.to_owned()).ok_or_else(|| {
        FieldViolation::new(
            "mechanism",
            format!("{:.64} is not a mechanism code of the catalog (such as UPR, CRC, SANCTIONS-UK)", code.trim()),
        )
    })
}

fn parse_country(code: &str) -> Result<String, FieldViolation> {
    advocacy_catalog::country(code.trim()).map(|c| c.code.to_owned()).ok_or_else(|| {
        FieldViolation::new("country", format!("{:.16} is not an ISO 3166-1 country code such as KP", code.trim()))
    })
}

fn parse_create(
    r: &pb::CreateSubmissionRequest,
    now: DateTime<Utc>,
) -> Result<(String, NewSubmission), FieldViolations> {
    let mut v = FieldViolations::new();
    let request_id = v.check(limits::request_id("request_id", &r.request_id));
    let title = v.check(limits::required_line("title", &r.title, domain::MAX_TITLE_CHARS));
    let mechanism = v.check(parse_mechanism(&r.mechanism));
    let kind = v.check(kind_of("kind", r.kind));
    let country = v.check(parse_country(&r.country));
    let partners = v.check(limits::lines("partners", &r.partners, 200, false));
    let deadline_id = v.check(if r.deadline_id.trim().is_empty() {
        Ok(None)
    } else {
        limits::id("deadline_id", &r.deadline_id).map(Some)
    });
    let document_url = v.check(limits::optional_url("document_url", &r.document_url));
    let document_sha256 = v.check(limits::optional_sha256("document_sha256", &r.document_sha256));
    let word_count = v.check(parse_word_count(r.word_count));
    let themes = v.check(limits::lines("themes", &r.themes, 100, true));
    let evidence = v.check(limits::ids("evidence", &r.evidence));
    // Sanctions packages are strictly confidential unless the request says otherwise.
    let default = match kind {
        Some(Kind::SanctionsPackage) => {
            Classification::Restricted { compartment: domain::SANCTIONS_COMPARTMENT.to_owned() }
        }
        _ => Classification::Internal,
    };
    let classification = v.check(Classification::parse("classification", r.classification.as_ref(), default));
    let initial = v.check(if r.status == 0 { Ok(SubmissionStatus::Draft) } else { status_of("status", r.status) });
    let status_at = v.check(past_time("status_at", r.status_at.as_ref(), now));
    v.into_result()?;
    let parsed = (|| {
        let new = NewSubmission {
            title: title?,
            mechanism: mechanism?,
            kind: kind?,
            country: country?,
            partners: partners?,
            deadline_id: deadline_id?,
            document_url: document_url?,
            document_sha256: document_sha256?,
            word_count: word_count?,
            themes: themes?,
            evidence: evidence?,
            classification: classification?,
            status: initial?,
            status_at: status_at?,
        };
        Some((request_id?, new))
    })();
    parsed.ok_or_else(incomplete)
}

fn parse_word_count(words: i32) -> Result<u32, FieldViolation> {
    u32::try_from(words)
        .ok()
        .filter(|w| *w <= 1_000_000)
        .ok_or_else(|| FieldViolation::new("word_count", "must be 0 to 1,000,000"))
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

pub fn to_proto(s: &Submission) -> pb::Submission {
    pb::Submission {
        id: s.id.clone(),
        version: s.version,
        title: s.title.clone(),
        mechanism: s.mechanism.clone(),
        kind: kind_to_proto(s.kind).into(),
        country: s.country.clone(),
        partners: s.partners.clone(),
        status: status_to_proto(s.status).into(),
        history: s
            .history
            .iter()
            .map(|h| pb::StatusChange {
                status: status_to_proto(h.status).into(),
                at: Some(to_timestamp(h.at)),
                by: h.by.clone(),
                note: h.note.clone(),
            })
            .collect(),
        deadline_id: s.deadline_id.clone().unwrap_or_default(),
        document_url: s.document_url.clone(),
        document_sha256: s.document_sha256.clone(),
        word_count: s.word_count as i32,
        word_rule: s.word_rule.map(|w| pb::WordRule { limit: w.limit as i32, hard: w.hard, exceeded: w.exceeded }),
        themes: s.themes.clone(),
        evidence: s.evidence.clone(),
        classification: Some(s.classification.to_proto()),
        stamp: Some(pb::Stamp {
            created_by: s.created_by.clone(),
            created_at: Some(to_timestamp(s.created_at)),
            updated_by: s.updated_by.clone(),
            updated_at: Some(to_timestamp(s.updated_at)),
        }),
    }
}

/// A body of the catalog (UN-HRC, EU-EP) or a country, for its national parliament.
fn parse_body(code: &str) -> Result<String, FieldViolation> {
    let code = code.trim();
    advocacy_catalog::actor(code).map(|_| code.to_owned()).ok_or_else(|| {
        FieldViolation::new(
            "body",
            format!("{code:.20} is neither a body code of the catalog (UN-HRC, UN-GA3, EU-EP) nor a country code"),
        )
    })
}

fn required_text(field: &str, value: &str) -> Result<String, FieldViolation> {
    let text = limits::optional_text(field, value, res::MAX_TEXT_CHARS)?;
    if text.is_empty() { Err(FieldViolation::new(field, "is required")) } else { Ok(text) }
}

fn parse_vote(vote: Option<&pb::Vote>) -> Result<Option<Vote>, FieldViolation> {
    let Some(v) = vote else { return Ok(None) };
    let count = |n: i32, field: &str| {
        u32::try_from(n).ok().filter(|n| *n <= 1_000).ok_or_else(|| FieldViolation::new(field, "must be 0 to 1,000"))
    };
    Ok(Some(Vote {
        yes: count(v.yes, "vote.yes")?,
        no: count(v.no, "vote.no")?,
        abstain: count(v.abstain, "vote.abstain")?,
        without_vote: v.without_vote,
    }))
}

fn resolution_to_proto(r: &Resolution) -> pb::Resolution {
    pb::Resolution {
        id: r.id.clone(),
        version: r.version,
        body: r.body.clone(),
        session: r.session.clone(),
        title: r.title.clone(),
        symbol: r.symbol.clone(),
        state: resolution_state_to_proto(r.state).into(),
        adopted_on: r.adopted_on.map(to_timestamp),
        vote: r.vote.map(|v| pb::Vote {
            yes: v.yes as i32,
            no: v.no as i32,
            abstain: v.abstain as i32,
            without_vote: v.without_vote,
        }),
        stamp: Some(pb::Stamp {
            created_by: r.created_by.clone(),
            created_at: Some(to_timestamp(r.created_at)),
            updated_by: r.updated_by.clone(),
            updated_at: Some(to_timestamp(r.updated_at)),
        }),
    }
}

fn comparison_to_proto(c: &Comparison) -> pb::Comparison {
    pb::Comparison {
        proposed_words: c.proposed_words as i32,
        kept_words: c.kept_words as i32,
        kept_percent: c.kept_percent as i32,
        segments: c
            .segments
            .iter()
            .map(|s| pb::TextSegment {
                op: match s.op {
                    Op::Kept => pb::SegmentOp::Kept,
                    Op::Dropped => pb::SegmentOp::Dropped,
                    Op::Added => pb::SegmentOp::Added,
                }
                .into(),
                text: s.text.clone(),
            })
            .collect(),
    }
}

fn amendment_to_proto(a: &Amendment) -> pb::Amendment {
    pb::Amendment {
        id: a.id.clone(),
        version: a.version,
        resolution_id: a.resolution_id.clone(),
        paragraph_kind: paragraph_kind_to_proto(a.paragraph_kind).into(),
        paragraph_number: a.paragraph_number as i32,
        proposed_text: a.proposed_text.clone(),
        rationale: a.rationale.clone(),
        evidence: a.evidence.clone(),
        lobbied: a.lobbied.clone(),
        status: amendment_status_to_proto(a.status).into(),
        adopted_text: a.adopted_text.clone(),
        comparison: a.comparison.as_ref().map(comparison_to_proto),
        classification: Some(a.classification.to_proto()),
        stamp: Some(pb::Stamp {
            created_by: a.created_by.clone(),
            created_at: Some(to_timestamp(a.created_at)),
            updated_by: a.updated_by.clone(),
            updated_at: Some(to_timestamp(a.updated_at)),
        }),
    }
}

fn publication_to_proto(p: &Publication) -> pb::Publication {
    pb::Publication {
        id: p.id.clone(),
        version: p.version,
        title: p.title.clone(),
        kind: publication_kind_to_proto(p.kind).into(),
        contracted_by: p.contracted_by.clone().unwrap_or_default(),
        published_on: Some(to_timestamp(p.published_on)),
        url: p.url.clone(),
        classification: Some(p.classification.to_proto()),
        stamp: Some(pb::Stamp {
            created_by: p.created_by.clone(),
            created_at: Some(to_timestamp(p.created_at)),
            updated_by: p.created_by.clone(),
            updated_at: Some(to_timestamp(p.created_at)),
        }),
    }
}

advocacy_platform::enum_mapping!(
    kind_of,
    kind_to_proto,
    pb::SubmissionKind,
    Kind,
    "a submission kind",
    [
        UprStakeholderReport,
        SpecialProceduresCommunication,
        CallForInputAnswer,
        TreatyBodyReport,
        WgeidPetition,
        SanctionsPackage,
        Statement
    ]
);

advocacy_platform::enum_mapping!(
    status_of,
    status_to_proto,
    pb::SubmissionStatus,
    SubmissionStatus,
    "a submission status",
    [Draft, Submitted, Acknowledged, Published, Cited, Withdrawn]
);

advocacy_platform::enum_mapping!(
    resolution_state_of,
    resolution_state_to_proto,
    pb::ResolutionState,
    ResolutionState,
    "a resolution state",
    [Draft, Tabled, Adopted, Rejected]
);

advocacy_platform::enum_mapping!(
    paragraph_kind_of,
    paragraph_kind_to_proto,
    pb::ParagraphKind,
    ParagraphKind,
    "a paragraph kind (preambular or operative)",
    [Preambular, Operative]
);

advocacy_platform::enum_mapping!(
    amendment_status_of,
    amendment_status_to_proto,
    pb::AmendmentStatus,
    AmendmentStatus,
    "an amendment status",
    [Proposed, Tabled, Adopted, AdoptedInPart, Rejected, Withdrawn]
);

advocacy_platform::enum_mapping!(
    publication_kind_of,
    publication_kind_to_proto,
    pb::PublicationKind,
    PublicationKind,
    "a publication kind",
    [InvestigativeReport, GovernmentContractedReport, DatabaseRelease, Brief]
);
