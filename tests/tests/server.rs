//! What the server promises every client and operator: health per service, reflection for
//! generic tools, a shutdown that lets calls in flight finish, and service through a
//! database that drops its connections.

use std::time::Duration;

use advocacy_platform::Clock;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_tests::{Person, TestSystem, new_deadline, pb};
use sqlx::{Connection, Row};
use tokio_stream::StreamExt;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

#[tokio::test]
async fn health_reports_each_hosted_service_without_a_token() {
    let system = TestSystem::spawn().await;
    let mut health = HealthClient::new(system.anonymous_channel().await);
    for service in ["", "advocacy.v1.DeadlinesService"] {
        let status =
            health.check(HealthCheckRequest { service: service.into() }).await.expect("health").into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown =
        health.check(HealthCheckRequest { service: "advocacy.v1.Nothing".into() }).await.expect_err("unknown");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    system.finish().await;
}

#[tokio::test]
async fn each_answer_carries_the_request_id_it_was_asked_with_or_a_new_one() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines_as(&Person::staff()).await;
    let id_of = |metadata: &tonic::metadata::MetadataMap| {
        metadata.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let mut asked = tonic::Request::new(pb::ListDeadlinesRequest::default());
    asked.metadata_mut().insert("x-request-id", "briefing-2027-01:7".parse().expect("a value"));
    let answered = deadlines.list_deadlines(asked).await.expect("listed");
    assert_eq!(id_of(answered.metadata()), "briefing-2027-01:7");
    let (first, second) = (
        deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("listed"),
        deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("listed"),
    );
    let (first, second) = (id_of(first.metadata()), id_of(second.metadata()));
    assert_eq!(first.len(), 32, "{first}");
    assert_ne!(first, second, "a new id for each request");
    system.finish().await;
}

#[tokio::test]
async fn reflection_lists_the_services_and_describes_their_messages() {
    // Only the deadlines service: the others are not hosted here, so not advertised.
    let system = TestSystem::spawn_with(&["deadlines"], "127.0.0.1:0", |_| {}).await;
    let mut reflection = ServerReflectionClient::new(system.anonymous_channel().await);
    let requests = tokio_stream::iter([
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol("advocacy.v1.DeadlinesService".into())),
        },
    ]);
    let mut responses = reflection.server_reflection_info(requests).await.expect("reflection").into_inner();
    let listed = match responses.next().await.expect("a response").expect("ok").message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect::<Vec<_>>()
        }
        other => panic!("expected a service list, got {other:?}"),
    };
    for expected in ["advocacy.v1.DeadlinesService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"] {
        assert!(listed.iter().any(|s| s == expected), "{expected} missing from {listed:?}");
    }
    assert!(!listed.iter().any(|s| s == "advocacy.v1.GatewayService"), "services not hosted are not advertised");
    match responses.next().await.expect("a response").expect("ok").message_response {
        Some(MessageResponse::FileDescriptorResponse(files)) => assert!(!files.file_descriptor_proto.is_empty()),
        other => panic!("expected file descriptors, got {other:?}"),
    }

    // The older v1alpha protocol answers the same, for tools that only speak it.
    use tonic_reflection::pb::v1alpha as alpha;
    let mut reflection = alpha::server_reflection_client::ServerReflectionClient::new(system.anonymous_channel().await);
    let request = alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(alpha::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let mut responses =
        reflection.server_reflection_info(tokio_stream::iter([request])).await.expect("v1alpha").into_inner();
    match responses.next().await.expect("a response").expect("ok").message_response {
        Some(alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) => {
            assert!(list.service.iter().any(|s| s.name == "advocacy.v1.DeadlinesService"));
        }
        other => panic!("expected a service list, got {other:?}"),
    }
    system.finish().await;
}

#[tokio::test]
async fn a_shutdown_lets_calls_in_flight_finish_and_refuses_new_connections() {
    let mut system = TestSystem::spawn().await;
    let url = system.url();
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(system.deadlines().await);
    }
    // Start a burst of writes, then stop the server while they run.
    let writes: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(w, mut client)| {
            tokio::spawn(async move {
                let mut done = 0;
                for i in 0..25 {
                    match client
                        .create_deadline(new_deadline(&format!("sd-{w}-{i}"), "During shutdown", "2027-03-01T12:00"))
                        .await
                    {
                        Ok(_) => done += 1,
                        Err(_) => break,
                    }
                }
                done
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    system.stop_server().await;
    let mut acknowledged = 0;
    for w in writes {
        acknowledged += w.await.expect("writer");
    }
    assert!(
        tokio::time::timeout(Duration::from_secs(2), advocacy_platform::client::connect(&url))
            .await
            .map(|r| r.is_err())
            .unwrap_or(true)
    );

    // Every write the server acknowledged is there after the restart, and nothing else.
    system.restart().await;
    let mut deadlines = system.deadlines().await;
    let mut stored = 0;
    let mut token = String::new();
    loop {
        let page = deadlines
            .list_deadlines(pb::ListDeadlinesRequest { page_size: 500, page_token: token, ..Default::default() })
            .await
            .expect("list")
            .into_inner();
        stored += page.deadlines.len();
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(stored, acknowledged, "acknowledged writes survive, unacknowledged ones left no trace");
    system.finish().await;
}

#[tokio::test]
async fn reads_and_writes_go_on_after_the_database_drops_every_connection() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let created = deadlines
        .create_deadline(new_deadline("drop-1", "CRC report", "2027-05-10T12:00"))
        .await
        .expect("created")
        .into_inner();
    // Warm the read connections, then have the server close every one of them, as a
    // restart or a failover does. (SQLite has no server; there it is an ordinary read.)
    for _ in 0..4 {
        deadlines.get_deadline(pb::GetDeadlineRequest { id: created.id.clone() }).await.expect("read");
    }
    let db = system.database("deadlines");
    if db.dialect == advocacy_platform::Dialect::Postgres {
        let url = system.config.database_url_for("deadlines");
        let name = url.rsplit('/').next().expect("a database name").to_owned();
        let server = url.rsplit_once('/').expect("a server").0.to_owned();
        let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres")).await.expect("admin");
        let closed = sqlx::query(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .expect("terminate");
        assert!(closed.try_get::<i64, _>(0).expect("count") > 0, "some connections were open");
    }
    for _ in 0..10 {
        let read = deadlines.get_deadline(pb::GetDeadlineRequest { id: created.id.clone() }).await;
        assert_eq!(read.expect("every read after the drop").into_inner().id, created.id);
        let page = deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("every listing");
        assert_eq!(page.into_inner().deadlines.len(), 1);
    }
    let moved = deadlines
        .move_deadline(pb::MoveDeadlineRequest {
            request_id: "drop-2".into(),
            id: created.id.clone(),
            expected_version: created.version,
            due: Some(advocacy_tests::local_time("2027-05-17T12:00", "")),
            reason: "extended".into(),
        })
        .await
        .expect("a write after the drop");
    assert_eq!(moved.into_inner().version, 2);
    system.finish().await;
}

#[tokio::test]
async fn every_service_reads_time_from_the_clock_it_is_given() {
    // Two hours from now on a clock the test moves: records are stamped with its time,
    // and tokens expire by it, not by the machine's.
    let clock = Clock::manual(chrono::Utc::now() + chrono::Duration::hours(2));
    let system = TestSystem::spawn_with_clock(clock.clone()).await;
    let staff = Person::staff();
    let token = system.token_for(&staff);
    let mut deadlines = DeadlinesServiceClient::new(system.channel_with_token(&token).await);
    let created = deadlines
        .create_deadline(new_deadline("clock-1", "CRC report", "2027-05-10T12:00"))
        .await
        .expect("created")
        .into_inner();
    let stamped = created.stamp.and_then(|s| s.created_at).expect("a creation time").seconds;
    assert_eq!(stamped, clock.now().timestamp(), "stamped with the given clock's time");
    let mut submissions = system.submissions_as(&staff).await;
    let draft = submissions
        .create_submission(pb::CreateSubmissionRequest {
            request_id: "clock-2".into(),
            title: "UPR report".into(),
            mechanism: "UPR".into(),
            kind: pb::SubmissionKind::UprStakeholderReport.into(),
            country: "KP".into(),
            word_count: 1_000,
            ..Default::default()
        })
        .await
        .expect("draft")
        .into_inner();
    assert_eq!(draft.stamp.and_then(|s| s.created_at).expect("a creation time").seconds, clock.now().timestamp());

    clock.advance(chrono::Duration::hours(2));
    let expired = deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect_err("expired");
    assert_eq!(expired.code(), tonic::Code::Unauthenticated, "the token's hour has passed on the given clock");
    let fresh = system.deadlines_as(&staff).await.list_deadlines(pb::ListDeadlinesRequest::default()).await;
    assert_eq!(fresh.expect("a token of the new time").into_inner().deadlines.len(), 1);
    system.finish().await;
}

/// One publication row, as the import streams it.
fn publication_row(line: i32) -> pb::ImportPublicationRow {
    pb::ImportPublicationRow {
        line,
        publication: Some(pb::CreatePublicationRequest {
            request_id: format!("timeout-{line}"),
            title: format!("Report {line}"),
            kind: pb::PublicationKind::Brief.into(),
            published_on: Some(prost_types::Timestamp { seconds: 1_709_251_200, nanos: 0 }),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn an_import_may_take_longer_than_a_call_and_is_still_bounded_by_its_own_timeout() {
    let system = TestSystem::spawn_with(&advocacy::serve::service_names(), "127.0.0.1:0", |config| {
        config.server.request_timeout_secs = 1;
        config.server.import_timeout_secs = 4;
    })
    .await;
    let mut submissions = system.submissions_as(&Person::staff()).await;
    // Rows over two seconds: past the call timeout, inside the import's.
    let (rows, slow) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        for line in 1..=5 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            rows.send(publication_row(line)).await.expect("the import reads on");
        }
    });
    let slow = tokio_stream::wrappers::ReceiverStream::new(slow);
    let imported = submissions.import_publications(slow).await.expect("the import had its own time");
    assert_eq!(imported.into_inner().publications, 5);

    // A stream that never ends is cut off at the import's timeout, and writes nothing.
    let (_rows, waiting) = tokio::sync::mpsc::channel::<pb::ImportPublicationRow>(1);
    let started = std::time::Instant::now();
    let stuck = submissions
        .import_publications(tokio_stream::wrappers::ReceiverStream::new(waiting))
        .await
        .expect_err("cut off");
    assert_eq!(stuck.code(), tonic::Code::DeadlineExceeded, "{stuck:?}");
    assert!(stuck.message().contains("server.import_timeout_secs"), "{}", stuck.message());
    assert!(started.elapsed() >= Duration::from_secs(3), "not before its time");
    assert_eq!(system.numbers("submissions", &["SELECT COUNT(*) FROM publications"]).await, [5]);
    system.finish().await;
}
