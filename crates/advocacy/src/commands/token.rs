//! `advocacy token`: a token for development and operators, signed with the gateway's key
//! on the machine that keeps it. People get theirs by signing in.

use anyhow::bail;

use advocacy_platform::{Config, Role};

use crate::cli::TokenArgs;

pub fn run(config: &Config, args: &TokenArgs) -> anyhow::Result<()> {
    let mut roles = Vec::new();
    for role in &args.roles {
        roles.push(match role.as_str() {
            "staff" => Role::Staff,
            "manager" => Role::Manager,
            "admin" => Role::Admin,
            "system" => Role::System,
            other => bail!("--role: {other:?} is not one of staff, manager, admin, system"),
        });
    }
    if !(1..=24 * 90).contains(&args.hours) {
        bail!("--hours: must be 1 to 2160 (90 days)");
    }
    // A person is an email address; a system token speaks for a service, by its name.
    if roles != [Role::System] {
        advocacy_platform::limits::email("subject", &args.subject)
            .map_err(|v| anyhow::anyhow!("--subject: {}", v.description))?;
    } else if args.subject.is_empty() || args.subject.len() > 64 {
        bail!("--subject: a service name of 1 to 64 characters");
    }
    let key = config.keys().signing_key(advocacy_platform::keys::PEOPLE_ISSUER)?;
    let now = chrono::Utc::now().timestamp();
    println!("{}", key.issue(&args.subject, roles, args.compartments.clone(), now, args.hours * 3600));
    Ok(())
}
