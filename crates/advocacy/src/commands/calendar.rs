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
    let calendar = c.export_calendar(request.clone()).await.map_err(explain)?.into_inner();
    if calendar.events == 0 {
        // Say so, and whose deadlines there are, rather than write an empty calendar.
        let open = pb::ListDeadlinesRequest {
            statuses: vec![pb::DeadlineStatus::Open.into()],
            page_size: 500,
            ..Default::default()
        };
        let listed = c.list_deadlines(open).await.map_err(explain)?.into_inner();
        let mut owners: Vec<String> = listed.deadlines.into_iter().flat_map(|d| d.owners).collect();
        owners.sort();
        owners.dedup();
        let whose = if request.owner.is_empty() { "you may see".to_owned() } else { format!("of {}", request.owner) };
        match owners.is_empty() {
            true => anyhow::bail!("nothing to export: there are no open deadlines {whose}"),
            false => anyhow::bail!(
                "nothing to export: no open deadlines {whose}; owners with open deadlines: {} (--owner)",
                owners.join(", ")
            ),
        }
    }
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
