//! People and sign-in at the gateway: one answer for a wrong email and a wrong password,
//! guessing refused per account and per address, a disabled person locked out within the
//! access token's lifetime, refresh tokens good once, and hostile input refused whole.

use tonic::Code;

use advocacy_platform::Clock;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_tests::{Person, TestSystem, pb, violated_fields};

const PASSWORD: &str = "correct horse battery staple";

fn admin() -> Person {
    Person::staff().and_admin()
}

/// Adds a staff member who may sign in with [`PASSWORD`].
async fn add(system: &TestSystem, email: &str) -> pb::Person {
    system
        .gateway_as(&admin())
        .await
        .create_person(pb::CreatePersonRequest {
            request_id: format!("add-{email}"),
            email: email.into(),
            name: "Ana Lima".into(),
            roles: vec!["staff".into()],
            compartments: vec!["sanctions".into()],
            zone: "Asia/Seoul".into(),
            language: pb::Language::Ko.into(),
            password: PASSWORD.into(),
            ..Default::default()
        })
        .await
        .expect("a person added")
        .into_inner()
}

async fn sign_in(system: &TestSystem, email: &str, password: &str) -> Result<pb::SignInResponse, tonic::Status> {
    system
        .gateway()
        .await
        .sign_in(pb::SignInRequest { email: email.into(), password: password.into() })
        .await
        .map(|r| r.into_inner())
}

async fn deadlines_with(system: &TestSystem, token: &str) -> Result<(), tonic::Status> {
    DeadlinesServiceClient::new(system.channel_with_token(token).await)
        .list_deadlines(pb::ListDeadlinesRequest::default())
        .await
        .map(drop)
}

#[tokio::test]
async fn a_person_signs_in_and_the_token_carries_their_roles_and_compartments_to_every_service() {
    let system = TestSystem::spawn().await;
    let added = add(&system, "Ana@Advocacy.example").await;
    assert_eq!(added.email, "ana@advocacy.example", "emails are kept in lower case");
    let signed = sign_in(&system, "ana@advocacy.example", PASSWORD).await.expect("signed in");
    let person = signed.person.expect("who signed in");
    assert_eq!((person.roles, person.compartments), (vec!["staff".to_owned()], vec!["sanctions".to_owned()]));
    let lifetime = signed.expires_at.expect("expiry").seconds - system.clock.unix_seconds();
    assert!((0..=15 * 60).contains(&lifetime), "an access token lives 15 minutes at most: {lifetime}");
    deadlines_with(&system, &signed.access_token).await.expect("the token opens the deadlines service");
    // The token names the person and their compartment, and nothing more.
    let mut restricted = advocacy_tests::new_deadline("r-1", "Sanctions package", "2027-03-01T12:00");
    restricted.classification = Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        compartments: vec![],
    });
    let mut as_ana = DeadlinesServiceClient::new(system.channel_with_token(&signed.access_token).await);
    let made = as_ana.create_deadline(restricted).await.expect("staff with the compartment").into_inner();
    assert_eq!(made.stamp.expect("stamp").created_by, "ana@advocacy.example");
    system.finish().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let system = TestSystem::spawn().await;
    add(&system, "ana@advocacy.example").await;
    let wrong = sign_in(&system, "ana@advocacy.example", "not the password at all").await.expect_err("wrong");
    let unknown = sign_in(&system, "nobody@advocacy.example", PASSWORD).await.expect_err("unknown");
    assert_eq!((wrong.code(), wrong.message()), (unknown.code(), unknown.message()));
    assert_eq!(wrong.code(), Code::Unauthenticated);
    sign_in(&system, "ana@advocacy.example", PASSWORD).await.expect("signed in");
    let log = system
        .gateway_as(&admin())
        .await
        .list_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .expect("the gateway's log")
        .into_inner()
        .entries;
    let sign_ins: Vec<(&str, &str, &str)> = log
        .iter()
        .filter(|e| e.action == "SignIn")
        .map(|e| (e.actor.as_str(), e.kind.as_str(), e.record_id.as_str()))
        .collect();
    assert_eq!(
        sign_ins,
        [
            ("ana@advocacy.example", "failure", "ana@advocacy.example"),
            ("ana@advocacy.example", "write", "ana@advocacy.example"),
        ],
        "a person's sign-ins, refused or not, are in the log; an address of no one is not kept"
    );
    // Nor does someone added without a password sign in with an empty-looking one.
    system
        .gateway_as(&admin())
        .await
        .create_person(pb::CreatePersonRequest {
            request_id: "no-password".into(),
            email: "new@advocacy.example".into(),
            name: "New Colleague".into(),
            roles: vec!["staff".into()],
            ..Default::default()
        })
        .await
        .expect("added without a password");
    let none = sign_in(&system, "new@advocacy.example", PASSWORD).await.expect_err("no password yet");
    assert_eq!((none.code(), none.message()), (wrong.code(), wrong.message()));
    system.finish().await;
}

#[tokio::test]
async fn guessing_is_refused_per_account_and_per_address() {
    let system = TestSystem::spawn().await;
    add(&system, "ana@advocacy.example").await;
    // Eight guesses at once: each is counted before its password is checked, so no more
    // than five get as far as the password.
    let guess = || sign_in(&system, "ana@advocacy.example", "guess");
    let (a, b, c, d) = tokio::join!(guess(), guess(), guess(), guess());
    let (e, f, g, h) = tokio::join!(guess(), guess(), guess(), guess());
    let codes: Vec<Code> = [a, b, c, d, e, f, g, h].into_iter().map(|r| r.expect_err("a guess").code()).collect();
    let checked = codes.iter().filter(|c| **c == Code::Unauthenticated).count();
    assert!(
        checked <= 5 && codes.iter().all(|c| matches!(c, Code::Unauthenticated | Code::ResourceExhausted)),
        "{codes:?}"
    );
    let locked = sign_in(&system, "ana@advocacy.example", PASSWORD).await.expect_err("locked for a while");
    assert_eq!(locked.code(), Code::ResourceExhausted, "{}", locked.message());
    // Unknown accounts are locked alike, so the lock tells nothing about who exists.
    for _ in 0..5 {
        sign_in(&system, "ghost@advocacy.example", "guess").await.expect_err("a guess");
    }
    let ghost = sign_in(&system, "ghost@advocacy.example", "guess").await.expect_err("locked");
    assert_eq!(ghost.code(), Code::ResourceExhausted);
    // From one address, guesses across many accounts run into the address's limit.
    for n in 0..10 {
        sign_in(&system, &format!("spray{n}@advocacy.example"), "guess").await.expect_err("a guess");
    }
    add(&system, "other@advocacy.example").await;
    let sprayed = sign_in(&system, "other@advocacy.example", PASSWORD).await.expect_err("the address is locked");
    assert_eq!(sprayed.code(), Code::ResourceExhausted);
    system.finish().await;
}

#[tokio::test]
async fn a_disabled_person_is_locked_out_within_the_access_tokens_lifetime() {
    let clock = Clock::manual(chrono::Utc::now());
    let system = TestSystem::spawn_with_clock(clock.clone()).await;
    let ana = add(&system, "ana@advocacy.example").await;
    let signed = sign_in(&system, "ana@advocacy.example", PASSWORD).await.expect("signed in");
    let refreshed = system
        .gateway()
        .await
        .refresh(pb::RefreshRequest { refresh_token: signed.refresh_token.clone() })
        .await
        .expect("a live session refreshes")
        .into_inner();
    let reused = system
        .gateway()
        .await
        .refresh(pb::RefreshRequest { refresh_token: signed.refresh_token.clone() })
        .await
        .expect_err("a refresh token is good once");
    assert_eq!(reused.code(), Code::Unauthenticated);

    system
        .gateway_as(&admin())
        .await
        .update_person(pb::UpdatePersonRequest {
            request_id: "disable-ana".into(),
            email: ana.email.clone(),
            expected_version: ana.version,
            disabled_change: Some(pb::update_person_request::DisabledChange::Disabled(true)),
            ..Default::default()
        })
        .await
        .expect("disabled");
    let again = system
        .gateway()
        .await
        .refresh(pb::RefreshRequest { refresh_token: refreshed.refresh_token.clone() })
        .await
        .expect_err("the refresh path checks the person again");
    assert_eq!(again.code(), Code::Unauthenticated);
    let signing_in = sign_in(&system, "ana@advocacy.example", PASSWORD).await.expect_err("disabled");
    assert_eq!(signing_in.code(), Code::Unauthenticated);
    deadlines_with(&system, &refreshed.access_token).await.expect("until it expires, the token already issued works");
    clock.advance(chrono::Duration::minutes(16));
    let expired = deadlines_with(&system, &refreshed.access_token).await.expect_err("15 minutes later it does not");
    assert_eq!(expired.code(), Code::Unauthenticated);
    system.finish().await;
}

#[tokio::test]
async fn the_directory_is_for_services_and_the_last_admin_stays() {
    let system = TestSystem::spawn().await;
    add(&system, "ana@advocacy.example").await;
    let found = system
        .gateway_as(&Person::service())
        .await
        .get_person(pb::GetPersonRequest { email: "ANA@advocacy.example".into() })
        .await
        .expect("a service reads the directory")
        .into_inner();
    assert_eq!((found.zone.as_str(), found.language()), ("Asia/Seoul", pb::Language::Ko));
    let denied = system
        .gateway_as(&Person::manager())
        .await
        .get_person(pb::GetPersonRequest { email: "ana@advocacy.example".into() })
        .await
        .expect_err("people are not a directory of each other");
    assert_eq!(denied.code(), Code::PermissionDenied);

    let mut gateway = system.gateway_as(&admin()).await;
    let boss = gateway
        .create_person(pb::CreatePersonRequest {
            request_id: "boss".into(),
            email: "boss@advocacy.example".into(),
            name: "Only Admin".into(),
            roles: vec!["admin".into()],
            ..Default::default()
        })
        .await
        .expect("an admin")
        .into_inner();
    let last = gateway
        .update_person(pb::UpdatePersonRequest {
            request_id: "demote".into(),
            email: boss.email.clone(),
            expected_version: boss.version,
            revoke_roles: vec!["admin".into()],
            grant_roles: vec!["staff".into()],
            ..Default::default()
        })
        .await
        .expect_err("the last admin keeps the role");
    assert_eq!(last.code(), Code::FailedPrecondition, "{}", last.message());
    let stale = gateway
        .update_person(pb::UpdatePersonRequest {
            request_id: "stale".into(),
            email: boss.email.clone(),
            expected_version: boss.version + 3,
            name: "Renamed".into(),
            ..Default::default()
        })
        .await
        .expect_err("a stale version");
    assert_eq!(stale.code(), Code::Aborted);

    // With two admins, each demoting the other at the same moment: one of them stays.
    let second = gateway
        .create_person(pb::CreatePersonRequest {
            request_id: "second".into(),
            email: "second@advocacy.example".into(),
            name: "Second Admin".into(),
            roles: vec!["admin".into()],
            ..Default::default()
        })
        .await
        .expect("an admin")
        .into_inner();
    let demote = |p: &pb::Person| pb::UpdatePersonRequest {
        request_id: format!("demote-{}", p.email),
        email: p.email.clone(),
        expected_version: p.version,
        disabled_change: Some(pb::update_person_request::DisabledChange::Disabled(true)),
        ..Default::default()
    };
    let mut other = system.gateway_as(&admin()).await;
    let (a, b) = tokio::join!(gateway.update_person(demote(&boss)), other.update_person(demote(&second)));
    let refused: Vec<Code> = [a.err(), b.err()].into_iter().flatten().map(|e| e.code()).collect();
    assert_eq!(refused, [Code::FailedPrecondition], "exactly one of the two is refused");
    system.finish().await;
}

#[tokio::test]
async fn hostile_input_is_refused_by_field_and_adds_nobody() {
    let system = TestSystem::spawn().await;
    let mut gateway = system.gateway_as(&admin()).await;
    let good = pb::CreatePersonRequest {
        request_id: "hostile".into(),
        email: "ana@advocacy.example".into(),
        name: "Ana".into(),
        roles: vec!["staff".into()],
        password: PASSWORD.into(),
        ..Default::default()
    };
    let huge = "x".repeat(100_000);
    for (field, request) in [
        ("email", pb::CreatePersonRequest { email: format!("{huge}@example.org"), ..good.clone() }),
        ("email", pb::CreatePersonRequest { email: "not an email".into(), ..good.clone() }),
        ("name", pb::CreatePersonRequest { name: huge.clone(), ..good.clone() }),
        ("name", pb::CreatePersonRequest { name: String::new(), ..good.clone() }),
        ("roles[0]", pb::CreatePersonRequest { roles: vec!["system".into()], ..good.clone() }),
        ("roles", pb::CreatePersonRequest { roles: vec![], ..good.clone() }),
        ("compartments[0]", pb::CreatePersonRequest { compartments: vec!["<script>".into()], ..good.clone() }),
        ("zone", pb::CreatePersonRequest { zone: "Mars/Olympus_Mons".into(), ..good.clone() }),
        ("language", pb::CreatePersonRequest { language: 42, ..good.clone() }),
        ("manager", pb::CreatePersonRequest { manager: "nobody".into(), ..good.clone() }),
        ("password", pb::CreatePersonRequest { password: "short".into(), ..good.clone() }),
        ("password", pb::CreatePersonRequest { password: huge.clone(), ..good.clone() }),
        ("request_id", pb::CreatePersonRequest { request_id: String::new(), ..good.clone() }),
    ] {
        let refused = gateway.create_person(request).await.expect_err(field);
        assert_eq!(refused.code(), Code::InvalidArgument, "{field}: {}", refused.message());
        assert_eq!(violated_fields(&refused), [field], "{field}");
    }
    let signing_in = system
        .gateway()
        .await
        .sign_in(pb::SignInRequest { email: huge.clone(), password: huge.clone() })
        .await
        .expect_err("hostile sign-in");
    assert_eq!(signing_in.code(), Code::InvalidArgument);
    let refresh =
        system.gateway().await.refresh(pb::RefreshRequest { refresh_token: huge }).await.expect_err("hostile refresh");
    assert_eq!(refresh.code(), Code::InvalidArgument);
    assert_eq!(system.numbers("gateway", &["SELECT COUNT(*) FROM people"]).await, [0], "nobody was added");
    system.finish().await;
}
