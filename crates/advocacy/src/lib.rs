//! The one advocacy binary, as a library: the CLI definitions, the composition of services
//! into a running system (also used by the end-to-end tests), and the client commands.

pub mod cli;
pub mod commands;
pub mod demo;
pub mod output;
pub mod serve;
pub mod words;

use advocacy_platform::Config;

use crate::cli::{Cli, Command};

/// Runs one command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref(), &serve::service_names())?;
    match cli.command {
        Command::Serve { services, demo } => {
            advocacy_platform::telemetry::init(&config.log);
            let served = serve::run(&config, &named_or_all(&services), demo).await;
            advocacy_platform::telemetry::flush();
            served
        }
        Command::Migrate { services } => serve::migrate(&config, &named_or_all(&services)).await,
        Command::Token(args) => commands::token::run(&config, &args),
        Command::Keys(command) => commands::keys::run(&config, command),
        Command::Audit(command) => commands::audit::run(&config, command).await,
        Command::Users(command) => commands::users::run(&config, command).await,
        Command::Report(args) => commands::report::run(&config, *args).await,
        Command::Deadlines(command) => commands::deadlines::run(&config, *command).await,
        Command::Submissions(command) => commands::submissions::run(&config, *command).await,
        Command::Resolutions(command) => commands::resolutions::run(&config, *command).await,
        Command::Amendments(command) => commands::resolutions::amendments(&config, *command).await,
        Command::Publications(command) => commands::resolutions::publications(&config, command).await,
        Command::Briefings(command) => commands::briefings::run(&config, *command).await,
        Command::Institutions(command) => commands::briefings::institutions(&config, command).await,
        Command::Import(command) => commands::import::run(&config, command).await,
        Command::Calendar(command) => commands::calendar::run(&config, command).await,
        Command::Notifier(command) => commands::notifier::run(&config, command).await,
        Command::Health { server, service } => commands::health(&server, service.as_deref()).await,
        Command::Backup { archive } => commands::backup::backup(&config, &archive).await,
        Command::Restore { archive } => commands::backup::restore(&config, &archive).await,
        Command::Mailbox { show, dir, limit } => commands::mailbox::run(&config, show, dir, limit),
        Command::Catalog { list, json } => {
            commands::catalog::run(&list, json);
            Ok(())
        }
    }
}

/// The services a command names; none named means every one.
fn named_or_all(services: &[String]) -> Vec<&str> {
    if services.is_empty() { serve::service_names() } else { services.iter().map(String::as_str).collect() }
}
