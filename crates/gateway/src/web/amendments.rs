//! Resolution amendments on the pages: proposing one to a resolution of the registry,
//! recording its outcome, and the word-by-word comparison of our text with the adopted one.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Serialize;

use advocacy_proto::v1 as pb;

use super::session::{Posted, Visitor};
use super::{
    Choice, Problems, Web, choices, chosen, field, is_restricted, items, page_of, query, restricted_to, short_name,
};

const PAGE: i32 = 50;
const STATUS_PREFIX: &str = "AMENDMENT_STATUS_";
const OUTCOMES: [pb::AmendmentStatus; 5] = [
    pb::AmendmentStatus::Tabled,
    pb::AmendmentStatus::Adopted,
    pb::AmendmentStatus::AdoptedInPart,
    pb::AmendmentStatus::Rejected,
    pb::AmendmentStatus::Withdrawn,
];
const PARAGRAPH_PREFIX: &str = "PARAGRAPH_KIND_";
const PARAGRAPHS: [pb::ParagraphKind; 2] = [pb::ParagraphKind::Preambular, pb::ParagraphKind::Operative];

#[derive(Serialize)]
struct Segment {
    /// `kept`, `dropped` or `added`.
    op: &'static str,
    text: String,
}

#[derive(Serialize)]
struct Row {
    id: String,
    version: i64,
    resolution: String,
    paragraph: String,
    proposed: String,
    status: String,
    restricted: bool,
    /// "kept 12 of 20 words (60%)", once there is an adopted text.
    kept: Option<String>,
    segments: Vec<Segment>,
}

fn field_of(violated: &str) -> Option<&'static str> {
    Some(match violated {
        "resolution_id" => "resolution_id",
        "paragraph_kind" => "paragraph_kind",
        "paragraph_number" => "paragraph_number",
        "proposed_text" => "proposed_text",
        "rationale" => "rationale",
        f if f.starts_with("lobbied") => "lobbied",
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
    let asked = async {
        let mut client = web.submissions(visitor)?;
        let resolutions =
            client.list_resolutions(pb::ListResolutionsRequest::default()).await?.into_inner().resolutions;
        let request = pb::ListAmendmentsRequest { page_size: PAGE, page_token: page.to_owned(), ..Default::default() };
        let amendments = client.list_amendments(request).await?.into_inner();
        Ok::<_, tonic::Status>((resolutions, amendments))
    };
    let (resolutions, found) = match asked.await {
        Ok(found) => found,
        Err(status) => return web.problem(visitor, &status),
    };
    let named: HashMap<&str, String> =
        resolutions.iter().map(|r| (r.id.as_str(), format!("{} — {} ({})", r.symbol, r.title, r.session))).collect();
    let rows: Vec<Row> = found
        .amendments
        .iter()
        .map(|a| Row {
            id: a.id.clone(),
            version: a.version,
            resolution: named.get(a.resolution_id.as_str()).cloned().unwrap_or_else(|| a.resolution_id.clone()),
            paragraph: format!(
                "{} {}",
                t.word(&format!("value.{}", short_name(a.paragraph_kind().as_str_name(), PARAGRAPH_PREFIX))),
                a.paragraph_number
            ),
            proposed: a.proposed_text.clone(),
            status: t.word(&format!("value.{}", short_name(a.status().as_str_name(), STATUS_PREFIX))),
            restricted: is_restricted(&a.classification),
            kept: a.comparison.as_ref().map(|c| {
                t.word("kept_words")
                    .replace("{kept}", &c.kept_words.to_string())
                    .replace("{of}", &c.proposed_words.to_string())
                    .replace("{percent}", &c.kept_percent.to_string())
            }),
            segments: a
                .comparison
                .iter()
                .flat_map(|c| &c.segments)
                .map(|s| Segment {
                    op: match s.op() {
                        pb::SegmentOp::Dropped => "dropped",
                        pb::SegmentOp::Added => "added",
                        _ => "kept",
                    },
                    text: s.text.clone(),
                })
                .collect(),
        })
        .collect();
    let mut values = form.clone();
    values.entry("request_id".into()).or_insert_with(|| uuid::Uuid::now_v7().to_string());
    let next = (!found.next_page_token.is_empty())
        .then(|| format!("/amendments?{}", query(&[("page", &found.next_page_token)])));
    let resolution_choices: Vec<Choice> =
        resolutions.iter().map(|r| Choice { value: r.id.clone(), label: named[r.id.as_str()].clone() }).collect();
    let ctx = minijinja::context! {
        rows => rows,
        next => next,
        form => values,
        problems => problems,
        resolutions => resolution_choices,
        paragraphs => choices(PARAGRAPHS.iter().map(|p| p.as_str_name()), PARAGRAPH_PREFIX, &t),
        outcomes => choices(OUTCOMES.iter().map(|s| s.as_str_name()), STATUS_PREFIX, &t),
        compartments => visitor.person.compartments.iter().collect::<Vec<_>>(),
        change_id => uuid::Uuid::now_v7().to_string(),
    };
    web.render("amendments.html", visitor.language, Some(visitor), ctx)
}

pub async fn page(State(web): State<Web>, visitor: Visitor, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let page = page_of(&pairs);
    show(&web, &visitor, page, &BTreeMap::new(), &Problems::default()).await
}

pub async fn propose(State(web): State<Web>, Posted { visitor, form }: Posted) -> Response {
    let Ok(number) = field(&form, "paragraph_number").parse::<i32>() else {
        return show(&web, &visitor, "", &form, &Problems::field("paragraph_number", "is a paragraph number")).await;
    };
    let request = pb::ProposeAmendmentRequest {
        request_id: field(&form, "request_id").to_owned(),
        resolution_id: field(&form, "resolution_id").to_owned(),
        paragraph_kind: chosen(PARAGRAPH_PREFIX, field(&form, "paragraph_kind"), pb::ParagraphKind::from_str_name)
            .into(),
        paragraph_number: number,
        proposed_text: field(&form, "proposed_text").to_owned(),
        rationale: field(&form, "rationale").to_owned(),
        lobbied: items(field(&form, "lobbied")),
        classification: restricted_to(field(&form, "compartment")),
        ..Default::default()
    };
    let done = async { web.submissions(&visitor)?.propose_amendment(request).await }.await;
    web.made(&visitor, done, "/amendments", field_of, |problems| {
        let (web, visitor, form) = (&web, &visitor, &form);
        async move { show(web, visitor, "", form, &problems).await }
    })
    .await
}

pub async fn outcome(State(web): State<Web>, Path(id): Path<String>, Posted { visitor, form }: Posted) -> Response {
    let request = pb::RecordAmendmentOutcomeRequest {
        request_id: field(&form, "request_id").to_owned(),
        id,
        expected_version: field(&form, "version").parse().unwrap_or(0),
        status: chosen(STATUS_PREFIX, field(&form, "status"), pb::AmendmentStatus::from_str_name).into(),
        adopted_text: field(&form, "adopted_text").to_owned(),
    };
    let done = async { web.submissions(&visitor)?.record_amendment_outcome(request).await }.await;
    web.back_to(&visitor, done, "/amendments")
}
