//! `advocacy report`: the impact report of a period, the records behind a figure, and
//! frozen reports, from the gateway.

use anyhow::bail;

use advocacy_platform::Config;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::gateway_service_client::GatewayServiceClient;

use super::{channel, explain, request_id};
use crate::cli::{ReportAction, ReportArgs};
use crate::output::Table;

/// A period as people write it: `2024`, `2024-Q2`, `2024-04`, or `2024-01-01..2024-03-31`.
fn period(text: Option<&str>, zone: chrono_tz::Tz) -> anyhow::Result<pb::ReportPeriod> {
    use pb::report_period::Span;
    let Some(text) = text.map(str::trim) else {
        bail!("--period: which period? 2024, 2024-Q2, 2024-04 or 2024-01-01..2024-03-31")
    };
    let span = if let Some((from, to)) = text.split_once("..") {
        let day = |flag: &str, d: &str, after: u64| -> anyhow::Result<prost_types::Timestamp> {
            let date = chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("--period: {flag} {d:?} is not a date such as 2024-01-31"))?;
            let date = date + chrono::Days::new(after);
            let midnight =
                date.and_hms_opt(0, 0, 0).and_then(|m| chrono::TimeZone::from_local_datetime(&zone, &m).earliest());
            let midnight = midnight.ok_or_else(|| anyhow::anyhow!("--period: {d} has no midnight in {zone}"))?;
            Ok(advocacy_platform::time::to_timestamp(midnight.with_timezone(&chrono::Utc)))
        };
        Span::Custom(pb::Period { start: Some(day("from", from, 0)?), end: Some(day("to", to, 1)?) })
    } else if text.contains("-Q") {
        Span::Quarter(text.to_owned())
    } else if text.contains('-') {
        Span::Month(text.to_owned())
    } else {
        Span::Year(
            text.parse().map_err(|_| anyhow::anyhow!("--period: {text:?} is not a year, quarter, month or days"))?,
        )
    };
    Ok(pb::ReportPeriod { span: Some(span) })
}

fn when(ts: &Option<prost_types::Timestamp>) -> String {
    ts.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn print_report(report: &pb::ImpactReport, json: bool, csv: bool) {
    let mut table = Table::new(&["Section", "Figure", "Value"]);
    for section in &report.sections {
        if !section.available {
            table.row(vec![
                section.name.clone(),
                format!("unavailable: {}", section.unavailable_reason),
                String::new(),
            ]);
            continue;
        }
        for f in &section.figures {
            table.row(vec![section.name.clone(), f.key.clone(), f.value.to_string()]);
        }
        table.row(vec![section.name.clone(), "restricted, not shown".into(), section.restricted_not_shown.to_string()]);
    }
    if !json && !csv {
        println!("Impact report {} ({})", report.label, report.zone);
    }
    table.print_as(json, csv);
}

pub async fn run(config: &Config, args: ReportArgs) -> anyhow::Result<()> {
    let zone = config.organisation_zone();
    let mut client = GatewayServiceClient::new(channel(config, &args.client).await?);
    let (json, csv) = (args.client.json, args.csv);
    match args.action {
        None => {
            // A file or a script's input is an export: no quiet diplomacy in it.
            let request =
                pb::ImpactReportRequest { period: Some(period(args.period.as_deref(), zone)?), export: json || csv };
            let report = client.get_impact_report(request).await.map_err(explain)?.into_inner();
            print_report(&report, json, csv);
        }
        Some(ReportAction::Records { figure }) => {
            let period = Some(period(args.period.as_deref(), zone)?);
            let records = super::all_pages(usize::MAX, |page_token| {
                let (mut client, figure, period) = (client.clone(), figure.clone(), period.clone());
                async move {
                    let request = pb::ListImpactRecordsRequest {
                        period,
                        figure,
                        page_size: 500,
                        page_token,
                        export: json || csv,
                    };
                    let page = client.list_impact_records(request).await.map_err(explain)?.into_inner();
                    Ok((page.records, page.next_page_token))
                }
            })
            .await?;
            let mut table = Table::new(&["Kind", "Id", "Title", "At"]);
            for r in &records {
                table.row(vec![r.kind.clone(), r.id.clone(), r.title.clone(), when(&r.at)]);
            }
            table.print_as(json, csv);
        }
        Some(ReportAction::Freeze { reason }) => {
            let request = pb::FreezeImpactReportRequest {
                request_id: request_id(),
                period: Some(period(args.period.as_deref(), zone)?),
                reason,
            };
            let frozen = client.freeze_impact_report(request).await.map_err(explain)?.into_inner();
            println!(
                "frozen as {}: {} by {} on {}",
                frozen.id,
                frozen.reason,
                frozen.frozen_by,
                when(&frozen.frozen_at)
            );
        }
        Some(ReportAction::Frozen { id: None }) => {
            let reports =
                client.list_frozen_reports(pb::ListFrozenReportsRequest {}).await.map_err(explain)?.into_inner();
            let mut table = Table::new(&["Id", "Period", "Reason", "Frozen by", "Frozen at"]);
            for r in &reports.reports {
                let label = r.report.as_ref().map(|p| p.label.clone()).unwrap_or_default();
                table.row(vec![r.id.clone(), label, r.reason.clone(), r.frozen_by.clone(), when(&r.frozen_at)]);
            }
            table.print_as(json, csv);
        }
        Some(ReportAction::Frozen { id: Some(id) }) => {
            let compared =
                client.get_frozen_report(pb::GetFrozenReportRequest { id }).await.map_err(explain)?.into_inner();
            let frozen = compared.frozen.unwrap_or_default();
            if !json && !csv {
                println!("Frozen {} by {}: {}", when(&frozen.frozen_at), frozen.frozen_by, frozen.reason);
            }
            let mut table = Table::new(&["Figure", "Frozen", "Now", "Added", "Withdrawn"]);
            for c in &compared.changes {
                table.row(vec![
                    c.key.clone(),
                    c.frozen.to_string(),
                    c.now.to_string(),
                    c.added.join(" "),
                    c.withdrawn.join(" "),
                ]);
            }
            if compared.changes.is_empty() && !json && !csv {
                println!("Nothing changed since.");
            } else {
                table.print_as(json, csv);
            }
        }
    }
    Ok(())
}
