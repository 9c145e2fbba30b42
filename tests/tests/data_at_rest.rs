//! What the embedded default leaves on disk: a data directory and files only their owner
//! can read, and an erased contact gone from every file, write-ahead log included.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use advocacy_tests::{Person, TestSystem, institution, pb};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// Every file under `dir`, folders (the mailbox) included.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the data directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            assert_eq!(mode(&path), 0o700, "{}", path.display());
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Every file under the data directory whose bytes contain `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for path in files_under(dir) {
        let bytes = std::fs::read(&path).expect("a file");
        if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            found.push(path.file_name().expect("a name").to_string_lossy().into_owned());
        }
    }
    found
}

#[tokio::test]
async fn the_data_directory_and_every_file_in_it_are_its_owners_only() {
    let system = TestSystem::spawn_embedded().await;
    let dir = system.config.data_dir.clone();
    let mut deadlines = system.deadlines().await;
    deadlines
        .create_deadline(advocacy_tests::new_deadline("r-1", "UPR report", "2027-03-01T12:00"))
        .await
        .expect("a write");
    // Due within the hour: its 2-hour reminder goes to the mailbox at once.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(50)).format("%Y-%m-%dT%H:%M").to_string();
    let mut request = advocacy_tests::new_deadline("r-2", "Urgent appeal", &soon);
    request.due = Some(advocacy_tests::local_time(&soon, "UTC"));
    deadlines.create_deadline(request).await.expect("a write");
    let mailbox = dir.join("mailbox");
    // The file is written, then made its owner's only (inside a folder that already is).
    let mail = advocacy_tests::eventually(10, || {
        let mailbox = mailbox.clone();
        async move {
            let files = files_under(&mailbox);
            (files.len() == 1 && mode(&files[0]) == 0o600).then_some(())
        }
    })
    .await;
    assert!(mail.is_some(), "the reminder is in the mailbox, its owner's only: {:?}", files_under(&mailbox));
    assert_eq!(mode(&dir), 0o700, "the data directory");
    let files = files_under(&dir);
    assert!(
        files.iter().any(|f| f.ends_with("keys/deadlines.key")) && files.iter().any(|f| f.ends_with("briefings.db"))
    );
    assert!(files.iter().any(|f| f.to_string_lossy().ends_with("-wal")), "the logs are there too: {files:?}");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    system.finish().await;
}

#[tokio::test]
async fn an_erased_contact_is_in_no_file_on_disk() {
    let system = TestSystem::spawn_embedded().await;
    let dir = system.config.data_dir.clone();
    let keeper = Person { compartments: vec!["contacts".into()], ..Person::staff() };
    let mut briefings = system.briefings_as(&keeper).await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of Chile",
        pb::InstitutionKind::PermanentMission,
        "CL",
        "Geneva",
    )
    .await;
    let contact = briefings
        .create_contact(pb::CreateContactRequest {
            request_id: "c-1".into(),
            institution_id: mission,
            name: "Valentina Quispe-Huaman".into(),
            role: "Counsellor for human rights".into(),
            email: "v.quispe@mission-chile.example".into(),
            phone: "+41 22 919 88 00".into(),
        })
        .await
        .expect("contact")
        .into_inner();
    for value in ["Valentina Quispe-Huaman", "v.quispe@mission-chile.example"] {
        assert!(!files_holding(&dir, value).is_empty(), "{value} is written somewhere before the erasure");
    }
    system
        .briefings_as(&keeper.and_admin())
        .await
        .erase_contact(pb::EraseContactRequest { request_id: "e-1".into(), id: contact.id.clone() })
        .await
        .expect("erased");
    for value in
        ["Valentina Quispe-Huaman", "Counsellor for human rights", "v.quispe@mission-chile.example", "919 88 00"]
    {
        assert_eq!(files_holding(&dir, value), Vec::<String>::new(), "{value} is gone from every file");
    }
    system.finish().await;
}
