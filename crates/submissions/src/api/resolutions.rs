//! Resolutions and amendments from and to the wire: checked requests, answers.

use chrono::{DateTime, Utc};

use advocacy_platform::limits;
use advocacy_platform::time::to_timestamp;
use advocacy_platform::{Classification, FieldViolation, FieldViolations};
use advocacy_proto::v1 as pb;

use crate::domain;
use crate::domain::compare::{Comparison, Op};
use crate::domain::resolutions::{
    self as res, Amendment, AmendmentEdit, AmendmentStatus, NewAmendment, NewResolution, ParagraphKind, Resolution,
    ResolutionState, Vote,
};
use crate::service::ImportedAmendment;

use super::{incomplete, past_time};

pub(super) fn parse_resolution(
    body: &str,
    session: &str,
    title: &str,
    symbol: &str,
) -> Result<NewResolution, FieldViolations> {
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
pub(super) fn parse_propose(
    r: &pb::ProposeAmendmentRequest,
    by_id: bool,
) -> Result<(String, NewAmendment), FieldViolations> {
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
pub(super) fn parse_amendment_content(
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
pub(super) fn parse_imported_amendment(
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

/// A body of the catalog (UN-HRC, EU-EP) or a country, for its national parliament.
pub(super) fn parse_body(code: &str) -> Result<String, FieldViolation> {
    let code = code.trim();
    advocacy_catalog::actor(code).map(|_| code.to_owned()).ok_or_else(|| {
        FieldViolation::new(
            "body",
            format!("{code:.20} is neither a body code of the catalog (UN-HRC, UN-GA3, EU-EP) nor a country code"),
        )
    })
}

pub(super) fn required_text(field: &str, value: &str) -> Result<String, FieldViolation> {
    let text = limits::optional_text(field, value, res::MAX_TEXT_CHARS)?;
    if text.is_empty() { Err(FieldViolation::new(field, "is required")) } else { Ok(text) }
}

pub(super) fn parse_vote(vote: Option<&pb::Vote>) -> Result<Option<Vote>, FieldViolation> {
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

pub(super) fn resolution_to_proto(r: &Resolution) -> pb::Resolution {
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

pub(super) fn comparison_to_proto(c: &Comparison) -> pb::Comparison {
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

pub(super) fn amendment_to_proto(a: &Amendment) -> pb::Amendment {
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

advocacy_platform::enum_mapping!(
    pub(super) resolution_state_of,
    resolution_state_to_proto,
    pb::ResolutionState,
    ResolutionState,
    "a resolution state",
    [Draft, Tabled, Adopted, Rejected]
);

advocacy_platform::enum_mapping!(
    pub(super) paragraph_kind_of,
    paragraph_kind_to_proto,
    pb::ParagraphKind,
    ParagraphKind,
    "a paragraph kind (preambular or operative)",
    [Preambular, Operative]
);

advocacy_platform::enum_mapping!(
    pub(super) amendment_status_of,
    amendment_status_to_proto,
    pb::AmendmentStatus,
    AmendmentStatus,
    "an amendment status",
    [Proposed, Tabled, Adopted, AdoptedInPart, Rejected, Withdrawn]
);
