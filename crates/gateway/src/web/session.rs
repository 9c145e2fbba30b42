//! Signing in and out through the web pages, the session cookie, the CSRF token, and the
//! page's language.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;
use sha2::{Digest, Sha256};

use advocacy_platform::Caller;
use advocacy_platform::language::Language;

use super::{Problems, Web, field};
use crate::people::Person;
use crate::signin::SessionKind;

const SESSION: &str = "advocacy_session";
/// Before signing in there is no session: the sign-in form's token is this cookie's.
const FORM_TOKEN: &str = "advocacy_form";
const LANGUAGE: &str = "advocacy_lang";

/// A signed-in person on a page. As a handler's argument, a request without a live
/// session is sent to sign in before the handler runs.
#[derive(Debug)]
pub struct Visitor {
    pub person: Person,
    pub caller: Caller,
    pub csrf: String,
    pub language: Language,
}

/// What pages show of the person.
#[derive(Debug, Serialize)]
pub struct Shown {
    email: String,
    name: String,
    manager: bool,
    staff: bool,
}

impl Visitor {
    pub fn is_manager(&self) -> bool {
        self.person.roles.contains("manager") || self.person.roles.contains("admin")
    }

    pub fn is_staff(&self) -> bool {
        self.person.roles.contains("staff")
    }

    pub fn shown(&self) -> Shown {
        Shown {
            email: self.person.email.clone(),
            name: self.person.name.clone(),
            manager: self.is_manager(),
            staff: self.is_staff(),
        }
    }

    /// Whether a posted form carries this session's CSRF token.
    pub fn posted_by_me(&self, form: &BTreeMap<String, String>) -> bool {
        same(field(form, "csrf"), &self.csrf)
    }

    /// The person's zone, else the organisation's.
    pub fn zone(&self, web: &Web) -> chrono_tz::Tz {
        self.person.zone.parse().unwrap_or_else(|_| web.api.zone())
    }
}

/// Compares in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && !b.is_empty() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn csrf_of(secret: &str) -> String {
    hex::encode(&Sha256::digest(format!("csrf:{secret}").as_bytes())[..16])
}

/// The cookie `name` of a request. Two of one name mean one was planted (by a sibling
/// site of the same domain, say): neither is believed.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v);
    match (found.next(), found.next()) {
        (Some(value), None) => Some(value),
        _ => None,
    }
}

/// Whether a post comes from a page of this site: a browser names the page's origin, and
/// it must be this host (a form on another site is refused before its token is looked at).
fn from_this_site(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

impl Web {
    /// A cookie's name: over TLS with the `__Host-` prefix, which browsers accept only
    /// from this host itself (Secure, Path=/, no Domain), so no sibling site can set it.
    fn cookie_name(&self, name: &str) -> String {
        if self.secure { format!("__Host-{name}") } else { name.to_owned() }
    }

    fn cookie<'a>(&self, headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
        cookie(headers, &self.cookie_name(name))
    }

    fn set_cookie(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let name = self.cookie_name(name);
        HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
            .expect("cookie values are URL-safe base64 or hex")
    }

    /// The language of a page: `?lang=` just chosen, the cookie, the person's, or the
    /// browser's.
    pub fn language(&self, headers: &HeaderMap, person: Option<&Person>) -> Language {
        self.cookie(headers, LANGUAGE)
            .and_then(Language::parse)
            .or_else(|| person.and_then(|p| Language::parse(&p.language)))
            .or_else(|| {
                let accept = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
                accept.trim_start().starts_with("ko").then_some(Language::Korean)
            })
            .unwrap_or(Language::English)
    }

    /// The signed-in visitor, or the answer that sends them to sign in.
    pub async fn visitor(&self, headers: &HeaderMap) -> Result<Visitor, Response> {
        let to_sign_in = || Redirect::to("/sign-in").into_response();
        let secret = self.cookie(headers, SESSION).ok_or_else(to_sign_in)?;
        let (person, token) = self.api.sessions().session(secret).await.map_err(|_| to_sign_in())?;
        let caller = self.auth.caller_of(&token).map_err(|_| to_sign_in())?;
        let language = self.language(headers, Some(&person));
        Ok(Visitor { csrf: csrf_of(secret), person, caller, language })
    }

    /// The visitor of a post from a page of this site, before its body is read (an upload's
    /// CSRF token is in the body); refused otherwise.
    pub async fn poster_before_body(&self, headers: &HeaderMap) -> Result<Visitor, Response> {
        let visitor = self.visitor(headers).await?;
        if !from_this_site(headers) {
            return Err(refused(self, &visitor));
        }
        Ok(visitor)
    }

    /// The visitor of a posted form, refused (nothing done) unless it came from a page of
    /// this site with this session's CSRF token.
    pub async fn poster(&self, headers: &HeaderMap, form: &BTreeMap<String, String>) -> Result<Visitor, Response> {
        let visitor = self.visitor(headers).await?;
        if !from_this_site(headers) || !visitor.posted_by_me(form) {
            return Err(refused(self, &visitor));
        }
        Ok(visitor)
    }
}

/// `?lang=ko` on any page: kept in a cookie, and the page shown again without it.
pub fn chosen_language(web: &Web, path: &str, pairs: &[(String, String)]) -> Option<Response> {
    let (_, code) = pairs.iter().find(|(k, _)| k == "lang")?;
    let language = Language::parse(code)?;
    // Only a path of this site: `//elsewhere` would send the visitor to another one.
    let path = if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") { path } else { "/" };
    let rest: Vec<(&str, &str)> =
        pairs.iter().filter(|(k, _)| k != "lang").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let to = if rest.is_empty() { path.to_owned() } else { format!("{path}?{}", super::query(&rest)) };
    let mut answer = Redirect::to(&to).into_response();
    answer.headers_mut().append(header::SET_COOKIE, web.set_cookie(LANGUAGE, language.code(), 365 * 86_400));
    Some(answer)
}

pub async fn sign_in_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    form_page(&web, &headers, StatusCode::OK, "", &Problems::default())
}

fn form_page(web: &Web, headers: &HeaderMap, code: StatusCode, email: &str, problems: &Problems) -> Response {
    let token = hex::encode(rand::random::<[u8; 16]>());
    let language = web.language(headers, None);
    let ctx = minijinja::context! { form_token => token, email => email, problems => problems };
    let mut page = web.render_with(code, "sign_in.html", language, None, ctx);
    page.headers_mut().append(header::SET_COOKIE, web.set_cookie(FORM_TOKEN, &token, 3_600));
    page
}

pub async fn sign_in(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let email = field(&form, "email");
    if !from_this_site(&headers)
        || !web.cookie(&headers, FORM_TOKEN).is_some_and(|c| same(field(&form, "form_token"), c))
    {
        let problems = Problems {
            message: web.catalogs.of(web.language(&headers, None)).word("form_expired"),
            ..Default::default()
        };
        return form_page(&web, &headers, StatusCode::FORBIDDEN, email, &problems);
    }
    let forwarded: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let address = web.api.sessions().client(Some(peer.ip()), &forwarded);
    let password = form.get("password").cloned().unwrap_or_default();
    match web.api.signed_in(email, password, &address, SessionKind::Web).await {
        Ok(tokens) => {
            let mut answer = Redirect::to("/").into_response();
            let age = crate::signin::SESSION_HOURS * 3_600;
            answer.headers_mut().append(header::SET_COOKIE, web.set_cookie(SESSION, &tokens.refresh, age));
            answer.headers_mut().append(header::SET_COOKIE, web.set_cookie(FORM_TOKEN, "", 0));
            answer
        }
        Err(status) => {
            let problems = Problems::of(&status, |f| match f {
                "email" => Some("email"),
                "password" => Some("password"),
                _ => None,
            });
            let code = advocacy_platform::http::http_status(&status);
            form_page(&web, &headers, code, email, &problems)
        }
    }
}

pub async fn sign_out(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    if let Err(refused) = web.poster(&headers, &form).await {
        return refused;
    }
    if let Some(secret) = web.cookie(&headers, SESSION) {
        let _ = web.api.sessions().sign_out(secret, SessionKind::Web).await;
    }
    let mut answer = Redirect::to("/sign-in").into_response();
    answer.headers_mut().append(header::SET_COOKIE, web.set_cookie(SESSION, "", 0));
    answer
}

/// A post without this session's CSRF token: refused, nothing changed.
pub fn refused(web: &Web, visitor: &Visitor) -> Response {
    let status = tonic::Status::permission_denied(web.catalogs.of(visitor.language).word("form_expired"));
    web.problem(visitor, &status)
}

impl axum::extract::FromRequestParts<Web> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut http::request::Parts, web: &Web) -> Result<Self, Self::Rejection> {
        web.visitor(&parts.headers).await
    }
}

/// A form posted by a signed-in visitor from a page of this site with this session's
/// CSRF token. As a handler's argument, any other post is answered (refused, or sent to
/// sign in) before the handler runs, so nothing is done for it.
#[derive(Debug)]
pub struct Posted {
    pub visitor: Visitor,
    pub form: BTreeMap<String, String>,
}

impl axum::extract::FromRequest<Web> for Posted {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, web: &Web) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let Form(form) =
            Form::<BTreeMap<String, String>>::from_request(request, web).await.map_err(IntoResponse::into_response)?;
        let visitor = web.poster(&headers, &form).await?;
        Ok(Posted { visitor, form })
    }
}
