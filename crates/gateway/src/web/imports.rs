//! Spreadsheet imports on the pages: a CSV file uploaded, read by the one reader the
//! command line uses ([`advocacy_platform::import::sheet`]), streamed to its service with
//! the visitor's own token, and followed on a page of its own that shows its progress.
//!
//! The service writes a file whole or not at all, and request ids derive from the file's
//! content, so an import cut short (the gateway stopping) leaves nothing behind and the
//! same file can be uploaded again. What an import came to is kept in this process only,
//! for its owner, for a day.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Serialize;

use advocacy_platform::import::sheet::{self, Imported, Kind, Refused};
use advocacy_platform::language::number;

use super::session::Visitor;
use super::{Problems, Web};

/// The largest file the pages take; a larger one goes through `advocacy import`, which
/// takes the service's own limit.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Imports the pages read and run at once, everyone's together: each holds its file and
/// rows in memory until the service answers, so this bounds what they take of it.
const RUNNING: usize = 2;

/// How long, and how many per person, imports are kept to be looked at.
const KEPT_HOURS: i64 = 24;
const KEPT_EACH: usize = 10;

/// The problems listed on an import's page; the count says how many there were.
const LISTED: usize = 100;

/// The imports of this process.
#[derive(Debug)]
pub struct Imports {
    jobs: Mutex<Vec<Arc<Job>>>,
    /// One per import being read or run: taken before an upload's body is read.
    turns: Arc<tokio::sync::Semaphore>,
}

impl Default for Imports {
    fn default() -> Self {
        Imports { jobs: Mutex::default(), turns: Arc::new(tokio::sync::Semaphore::new(RUNNING)) }
    }
}

#[derive(Debug)]
struct Job {
    /// Random: the address of its page, which only its owner may open.
    id: String,
    owner: String,
    kind: Kind,
    file: String,
    started: DateTime<Utc>,
    rows: usize,
    sent: AtomicUsize,
    outcome: Mutex<Option<Outcome>>,
}

#[derive(Debug, Clone)]
enum Outcome {
    Imported(Imported),
    /// How many problems the file had, and the first of them.
    Refused(usize, Vec<String>),
    Failed(String),
}

impl Job {
    fn running(&self) -> bool {
        self.outcome.lock().map(|o| o.is_none()).unwrap_or(false)
    }
}

impl Imports {
    fn of(&self, owner: &str) -> Vec<Arc<Job>> {
        let jobs = self.jobs.lock().map(|j| j.clone()).unwrap_or_default();
        jobs.into_iter().rev().filter(|j| j.owner == owner).collect()
    }

    fn find(&self, owner: &str, id: &str) -> Option<Arc<Job>> {
        self.of(owner).into_iter().find(|j| j.id == id)
    }

    fn running_for(&self, owner: &str) -> bool {
        self.of(owner).iter().any(|j| j.running())
    }

    /// Keeps `job`, unless its owner has one running; drops finished ones past their day
    /// or beyond the owner's last few.
    fn start(&self, job: Arc<Job>, now: DateTime<Utc>) -> Result<(), &'static str> {
        let mut jobs = self.jobs.lock().map_err(|_| "import_busy")?;
        if jobs.iter().any(|j| j.owner == job.owner && j.running()) {
            return Err("import_yours_running");
        }
        jobs.retain(|j| j.running() || now - j.started < chrono::Duration::hours(KEPT_HOURS));
        let owner = job.owner.clone();
        jobs.push(job);
        let theirs = jobs.iter().filter(|j| j.owner == owner).count();
        let mut over = theirs.saturating_sub(KEPT_EACH);
        jobs.retain(|j| {
            let drop = over > 0 && j.owner == owner && !j.running();
            over -= usize::from(drop);
            !drop
        });
        Ok(())
    }
}

/// A kind of file as the form offers it, with the columns it takes.
#[derive(Serialize)]
struct KindShown {
    value: &'static str,
    label: String,
    required: String,
    optional: String,
}

/// An import as its page and the list show it.
#[derive(Serialize)]
struct Shown {
    id: String,
    kind: String,
    file: String,
    started: String,
    running: bool,
    rows: String,
    sent: String,
    sent_count: usize,
    row_count: usize,
    /// All rows sent, the service checking and writing them.
    writing: bool,
    imported: Option<String>,
    notes: Vec<String>,
    problems: Vec<String>,
    problem_count: String,
    failed: Option<String>,
}

fn owner(visitor: &Visitor) -> String {
    visitor.person.email.to_lowercase()
}

pub async fn page(State(web): State<Web>, visitor: Visitor) -> Response {
    form(&web, &visitor, "", &Problems::default(), StatusCode::OK)
}

fn form(web: &Web, visitor: &Visitor, chosen: &str, problems: &Problems, code: StatusCode) -> Response {
    let t = web.catalogs.of(visitor.language);
    let kinds: Vec<KindShown> = Kind::ALL
        .into_iter()
        .map(|k| {
            let (required, optional) = k.columns();
            KindShown {
                value: k.name(),
                label: t.word(&format!("import_kind_{}", k.name())),
                required: required.join(", "),
                optional: optional.join(", "),
            }
        })
        .collect();
    let zone = visitor.zone(web);
    let mine: Vec<Shown> = web.imports.of(&owner(visitor)).iter().map(|j| shown(web, visitor, j, zone)).collect();
    let ctx = minijinja::context! {
        kinds => kinds,
        chosen => chosen,
        problems => problems,
        imports => mine,
        max_mib => (MAX_FILE_BYTES >> 20).to_string(),
    };
    web.render_with(code, "imports.html", visitor.language, Some(visitor), ctx)
}

fn shown(web: &Web, visitor: &Visitor, job: &Job, zone: chrono_tz::Tz) -> Shown {
    let t = web.catalogs.of(visitor.language);
    let language = visitor.language;
    let outcome = job.outcome.lock().map(|o| o.clone()).unwrap_or(None);
    let sent = job.sent.load(Ordering::Relaxed);
    let mut shown = Shown {
        id: job.id.clone(),
        kind: t.word(&format!("import_kind_{}", job.kind.name())),
        file: job.file.clone(),
        started: advocacy_platform::language::when(job.started, zone, language),
        running: outcome.is_none(),
        rows: number(job.rows as i64, language),
        sent: number(sent as i64, language),
        sent_count: sent,
        row_count: job.rows,
        writing: outcome.is_none() && sent >= job.rows,
        imported: None,
        notes: vec![],
        problems: vec![],
        problem_count: String::new(),
        failed: None,
    };
    match outcome {
        None => {}
        Some(Outcome::Imported(done)) => {
            let n = |v: i32| number(i64::from(v), language);
            let made = job.kind.also_records().map(|what| t.word(&format!("import_{what}"))).unwrap_or_default();
            let mut line = t
                .word("import_done")
                .replace("{written}", &n(done.written))
                .replace("{rows}", &number(done.rows as i64, language))
                .replace("{before}", &n(done.before));
            if !made.is_empty() {
                line.push_str(
                    &t.word("import_matched")
                        .replace("{what}", &made)
                        .replace("{matched}", &n(done.matched))
                        .replace("{created}", &n(done.created)),
                );
            }
            shown.imported = Some(line);
            shown.notes = done.read_as;
        }
        Some(Outcome::Refused(count, listed)) => {
            shown.problem_count = number(count as i64, language);
            shown.problems = listed;
        }
        Some(Outcome::Failed(message)) => shown.failed = Some(message),
    }
    shown
}

/// The fields of the upload form and its file, once the post is known to be the
/// visitor's own (its CSRF token), with the import's turn.
pub struct Upload {
    visitor: Visitor,
    kind: String,
    file_name: String,
    bytes: Result<Bytes, UploadProblem>,
    turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Why a file did not arrive whole.
#[derive(Debug, Clone, Copy)]
enum UploadProblem {
    TooLarge,
    CutShort,
}

impl FromRequest<Web> for Upload {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, web: &Web) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        // Signed in, from this site, with no import of theirs running and a turn free:
        // only then is a body of up to 32 MiB read.
        let visitor = web.poster_before_body(&headers).await?;
        let turn = web.imports.turns.clone().try_acquire_owned().ok();
        if turn.is_none() || web.imports.running_for(&owner(&visitor)) {
            return Ok(Upload {
                visitor,
                kind: String::new(),
                file_name: String::new(),
                bytes: Ok(Bytes::new()),
                turn,
            });
        }
        let mut parts = Multipart::from_request(request, web).await.map_err(IntoResponse::into_response)?;
        let (mut fields, mut file_name, mut bytes) = (BTreeMap::new(), String::new(), Ok(Bytes::new()));
        let problem = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { UploadProblem::TooLarge } else { UploadProblem::CutShort }
        };
        loop {
            let field = match parts.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                // Said beside the file field, once the post is known to be the visitor's own.
                Err(e) => {
                    bytes = Err(problem(e));
                    break;
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                file_name = field.file_name().unwrap_or_default().chars().take(200).collect();
                bytes = field.bytes().await.map_err(problem);
                if bytes.is_err() {
                    break;
                }
            } else if let Ok(text) = field.text().await {
                fields.insert(name, text);
            }
        }
        let visitor = web.poster(&headers, &fields).await?;
        Ok(Upload { visitor, kind: fields.remove("kind").unwrap_or_default(), file_name, bytes, turn })
    }
}

pub async fn upload(State(web): State<Web>, upload: Upload) -> Response {
    let Upload { visitor, kind, file_name, bytes, turn } = upload;
    let t = web.catalogs.of(visitor.language);
    let busy =
        |why: &str| form(&web, &visitor, "", &Problems::field("file", &t.word(why)), StatusCode::TOO_MANY_REQUESTS);
    if web.imports.running_for(&owner(&visitor)) {
        return busy("import_yours_running");
    }
    let Some(turn) = turn else { return busy("import_busy") };
    let Some(kind) = Kind::parse(&kind) else {
        return form(
            &web,
            &visitor,
            "",
            &Problems::field("kind", &t.word("import_choose_kind")),
            StatusCode::BAD_REQUEST,
        );
    };
    let refuse = |message: String| {
        form(&web, &visitor, kind.name(), &Problems::field("file", &message), StatusCode::BAD_REQUEST)
    };
    let bytes = match bytes {
        Ok(bytes) if bytes.is_empty() => return refuse(t.word("import_choose_file")),
        Ok(bytes) => bytes,
        Err(UploadProblem::TooLarge) => {
            return refuse(t.word("import_too_large").replace("{mib}", &(MAX_FILE_BYTES >> 20).to_string()));
        }
        Err(UploadProblem::CutShort) => return refuse(t.word("import_cut_short")),
    };
    let checked = match tokio::task::spawn_blocking(move || sheet::read(kind, &bytes)).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(Refused::Problems(problems))) => {
            return refuse(problems.into_iter().map(|(_, p)| p).collect::<Vec<_>>().join("; "));
        }
        Ok(Err(Refused::Failed(status))) => return web.problem(&visitor, &status),
        Err(_) => return web.problem(&visitor, &tonic::Status::internal("reading the file stopped")),
    };
    let channel = match web.clients.importing_as(kind.service(), &visitor.caller) {
        Ok(channel) => channel,
        Err(status) => return web.problem(&visitor, &status),
    };
    let job = Arc::new(Job {
        id: hex::encode(rand::random::<[u8; 16]>()),
        owner: owner(&visitor),
        kind,
        file: file_name,
        started: web.clock.now(),
        rows: checked.rows(),
        sent: AtomicUsize::new(0),
        outcome: Mutex::new(None),
    });
    if let Err(why) = web.imports.start(job.clone(), web.clock.now()) {
        return form(
            &web,
            &visitor,
            kind.name(),
            &Problems::field("file", &t.word(why)),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let (page, running) = (format!("/imports/{}", job.id), job.clone());
    tokio::spawn(advocacy_platform::telemetry::in_this_request(async move {
        // The turn is held until the service has answered.
        let _turn = turn;
        let counter = running.clone();
        let outcome = match checked.send(channel, move |sent| counter.sent.store(sent, Ordering::Relaxed)).await {
            Ok(imported) => Outcome::Imported(imported),
            Err(Refused::Problems(problems)) => {
                Outcome::Refused(problems.len(), problems.into_iter().take(LISTED).map(|(_, p)| p).collect())
            }
            Err(Refused::Failed(status)) => Outcome::Failed(status.message().to_owned()),
        };
        if let Ok(mut slot) = running.outcome.lock() {
            *slot = Some(outcome);
        }
    }));
    Redirect::to(&page).into_response()
}

/// An import's page: its progress while it runs (the page reloads itself), then what it
/// came to. Another person's import is not found.
pub async fn progress(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let Some(job) = web.imports.find(&owner(&visitor), &id) else {
        return web.problem(&visitor, &tonic::Status::not_found("no such import of yours"));
    };
    let zone = visitor.zone(&web);
    let ctx = minijinja::context! { import => shown(&web, &visitor, &job, zone) };
    web.render("import.html", visitor.language, Some(&visitor), ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(sent: usize, rows: usize) -> Shown {
        Shown {
            id: "1".into(),
            kind: "Briefings".into(),
            file: "2019.csv".into(),
            started: String::new(),
            running: true,
            rows: number(rows as i64, advocacy_platform::language::Language::English),
            sent: number(sent as i64, advocacy_platform::language::Language::English),
            sent_count: sent,
            row_count: rows,
            writing: sent >= rows,
            imported: None,
            notes: vec![],
            problems: vec![],
            problem_count: String::new(),
            failed: None,
        }
    }

    fn page(import: Shown) -> String {
        let t = super::super::Catalogs::load().of(advocacy_platform::language::Language::English);
        let ctx = minijinja::context! { import => import, t => t.for_templates() };
        super::super::pages().get_template("import.html").and_then(|p| p.render(ctx)).expect("renders")
    }

    #[test]
    fn a_running_import_shows_how_far_it_is_and_reloads_itself_until_it_is_done() {
        let sending = page(running(1_200, 5_000));
        assert!(sending.contains("<meta http-equiv=\"refresh\""), "{sending}");
        assert!(sending.contains("<progress max=\"5000\" value=\"1200\""), "{sending}");
        assert!(sending.contains("Sending the rows: 1,200 of 5,000."), "{sending}");
        let writing = page(running(5_000, 5_000));
        assert!(writing.contains("the service is checking them and writing the file"), "{writing}");
        let mut done = running(5_000, 5_000);
        (done.running, done.imported) = (false, Some("Imported 5,000 records".into()));
        let done = page(done);
        assert!(!done.contains("http-equiv") && !done.contains("<progress"), "a finished import stays put: {done}");
        assert!(done.contains("Imported 5,000 records"), "{done}");
    }

    #[test]
    fn finished_imports_are_kept_for_their_owner_a_few_at_a_time_and_one_runs_per_person() {
        let imports = Imports::default();
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("a moment");
        let job = |owner: &str, id: usize, done: bool| {
            Arc::new(Job {
                id: id.to_string(),
                owner: owner.into(),
                kind: Kind::Briefings,
                file: String::new(),
                started: now,
                rows: 1,
                sent: AtomicUsize::new(0),
                outcome: Mutex::new(done.then(|| Outcome::Failed(String::new()))),
            })
        };
        for id in 0..KEPT_EACH + 3 {
            imports.start(job("ana", id, true), now).expect("finished ones never block");
        }
        let kept: Vec<String> = imports.of("ana").iter().map(|j| j.id.clone()).collect();
        assert_eq!(kept.len(), KEPT_EACH);
        assert_eq!(kept[0], (KEPT_EACH + 2).to_string(), "the newest first, the oldest dropped");
        let hers = job("ana", 100, false);
        imports.start(hers.clone(), now).expect("one running");
        assert_eq!(imports.start(job("ana", 101, false), now), Err("import_yours_running"));
        imports.start(job("p0", 200, false), now).expect("others' run beside");
        assert!(imports.find("ben", "100").is_none(), "Ana's import is hers");
        *hers.outcome.lock().expect("lock") = Some(Outcome::Failed(String::new()));
        imports.start(job("ana", 400, true), now + chrono::Duration::hours(KEPT_HOURS + 1)).expect("hers is done");
        let kept: Vec<String> = imports.of("ana").iter().map(|j| j.id.clone()).collect();
        assert_eq!(kept, ["400"], "a day on, the finished ones are gone");
        assert_eq!(imports.of("p0").len(), 1, "running ones are kept however old");
    }
}
