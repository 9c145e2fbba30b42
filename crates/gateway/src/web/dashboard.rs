//! The managers' dashboard: the impact report of a period with its charts, every figure a
//! link to the records behind it, and the report as CSV or JSON.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use http::HeaderMap;
use serde::Serialize;

use advocacy_platform::language::{Language, number};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::gateway_service_client::GatewayServiceClient;

use super::charts::{Bar, bars};
use super::i18n::Catalog;
use super::session::Visitor;
use super::{Problems, Web, query};

type Pairs = Query<Vec<(String, String)>>;

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.trim())
}

/// `2024`, `2024-Q1` or `2024-03` as a report period.
pub(super) fn period_of(text: &str) -> pb::ReportPeriod {
    use pb::report_period::Span;
    let span = match text.parse::<i32>() {
        Ok(year) => Span::Year(year),
        Err(_) if text.to_ascii_uppercase().contains("-Q") => Span::Quarter(text.to_ascii_uppercase()),
        Err(_) => Span::Month(text.to_owned()),
    };
    pb::ReportPeriod { span: Some(span) }
}

/// The same period as the JSON API's query.
fn period_query(text: &str) -> (&'static str, String) {
    match period_of(text).span {
        Some(pb::report_period::Span::Year(y)) => ("year", y.to_string()),
        Some(pb::report_period::Span::Quarter(q)) => ("quarter", q),
        _ => ("month", text.to_owned()),
    }
}

#[derive(Serialize)]
struct Tile {
    label: String,
    value: String,
    href: String,
}

#[derive(Serialize)]
struct Section {
    name: String,
    title: String,
    available: bool,
    reason: String,
    restricted: String,
    tiles: Vec<Tile>,
    charts: Vec<minijinja::Value>,
}

/// A figure's words: `figure.<section>.<name>`, a breakdown value's `value.<value>` or the
/// value as stored (cities, mechanisms, months).
pub(super) fn label(t: &Catalog, key: &str) -> String {
    match key.split_once('/') {
        // A breakdown by two things (a mechanism and an outcome) names both.
        Some((_, value)) => value
            .split('/')
            .map(|part| {
                t.known(&format!("value.{part}"))
                    .or_else(|| t.known(&format!("figure.deadlines.{part}")))
                    .map_or_else(|| part.to_owned(), str::to_owned)
            })
            .collect::<Vec<_>>()
            .join(" · "),
        None => t.word(&format!("figure.{key}")),
    }
}

fn records_href(period: &str, key: &str) -> String {
    format!("/report/records?{}", query(&[("period", period), ("figure", key)]))
}

/// The charts of one section: each breakdown, and the headline figures that belong together.
fn charts_of(section: &pb::ImpactSection, t: &Catalog, period: &str, language: Language) -> Vec<minijinja::Value> {
    let bar = |f: &pb::Figure| Bar {
        label: label(t, &f.key),
        value: f.value,
        shown: number(f.value, language),
        href: records_href(period, &f.key),
    };
    let mut groups: BTreeMap<&str, Vec<Bar>> = BTreeMap::new();
    let together: &[(&str, &[&str])] = &[
        ("briefings.actors", &["briefings.governments_briefed", "briefings.multilateral_actors_briefed"]),
        (
            "deadlines.outcomes",
            &[
                "deadlines.met_on_time",
                "deadlines.completed_late",
                "deadlines.missed",
                "deadlines.open",
                "deadlines.cancelled",
            ],
        ),
    ];
    for f in &section.figures {
        if let Some((group, _)) = f.key.split_once('/') {
            groups.entry(group).or_default().push(bar(f));
        }
        for (group, keys) in together {
            if keys.contains(&f.key.as_str()) {
                groups.entry(group).or_default().push(bar(f));
            }
        }
    }
    let mut order: Vec<&str> = together.iter().map(|(g, _)| *g).filter(|g| groups.contains_key(g)).collect();
    order.extend(groups.keys().filter(|g| !together.iter().any(|(t, _)| t == *g)));
    order
        .into_iter()
        .filter_map(|group| {
            let mut items = groups.get(group)?.clone();
            if group.ends_with("by_month") {
                items.sort_by(|a, b| a.label.cmp(&b.label));
            } else if !together.iter().any(|(g, _)| *g == group) {
                items.sort_by(|a, b| b.value.cmp(&a.value).then(a.label.cmp(&b.label)));
                items.truncate(12);
            }
            let mut title = t.word(&format!("chart.{group}"));
            if group == "submissions.amendments_by_status" {
                let kept = section.figures.iter().find(|f| f.key == "submissions.amendments_words_kept");
                let kept = number(kept.map_or(0, |f| f.value), language);
                title = format!("{title} · {} {kept}", t.word("figure.submissions.amendments_words_kept"));
            }
            Some(minijinja::context! { title => &title, svg => minijinja::Value::from_safe_string(bars(&title, &items)) })
        })
        .collect()
}

fn sections(report: &pb::ImpactReport, t: &Catalog, period: &str, language: Language) -> Vec<Section> {
    report
        .sections
        .iter()
        .map(|s| Section {
            name: s.name.clone(),
            title: t.word(&format!("section.{}", s.name)),
            available: s.available,
            reason: s.unavailable_reason.clone(),
            restricted: number(s.restricted_not_shown, language),
            tiles: s
                .figures
                .iter()
                .filter(|f| !f.key.contains('/'))
                .map(|f| Tile {
                    label: label(t, &f.key),
                    value: number(f.value, language),
                    href: records_href(period, &f.key),
                })
                .collect(),
            charts: charts_of(s, t, period, language),
        })
        .collect()
}

impl Web {
    fn this_year(&self) -> String {
        self.clock.now().with_timezone(&self.api.zone()).year().to_string()
    }

    pub(super) async fn gateway(
        &self,
        visitor: &Visitor,
    ) -> Result<GatewayServiceClient<advocacy_platform::client::AuthedChannel>, tonic::Status> {
        Ok(GatewayServiceClient::new(self.caller_channel(&visitor.caller, "gateway")?))
    }
}

pub async fn page(State(web): State<Web>, visitor: Visitor, Query(pairs): Pairs) -> Response {
    let period = match get(&pairs, "period") {
        "" => web.this_year(),
        p => p.to_owned(),
    };
    let t = web.catalogs.of(visitor.language);
    let asked = async {
        let mut gateway = web.gateway(&visitor).await?;
        gateway.get_impact_report(pb::ImpactReportRequest { period: Some(period_of(&period)), export: false }).await
    };
    let (report, problems) = match asked.await {
        Ok(report) => (Some(report.into_inner()), Problems::default()),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            (None, Problems::of(&status, |f| f.starts_with("period").then_some("period")))
        }
        Err(status) => return web.problem(&visitor, &status),
    };
    let ctx = minijinja::context! {
        period => &period,
        label => report.as_ref().map(|r| r.label.clone()),
        sections => report.as_ref().map(|r| sections(r, &t, &period, visitor.language)),
        problems => problems,
        csv => format!("/report/export?{}", query(&[("period", &period), ("format", "csv")])),
        json => format!("/report/export?{}", query(&[("period", &period), ("format", "json")])),
        this_year => web.this_year(),
        freeze_id => uuid::Uuid::now_v7().to_string(),
    };
    web.render("dashboard.html", visitor.language, Some(&visitor), ctx)
}

#[derive(Serialize)]
struct Row {
    kind: String,
    title: String,
    at: String,
    quiet: bool,
}

pub async fn records(State(web): State<Web>, visitor: Visitor, Query(pairs): Pairs) -> Response {
    let (period, figure, page) = (get(&pairs, "period"), get(&pairs, "figure"), get(&pairs, "page"));
    let asked = async {
        let mut gateway = web.gateway(&visitor).await?;
        let request = pb::ListImpactRecordsRequest {
            period: Some(period_of(period)),
            figure: figure.to_owned(),
            page_size: 50,
            page_token: page.to_owned(),
            export: false,
        };
        gateway.list_impact_records(request).await
    };
    let found = match asked.await {
        Ok(found) => found.into_inner(),
        Err(status) => return web.problem(&visitor, &status),
    };
    let zone = visitor.zone(&web);
    let rows: Vec<Row> = found
        .records
        .iter()
        .map(|r| Row {
            kind: web.catalogs.of(visitor.language).word(&format!("kind.{}", r.kind)),
            title: r.title.clone(),
            at: super::moment(&r.at)
                .map(|at| advocacy_platform::language::day(at, zone, visitor.language))
                .unwrap_or_default(),
            quiet: r.quiet,
        })
        .collect();
    let t = web.catalogs.of(visitor.language);
    let next = (!found.next_page_token.is_empty()).then(|| {
        format!(
            "/report/records?{}",
            query(&[("period", period), ("figure", figure), ("page", &found.next_page_token)])
        )
    });
    let ctx = minijinja::context! {
        period => period,
        figure => label(&t, figure),
        rows => rows,
        next => next,
        back => format!("/report?{}", query(&[("period", period)])),
        csv => format!("/report/export?{}", query(&[("period", period), ("figure", figure), ("format", "csv")])),
    };
    web.render("records.html", visitor.language, Some(&visitor), ctx)
}

/// The report (or one figure's records) as CSV or JSON: the JSON API's own answer, asked
/// with the visitor's token, so an export here is the export there.
pub async fn export(State(web): State<Web>, visitor: Visitor, Query(pairs): Pairs) -> Response {
    let (key, value) = period_query(get(&pairs, "period"));
    let mut asked = vec![(key.to_owned(), value)];
    if get(&pairs, "format") == "csv" {
        asked.push(("format".into(), "csv".into()));
    }
    let figure = get(&pairs, "figure");
    let mut bearer = HeaderMap::new();
    let Ok(token) = format!("Bearer {}", visitor.caller.token()).parse() else {
        return web.problem(&visitor, &tonic::Status::unauthenticated("the session ended"));
    };
    bearer.insert(http::header::AUTHORIZATION, token);
    let mut answer = if figure.is_empty() {
        crate::http::report(State(web.json.clone()), bearer, Query(asked)).await.into_response()
    } else {
        asked.push(("figure".into(), figure.to_owned()));
        crate::http::records(State(web.json.clone()), bearer, Query(asked)).await.into_response()
    };
    // Not kept on a shared office computer's disk.
    answer.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    answer
}
