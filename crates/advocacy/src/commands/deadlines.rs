//! `advocacy deadlines ...`: record, list, move, complete and cancel deadlines.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio_stream::StreamExt;

use advocacy_platform::Config;
use advocacy_platform::client::AuthedChannel;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use super::{all_pages, channel, explain, parse_instant, request_id};
use crate::cli::{ClientArgs, DeadlinesCommand, DueArgs};
use crate::output::{Table, print_record};
use crate::words;

type Client = DeadlinesServiceClient<AuthedChannel>;

pub async fn run(config: &Config, command: DeadlinesCommand) -> anyhow::Result<()> {
    match command {
        DeadlinesCommand::Add {
            client,
            title,
            mechanism,
            kind,
            due,
            owners,
            lead,
            cron,
            source_url,
            verified,
            restricted,
            public,
        } => {
            // What was typed is checked before anything is sent.
            let lead_minutes = lead.iter().map(|l| parse_lead(l)).collect::<anyhow::Result<Vec<_>>>()?;
            let classification = match (restricted, public) {
                (Some(compartment), _) => Some(advocacy_platform::classification::restricted_to(&compartment)),
                (None, true) => {
                    Some(pb::Classification { level: pb::Confidentiality::Public.into(), ..Default::default() })
                }
                (None, false) => None,
            };
            let request = pb::CreateDeadlineRequest {
                request_id: request_id(),
                title,
                mechanism,
                kind,
                due: Some(when(due)?),
                source_url: source_url.unwrap_or_default(),
                verified_at: verified.map(|v| parse_instant("verified", &v)).transpose()?,
                owners,
                lead_minutes,
                recurrence: cron.map(|cron| pb::Recurrence { cron, zone: String::new() }),
                classification,
            };
            let mut c = connect(config, &client).await?;
            let d = c.create_deadline(request).await.map_err(explain)?.into_inner();
            print_one(&d, client.json);
        }
        DeadlinesCommand::List { client, statuses, mechanism, owner, from, to, limit } => {
            let c = connect(config, &client).await?;
            let request = pb::ListDeadlinesRequest {
                statuses,
                mechanism: mechanism.unwrap_or_default(),
                owner: owner.unwrap_or_default(),
                due_from: from.map(|f| parse_instant("from", &f)).transpose()?,
                due_to: to.map(|t| parse_instant("to", &t)).transpose()?,
                page_size: limit.clamp(1, 500) as i32,
                ..Default::default()
            };
            let all = all_pages(limit, |page_token| {
                let (mut c, request) = (c.clone(), pb::ListDeadlinesRequest { page_token, ..request.clone() });
                async move {
                    let page = c.list_deadlines(request).await.map_err(explain)?.into_inner();
                    Ok((page.deadlines, page.next_page_token))
                }
            })
            .await?;
            print_list(&all, client.json);
        }
        DeadlinesCommand::Show { client, id } => {
            let mut c = connect(config, &client).await?;
            let d = c.get_deadline(pb::GetDeadlineRequest { id }).await.map_err(explain)?.into_inner();
            print_one(&d, client.json);
        }
        DeadlinesCommand::Move { client, id, due, reason, expected_version } => {
            let due = Some(when(due)?);
            let mut c = connect(config, &client).await?;
            let expected_version = version_or_current(&mut c, &id, expected_version).await?;
            let request = pb::MoveDeadlineRequest { request_id: request_id(), id, expected_version, due, reason };
            let d = c.move_deadline(request).await.map_err(explain)?.into_inner();
            print_one(&d, client.json);
        }
        DeadlinesCommand::Edit {
            client,
            id,
            title,
            owners,
            lead,
            source_url,
            verified,
            restricted,
            public,
            internal,
            expected_version,
        } => {
            let mut request = pb::UpdateDeadlineRequest { request_id: request_id(), ..Default::default() };
            let mut paths = Vec::new();
            if let Some(title) = title {
                request.title = title;
                paths.push("title");
            }
            if !owners.is_empty() {
                request.owners = owners;
                paths.push("owners");
            }
            if !lead.is_empty() {
                request.lead_minutes = lead.iter().map(|l| parse_lead(l)).collect::<anyhow::Result<Vec<_>>>()?;
                paths.push("lead_minutes");
            }
            if let Some(url) = source_url {
                request.source_url = url;
                paths.push("source_url");
            }
            if let Some(at) = verified {
                request.verified_at = Some(parse_instant("verified", &at)?);
                paths.push("verified_at");
            }
            let level = match (restricted.is_empty(), public, internal) {
                (false, _, _) => Some(pb::Confidentiality::Restricted),
                (true, true, _) => Some(pb::Confidentiality::Public),
                (true, false, true) => Some(pb::Confidentiality::Internal),
                (true, false, false) => None,
            };
            if let Some(level) = level {
                request.classification =
                    Some(pb::Classification { level: level.into(), compartments: restricted, ..Default::default() });
                paths.push("classification");
            }
            if paths.is_empty() {
                anyhow::bail!(
                    "nothing to change: give --title, --owner, --lead, --source-url, --verified, --restricted, --public or --internal"
                );
            }
            let mut c = connect(config, &client).await?;
            request.expected_version = version_or_current(&mut c, &id, expected_version).await?;
            request.id = id;
            request.update_mask =
                Some(advocacy_proto::FieldMask { paths: paths.into_iter().map(String::from).collect() });
            let d = c.update_deadline(request).await.map_err(explain)?.into_inner();
            print_one(&d, client.json);
        }
        DeadlinesCommand::Complete { client, id, at, expected_version } => {
            let mut c = connect(config, &client).await?;
            let expected_version = version_or_current(&mut c, &id, expected_version).await?;
            let request = pb::CompleteDeadlineRequest {
                request_id: request_id(),
                id,
                expected_version,
                completed_at: at.map(|a| parse_instant("at", &a)).transpose()?,
            };
            let d = c.complete_deadline(request).await.map_err(explain)?.into_inner();
            print_one(&d, client.json);
        }
        DeadlinesCommand::Cancel { client, id, reason, expected_version } => {
            let mut c = connect(config, &client).await?;
            let expected_version = version_or_current(&mut c, &id, expected_version).await?;
            let request = pb::CancelDeadlineRequest { request_id: request_id(), id, expected_version, reason };
            let d = c.cancel_deadline(request).await.map_err(explain)?.into_inner();
            print_one(&d, client.json);
        }
        DeadlinesCommand::Changes { client, after, follow } => {
            let mut c = connect(config, &client).await?;
            if follow {
                let mut stream = c
                    .watch_changes(pb::WatchChangesRequest { after_revision: after })
                    .await
                    .map_err(explain)?
                    .into_inner();
                while let Some(change) = stream.next().await {
                    print_change(&change.map_err(explain)?, client.json);
                }
            } else {
                let mut cursor = after;
                loop {
                    let page = c
                        .list_changes(pb::ListChangesRequest { after_revision: cursor, limit: 0 })
                        .await
                        .map_err(explain)?
                        .into_inner();
                    for change in &page.changes {
                        print_change(change, client.json);
                    }
                    cursor = page.resume_after_revision;
                    if !page.more {
                        break;
                    }
                }
            }
        }
    }
    Ok(())
}

async fn connect(config: &Config, args: &ClientArgs) -> anyhow::Result<Client> {
    Ok(DeadlinesServiceClient::new(channel(config, args).await?))
}

/// The version to send: the one the person read, or the current one when they gave none.
async fn version_or_current(c: &mut Client, id: &str, version: Option<i64>) -> anyhow::Result<i64> {
    match version {
        Some(v) => Ok(v),
        None => Ok(c
            .get_deadline(pb::GetDeadlineRequest { id: id.to_owned() })
            .await
            .map_err(explain)?
            .into_inner()
            .version),
    }
}

fn when(due: DueArgs) -> anyhow::Result<pb::WhenInput> {
    let DueArgs { due: local, zone, due_utc: utc } = due;
    let at = match (local, utc) {
        (Some(local), None) => pb::when_input::At::Local(local_due("--due: ", &local)?),
        (None, Some(utc)) => pb::when_input::At::Utc(parse_instant("due-utc", &utc)?),
        _ => bail!("give --due (local time) or --due-utc"),
    };
    Ok(pb::WhenInput { at: Some(at), zone: zone.unwrap_or_default() })
}

/// A local time as people type it, in the form the API reads ("2027-03-29T12:00"), or an
/// error that starts with `flag` ("--due: "):
/// "2027-03-29 12:00", "2027-03-29T12:00" (seconds allowed), or a date alone, meaning the
/// end of that day (23:59) in the body's zone.
pub fn local_due(flag: &str, text: &str) -> anyhow::Result<String> {
    let typed = text.trim();
    let forms = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"];
    if let Some(at) = forms.iter().find_map(|f| chrono::NaiveDateTime::parse_from_str(typed, f).ok()) {
        return Ok(at.format("%Y-%m-%dT%H:%M:%S").to_string());
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
        return Ok(format!("{day}T23:59:00"));
    }
    bail!(
        "{flag}{typed:?} is not a date and time like 2027-03-29 12:00, or a date like 2027-03-29 \
         (the end of that day)"
    )
}

/// "30d", "7d", "2h", "90m" (or a bare number of minutes).
pub fn parse_lead(text: &str) -> anyhow::Result<i32> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit() && c != '-').unwrap_or(text.len()));
    let n: i32 = number.parse().with_context(|| format!("--lead: {text:?} is not like 30d, 7d, 2h or 90m"))?;
    let factor = match unit {
        "" | "m" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        _ => bail!("--lead: {text:?}: use d (days), h (hours), m (minutes) or w (weeks)"),
    };
    n.checked_mul(factor).with_context(|| format!("--lead: {text:?} is too large"))
}

pub fn ts(t: &Option<prost_types::Timestamp>) -> Value {
    t.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|t| Value::String(t.to_rfc3339()))
        .unwrap_or(Value::Null)
}

pub fn deadline_json(d: &pb::Deadline) -> Value {
    let classification = d.classification.as_ref().map(|c| {
        json!({
            "level": words::word_of::<pb::Confidentiality>(c.level),
            "compartment": c.compartment,
            "compartments": c.compartments,
        })
    });
    json!({
        "id": d.id,
        "version": d.version,
        "title": d.title,
        "mechanism": d.mechanism,
        "kind": words::word_of::<pb::DeadlineKind>(d.kind),
        "due": ts(&d.due),
        "due_local": d.due_local,
        "zone": d.zone,
        "status": words::word_of::<pb::DeadlineStatus>(d.status),
        "owners": d.owners,
        "lead_minutes": d.lead_minutes,
        "recurrence": d.recurrence.as_ref().map(|r| json!({"cron": r.cron, "zone": r.zone})),
        "source_url": d.source_url,
        "verified_at": ts(&d.verified_at),
        "completed_at": ts(&d.completed_at),
        "completed_on_time": d.completed_on_time,
        "cancel_reason": d.cancel_reason,
        "classification": classification,
        "revision": d.revision,
    })
}

fn print_list(deadlines: &[pb::Deadline], json: bool) {
    if json {
        let all: Vec<Value> = deadlines.iter().map(deadline_json).collect();
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        return;
    }
    let mut table = Table::new(&["DUE (BODY'S TIME)", "ZONE", "MECHANISM", "STATUS", "TITLE", "ID", "V"]);
    for d in deadlines {
        table.row(vec![
            d.due_local.clone(),
            d.zone.clone(),
            d.mechanism.clone(),
            words::word_of::<pb::DeadlineStatus>(d.status),
            d.title.clone(),
            d.id.clone(),
            d.version.to_string(),
        ]);
    }
    table.print();
    if deadlines.is_empty() {
        println!("(no deadlines)");
    }
}

fn print_one(d: &pb::Deadline, json: bool) {
    if json {
        return print_record(&deadline_json(d), true);
    }
    let status = words::word_of::<pb::DeadlineStatus>(d.status);
    let mut lines = vec![
        ("id", d.id.clone()),
        ("title", d.title.clone()),
        ("mechanism", format!("{} ({})", d.mechanism, words::word_of::<pb::DeadlineKind>(d.kind))),
        ("due", format!("{} in {}", d.due_local.replacen('T', " ", 1), d.zone)),
        ("status", status.clone()),
        ("owners", d.owners.join(", ")),
        (
            "reminders",
            format!("{} before", d.lead_minutes.iter().map(|m| lead_text(*m)).collect::<Vec<_>>().join(", ")),
        ),
    ];
    if let Some(r) = d.recurrence.as_ref().filter(|r| !r.cron.is_empty()) {
        lines.push(("repeats", format!("{} ({})", r.cron, if r.zone.is_empty() { &d.zone } else { &r.zone })));
    }
    if !d.source_url.is_empty() {
        let verified = ts(&d.verified_at).as_str().map(|t| format!(" (checked {})", &t[..10])).unwrap_or_default();
        lines.push(("source", format!("{}{verified}", d.source_url)));
    }
    if let Some(done) = ts(&d.completed_at).as_str() {
        let when = if d.completed_on_time { "on time" } else { "late" };
        lines.push(("last done", format!("{}, {when}", &done[..16].replacen('T', " ", 1))));
    }
    if !d.cancel_reason.is_empty() {
        lines.push(("cancelled", d.cancel_reason.clone()));
    }
    let seen_by = match d.classification.as_ref() {
        Some(c) if !c.compartments.is_empty() => format!("restricted to {}", c.compartments.join(" and ")),
        Some(c) => words::word_of::<pb::Confidentiality>(c.level),
        None => "internal".to_owned(),
    };
    lines.push(("confidentiality", seen_by));
    lines.push(("version", d.version.to_string()));
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in lines {
        println!("{key:<width$}  {value}");
    }
}

/// 43200 minutes as "30d", 120 as "2h", 90 as "90m": the way `--lead` is written.
pub fn lead_text(minutes: i32) -> String {
    match minutes {
        m if m % (24 * 60) == 0 => format!("{}d", m / (24 * 60)),
        m if m % 60 == 0 => format!("{}h", m / 60),
        m => format!("{m}m"),
    }
}

fn print_change(c: &pb::DeadlineChange, json: bool) {
    let d = c.deadline.clone().unwrap_or_default();
    let kind = words::word_of::<pb::ChangeKind>(c.kind);
    if json {
        println!(
            "{}",
            json!({"revision": c.revision, "kind": kind, "actor": c.actor, "at": ts(&c.at), "deadline": deadline_json(&d)})
        );
    } else {
        println!("{:>6}  {:<9}  {}  {}  {} ({})", c.revision, kind, d.due_local, d.title, d.id, c.actor);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_lead;

    #[test]
    fn lead_times_are_shown_as_they_are_typed() {
        for typed in ["30d", "7d", "2h", "90m"] {
            assert_eq!(super::lead_text(parse_lead(typed).expect("a lead")), typed);
        }
    }

    #[test]
    fn lead_times_read_like_people_write_them() {
        assert_eq!(parse_lead("30d").ok(), Some(43_200));
        assert_eq!(parse_lead("2h").ok(), Some(120));
        assert_eq!(parse_lead("90").ok(), Some(90));
        assert!(parse_lead("soon").is_err());
        assert!(parse_lead("3y").is_err());
    }
}
