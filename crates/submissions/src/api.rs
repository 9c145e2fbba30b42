//! The gRPC face of the submissions service: check each request into domain values (every
//! bad field named), call the service, convert the answer; errors become statuses once,
//! in platform.

use tonic::{Request, Response, Status};

use advocacy_platform::error::{limits, to_status};
use advocacy_platform::page_token;
use advocacy_platform::time::{from_micros, optional_timestamp, to_micros, to_timestamp};
use advocacy_platform::{Caller, Classification, FieldViolation, FieldViolations};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::submissions_service_server::SubmissionsService;

use crate::domain::{self, Kind, NewSubmission, Status as SubmissionStatus, Submission};
use crate::error::SubmissionError;
use crate::service::Submissions;
use crate::store::SubmissionQuery;

#[derive(Debug, Clone)]
pub struct SubmissionsApi {
    submissions: Submissions,
}

impl SubmissionsApi {
    pub fn new(submissions: Submissions) -> Self {
        Self { submissions }
    }
}

fn status(e: SubmissionError) -> Status {
    to_status(&e)
}

/// The checked values, or every violation found.
fn checked<T>(violations: FieldViolations, values: Option<T>) -> Result<T, Status> {
    violations.into_result().map_err(|v| status(v.into()))?;
    values.ok_or_else(|| status(FieldViolation::new("request", "incomplete").into()))
}

#[tonic::async_trait]
impl SubmissionsService for SubmissionsApi {
    async fn create_submission(
        &self,
        request: Request<pb::CreateSubmissionRequest>,
    ) -> Result<Response<pb::Submission>, Status> {
        let caller = Caller::of(&request)?;
        let (request_id, new) = parse_create(request.get_ref()).map_err(status)?;
        let submission = self.submissions.create(&caller, &request_id, new).await.map_err(status)?;
        Ok(Response::new(to_proto(&submission)))
    }

    async fn get_submission(
        &self,
        request: Request<pb::GetSubmissionRequest>,
    ) -> Result<Response<pb::Submission>, Status> {
        let caller = Caller::of(&request)?;
        let id = parse_id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
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
        let kind = if r.kind == 0 { Some(None) } else { v.check(kind_of(r.kind)).map(Some) };
        let state = if r.status == 0 { Some(None) } else { v.check(status_of("status", r.status)).map(Some) };
        let country =
            if r.country.trim().is_empty() { Some(None) } else { v.check(parse_country(&r.country)).map(Some) };
        let size = v.check(match r.page_size {
            0 => Ok(50),
            n if (1..=500).contains(&n) => Ok(n as usize),
            _ => Err(FieldViolation::new("page_size", "must be 1 to 500")),
        });
        let after = if r.page_token.is_empty() {
            Some(None)
        } else {
            v.check(page_token::decode(&r.page_token).and_then(|(at, id)| {
                let micros = at
                    .parse()
                    .map_err(|_| FieldViolation::new("page_token", "is not a page token from a previous answer"))?;
                Ok(Some((from_micros(micros), id)))
            }))
        };
        let (((((mechanism, kind), state), country), size), after) =
            checked(v, mechanism.zip(kind).zip(state).zip(country).zip(size).zip(after))?;
        let query = SubmissionQuery { mechanism, kind, status: state, country, after, limit: size + 1 };
        let mut found = self.submissions.list(&caller, &query).await.map_err(status)?;
        let next_page_token = if found.len() > size {
            found.truncate(size);
            found.last().map(|s| page_token::encode(&to_micros(s.created_at).to_string(), &s.id)).unwrap_or_default()
        } else {
            String::new()
        };
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
        let id = v.check(parse_id("id", &r.id));
        let version = v.check(if r.expected_version < 1 {
            Err(FieldViolation::new("expected_version", "is required: send the version you read"))
        } else {
            Ok(r.expected_version)
        });
        let new_status = v.check(status_of("status", r.status));
        let at = v.check(optional_timestamp("at", r.at.as_ref()));
        let note = v.check(limits::optional_line("note", &r.note, 1_000));
        let (((((_, id), version), new_status), at), note) =
            checked(v, request_id.zip(id).zip(version).zip(new_status).zip(at).zip(note))?;
        let submission =
            self.submissions.record_status(&caller, &id, version, new_status, at, note).await.map_err(status)?;
        Ok(Response::new(to_proto(&submission)))
    }
}

fn parse_id(field: &str, id: &str) -> Result<String, FieldViolation> {
    uuid::Uuid::try_parse(id.trim()).map(|u| u.to_string()).map_err(|_| FieldViolation::new(field, "is not an id"))
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

/// A document's SHA-256 as 64 hexadecimal characters (lower-cased).
fn parse_sha256(value: &str) -> Result<String, FieldViolation> {
    let value = value.trim().to_lowercase();
    if value.is_empty() || (value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit())) {
        Ok(value)
    } else {
        Err(FieldViolation::new("document_sha256", "is not a SHA-256 digest (64 hexadecimal characters)"))
    }
}

fn lines(field: &str, values: &[String], max_chars: usize) -> Result<Vec<String>, FieldViolation> {
    if values.len() > domain::MAX_ITEMS {
        return Err(FieldViolation::new(field, format!("at most {} entries", domain::MAX_ITEMS)));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let value = limits::optional_line(&format!("{field}[{i}]"), value, max_chars)?;
        if !value.is_empty() && !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

fn parse_create(r: &pb::CreateSubmissionRequest) -> Result<(String, NewSubmission), SubmissionError> {
    let mut v = FieldViolations::new();
    let request_id = v.check(limits::request_id("request_id", &r.request_id));
    let title = v.check(limits::required_line("title", &r.title, domain::MAX_TITLE_CHARS));
    let mechanism = v.check(parse_mechanism(&r.mechanism));
    let kind = v.check(kind_of(r.kind));
    let country = v.check(parse_country(&r.country));
    let partners = v.check(lines("partners", &r.partners, 200));
    let deadline_id = v.check(if r.deadline_id.trim().is_empty() {
        Ok(None)
    } else {
        parse_id("deadline_id", &r.deadline_id).map(Some)
    });
    let document_url = v.check(limits::optional_url("document_url", &r.document_url));
    let document_sha256 = v.check(parse_sha256(&r.document_sha256));
    let word_count = v.check(if (0..=1_000_000).contains(&r.word_count) {
        Ok(r.word_count as u32)
    } else {
        Err(FieldViolation::new("word_count", "must be 0 to 1,000,000"))
    });
    let themes = v.check(lines("themes", &r.themes, 100).map(|t| t.into_iter().map(|t| t.to_lowercase()).collect()));
    let evidence = v.check(lines("evidence", &r.evidence, 100));
    // Sanctions packages are strictly confidential unless the request says otherwise.
    let default = match kind {
        Some(Kind::SanctionsPackage) => {
            Classification::Restricted { compartment: domain::SANCTIONS_COMPARTMENT.to_owned() }
        }
        _ => Classification::Internal,
    };
    let classification = v.check(Classification::parse("classification", r.classification.as_ref(), default));
    let initial = v.check(if r.status == 0 { Ok(SubmissionStatus::Draft) } else { status_of("status", r.status) });
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
        };
        Some((request_id?, new))
    })();
    parsed.ok_or_else(|| FieldViolation::new("request", "incomplete").into())
}

fn kind_of(kind: i32) -> Result<Kind, FieldViolation> {
    use pb::SubmissionKind as K;
    Ok(match K::try_from(kind) {
        Ok(K::UprStakeholderReport) => Kind::UprStakeholderReport,
        Ok(K::SpecialProceduresCommunication) => Kind::SpecialProceduresCommunication,
        Ok(K::CallForInputAnswer) => Kind::CallForInputAnswer,
        Ok(K::TreatyBodyReport) => Kind::TreatyBodyReport,
        Ok(K::WgeidPetition) => Kind::WgeidPetition,
        Ok(K::SanctionsPackage) => Kind::SanctionsPackage,
        Ok(K::Statement) => Kind::Statement,
        Ok(K::Unspecified) => return Err(FieldViolation::new("kind", "is required")),
        Err(_) => return Err(FieldViolation::new("kind", format!("{kind} is not a submission kind"))),
    })
}

fn kind_to_proto(kind: Kind) -> pb::SubmissionKind {
    use pb::SubmissionKind as K;
    match kind {
        Kind::UprStakeholderReport => K::UprStakeholderReport,
        Kind::SpecialProceduresCommunication => K::SpecialProceduresCommunication,
        Kind::CallForInputAnswer => K::CallForInputAnswer,
        Kind::TreatyBodyReport => K::TreatyBodyReport,
        Kind::WgeidPetition => K::WgeidPetition,
        Kind::SanctionsPackage => K::SanctionsPackage,
        Kind::Statement => K::Statement,
    }
}

fn status_of(field: &str, value: i32) -> Result<SubmissionStatus, FieldViolation> {
    use pb::SubmissionStatus as S;
    Ok(match S::try_from(value) {
        Ok(S::Draft) => SubmissionStatus::Draft,
        Ok(S::Submitted) => SubmissionStatus::Submitted,
        Ok(S::Acknowledged) => SubmissionStatus::Acknowledged,
        Ok(S::Published) => SubmissionStatus::Published,
        Ok(S::Cited) => SubmissionStatus::Cited,
        Ok(S::Withdrawn) => SubmissionStatus::Withdrawn,
        Ok(S::Unspecified) => return Err(FieldViolation::new(field, "is required")),
        Err(_) => return Err(FieldViolation::new(field, format!("{value} is not a submission status"))),
    })
}

fn status_to_proto(s: SubmissionStatus) -> pb::SubmissionStatus {
    use pb::SubmissionStatus as S;
    match s {
        SubmissionStatus::Draft => S::Draft,
        SubmissionStatus::Submitted => S::Submitted,
        SubmissionStatus::Acknowledged => S::Acknowledged,
        SubmissionStatus::Published => S::Published,
        SubmissionStatus::Cited => S::Cited,
        SubmissionStatus::Withdrawn => S::Withdrawn,
    }
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
