//! `advocacy notifier`: what the notifier planned and sent, previews and tests.

use serde_json::{Value, json};

use advocacy_platform::Config;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::notifier_service_client::NotifierServiceClient;

use super::deadlines::{lead_text, parse_lead, ts};
use super::{all_pages, channel, explain, local_minute, parse_day};
use crate::cli::NotifierCommand;
use crate::output::{Table, print_record};
use crate::words;

pub async fn run(config: &Config, command: NotifierCommand) -> anyhow::Result<()> {
    let zone = config.organisation_zone();
    match command {
        NotifierCommand::Deliveries { client, deadline, recipient, state, from, to, limit } => {
            let c = NotifierServiceClient::new(channel(config, &client).await?);
            let period = match (from, to) {
                (None, None) => None,
                (from, to) => Some(pb::Period {
                    start: from.map(|f| parse_day("from", &f, zone)).transpose()?,
                    end: to.map(|t| parse_day("to", &t, zone)).transpose()?,
                }),
            };
            let request = pb::ListDeliveriesRequest {
                deadline_id: deadline.unwrap_or_default(),
                recipient: recipient.unwrap_or_default(),
                state: state.unwrap_or_default(),
                period,
                page_size: limit.clamp(1, 500) as i32,
                page_token: String::new(),
            };
            let deliveries = all_pages(limit, |page_token| {
                let (mut c, request) = (c.clone(), pb::ListDeliveriesRequest { page_token, ..request.clone() });
                async move {
                    let page = c.list_deliveries(request).await.map_err(explain)?.into_inner();
                    Ok((page.deliveries, page.next_page_token))
                }
            })
            .await?;
            print_deliveries(&deliveries, zone, client.json);
            if !client.json && deliveries.is_empty() {
                println!("(no deliveries)");
            }
        }
        NotifierCommand::Plan { client, deadline } => {
            let mut c = NotifierServiceClient::new(channel(config, &client).await?);
            let plan = c.get_plan(pb::GetPlanRequest { deadline_id: deadline }).await.map_err(explain)?.into_inner();
            if client.json {
                let all: Vec<Value> = plan.deliveries.iter().map(delivery_json).collect();
                let value = json!({"deadline_id": plan.deadline_id, "due": ts(&plan.due), "deliveries": all});
                print_record(&value, true);
                return Ok(());
            }
            println!("due {}", when(&plan.due, zone));
            print_deliveries(&plan.deliveries, zone, false);
        }
        NotifierCommand::Preview { client, deadline, lead, language, recipient, html } => {
            let mut c = NotifierServiceClient::new(channel(config, &client).await?);
            let request = pb::PreviewReminderRequest {
                deadline_id: deadline,
                lead_minutes: lead.as_deref().map(parse_lead).transpose()?.unwrap_or(0),
                language: language.unwrap_or_default(),
                recipient: recipient.unwrap_or_default(),
            };
            let preview = c.preview_reminder(request).await.map_err(explain)?.into_inner();
            if client.json {
                let value = json!({"recipient": preview.recipient, "subject": preview.subject, "text": preview.body, "html": preview.html});
                print_record(&value, true);
                return Ok(());
            }
            println!("To: {}\nSubject: {}\n", preview.recipient, preview.subject);
            println!("{}", if html { preview.html } else { preview.body });
        }
        NotifierCommand::Test { client, recipient } => {
            let mut c = NotifierServiceClient::new(channel(config, &client).await?);
            let sent = c.send_test(pb::SendTestRequest { recipient }).await.map_err(explain)?.into_inner();
            if client.json {
                print_record(&delivery_json(&sent), true);
                return Ok(());
            }
            println!(
                "a test message to {} is on its way (delivery {}); `advocacy notifier deliveries --recipient {}` shows how it went",
                sent.recipient, sent.id, sent.recipient
            );
        }
        NotifierCommand::Retry { client, delivery } => {
            let mut c = NotifierServiceClient::new(channel(config, &client).await?);
            let retried = c
                .retry_delivery(pb::RetryDeliveryRequest { delivery_id: delivery })
                .await
                .map_err(explain)?
                .into_inner();
            if client.json {
                print_record(&delivery_json(&retried), true);
                return Ok(());
            }
            println!("delivery {} to {} will be sent again now", retried.id, retried.recipient);
        }
    }
    Ok(())
}

/// "2027-02-26 10:00 Asia/Seoul": an instant in the organisation's zone.
fn when(t: &Option<prost_types::Timestamp>, zone: chrono_tz::Tz) -> String {
    match local_minute(t, zone) {
        shown if shown.is_empty() => shown,
        shown => format!("{shown} {}", zone.name()),
    }
}

fn what(d: &pb::Delivery) -> String {
    match d.kind() {
        pb::DeliveryKind::Reminder if d.catch_up => format!("{} before (catch-up)", lead_text(d.lead_minutes)),
        pb::DeliveryKind::Reminder => format!("{} before", lead_text(d.lead_minutes)),
        pb::DeliveryKind::Escalation => format!("escalation {} before", lead_text(d.lead_minutes)),
        other => words::word(other),
    }
}

fn print_deliveries(deliveries: &[pb::Delivery], zone: chrono_tz::Tz, json: bool) {
    if json {
        let all: Vec<Value> = deliveries.iter().map(delivery_json).collect();
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        return;
    }
    let mut table = Table::new(&["SEND AT", "WHAT", "TO", "STATE", "NOTE", "DEADLINE", "ID"]);
    for d in deliveries {
        let state = words::word_of::<pb::DeliveryState>(d.state);
        let note = match d.state() {
            pb::DeliveryState::Sent => format!("sent {}", when(&d.sent_at, zone)),
            pb::DeliveryState::Retrying => format!("next try {}: {}", when(&d.next_attempt_at, zone), d.last_error),
            pb::DeliveryState::Failed => d.last_error.clone(),
            _ => d.reason.clone(),
        };
        table.row(vec![
            when(&d.send_at, zone),
            what(d),
            d.recipient.clone(),
            state,
            note,
            d.deadline_id.clone(),
            d.id.clone(),
        ]);
    }
    table.print();
}

fn delivery_json(d: &pb::Delivery) -> Value {
    json!({
        "id": d.id,
        "kind": words::word_of::<pb::DeliveryKind>(d.kind),
        "deadline_id": d.deadline_id,
        "due": ts(&d.due),
        "lead_minutes": d.lead_minutes,
        "catch_up": d.catch_up,
        "recipient": d.recipient,
        "state": words::word_of::<pb::DeliveryState>(d.state),
        "send_at": ts(&d.send_at),
        "sent_at": ts(&d.sent_at),
        "attempts": d.attempts,
        "last_error": d.last_error,
        "next_attempt_at": ts(&d.next_attempt_at),
        "reason": d.reason,
        "message_id": d.message_id,
    })
}
