//! `advocacy audit`: every service's audit log, listed or checked, as an admin.

use anyhow::bail;

use advocacy_platform::Config;
use advocacy_platform::client::AuthedChannel;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::gateway_service_client::GatewayServiceClient;
use advocacy_proto::v1::notifier_service_client::NotifierServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use super::{channel, explain, parse_instant};
use crate::cli::AuditCommand;
use crate::output::Table;

/// Calls `$method` on the client of `$service`.
macro_rules! on_service {
    ($service:expr, $channel:expr, $method:ident, $request:expr) => {
        match $service {
            "deadlines" => DeadlinesServiceClient::new($channel).$method($request).await,
            "submissions" => SubmissionsServiceClient::new($channel).$method($request).await,
            "briefings" => BriefingsServiceClient::new($channel).$method($request).await,
            "notifier" => NotifierServiceClient::new($channel).$method($request).await,
            _ => GatewayServiceClient::new($channel).$method($request).await,
        }
    };
}

async fn entries(
    channel: AuthedChannel,
    service: Option<&str>,
    request: pb::ListAuditEntriesRequest,
) -> anyhow::Result<Vec<pb::AuditEntry>> {
    let answer = match service {
        Some(service) => on_service!(service, channel, list_audit_entries, request),
        None => GatewayServiceClient::new(channel).list_all_audit_entries(request).await,
    };
    Ok(answer.map_err(explain)?.into_inner().entries)
}

pub async fn run(config: &Config, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::List { service, since, limit, client } => {
            let since = since.map(|s| parse_instant("since", &s)).transpose()?;
            let request = pb::ListAuditEntriesRequest { after_seq: 0, page_size: limit.clamp(1, 1_000) as i32, since };
            let found = entries(channel(config, &client).await?, service.as_deref(), request).await?;
            let mut table = Table::new(&["At", "Service", "Entry", "Actor", "Action", "Kind", "Record"]);
            for e in &found {
                let at = e.at.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0)).map(|t| t.to_rfc3339());
                table.row(vec![
                    at.unwrap_or_default(),
                    e.service.clone(),
                    e.seq.to_string(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.kind.clone(),
                    e.record_id.clone(),
                ]);
            }
            if client.json { table.print_json() } else { table.print() }
        }
        AuditCommand::Verify { client } => {
            let channel = channel(config, &client).await?;
            let mut broken = Vec::new();
            for service in crate::serve::service_names() {
                let answer = on_service!(service, channel.clone(), verify_audit_log, pb::VerifyAuditLogRequest {});
                let answer = answer.map_err(|e| explain(e).context(format!("the {service} service")))?.into_inner();
                if answer.intact {
                    println!("{service}: {} entries, the chain holds", answer.checked);
                } else {
                    println!("{service}: broken at entry {}: {}", answer.broken_seq, answer.reason);
                    broken.push(format!("{service} entry {}", answer.broken_seq));
                }
            }
            if !broken.is_empty() {
                bail!("the audit log was tampered with: {}", broken.join(", "));
            }
        }
    }
    Ok(())
}
