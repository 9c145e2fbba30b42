//! `advocacy backup` and `advocacy restore` as an operator runs them: an online backup of a
//! running server, the data wiped, a tampered archive refused with nothing changed, the
//! real one restored, and every record and the notifier's delivery state back: the
//! reminder sent before the backup is not sent again, the one still planned is sent once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use advocacy_platform::Role;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::notifier_service_client::NotifierServiceClient;
use advocacy_tests::processes::{Server, Storage};
use advocacy_tests::smtp::{SmtpServer, by_message_id};
use advocacy_tests::{local_time, reminded_at};

const BINARY: &str = env!("CARGO_BIN_EXE_advocacy");
const ANA: &str = "ana@advocacy.example";

fn config(storage: &Storage, smtp: &SmtpServer) -> PathBuf {
    let rest = format!(
        "grpc_listen = \"127.0.0.1:0\"\nhttp_listen = \"127.0.0.1:0\"\n\
         [reminders]\ndigest_schedule = \"\"\nescalate_before_hours = 0\n\
         [mail]\nfrom = \"Reminders <reminders@advocacy.example>\"\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\ntimeout_secs = 5\n",
        smtp.addr.port()
    );
    storage.config("all", &rest)
}

/// `advocacy --config config <args>`: whether it succeeded, and what it printed.
fn advocacy(config: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BINARY).arg("--config").arg(config).args(args).output().expect("advocacy runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

/// The files of the data directory, but for the config file.
fn data_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the data directory")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

/// The archive again with one byte of one key changed and its manifest as it was.
fn tampered(archive: &Path, into: &Path) {
    let mut unpacked = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(archive).expect("open")));
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(into).expect("create"),
        flate2::Compression::fast(),
    ));
    let mut changed = false;
    for entry in unpacked.entries().expect("entries") {
        let mut entry = entry.expect("an entry");
        let name = entry.path().expect("a name").to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        if !changed && name.starts_with("keys/") && name.ends_with(".key") {
            bytes[0] ^= 1;
            changed = true;
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        builder.append_data(&mut header, &name, bytes.as_slice()).expect("append");
    }
    assert!(changed, "the archive holds a key");
    builder.into_inner().expect("tar").finish().expect("gzip");
}

#[tokio::test]
async fn a_backup_of_a_running_server_restores_every_record_and_no_reminder_is_sent_twice() {
    let smtp = SmtpServer::start().await;
    let storage = Storage::sqlite();
    let config = config(&storage, &smtp);
    let server = Server::start(Path::new(BINARY), &config, &[]);
    let channel = storage.channel(&server.url, ANA, vec![Role::Staff]).await;

    let mut briefings = BriefingsServiceClient::new(channel.clone());
    let mission = advocacy_tests::swiss_mission_in(&mut briefings).await;
    let briefing = briefings
        .log_briefing(pb::LogBriefingRequest {
            request_id: "b-1".into(),
            at: Some(local_time("2026-11-10T10:00", "Europe/Zurich")),
            city: "Geneva".into(),
            format: pb::BriefingFormat::InPerson.into(),
            institution_ids: vec![mission],
            summary: "Briefed the mission on the UPR of the DPRK".into(),
            ..Default::default()
        })
        .await
        .expect("logged")
        .into_inner();
    let mut deadlines = DeadlinesServiceClient::new(channel.clone());
    let now = chrono::Utc::now();
    let sent_before = deadlines
        .create_deadline(reminded_at(1, now + chrono::Duration::seconds(2), &[ANA.to_owned()]))
        .await
        .expect("a deadline")
        .into_inner();
    let planned = deadlines
        .create_deadline(reminded_at(2, now + chrono::Duration::seconds(12), &[ANA.to_owned()]))
        .await
        .expect("a deadline")
        .into_inner();
    assert_eq!(smtp.wait_for(1, 30).await.len(), 1, "the first reminder went before the backup");
    // The mail server keeps a message before it answers; the notifier records it sent after.
    let recorded = advocacy_tests::eventually(10, || {
        let mut notifier = NotifierServiceClient::new(channel.clone());
        let request = pb::ListDeliveriesRequest { deadline_id: sent_before.id.clone(), ..Default::default() };
        async move {
            let listed = notifier.list_deliveries(request).await.ok()?.into_inner().deliveries;
            listed.iter().any(|d| d.state == pb::DeliveryState::Sent as i32).then_some(())
        }
    })
    .await;
    assert!(recorded.is_some(), "the first reminder is recorded sent before the backup");

    let archive = storage.dir.path().join("backup.tar.gz");
    let archive_arg = archive.to_str().expect("a path");
    let (ok, said) = advocacy(&config, &["backup", archive_arg]);
    assert!(ok, "{said}");
    assert!(said.contains("backed up"), "{said}");
    assert!(chrono::Utc::now() < now + chrono::Duration::seconds(9), "backed up well before the second reminder");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).expect("the archive").permissions().mode();
        assert_eq!(mode & 0o077, 0, "the archive holds the keys: its owner's only ({mode:o})");
    }
    let (again, said) = advocacy(&config, &["backup", archive_arg]);
    assert!(!again && said.contains("exists"), "an archive is never overwritten: {said}");
    server.kill();

    // The data is lost: every database and the keys.
    for name in data_files(storage.dir.path()) {
        let path = storage.dir.path().join(&name);
        if name == "backup.tar.gz" {
            continue;
        }
        if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) }.expect("wiped");
    }
    assert_eq!(data_files(storage.dir.path()), ["backup.tar.gz"]);

    // An archive changed after it was made is refused, and nothing is written.
    let forged = storage.dir.path().join("forged.tar.gz");
    tampered(&archive, &forged);
    let (ok, said) = advocacy(&config, &["restore", forged.to_str().expect("a path")]);
    assert!(!ok, "{said}");
    assert!(said.contains("does not match its checksum") && said.contains("nothing was changed"), "{said}");
    std::fs::remove_file(&forged).expect("removed");
    // So is one whose key is a link to a file of someone else's choosing.
    let linked = storage.dir.path().join("linked.tar.gz");
    {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            std::fs::File::create(&linked).expect("create"),
            flate2::Compression::fast(),
        ));
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_cksum();
        builder.append_link(&mut header, "keys/gateway.key", "/tmp/chosen.key").expect("a link");
        builder.into_inner().expect("tar").finish().expect("gzip");
    }
    let (ok, said) = advocacy(&config, &["restore", linked.to_str().expect("a path")]);
    assert!(!ok && said.contains("is not a file a backup holds"), "{said}");
    std::fs::remove_file(&linked).expect("removed");
    assert_eq!(data_files(storage.dir.path()), ["backup.tar.gz"], "nothing was written");

    let (ok, said) = advocacy(&config, &["restore", archive_arg]);
    assert!(ok, "{said}");
    assert!(said.contains("restored 5 databases and the keys"), "{said}");

    // Back where it was: the records, and the notifier's state of each reminder.
    let server = Server::start(Path::new(BINARY), &config, &[]);
    let channel = storage.channel(&server.url, ANA, vec![Role::Staff]).await;
    let mut briefings = BriefingsServiceClient::new(channel.clone());
    let found = briefings.get_briefing(pb::GetBriefingRequest { id: briefing.id.clone() }).await.expect("restored");
    assert_eq!(found.into_inner().summary, "Briefed the mission on the UPR of the DPRK");
    let mut deadlines = DeadlinesServiceClient::new(channel.clone());
    for id in [&sent_before.id, &planned.id] {
        deadlines.get_deadline(pb::GetDeadlineRequest { id: id.clone() }).await.expect("the deadline is back");
    }
    let mut notifier = NotifierServiceClient::new(
        storage.channel(&server.url, "admin@advocacy.example", vec![Role::Staff, Role::Admin]).await,
    );
    let plan =
        |deadline_id: &str| pb::ListDeliveriesRequest { deadline_id: deadline_id.to_owned(), ..Default::default() };
    let first = notifier.list_deliveries(plan(&sent_before.id)).await.expect("listed").into_inner().deliveries;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].state, pb::DeliveryState::Sent as i32, "sent, as the backup knew");

    let arrived = smtp.wait_for(2, 60).await;
    assert_eq!(arrived.len(), 2, "the planned reminder is sent after the restore");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counts = by_message_id(&smtp.received());
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "no reminder twice: {counts:?}");
    drop(server);
    storage.finish().await;
}

#[test]
fn on_postgresql_the_backup_points_to_pg_dump_and_writes_nothing() {
    let storage = Storage::sqlite();
    let config = storage.config("pg", "database_url = \"postgres://advocacy@db/advocacy_{service}\"\n");
    let archive = storage.dir.path().join("b.tar.gz");
    let (ok, said) = advocacy(&config, &["backup", archive.to_str().expect("a path")]);
    assert!(!ok && said.contains("pg_dump"), "{said}");
    assert!(!archive.exists());
}

#[test]
fn migrate_brings_every_database_to_this_builds_schema_and_a_second_run_changes_nothing() {
    let storage = Storage::sqlite();
    let config = storage.config("migrate", "");
    let (ok, said) = advocacy(&config, &["migrate"]);
    assert!(ok, "{said}");
    assert_eq!(said.matches("the database is up to date").count(), 5, "{said}");
    for service in ["deadlines", "briefings", "submissions", "notifier", "gateway"] {
        assert!(storage.dir.path().join(format!("{service}.db")).exists(), "{service}");
    }
    let (ok, again) = advocacy(&config, &["migrate", "deadlines"]);
    assert!(ok && again.trim() == "deadlines: the database is up to date", "{again}");
}
