//! The staff commands, run as a person would: the real `advocacy` binary against a real
//! server, with the token made from the installation's signing key.

use std::process::{Command, Output};

use advocacy::serve::{ServiceName, start};
use advocacy_platform::Config;

struct Cli {
    data_dir: std::path::PathBuf,
    server: String,
}

impl Cli {
    /// Runs the binary off the async runtime: the server under test needs that runtime to
    /// answer while the command waits.
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_advocacy"));
        command
            .args(args)
            .env("ADVOCACY_DATA_DIR", &self.data_dir)
            .env("ADVOCACY_SERVER", &self.server)
            .env("ADVOCACY_USER", "ana@advocacy.example")
            .env_remove("ADVOCACY_TOKEN");
        tokio::task::spawn_blocking(move || command.output().expect("the advocacy binary runs"))
            .await
            .expect("the command finishes")
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }
}

#[tokio::test]
async fn staff_record_move_complete_and_export_deadlines_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config { data_dir: dir.path().to_owned(), ..Config::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let system = start(&config, ServiceName::ALL, listener).await.expect("server");
    let cli = Cli { data_dir: dir.path().to_owned(), server: format!("http://{}", system.grpc_addr) };

    let added = cli
        .ok(&[
            "deadlines",
            "add",
            "--json",
            "--title",
            "UPR stakeholder report",
            "--mechanism",
            "UPR",
            "--kind",
            "upr-stakeholder-submission",
            "--due",
            "2027-03-29 12:00",
            "--lead",
            "30d,7d,2h",
        ])
        .await;
    let created: serde_json::Value = serde_json::from_str(&added).expect("json");
    assert_eq!(created["due_local"], "2027-03-29T12:00:00+02:00");
    assert_eq!(created["owners"][0], "ana@advocacy.example", "the owner defaults to whoever adds it");
    assert_eq!(created["lead_minutes"], serde_json::json!([43200, 10080, 120]));
    let id = created["id"].as_str().expect("id").to_owned();

    let table = cli.ok(&["deadlines", "list"]).await;
    assert!(table.starts_with("DUE (BODY'S TIME)"), "{table}");
    assert!(table.contains("UPR stakeholder report") && table.contains("Europe/Zurich"), "{table}");

    // A time the clocks skip is refused, with the reason, and nothing moves.
    let refused = cli.run(&["deadlines", "move", &id, "--due", "2027-03-28 02:30"]).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("due.local") && stderr.contains("does not exist"), "{stderr}");

    let moved = cli.ok(&["deadlines", "move", &id, "--due", "2027-04-02 12:00", "--reason", "extended"]).await;
    assert!(moved.contains("2027-04-02T12:00:00+02:00"), "{moved}");
    let stale = cli.run(&["deadlines", "complete", &id, "--expected-version", "1"]).await;
    assert!(String::from_utf8_lossy(&stale.stderr).contains("Aborted"), "a stale version is refused");
    let done = cli.ok(&["deadlines", "complete", &id, "--json"]).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&done).expect("json")["status"], "completed");

    cli.ok(&[
        "deadlines",
        "add",
        "--title",
        "CRC list of issues",
        "--mechanism",
        "CRC",
        "--kind",
        "treaty-body",
        "--due-utc",
        "2027-05-10T10:00:00Z",
    ])
    .await;
    let ics = dir.path().join("deadlines.ics");
    cli.ok(&["calendar", "export", "--output", ics.to_str().expect("path")]).await;
    let calendar = std::fs::read_to_string(&ics).expect("ics written");
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n") && calendar.contains("SUMMARY:CRC list of issues (CRC)"));
    assert!(!calendar.contains("UPR stakeholder report"), "completed deadlines are not in the calendar");

    let changes = cli.ok(&["deadlines", "changes"]).await;
    assert_eq!(changes.lines().count(), 4, "created, moved, completed, created:\n{changes}");

    let mechanisms = cli.ok(&["catalog", "mechanisms"]).await;
    assert!(mechanisms.contains("SR-TORTURE") && mechanisms.contains("Europe/Zurich"));
    system.stop().await.expect("stop");
}

#[tokio::test]
async fn staff_register_an_institution_log_a_briefing_and_read_the_figures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config { data_dir: dir.path().to_owned(), ..Config::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let system = start(&config, ServiceName::ALL, listener).await.expect("server");
    let cli = Cli { data_dir: dir.path().to_owned(), server: format!("http://{}", system.grpc_addr) };

    let added = cli
        .ok(&[
            "institutions",
            "add",
            "--json",
            "--name",
            "Permanent Mission of Switzerland",
            "--kind",
            "permanent-mission",
            "--actor",
            "CH",
            "--city",
            "Geneva",
        ])
        .await;
    let institution: serde_json::Value = serde_json::from_str(&added).expect("json");
    let id = institution["id"].as_str().expect("id").to_owned();
    assert!(cli.ok(&["institutions", "list", "--actor", "CH"]).await.contains("Permanent Mission of Switzerland"));

    // Without a terminal, a missing detail is an error that names it, not a hang.
    let missing = cli.run(&["briefings", "log", "--institution", &id]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing: When did it take place"));

    let logged = cli
        .ok(&[
            "briefings",
            "log",
            "--json",
            "--at",
            "2027-03-02 10:00",
            "--zone",
            "Europe/Zurich",
            "--city",
            "Geneva",
            "--format",
            "in-person",
            "--institution",
            &id,
            "--theme",
            "penal system",
            "--summary",
            "Presented the report",
            "--follow-up",
            "Send the report|2027-03-09 17:00",
        ])
        .await;
    let briefing: serde_json::Value = serde_json::from_str(&logged).expect("json");
    assert_eq!(briefing["actors"], serde_json::json!(["CH"]));
    assert_eq!(briefing["at_local"], "2027-03-02T10:00:00+01:00");
    assert_eq!(briefing["follow_ups"][0]["action"], "Send the report");

    let listed = cli.ok(&["briefings", "list", "--actor", "CH"]).await;
    assert!(listed.contains("2027-03-02T10:00:00+01:00") && listed.contains("Geneva"), "{listed}");
    let figures = cli.ok(&["briefings", "figures", "--from", "2027-01-01", "--to", "2028-01-01"]).await;
    assert!(figures.contains("governments briefed          1"), "{figures}");
    system.stop().await.expect("stop");
}
