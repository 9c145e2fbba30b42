//! Example deadlines for a first look, created through the API like any client would.
//! Fixed request ids make loading them again a no-op.

use advocacy_platform::client::{BearerToken, connect_with_token};
use advocacy_platform::{Config, Role};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::commands::explain;

struct Example {
    request_id: &'static str,
    title: &'static str,
    mechanism: &'static str,
    kind: pb::DeadlineKind,
    local: &'static str,
    cron: &'static str,
    source_url: &'static str,
    restricted: &'static str,
}

const EXAMPLES: &[Example] = &[
    Example {
        request_id: "demo-upr-stakeholder-report",
        title: "UPR stakeholder report: penal system (joint submission)",
        mechanism: "UPR",
        kind: pb::DeadlineKind::UprStakeholderSubmission,
        local: "2027-03-29T12:00",
        cron: "",
        source_url: "https://www.ohchr.org/en/hr-bodies/upr/upr-main",
        restricted: "",
    },
    Example {
        request_id: "demo-upr-pre-session",
        title: "UPR pre-session registration",
        mechanism: "UPR",
        kind: pb::DeadlineKind::UprPreSession,
        local: "2027-02-15T17:00",
        cron: "",
        source_url: "https://www.upr-info.org/en/upr-process/pre-sessions",
        restricted: "",
    },
    Example {
        request_id: "demo-sr-call-for-input",
        title: "Call for input: report on detention conditions",
        mechanism: "SR-TORTURE",
        kind: pb::DeadlineKind::SpecialProceduresCallForInput,
        local: "2027-01-31T23:59",
        cron: "",
        source_url: "https://www.ohchr.org/en/calls-for-input",
        restricted: "",
    },
    Example {
        request_id: "demo-hrc-informals",
        title: "HRC resolution informal consultations (weekly)",
        mechanism: "HRC",
        kind: pb::DeadlineKind::HrcSession,
        local: "2027-03-01T10:00",
        cron: "0 10 * * MON",
        source_url: "",
        restricted: "",
    },
    Example {
        request_id: "demo-crc-list-of-issues",
        title: "CRC list of issues: alternative report",
        mechanism: "CRC",
        kind: pb::DeadlineKind::TreatyBody,
        local: "2027-05-10T12:00",
        cron: "",
        source_url: "https://www.ohchr.org/en/treaty-bodies/crc",
        restricted: "",
    },
    Example {
        request_id: "demo-sanctions-package",
        title: "Targeted sanctions package: prison officials",
        mechanism: "SANCTIONS-UK",
        kind: pb::DeadlineKind::Other,
        local: "2027-02-26T17:00",
        cron: "",
        source_url: "",
        restricted: "sanctions",
    },
];

pub async fn seed(config: &Config, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let key = config.token_key()?;
    let now = chrono::Utc::now().timestamp();
    let token = key.issue("demo@advocacy.local", vec![Role::Staff], vec!["sanctions".into()], now, 600);
    let bearer = BearerToken::new(&token).map_err(anyhow::Error::msg)?;
    let mut client = DeadlinesServiceClient::new(connect_with_token(&format!("http://{addr}"), &bearer).await?);
    for e in EXAMPLES {
        let classification = (!e.restricted.is_empty()).then(|| pb::Classification {
            level: pb::Confidentiality::Restricted.into(),
            compartment: e.restricted.into(),
        });
        client
            .create_deadline(pb::CreateDeadlineRequest {
                request_id: e.request_id.into(),
                title: e.title.into(),
                mechanism: e.mechanism.into(),
                kind: e.kind.into(),
                due: Some(pb::WhenInput { at: Some(pb::when_input::At::Local(e.local.into())), zone: String::new() }),
                source_url: e.source_url.into(),
                owners: vec!["advocacy@advocacy.local".into()],
                recurrence: (!e.cron.is_empty()).then(|| pb::Recurrence { cron: e.cron.into(), zone: String::new() }),
                classification,
                ..Default::default()
            })
            .await
            .map_err(explain)?;
    }
    Ok(())
}
