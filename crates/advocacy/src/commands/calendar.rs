//! `advocacy calendar export`: open deadlines as an .ics file.

use anyhow::Context;

use advocacy_platform::Config;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use super::{channel, explain};
use crate::cli::CalendarCommand;

pub async fn run(config: &Config, command: CalendarCommand) -> anyhow::Result<()> {
    let CalendarCommand::Export { client, owner, deadline, output, horizon_days } = command;
    let mut c = DeadlinesServiceClient::new(channel(config, &client).await?);
    let request = pb::ExportCalendarRequest {
        owner: owner.unwrap_or_default(),
        horizon_days,
        deadline_id: deadline.unwrap_or_default(),
    };
    let calendar = c.export_calendar(request).await.map_err(explain)?.into_inner();
    if calendar.deadlines_left_out > 0 {
        eprintln!(
            "the calendar reached its bounds: {} deadlines have events left out; narrow it with --owner, --deadline or --horizon-days",
            calendar.deadlines_left_out
        );
    }
    match output {
        Some(path) => {
            std::fs::write(&path, calendar.ics).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} events to {}", calendar.events, path.display());
        }
        None => print!("{}", calendar.ics),
    }
    Ok(())
}
