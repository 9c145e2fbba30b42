//! A visitor of the web pages over plain HTTP, as a browser without JavaScript is: a
//! cookie jar, forms posted as `application/x-www-form-urlencoded`, redirects seen (not
//! followed) so a test can check where a page sends its visitor.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::{TestSystem, pb};

/// A page as the server answered it.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    /// Where a redirect sends the visitor.
    pub location: String,
    pub body: String,
}

impl Page {
    /// The subscription address a page shows (its slashes are escaped in the HTML).
    pub fn calendar_address(&self) -> String {
        let body = self.body.replace("&#x2f;", "/");
        let start = body.find("/calendar/feed/").unwrap_or_else(|| panic!("no calendar address: {}", self.body));
        body[start..start + body[start..].find('"').expect("a closed attribute")].to_owned()
    }

    /// The value of the hidden input `name` on the page (the CSRF token, a request id).
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker).unwrap_or_else(|| panic!("no input {name} on the page: {}", self.body));
        let rest = &self.body[start + marker.len()..];
        rest[..rest.find('"').expect("a closed attribute")].to_owned()
    }
}

/// One browser: its cookies, kept between requests.
#[derive(Debug, Clone)]
pub struct Visitor {
    base: String,
    cookies: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Visitor {
    pub fn new(system: &TestSystem) -> Visitor {
        Visitor { base: system.http_url(), cookies: Arc::default() }
    }

    /// The `Cookie` header this browser sends (for a load generator signed in as it).
    pub fn cookie_header(&self) -> String {
        Visitor::joined(&self.cookies.lock().expect("jar"))
    }

    fn joined(jar: &BTreeMap<String, String>) -> String {
        jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(path, None, None, None).await
    }

    /// A page asked with `cookie` as the whole `Cookie` header (a planted or stolen one).
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> Page {
        self.send(path, None, Some(cookie.to_owned()), None).await
    }

    /// Posts `fields` as a form.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(path, Some(owned(fields)), None, None).await
    }

    /// Posts `fields` as a form on a page of `origin` would.
    pub async fn post_from(&self, origin: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(path, Some(owned(fields)), None, Some(origin.to_owned())).await
    }

    /// Posts `fields` and a file as `multipart/form-data`, as a form with a file input
    /// (named `file`) does.
    pub async fn post_file(&self, path: &str, fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> Page {
        let boundary = format!("----advocacy{}", uuid::Uuid::new_v4().simple());
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .bytes(),
        );
        body.extend(file);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send_body(path, Body::Multipart(content_type, body), None, None).await
    }

    async fn send(
        &self,
        path: &str,
        form: Option<Vec<(String, String)>>,
        cookie: Option<String>,
        origin: Option<String>,
    ) -> Page {
        self.send_body(path, form.map_or(Body::None, Body::Form), cookie, origin).await
    }

    async fn send_body(&self, path: &str, body: Body, cookie: Option<String>, origin: Option<String>) -> Page {
        let url = format!("{}{path}", self.base);
        let jar = self.cookies.clone();
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent =
                ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
            let cookie = cookie.unwrap_or_else(|| Visitor::joined(&jar.lock().expect("jar")));
            let post = || {
                let request = agent.post(&url).header("cookie", &cookie);
                match &origin {
                    Some(origin) => request.header("origin", origin),
                    None => request,
                }
            };
            let mut answer = match body {
                Body::Form(form) => {
                    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    post().send_form(pairs)
                }
                Body::Multipart(content_type, bytes) => post().header("content-type", &content_type).send(&bytes[..]),
                Body::None => agent.get(&url).header("cookie", &cookie).call(),
            }
            .expect("the web server answers");
            for set in answer.headers().get_all("set-cookie") {
                let set = set.to_str().expect("an ASCII cookie");
                let pair = set.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    let mut jar = jar.lock().expect("jar");
                    if value.is_empty() || set.contains("Max-Age=0") {
                        jar.remove(name);
                    } else {
                        jar.insert(name.to_owned(), value.to_owned());
                    }
                }
            }
            let location =
                answer.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let status = answer.status().as_u16();
            let body = answer.body_mut().read_to_string().unwrap_or_default();
            Page { status, location, body }
        })
        .await
        .expect("the request finishes")
    }

    /// Signs in through the form; panics unless it succeeds.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let form = self.get("/sign-in").await;
        let token = form.hidden("form_token");
        let signed = self.post("/sign-in", &[("form_token", &token), ("email", email), ("password", password)]).await;
        assert_eq!((signed.status, signed.location.as_str()), (303, "/"), "signed in: {}", signed.body);
    }
}

/// What a request carries.
enum Body {
    None,
    Form(Vec<(String, String)>),
    /// The content type with its boundary, and the body.
    Multipart(String, Vec<u8>),
}

fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The password of everyone [`add_person`] adds.
pub const PASSWORD: &str = "correct horse battery staple";

/// Adds a person who may sign in with [`PASSWORD`].
pub async fn add_person(
    system: &TestSystem,
    email: &str,
    roles: &[&str],
    compartments: &[&str],
    language: pb::Language,
) {
    let admin = crate::Person::staff().and_admin();
    system
        .gateway_as(&admin)
        .await
        .create_person(pb::CreatePersonRequest {
            request_id: format!("add-{email}"),
            email: email.into(),
            name: email.split('@').next().unwrap_or_default().into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            compartments: compartments.iter().map(|c| c.to_string()).collect(),
            zone: "Europe/Zurich".into(),
            language: language.into(),
            password: PASSWORD.into(),
            ..Default::default()
        })
        .await
        .expect("a person added");
}

/// The Swiss mission in Geneva in the registry, which the web tests log briefings with.
pub async fn swiss_mission(system: &TestSystem) {
    crate::swiss_mission_in(&mut system.briefings_as(&crate::Person::staff()).await).await;
}
