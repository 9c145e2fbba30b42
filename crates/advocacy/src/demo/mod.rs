//! Example records for a first look (deadlines, publications, submissions, an amended
//! resolution, a briefing) and the 2024 campaign year ([`year_2024`]), created through the
//! API like any client would. Fixed request ids make loading them again a no-op.

pub mod year_2024;

use advocacy_platform::client::{AuthedChannel, BearerToken, connect_with_token};
use advocacy_platform::{Config, Role};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use crate::commands::{explain, parse_date};

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

/// The file in the data directory naming the services whose examples were loaded, so a
/// restart asks them nothing: a retried create is answered with the record, which the
/// service audits as a read of it, and the audit log would fill with the loader's reads.
const LOADED: &str = "demo-loaded";

/// Loads the examples of each service in `services` not loaded before (a retry adds
/// nothing twice); whether any were new.
pub async fn seed(config: &Config, addr: std::net::SocketAddr, services: &[&str]) -> anyhow::Result<bool> {
    let marker = config.data_dir.join(LOADED);
    let mut loaded: Vec<String> =
        std::fs::read_to_string(&marker).unwrap_or_default().lines().map(str::to_owned).collect();
    if services.iter().all(|s| loaded.iter().any(|l| l == s)) {
        return Ok(false);
    }
    let new = load(config, addr, services).await?;
    loaded.extend(services.iter().map(|s| (*s).to_owned()));
    loaded.sort();
    loaded.dedup();
    std::fs::write(&marker, loaded.join("\n") + "\n")?;
    #[cfg(unix)]
    std::fs::set_permissions(&marker, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(new)
}

async fn load(config: &Config, addr: std::net::SocketAddr, services: &[&str]) -> anyhow::Result<bool> {
    let started = chrono::Utc::now();
    let now = started.timestamp();
    // The demo records its year as a person would, with a person's token.
    let key = config.keys().ensure(advocacy_platform::keys::PEOPLE_ISSUER, now)?;
    let token = key.issue("demo@advocacy.local", vec![Role::Staff], vec!["sanctions".into()], now, 600);
    let bearer = BearerToken::new(&token).map_err(anyhow::Error::msg)?;
    let channel = connect_with_token(&format!("http://{addr}"), &bearer).await?;
    let mut new = true;
    if services.contains(&advocacy_deadlines::NAME) {
        new = deadlines(DeadlinesServiceClient::new(channel.clone()), started).await?;
    }
    if services.contains(&advocacy_submissions::NAME) {
        submissions(SubmissionsServiceClient::new(channel.clone())).await?;
        year_2024::submissions(&mut SubmissionsServiceClient::new(channel.clone())).await?;
    }
    if services.contains(&advocacy_briefings::NAME) {
        briefings(BriefingsServiceClient::new(channel.clone())).await?;
        year_2024::briefings(&mut BriefingsServiceClient::new(channel)).await?;
    }
    Ok(new)
}

/// Whether the examples were new: a retried create answers with the deadline made before.
async fn deadlines(
    mut client: DeadlinesServiceClient<AuthedChannel>,
    started: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<bool> {
    let mut new = false;
    for e in EXAMPLES {
        let classification = (!e.restricted.is_empty()).then(|| pb::Classification {
            level: pb::Confidentiality::Restricted.into(),
            compartment: e.restricted.into(),
            ..Default::default()
        });
        let made = client
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
        let made = made.into_inner().stamp.and_then(|s| s.created_at);
        let made = made.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32));
        new |= made.is_some_and(|at| at >= started);
    }
    Ok(new)
}

async fn submissions(mut client: SubmissionsServiceClient<AuthedChannel>) -> anyhow::Result<()> {
    let report = client
        .create_publication(pb::CreatePublicationRequest {
            request_id: "demo-publication-prison-camps".into(),
            title: "Prison camps: a decade of testimony".into(),
            kind: pb::PublicationKind::InvestigativeReport.into(),
            published_on: parse_date("2026-03-10"),
            url: "https://advocacy.example/reports/prison-camps".into(),
            ..Default::default()
        })
        .await
        .map_err(explain)?
        .into_inner();
    client
        .create_publication(pb::CreatePublicationRequest {
            request_id: "demo-publication-detention-law".into(),
            title: "Review of detention law and practice".into(),
            kind: pb::PublicationKind::GovernmentContractedReport.into(),
            contracted_by: "KR".into(),
            published_on: parse_date("2026-09-01"),
            ..Default::default()
        })
        .await
        .map_err(explain)?;
    let submissions = [
        (
            "demo-submission-upr",
            "UPR stakeholder report: the penal system",
            "UPR",
            pb::SubmissionKind::UprStakeholderReport,
            5_400,
            pb::SubmissionStatus::Draft,
        ),
        (
            "demo-submission-wgeid",
            "Enforced disappearance of returnees",
            "WGEID",
            pb::SubmissionKind::WgeidPetition,
            0,
            pb::SubmissionStatus::Submitted,
        ),
        (
            "demo-submission-sanctions",
            "Prison camp officials: sanctions recommendation",
            "SANCTIONS-UK",
            pb::SubmissionKind::SanctionsPackage,
            0,
            pb::SubmissionStatus::Draft,
        ),
    ];
    for (request_id, title, mechanism, kind, words, status) in submissions {
        let joint = kind == pb::SubmissionKind::UprStakeholderReport;
        client
            .create_submission(pb::CreateSubmissionRequest {
                request_id: request_id.into(),
                title: title.into(),
                mechanism: mechanism.into(),
                kind: kind.into(),
                country: "KP".into(),
                partners: if joint { vec!["Partner Network for North Korean Human Rights".into()] } else { vec![] },
                word_count: words,
                themes: vec!["detention".into()],
                evidence: vec![report.id.clone()],
                status: status.into(),
                ..Default::default()
            })
            .await
            .map_err(explain)?;
    }
    let resolution = client
        .create_resolution(pb::CreateResolutionRequest {
            request_id: "demo-resolution-hrc58-dprk".into(),
            body: "UN-HRC".into(),
            session: "HRC 58".into(),
            title: "Situation of human rights in the Democratic People's Republic of Korea".into(),
            symbol: "A/HRC/58/L.21".into(),
        })
        .await
        .map_err(explain)?
        .into_inner();
    let amendments = [
        (
            "demo-amendment-op12",
            pb::ParagraphKind::Operative,
            12,
            "Expresses grave concern at the entire penal system, including political prison camps, where torture \
             and forced labour are systematic",
            pb::AmendmentStatus::AdoptedInPart,
            "Expresses serious concern at the entire penal system, including political prison camps, where torture \
             and forced labour are reported",
        ),
        (
            "demo-amendment-pp4",
            pb::ParagraphKind::Preambular,
            4,
            "Recalling the findings of the commission of inquiry and the testimony of survivors",
            pb::AmendmentStatus::Rejected,
            "",
        ),
    ];
    for (request_id, paragraph, number, text, outcome, adopted_text) in amendments {
        let proposed = client
            .propose_amendment(pb::ProposeAmendmentRequest {
                request_id: request_id.into(),
                resolution_id: resolution.id.clone(),
                paragraph_kind: paragraph.into(),
                paragraph_number: number,
                proposed_text: text.into(),
                evidence: vec![report.id.clone()],
                lobbied: vec!["CH".into(), "KR".into(), "EU-EEAS".into()],
                ..Default::default()
            })
            .await
            .map_err(explain)?
            .into_inner();
        if proposed.status == pb::AmendmentStatus::Proposed as i32 {
            client
                .record_amendment_outcome(pb::RecordAmendmentOutcomeRequest {
                    request_id: format!("{request_id}-outcome"),
                    id: proposed.id,
                    expected_version: proposed.version,
                    status: outcome.into(),
                    adopted_text: adopted_text.into(),
                })
                .await
                .map_err(explain)?;
        }
    }
    Ok(())
}

async fn briefings(mut client: BriefingsServiceClient<AuthedChannel>) -> anyhow::Result<()> {
    let mission = client
        .create_institution(pb::CreateInstitutionRequest {
            request_id: "demo-institution-swiss-mission".into(),
            name: "Permanent Mission of Switzerland to the UN in Geneva".into(),
            kind: pb::InstitutionKind::PermanentMission.into(),
            actor: "CH".into(),
            city: "Geneva".into(),
            ..Default::default()
        })
        .await
        .map_err(explain)?
        .into_inner();
    let local =
        |at: &str| pb::WhenInput { at: Some(pb::when_input::At::Local(at.into())), zone: "Europe/Zurich".into() };
    client
        .log_briefing(pb::LogBriefingRequest {
            request_id: "demo-briefing-swiss-mission".into(),
            at: Some(local("2026-10-14T10:00")),
            city: "Geneva".into(),
            format: pb::BriefingFormat::InPerson.into(),
            institution_ids: vec![mission.id],
            themes: vec!["detention".into(), "accountability".into()],
            asks: vec!["co-sponsor the amendment to OP12 at HRC 58".into()],
            summary: "Presented the prison camps report; the mission will raise OP12 with the core group.".into(),
            follow_ups: vec![pb::FollowUpInput {
                action: "Send the mission the annex of testimonies".into(),
                due: Some(local("2027-02-15T17:00")),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .map_err(explain)?;
    Ok(())
}
