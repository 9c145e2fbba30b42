//! `advocacy keys`: the installation's signing keys (see the platform's `keys`).

use anyhow::bail;

use advocacy_platform::Config;
use advocacy_platform::keys::PEOPLE_ISSUER;

use crate::cli::KeysCommand;
use crate::output::Table;

pub fn run(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    let keys = config.keys();
    match command {
        KeysCommand::Init => {
            let now = chrono::Utc::now().timestamp();
            let mut owners = crate::serve::service_names();
            if !owners.contains(&PEOPLE_ISSUER) {
                owners.insert(0, PEOPLE_ISSUER);
            }
            for owner in owners {
                let key = keys.ensure(owner, now)?;
                println!("{owner} signs with {}", key.kid);
            }
        }
        KeysCommand::List { json } => {
            let mut table = Table::new(&["Key", "Owner", "Made", "Retired"]);
            let when = |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
            for key in keys.key_set()?.keys {
                table.row(vec![key.kid, key.owner, when(key.created), key.retired.map(when).unwrap_or_default()]);
            }
            if json { table.print_json() } else { table.print() }
        }
        KeysCommand::Rotate { owner } => {
            let services = crate::serve::service_names();
            if owner != PEOPLE_ISSUER && !services.contains(&owner.as_str()) {
                bail!("{owner:?} holds no key: the owners are {PEOPLE_ISSUER} and {}", services.join(", "));
            }
            let key = keys.rotate(&owner, chrono::Utc::now().timestamp())?;
            println!("{} now signs with {}; its old key verifies for another day", key.owner, key.kid);
        }
    }
    Ok(())
}
