//! `advocacy submissions ...`: record what went to which mechanism, and each step after.

use anyhow::Context;
use serde_json::json;
use sha2::{Digest, Sha256};

use advocacy_platform::Config;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use super::{all_pages, channel, explain, parse_instant, request_id};
use crate::cli::SubmissionsCommand;
use crate::output::{Table, print_record};
use crate::words;

pub async fn run(config: &Config, command: SubmissionsCommand) -> anyhow::Result<()> {
    match command {
        SubmissionsCommand::Add {
            client,
            title,
            mechanism,
            kind,
            country,
            partners,
            deadline,
            url,
            file,
            words,
            themes,
            status,
            at,
            evidence,
            restricted,
        } => {
            let document_sha256 = file.map(|path| sha256_of(&path)).transpose()?.unwrap_or_default();
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let request = pb::CreateSubmissionRequest {
                request_id: request_id(),
                title,
                mechanism,
                kind,
                country,
                partners,
                deadline_id: deadline.unwrap_or_default(),
                document_url: url.unwrap_or_default(),
                document_sha256,
                word_count: words,
                themes,
                evidence,
                classification: restricted.as_deref().map(advocacy_platform::classification::restricted_to),
                status: status.unwrap_or_default(),
                status_at: at.map(|a| parse_instant("at", &a)).transpose()?,
            };
            let s = c.create_submission(request).await.map_err(explain)?.into_inner();
            print_record(&submission_json(&s), client.json);
        }
        SubmissionsCommand::List { client, mechanism, status, country, limit } => {
            let c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let request = pb::ListSubmissionsRequest {
                mechanism: mechanism.unwrap_or_default(),
                status: status.unwrap_or_default(),
                country: country.unwrap_or_default(),
                page_size: limit.clamp(1, 500) as i32,
                ..Default::default()
            };
            let all = all_pages(limit, |page_token| {
                let (mut c, request) = (c.clone(), pb::ListSubmissionsRequest { page_token, ..request.clone() });
                async move {
                    let page = c.list_submissions(request).await.map_err(explain)?.into_inner();
                    Ok((page.submissions, page.next_page_token))
                }
            })
            .await?;
            if client.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&all.iter().map(submission_json).collect::<Vec<_>>())
                        .unwrap_or_default()
                );
            } else {
                let mut table = Table::new(&["MECHANISM", "COUNTRY", "STATUS", "TITLE", "ID"]);
                for s in &all {
                    table.row(vec![
                        s.mechanism.clone(),
                        s.country.clone(),
                        words::word_of::<pb::SubmissionStatus>(s.status),
                        s.title.chars().take(60).collect(),
                        s.id.clone(),
                    ]);
                }
                table.print();
            }
        }
        SubmissionsCommand::Show { client, id } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let s = c.get_submission(pb::GetSubmissionRequest { id }).await.map_err(explain)?.into_inner();
            print_record(&submission_json(&s), client.json);
        }
        SubmissionsCommand::Edit { client, id, title, url, file, words, partners, themes, evidence } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let s = c.get_submission(pb::GetSubmissionRequest { id: id.clone() }).await.map_err(explain)?.into_inner();
            let replaced = |given: Vec<String>, current: Vec<String>| if given.is_empty() { current } else { given };
            let request = pb::UpdateSubmissionRequest {
                request_id: request_id(),
                id,
                expected_version: s.version,
                title: title.unwrap_or(s.title),
                partners: replaced(partners, s.partners),
                document_url: url.unwrap_or(s.document_url),
                document_sha256: file.map(|path| sha256_of(&path)).transpose()?.unwrap_or(s.document_sha256),
                word_count: words.unwrap_or(s.word_count),
                themes: replaced(themes, s.themes),
                evidence: replaced(evidence, s.evidence),
            };
            let s = c.update_submission(request).await.map_err(explain)?.into_inner();
            print_record(&submission_json(&s), client.json);
        }
        SubmissionsCommand::Status { client, id, status, at, note } => {
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let current =
                c.get_submission(pb::GetSubmissionRequest { id: id.clone() }).await.map_err(explain)?.into_inner();
            let request = pb::RecordSubmissionStatusRequest {
                request_id: request_id(),
                id,
                expected_version: current.version,
                status,
                at: at.map(|a| parse_instant("at", &a)).transpose()?,
                note,
            };
            let s = c.record_submission_status(request).await.map_err(explain)?.into_inner();
            print_record(&submission_json(&s), client.json);
        }
    }
    Ok(())
}

/// A document's SHA-256, so what was sent can be proven later.
fn sha256_of(path: &std::path::Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("--file: cannot read {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

fn submission_json(s: &pb::Submission) -> serde_json::Value {
    json!({
        "id": s.id, "version": s.version, "title": s.title, "mechanism": s.mechanism,
        "kind": words::word_of::<pb::SubmissionKind>(s.kind),
        "country": s.country, "partners": s.partners, "status": words::word_of::<pb::SubmissionStatus>(s.status),
        "history": s.history.iter().map(|h| format!("{} {} by {}", words::word_of::<pb::SubmissionStatus>(h.status), h.at.as_ref().and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0)).map(|t| t.to_rfc3339()).unwrap_or_default(), h.by)).collect::<Vec<_>>(),
        "deadline_id": s.deadline_id, "document_url": s.document_url, "document_sha256": s.document_sha256,
        "word_count": s.word_count,
        "word_rule": s.word_rule.map(|w| format!("{} words at most{}{}", w.limit, if w.hard { " (enforced)" } else { " (guidance)" }, if w.exceeded { ", exceeded" } else { "" })),
        "themes": s.themes,
    })
}
