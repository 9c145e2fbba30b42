//! Submissions to UN mechanisms on the pages: those recorded, a page at a time, each with
//! its word rule and status; recording a new one; recording its status changes.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Serialize;

use advocacy_proto::v1 as pb;

use super::session::{Posted, Visitor};
use super::{Problems, Web, choices, chosen, field, is_restricted, items, page_of, query, restricted_to, short_name};

const PAGE: i32 = 50;
const KIND_PREFIX: &str = "SUBMISSION_KIND_";
const KINDS: [pb::SubmissionKind; 7] = [
    pb::SubmissionKind::UprStakeholderReport,
    pb::SubmissionKind::SpecialProceduresCommunication,
    pb::SubmissionKind::CallForInputAnswer,
    pb::SubmissionKind::TreatyBodyReport,
    pb::SubmissionKind::WgeidPetition,
    pb::SubmissionKind::SanctionsPackage,
    pb::SubmissionKind::Statement,
];
const STATUS_PREFIX: &str = "SUBMISSION_STATUS_";
const STATUSES: [pb::SubmissionStatus; 6] = [
    pb::SubmissionStatus::Draft,
    pb::SubmissionStatus::Submitted,
    pb::SubmissionStatus::Acknowledged,
    pb::SubmissionStatus::Published,
    pb::SubmissionStatus::Withdrawn,
    pb::SubmissionStatus::Cited,
];

#[derive(Serialize)]
struct Row {
    id: String,
    version: i64,
    title: String,
    mechanism: String,
    kind: String,
    country: String,
    status: String,
    words: i32,
    /// The mechanism's limit when the text is over it.
    over: Option<i32>,
    restricted: bool,
    history: Vec<String>,
}

fn field_of(violated: &str) -> Option<&'static str> {
    Some(match violated {
        "title" => "title",
        "mechanism" => "mechanism",
        "kind" => "kind",
        "country" => "country",
        "word_count" => "word_count",
        "document_url" => "document_url",
        "document_sha256" => "document_sha256",
        f if f.starts_with("themes") => "themes",
        f if f.starts_with("classification") => "compartment",
        _ => return None,
    })
}

async fn show(
    web: &Web,
    visitor: &Visitor,
    page: &str,
    form: &BTreeMap<String, String>,
    problems: &Problems,
) -> Response {
    let t = web.catalogs.of(visitor.language);
    let listed = async {
        web.submissions(visitor)?
            .list_submissions(pb::ListSubmissionsRequest {
                page_size: PAGE,
                page_token: page.to_owned(),
                ..Default::default()
            })
            .await
    };
    let found = match listed.await {
        Ok(found) => found.into_inner(),
        Err(status) => return web.problem(visitor, &status),
    };
    let zone = visitor.zone(web);
    let rows: Vec<Row> = found
        .submissions
        .into_iter()
        .map(|s| Row {
            kind: t.word(&format!("value.{}", short_name(s.kind().as_str_name(), KIND_PREFIX))),
            status: t.word(&format!("value.{}", short_name(s.status().as_str_name(), STATUS_PREFIX))),
            over: s.word_rule.as_ref().filter(|r| r.exceeded).map(|r| r.limit),
            restricted: is_restricted(&s.classification),
            history: s
                .history
                .iter()
                .map(|h| {
                    let at =
                        super::moment(&h.at).map(|at| advocacy_platform::language::day(at, zone, visitor.language));
                    let status = t.word(&format!("value.{}", short_name(h.status().as_str_name(), STATUS_PREFIX)));
                    format!("{status}, {} ({})", at.unwrap_or_default(), h.by)
                })
                .collect(),
            id: s.id,
            version: s.version,
            title: s.title,
            mechanism: s.mechanism,
            country: s.country,
            words: s.word_count,
        })
        .collect();
    let mut values = form.clone();
    values.entry("request_id".into()).or_insert_with(|| uuid::Uuid::now_v7().to_string());
    let next = (!found.next_page_token.is_empty())
        .then(|| format!("/submissions?{}", query(&[("page", &found.next_page_token)])));
    let ctx = minijinja::context! {
        rows => rows,
        next => next,
        form => values,
        problems => problems,
        kinds => choices(KINDS.iter().map(|k| k.as_str_name()), KIND_PREFIX, &t),
        statuses => choices(STATUSES.iter().map(|s| s.as_str_name()), STATUS_PREFIX, &t),
        compartments => visitor.person.compartments.iter().collect::<Vec<_>>(),
        change_id => uuid::Uuid::now_v7().to_string(),
    };
    web.render("submissions.html", visitor.language, Some(visitor), ctx)
}

pub async fn page(State(web): State<Web>, visitor: Visitor, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let page = page_of(&pairs);
    show(&web, &visitor, page, &BTreeMap::new(), &Problems::default()).await
}

pub async fn create(State(web): State<Web>, Posted { visitor, form }: Posted) -> Response {
    let words = field(&form, "word_count");
    let Ok(word_count) = (if words.is_empty() { Ok(0) } else { words.parse::<i32>() }) else {
        return show(&web, &visitor, "", &form, &Problems::field("word_count", "is a whole number of words")).await;
    };
    let request = pb::CreateSubmissionRequest {
        request_id: field(&form, "request_id").to_owned(),
        title: field(&form, "title").to_owned(),
        mechanism: field(&form, "mechanism").to_owned(),
        kind: chosen(KIND_PREFIX, field(&form, "kind"), pb::SubmissionKind::from_str_name).into(),
        country: field(&form, "country").to_owned(),
        document_url: field(&form, "document_url").to_owned(),
        document_sha256: field(&form, "document_sha256").to_owned(),
        word_count,
        themes: items(field(&form, "themes")),
        classification: restricted_to(field(&form, "compartment")),
        ..Default::default()
    };
    let done = async { web.submissions(&visitor)?.create_submission(request).await }.await;
    web.made(&visitor, done, "/submissions", field_of, |problems| {
        let (web, visitor, form) = (&web, &visitor, &form);
        async move { show(web, visitor, "", form, &problems).await }
    })
    .await
}

pub async fn status(State(web): State<Web>, Path(id): Path<String>, Posted { visitor, form }: Posted) -> Response {
    let request = pb::RecordSubmissionStatusRequest {
        request_id: field(&form, "request_id").to_owned(),
        id,
        expected_version: field(&form, "version").parse().unwrap_or(0),
        status: chosen(STATUS_PREFIX, field(&form, "status"), pb::SubmissionStatus::from_str_name).into(),
        at: None,
        note: field(&form, "note").to_owned(),
    };
    let done = async { web.submissions(&visitor)?.record_submission_status(request).await }.await;
    web.back_to(&visitor, done, "/submissions")
}
