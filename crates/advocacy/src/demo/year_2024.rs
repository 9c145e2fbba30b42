//! The 2024 campaign year, recorded after the fact as a team would: the briefings of the
//! year with 22 governments and multilateral actors, the April 2024 HRC resolution on the
//! DPRK with the three amendments adopted, a European Parliament resolution and a Dutch
//! motion, two UPR stakeholder reports and the pre-session statement, communications to
//! four Special Rapporteurs, WGEID petitions, a restricted sanctions package, and the
//! year's publications. Every figure of the 2024 report is counted from these records.

use advocacy_platform::client::AuthedChannel;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use crate::commands::{explain, parse_date};

/// Who was briefed: (actor, kind, institution, city, when, format). Three institutions of
/// one government (ministry, mission, embassy) count that government once.
const BRIEFINGS: &[(&str, pb::InstitutionKind, &str, &str, &str, pb::BriefingFormat)] = {
    use pb::BriefingFormat::{InPerson, Virtual};
    use pb::InstitutionKind::{Embassy, Ministry, MultilateralUnit, Parliament, PermanentMission, UnOffice};
    &[
        ("CH", PermanentMission, "Permanent Mission of Switzerland in Geneva", "Geneva", "2024-02-06T10:00", InPerson),
        ("CH", Ministry, "Swiss Federal Department of Foreign Affairs", "Bern", "2024-02-20T14:00", Virtual),
        ("KR", Ministry, "Ministry of Foreign Affairs of the Republic of Korea", "Seoul", "2024-01-18T10:00", InPerson),
        ("KR", Ministry, "Ministry of Unification of the Republic of Korea", "Seoul", "2024-06-12T15:00", InPerson),
        ("JP", Embassy, "Embassy of Japan in Seoul", "Seoul", "2024-03-05T11:00", InPerson),
        ("JP", Ministry, "Ministry of Foreign Affairs of Japan", "Tokyo", "2024-07-09T10:00", InPerson),
        ("US", Embassy, "Embassy of the United States in Seoul", "Seoul", "2024-02-27T16:00", InPerson),
        ("GB", Embassy, "British Embassy Seoul", "Seoul", "2024-03-12T10:00", InPerson),
        ("GB", Parliament, "UK All-Party Parliamentary Group on North Korea", "London", "2024-10-15T13:00", Virtual),
        ("FR", PermanentMission, "Permanent Mission of France in Geneva", "Geneva", "2024-02-07T15:00", InPerson),
        ("DE", PermanentMission, "Permanent Mission of Germany in Geneva", "Geneva", "2024-02-08T10:00", InPerson),
        ("NL", Parliament, "House of Representatives of the Netherlands", "The Hague", "2024-05-22T11:00", InPerson),
        ("NL", Embassy, "Embassy of the Netherlands in Seoul", "Seoul", "2024-09-03T10:00", InPerson),
        ("SE", Embassy, "Embassy of Sweden in Seoul", "Seoul", "2024-04-16T14:00", InPerson),
        ("NO", PermanentMission, "Permanent Mission of Norway in Geneva", "Geneva", "2024-03-01T09:30", InPerson),
        ("CA", Embassy, "Embassy of Canada in Seoul", "Seoul", "2024-05-08T10:00", InPerson),
        ("AU", Embassy, "Embassy of Australia in Seoul", "Seoul", "2024-05-14T15:00", InPerson),
        ("CZ", PermanentMission, "Permanent Mission of Czechia in Geneva", "Geneva", "2024-02-13T11:00", InPerson),
        ("BE", PermanentMission, "Permanent Mission of Belgium in Geneva", "Geneva", "2024-02-14T10:00", Virtual),
        ("IT", Embassy, "Embassy of Italy in Tokyo", "Tokyo", "2024-07-10T14:00", InPerson),
        ("PL", PermanentMission, "Permanent Mission of Poland in Geneva", "Geneva", "2024-02-15T15:00", InPerson),
        ("FI", Embassy, "Embassy of Finland in Tokyo", "Tokyo", "2024-07-11T10:00", InPerson),
        ("ES", Embassy, "Embassy of Spain in Seoul", "Seoul", "2024-11-05T10:00", InPerson),
        ("EU-EEAS", MultilateralUnit, "EEAS Korean Peninsula Division", "Brussels", "2024-01-30T10:00", Virtual),
        (
            "EU-EP",
            Parliament,
            "European Parliament Subcommittee on Human Rights",
            "Brussels",
            "2024-09-18T14:00",
            InPerson,
        ),
        ("UN-OHCHR", UnOffice, "OHCHR Seoul Office", "Seoul", "2024-08-20T10:00", InPerson),
        (
            "UN-HRC",
            UnOffice,
            "Office of the President of the Human Rights Council",
            "Geneva",
            "2024-03-20T12:00",
            InPerson,
        ),
    ]
};

/// (request id, title, mechanism, kind, status date, restricted)
const SUBMISSIONS: &[(&str, &str, &str, pb::SubmissionKind, &str, bool)] = {
    use pb::SubmissionKind::{
        SanctionsPackage, SpecialProceduresCommunication, Statement, UprStakeholderReport, WgeidPetition,
    };
    &[
        (
            "y2024-upr-joint",
            "UPR stakeholder report: the penal system (joint)",
            "UPR",
            UprStakeholderReport,
            "2024-04-04",
            false,
        ),
        (
            "y2024-upr-women",
            "UPR stakeholder report: forcibly repatriated women",
            "UPR",
            UprStakeholderReport,
            "2024-04-04",
            false,
        ),
        ("y2024-upr-pre-session", "UPR pre-session statement", "UPR", Statement, "2024-08-28", false),
        (
            "y2024-sr-dprk",
            "Communication: executions in detention",
            "SR-DPRK",
            SpecialProceduresCommunication,
            "2024-02-12",
            false,
        ),
        (
            "y2024-sr-torture",
            "Communication: torture in pre-trial detention",
            "SR-TORTURE",
            SpecialProceduresCommunication,
            "2024-05-20",
            false,
        ),
        (
            "y2024-sr-migrants",
            "Communication: forced repatriation from China",
            "SR-MIGRANTS",
            SpecialProceduresCommunication,
            "2024-06-03",
            false,
        ),
        (
            "y2024-sr-vaw",
            "Communication: violence against repatriated women",
            "SR-VAW",
            SpecialProceduresCommunication,
            "2024-10-07",
            false,
        ),
        (
            "y2024-wgeid-1",
            "Petition: disappearance of returnees (first group)",
            "WGEID",
            WgeidPetition,
            "2024-03-18",
            false,
        ),
        (
            "y2024-wgeid-2",
            "Petition: disappearance of returnees (second group)",
            "WGEID",
            WgeidPetition,
            "2024-09-23",
            false,
        ),
        (
            "y2024-sanctions",
            "Sanctions recommendation: prison officials",
            "SANCTIONS-US",
            SanctionsPackage,
            "2024-11-12",
            true,
        ),
    ]
};

/// One amendment of the year: (body, session, title, symbol), then (paragraph, proposed
/// text, status, adopted text when adopted in part).
type Amendment =
    (&'static str, &'static str, &'static str, &'static str, i32, &'static str, pb::AmendmentStatus, &'static str);

const AMENDMENTS: &[Amendment] = {
    use pb::AmendmentStatus::{Adopted, AdoptedInPart, Rejected};
    const HRC: &str = "Situation of human rights in the Democratic People's Republic of Korea";
    const EP: &str = "Human rights situation in North Korea, including the persecution of religious minorities";
    const NL: &str = "Motion on forced repatriation of North Korean refugees";
    &[
        (
            "UN-HRC",
            "HRC 55",
            HRC,
            "A/HRC/RES/55/21",
            3,
            "Condemns the violations committed across the entire penal system",
            Adopted,
            "",
        ),
        (
            "UN-HRC",
            "HRC 55",
            HRC,
            "A/HRC/RES/55/21",
            7,
            "Calls for the cessation of violations across the penal system, including in political prison camps",
            Adopted,
            "",
        ),
        (
            "UN-HRC",
            "HRC 55",
            HRC,
            "A/HRC/RES/55/21",
            11,
            "Expresses grave concern at sexual and gender-based violence against forcibly repatriated women in detention",
            Adopted,
            "",
        ),
        (
            "EU-EP",
            "2024 plenary",
            EP,
            "2024/2512(RSP)",
            5,
            "Calls on China to stop forcibly repatriating North Korean refugees and to respect non-refoulement",
            AdoptedInPart,
            "Calls on China to respect the principle of non-refoulement",
        ),
        (
            "EU-EP",
            "2024 plenary",
            EP,
            "2024/2512(RSP)",
            9,
            "Calls for targeted sanctions against officials responsible for the penal system",
            Rejected,
            "",
        ),
        (
            "NL",
            "2023-2024",
            NL,
            "36 410 V nr. 52",
            1,
            "Requests the government to raise forced repatriation in every bilateral dialogue with China",
            Adopted,
            "",
        ),
    ]
};

/// Loads the year; a second load adds nothing (stable request ids, import lines).
pub async fn briefings(client: &mut BriefingsServiceClient<AuthedChannel>) -> anyhow::Result<()> {
    for (n, (actor, kind, name, city, at, format)) in BRIEFINGS.iter().enumerate() {
        let institution = client
            .create_institution(pb::CreateInstitutionRequest {
                request_id: format!("y2024-institution-{n}"),
                name: (*name).into(),
                kind: (*kind).into(),
                actor: (*actor).into(),
                city: (*city).into(),
                parent_id: String::new(),
            })
            .await
            .map_err(explain)?
            .into_inner();
        let zone = match *city {
            "Geneva" | "Bern" => "Europe/Zurich",
            "Tokyo" => "Asia/Tokyo",
            "London" => "Europe/London",
            "The Hague" => "Europe/Amsterdam",
            "Brussels" => "Europe/Brussels",
            _ => "Asia/Seoul",
        }
        .to_owned();
        client
            .log_briefing(pb::LogBriefingRequest {
                request_id: format!("y2024-briefing-{n}"),
                at: Some(pb::WhenInput { at: Some(pb::when_input::At::Local((*at).into())), zone }),
                city: if *format == pb::BriefingFormat::Virtual { String::new() } else { (*city).into() },
                format: (*format).into(),
                institution_ids: vec![institution.id],
                themes: vec!["penal system".into()],
                summary: format!("Briefed {name} on the penal system and forced repatriation."),
                ..Default::default()
            })
            .await
            .map_err(explain)?;
    }
    Ok(())
}

pub async fn submissions(client: &mut SubmissionsServiceClient<AuthedChannel>) -> anyhow::Result<()> {
    for (request_id, title, mechanism, kind, on, restricted) in SUBMISSIONS {
        client
            .create_submission(pb::CreateSubmissionRequest {
                request_id: (*request_id).into(),
                title: (*title).into(),
                mechanism: (*mechanism).into(),
                kind: (*kind).into(),
                country: "KP".into(),
                classification: restricted.then(|| pb::Classification {
                    level: pb::Confidentiality::Restricted.into(),
                    compartment: "sanctions".into(),
                    compartments: vec![],
                }),
                status: pb::SubmissionStatus::Submitted.into(),
                status_at: parse_date(on),
                ..Default::default()
            })
            .await
            .map_err(explain)?;
    }
    let rows: Vec<pb::ImportAmendmentRow> = AMENDMENTS
        .iter()
        .enumerate()
        .map(|(n, (body, session, title, symbol, paragraph, text, status, adopted))| pb::ImportAmendmentRow {
            line: n as i32 + 2,
            resolution: Some(pb::ImportedResolution {
                body: (*body).into(),
                session: (*session).into(),
                title: (*title).into(),
                symbol: (*symbol).into(),
            }),
            amendment: Some(pb::ProposeAmendmentRequest {
                request_id: format!("y2024-amendment-{n}"),
                paragraph_kind: pb::ParagraphKind::Operative.into(),
                paragraph_number: *paragraph,
                proposed_text: (*text).into(),
                lobbied: vec!["CH".into(), "KR".into(), "JP".into(), "EU-EEAS".into()],
                ..Default::default()
            }),
            status: (*status).into(),
            adopted_text: (*adopted).into(),
            proposed_on: parse_date(if *body == "UN-HRC" { "2024-03-08" } else { "2024-05-02" }),
        })
        .collect();
    client.import_amendments(tokio_stream::iter(rows)).await.map_err(explain)?;
    let publications: Vec<pb::ImportPublicationRow> = (0..21)
        .map(|n| {
            let contracted = n >= 18;
            pb::ImportPublicationRow {
                line: n + 2,
                publication: Some(pb::CreatePublicationRequest {
                    request_id: format!("y2024-publication-{n}"),
                    title: if contracted {
                        format!("Contracted study {} on detention practice", n - 17)
                    } else {
                        format!("Investigative report {} of 2024", n + 1)
                    },
                    kind: if contracted {
                        pb::PublicationKind::GovernmentContractedReport
                    } else {
                        pb::PublicationKind::InvestigativeReport
                    }
                    .into(),
                    contracted_by: if contracted { "KR".into() } else { String::new() },
                    published_on: parse_date(&format!("2024-{:02}-15", n % 12 + 1)),
                    ..Default::default()
                }),
            }
        })
        .collect();
    client.import_publications(tokio_stream::iter(publications)).await.map_err(explain)?;
    Ok(())
}
