//! Client commands: each talks to a running server through the generated gRPC clients.

pub mod audit;
pub mod backup;
pub mod briefings;
pub mod calendar;
pub mod catalog;
pub mod deadlines;
pub mod import;
pub mod keys;
pub mod mailbox;
pub mod notifier;
pub mod report;
pub mod resolutions;
pub mod submissions;
pub mod token;
pub mod users;

use anyhow::Context;

use advocacy_platform::client::{AuthedChannel, BearerToken, connect_with_token};
use advocacy_platform::{Config, Role};

use crate::cli::ClientArgs;

pub use advocacy_platform::time::parse_date;

/// A connection to the server with the caller's token: the one given, or one made with the
/// gateway's signing key (possible only on the server's machine, for whoever can read it).
pub async fn channel(config: &Config, args: &ClientArgs) -> anyhow::Result<AuthedChannel> {
    let token = match &args.token {
        Some(token) => token.clone(),
        None => {
            let key = config.keys().signing_key(advocacy_platform::keys::PEOPLE_ISSUER)?;
            let now = chrono::Utc::now().timestamp();
            key.issue(&args.as_user, vec![Role::Staff, Role::Manager, Role::Admin], vec![], now, 3600)
        }
    };
    let bearer = BearerToken::new(&token).map_err(anyhow::Error::msg)?;
    connect_with_token(&args.server, &bearer)
        .await
        .with_context(|| format!("cannot reach the advocacy server at {}; is `advocacy serve` running?", args.server))
}

/// Every page of a listing, up to `limit` items: `fetch` is given the page token (empty
/// for the first page) and answers with the items and the next token (empty on the last).
pub async fn all_pages<T, F, Fut>(limit: usize, mut fetch: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Vec<T>, String)>>,
{
    let (mut all, mut token) = (Vec::new(), String::new());
    loop {
        let (items, next) = fetch(token).await?;
        all.extend(items);
        if next.is_empty() || all.len() >= limit {
            break;
        }
        token = next;
    }
    all.truncate(limit);
    Ok(all)
}

/// Turns a gRPC error into a message a person can act on, with each bad field named.
pub fn explain(status: tonic::Status) -> anyhow::Error {
    use tonic_types::StatusExt;
    let mut message = status.message().to_owned();
    if let Some(bad) = status.get_details_bad_request() {
        message = bad
            .field_violations
            .iter()
            .map(|v| format!("  {}: {}", flag_for(&v.field), v.description))
            .collect::<Vec<_>>()
            .join("\n");
        message = format!("the server refused the request:\n{message}");
    }
    anyhow::anyhow!("{message} ({:?})", status.code())
}

/// The flag a person typed for the API's field `field` ("due.local" is `--due`,
/// "lead_minutes[2]" the third `--lead`); a spreadsheet's "line 17: word_count" is left as
/// it is, naming its line and column.
pub fn flag_for(field: &str) -> String {
    if field.starts_with("line ") || field.is_empty() {
        return field.to_owned();
    }
    let (path, index) = match field.split_once('[') {
        Some((path, rest)) => (path, rest.split(']').next().and_then(|i| i.parse::<usize>().ok())),
        None => (field, None),
    };
    let flag = match path {
        "due.local" | "due" => "due",
        "due.utc" => "due-utc",
        "due.zone" | "at.zone" => "zone",
        "at.local" | "at" => "at",
        "lead_minutes" => "lead",
        "owners" => "owner",
        "word_count" => "words",
        "recurrence.cron" | "recurrence" => "cron",
        "recurrence.zone" => "zone",
        "institution_ids" => "institution",
        "themes" => "theme",
        "partners" => "partner",
        p if p.starts_with("classification") => "restricted",
        p => return format!("--{}{}", p.replace(['_', '.'], "-"), nth(index)),
    };
    format!("--{flag}{}", nth(index))
}

/// " (the 3rd)" for index 2 of a repeated flag; nothing for a flag given once.
fn nth(index: Option<usize>) -> String {
    match index.map(|i| i + 1) {
        None => String::new(),
        Some(n) => {
            let suffix = match (n % 10, n % 100) {
                (1, 11) | (2, 12) | (3, 13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!(" (the {n}{suffix})")
        }
    }
}

/// `advocacy health`: whether the server at `server` serves `service` (the whole server
/// when none), by the gRPC health protocol; an error unless it does.
pub async fn health(server: &str, service: Option<&str>) -> anyhow::Result<()> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let channel = advocacy_platform::client::connect(server).await.with_context(|| format!("cannot reach {server}"))?;
    let request = HealthCheckRequest { service: service.unwrap_or_default().to_owned() };
    let answer = HealthClient::new(channel).check(request).await.map_err(explain)?.into_inner();
    let status = ServingStatus::try_from(answer.status).unwrap_or(ServingStatus::Unknown);
    println!("{}: {}", service.unwrap_or(server), status.as_str_name());
    anyhow::ensure!(status == ServingStatus::Serving, "not serving");
    Ok(())
}

/// A request id for one command run: a retry inside the run reuses it.
pub fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Reads "2027-03-28T10:00:00Z" (or a bare date, meaning midnight UTC).
pub fn parse_instant(flag: &str, text: &str) -> anyhow::Result<prost_types::Timestamp> {
    let at = chrono::DateTime::parse_from_rfc3339(text).map(|t| advocacy_platform::time::to_timestamp(t.to_utc()));
    at.ok().or_else(|| parse_date(text)).with_context(|| {
        format!("--{flag}: {text:?} is not a time like 2027-03-28T10:00:00Z or a date like 2027-03-28")
    })
}

/// A date like "2027-03-28", as the start of that day in `zone` (report periods are
/// whole days of the organisation's zone).
pub fn parse_day(flag: &str, text: &str, zone: chrono_tz::Tz) -> anyhow::Result<prost_types::Timestamp> {
    let day = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .with_context(|| format!("--{flag}: {text:?} is not a date like 2027-01-01"))?;
    let start = day.and_time(chrono::NaiveTime::MIN).and_local_timezone(zone).earliest();
    let start = start.with_context(|| format!("--{flag}: {text} has no midnight in {}", zone.name()))?;
    Ok(advocacy_platform::time::to_timestamp(start.to_utc()))
}

/// An instant as `zone`'s clock reads it, to the minute: "2027-03-09 17:00".
pub fn local_minute(t: &Option<prost_types::Timestamp>, zone: chrono_tz::Tz) -> String {
    t.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}
