//! The staff commands, run as a person would: the real `advocacy` binary against a real
//! server, with the token made from the installation's signing key.

use std::process::Command;

use advocacy_tests::TestSystem;
use advocacy_tests::cli::Cli;

/// Every service on port 0 on a fresh database (SQLite, or PostgreSQL when the suite runs
/// there), and the binary pointed at it.
async fn with_server() -> (Cli, TestSystem) {
    let system = TestSystem::spawn().await;
    (Cli::new(env!("CARGO_BIN_EXE_advocacy"), &system), system)
}

#[tokio::test]
async fn staff_record_move_complete_and_export_deadlines_from_the_command_line() {
    let (cli, system) = with_server().await;

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
    assert!(stderr.contains("--due: ") && stderr.contains("does not exist"), "named by its flag: {stderr}");

    let moved = cli.ok(&["deadlines", "move", &id, "--due", "2027-04-02 12:00", "--reason", "extended"]).await;
    assert!(moved.contains("due              2027-04-02 12:00:00+02:00 in Europe/Zurich"), "{moved}");
    assert!(moved.contains("reminders        30d, 7d, 2h before") && !moved.contains("completed_on_time"), "{moved}");
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
    let ics = cli.path("deadlines.ics");
    let nothing = cli.fails(&["calendar", "export", "--owner", "nobody@advocacy.example", "--output", "x.ics"]).await;
    assert!(nothing.contains("owners with open deadlines: ana@advocacy.example"), "says so: {nothing}");
    assert!(!cli.path("x.ics").exists(), "and writes no empty calendar");
    cli.ok(&["calendar", "export", "--output", ics.to_str().expect("path")]).await;
    let calendar = std::fs::read_to_string(&ics).expect("ics written");
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n") && calendar.contains("SUMMARY:CRC list of issues (CRC)"));
    assert!(!calendar.contains("UPR stakeholder report"), "completed deadlines are not in the calendar");

    let refused = cli.fails(&["deadlines", "changes"]).await;
    assert!(refused.contains("ListChanges needs the role system"), "the feed is for services: {refused}");
    let token = cli.ok(&["token", "--subject", "operator", "--role", "system", "--hours", "1"]).await;
    let changes = cli.ok(&["deadlines", "changes", "--token", token.trim()]).await;
    assert_eq!(changes.lines().count(), 4, "created, moved, completed, created:\n{changes}");

    let mechanisms = cli.ok(&["catalog", "mechanisms"]).await;
    assert!(mechanisms.contains("SR-TORTURE") && mechanisms.contains("Europe/Zurich"));
    system.finish().await;
}

#[tokio::test]
async fn staff_register_an_institution_log_a_briefing_and_read_the_figures() {
    let (cli, system) = with_server().await;

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
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing --at: When did it take place"));

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
    assert_eq!(briefing["follow_ups"][0]["due_local"], "2027-03-09 17:00");
    let shown = cli.ok(&["briefings", "show", briefing["id"].as_str().expect("id")]).await;
    assert!(
        shown.contains("follow-up  Send the report (ana@advocacy.example, due 2027-03-09 17:00 Europe/Zurich, open)"),
        "{shown}"
    );

    let listed = cli.ok(&["briefings", "list", "--actor", "CH"]).await;
    assert!(listed.contains("2027-03-02T10:00:00+01:00") && listed.contains("Geneva"), "{listed}");
    let figures = cli.ok(&["briefings", "figures", "--from", "2027-01-01", "--to", "2028-01-01"]).await;
    assert!(figures.contains("governments briefed          1"), "{figures}");
    system.finish().await;
}

/// 1,000 briefings with three Swiss and two Korean institutions, in two spellings each.
fn historical_csv(bad_line: Option<usize>) -> String {
    let mut csv = String::from("date,zone,city,format,actor,institution,institution_kind,themes,summary\n");
    let places = [
        ("CH", "Permanent Mission of Switzerland", "permanent-mission", "Geneva", "Europe/Zurich"),
        ("CH", "permanent mission of  SWITZERLAND", "mission", "Geneva", "Europe/Zurich"),
        ("CH", "Embassy of Switzerland", "embassy", "Seoul", "Asia/Seoul"),
        ("KR", "Ministry of Foreign Affairs", "ministry", "Seoul", "Asia/Seoul"),
        ("EU-EEAS", "Human Rights Division", "multilateral-unit", "Brussels", "Europe/Brussels"),
    ];
    for i in 0..1000 {
        let (actor, name, kind, city, zone) = places[i % places.len()];
        let line = i + 2; // the header is line 1
        let zone = if Some(line) == bad_line { "Europe/Atlantis" } else { zone };
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        csv.push_str(&format!("2019-{month:02}-{day:02} 10:00,{zone},{city},in-person,{actor},\"{name}\",{kind},penal system;detention,\"Briefing {i}, on prisons\"\n"));
    }
    csv
}

#[tokio::test]
async fn a_spreadsheet_of_briefings_is_imported_whole_or_not_at_all() {
    let (cli, system) = with_server().await;
    let file = cli.path("briefings.csv");

    std::fs::write(&file, historical_csv(Some(501))).expect("write");
    let refused = cli.run(&["import", "briefings", file.to_str().expect("path")]).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("line 501, column zone: Europe/Atlantis is not an IANA time zone"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(cli.ok(&["briefings", "list", "--json"]).await.trim() == "[]", "not one row was written");
    assert!(cli.ok(&["institutions", "list", "--json"]).await.trim() == "[]", "not one institution either");

    std::fs::write(&file, historical_csv(None)).expect("write");
    let out = cli.run(&["import", "briefings", file.to_str().expect("path")]).await;
    let (imported, notes) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{notes}");
    assert_eq!(
        notes.matches("note: column institution_kind: \"mission\" was read as permanent-mission").count(),
        1,
        "a word read as another is named, once: {notes}"
    );
    assert!(
        imported
            .contains("imported 1000 briefings from 1000 rows (0 imported before); institutions: 0 matched, 4 created"),
        "{imported}"
    );
    let figures = cli.ok(&["briefings", "figures", "--from", "2019-01-01", "--to", "2020-01-01"]).await;
    assert!(
        figures.contains("governments briefed          2") && figures.contains("multilateral actors briefed  1"),
        "{figures}"
    );

    let again = cli.ok(&["import", "briefings", file.to_str().expect("path")]).await;
    assert!(again.contains("imported 0 briefings from 1000 rows (1000 imported before)"), "{again}");

    // A file where every row is wrong still gets an answer that lists the first problems.
    let all_bad =
        historical_csv(None).replace("Europe/Zurich", "Europe/Atlantis").replace("Asia/Seoul", "Asia/Atlantis");
    std::fs::write(&file, all_bad).expect("write");
    let many = cli.run(&["import", "briefings", file.to_str().expect("path")]).await;
    let stderr = String::from_utf8_lossy(&many.stderr);
    assert!(stderr.contains("line 2, column zone") && stderr.contains("more problems not listed"), "{stderr}");

    std::fs::write(&file, "date,zone,format\n2019-01-01 10:00,Europe/Zurich,in-person\n").expect("write");
    let header = cli.run(&["import", "briefings", file.to_str().expect("path")]).await;
    assert!(
        String::from_utf8_lossy(&header.stderr)
            .contains("line 1: the header row needs the columns actor, institution, institution_kind")
    );
    system.finish().await;
}

#[tokio::test]
async fn staff_record_a_submission_with_its_document_and_submitting_it_completes_its_deadline() {
    let (cli, system) = with_server().await;
    let added = cli
        .ok(&[
            "deadlines",
            "add",
            "--json",
            "--title",
            "UPR cut-off",
            "--mechanism",
            "UPR",
            "--kind",
            "upr-stakeholder-submission",
            "--due",
            "2027-03-29 12:00",
        ])
        .await;
    let deadline_id =
        serde_json::from_str::<serde_json::Value>(&added).expect("json")["id"].as_str().expect("id").to_owned();
    let document = cli.path("report.pdf");
    std::fs::write(&document, b"the report as sent").expect("write");

    let too_long = cli
        .run(&[
            "submissions",
            "add",
            "--title",
            "UPR report",
            "--mechanism",
            "UPR",
            "--kind",
            "upr-stakeholder-report",
            "--country",
            "KP",
            "--words",
            "3000",
        ])
        .await;
    assert!(
        String::from_utf8_lossy(&too_long.stderr)
            .contains("--words: 3,000 words: a UPR stakeholder report to UPR may have at most 2,815 words"),
        "{}",
        String::from_utf8_lossy(&too_long.stderr)
    );

    let created = cli
        .ok(&[
            "submissions",
            "add",
            "--json",
            "--title",
            "UPR report: the penal system",
            "--mechanism",
            "UPR",
            "--kind",
            "upr-stakeholder-report",
            "--country",
            "KP",
            "--words",
            "2700",
            "--deadline",
            &deadline_id,
            "--file",
            document.to_str().expect("path"),
        ])
        .await;
    let submission: serde_json::Value = serde_json::from_str(&created).expect("json");
    let expected: String = {
        use sha2::Digest;
        sha2::Sha256::digest(b"the report as sent").iter().map(|b| format!("{b:02x}")).collect()
    };
    assert_eq!(submission["document_sha256"], expected.as_str(), "what was sent can be proven later");
    let id = submission["id"].as_str().expect("id").to_owned();
    // The final version of the report replaces the draft's before it goes out.
    std::fs::write(&document, b"the final report").expect("write");
    let edit = ["submissions", "edit", &id, "--words", "2810", "--file", document.to_str().expect("path")];
    let edited = cli.ok(&edit).await;
    assert!(edited.contains("2810") && !edited.contains(expected.as_str()), "{edited}");

    let submitted = cli.ok(&["submissions", "status", &id, "submitted", "--json"]).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&submitted).expect("json")["status"], "submitted");
    let listed = cli.ok(&["submissions", "list", "--status", "submitted"]).await;
    assert!(listed.contains("UPR report: the penal system"), "{listed}");
    let resent = cli.run(&["submissions", "edit", &id, "--words", "2000"]).await;
    assert!(String::from_utf8_lossy(&resent.stderr).contains("stay as sent"), "the document sent is kept");

    let mut done = false;
    for _ in 0..100 {
        let shown = cli.ok(&["deadlines", "show", &deadline_id, "--json"]).await;
        if serde_json::from_str::<serde_json::Value>(&shown).expect("json")["status"] == "completed" {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "submitting completed the deadline");
    system.finish().await;
}

#[tokio::test]
async fn a_spreadsheet_of_submissions_is_imported_whole_or_not_at_all() {
    let (cli, system) = with_server().await;
    let file = cli.path("submissions.csv");
    let sheet = |bad_line: Option<usize>| {
        let mut csv = String::from("title,mechanism,kind,country,partners,status,status_on,word_count,themes\n");
        for i in 0..1000 {
            let line = i + 2;
            let words = if Some(line) == bad_line { 3_500 } else { 2_000 + i % 500 };
            let (mechanism, kind) = if i % 2 == 0 {
                ("UPR", "upr-stakeholder-report")
            } else {
                ("SR-TORTURE", "special-procedures-communication")
            };
            csv.push_str(&format!(
                "\"Report {i}, on prisons\",{mechanism},{kind},KP,,submitted,2025-11-03,{words},penal system;detention\n"
            ));
        }
        csv
    };
    std::fs::write(&file, sheet(Some(502))).expect("write"); // an even row: a UPR report
    let refused = cli.run(&["import", "submissions", file.to_str().expect("path")]).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("line 502, column word_count: 3,500 words"), "{stderr}");
    assert_eq!(cli.ok(&["submissions", "list", "--json"]).await.trim(), "[]", "nothing was written");

    // Every problem the file has in the cells, in one pass: two in one row, one in another.
    let mut broken = sheet(None);
    broken =
        broken.replacen(",upr-stakeholder-report,KP,,submitted,2025-11-03,", ",upr-report,KP,,sent,2025-11-03,", 1);
    broken = broken.replacen(",2025-11-03,2001,", ",03/11/2025,2001,", 1);
    // And one only the server knows: a UPR report over its word limit.
    broken = broken.replacen(",2025-11-03,2002,", ",2025-11-03,3500,", 1);
    std::fs::write(&file, broken).expect("write");
    let stderr = cli.fails(&["import", "submissions", file.to_str().expect("path")]).await;
    let problems = [
        "line 2, column kind:",
        "line 2, column status:",
        "line 3, column status_on:",
        "line 4, column word_count: 3,500 words",
    ];
    let mut at = 0;
    for problem in problems {
        let found = stderr[at..].find(problem).unwrap_or_else(|| panic!("{problem}, in line order, in {stderr}"));
        at += found;
    }
    assert!(stderr.contains("4 problems"), "{stderr}");
    assert_eq!(cli.ok(&["submissions", "list", "--json"]).await.trim(), "[]", "nothing was written");
    // A file whose only problem is in a cell: the other rows are checked, not written.
    std::fs::write(&file, sheet(None).replacen(",upr-stakeholder-report,", ",upr-report,", 1)).expect("write");
    let stderr = cli.fails(&["import", "submissions", file.to_str().expect("path")]).await;
    assert!(stderr.contains("1 problems") && stderr.contains("line 2, column kind:"), "{stderr}");
    assert_eq!(cli.ok(&["submissions", "list", "--json"]).await.trim(), "[]", "the server only checked the rest");

    std::fs::write(&file, sheet(None)).expect("write");
    let imported = cli.ok(&["import", "submissions", file.to_str().expect("path")]).await;
    assert!(imported.contains("imported 1000 submissions from 1000 rows (0 imported before)"), "{imported}");
    let again = cli.ok(&["import", "submissions", file.to_str().expect("path")]).await;
    assert!(again.contains("imported 0 submissions from 1000 rows (1000 imported before)"), "{again}");
    let listed = cli.ok(&["submissions", "list", "--status", "submitted", "--limit", "2000", "--json"]).await;
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed.len(), 1000);
    assert_eq!(listed[0]["history"][0], "submitted 2025-11-03T00:00:00+00:00 by ana@advocacy.example");
    system.finish().await;
}

#[tokio::test]
async fn staff_follow_an_amendment_to_adoption_and_see_what_the_resolution_kept() {
    let (cli, system) = with_server().await;
    let added = cli
        .ok(&[
            "resolutions",
            "add",
            "--body",
            "UN-HRC",
            "--session",
            "HRC 58",
            "--title",
            "Situation of human rights in the DPRK",
        ])
        .await;
    let resolution = added.split_whitespace().next().expect("id").to_owned();
    let proposed = cli
        .ok(&[
            "amendments",
            "propose",
            &resolution,
            "--paragraph",
            "operative",
            "--number",
            "12",
            "--text",
            "Expresses grave concern at the entire penal system",
            "--lobbied",
            "CH",
            "--lobbied",
            "EU-EEAS",
        ])
        .await;
    let amendment = proposed.split_whitespace().next().expect("id").to_owned();
    assert!(proposed.contains("OP12: proposed") && proposed.contains("CH, EU-EEAS"), "{proposed}");
    let lobbied = cli.ok(&["amendments", "edit", &amendment, "--lobbied", "FR", "--lobbied", "CH"]).await;
    assert!(lobbied.contains("(CH, EU-EEAS, FR)"), "{lobbied}");
    let adopted = cli
        .ok(&[
            "amendments",
            "outcome",
            &amendment,
            "adopted-in-part",
            "--adopted-text",
            "Expresses serious concern at the entire penal system",
        ])
        .await;
    assert!(adopted.contains("kept 7 of our 8 words (87%)"), "{adopted}");
    assert!(adopted.contains("Expresses [-grave-] {+serious+} concern at the entire penal system"), "{adopted}");
    assert!(cli.ok(&["amendments", "list", &resolution]).await.contains("adopted in part"));
    assert!(cli.ok(&["amendments", "show", &amendment]).await.contains("kept 7 of our 8 words"));
    let outcome = ["resolutions", "outcome", &resolution, "adopted", "--adopted-on", "2026-04-04", "--vote", "30,3,14"];
    let adopted = cli.ok(&outcome).await;
    assert!(adopted.contains("HRC 58 — Situation of human rights in the DPRK: adopted by 30-3-14"), "{adopted}");
    let bad_vote = cli.run(&["resolutions", "outcome", &resolution, "rejected", "--vote", "30,3"]).await;
    assert!(String::from_utf8_lossy(&bad_vote.stderr).contains("--vote: \"30,3\" is not yes,no,abstentions"));
    let listed = cli.ok(&["resolutions", "list", "--body", "UN-HRC"]).await;
    assert!(listed.contains("HRC 58") && listed.contains("adopted"), "{listed}");

    cli.ok(&[
        "publications",
        "add",
        "--title",
        "Prisons report",
        "--kind",
        "investigative-report",
        "--published",
        "2026-06-01",
    ])
    .await;
    assert!(cli.ok(&["publications", "list"]).await.contains("2026-06-01  investigative-report  Prisons report"));
    system.finish().await;
}

#[tokio::test]
async fn spreadsheets_of_publications_and_amendments_are_imported_whole_or_not_at_all() {
    let (cli, system) = with_server().await;
    let path = |name: &str| cli.path(name).to_str().expect("path").to_owned();
    let publications = |bad_line: Option<usize>| {
        let mut csv = String::from("title,kind,published,contracted_by,url\n");
        for i in 0..1000 {
            let line = i + 2;
            let published = if Some(line) == bad_line { "2026-02-30" } else { "2026-06-01" };
            let (kind, by) = if i % 4 == 0 { ("government-contracted-report", "KR") } else { ("brief", "") };
            csv.push_str(&format!("\"Brief {i}: detention\",{kind},{published},{by},https://example.org/b/{i}\n"));
        }
        csv
    };
    std::fs::write(path("publications.csv"), publications(Some(300))).expect("write");
    let refused = cli.run(&["import", "publications", &path("publications.csv")]).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("line 300, column published: \"2026-02-30\" is not a date"), "{stderr}");
    assert_eq!(cli.ok(&["publications", "list", "--json"]).await.trim(), "[]", "nothing was written");
    std::fs::write(path("publications.csv"), publications(None)).expect("write");
    let imported = cli.ok(&["import", "publications", &path("publications.csv")]).await;
    assert!(imported.contains("imported 1000 publications from 1000 rows (0 imported before)"), "{imported}");
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&cli.ok(&["publications", "list", "--json"]).await).expect("json");
    assert_eq!(listed.len(), 1000);
    let evidence = listed[0]["id"].as_str().expect("id").to_owned();

    let amendments = |bad_line: Option<usize>| {
        let mut csv = String::from(
            "body,session,resolution,symbol,paragraph,number,proposed_text,lobbied,evidence,status,adopted_text\n",
        );
        for i in 0..1000 {
            let line = i + 2;
            let session = if i % 2 == 0 { "HRC 58" } else { "HRC 59" };
            let cited = if Some(line) == bad_line { "not-an-id" } else { evidence.as_str() };
            let (status, adopted) = match i % 3 {
                0 => ("adopted-in-part", "Calls for the release of all political prisoners"),
                1 => ("rejected", ""),
                _ => ("", ""),
            };
            csv.push_str(&format!(
                "UN-HRC,{session},Situation of human rights in the DPRK,,operative,{},\
                 Calls for the immediate release of all political prisoners,CH;KR,{cited},{status},{adopted}\n",
                i % 30 + 1
            ));
        }
        csv
    };
    std::fs::write(path("amendments.csv"), amendments(Some(777))).expect("write");
    let refused = cli.run(&["import", "amendments", &path("amendments.csv")]).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("line 777, column evidence: \"not-an-id\" is not an id"), "{stderr}");
    assert!(stderr.contains("1 problems in") && stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(cli.ok(&["resolutions", "list", "--json"]).await.trim(), "[]", "not even the resolutions");

    std::fs::write(path("amendments.csv"), amendments(None)).expect("write");
    let imported = cli.ok(&["import", "amendments", &path("amendments.csv")]).await;
    assert!(
        imported
            .contains("imported 1000 amendments from 1000 rows (0 imported before); resolutions: 0 matched, 2 created"),
        "{imported}"
    );
    let again = cli.ok(&["import", "amendments", &path("amendments.csv")]).await;
    assert!(again.contains("imported 0 amendments from 1000 rows (1000 imported before); resolutions: 2 matched"));
    let resolutions: Vec<serde_json::Value> =
        serde_json::from_str(&cli.ok(&["resolutions", "list", "--json"]).await).expect("json");
    assert_eq!(resolutions.len(), 2);
    let shown = cli.ok(&["amendments", "list", resolutions[0]["id"].as_str().expect("id")]).await;
    assert_eq!(shown.matches("adopted in part").count(), 167, "every third of 500 rows");
    assert!(shown.contains("kept 8 of our 9 words (88%)"), "{shown}");
    assert!(shown.contains("Calls for the [-immediate-] release of all political prisoners"), "{shown}");
    system.finish().await;
}

/// `advocacy serve --demo` as the quick start runs it, on port 0: the server's address, read
/// from what it prints, and what it said of the demo once it was loaded.
fn serve_demo(data_dir: &std::path::Path) -> (Server, String, String) {
    use std::io::BufRead;
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_advocacy"))
            .args(["serve", "--demo"])
            .env("ADVOCACY_DATA_DIR", data_dir)
            .env("ADVOCACY_GRPC_LISTEN", "127.0.0.1:0")
            .env("ADVOCACY_HTTP_LISTEN", "127.0.0.1:0")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the server starts"),
    );
    let mut lines = std::io::BufReader::new(server.0.stderr.take().expect("stderr")).lines();
    let (mut address, mut demo) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.expect("stderr line");
        if let Some((_, at)) = line.split_once(" on grpc://") {
            address = format!("http://{}", at.trim());
        }
        assert!(!line.contains("error"), "{line}");
        // Everything the server said until the demo was in, the audit log's lines included.
        demo.push_str(&line);
        demo.push('\n');
        if line.contains("demo data") {
            break;
        }
    }
    assert!(!address.is_empty(), "the server said where it listens");
    // Keep reading, so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (server, address, demo)
}

/// A server process, stopped however the test ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_quick_start_server_loads_the_demo_once_however_often_it_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    for start in 0..2 {
        let data_dir = dir.path().to_owned();
        let (server, address, demo) = tokio::task::spawn_blocking(move || serve_demo(&data_dir)).await.expect("demo");
        let said = if start == 0 { "demo data loaded" } else { "demo data already loaded" };
        assert!(demo.contains(said), "start {start}: {demo}");
        let cli = Cli::for_installation(env!("CARGO_BIN_EXE_advocacy"), &address, dir.path());
        // Loading writes records; a restart asks the services nothing: neither reads one.
        let logged: Vec<serde_json::Value> =
            serde_json::from_str(&cli.ok(&["audit", "list", "--limit", "1000", "--json"]).await).expect("json");
        assert!(logged.iter().any(|e| e["kind"] == "write"), "start {start}: the demo's writes are logged");
        assert!(
            logged.iter().all(|e| e["kind"] == "write"),
            "start {start}: no restricted record was read: {logged:?}"
        );
        let count = |json: String| serde_json::from_str::<Vec<serde_json::Value>>(&json).expect("json").len();
        // The briefing's follow-up becomes a deadline in the background.
        let mut deadlines = String::new();
        for _ in 0..100 {
            deadlines = cli.ok(&["deadlines", "list", "--json"]).await;
            if deadlines.contains("Send the mission the annex") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(count(deadlines), 6, "start {start}: five examples (one more is restricted) and the follow-up");
        // Two examples and the 2024 year's nine; both sanctions packages are hidden.
        assert_eq!(count(cli.ok(&["submissions", "list", "--json"]).await), 11, "start {start}");
        assert_eq!(count(cli.ok(&["publications", "list", "--json"]).await), 2 + 21);
        let resolutions = cli.ok(&["resolutions", "list", "--json"]).await;
        let resolutions: Vec<serde_json::Value> = serde_json::from_str(&resolutions).expect("json");
        assert_eq!(resolutions.len(), 1 + 3, "the example and 2024's HRC, EP and Dutch texts");
        let hrc58 = resolutions.iter().find(|r| r["session"] == "HRC 58").expect("the example resolution");
        let amended = cli.ok(&["amendments", "list", hrc58["id"].as_str().expect("id")]).await;
        assert!(amended.contains("adopted in part") && amended.contains("[-grave-] {+serious+}"), "{amended}");
        let briefed = cli.ok(&["briefings", "list", "--actor", "CH", "--json"]).await;
        assert_eq!(count(briefed), 1 + 2);
        drop(server);
    }
}

#[tokio::test]
async fn a_word_the_api_does_not_know_is_refused_by_its_flag_with_the_words_it_takes() {
    let (cli, system) = with_server().await;
    let args = ["submissions", "add", "--title", "Report", "--mechanism", "UPR", "--country", "KP"];
    let refused = cli.fails(&[&args[..], &["--kind", "upr-stakeholder-reprot"]].concat()).await;
    assert!(refused.contains("'upr-stakeholder-reprot' for '--kind <KIND>'"), "{refused}");
    assert!(refused.contains("similar value exists: 'upr-stakeholder-report'"), "{refused}");
    let listed = cli.ok(&["submissions", "list", "--json"]).await;
    assert_eq!(listed.trim(), "[]", "nothing was sent");
    let help = cli.ok(&["submissions", "add", "--help"]).await;
    assert!(help.contains("sanctions-package"), "the words are in --help: {help}");
    // Any case, and the words people use for a value.
    cli.ok(&[&args[..], &["--kind", "UPR-Stakeholder-Report"]].concat()).await;
    cli.ok(&["institutions", "add", "--name", "Mission of Chile", "--kind", "mission", "--actor", "CL"]).await;
    let missions = ["SELECT COUNT(*) FROM institutions WHERE kind = 'permanent_mission'"];
    assert_eq!(system.numbers("briefings", &missions).await, [1], "\"mission\" is a permanent mission");
    system.finish().await;
}

#[tokio::test]
async fn a_client_without_the_installations_key_says_what_to_do_and_makes_none() {
    let system = TestSystem::spawn().await;
    let cli = Cli::without_key(env!("CARGO_BIN_EXE_advocacy"), &system);
    for command in [&["deadlines", "list"][..], &["token", "--subject", "ana@advocacy.example"]] {
        let refused = cli.fails(command).await;
        assert!(
            refused.contains("no signing key") && refused.contains("ADVOCACY_DATA_DIR") && refused.contains("--token"),
            "{command:?}: {refused}"
        );
    }
    assert!(!cli.path("keys").exists() && !cli.path("data").exists(), "no key was made");
    // A token from whoever holds the key works from anywhere.
    let token = system.token_for(&advocacy_tests::Person::staff());
    cli.ok(&["deadlines", "list", "--token", &token]).await;
    system.finish().await;
}

#[tokio::test]
async fn staff_edit_a_deadlines_title_owners_leads_and_confidentiality_from_the_command_line() {
    let (cli, system) = with_server().await;
    let add = ["deadlines", "add", "--json", "--title", "CRC list of issues", "--mechanism", "CRC"];
    let added = cli.ok(&[&add[..], &["--kind", "treaty-body", "--due", "2027-05-10 12:00"]].concat()).await;
    let id = serde_json::from_str::<serde_json::Value>(&added).expect("json")["id"].as_str().expect("id").to_owned();

    let edit =
        ["deadlines", "edit", &id, "--json", "--title", "CRC: written replies", "--owner", "omar@advocacy.example"];
    let edited = cli.ok(&[&edit[..], &["--lead", "14d,1d"]].concat()).await;
    let edited: serde_json::Value = serde_json::from_str(&edited).expect("json");
    assert_eq!((edited["title"].as_str(), edited["version"].as_i64()), (Some("CRC: written replies"), Some(2)));
    assert_eq!(edited["owners"], serde_json::json!(["omar@advocacy.example"]));
    assert_eq!(edited["lead_minutes"], serde_json::json!([20160, 1440]));
    assert_eq!(edited["due_local"], "2027-05-10T12:00:00+02:00", "the due time is MoveDeadline's");

    let nothing = cli.fails(&["deadlines", "edit", &id]).await;
    assert!(nothing.contains("nothing to change"), "{nothing}");
    let not_hers = cli.fails(&["deadlines", "edit", &id, "--restricted", "sanctions"]).await;
    assert!(not_hers.contains("sanctions"), "Ana may not hide it from herself: {not_hers}");
    let bad = cli.fails(&["deadlines", "edit", &id, "--owner", "omar"]).await;
    assert!(bad.contains("--owner (the 1st): omar is not an email address"), "{bad}");
    let listed = cli.ok(&["deadlines", "list", "--json"]).await;
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).expect("json");
    let versions: Vec<(&str, i64)> =
        listed.iter().map(|d| (d["title"].as_str().unwrap_or(""), d["version"].as_i64().unwrap_or(0))).collect();
    assert_eq!(versions, [("CRC: written replies", 2)], "the refused edits changed nothing");
    system.finish().await;
}

#[tokio::test]
async fn dates_mechanisms_and_addresses_are_read_as_people_type_them_and_errors_name_the_flag() {
    let (cli, system) = with_server().await;
    let add = |due: &str, mechanism: &str| {
        let args = ["deadlines", "add", "--json", "--title", "UPR report", "--kind", "upr-stakeholder-report"];
        [&args[..], &["--mechanism", mechanism, "--due", due]]
            .concat()
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let cli = &cli;
        async move { cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };

    // The value is echoed as typed, with the forms that work, and nothing is sent.
    let wrong = run(add("29/03/2027 12:00", "UPR")).await;
    let stderr = String::from_utf8_lossy(&wrong.stderr).to_string();
    assert!(
        !wrong.status.success()
            && stderr.contains(r#"--due: "29/03/2027 12:00" is not a date and time like 2027-03-29 12:00"#),
        "{stderr}"
    );
    for (typed, local) in [
        ("2027-03-29 12:00", "2027-03-29T12:00:00+02:00"),
        ("2027-03-30T09:30", "2027-03-30T09:30:00+02:00"),
        ("2027-03-31", "2027-03-31T23:59:00+02:00"),
    ] {
        let out = run(add(typed, "upr")).await;
        assert!(out.status.success(), "{typed}: {}", String::from_utf8_lossy(&out.stderr));
        let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!((made["due_local"].as_str(), made["mechanism"].as_str()), (Some(local), Some("UPR")), "{typed}");
        assert_eq!(made["kind"], "upr-stakeholder-submission", "the submission's word for the same kind is read");
    }
    let slip = run(add("2027-03-29 12:00", "UPPR")).await;
    let stderr = String::from_utf8_lossy(&slip.stderr).to_string();
    assert!(stderr.contains("--mechanism: UPPR is not a mechanism code: did you mean UPR?"), "{stderr}");
    let leads = cli
        .fails(&[
            "deadlines",
            "add",
            "--title",
            "x",
            "--mechanism",
            "UPR",
            "--kind",
            "other",
            "--due",
            "2027-03-29",
            "--lead",
            "7d,0d",
        ])
        .await;
    assert!(leads.contains("--lead (the 2nd)"), "{leads}");

    // host:port is an address too.
    let bare = system.url().trim_start_matches("http://").to_owned();
    let listed = cli.ok(&["deadlines", "list", "--server", &bare, "--json"]).await;
    assert_eq!(serde_json::from_str::<Vec<serde_json::Value>>(&listed).expect("json").len(), 3);
    system.finish().await;
}

#[tokio::test]
async fn logging_a_briefing_without_a_terminal_names_the_flags_it_still_needs() {
    let (cli, system) = with_server().await;
    let missing = cli.fails(&["briefings", "log"]).await;
    assert!(missing.contains("missing --at"), "{missing}");
    let missing = cli.fails(&["briefings", "log", "--at", "2027-03-02 10:00"]).await;
    assert!(missing.contains("missing --zone"), "{missing}");
    let wrong = cli.fails(&["briefings", "log", "--at", "02/03/2027", "--zone", "Europe/Zurich"]).await;
    assert!(wrong.contains(r#"--at: "02/03/2027" is not a date and time"#), "{wrong}");
    let no_institution = cli
        .fails(&["briefings", "log", "--at", "2027-03-02 10:00", "--zone", "Europe/Zurich", "--format", "online"])
        .await;
    assert!(no_institution.contains("missing --institution"), "{no_institution}");
    system.finish().await;
}

#[tokio::test]
async fn reminders_land_in_the_mailbox_and_the_notifier_commands_show_what_was_planned_and_sent() {
    let (cli, system) = with_server().await;
    let mailbox = system.mailbox.path().to_str().expect("a UTF-8 path").to_owned();
    // Due within the hour: its 2-hour reminder has passed, so a catch-up goes at once.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(50)).format("%Y-%m-%d %H:%M").to_string();
    let add =
        ["deadlines", "add", "--json", "--title", "Urgent appeal: detention of a defender", "--mechanism", "WGAD"];
    let rest = ["--kind", "special-procedures-call-for-input", "--due", &soon, "--zone", "UTC", "--lead", "2h,30m"];
    let added = cli.ok(&[&add[..], &rest[..]].concat()).await;
    let id = serde_json::from_str::<serde_json::Value>(&added).expect("json")["id"].as_str().expect("id").to_owned();

    let mut listed = String::new();
    for _ in 0..100 {
        listed = cli.ok(&["mailbox", "--dir", &mailbox]).await;
        if listed.contains("Urgent appeal") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(listed.contains("ana@advocacy.example") && listed.contains("Due in "), "{listed}");
    let shown = cli.ok(&["mailbox", "--dir", &mailbox, "show", "1"]).await;
    assert!(shown.contains("Subject: Due in ") && shown.contains("Attachment: deadline.ics"), "{shown}");
    assert!(shown.contains("Urgent appeal: detention of a defender (WGAD) is due in"), "the text, decoded: {shown}");
    let missing = cli.fails(&["mailbox", "--dir", &mailbox, "show", "9"]).await;
    assert!(missing.contains("there is no message 9: the mailbox holds 1"), "{missing}");

    let plan = cli.ok(&["notifier", "plan", &id]).await;
    assert!(plan.contains("2h before (catch-up)") && plan.contains("sent"), "{plan}");
    assert!(plan.contains("30m before") && plan.contains("planned"), "{plan}");
    let sent = cli.ok(&["notifier", "deliveries", "--deadline", &id, "--state", "sent", "--json"]).await;
    let sent: Vec<serde_json::Value> = serde_json::from_str(&sent).expect("json");
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0]["state"].as_str(), sent[0]["attempts"].as_i64()), (Some("sent"), Some(1)));
    let retry = cli.fails(&["notifier", "retry", sent[0]["id"].as_str().expect("an id")]).await;
    assert!(retry.contains("is sent, not failed"), "{retry}");

    let preview = cli.ok(&["notifier", "preview", &id, "--lead", "30m", "--language", "ko"]).await;
    assert!(preview.contains("Subject: 30분 후 마감: Urgent appeal"), "{preview}");
    let wrong = cli.fails(&["notifier", "deliveries", "--state", "lost"]).await;
    assert!(wrong.contains("--state") && wrong.contains("planned"), "{wrong}");

    let test = cli.ok(&["notifier", "test", "omar@advocacy.example"]).await;
    assert!(test.contains("a test message to omar@advocacy.example is on its way"), "{test}");
    for _ in 0..100 {
        if cli.ok(&["mailbox", "--dir", &mailbox]).await.contains("Test message from the advocacy tracker") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let listed = cli.ok(&["mailbox", "--dir", &mailbox]).await;
    assert!(listed.contains("omar@advocacy.example  Test message from the advocacy tracker"), "{listed}");
    system.finish().await;
}

/// The lines of the README's quick-start client block, continuation lines joined and
/// comments dropped, each split into words as a shell would (double quotes only).
fn readme_quick_start() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README");
    let start = readme.find("## Quick start").expect("a quick start");
    let block = readme[start..].split("```sh").nth(2).expect("the client block").split("```").next().expect("its end");
    let mut lines: Vec<String> = Vec::new();
    let mut pending = String::new();
    for raw in block.lines() {
        let mut line = String::new();
        let mut quoted = false;
        for c in raw.chars() {
            match c {
                '"' => quoted = !quoted,
                '#' if !quoted => break,
                _ => {}
            }
            line.push(c);
        }
        let line = line.trim_end();
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                if !pending.trim().is_empty() {
                    lines.push(std::mem::take(&mut pending));
                }
                pending.clear();
            }
        }
    }
    lines
        .iter()
        .filter(|l| l.trim_start().starts_with("advocacy "))
        .map(|l| {
            let (mut words, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
            for c in l.trim().chars() {
                match c {
                    '"' => (quoted, any) = (!quoted, true),
                    ' ' if !quoted => {
                        if any || !word.is_empty() {
                            words.push(std::mem::take(&mut word));
                        }
                        any = false;
                    }
                    c => word.push(c),
                }
            }
            if any || !word.is_empty() {
                words.push(word);
            }
            words
        })
        .collect()
}

#[tokio::test]
async fn the_readme_quick_start_runs_as_written_on_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().to_owned();
    let (_server, address, _) = tokio::task::spawn_blocking(move || serve_demo(&data_dir)).await.expect("demo");
    let cli = Cli::for_installation(env!("CARGO_BIN_EXE_advocacy"), &address, dir.path());
    // The files the examples name.
    cli.file("report.pdf", b"%PDF-1.4 the report");
    cli.file("final.pdf", b"%PDF-1.4 the final report");
    cli.file(
        "past-briefings.csv",
        "date,zone,format,actor,institution,institution_kind\n2025-05-02 10:00,Europe/Zurich,in-person,CH,Federal Department of Foreign Affairs,ministry\n",
    );
    cli.file(
        "past-submissions.csv",
        "title,mechanism,kind,country,status,status_on,word_count\nPast UPR report,UPR,upr-stakeholder-report,KP,submitted,2024-03-01,2000\n",
    );
    cli.file(
        "past-amendments.csv",
        "body,session,resolution,paragraph,number,proposed_text\nUN-HRC,HRC 55,Situation of human rights in the DPRK,operative,3,Calls for access\n",
    );
    cli.file("past-publications.csv", "title,kind,published\nA past report,investigative-report,2024-06-01\n");

    // The record's own id: on its "id" line when there is one, else the first id printed.
    let uuid = |text: &str| {
        let first = |t: &str| {
            t.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
                .find(|w| uuid::Uuid::try_parse(w).is_ok())
                .map(str::to_owned)
        };
        text.lines().find(|l| l.split_whitespace().next() == Some("id")).and_then(first).or_else(|| first(text))
    };
    let mut ids: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let steps = readme_quick_start();
    assert!(steps.len() >= 20, "the quick start lists its commands: {}", steps.len());
    for words in steps {
        let noun = words.get(1).cloned().unwrap_or_default();
        let filled: Vec<String> = words
            .iter()
            .skip(1)
            .map(|w| {
                let id = |of: &str| ids.get(of).cloned().unwrap_or_else(|| panic!("{w} before any {of}: {words:?}"));
                match w.as_str() {
                    "<ID>" => id(&noun),
                    "<DEADLINE>" => id("deadlines"),
                    "<RESOLUTION>" => id("resolutions"),
                    "<AMENDMENT>" => id("amendments"),
                    "<INSTITUTION>" => id("institutions"),
                    other => other.to_owned(),
                }
            })
            .collect();
        let args: Vec<&str> = filled.iter().map(String::as_str).collect();
        let out = cli.run(&args).await;
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "README: advocacy {}\n{stderr}", words[1..].join(" "));
        let verb = words.get(2).map(String::as_str).unwrap_or_default();
        if ["add", "propose"].contains(&verb)
            && let Some(id) = uuid(&stdout)
        {
            ids.insert(noun, id);
        }
    }
}

#[tokio::test]
async fn resolutions_whose_titles_differ_only_at_the_end_are_told_apart_in_the_list() {
    let (cli, system) = with_server().await;
    let long = "Situation of human rights in the Democratic People's Republic of Korea:";
    for ending in ["accountability", "abductions", "political prison camps"] {
        let title = format!("{long} {ending}");
        cli.ok(&["resolutions", "add", "--body", "UN-HRC", "--session", "HRC 61", "--title", &title]).await;
    }
    let table = cli.ok(&["resolutions", "list"]).await;
    let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
    for ending in ["accountability", "abductions", "political prison camps"] {
        assert!(flat.contains(ending), "{ending} is shown (wrapped, not cut): {table}");
    }
    system.finish().await;
}

#[tokio::test]
async fn columns_after_korean_and_japanese_titles_line_up_in_the_real_binary_s_lists() {
    let (cli, system) = with_server().await;
    for (title, due) in [
        ("북한 인권 상황에 관한 UPR 보고서", "2027-03-29 12:00"),
        ("人権理事会決議の修正案", "2027-03-30 12:00"),
        ("UPR report", "2027-03-31 12:00"),
    ] {
        let add = ["deadlines", "add", "--title", title, "--mechanism", "UPR", "--kind", "upr-stakeholder-submission"];
        cli.ok(&[&add[..], &["--due", due]].concat()).await;
    }
    let listed = cli.ok(&["deadlines", "list"]).await;
    // Display columns: Hangul and Kanji take two.
    let wide = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c) || ('\u{3040}'..='\u{9FFF}').contains(&c);
    let columns = |text: &str| text.chars().map(|c| if wide(c) { 2 } else { 1 }).sum::<usize>();
    let starts: Vec<usize> = listed
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('('))
        .map(|line| {
            // The id column follows the title: where the row's id (or the header) starts.
            let at = line.rfind(" ID ").map(|i| i + 1).or_else(|| {
                line.char_indices()
                    .find(|(i, _)| uuid::Uuid::try_parse(line.get(*i..*i + 36).unwrap_or("")).is_ok())
                    .map(|(i, _)| i)
            });
            columns(&line[..at.expect("an id column")])
        })
        .collect();
    assert_eq!(starts.len(), 4, "{listed}");
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}\n{listed}");
    system.finish().await;
}

#[tokio::test]
async fn a_briefing_names_its_institutions_by_name_and_a_vague_or_unknown_name_is_explained() {
    let (cli, system) = with_server().await;
    for (name, kind, city) in [
        ("Permanent Mission of Chile to the UN in Geneva", "mission", "Geneva"),
        ("Ministry of Foreign Affairs of Chile", "ministry", "Santiago"),
    ] {
        cli.ok(&["institutions", "add", "--name", name, "--kind", kind, "--actor", "CL", "--city", city]).await;
    }
    let log =
        ["briefings", "log", "--json", "--at", "2027-03-02 10:00", "--zone", "Europe/Zurich", "--format", "in-person"];
    let logged = cli.ok(&[&log[..], &["--institution", "mission of chile"]].concat()).await;
    let logged: serde_json::Value = serde_json::from_str(&logged).expect("json");
    assert_eq!(logged["actors"], serde_json::json!(["CL"]));
    let vague = cli.fails(&[&log[..], &["--institution", "chile"]].concat()).await;
    assert!(
        vague.contains("names 2 institutions") && vague.contains("Ministry of Foreign Affairs of Chile"),
        "{vague}"
    );
    let unknown = cli.fails(&[&log[..], &["--institution", "Permanent Mision of Chil"]].concat()).await;
    assert!(unknown.contains("the closest: Permanent Mission of Chile"), "{unknown}");
    // The same mission under another name is made, and the one already there is named.
    let again = cli
        .run(&[
            "institutions",
            "add",
            "--name",
            "Chile's mission in Geneva",
            "--kind",
            "mission",
            "--actor",
            "CL",
            "--city",
            "Geneva",
        ])
        .await;
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{said}");
    assert!(
        said.contains(
            "note: CL already has a permanent-mission in Geneva: Permanent Mission of Chile to the UN in Geneva"
        ),
        "{said}"
    );
    system.finish().await;
}

#[tokio::test]
async fn the_first_admin_is_made_on_the_servers_machine_and_people_are_managed_from_the_command_line() {
    let (cli, system) = with_server().await;
    let password = "a long passphrase of words\n";
    let added = cli
        .typing(
            &[
                "users",
                "add",
                "Boss@Advocacy.example",
                "--name",
                "Min-ji Park",
                "--role",
                "admin,staff",
                "--zone",
                "Asia/Seoul",
                "--language",
                "ko",
            ],
            password,
        )
        .await;
    assert!(added.contains("boss@advocacy.example (Min-ji Park): Asia/Seoul; roles admin, staff; active"), "{added}");
    let mut gateway = system.gateway().await;
    let sign_in = |password: &str| advocacy_tests::pb::SignInRequest {
        email: "boss@advocacy.example".into(),
        password: password.into(),
    };
    gateway.sign_in(sign_in("a long passphrase of words")).await.expect("the new admin signs in");

    let refused = cli.fails(&["users", "add", "short@advocacy.example", "--name", "Short", "--role", "staff"]).await;
    assert!(refused.contains("password") && refused.contains("12"), "no password typed: {refused}");
    cli.ok(&["users", "add", "new@advocacy.example", "--name", "New", "--role", "staff", "--no-password"]).await;
    let granted =
        cli.ok(&["users", "grant", "new@advocacy.example", "--role", "manager", "--compartment", "sanctions"]).await;
    assert!(granted.contains("roles manager, staff"), "{granted}");
    cli.ok(&["users", "revoke", "new@advocacy.example", "--compartment", "sanctions"]).await;
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&cli.ok(&["users", "list", "--json"]).await).expect("json");
    let new = listed.iter().find(|p| p["email"] == "new@advocacy.example").expect("listed");
    assert_eq!((new["roles"].as_str(), new["compartments"].as_str()), (Some("manager, staff"), Some("")));

    let last = cli.fails(&["users", "disable", "boss@advocacy.example"]).await;
    assert!(last.contains("the last admin"), "{last}");
    cli.ok(&["users", "grant", "new@advocacy.example", "--role", "admin"]).await;
    cli.ok(&["users", "disable", "boss@advocacy.example"]).await;
    let locked = gateway.sign_in(sign_in("a long passphrase of words")).await.expect_err("disabled");
    assert_eq!(locked.code(), tonic::Code::Unauthenticated);
    assert!(!cli.ok(&["users", "list"]).await.contains("boss@"), "disabled people are left out");
    assert!(cli.ok(&["users", "list", "--all"]).await.contains("disabled"));
    cli.ok(&["users", "enable", "boss@advocacy.example"]).await;
    cli.typing(&["users", "password", "boss@advocacy.example"], "another long passphrase\n").await;
    gateway.sign_in(sign_in("another long passphrase")).await.expect("the new password");
    let unknown = cli.fails(&["users", "disable", "nobody@advocacy.example"]).await;
    assert!(unknown.contains("not in the directory"), "{unknown}");
    system.finish().await;
}

#[tokio::test]
async fn a_manager_reads_exports_and_freezes_the_impact_report_from_the_command_line() {
    let (cli, system) = with_server().await;
    let added = cli
        .ok(&[
            "institutions",
            "add",
            "--json",
            "--name",
            "Embassy of Japan",
            "--kind",
            "embassy",
            "--actor",
            "JP",
            "--city",
            "Seoul",
        ])
        .await;
    let institution: serde_json::Value = serde_json::from_str(&added).expect("json");
    let id = institution["id"].as_str().expect("id");
    let briefed = [
        "briefings",
        "log",
        "--at",
        "2026-03-02 10:00",
        "--zone",
        "Asia/Seoul",
        "--city",
        "Seoul",
        "--format",
        "in-person",
        "--institution",
        id,
        "--summary",
        "Presented the report",
    ];
    cli.ok(&briefed).await;

    let report = cli.ok(&["report", "--period", "2026"]).await;
    assert!(report.starts_with("Impact report 2026 (UTC)"), "{report}");
    assert!(
        report.lines().any(|l| l.contains("briefings.governments_briefed") && l.trim_end().ends_with('1')),
        "{report}"
    );
    let csv = cli.ok(&["report", "--period", "2026-Q1", "--csv"]).await;
    assert!(csv.starts_with("Section,Figure,Value\n") && csv.contains("briefings,briefings.briefings,1\n"), "{csv}");
    let records =
        cli.ok(&["report", "records", "briefings.governments_briefed", "--period", "2026-03-01..2026-03-31"]).await;
    assert!(records.contains("briefing") && records.contains("JP: Presented the report"), "{records}");
    let nothing = cli.ok(&["report", "records", "briefings.briefings", "--period", "2026-04", "--json"]).await;
    assert_eq!(nothing.trim(), "[]");

    let frozen = cli.ok(&["report", "freeze", "--period", "2026", "--reason", "2026 report to donors"]).await;
    let frozen_id = frozen.split_whitespace().nth(2).expect("the id").trim_end_matches(':').to_owned();
    assert!(cli.ok(&["report", "frozen"]).await.contains("2026 report to donors"));
    let same = cli.ok(&["report", "frozen", &frozen_id]).await;
    assert!(same.contains("Nothing changed since."), "{same}");
    let bad = cli.fails(&["report", "--period", "2026-Q7"]).await;
    assert!(bad.contains("--period") && bad.contains("quarter"), "{bad}");
    system.finish().await;
}

#[tokio::test]
async fn advocacy_audit_verify_names_the_entry_changed_by_hand() {
    let (cli, system) = with_server().await;
    cli.ok(&[
        "deadlines",
        "add",
        "--title",
        "UPR report",
        "--mechanism",
        "UPR",
        "--kind",
        "upr-stakeholder-submission",
        "--due",
        "2027-03-29 12:00",
    ])
    .await;
    cli.ok(&[
        "deadlines",
        "add",
        "--title",
        "Call for input",
        "--mechanism",
        "UPR",
        "--kind",
        "upr-stakeholder-submission",
        "--due",
        "2027-04-29 12:00",
    ])
    .await;
    let held = cli.ok(&["audit", "verify"]).await;
    assert!(held.contains("deadlines: 2 entries, the chain holds"), "{held}");
    let listed = cli.ok(&["audit", "list", "--service", "deadlines"]).await;
    assert!(listed.contains("CreateDeadline") && listed.contains("ana@advocacy.example"), "{listed}");
    sqlx::query("UPDATE audit_log SET record_id = 'another' WHERE seq = 2")
        .execute(&system.database("deadlines").pool)
        .await
        .expect("tampered");
    let out = cli.run(&["audit", "verify"]).await;
    assert!(!out.status.success(), "a broken chain fails the command");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("deadlines: broken at entry 2"), "{said}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("deadlines entry 2"));
    system.finish().await;
}

#[tokio::test]
async fn the_health_command_says_whether_a_server_serves_for_container_health_checks() {
    let (cli, system) = with_server().await;
    let url = system.url();
    let serving = cli.run(&["health", "--server", &url]).await;
    assert!(serving.status.success(), "{}", String::from_utf8_lossy(&serving.stderr));
    assert!(String::from_utf8_lossy(&serving.stdout).contains("SERVING"));
    let one = cli.run(&["health", "--server", &url, "advocacy.v1.DeadlinesService"]).await;
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let unknown = cli.run(&["health", "--server", &url, "advocacy.v1.NoSuchService"]).await;
    assert!(!unknown.status.success(), "a service the server does not have is not healthy");
    let closed = advocacy_tests::processes::free_addresses(1)[0];
    let down = cli.run(&["health", "--server", &format!("http://{closed}")]).await;
    assert!(!down.status.success());
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("cannot reach"),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    system.finish().await;
}
