//! Submissions from and to the wire: checked requests, answers.

use chrono::{DateTime, Utc};

use advocacy_platform::limits;
use advocacy_platform::time::to_timestamp;
use advocacy_platform::{Classification, FieldViolation, FieldViolations};
use advocacy_proto::v1 as pb;

use crate::domain::{self, Kind, NewSubmission, Status as SubmissionStatus, Submission};

use super::{incomplete, parse_country, past_time};

pub(super) fn parse_mechanism(code: &str) -> Result<String, FieldViolation> {
    limits::mechanism("mechanism", code).map(|m| m.code.to_owned())
}

pub(super) fn parse_create(
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

pub(super) fn parse_word_count(words: i32) -> Result<u32, FieldViolation> {
    u32::try_from(words)
        .ok()
        .filter(|w| *w <= 1_000_000)
        .ok_or_else(|| FieldViolation::new("word_count", "must be 0 to 1,000,000"))
}

pub(super) fn to_proto(s: &Submission) -> pb::Submission {
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

advocacy_platform::enum_mapping!(
    pub(super) kind_of,
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
    pub(super) status_of,
    status_to_proto,
    pb::SubmissionStatus,
    SubmissionStatus,
    "a submission status",
    [Draft, Submitted, Acknowledged, Published, Cited, Withdrawn]
);
