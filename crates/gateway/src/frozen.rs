//! Frozen reports: a report's figures and the ids of the records behind each, kept exactly
//! as they were when a manager froze them, and compared with today's figures.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use prost::Message;
use sqlx::Row;

use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::time::{to_micros, to_timestamp};
use advocacy_platform::{Caller, Clock, Database};
use advocacy_proto::v1 as pb;

use crate::error::GatewayError;
use crate::period::Span;
use crate::report::{Reporter, Unavailable};

#[derive(Debug, Clone)]
pub struct FrozenReports {
    db: Database,
    reporter: Reporter,
    clock: Clock,
}

fn unavailable(e: Unavailable) -> GatewayError {
    GatewayError::Unavailable(e.0)
}

/// Whether `caller` holds every compartment of whoever froze the report.
fn may_open(caller: &Caller, compartments: &str) -> bool {
    compartments.split(',').filter(|c| !c.is_empty()).all(|c| caller.compartments.iter().any(|h| h == c))
}

impl FrozenReports {
    pub fn new(db: &Database, reporter: Reporter, clock: Clock) -> FrozenReports {
        FrozenReports { db: db.clone(), reporter, clock }
    }

    /// The record ids behind each drillable figure of `report`, as `caller` sees them now.
    async fn records_behind(
        &self,
        caller: &Caller,
        span: &Span,
        report: &pb::ImpactReport,
    ) -> Result<Vec<pb::FrozenFigure>, GatewayError> {
        let mut figures = Vec::new();
        for section in &report.sections {
            let drillable: Vec<&str> = section.figures.iter().filter(|f| f.drillable).map(|f| f.key.as_str()).collect();
            let mut behind = self
                .reporter
                .records_of_section(caller, span, &section.name, &drillable)
                .await
                .map_err(unavailable)?
                .into_iter();
            for figure in &section.figures {
                let record_ids = match figure.drillable {
                    true => behind.next().unwrap_or_default().into_iter().map(|r| r.id).collect(),
                    false => vec![],
                };
                figures.push(pb::FrozenFigure {
                    figure: Some(figure.clone()),
                    section: section.name.clone(),
                    record_ids,
                });
            }
        }
        Ok(figures)
    }

    /// Freezes the report of `span` as `caller` sees it, once per request.
    pub async fn freeze(
        &self,
        caller: &Caller,
        request: &Request,
        span: &Span,
        reason: &str,
    ) -> Result<pb::FrozenReport, GatewayError> {
        if let Some(Written::Replay { record_id, .. }) = request.lookup::<String>(&self.db).await? {
            return self.get(caller, &record_id).await;
        }
        let report = self.reporter.report(caller, span).await;
        if let Some(missing) = report.sections.iter().find(|s| !s.available) {
            return Err(GatewayError::Unavailable(format!(
                "the {} section is unavailable ({}); freeze the report when every service answers",
                missing.name, missing.unavailable_reason
            )));
        }
        let figures = self.records_behind(caller, span, &report).await?;
        let now = self.clock.now();
        let frozen = pb::FrozenReport {
            id: uuid::Uuid::now_v7().to_string(),
            report: Some(report),
            figures,
            reason: reason.to_owned(),
            frozen_by: caller.subject.clone(),
            frozen_at: Some(to_timestamp(now)),
        };
        let mut tx = match request.begin::<String>(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => {
                let id: String = replay.answer(|_| async { Ok::<(), GatewayError>(()) }).await?;
                return self.get(caller, &id).await;
            }
        };
        let mut compartments = caller.compartments.clone();
        compartments.sort();
        sqlx::query(
            "INSERT INTO frozen_reports (id, frozen_at, frozen_by, compartments, label, body) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&frozen.id)
        .bind(to_micros(now))
        .bind(&caller.subject)
        .bind(compartments.join(","))
        .bind(&span.label)
        .bind(B64.encode(frozen.encode_to_vec()))
        .execute(&mut *tx)
        .await?;
        request.answered(&mut tx, &frozen.id, &frozen.id, now).await?;
        tx.commit().await?;
        Ok(frozen)
    }

    /// A frozen report the caller may open.
    pub async fn get(&self, caller: &Caller, id: &str) -> Result<pb::FrozenReport, GatewayError> {
        let missing = || GatewayError::NotFound(format!("no frozen report {id}"));
        let row = sqlx::query("SELECT compartments, body FROM frozen_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(missing)?;
        if !may_open(caller, &row.try_get::<String, _>(0)?) {
            return Err(missing());
        }
        let bytes = B64.decode(row.try_get::<String, _>(1)?).map_err(|e| GatewayError::Corrupt(e.to_string()))?;
        pb::FrozenReport::decode(bytes.as_slice()).map_err(|e| GatewayError::Corrupt(e.to_string()))
    }

    /// The frozen reports the caller may open, newest first, without their record ids.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<pb::FrozenReport>, GatewayError> {
        let rows =
            sqlx::query("SELECT id, compartments FROM frozen_reports ORDER BY frozen_at DESC, id DESC LIMIT 1000")
                .fetch_all(&self.db.pool)
                .await?;
        let mut reports = Vec::new();
        for row in rows {
            if may_open(caller, &row.try_get::<String, _>(1)?) {
                let mut report = self.get(caller, &row.try_get::<String, _>(0)?).await?;
                for figure in &mut report.figures {
                    figure.record_ids.clear();
                }
                reports.push(report);
            }
        }
        Ok(reports)
    }

    /// The frozen report beside today's figures for its period, and what moved.
    pub async fn compare(&self, caller: &Caller, id: &str) -> Result<pb::FrozenReportComparison, GatewayError> {
        let frozen = self.get(caller, id).await?;
        let period = frozen.report.as_ref().and_then(|r| r.period).unwrap_or_default();
        let label = frozen.report.as_ref().map(|r| r.label.clone()).unwrap_or_default();
        let (start, end) = advocacy_platform::time::parse_period(&period)
            .map_err(|v| GatewayError::Corrupt(format!("a frozen period: {v}")))?;
        let span = Span { label, from: start, to: end };
        let today = self.reporter.report(caller, &span).await;
        let now_figures = self.records_behind_available(caller, &span, &today).await?;
        let then: BTreeMap<&str, (&pb::Figure, &[String])> = frozen
            .figures
            .iter()
            .filter_map(|f| f.figure.as_ref().map(|fig| (fig.key.as_str(), (fig, f.record_ids.as_slice()))))
            .collect();
        let now: BTreeMap<&str, (&pb::Figure, &[String])> = now_figures
            .iter()
            .filter_map(|f| f.figure.as_ref().map(|fig| (fig.key.as_str(), (fig, f.record_ids.as_slice()))))
            .collect();
        let keys: BTreeSet<&str> = then.keys().chain(now.keys()).copied().collect();
        let mut changes = Vec::new();
        for key in keys {
            let (frozen_value, frozen_ids) = then.get(key).map_or((0, &[][..]), |(f, ids)| (f.value, *ids));
            let (now_value, now_ids) = now.get(key).map_or((0, &[][..]), |(f, ids)| (f.value, *ids));
            let before: BTreeSet<&String> = frozen_ids.iter().collect();
            let after: BTreeSet<&String> = now_ids.iter().collect();
            let added: Vec<String> = after.difference(&before).map(|s| (*s).clone()).collect();
            let withdrawn: Vec<String> = before.difference(&after).map(|s| (*s).clone()).collect();
            if frozen_value != now_value || !added.is_empty() || !withdrawn.is_empty() {
                changes.push(pb::FigureChange {
                    key: key.to_owned(),
                    frozen: frozen_value,
                    now: now_value,
                    added,
                    withdrawn,
                });
            }
        }
        Ok(pb::FrozenReportComparison { frozen: Some(frozen), today: Some(today), changes })
    }

    /// As [`Self::records_behind`], leaving out sections that are unavailable today.
    async fn records_behind_available(
        &self,
        caller: &Caller,
        span: &Span,
        report: &pb::ImpactReport,
    ) -> Result<Vec<pb::FrozenFigure>, GatewayError> {
        let available = pb::ImpactReport {
            sections: report.sections.iter().filter(|s| s.available).cloned().collect(),
            ..report.clone()
        };
        self.records_behind(caller, span, &available).await
    }
}
