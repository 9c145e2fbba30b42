//! `advocacy users`: the people who sign in, managed through the gateway's API as an admin.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};

use advocacy_platform::Config;
use advocacy_platform::client::AuthedChannel;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::gateway_service_client::GatewayServiceClient;

use super::{channel, explain, request_id};
use crate::cli::{ClientArgs, UsersCommand};
use crate::output::Table;

type Client = GatewayServiceClient<AuthedChannel>;

async fn client(config: &Config, args: &ClientArgs) -> anyhow::Result<Client> {
    Ok(GatewayServiceClient::new(channel(config, args).await?))
}

/// A new password: asked twice on a terminal (not echoed), else the first line of input.
fn read_password(email: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {email}: "))?;
        let second = rpassword::prompt_password("The same again: ")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password was typed: give one of at least 12 characters on standard input, or pass --no-password");
    }
    Ok(password)
}

/// The person as the gateway has them now (their version, for an update).
async fn account(client: &mut Client, email: &str) -> anyhow::Result<pb::Person> {
    let wanted = email.trim().to_lowercase();
    let mut token = String::new();
    loop {
        let page = client
            .list_accounts(pb::ListPeopleRequest { page_size: 500, page_token: token, include_disabled: true })
            .await
            .map_err(explain)?
            .into_inner();
        if let Some(found) = page.people.into_iter().find(|p| p.email == wanted) {
            return Ok(found);
        }
        if page.next_page_token.is_empty() {
            bail!("{wanted} is not in the directory (see `advocacy users list --all`)");
        }
        token = page.next_page_token;
    }
}

async fn update(
    client: &mut Client,
    email: &str,
    change: impl FnOnce(pb::UpdatePersonRequest) -> pb::UpdatePersonRequest,
) -> anyhow::Result<pb::Person> {
    let current = account(client, email).await?;
    let request = change(pb::UpdatePersonRequest {
        request_id: request_id(),
        email: current.email.clone(),
        expected_version: current.version,
        ..Default::default()
    });
    Ok(client.update_person(request).await.map_err(explain)?.into_inner())
}

fn language(code: &str) -> pb::Language {
    if code == "ko" { pb::Language::Ko } else { pb::Language::En }
}

fn print(person: &pb::Person, json: bool) {
    if json {
        print_people(std::slice::from_ref(person), true);
    } else {
        let state = if person.disabled { "disabled" } else { "active" };
        println!("{} ({}): {}; roles {}; {state}", person.email, person.name, person.zone, person.roles.join(", "));
    }
}

fn print_people(people: &[pb::Person], json: bool) {
    let mut table = Table::new(&["Email", "Name", "Roles", "Compartments", "Zone", "Language", "Manager", "State"]);
    for p in people {
        let language = if p.language() == pb::Language::Ko { "ko" } else { "en" };
        table.row(vec![
            p.email.clone(),
            p.name.clone(),
            p.roles.join(", "),
            p.compartments.join(", "),
            p.zone.clone(),
            language.to_owned(),
            p.manager.clone(),
            if p.disabled { "disabled" } else { "active" }.to_owned(),
        ]);
    }
    if json { table.print_json() } else { table.print() }
}

async fn set_disabled(config: &Config, email: &str, args: &ClientArgs, disabled: bool) -> anyhow::Result<()> {
    let mut client = client(config, args).await?;
    let change = pb::update_person_request::DisabledChange::Disabled(disabled);
    let person = update(&mut client, email, |r| pb::UpdatePersonRequest { disabled_change: Some(change), ..r }).await?;
    print(&person, args.json);
    Ok(())
}

pub async fn run(config: &Config, command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            email,
            name,
            roles,
            compartments,
            zone,
            language: code,
            manager,
            no_password,
            client: args,
        } => {
            let password = if no_password { String::new() } else { read_password(&email)? };
            let mut client = client(config, &args).await?;
            let request = pb::CreatePersonRequest {
                request_id: request_id(),
                email,
                name,
                roles,
                compartments,
                zone,
                language: language(&code).into(),
                manager,
                password,
            };
            let person = client.create_person(request).await.map_err(explain)?.into_inner();
            print(&person, args.json);
        }
        UsersCommand::List { all, client: args } => {
            let client = client(config, &args).await?;
            let people = super::all_pages(usize::MAX, |page_token| {
                let mut client = client.clone();
                async move {
                    let page = client
                        .list_accounts(pb::ListPeopleRequest { page_size: 500, page_token, include_disabled: all })
                        .await
                        .map_err(explain)?
                        .into_inner();
                    Ok((page.people, page.next_page_token))
                }
            })
            .await?;
            print_people(&people, args.json);
        }
        UsersCommand::Disable { email, client: args } => set_disabled(config, &email, &args, true).await?,
        UsersCommand::Enable { email, client: args } => set_disabled(config, &email, &args, false).await?,
        UsersCommand::Grant { email, roles, compartments, client: args } => {
            let mut client = client(config, &args).await?;
            let person = update(&mut client, &email, |r| pb::UpdatePersonRequest {
                grant_roles: roles,
                grant_compartments: compartments,
                ..r
            })
            .await?;
            print(&person, args.json);
        }
        UsersCommand::Revoke { email, roles, compartments, client: args } => {
            let mut client = client(config, &args).await?;
            let person = update(&mut client, &email, |r| pb::UpdatePersonRequest {
                revoke_roles: roles,
                revoke_compartments: compartments,
                ..r
            })
            .await?;
            print(&person, args.json);
        }
        UsersCommand::Password { email, client: args } => {
            let password = read_password(&email)?;
            let mut client = client(config, &args).await?;
            let request = pb::SetPasswordRequest { request_id: request_id(), email, password };
            let person = client.set_password(request).await.map_err(explain)?.into_inner();
            print(&person, args.json);
        }
    }
    Ok(())
}
