//! Upcoming deadlines, the visitor's own first, each in their zone and in the issuing
//! body's; adding one, moving one and marking one done.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Serialize;

use advocacy_platform::language::{span, when};
use advocacy_proto::v1 as pb;

use super::session::{Posted, Visitor};
use super::{Problems, Web, choices, chosen, field, is_restricted, local_when, page_of, restricted_to};

/// The visitor's own deadlines listed at the top (all, up to this many), and everyone
/// else's per page.
const MINE: usize = 2_000;
const PAGE: i32 = 50;

const KIND_PREFIX: &str = "DEADLINE_KIND_";
const KINDS: [pb::DeadlineKind; 7] = [
    pb::DeadlineKind::UprStakeholderSubmission,
    pb::DeadlineKind::UprPreSession,
    pb::DeadlineKind::SpecialProceduresCallForInput,
    pb::DeadlineKind::HrcSession,
    pb::DeadlineKind::TreatyBody,
    pb::DeadlineKind::FollowUp,
    pb::DeadlineKind::Other,
];

#[derive(Serialize)]
struct Row {
    id: String,
    version: i64,
    title: String,
    mechanism: String,
    /// The issuing body's zone, which a move is typed in.
    zone: String,
    mine: bool,
    due_mine: String,
    due_body: String,
    left: String,
    overdue: bool,
    restricted: bool,
}

fn field_of(violated: &str) -> Option<&'static str> {
    Some(match violated {
        f if f.starts_with("due.zone") => "zone",
        f if f.starts_with("due") => "due",
        "title" => "title",
        "mechanism" => "mechanism",
        "kind" => "kind",
        "source_url" => "source_url",
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
    let now = web.clock.now();
    // The visitor's own first (all of them, on the first page), then everyone's a page at
    // a time.
    let listed = async {
        let mut client = web.deadlines(visitor)?;
        let open = vec![pb::DeadlineStatus::Open.into()];
        let mut mine = Vec::new();
        let mut token = String::new();
        while page.is_empty() && mine.len() < MINE {
            let request = pb::ListDeadlinesRequest {
                statuses: open.clone(),
                owner: visitor.person.email.clone(),
                page_size: 500,
                page_token: token,
                ..Default::default()
            };
            let found = client.list_deadlines(request).await?.into_inner();
            mine.extend(found.deadlines);
            if found.next_page_token.is_empty() {
                break;
            }
            token = found.next_page_token;
        }
        let request = pb::ListDeadlinesRequest {
            statuses: open,
            page_size: PAGE,
            page_token: page.to_owned(),
            ..Default::default()
        };
        let others = client.list_deadlines(request).await?.into_inner();
        Ok::<_, tonic::Status>((mine, others))
    };
    let (mine, others) = match listed.await {
        Ok(found) => found,
        Err(status) => return web.problem(visitor, &status),
    };
    let next = (!others.next_page_token.is_empty())
        .then(|| format!("/deadlines?{}", super::query(&[("page", &others.next_page_token)])));
    let deadlines = mine.into_iter().chain(
        others
            .deadlines
            .into_iter()
            .filter(|d| !d.owners.iter().any(|o| o.eq_ignore_ascii_case(&visitor.person.email))),
    );
    let zone = visitor.zone(web);
    let mut rows: Vec<(bool, i64, Row)> = deadlines
        .filter_map(|d| {
            let due = super::moment(&d.due)?;
            let body_zone: chrono_tz::Tz = d.zone.parse().unwrap_or(chrono_tz::UTC);
            let mine = d.owners.iter().any(|o| o.eq_ignore_ascii_case(&visitor.person.email));
            let restricted = is_restricted(&d.classification);
            Some((
                !mine,
                due.timestamp(),
                Row {
                    id: d.id,
                    version: d.version,
                    title: d.title,
                    mechanism: d.mechanism,
                    zone: d.zone.clone(),
                    mine,
                    due_mine: when(due, zone, visitor.language),
                    due_body: when(due, body_zone, visitor.language),
                    left: span(due - now, visitor.language),
                    overdue: due <= now,
                    restricted,
                },
            ))
        })
        .collect();
    rows.sort_by_key(|(not_mine, due, _)| (*not_mine, *due));
    let kinds = choices(KINDS.iter().map(|k| k.as_str_name()), KIND_PREFIX, &t);
    let mut values = form.clone();
    values.entry("request_id".into()).or_insert_with(|| uuid::Uuid::now_v7().to_string());
    let ctx = minijinja::context! {
        rows => rows.into_iter().map(|(_, _, r)| r).collect::<Vec<_>>(),
        form => values,
        problems => problems,
        kinds => kinds,
        compartments => visitor.person.compartments.iter().collect::<Vec<_>>(),
        zone => zone.name(),
        move_id => uuid::Uuid::now_v7().to_string(),
        next => next,
    };
    web.render("deadlines.html", visitor.language, Some(visitor), ctx)
}

pub async fn page(State(web): State<Web>, visitor: Visitor, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let page = page_of(&pairs);
    show(&web, &visitor, page, &BTreeMap::new(), &Problems::default()).await
}

pub async fn create(State(web): State<Web>, Posted { visitor, form }: Posted) -> Response {
    let kind = chosen(KIND_PREFIX, field(&form, "kind"), pb::DeadlineKind::from_str_name);
    let request = pb::CreateDeadlineRequest {
        request_id: field(&form, "request_id").to_owned(),
        title: field(&form, "title").to_owned(),
        mechanism: field(&form, "mechanism").to_owned(),
        kind: kind.into(),
        due: Some(local_when(field(&form, "due"), field(&form, "zone"))),
        source_url: field(&form, "source_url").to_owned(),
        classification: restricted_to(field(&form, "compartment")),
        ..Default::default()
    };
    let done = async { web.deadlines(&visitor)?.create_deadline(request).await }.await;
    web.made(&visitor, done, "/deadlines", field_of, |problems| {
        let (web, visitor, form) = (&web, &visitor, &form);
        async move { show(web, visitor, "", form, &problems).await }
    })
    .await
}

fn version_of(form: &BTreeMap<String, String>) -> i64 {
    field(form, "version").parse().unwrap_or(0)
}

pub async fn complete(State(web): State<Web>, Path(id): Path<String>, Posted { visitor, form }: Posted) -> Response {
    let request = pb::CompleteDeadlineRequest {
        request_id: field(&form, "request_id").to_owned(),
        id,
        expected_version: version_of(&form),
        completed_at: None,
    };
    let done = async { web.deadlines(&visitor)?.complete_deadline(request).await }.await;
    web.back_to(&visitor, done, "/deadlines")
}

pub async fn moved(State(web): State<Web>, Path(id): Path<String>, Posted { visitor, form }: Posted) -> Response {
    let request = pb::MoveDeadlineRequest {
        request_id: field(&form, "request_id").to_owned(),
        id,
        expected_version: version_of(&form),
        due: Some(local_when(field(&form, "due"), field(&form, "zone"))),
        reason: field(&form, "reason").to_owned(),
    };
    let done = async { web.deadlines(&visitor)?.move_deadline(request).await }.await;
    web.back_to(&visitor, done, "/deadlines")
}
