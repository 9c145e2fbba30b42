//! Frozen reports on the pages: a manager freezes the report of a period as told to a
//! board or donors, and later compares it with today's figures, figure by figure.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use advocacy_platform::language::number;
use advocacy_proto::v1 as pb;

use super::dashboard::{label, period_of};
use super::session::{Posted, Visitor};
use super::{Problems, Web, field};

#[derive(Serialize)]
struct Listed {
    id: String,
    label: String,
    reason: String,
    by: String,
    at: String,
}

#[derive(Serialize)]
struct Change {
    label: String,
    frozen: String,
    now: String,
    added: usize,
    withdrawn: usize,
}

fn at(ts: &Option<prost_types::Timestamp>, web: &Web, visitor: &Visitor) -> String {
    super::moment(ts)
        .map(|t| advocacy_platform::language::when(t, visitor.zone(web), visitor.language))
        .unwrap_or_default()
}

pub async fn list(State(web): State<Web>, visitor: Visitor) -> Response {
    let asked = async { web.gateway(&visitor).await?.list_frozen_reports(pb::ListFrozenReportsRequest {}).await };
    let reports = match asked.await {
        Ok(found) => found.into_inner().reports,
        Err(status) => return web.problem(&visitor, &status),
    };
    let listed: Vec<Listed> = reports
        .iter()
        .map(|r| Listed {
            id: r.id.clone(),
            label: r.report.as_ref().map(|r| r.label.clone()).unwrap_or_default(),
            reason: r.reason.clone(),
            by: r.frozen_by.clone(),
            at: at(&r.frozen_at, &web, &visitor),
        })
        .collect();
    let ctx = minijinja::context! { reports => listed, compared => None::<()>, problems => Problems::default() };
    web.render("frozen.html", visitor.language, Some(&visitor), ctx)
}

pub async fn freeze(State(web): State<Web>, Posted { visitor, form }: Posted) -> Response {
    let request = pb::FreezeImpactReportRequest {
        request_id: field(&form, "request_id").to_owned(),
        period: Some(period_of(field(&form, "period"))),
        reason: field(&form, "reason").to_owned(),
    };
    match async { web.gateway(&visitor).await?.freeze_impact_report(request).await }.await {
        Ok(frozen) => Redirect::to(&format!("/report/frozen/{}", frozen.into_inner().id)).into_response(),
        Err(status) => web.problem(&visitor, &status),
    }
}

pub async fn compare(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let asked = async { web.gateway(&visitor).await?.get_frozen_report(pb::GetFrozenReportRequest { id }).await };
    let compared = match asked.await {
        Ok(found) => found.into_inner(),
        Err(status) => return web.problem(&visitor, &status),
    };
    let t = web.catalogs.of(visitor.language);
    let frozen = compared.frozen.unwrap_or_default();
    let changes: Vec<Change> = compared
        .changes
        .iter()
        .map(|c| Change {
            label: label(&t, &c.key),
            frozen: number(c.frozen, visitor.language),
            now: number(c.now, visitor.language),
            added: c.added.len(),
            withdrawn: c.withdrawn.len(),
        })
        .collect();
    let ctx = minijinja::context! {
        reports => Vec::<Listed>::new(),
        compared => minijinja::context! {
            label => frozen.report.as_ref().map(|r| r.label.clone()),
            reason => frozen.reason,
            by => frozen.frozen_by,
            at => at(&frozen.frozen_at, &web, &visitor),
            changes => changes,
        },
        problems => Problems::default(),
    };
    web.render("frozen.html", visitor.language, Some(&visitor), ctx)
}
