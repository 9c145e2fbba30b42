//! The web pages on the gateway's HTTP port: server-rendered, working without JavaScript,
//! in English and Korean (one catalog per language under `web/catalog/`).
//!
//! Every page calls the services through their gRPC APIs with the signed-in person's own
//! token, freshly minted from their session on each request, so every rule of access and
//! confidentiality holds here as it does for any client. The session cookie holds only a
//! random secret (HttpOnly, SameSite=Lax, Secure when the public address is https); every
//! form carries a CSRF token derived from that secret, and a post without it changes
//! nothing.

mod amendments;
mod briefings;
mod calendar;
mod charts;
mod dashboard;
mod deadlines;
mod frozen;
mod i18n;
mod imports;
mod mailbox;
mod session;
mod submissions;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use http::{HeaderMap, StatusCode, header};
use minijinja::Environment;
use serde::Serialize;
use tonic_types::StatusExt;

use advocacy_platform::Caller;
use advocacy_platform::auth::Authenticator;
use advocacy_platform::client::AuthedChannel;
use advocacy_platform::hosting::Clients;
use advocacy_platform::language::Language;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use crate::GatewayApi;
use crate::http::JsonApi;
pub use i18n::Catalogs;
use session::Visitor;

/// What every page needs.
#[derive(Debug, Clone)]
pub struct Web {
    api: GatewayApi,
    json: JsonApi,
    clients: Clients,
    auth: Authenticator,
    pages: Arc<Environment<'static>>,
    catalogs: Arc<Catalogs>,
    /// Cookies only over TLS: the public address is https.
    secure: bool,
    /// The address people reach these pages at, for the calendar subscription's.
    public_url: String,
    /// The notifier's mailbox folder, when reminders are kept there (no mail server).
    mailbox: Option<std::path::PathBuf>,
    clock: advocacy_platform::Clock,
    imports: Arc<imports::Imports>,
}

/// Every page template, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../web/templates/base.html")),
    ("fields.html", include_str!("../../web/templates/fields.html")),
    ("sign_in.html", include_str!("../../web/templates/sign_in.html")),
    ("dashboard.html", include_str!("../../web/templates/dashboard.html")),
    ("records.html", include_str!("../../web/templates/records.html")),
    ("briefing_form.html", include_str!("../../web/templates/briefing_form.html")),
    ("deadlines.html", include_str!("../../web/templates/deadlines.html")),
    ("problem.html", include_str!("../../web/templates/problem.html")),
    ("calendar.html", include_str!("../../web/templates/calendar.html")),
    ("frozen.html", include_str!("../../web/templates/frozen.html")),
    ("submissions.html", include_str!("../../web/templates/submissions.html")),
    ("amendments.html", include_str!("../../web/templates/amendments.html")),
    ("mailbox.html", include_str!("../../web/templates/mailbox.html")),
    ("imports.html", include_str!("../../web/templates/imports.html")),
    ("import.html", include_str!("../../web/templates/import.html")),
];

const STYLE: &str = include_str!("../../web/static/site.css");

/// Where the pages are reached and where the mailbox of the embedded default is.
#[derive(Debug, Clone)]
pub struct Settings {
    pub public_url: String,
    pub mailbox: Option<std::path::PathBuf>,
    pub clock: advocacy_platform::Clock,
}

/// The web pages' router, to be merged with the JSON API's.
pub fn router(api: GatewayApi, json: JsonApi, clients: Clients, auth: Authenticator, settings: Settings) -> Router {
    let public_url = settings.public_url.as_str();
    let web = Web {
        api,
        json,
        clients,
        auth,
        pages: Arc::new(pages()),
        catalogs: Arc::new(Catalogs::load()),
        secure: public_url.starts_with("https://"),
        public_url: public_url.trim_end_matches('/').to_owned(),
        mailbox: settings.mailbox,
        clock: settings.clock,
        imports: Arc::default(),
    };
    // The upload's own limit, with room for the form's other fields.
    let upload_limit = axum::extract::DefaultBodyLimit::max(imports::MAX_FILE_BYTES + 64 * 1024);
    Router::new()
        .route("/", get(home))
        .route("/static/site.css", get(style))
        .route("/sign-in", get(session::sign_in_form).post(session::sign_in))
        .route("/sign-out", post(session::sign_out))
        .route("/report", get(dashboard::page))
        .route("/report/records", get(dashboard::records))
        .route("/report/export", get(dashboard::export))
        .route("/report/frozen", get(frozen::list).post(frozen::freeze))
        .route("/report/frozen/{id}", get(frozen::compare))
        .route("/briefings/new", get(briefings::form).post(briefings::log))
        .route("/deadlines", get(deadlines::page).post(deadlines::create))
        .route("/deadlines/{id}/complete", post(deadlines::complete))
        .route("/deadlines/{id}/move", post(deadlines::moved))
        .route("/submissions", get(submissions::page).post(submissions::create))
        .route("/submissions/{id}/status", post(submissions::status))
        .route("/amendments", get(amendments::page).post(amendments::propose))
        .route("/amendments/{id}/outcome", post(amendments::outcome))
        .route("/calendar", get(calendar::page).post(calendar::make))
        .route("/calendar/revoke", post(calendar::revoke))
        .route("/calendar/feed/{file}", get(calendar::feed))
        .route("/mailbox", get(mailbox::page))
        .route("/imports", get(imports::page).post(imports::upload).layer(upload_limit))
        .route("/imports/{id}", get(imports::progress))
        .route_layer(axum::middleware::from_fn_with_state(web.clone(), remember_page))
        .with_state(web)
}

/// Every page template, parsed.
fn pages() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, text) in TEMPLATES {
        env.add_template(name, text).unwrap_or_else(|e| panic!("web/templates/{name} parses: {e}"));
    }
    env
}

tokio::task_local! {
    /// The page being shown (path and query), for its link to the other language.
    static HERE: String;
}

/// `?lang=ko` on any page keeps the choice in a cookie and shows the page again without
/// it; and every page's address is kept for [`Web::render`], so the language link leads
/// back to the same page (a page answering a post leads to its list, which a GET shows).
async fn remember_page(
    axum::extract::State(web): axum::extract::State<Web>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() == http::Method::GET {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(request.uri().query().unwrap_or_default()).unwrap_or_default();
        if let Some(chosen) = session::chosen_language(&web, request.uri().path(), &pairs) {
            return chosen;
        }
    }
    let here = match request.method() {
        &http::Method::GET => request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned(),
        _ => list_of(request.uri().path()).to_owned(),
    };
    HERE.scope(here, next.run(request)).await
}

/// The page that lists what a form posted to `path` changes (`/deadlines` for a
/// deadline's move), for the language link of the page answering the post.
fn list_of(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    match first {
        "briefings" => "/briefings/new",
        "deadlines" => "/deadlines",
        "submissions" => "/submissions",
        "amendments" => "/amendments",
        "calendar" => "/calendar",
        "imports" => "/imports",
        "report" => "/report",
        _ => "/",
    }
}

/// The current page's address with `lang=` set to `language`.
fn here_in(language: &str) -> String {
    let here = HERE.try_with(String::clone).unwrap_or_else(|_| "/".to_owned());
    let (path, query_string) = here.split_once('?').unwrap_or((&here, ""));
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(query_string)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "lang")
        .collect();
    pairs.push(("lang".into(), language.into()));
    let path = if path.is_empty() { "/" } else { path };
    format!("{path}?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], STYLE)
        .into_response()
}

/// Managers land on the dashboard, staff on their deadlines.
async fn home(axum::extract::State(web): axum::extract::State<Web>, headers: HeaderMap) -> Response {
    match web.visitor(&headers).await {
        Ok(v) if v.is_manager() => Redirect::to("/report").into_response(),
        Ok(_) => Redirect::to("/deadlines").into_response(),
        Err(to_sign_in) => to_sign_in,
    }
}

/// What a call refused: messages by form field, and the rest.
#[derive(Debug, Default, Serialize)]
pub struct Problems {
    pub fields: BTreeMap<String, String>,
    pub message: String,
}

impl Problems {
    /// The status's field violations, each under the form field `field_of` names (those it
    /// does not place go in the message), or its message.
    pub fn of(status: &tonic::Status, field_of: impl Fn(&str) -> Option<&'static str>) -> Problems {
        let mut problems = Problems::default();
        let mut unplaced = Vec::new();
        if let Some(bad) = status.get_details_bad_request() {
            for v in bad.field_violations {
                match field_of(&v.field) {
                    Some(field) => {
                        problems.fields.entry(field.to_owned()).or_insert(v.description);
                    }
                    None => unplaced.push(format!("{}: {}", v.field, v.description)),
                }
            }
        }
        problems.message = if unplaced.is_empty() && !problems.fields.is_empty() {
            String::new()
        } else if unplaced.is_empty() {
            status.message().to_owned()
        } else {
            unplaced.join("; ")
        };
        problems
    }

    pub fn field(name: &str, message: &str) -> Problems {
        Problems { fields: BTreeMap::from([(name.to_owned(), message.to_owned())]), message: String::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.message.is_empty()
    }
}

impl Web {
    /// Renders `template` with `ctx` and what every page shows (the person, the language's
    /// catalog, the CSRF token).
    fn render(&self, template: &str, language: Language, visitor: Option<&Visitor>, ctx: minijinja::Value) -> Response {
        self.render_with(StatusCode::OK, template, language, visitor, ctx)
    }

    fn render_with(
        &self,
        code: StatusCode,
        template: &str,
        language: Language,
        visitor: Option<&Visitor>,
        ctx: minijinja::Value,
    ) -> Response {
        let other = match language {
            Language::English => Language::Korean,
            Language::Korean => Language::English,
        };
        let common = minijinja::context! {
            t => self.catalogs.of(language).for_templates(),
            lang => language.code(),
            other_lang => other.code(),
            other_lang_href => here_in(other.code()),
            person => visitor.map(Visitor::shown),
            csrf => visitor.map(|v| v.csrf.clone()).unwrap_or_default(),
        };
        let page = self.pages.get_template(template).and_then(|t| t.render(minijinja::context! { ..ctx, ..common }));
        match page {
            Ok(html) => (
                code,
                [(header::CACHE_CONTROL, "no-store"), (header::CONTENT_LANGUAGE, language.code())],
                [(header::HeaderName::from_static("x-frame-options"), "DENY")],
                Html(html),
            )
                .into_response(),
            Err(e) => {
                tracing::error!(template, error = %e, "a page failed to render");
                (StatusCode::INTERNAL_SERVER_ERROR, "the page failed to render").into_response()
            }
        }
    }

    /// A page saying what went wrong, with the status the call gave.
    fn problem(&self, visitor: &Visitor, status: &tonic::Status) -> Response {
        let code = advocacy_platform::http::http_status(status);
        let ctx = minijinja::context! { message => status.message() };
        self.render_with(code, "problem.html", visitor.language, Some(visitor), ctx)
    }

    /// The answer to an action on one row of a list (a move, a status, an outcome): the
    /// list again, or what went wrong.
    fn back_to<T>(&self, visitor: &Visitor, done: Result<T, tonic::Status>, list: &str) -> Response {
        match done {
            Ok(_) => Redirect::to(list).into_response(),
            Err(status) => self.problem(visitor, &status),
        }
    }

    /// The answer to a form that makes a record: its list; the form `again` with the
    /// service's messages beside their fields; or what went wrong.
    async fn made<T, F: Future<Output = Response>>(
        &self,
        visitor: &Visitor,
        done: Result<T, tonic::Status>,
        list: &str,
        field_of: fn(&str) -> Option<&'static str>,
        again: impl FnOnce(Problems) -> F,
    ) -> Response {
        match done {
            Ok(_) => Redirect::to(list).into_response(),
            Err(status) if refused_input(&status) => again(Problems::of(&status, field_of)).await,
            Err(status) => self.problem(visitor, &status),
        }
    }

    fn caller_channel(&self, caller: &Caller, service: &str) -> Result<AuthedChannel, tonic::Status> {
        self.clients.as_caller(service, caller)
    }

    /// The service clients a page calls, with the visitor's own token.
    fn deadlines(&self, visitor: &Visitor) -> Result<DeadlinesServiceClient<AuthedChannel>, tonic::Status> {
        Ok(DeadlinesServiceClient::new(self.caller_channel(&visitor.caller, "deadlines")?))
    }

    fn submissions(&self, visitor: &Visitor) -> Result<SubmissionsServiceClient<AuthedChannel>, tonic::Status> {
        Ok(SubmissionsServiceClient::new(self.caller_channel(&visitor.caller, "submissions")?))
    }

    fn briefings(&self, visitor: &Visitor) -> Result<BriefingsServiceClient<AuthedChannel>, tonic::Status> {
        Ok(BriefingsServiceClient::new(self.caller_channel(&visitor.caller, "briefings")?))
    }
}

/// A choice of a select.
#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// The choices of an enum's `values` named as the form sends them (`in_person` for
/// `BRIEFING_FORMAT_IN_PERSON`), each labelled from the catalog's `value.<name>`.
fn choices(names: impl IntoIterator<Item = &'static str>, prefix: &str, t: &i18n::Catalog) -> Vec<Choice> {
    names
        .into_iter()
        .map(|name| {
            let value = short_name(name, prefix);
            Choice { label: t.word(&format!("value.{value}")), value }
        })
        .collect()
}

/// The enum value a form sent as its short name, by `from_str_name` of the enum; the
/// unset value for a name it does not know, which the service refuses naming the field.
fn chosen<E: Default>(prefix: &str, sent: &str, from_str_name: fn(&str) -> Option<E>) -> E {
    from_str_name(&format!("{prefix}{}", sent.to_uppercase())).unwrap_or_default()
}

/// A local date and time typed in a form, in `zone`.
fn local_when(local: &str, zone: &str) -> advocacy_proto::v1::WhenInput {
    use advocacy_proto::v1 as pb;
    pb::WhenInput { at: Some(pb::when_input::At::Local(local.to_owned())), zone: zone.to_owned() }
}

/// A form's compartment field: restricted to it, or not restricted when empty.
fn restricted_to(compartment: &str) -> Option<advocacy_proto::v1::Classification> {
    (!compartment.is_empty()).then(|| advocacy_platform::classification::restricted_to(compartment))
}

/// Whether a refusal belongs beside the form's fields (bad input, or a rule of access the
/// person can act on) rather than on a page of its own.
fn refused_input(status: &tonic::Status) -> bool {
    matches!(status.code(), tonic::Code::InvalidArgument | tonic::Code::PermissionDenied)
}

/// The `page=` of a list's query: a page token from the list's previous page.
fn page_of(pairs: &[(String, String)]) -> &str {
    pairs.iter().find(|(k, _)| k == "page").map_or("", |(_, v)| v.as_str())
}

/// A comma-separated form field as its items.
fn items(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Whether a record's classification restricts it to a compartment.
fn is_restricted(classification: &Option<advocacy_proto::v1::Classification>) -> bool {
    classification.as_ref().is_some_and(|c| c.level == advocacy_proto::v1::Confidentiality::Restricted as i32)
}

/// An enum value's name as forms and catalogs write it (`in_person`).
fn short_name(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_lowercase()
}

/// A moment a service sent, if it sent a valid one.
fn moment(ts: &Option<prost_types::Timestamp>) -> Option<chrono::DateTime<chrono::Utc>> {
    ts.as_ref().and_then(|t| advocacy_platform::time::from_timestamp("at", t).ok())
}

/// A form's value, trimmed; empty when absent.
fn field<'a>(form: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.trim())
}

/// `pairs` as a query string.
fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}
