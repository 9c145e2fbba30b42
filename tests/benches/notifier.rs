//! Notifier benchmark, ratios against baselines from the same run:
//! - sending: 10,000 reminders due at once, planned from the change feed and sent by the
//!   notifier to a local SMTP sink, against a plain lettre loop building and sending the
//!   same 10,000 messages (same parts, same attachment) to the same sink over as many
//!   connections at once as the notifier holds (`mail.smtp.connections`);
//! - feed lag: from a MoveDeadline committed to the notifier's plan updated, p50 and p99,
//!   against the time the same poll takes to see the deadlines database itself;
//! - idle: CPU time of the system over 60 s holding 100,000 future deadlines' reminders,
//!   against the same system holding none.
//!
//! Sending runs in rounds (BENCH_ROUNDS, 5), the notifier and the loop taking turns; the
//! median of the rounds' ratios is the figure: on a shared 2-core machine one run of
//! either swung by a third.
//!
//!   cargo bench -p advocacy-tests --bench notifier  (BENCH_REMINDERS=10000, BENCH_ROUNDS=5, BENCH_CONCURRENCY=256)
//!   cargo bench -p advocacy-tests --bench notifier -- idle      (BENCH_IDLE_SECS=60)

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::Row;

use advocacy_platform::Clock;
use advocacy_platform::db::{Sql, SqlValue};
use advocacy_platform::time::to_timestamp;
use advocacy_tests::smtp::SmtpServer;
use advocacy_tests::{POSTGRES_ENV, Person, TestSystem, pb};

const OWNERS: usize = 10;
/// Rows the notifier claims at once: the outbox's default unless BENCH_CONCURRENCY says.
fn concurrency() -> usize {
    let default = advocacy_platform::outbox::OutboxSettings::default().concurrency;
    std::env::var("BENCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let engine = if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) { "postgres" } else { "sqlite" };
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let smtp = SmtpServer::start().await;
    if std::env::args().skip(1).any(|a| a == "idle") {
        let seconds = env("BENCH_IDLE_SECS", 60) as u64;
        println!("notifier idle benchmark on {engine}, {seconds} s each");
        return idle(&smtp, seconds).await;
    }
    // Whole deadlines of OWNERS reminders each.
    let reminders = (env("BENCH_REMINDERS", 10_000) / OWNERS).max(1) * OWNERS;
    let rounds = env("BENCH_ROUNDS", 5).max(1);
    println!(
        "notifier benchmark on {engine}: {reminders} reminders per round, {OWNERS} owners per deadline, {rounds} rounds"
    );
    let start = Utc::now();
    let clock = Clock::manual(start);
    let system = system(&smtp, clock.clone()).await;
    // Round r's reminders fall due at its moment, six hours after the last round's: each
    // round's deadlines are due an hour after its moment, each reminded an hour before.
    let moments: Vec<DateTime<Utc>> =
        (0..rounds).map(|r| start + chrono::Duration::minutes(30) + chrono::Duration::hours(6 * r as i64)).collect();

    let deadlines = reminders / OWNERS;
    let created = Instant::now();
    // The last round's deadlines, still open and ahead when the rounds are over, are the
    // ones the feed-lag measurement moves.
    let mut last_round = Vec::new();
    for (round, moment) in moments.iter().enumerate() {
        last_round = create(&system, round * deadlines, deadlines, *moment).await;
    }
    let made = created.elapsed();
    let planned = Instant::now();
    let all = (reminders * rounds) as i64;
    wait_until(&system, "SELECT COUNT(*) FROM deliveries WHERE state = 'planned'", all).await;
    println!(
        "create {} deadlines: {:.1} s; their {all} reminders planned {:.2} s after the last was created",
        deadlines * rounds,
        made.as_secs_f64(),
        planned.elapsed().as_secs_f64()
    );

    // Each round: the clock reaches the round's moment and the notifier sends its
    // reminders; then a plain lettre loop sends the same messages. The two take turns
    // so that a machine whose speed drifts over a minute weighs on both alike.
    // One transport for every round, as the notifier keeps one: from the second round on,
    // both send over connections already open.
    let connections = smtp.config().connections;
    let transport: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(smtp.addr.port())
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(connections as u32))
            .build();
    let (mut ratios, mut cpu) = (Vec::new(), Vec::new());
    for (round, moment) in moments.iter().enumerate() {
        let sending = Instant::now();
        let cpu_before = cpu_seconds();
        clock.advance(*moment - clock.now());
        let got = smtp.wait_for_count(reminders, 600).await;
        let notifier_secs = sending.elapsed().as_secs_f64();
        let notifier_cpu = cpu_seconds() - cpu_before;
        assert_eq!(got, reminders, "every reminder arrived");
        let sent = smtp.take();
        let (lettre_secs, lettre_cpu) = plain_loop(&transport, connections, &sent).await;
        assert_eq!(smtp.take().len(), reminders);
        let (ours, plain) = (reminders as f64 / notifier_secs, reminders as f64 / lettre_secs);
        let per_message = |cpu: f64| cpu * 1e6 / reminders as f64;
        println!(
            "  round {}: notifier {ours:.0}/s, plain lettre loop {plain:.0}/s, ratio {:.2}; CPU per message \
             (this process, sink included): notifier {:.0} µs, loop {:.0} µs",
            round + 1,
            ours / plain,
            per_message(notifier_cpu),
            per_message(lettre_cpu)
        );
        ratios.push(ours / plain);
        cpu.push((per_message(notifier_cpu), per_message(lettre_cpu)));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n.is_multiple_of(2) { (v[n / 2 - 1] + v[n / 2]) / 2.0 } else { v[n / 2] }
    };
    println!(
        "send {reminders} reminders: ratio {:.2} (median of {rounds} rounds; range {:.2}-{:.2}; target 0.8); \
         CPU per message (medians; this process, sink included): notifier {:.0} µs, plain lettre loop {:.0} µs",
        median(ratios.clone()),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
        median(cpu.iter().map(|c| c.0).collect()),
        median(cpu.iter().map(|c| c.1).collect())
    );

    feed_lag(&system, &clock, &last_round).await;
    system.finish().await;
}

/// The messages the notifier sent, from a plain lettre loop over as many connections at
/// once as the notifier holds: each built with lettre's builder from the parts the
/// notifier sent (read out before the clock starts) and sent through a pooled transport.
/// Its time and this process's CPU time, in seconds.
async fn plain_loop(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    connections: usize,
    sent: &[advocacy_tests::smtp::Received],
) -> (f64, f64) {
    let parts: Arc<Vec<Parts>> = Arc::new(sent.iter().map(Parts::of).collect());
    let looping = Instant::now();
    let cpu_before = cpu_seconds();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..connections {
        let (transport, parts) = (transport.clone(), parts.clone());
        tasks.spawn(async move {
            for p in parts.iter().skip(worker).step_by(connections) {
                transport.send(p.message()).await.expect("sent");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    (looping.elapsed().as_secs_f64(), cpu_seconds() - cpu_before)
}

/// What a message is made of, read out of one the notifier sent.
struct Parts {
    from: String,
    to: String,
    subject: String,
    message_id: String,
    text: String,
    html: String,
    ics: Option<String>,
}

impl Parts {
    fn of(m: &advocacy_tests::smtp::Received) -> Parts {
        use mail_parser::MimeHeaders;
        let parsed = m.parsed();
        let address = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned()
        };
        Parts {
            from: address(parsed.from()),
            to: address(parsed.to()),
            subject: parsed.subject().unwrap_or_default().to_owned(),
            message_id: parsed.message_id().unwrap_or_default().to_owned(),
            text: parsed.body_text(0).unwrap_or_default().into_owned(),
            html: parsed.body_html(0).unwrap_or_default().into_owned(),
            ics: parsed
                .attachments()
                .find(|a| a.content_type().is_some_and(|c| c.subtype() == Some("calendar")))
                .map(|a| String::from_utf8_lossy(a.contents()).into_owned()),
        }
    }

    fn message(&self) -> lettre::Message {
        use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(self.text.clone()))
            .singlepart(SinglePart::html(self.html.clone()));
        let body = match &self.ics {
            Some(ics) => MultiPart::mixed().multipart(body).singlepart(
                Attachment::new("deadline.ics".into())
                    .body(ics.clone(), ContentType::parse("text/calendar; charset=utf-8").expect("a type")),
            ),
            None => body,
        };
        lettre::Message::builder()
            .from(self.from.parse().expect("an address"))
            .to(self.to.parse().expect("an address"))
            .subject(&self.subject)
            .message_id(Some(format!("<{}>", self.message_id)))
            .multipart(body)
            .expect("a message")
    }
}

async fn system(smtp: &SmtpServer, clock: Clock) -> TestSystem {
    let smtp = smtp.config();
    TestSystem::spawn_with_clock_and(clock, |config| {
        config.mail.smtp = Some(smtp);
        config.reminders.digest_schedule = String::new();
        config.reminders.escalate_before_hours = 0;
        config.outbox.concurrency = concurrency();
    })
    .await
}

/// `count` deadlines (numbered from `first`) due an hour after `moment` with one lead of
/// an hour, by 8 clients.
async fn create(system: &TestSystem, first: usize, count: usize, moment: DateTime<Utc>) -> Vec<(String, i64)> {
    let owners: Vec<String> = (0..OWNERS).map(|i| format!("person{i}@advocacy.example")).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let mut client = system.deadlines_as(&Person::staff()).await;
        let owners = owners.clone();
        tasks.spawn(async move {
            let mut made = Vec::new();
            for n in (worker..count).step_by(8) {
                let request = advocacy_tests::reminded_at(first + n, moment, &owners);
                let d = client.create_deadline(request).await.expect("created").into_inner();
                made.push((d.id, d.version));
            }
            made
        });
    }
    let mut all = Vec::new();
    while let Some(made) = tasks.join_next().await {
        all.extend(made.expect("a client"));
    }
    all
}

async fn wait_until(system: &TestSystem, query: &str, at_least: i64) {
    let until = Instant::now() + Duration::from_secs(600);
    while system.numbers("notifier", &[query]).await[0] < at_least {
        assert!(Instant::now() < until, "{query} never reached {at_least}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Moves 200 deadlines one at a time; after each, how long until the notifier's copy
/// has the new revision, and how long the same poll takes on the deadlines database.
async fn feed_lag(system: &TestSystem, clock: &Clock, ids: &[(String, i64)]) {
    let mut client = system.deadlines_as(&Person::staff()).await;
    let (mut lags, mut polls) = (Vec::new(), Vec::new());
    let later = clock.now() + chrono::Duration::days(30);
    for (n, (id, version)) in ids.iter().take(200).enumerate() {
        let due = pb::WhenInput {
            at: Some(pb::when_input::At::Utc(to_timestamp(later + chrono::Duration::minutes(n as i64)))),
            zone: "UTC".into(),
        };
        let moved = client
            .move_deadline(pb::MoveDeadlineRequest {
                request_id: format!("lag-{n}"),
                id: id.clone(),
                expected_version: *version,
                due: Some(due),
                reason: "benchmark".into(),
            })
            .await
            .expect("moved")
            .into_inner();
        let committed = Instant::now();
        let query = format!("SELECT COALESCE(MAX(revision), 0) FROM deadlines WHERE id = '{id}'");
        let pool = &system.database("notifier").pool;
        loop {
            let row = sqlx::query(sqlx::AssertSqlSafe(query.clone())).fetch_one(pool).await.expect("poll");
            if row.try_get::<i64, _>(0).expect("a revision") >= moved.revision {
                break;
            }
        }
        lags.push(committed.elapsed());
        let polled = Instant::now();
        let own = &system.database("deadlines").pool;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT version FROM deadlines WHERE id = '{id}'")))
            .fetch_optional(own)
            .await
            .expect("poll");
        polls.push(polled.elapsed());
        drop(row);
    }
    lags.sort();
    polls.sort();
    println!(
        "feed lag MoveDeadline -> plan over {} moves: p50 {:.2} ms, p99 {:.2} ms (one poll of the database: p50 {:.3} ms)",
        lags.len(),
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        percentile(&polls, 0.5)
    );
}

/// CPU seconds this process used (user and system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.get(11..13).map(|f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum()).unwrap_or(0.0);
    ticks / 100.0
}

async fn idle_cpu(seconds: u64) -> f64 {
    let before = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    cpu_seconds() - before
}

/// Rows as planning leaves them for 100,000 deadlines a year ahead, three leads each:
/// the notifier's copy of each deadline, its deliveries and their outbox rows.
async fn seed(system: &TestSystem, deadlines: usize) {
    let db = system.database("notifier");
    let now = Utc::now();
    let micros = |t: DateTime<Utc>| t.timestamp_micros();
    for chunk in (0..deadlines).collect::<Vec<_>>().chunks(500) {
        let (mut d, mut l, mut o) = (
            Sql::new(
                "INSERT INTO deadlines (id, revision, title, mechanism, kind, zone, due_at, status, owners, lead_minutes, confidentiality, compartment) VALUES ",
            ),
            Sql::new(
                "INSERT INTO deliveries (id, purpose, deadline_id, due_at, lead_minutes, recipient, catch_up, state, reason, send_at, sent_at, attempts, message_id, created_at) VALUES ",
            ),
            Sql::new(
                "INSERT INTO outbox (id, topic, item, generation, state, attempts, next_attempt_at, claimed_by, claimed_until, last_error, updated_at) VALUES ",
            ),
        );
        for &i in chunk {
            let id = uuid::Uuid::now_v7().to_string();
            let due = now + chrono::Duration::days(365) + chrono::Duration::minutes(i as i64);
            d.push_row(&[
                SqlValue::Text(&id),
                SqlValue::Int(i as i64 + 1),
                SqlValue::Text("A deadline a year ahead"),
                SqlValue::Text("UPR"),
                SqlValue::Int(1),
                SqlValue::Text("Europe/Zurich"),
                SqlValue::Int(micros(due)),
                SqlValue::Int(1),
                SqlValue::Text("ana@advocacy.example"),
                SqlValue::Text("43200,10080,1440"),
                SqlValue::Text("internal"),
                SqlValue::Text(""),
            ]);
            for lead in [43_200_i64, 10_080, 1_440] {
                let delivery = uuid::Uuid::now_v7().to_string();
                let at = micros(due) - lead * 60_000_000;
                let message_id = format!("<{delivery}@advocacy.example>");
                l.push_row(&[
                    SqlValue::Text(&delivery),
                    SqlValue::Text("reminder"),
                    SqlValue::Text(&id),
                    SqlValue::Int(micros(due)),
                    SqlValue::Int(lead),
                    SqlValue::Text("ana@advocacy.example"),
                    SqlValue::Int(0),
                    SqlValue::Text("planned"),
                    SqlValue::Text(""),
                    SqlValue::Int(at),
                    SqlValue::Null,
                    SqlValue::Int(0),
                    SqlValue::Text(&message_id),
                    SqlValue::Int(micros(now)),
                ]);
                let row_id = format!("delivery:{delivery}");
                o.push_row(&[
                    SqlValue::Text(&row_id),
                    SqlValue::Text("delivery"),
                    SqlValue::Text(&delivery),
                    SqlValue::Int(1),
                    SqlValue::Text("pending"),
                    SqlValue::Int(0),
                    SqlValue::Int(at),
                    SqlValue::Text(""),
                    SqlValue::Int(0),
                    SqlValue::Text(""),
                    SqlValue::Int(micros(now)),
                ]);
            }
        }
        let mut tx = db.pool.begin().await.expect("begin");
        for sql in [d, l, o] {
            sql.execute(&mut tx).await.expect("seed");
        }
        tx.commit().await.expect("commit");
    }
}

async fn idle(smtp: &SmtpServer, seconds: u64) {
    let system = system(smtp, Clock::system()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let empty = idle_cpu(seconds).await;
    let held = 100_000;
    seed(&system, held).await;
    // Let the worker see the new rows once before measuring.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let full = idle_cpu(seconds).await;
    println!(
        "idle over {seconds} s: {:.3} CPU s holding {held} deadlines ({} reminders), {:.3} CPU s holding none; \
         {:.4} of a core, ratio {:.2}",
        full,
        held * 3,
        empty,
        full / seconds as f64,
        full / empty.max(0.01)
    );
    system.finish().await;
}
