//! The impact report: each service's aggregates, asked concurrently with the caller's own
//! token (so each service counts only what the caller may see), each under its own
//! deadline; and the records behind each figure, through the services' lists with the
//! same filters.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tonic::Status;

use advocacy_platform::client::AuthedChannel;
use advocacy_platform::hosting::Clients;
use advocacy_platform::time::{from_timestamp, to_timestamp};
use advocacy_platform::{Caller, Clock};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use crate::period::Span;

/// The most records one figure lists; more would be a report no one reads on a page.
pub const MAX_RECORDS: usize = 10_000;

/// The three sections, in the order a report shows them.
pub const SECTIONS: [&str; 3] = ["briefings", "submissions", "deadlines"];

#[derive(Debug, Clone)]
pub struct Reporter {
    clients: Clients,
    zone: Tz,
    timeout: Duration,
    clock: Clock,
}

/// Why a service's part could not be had.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// A figure's key in its parts: "briefings.by_format/in_person" is section "briefings",
/// name "by_format", value "in_person".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureKey<'a> {
    pub section: &'a str,
    pub name: &'a str,
    pub value: &'a str,
}

impl<'a> FigureKey<'a> {
    pub fn parse(key: &'a str) -> Option<FigureKey<'a>> {
        let (section, rest) = key.split_once('.')?;
        let (name, value) = rest.split_once('/').unwrap_or((rest, ""));
        SECTIONS.contains(&section).then_some(FigureKey { section, name, value })
    }
}

fn figure(section: &str, name: &str, value: i64) -> pb::Figure {
    pb::Figure { key: format!("{section}.{name}"), value, drillable: true }
}

fn breakdown(section: &str, name: &str, counts: &[pb::CountByKey]) -> Vec<pb::Figure> {
    counts.iter().map(|c| figure(section, &format!("{name}/{}", c.key), c.count)).collect()
}

/// The enum value prost names `PREFIX_IN_PERSON` as the aggregates key it (`in_person`).
fn key_of(prefix: &str, name: &str) -> String {
    name.trim_start_matches(prefix).to_lowercase()
}

/// A Special Rapporteur, as the catalog names the mechanism.
fn is_special_rapporteur(mechanism: &str) -> bool {
    advocacy_catalog::mechanism(mechanism).is_some_and(|m| m.name.starts_with("Special Rapporteur"))
}

fn is_government(actor: &str) -> bool {
    matches!(advocacy_catalog::actor(actor), Some(advocacy_catalog::Actor::Government(_)))
}

impl Reporter {
    pub fn new(clients: Clients, zone: Tz, timeout: Duration, clock: Clock) -> Reporter {
        Reporter { clients, zone, timeout, clock }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    fn briefings(&self, caller: &Caller) -> Result<BriefingsServiceClient<AuthedChannel>, Status> {
        Ok(BriefingsServiceClient::new(self.clients.as_caller("briefings", caller)?))
    }

    fn submissions(&self, caller: &Caller) -> Result<SubmissionsServiceClient<AuthedChannel>, Status> {
        Ok(SubmissionsServiceClient::new(self.clients.as_caller("submissions", caller)?))
    }

    fn deadlines(&self, caller: &Caller) -> Result<DeadlinesServiceClient<AuthedChannel>, Status> {
        Ok(DeadlinesServiceClient::new(self.clients.as_caller("deadlines", caller)?))
    }

    /// `call` under this reporter's deadline; a failure or silence is the section's reason.
    async fn within<T>(&self, service: &str, call: impl Future<Output = Result<T, Status>>) -> Result<T, Unavailable> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(status)) if status.code() == tonic::Code::PermissionDenied => {
                Err(Unavailable(format!("{service}: {}", status.message())))
            }
            Ok(Err(status)) => {
                tracing::warn!(service, code = ?status.code(), error = status.message(), "a report section failed");
                Err(Unavailable(format!("the {service} service did not answer ({:?})", status.code())))
            }
            Err(_) => {
                tracing::warn!(service, timeout_ms = self.timeout.as_millis() as u64, "a report section timed out");
                Err(Unavailable(format!("the {service} service did not answer within {} ms", self.timeout.as_millis())))
            }
        }
    }

    /// The report for `span` as `caller` may see it.
    pub async fn report(&self, caller: &Caller, span: &Span) -> pb::ImpactReport {
        let (briefings, submissions, deadlines) = tokio::join!(
            self.briefings_section(caller, span),
            self.submissions_section(caller, span),
            self.deadlines_section(caller, span)
        );
        pb::ImpactReport {
            label: span.label.clone(),
            period: Some(span.to_proto()),
            zone: self.zone.name().to_owned(),
            sections: vec![briefings, submissions, deadlines],
            computed_at: Some(to_timestamp(self.clock.now())),
        }
    }

    fn section(name: &str, answer: Result<(Vec<pb::Figure>, i64), Unavailable>) -> pb::ImpactSection {
        match answer {
            Ok((figures, restricted)) => pb::ImpactSection {
                name: name.to_owned(),
                available: true,
                unavailable_reason: String::new(),
                figures,
                restricted_not_shown: restricted,
            },
            Err(Unavailable(reason)) => pb::ImpactSection {
                name: name.to_owned(),
                available: false,
                unavailable_reason: reason,
                figures: vec![],
                restricted_not_shown: 0,
            },
        }
    }

    async fn briefings_section(&self, caller: &Caller, span: &Span) -> pb::ImpactSection {
        let answer = async {
            let mut client = self.briefings(caller).map_err(|e| Unavailable(e.message().to_owned()))?;
            let request = pb::BriefingAggregatesRequest { period: Some(span.to_proto()) };
            let a =
                self.within("briefings", async { client.get_briefing_aggregates(request).await }).await?.into_inner();
            let s = "briefings";
            let mut figures = vec![
                figure(s, "briefings", a.briefings),
                figure(s, "governments_briefed", a.governments_briefed),
                figure(s, "multilateral_actors_briefed", a.multilateral_actors_briefed),
                figure(s, "follow_ups_done", a.follow_ups_done),
                figure(s, "follow_ups_overdue", a.follow_ups_overdue),
                figure(s, "follow_ups_open", a.follow_ups_open),
            ];
            figures.extend(breakdown(s, "by_format", &a.by_format));
            figures.extend(breakdown(s, "by_city", &a.by_city));
            figures.extend(breakdown(s, "by_month", &a.by_month));
            Ok((figures, a.quiet_or_restricted))
        };
        Self::section("briefings", answer.await)
    }

    async fn submissions_section(&self, caller: &Caller, span: &Span) -> pb::ImpactSection {
        let answer = async {
            let mut client = self.submissions(caller).map_err(|e| Unavailable(e.message().to_owned()))?;
            let request = pb::AggregatesRequest { period: Some(span.to_proto()) };
            let a = self.within("submissions", client.get_submission_aggregates(request)).await?.into_inner();
            let s = "submissions";
            let total = |counts: &[pb::CountByKey]| counts.iter().map(|c| c.count).sum::<i64>();
            let rapporteurs = a.by_mechanism.iter().filter(|c| is_special_rapporteur(&c.key)).count() as i64;
            let contracted = a
                .publications_by_kind
                .iter()
                .filter(|c| c.key == "government_contracted_report")
                .map(|c| c.count)
                .sum::<i64>();
            let mut figures = vec![
                figure(s, "submissions", total(&a.by_kind)),
                figure(s, "special_rapporteurs", rapporteurs),
                figure(s, "amendments_proposed", total(&a.amendments_by_status)),
                figure(s, "amendments_words_kept", a.amendments_words_kept),
                figure(s, "resolutions_influenced", a.resolutions_influenced),
                figure(s, "publications", total(&a.publications_by_kind)),
                figure(s, "publications_own", total(&a.publications_by_kind) - contracted),
                figure(s, "publications_contracted", contracted),
            ];
            figures.extend(breakdown(s, "by_mechanism", &a.by_mechanism));
            figures.extend(breakdown(s, "by_kind", &a.by_kind));
            figures.extend(breakdown(s, "by_status", &a.by_status));
            figures.extend(breakdown(s, "amendments_by_status", &a.amendments_by_status));
            figures.extend(breakdown(s, "amendments_by_resolution", &a.amendments_by_resolution));
            figures.extend(breakdown(s, "publications_by_kind", &a.publications_by_kind));
            Ok((figures, a.submissions_restricted + a.amendments_restricted + a.publications_restricted))
        };
        Self::section("submissions", answer.await)
    }

    async fn deadlines_section(&self, caller: &Caller, span: &Span) -> pb::ImpactSection {
        let answer = async {
            let mut client = self.deadlines(caller).map_err(|e| Unavailable(e.message().to_owned()))?;
            let request = pb::DeadlineAggregatesRequest { period: Some(span.to_proto()) };
            let a =
                self.within("deadlines", async { client.get_deadline_aggregates(request).await }).await?.into_inner();
            let s = "deadlines";
            let mut figures = vec![
                figure(s, "met_on_time", a.met_on_time),
                figure(s, "completed_late", a.completed_late),
                figure(s, "missed", a.missed),
                figure(s, "open", a.open),
                figure(s, "cancelled", a.cancelled),
            ];
            figures.extend(breakdown(s, "by_mechanism", &a.by_mechanism));
            figures.extend(breakdown(s, "by_kind", &a.by_kind));
            Ok((figures, a.restricted))
        };
        Self::section("deadlines", answer.await)
    }

    /// The audit entries of every other service as `r` asks, each asked with the
    /// caller's token (admins only, by each service's own table).
    pub async fn audit_entries(
        &self,
        caller: &Caller,
        r: &pb::ListAuditEntriesRequest,
    ) -> Result<Vec<pb::AuditEntry>, Unavailable> {
        use advocacy_proto::v1::notifier_service_client::NotifierServiceClient;
        let unavailable = |e: Status| Unavailable(e.message().to_owned());
        let bearer = caller.bearer().map_err(unavailable)?;
        let channel = |service: &str| {
            tonic::service::interceptor::InterceptedService::new(self.clients.for_callers(service), bearer.clone())
        };
        let (deadlines, submissions, briefings, notifier) = tokio::join!(
            self.within("deadlines", async {
                DeadlinesServiceClient::new(channel("deadlines")).list_audit_entries(*r).await
            }),
            self.within("submissions", async {
                SubmissionsServiceClient::new(channel("submissions")).list_audit_entries(*r).await
            }),
            self.within("briefings", async {
                BriefingsServiceClient::new(channel("briefings")).list_audit_entries(*r).await
            }),
            self.within("notifier", async {
                NotifierServiceClient::new(channel("notifier")).list_audit_entries(*r).await
            }),
        );
        let mut all = Vec::new();
        for answer in [deadlines, submissions, briefings, notifier] {
            all.extend(answer?.into_inner().entries);
        }
        Ok(all)
    }

    async fn all_amendments(
        &self,
        client: &mut SubmissionsServiceClient<AuthedChannel>,
        span: &Span,
        status: i32,
    ) -> Result<Vec<pb::Amendment>, Status> {
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = pb::ListAmendmentsRequest {
                period: Some(span.to_proto()),
                status,
                page_size: 500,
                page_token,
                ..Default::default()
            };
            let page = client.list_amendments(request).await?.into_inner();
            all.extend(page.amendments);
            if page.next_page_token.is_empty() || all.len() >= MAX_RECORDS {
                return Ok(all);
            }
            page_token = page.next_page_token;
        }
    }

    /// The records behind the figure `key` of `span`, as `caller` may see them, oldest
    /// first. `None`: no such figure.
    pub async fn records(
        &self,
        caller: &Caller,
        span: &Span,
        key: &str,
    ) -> Result<Option<Vec<pb::ImpactRecord>>, Unavailable> {
        let Some(key) = FigureKey::parse(key) else { return Ok(None) };
        let unavailable = |e: Status| Unavailable(e.message().to_owned());
        let mut records = match key.section {
            "briefings" => {
                let mut client = self.briefings(caller).map_err(unavailable)?;
                let briefings = self.within("briefings", all_briefings(&mut client, span)).await?;
                match briefing_records(&key, &briefings, self.zone, self.clock.now()) {
                    Some(records) => records,
                    None => return Ok(None),
                }
            }
            "submissions" => {
                let mut client = self.submissions(caller).map_err(unavailable)?;
                match self.within("submissions", self.submission_records(&mut client, span, &key)).await? {
                    Some(records) => records,
                    None => return Ok(None),
                }
            }
            _ => {
                let mut client = self.deadlines(caller).map_err(unavailable)?;
                match self.within("deadlines", deadline_records(&mut client, span, &key)).await? {
                    Some(records) => records,
                    None => return Ok(None),
                }
            }
        };
        in_order(&mut records);
        Ok(Some(records))
    }

    /// The records behind each of `keys`, all figures of one section, as [`Self::records`]
    /// gives them; the briefings section is listed once for all its figures. An unknown
    /// key has none.
    pub async fn records_of_section(
        &self,
        caller: &Caller,
        span: &Span,
        section: &str,
        keys: &[&str],
    ) -> Result<Vec<Vec<pb::ImpactRecord>>, Unavailable> {
        if section != "briefings" {
            let mut all = Vec::with_capacity(keys.len());
            for key in keys {
                all.push(self.records(caller, span, key).await?.unwrap_or_default());
            }
            return Ok(all);
        }
        let unavailable = |e: Status| Unavailable(e.message().to_owned());
        let mut client = self.briefings(caller).map_err(unavailable)?;
        let briefings = self.within("briefings", all_briefings(&mut client, span)).await?;
        let now = self.clock.now();
        Ok(keys
            .iter()
            .map(|key| {
                let found = FigureKey::parse(key).and_then(|key| briefing_records(&key, &briefings, self.zone, now));
                let mut records = found.unwrap_or_default();
                in_order(&mut records);
                records
            })
            .collect())
    }

    async fn submission_records(
        &self,
        client: &mut SubmissionsServiceClient<AuthedChannel>,
        span: &Span,
        key: &FigureKey<'_>,
    ) -> Result<Option<Vec<pb::ImpactRecord>>, Status> {
        let amendment_record = |a: &pb::Amendment| pb::ImpactRecord {
            kind: "amendment".into(),
            id: a.id.clone(),
            title: first_words(&a.proposed_text),
            at: a.stamp.as_ref().and_then(|s| s.created_at),
            quiet: false,
        };
        let status_named = |value: &str| {
            pb::AmendmentStatus::from_str_name(&format!("AMENDMENT_STATUS_{}", value.to_uppercase())).map(|s| s as i32)
        };
        Ok(Some(match (key.name, key.value) {
            ("submissions" | "special_rapporteurs" | "by_mechanism" | "by_kind" | "by_status", value) => {
                let mut request =
                    pb::ListSubmissionsRequest { period: Some(span.to_proto()), page_size: 500, ..Default::default() };
                match key.name {
                    "by_mechanism" => request.mechanism = value.to_owned(),
                    "by_kind" => {
                        match pb::SubmissionKind::from_str_name(&format!("SUBMISSION_KIND_{}", value.to_uppercase())) {
                            Some(kind) => request.kind = kind.into(),
                            None => return Ok(None),
                        }
                    }
                    "by_status" => match pb::SubmissionStatus::from_str_name(&format!(
                        "SUBMISSION_STATUS_{}",
                        value.to_uppercase()
                    )) {
                        Some(status) => request.status = status.into(),
                        None => return Ok(None),
                    },
                    _ => {}
                }
                let submissions = all_submissions(client, request).await?;
                submissions
                    .iter()
                    .filter(|s| key.name != "special_rapporteurs" || is_special_rapporteur(&s.mechanism))
                    .map(|s| pb::ImpactRecord {
                        kind: "submission".into(),
                        id: s.id.clone(),
                        title: s.title.clone(),
                        at: s.stamp.as_ref().and_then(|s| s.created_at),
                        quiet: false,
                    })
                    .collect()
            }
            ("amendments_proposed", "") => {
                self.all_amendments(client, span, 0).await?.iter().map(amendment_record).collect()
            }
            ("amendments_words_kept", "") => self
                .all_amendments(client, span, 0)
                .await?
                .iter()
                .filter(|a| is_adopted(a.status()))
                .map(amendment_record)
                .collect(),
            ("amendments_by_status", value) => match status_named(value) {
                Some(status) => self.all_amendments(client, span, status).await?.iter().map(amendment_record).collect(),
                None => return Ok(None),
            },
            ("amendments_by_resolution", value) => {
                let Some((resolution, status)) = value.rsplit_once('/') else { return Ok(None) };
                let Some(status) = status_named(status) else { return Ok(None) };
                let amendments = self.all_amendments(client, span, status).await?;
                amendments.iter().filter(|a| a.resolution_id == resolution).map(amendment_record).collect()
            }
            ("resolutions_influenced", "") => {
                let amendments = self.all_amendments(client, span, 0).await?;
                let ids: BTreeSet<&str> =
                    amendments.iter().filter(|a| is_adopted(a.status())).map(|a| a.resolution_id.as_str()).collect();
                let mut records = Vec::new();
                for id in ids {
                    let r = client.get_resolution(pb::GetResolutionRequest { id: id.to_owned() }).await?.into_inner();
                    records.push(pb::ImpactRecord {
                        kind: "resolution".into(),
                        id: r.id.clone(),
                        title: r.title.clone(),
                        at: r.adopted_on,
                        quiet: false,
                    });
                }
                records
            }
            ("publications" | "publications_own" | "publications_contracted" | "publications_by_kind", value) => {
                let kind = match key.name {
                    "publications_by_kind" => {
                        match pb::PublicationKind::from_str_name(&format!("PUBLICATION_KIND_{}", value.to_uppercase()))
                        {
                            Some(kind) => kind as i32,
                            None => return Ok(None),
                        }
                    }
                    "publications_contracted" => pb::PublicationKind::GovernmentContractedReport as i32,
                    _ => 0,
                };
                let request = pb::ListPublicationsRequest { kind, period: Some(span.to_proto()) };
                let publications = client.list_publications(request).await?.into_inner().publications;
                publications
                    .iter()
                    .filter(|p| {
                        key.name != "publications_own" || p.kind() != pb::PublicationKind::GovernmentContractedReport
                    })
                    .map(|p| pb::ImpactRecord {
                        kind: "publication".into(),
                        id: p.id.clone(),
                        title: p.title.clone(),
                        at: p.published_on,
                        quiet: false,
                    })
                    .collect()
            }
            _ => return Ok(None),
        }))
    }
}

fn is_adopted(status: pb::AmendmentStatus) -> bool {
    matches!(status, pb::AmendmentStatus::Adopted | pb::AmendmentStatus::AdoptedInPart)
}

/// The first words of a text, for a record's title.
fn first_words(text: &str) -> String {
    let mut title: String = text.chars().take(80).collect();
    if title.len() < text.len() {
        title.push('…');
    }
    title
}

/// Oldest first, at most [`MAX_RECORDS`] of them.
fn in_order(records: &mut Vec<pb::ImpactRecord>) {
    records.sort_by(|a, b| {
        (a.at.as_ref().map(|t| (t.seconds, t.nanos)), &a.id).cmp(&(b.at.as_ref().map(|t| (t.seconds, t.nanos)), &b.id))
    });
    records.truncate(MAX_RECORDS);
}

async fn all_briefings(
    client: &mut BriefingsServiceClient<AuthedChannel>,
    span: &Span,
) -> Result<Vec<pb::Briefing>, Status> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListBriefingsRequest {
            period: Some(span.to_proto()),
            page_size: 500,
            page_token,
            ..Default::default()
        };
        let page = client.list_briefings(request).await?.into_inner();
        all.extend(page.briefings);
        if page.next_page_token.is_empty() || all.len() >= MAX_RECORDS {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

async fn all_submissions(
    client: &mut SubmissionsServiceClient<AuthedChannel>,
    mut request: pb::ListSubmissionsRequest,
) -> Result<Vec<pb::Submission>, Status> {
    let mut all = Vec::new();
    loop {
        let page = client.list_submissions(request.clone()).await?.into_inner();
        all.extend(page.submissions);
        if page.next_page_token.is_empty() || all.len() >= MAX_RECORDS {
            return Ok(all);
        }
        request.page_token = page.next_page_token;
    }
}

/// The briefings (or follow-ups) behind a briefings figure, by the rule its aggregate counts.
fn briefing_records(
    key: &FigureKey<'_>,
    briefings: &[pb::Briefing],
    zone: Tz,
    now: DateTime<Utc>,
) -> Option<Vec<pb::ImpactRecord>> {
    let record = |b: &pb::Briefing| pb::ImpactRecord {
        kind: "briefing".into(),
        id: b.id.clone(),
        title: format!("{}: {}", b.actors.join(", "), first_words(&b.summary)),
        at: b.at,
        quiet: b.quiet,
    };
    let month = |b: &pb::Briefing| {
        b.at.as_ref()
            .and_then(|t| from_timestamp("at", t).ok())
            .map(|t| t.with_timezone(&zone).format("%Y-%m").to_string())
    };
    let keep: Box<dyn Fn(&pb::Briefing) -> bool> = match (key.name, key.value) {
        ("briefings", "") => Box::new(|_| true),
        ("governments_briefed", "") => Box::new(|b| b.actors.iter().any(|a| is_government(a))),
        ("multilateral_actors_briefed", "") => Box::new(|b| b.actors.iter().any(|a| !is_government(a))),
        ("by_format", value) => {
            let value = value.to_owned();
            Box::new(move |b| key_of("BRIEFING_FORMAT_", b.format().as_str_name()) == value)
        }
        ("by_city", value) => {
            let value = value.to_owned();
            Box::new(move |b| if b.city.is_empty() { value == "online" } else { b.city == value })
        }
        ("by_month", value) => {
            let value = value.to_owned();
            Box::new(move |b| month(b).as_deref() == Some(value.as_str()))
        }
        ("follow_ups_done" | "follow_ups_overdue" | "follow_ups_open", "") => {
            let due_passed =
                |f: &pb::FollowUp| f.due.as_ref().and_then(|t| from_timestamp("due", t).ok()).is_some_and(|d| d < now);
            let wanted = |f: &pb::FollowUp| match key.name {
                "follow_ups_done" => f.done,
                "follow_ups_overdue" => !f.done && due_passed(f),
                _ => !f.done && !due_passed(f),
            };
            return Some(
                briefings
                    .iter()
                    .flat_map(|b| b.follow_ups.iter().filter(|f| wanted(f)).map(move |f| (b, f)))
                    .map(|(b, f)| pb::ImpactRecord {
                        kind: "follow_up".into(),
                        id: f.id.clone(),
                        title: first_words(&f.action),
                        at: f.due,
                        quiet: b.quiet,
                    })
                    .collect(),
            );
        }
        _ => return None,
    };
    Some(briefings.iter().filter(|b| keep(b)).map(record).collect())
}

/// The deadlines behind a deadlines figure: the outcome filter of the list, per outcome.
async fn deadline_records(
    client: &mut DeadlinesServiceClient<AuthedChannel>,
    span: &Span,
    key: &FigureKey<'_>,
) -> Result<Option<Vec<pb::ImpactRecord>>, Status> {
    let outcome_named =
        |name: &str| pb::DeadlineOutcome::from_str_name(&format!("DEADLINE_OUTCOME_{}", name.to_uppercase()));
    let (outcome, mechanism, kind) = match (key.name, key.value) {
        (name, "") => (outcome_named(name), String::new(), None),
        ("by_mechanism", value) => match value.rsplit_once('/') {
            Some((mechanism, outcome)) => (outcome_named(outcome), mechanism.to_owned(), None),
            None => return Ok(None),
        },
        ("by_kind", value) => match value.rsplit_once('/') {
            Some((kind, outcome)) => (outcome_named(outcome), String::new(), Some(kind.to_owned())),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let Some(outcome) = outcome.filter(|o| *o != pb::DeadlineOutcome::Unspecified) else { return Ok(None) };
    let mut all = Vec::new();
    let mut request = pb::ListDeadlinesRequest {
        due_from: Some(to_timestamp(span.from)),
        due_to: Some(to_timestamp(span.to)),
        outcome: outcome.into(),
        mechanism,
        page_size: 500,
        ..Default::default()
    };
    loop {
        let page = client.list_deadlines(request.clone()).await?.into_inner();
        all.extend(page.deadlines);
        if page.next_page_token.is_empty() || all.len() >= MAX_RECORDS {
            break;
        }
        request.page_token = page.next_page_token;
    }
    Ok(Some(
        all.iter()
            .filter(|d| kind.as_ref().is_none_or(|k| key_of("DEADLINE_KIND_", d.kind().as_str_name()) == *k))
            .map(|d| pb::ImpactRecord {
                kind: "deadline".into(),
                id: d.id.clone(),
                title: d.title.clone(),
                at: d.due,
                quiet: false,
            })
            .collect(),
    ))
}
