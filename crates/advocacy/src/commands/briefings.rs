//! `advocacy briefings ...` and `advocacy institutions ...`: logging a briefing in under a
//! minute, finding it again, and the figures managers report.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use serde_json::json;

use advocacy_platform::Config;
use advocacy_platform::client::AuthedChannel;
use advocacy_platform::names::normalize_name;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;

use super::{all_pages, channel, explain, parse_day, request_id};
use crate::cli::{BriefingsCommand, ClientArgs, InstitutionsCommand};
use crate::output::{Table, print_record};
use crate::words;

type Client = BriefingsServiceClient<AuthedChannel>;

async fn connect(config: &Config, args: &ClientArgs) -> anyhow::Result<Client> {
    Ok(BriefingsServiceClient::new(channel(config, args).await?))
}

pub async fn institutions(config: &Config, command: InstitutionsCommand) -> anyhow::Result<()> {
    match command {
        InstitutionsCommand::Add { client, name, kind, actor, city } => {
            let mut c = connect(config, &client).await?;
            let request = pb::CreateInstitutionRequest {
                request_id: request_id(),
                name,
                kind,
                actor,
                city,
                parent_id: String::new(),
            };
            let i = c.create_institution(request).await.map_err(explain)?.into_inner();
            for other in same_kind_and_place(&mut c, &i).await? {
                eprintln!(
                    "note: {} already has a {} in {}: {} ({}); if that is this one, use it and leave this one unused",
                    other.actor,
                    words::word_of::<pb::InstitutionKind>(other.kind),
                    if other.city.is_empty() { "no city given" } else { &other.city },
                    other.name,
                    other.id
                );
            }
            if client.json {
                println!("{}", json!({"id": i.id, "name": i.name, "actor": i.actor, "city": i.city}));
            } else {
                let place = if i.city.is_empty() { i.actor.clone() } else { format!("{}, {}", i.actor, i.city) };
                println!("{}  {} ({place})", i.id, i.name);
            }
        }
        InstitutionsCommand::List { client, actor } => {
            let mut c = connect(config, &client).await?;
            let mut request = pb::ListInstitutionsRequest {
                actor: actor.unwrap_or_default(),
                page_size: 500,
                page_token: String::new(),
            };
            let mut table = Table::new(&["ACTOR", "NAME", "CITY", "ID"]);
            loop {
                let page = c.list_institutions(request.clone()).await.map_err(explain)?.into_inner();
                for i in page.institutions {
                    table.row(vec![i.actor, i.name, i.city, i.id]);
                }
                if page.next_page_token.is_empty() {
                    break;
                }
                request.page_token = page.next_page_token;
            }
            if client.json { table.print_json() } else { table.print() }
        }
    }
    Ok(())
}

pub async fn run(config: &Config, command: BriefingsCommand) -> anyhow::Result<()> {
    match command {
        BriefingsCommand::Log {
            client,
            at,
            zone,
            city,
            format,
            institutions,
            themes,
            asks,
            summary,
            outcome,
            follow_ups,
            quiet,
        } => {
            let mut ask = Prompt::new();
            let at = match at {
                Some(at) => super::deadlines::local_due("--at: ", &at)?,
                None => ask.parsed("--at", "When did it take place (for example 2027-03-02 10:00)", |a| {
                    super::deadlines::local_due("", a)
                })?,
            };
            let zone = ask.required("--zone", "Time zone of the place (for example Europe/Zurich)", zone)?;
            let city = ask.optional("City (leave empty if online)", city)?;
            let format = match format {
                Some(format) => format,
                None => {
                    let question = format!("Format ({})", words::all::<pb::BriefingFormat>().join(", "));
                    ask.parsed("--format", &question, |t| {
                        words::parse::<pb::BriefingFormat>(t).map_err(anyhow::Error::msg)
                    })?
                    .into()
                }
            };
            let named: Vec<String> = if institutions.is_empty() {
                let question = "Institutions briefed, by name or id (comma separated)";
                ask.required("--institution", question, None)?.split(',').map(|s| s.trim().to_owned()).collect()
            } else {
                institutions
            };
            let summary = ask.optional("Summary", summary)?;
            let mut c = connect(config, &client).await?;
            let mut institutions = Vec::with_capacity(named.len());
            for name in &named {
                institutions.push(institution_id(&mut c, name).await?);
            }
            let request = pb::LogBriefingRequest {
                request_id: request_id(),
                at: Some(pb::WhenInput { at: Some(pb::when_input::At::Local(at)), zone }),
                city,
                format,
                institution_ids: institutions,
                themes,
                asks,
                summary,
                outcome: outcome.unwrap_or_default(),
                follow_ups: follow_ups.iter().map(|f| follow_up(f)).collect::<anyhow::Result<_>>()?,
                quiet,
                ..Default::default()
            };
            let b = c.log_briefing(request).await.map_err(explain)?.into_inner();
            print_one(&b, client.json);
        }
        BriefingsCommand::List { client, actor, theme, limit } => {
            let c = connect(config, &client).await?;
            let request = pb::ListBriefingsRequest {
                actor: actor.unwrap_or_default(),
                theme: theme.unwrap_or_default(),
                page_size: limit.clamp(1, 500) as i32,
                ..Default::default()
            };
            let all = all_pages(limit, |page_token| {
                let (mut c, request) = (c.clone(), pb::ListBriefingsRequest { page_token, ..request.clone() });
                async move {
                    let page = c.list_briefings(request).await.map_err(explain)?.into_inner();
                    Ok((page.briefings, page.next_page_token))
                }
            })
            .await?;
            if client.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&all.iter().map(briefing_json).collect::<Vec<_>>())
                        .unwrap_or_default()
                );
            } else {
                let mut table = Table::new(&["WHEN (LOCAL)", "CITY", "ACTORS", "FOLLOW-UPS OPEN", "ID"]);
                for b in &all {
                    let open = b.follow_ups.iter().filter(|f| !f.done).count();
                    table.row(vec![
                        b.at_local.clone(),
                        b.city.clone(),
                        b.actors.join(", "),
                        open.to_string(),
                        b.id.clone(),
                    ]);
                }
                table.print();
            }
        }
        BriefingsCommand::Show { client, id } => {
            let mut c = connect(config, &client).await?;
            let b = c.get_briefing(pb::GetBriefingRequest { id }).await.map_err(explain)?.into_inner();
            print_one(&b, client.json);
        }
        BriefingsCommand::Done { client, briefing, follow_up } => {
            let mut c = connect(config, &client).await?;
            let current =
                c.get_briefing(pb::GetBriefingRequest { id: briefing.clone() }).await.map_err(explain)?.into_inner();
            let b = c
                .complete_follow_up(pb::CompleteFollowUpRequest {
                    request_id: request_id(),
                    briefing_id: briefing,
                    follow_up_id: follow_up,
                    expected_version: current.version,
                })
                .await
                .map_err(explain)?
                .into_inner();
            print_one(&b, client.json);
        }
        BriefingsCommand::Figures { client, from, to } => {
            let mut c = connect(config, &client).await?;
            let zone = config.organisation_zone();
            let period =
                pb::Period { start: Some(parse_day("from", &from, zone)?), end: Some(parse_day("to", &to, zone)?) };
            let f = c
                .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: Some(period) })
                .await
                .map_err(explain)?
                .into_inner();
            let counts = |cs: &[pb::CountByKey]| {
                cs.iter().map(|c| format!("{} {}", c.key, c.count)).collect::<Vec<_>>().join(", ")
            };
            if client.json {
                println!(
                    "{}",
                    json!({
                        "briefings": f.briefings, "governments_briefed": f.governments_briefed,
                        "multilateral_actors_briefed": f.multilateral_actors_briefed,
                        "follow_ups": {"open": f.follow_ups_open, "overdue": f.follow_ups_overdue, "done": f.follow_ups_done},
                    })
                );
            } else {
                println!("briefings                    {}", f.briefings);
                println!("governments briefed          {}", f.governments_briefed);
                println!("multilateral actors briefed  {}", f.multilateral_actors_briefed);
                println!("by format                    {}", counts(&f.by_format));
                println!("by city                      {}", counts(&f.by_city));
                println!("by month                     {}", counts(&f.by_month));
                println!(
                    "follow-ups                   {} open, {} overdue, {} done",
                    f.follow_ups_open, f.follow_ups_overdue, f.follow_ups_done
                );
                println!("quiet or restricted          {} (in the totals only)", f.quiet_or_restricted);
            }
        }
    }
    Ok(())
}

/// Asks for what the command line left out, when a person is at the terminal.
struct Prompt {
    interactive: bool,
}

impl Prompt {
    fn new() -> Self {
        Self { interactive: std::io::stdin().is_terminal() }
    }

    /// The flag's value, or at a terminal the answer to `question`, asked again until there
    /// is one; without a terminal, the missing flag is named.
    fn required(&mut self, flag: &str, question: &str, given: Option<String>) -> anyhow::Result<String> {
        match given {
            Some(v) => Ok(v),
            None if self.interactive => loop {
                match self.ask(question)?.as_str() {
                    "" => eprintln!("  an answer is needed (or Ctrl-C to stop)"),
                    answer => return Ok(answer.to_owned()),
                }
            },
            None => bail!("missing {flag}: {question}"),
        }
    }

    /// [`Prompt::required`], read by `parse`: a wrong answer is explained and asked again.
    fn parsed<T>(
        &mut self,
        flag: &str,
        question: &str,
        parse: impl Fn(&str) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        loop {
            let answer = self.required(flag, question, None)?;
            match parse(&answer) {
                Ok(value) => return Ok(value),
                Err(e) if self.interactive => eprintln!("  {e}"),
                Err(e) => return Err(e),
            }
        }
    }

    fn optional(&mut self, question: &str, given: Option<String>) -> anyhow::Result<String> {
        match given {
            Some(v) => Ok(v),
            None if self.interactive => self.ask(question),
            None => Ok(String::new()),
        }
    }

    fn ask(&mut self, question: &str) -> anyhow::Result<String> {
        eprint!("{question}: ");
        std::io::stderr().flush()?;
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).context("reading the answer")? == 0 {
            bail!("no answer to: {question}");
        }
        Ok(line.trim().to_owned())
    }
}

/// "what|when" or "what|when|owner".
fn follow_up(text: &str) -> anyhow::Result<pb::FollowUpInput> {
    let mut parts = text.split('|').map(str::trim);
    let (Some(action), Some(when)) = (parts.next(), parts.next()) else {
        bail!("--follow-up: {text:?} is not \"what to do|2027-03-09 17:00\"");
    };
    Ok(pb::FollowUpInput {
        action: action.to_owned(),
        owner: parts.next().unwrap_or_default().to_owned(),
        due: Some(pb::WhenInput { at: Some(pb::when_input::At::Local(when.replace(' ', "T"))), zone: String::new() }),
    })
}

/// Other institutions of the same actor, kind and city as `made`: most likely the same
/// institution under another name (the registry refuses only the same name).
async fn same_kind_and_place(
    c: &mut BriefingsServiceClient<AuthedChannel>,
    made: &pb::Institution,
) -> anyhow::Result<Vec<pb::Institution>> {
    let all = all_pages(usize::MAX, |page_token| {
        let (mut c, request) =
            (c.clone(), pb::ListInstitutionsRequest { actor: made.actor.clone(), page_size: 500, page_token });
        async move {
            let page = c.list_institutions(request).await.map_err(explain)?.into_inner();
            Ok((page.institutions, page.next_page_token))
        }
    })
    .await?;
    Ok(all
        .into_iter()
        .filter(|i| i.id != made.id && i.kind == made.kind && normalize_name(&i.city) == normalize_name(&made.city))
        .collect())
}

/// The id of the institution `named`: an id as it is, or the one institution whose name
/// holds the words typed (case, accents and spacing aside); several or none are explained,
/// with the names that come closest.
async fn institution_id(c: &mut BriefingsServiceClient<AuthedChannel>, named: &str) -> anyhow::Result<String> {
    if uuid::Uuid::try_parse(named).is_ok() {
        return Ok(named.to_owned());
    }
    let all = all_pages(usize::MAX, |page_token| {
        let (mut c, request) =
            (c.clone(), pb::ListInstitutionsRequest { page_size: 500, page_token, ..Default::default() });
        async move {
            let page = c.list_institutions(request).await.map_err(explain)?.into_inner();
            Ok((page.institutions, page.next_page_token))
        }
    })
    .await?;
    let typed = normalize_name(named);
    let matching: Vec<&pb::Institution> = all.iter().filter(|i| normalize_name(&i.name).contains(&typed)).collect();
    let described = |i: &pb::Institution| format!("{} ({}, {})", i.name, i.actor, i.id);
    match matching.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => {
            let mut near: Vec<(f64, &pb::Institution)> =
                all.iter().map(|i| (strsim::jaro_winkler(&typed, &normalize_name(&i.name)), i)).collect();
            near.sort_by(|a, b| b.0.total_cmp(&a.0));
            let names: Vec<String> = near.iter().take(3).map(|(_, i)| described(i)).collect();
            bail!("--institution: no institution is called {named:?}; the closest: {}", names.join("; "))
        }
        several => bail!(
            "--institution: {named:?} names {} institutions: {}; give more of the name or the id",
            several.len(),
            several.iter().map(|i| described(i)).collect::<Vec<_>>().join("; ")
        ),
    }
}

fn briefing_json(b: &pb::Briefing) -> serde_json::Value {
    json!({
        "id": b.id, "version": b.version, "at_local": b.at_local, "zone": b.zone, "city": b.city,
        "format": words::word_of::<pb::BriefingFormat>(b.format),
        "actors": b.actors, "institution_ids": b.institution_ids, "attendees": b.attendees, "themes": b.themes,
        "asks": b.asks, "summary": b.summary, "notes": b.notes, "outcome": b.outcome, "quiet": b.quiet,
        "follow_ups": b.follow_ups.iter().map(|f| json!({
            "id": f.id, "action": f.action, "owner": f.owner, "due_local": due_local(f), "zone": f.zone,
            "done": f.done, "deadline_id": f.deadline_id,
        })).collect::<Vec<_>>(),
    })
}

/// When a follow-up is due, as its zone's clock reads then: "2027-03-09 17:00".
fn due_local(f: &pb::FollowUp) -> String {
    super::local_minute(&f.due, f.zone.parse().unwrap_or(chrono_tz::UTC))
}

fn print_one(b: &pb::Briefing, json: bool) {
    if json {
        return print_record(&briefing_json(b), true);
    }
    let mut shown = briefing_json(b);
    if let Some(fields) = shown.as_object_mut() {
        // Follow-ups read as lines: what, who, when, done or not.
        fields.remove("follow_ups");
    }
    print_record(&shown, false);
    for f in &b.follow_ups {
        let state = if f.done { "done" } else { "open" };
        println!("follow-up  {} ({}, due {} {}, {state})", f.action, f.owner, due_local(f), f.zone);
    }
}
