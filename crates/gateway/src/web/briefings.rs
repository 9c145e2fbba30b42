//! Logging a briefing in one form: the institution suggested as it is typed (the browser's
//! own list, no script needed), when and where, what was asked and said, and a follow-up.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::HeaderMap;
use serde::Serialize;

use advocacy_proto::v1 as pb;

use super::session::Visitor;
use super::{Problems, Web, choices, chosen, field, items, local_when, refused_input, restricted_to};

/// Institutions offered as suggestions; beyond this, typing the exact name still works
/// (a posted form is looked up among all of them).
const MAX_SUGGESTED: usize = 2_000;

/// Contacts one form may name (the service's own limit is lower; more are not read).
const MAX_CONTACTS: usize = 100;
const FORMAT_PREFIX: &str = "BRIEFING_FORMAT_";
const FORMATS: [pb::BriefingFormat; 4] = [
    pb::BriefingFormat::InPerson,
    pb::BriefingFormat::Virtual,
    pb::BriefingFormat::Written,
    pb::BriefingFormat::SideEvent,
];

/// How an institution is written in the form: its name and its actor.
fn written(i: &pb::Institution) -> String {
    format!("{} ({})", i.name, i.actor)
}

/// The form field a violation of `LogBriefingRequest` belongs beside.
fn field_of(violated: &str) -> Option<&'static str> {
    Some(match violated {
        // The follow-up's time is in the briefing's zone: one zone field for both.
        f if f.starts_with("follow_ups[0].due.zone") => "zone",
        f if f.starts_with("follow_ups[0].due") => "follow_up_due",
        f if f.starts_with("follow_ups") => "follow_up_action",
        f if f.starts_with("at.zone") => "zone",
        f if f.starts_with("at") => "at",
        f if f.starts_with("institution") => "institution",
        f if f.starts_with("classification") => "compartment",
        "city" => "city",
        "format" => "format",
        "summary" => "summary",
        "outcome" => "outcome",
        f if f.starts_with("themes") => "themes",
        f if f.starts_with("asks") => "asks",
        f if f.starts_with("contact_ids") => "contacts",
        _ => return None,
    })
}

/// The registry's institutions, `most` of them (the form's suggestions) or all (to find
/// the one a posted form names).
async fn institutions(
    web: &Web,
    visitor: &Visitor,
    most: Option<usize>,
) -> Result<Vec<pb::Institution>, tonic::Status> {
    let mut client = web.briefings(visitor)?;
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_institutions(pb::ListInstitutionsRequest { page_size: 500, page_token: token, ..Default::default() })
            .await?
            .into_inner();
        all.extend(page.institutions);
        if page.next_page_token.is_empty() || most.is_some_and(|most| all.len() >= most) {
            return Ok(all);
        }
        token = page.next_page_token;
    }
}

/// A contact offered in the form, ticked if chosen.
#[derive(Serialize)]
struct Offered {
    id: String,
    name: String,
    role: String,
    chosen: bool,
}

/// What the form shows besides its fields: the institution's contacts once asked for.
#[derive(Default)]
struct Extra<'a> {
    logged: Option<&'a str>,
    contacts: Vec<pb::Contact>,
    chosen: Vec<String>,
}

async fn show(
    web: &Web,
    visitor: &Visitor,
    form: &BTreeMap<String, String>,
    problems: &Problems,
    extra: Extra<'_>,
) -> Response {
    let t = web.catalogs.of(visitor.language);
    let suggested = match institutions(web, visitor, Some(MAX_SUGGESTED)).await {
        Ok(found) => found,
        Err(status) => return web.problem(visitor, &status),
    };
    let formats = choices(FORMATS.iter().map(|f| f.as_str_name()), FORMAT_PREFIX, &t);
    let mut values = form.clone();
    values.entry("request_id".into()).or_insert_with(|| uuid::Uuid::now_v7().to_string());
    values.entry("zone".into()).or_insert_with(|| visitor.zone(web).name().to_owned());
    let ctx = minijinja::context! {
        form => values,
        problems => problems,
        institutions => suggested.iter().map(written).collect::<Vec<_>>(),
        formats => formats,
        compartments => visitor.person.compartments.iter().collect::<Vec<_>>(),
        logged => extra.logged,
        contacts => extra.contacts.iter().map(|c| Offered {
            id: c.id.clone(),
            name: c.name.clone(),
            role: c.role.clone(),
            chosen: extra.chosen.contains(&c.id),
        }).collect::<Vec<_>>(),
        // Chosen before, at an institution not shown now: kept as they were.
        kept => extra.chosen.iter().filter(|id| !extra.contacts.iter().any(|c| &c.id == *id)).collect::<Vec<_>>(),
    };
    web.render("briefing_form.html", visitor.language, Some(visitor), ctx)
}

pub async fn form(State(web): State<Web>, visitor: Visitor, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let logged = pairs.iter().find(|(k, _)| k == "logged").map(|(_, v)| v.as_str());
    show(&web, &visitor, &BTreeMap::new(), &Problems::default(), Extra { logged, ..Extra::default() }).await
}

/// The institution the form names: "Name (ACTOR)" as suggested, or a name only one
/// institution has.
fn institution_of<'a>(
    form: &BTreeMap<String, String>,
    known: &'a [pb::Institution],
) -> Result<&'a pb::Institution, Problems> {
    let typed = field(form, "institution");
    known
        .iter()
        .find(|i| written(i) == typed)
        .or_else(|| {
            let mut named = known.iter().filter(|i| i.name.eq_ignore_ascii_case(typed));
            match (named.next(), named.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        })
        .ok_or_else(|| {
            let message = if typed.is_empty() { "is required" } else { "is not an institution of the registry" };
            Problems::field("institution", message)
        })
}

/// The form as the request the service takes; a problem of the form itself (an unknown
/// institution) before any call.
fn request_of(
    form: &BTreeMap<String, String>,
    contact_ids: &[String],
    known: &[pb::Institution],
) -> Result<pb::LogBriefingRequest, Problems> {
    let institution = institution_of(form, known)?;
    let zone = field(form, "zone");
    let list = |name: &str| -> Vec<String> { items(field(form, name)) };
    let format = chosen(FORMAT_PREFIX, field(form, "format"), pb::BriefingFormat::from_str_name);
    let follow_ups = match (field(form, "follow_up_action"), field(form, "follow_up_due")) {
        ("", "") => vec![],
        (action, due) => vec![pb::FollowUpInput {
            action: action.to_owned(),
            owner: String::new(),
            due: (!due.is_empty()).then(|| local_when(due, zone)),
        }],
    };
    Ok(pb::LogBriefingRequest {
        request_id: field(form, "request_id").to_owned(),
        at: Some(local_when(field(form, "at"), zone)),
        city: field(form, "city").to_owned(),
        format: format.into(),
        institution_ids: vec![institution.id.clone()],
        themes: list("themes"),
        asks: list("asks"),
        summary: field(form, "summary").to_owned(),
        outcome: field(form, "outcome").to_owned(),
        follow_ups,
        classification: restricted_to(field(form, "compartment")),
        contact_ids: contact_ids.to_vec(),
        ..Default::default()
    })
}

pub async fn log(State(web): State<Web>, headers: HeaderMap, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    // Contacts are ticked boxes of one name; every other field is one value.
    let contact_ids: Vec<String> =
        pairs.iter().filter(|(k, _)| k == "contact_ids").map(|(_, v)| v.clone()).take(MAX_CONTACTS).collect();
    let form: BTreeMap<String, String> = pairs.into_iter().filter(|(k, _)| k != "contact_ids").collect();
    let visitor = match web.poster(&headers, &form).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let known = match institutions(&web, &visitor, None).await {
        Ok(found) => found,
        Err(status) => return web.problem(&visitor, &status),
    };
    let extra = |contacts| Extra { contacts, chosen: contact_ids.clone(), ..Extra::default() };
    if form.contains_key("show_contacts") {
        // Without script the form asks for the institution's contacts in a step of its own;
        // the service shows them only to people holding the contacts compartment.
        let institution = match institution_of(&form, &known) {
            Ok(institution) => institution,
            Err(problems) => return show(&web, &visitor, &form, &problems, extra(vec![])).await,
        };
        let asked = async {
            web.briefings(&visitor)?
                .list_contacts(pb::ListContactsRequest { institution_id: institution.id.clone() })
                .await
        };
        return match asked.await {
            Ok(found) => show(&web, &visitor, &form, &Problems::default(), extra(found.into_inner().contacts)).await,
            Err(status) if status.code() == tonic::Code::PermissionDenied => {
                let problems = Problems::field("contacts", status.message());
                show(&web, &visitor, &form, &problems, extra(vec![])).await
            }
            Err(status) => web.problem(&visitor, &status),
        };
    }
    let request = match request_of(&form, &contact_ids, &known) {
        Ok(request) => request,
        Err(problems) => return show(&web, &visitor, &form, &problems, extra(vec![])).await,
    };
    let logged = async { web.briefings(&visitor)?.log_briefing(request).await };
    match logged.await {
        Ok(briefing) => {
            let to = format!("/briefings/new?{}", super::query(&[("logged", &briefing.into_inner().id)]));
            Redirect::to(&to).into_response()
        }
        Err(status) if refused_input(&status) => {
            show(&web, &visitor, &form, &Problems::of(&status, field_of), extra(vec![])).await
        }
        Err(status) => web.problem(&visitor, &status),
    }
}
