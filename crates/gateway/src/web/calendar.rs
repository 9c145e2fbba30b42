//! A person's calendar subscription: a secret address for Outlook or Google Calendar,
//! revocable, serving the deadlines calendar as that person may see it today. The address
//! is shown once, when made; only its hash is kept.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use super::Web;
use super::session::{Posted, Visitor};

async fn show(web: &Web, visitor: &Visitor, address: Option<String>) -> Response {
    let since = match web.api.sessions().calendar_feed_since(&visitor.person).await {
        Ok(since) => since,
        Err(e) => return web.problem(visitor, &advocacy_platform::error::to_status(&e)),
    };
    let zone = visitor.zone(web);
    let ctx = minijinja::context! {
        address => address,
        since => since.map(|at| advocacy_platform::language::when(at, zone, visitor.language)),
    };
    web.render("calendar.html", visitor.language, Some(visitor), ctx)
}

pub async fn page(State(web): State<Web>, visitor: Visitor) -> Response {
    show(&web, &visitor, None).await
}

pub async fn make(State(web): State<Web>, Posted { visitor, form: _ }: Posted) -> Response {
    match web.api.sessions().new_calendar_feed(&visitor.person).await {
        Ok(secret) => show(&web, &visitor, Some(format!("{}/calendar/feed/{secret}.ics", web.public_url))).await,
        Err(e) => web.problem(&visitor, &advocacy_platform::error::to_status(&e)),
    }
}

pub async fn revoke(State(web): State<Web>, Posted { visitor, form: _ }: Posted) -> Response {
    match web.api.sessions().revoke_calendar_feed(&visitor.person).await {
        Ok(_) => show(&web, &visitor, None).await,
        Err(e) => web.problem(&visitor, &advocacy_platform::error::to_status(&e)),
    }
}

/// The feed itself, fetched by a calendar program with no session: the secret is the key.
pub async fn feed(State(web): State<Web>, Path(file): Path<String>) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such calendar").into_response();
    let secret = file.strip_suffix(".ics").unwrap_or(&file);
    let Ok(token) = web.api.sessions().calendar_reader(secret).await else { return not_found() };
    let Ok(caller) = web.auth.caller_of(&token) else { return not_found() };
    let exported = async {
        let mut client = DeadlinesServiceClient::new(web.caller_channel(&caller, "deadlines")?);
        client.export_calendar(pb::ExportCalendarRequest::default()).await
    };
    match exported.await {
        Ok(calendar) => (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            calendar.into_inner().ics,
        )
            .into_response(),
        Err(status) => {
            tracing::warn!(error = %status.message(), "a calendar feed could not be exported");
            advocacy_platform::http::error_response(&status)
        }
    }
}
