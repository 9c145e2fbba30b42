//! Publications from and to the wire: checked requests, answers.

use advocacy_platform::limits;
use advocacy_platform::time::{from_timestamp, to_timestamp};
use advocacy_platform::{Classification, FieldViolation, FieldViolations};
use advocacy_proto::v1 as pb;

use crate::domain;
use crate::domain::publications::{NewPublication, Publication, PublicationKind};

use super::{incomplete, parse_country};

pub(super) fn parse_publication(r: &pb::CreatePublicationRequest) -> Result<(String, NewPublication), FieldViolations> {
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

pub(super) fn publication_to_proto(p: &Publication) -> pb::Publication {
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
    pub(super) publication_kind_of,
    publication_kind_to_proto,
    pb::PublicationKind,
    PublicationKind,
    "a publication kind",
    [InvestigativeReport, GovernmentContractedReport, DatabaseRelease, Brief]
);
