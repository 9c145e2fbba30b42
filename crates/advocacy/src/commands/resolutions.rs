//! `advocacy resolutions ...`, `advocacy amendments ...` and `advocacy publications ...`: the
//! resolutions we seek to influence, our amendments and what the adopted text kept of them,
//! and our publications.

use anyhow::{Context, bail};

use advocacy_platform::Config;
use advocacy_platform::classification::restricted_to;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use super::{channel, explain, parse_instant, request_id};
use crate::cli::{AmendmentsCommand, PublicationsCommand, ResolutionsCommand};
use crate::output::Table;
use crate::words;

pub async fn run(config: &Config, command: ResolutionsCommand) -> anyhow::Result<()> {
    match command {
        ResolutionsCommand::Add { client, body, session, title, symbol } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let request = pb::CreateResolutionRequest { request_id: request_id(), body, session, title, symbol };
            let r = c.create_resolution(request).await.map_err(explain)?.into_inner();
            println!("{}  {} {} — {}", r.id, r.body, r.session, r.title);
        }
        ResolutionsCommand::List { client, body, session } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let request =
                pb::ListResolutionsRequest { body: body.unwrap_or_default(), session: session.unwrap_or_default() };
            let found = c.list_resolutions(request).await.map_err(explain)?.into_inner().resolutions;
            let mut table = Table::new(&["BODY", "SESSION", "STATE", "TITLE", "ID"]);
            for r in found {
                table.row(vec![r.body, r.session, words::word_of::<pb::ResolutionState>(r.state), r.title, r.id]);
            }
            if client.json { table.print_json() } else { table.print() }
        }
        ResolutionsCommand::Outcome { client, resolution, state, adopted_on, vote, without_vote } => {
            use pb::ResolutionState as S;
            let state = match state.trim().to_lowercase().as_str() {
                "tabled" => S::Tabled,
                "adopted" => S::Adopted,
                "rejected" => S::Rejected,
                other => bail!("{other:?} is not one of tabled, adopted, rejected"),
            };
            let vote = match (vote, without_vote) {
                (_, true) => Some(pb::Vote { without_vote: true, ..Default::default() }),
                (Some(v), false) => Some(parse_vote(&v).context("--vote")?),
                (None, false) => None,
            };
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let current = c
                .get_resolution(pb::GetResolutionRequest { id: resolution.clone() })
                .await
                .map_err(explain)?
                .into_inner();
            let request = pb::RecordResolutionStateRequest {
                request_id: request_id(),
                id: resolution,
                expected_version: current.version,
                state: state.into(),
                adopted_on: adopted_on.map(|d| parse_instant("adopted-on", &d)).transpose()?,
                vote,
            };
            let r = c.record_resolution_state(request).await.map_err(explain)?.into_inner();
            let vote = r.vote.map(|v| {
                if v.without_vote {
                    " without a vote".to_owned()
                } else {
                    format!(" by {}-{}-{}", v.yes, v.no, v.abstain)
                }
            });
            println!(
                "{}  {} {} — {}: {}{}",
                r.id,
                r.body,
                r.session,
                r.title,
                words::word_of::<pb::ResolutionState>(r.state),
                vote.unwrap_or_default()
            );
        }
    }
    Ok(())
}

pub async fn amendments(config: &Config, command: AmendmentsCommand) -> anyhow::Result<()> {
    match command {
        AmendmentsCommand::Propose {
            client,
            resolution,
            paragraph,
            number,
            text,
            rationale,
            lobbied,
            evidence,
            restricted,
        } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let request = pb::ProposeAmendmentRequest {
                request_id: request_id(),
                resolution_id: resolution,
                paragraph_kind: paragraph,
                paragraph_number: number,
                proposed_text: text,
                rationale,
                evidence,
                lobbied,
                classification: restricted.as_deref().map(restricted_to),
            };
            let a = c.propose_amendment(request).await.map_err(explain)?.into_inner();
            print_amendment(&a);
        }
        AmendmentsCommand::Outcome { client, amendment, outcome, adopted_text } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let current =
                c.get_amendment(pb::GetAmendmentRequest { id: amendment.clone() }).await.map_err(explain)?.into_inner();
            let request = pb::RecordAmendmentOutcomeRequest {
                request_id: request_id(),
                id: amendment,
                expected_version: current.version,
                status: outcome,
                adopted_text,
            };
            let a = c.record_amendment_outcome(request).await.map_err(explain)?.into_inner();
            print_amendment(&a);
        }
        AmendmentsCommand::Edit { client, amendment, paragraph, number, text, rationale, lobbied, evidence } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let a = c.get_amendment(pb::GetAmendmentRequest { id: amendment }).await.map_err(explain)?.into_inner();
            let paragraph_kind = paragraph.unwrap_or(a.paragraph_kind);
            let request = pb::UpdateAmendmentRequest {
                request_id: request_id(),
                id: a.id,
                expected_version: a.version,
                paragraph_kind,
                paragraph_number: number.unwrap_or(a.paragraph_number),
                proposed_text: text.unwrap_or(a.proposed_text),
                rationale: rationale.unwrap_or(a.rationale),
                evidence: a.evidence.into_iter().chain(evidence).collect(),
                lobbied: a.lobbied.into_iter().chain(lobbied).collect(),
            };
            let a = c.update_amendment(request).await.map_err(explain)?.into_inner();
            print_amendment(&a);
        }
        AmendmentsCommand::Show { client, amendment } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let a = c.get_amendment(pb::GetAmendmentRequest { id: amendment }).await.map_err(explain)?.into_inner();
            print_amendment(&a);
        }
        AmendmentsCommand::List { client, resolution } => {
            let c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let found = super::all_pages(usize::MAX, |page_token| {
                let mut c = c.clone();
                let request = pb::ListAmendmentsRequest {
                    resolution_id: resolution.clone(),
                    page_token,
                    page_size: 500,
                    ..Default::default()
                };
                async move {
                    let page = c.list_amendments(request).await.map_err(explain)?.into_inner();
                    Ok((page.amendments, page.next_page_token))
                }
            })
            .await?;
            for a in &found {
                print_amendment(a);
                println!();
            }
        }
    }
    Ok(())
}

pub async fn publications(config: &Config, command: PublicationsCommand) -> anyhow::Result<()> {
    match command {
        PublicationsCommand::Add { client, title, kind, contracted_by, published, url, restricted } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let request = pb::CreatePublicationRequest {
                request_id: request_id(),
                title,
                kind,
                contracted_by,
                published_on: Some(parse_instant("published", &published)?),
                url,
                classification: restricted.as_deref().map(restricted_to),
            };
            let p = c.create_publication(request).await.map_err(explain)?.into_inner();
            println!("{}  {}", p.id, p.title);
        }
        PublicationsCommand::List { client } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let found = c
                .list_publications(pb::ListPublicationsRequest::default())
                .await
                .map_err(explain)?
                .into_inner()
                .publications;
            let mut table = Table::new(&["PUBLISHED", "KIND", "TITLE", "ID"]);
            for p in found {
                let when = p
                    .published_on
                    .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                let kind = words::word_of::<pb::PublicationKind>(p.kind);
                table.row(vec![when, kind, p.title, p.id]);
            }
            if client.json { table.print_json() } else { table.print() }
        }
    }
    Ok(())
}

/// "30,3,14": yes, no, abstentions.
fn parse_vote(text: &str) -> anyhow::Result<pb::Vote> {
    let counts: Vec<i32> = text.split(',').map(|n| n.trim().parse()).collect::<Result<_, _>>().ok().unwrap_or_default();
    let [yes, no, abstain] = counts[..] else { bail!("{text:?} is not yes,no,abstentions such as 30,3,14") };
    Ok(pb::Vote { yes, no, abstain, without_vote: false })
}

/// An amendment for a person: where it goes, where it stands, and, once adopted, our
/// text marked word by word: [-dropped-] and {+added+}.
fn print_amendment(a: &pb::Amendment) {
    let kind = if a.paragraph_kind == pb::ParagraphKind::Preambular as i32 { "PP" } else { "OP" };
    // A phrase for people: "adopted in part".
    let status = words::word_of::<pb::AmendmentStatus>(a.status).replace('-', " ");
    println!("{} {}{}: {}   ({})", a.id, kind, a.paragraph_number, status, a.lobbied.join(", "));
    match &a.comparison {
        Some(c) => {
            println!("kept {} of our {} words ({}%)", c.kept_words, c.proposed_words, c.kept_percent);
            let marked: Vec<String> = c
                .segments
                .iter()
                .map(|s| match pb::SegmentOp::try_from(s.op) {
                    Ok(pb::SegmentOp::Dropped) => format!("[-{}-]", s.text),
                    Ok(pb::SegmentOp::Added) => format!("{{+{}+}}", s.text),
                    _ => s.text.clone(),
                })
                .collect();
            println!("{}", marked.join(" "));
        }
        None => println!("{}", a.proposed_text),
    }
}
