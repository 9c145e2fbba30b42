//! Tokens against every service: only the gateway's key makes a person, a service's key
//! makes only that service, and nothing unsigned, symmetric, expired or from another
//! installation gets in. Keys rotate without refusing a token that is still valid.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use tonic::Code;

use advocacy_platform::auth::Claims;
use advocacy_platform::{KeyDir, Role};
use advocacy_tests::{Person, TestSystem, pb};

/// One staff read on each service, with `token`: its outcome's code per service.
async fn each_service(system: &TestSystem, token: &str) -> Vec<(&'static str, Code)> {
    use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
    use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
    use advocacy_proto::v1::notifier_service_client::NotifierServiceClient;
    use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;
    let channel = system.channel_with_token(token).await;
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |s| s.code());
    vec![
        (
            "deadlines",
            code(
                DeadlinesServiceClient::new(channel.clone())
                    .list_deadlines(pb::ListDeadlinesRequest::default())
                    .await
                    .map(drop),
            ),
        ),
        (
            "submissions",
            code(
                SubmissionsServiceClient::new(channel.clone())
                    .list_submissions(pb::ListSubmissionsRequest::default())
                    .await
                    .map(drop),
            ),
        ),
        (
            "briefings",
            code(
                BriefingsServiceClient::new(channel.clone())
                    .list_briefings(pb::ListBriefingsRequest::default())
                    .await
                    .map(drop),
            ),
        ),
        (
            "notifier",
            code(
                NotifierServiceClient::new(channel)
                    .list_deliveries(pb::ListDeliveriesRequest::default())
                    .await
                    .map(drop),
            ),
        ),
    ]
}

fn all(code: Code) -> Vec<(&'static str, Code)> {
    ["deadlines", "submissions", "briefings", "notifier"].into_iter().map(|s| (s, code)).collect()
}

fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).expect("a payload");
    serde_json::from_slice(&B64.decode(payload).expect("base64")).expect("claims")
}

#[tokio::test]
async fn every_service_takes_the_gateways_token_and_refuses_forged_unsigned_symmetric_and_expired_ones() {
    let system = TestSystem::spawn().await;
    let staff = Person::staff();
    assert_eq!(each_service(&system, &system.token_for(&staff)).await, all(Code::Ok));

    let gateway = system.keys().signing_key("gateway").expect("the gateway's key");
    let genuine = system.token_for(&staff);
    let [header, _, signature] = genuine.split('.').collect::<Vec<_>>()[..] else { panic!("three parts") };

    // The payload changed to an admin with a compartment: the signature no longer holds.
    let mut elevated = claims_of(&genuine);
    elevated.roles = vec![Role::Admin, Role::Staff];
    elevated.compartments = vec!["sanctions".into()];
    let tampered = format!("{header}.{}.{signature}", B64.encode(serde_json::to_vec(&elevated).expect("json")));

    let kid = &gateway.kid;
    let unsigned = format!(
        "{}.{}.",
        B64.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#)),
        B64.encode(serde_json::to_vec(&elevated).expect("json"))
    );
    // HS256 keyed with the gateway's public key, which every service can read.
    let public = system.keys().key_set().expect("the key set").find(kid).expect("listed").x.clone();
    let symmetric = jsonwebtoken::encode(
        &jsonwebtoken::Header { kid: Some(kid.clone()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) },
        &elevated,
        &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
    )
    .expect("signed");
    // The same kind of key, named the same, made by another installation.
    let elsewhere = tempfile::tempdir().expect("a directory");
    let stranger = KeyDir::new(elsewhere.path()).ensure("gateway", 0).expect("a key");
    let unknown = stranger.sign(&elevated);
    let expired = system.expired_token_for(&staff);
    let mut future = claims_of(&genuine);
    future.nbf += 3600;
    future.iat += 3600;
    let not_yet = gateway.sign(&future);
    let mut other_audience = claims_of(&genuine);
    other_audience.aud = "another-system".into();
    let misaddressed = gateway.sign(&other_audience);

    for (what, token) in [
        ("tampered", tampered),
        ("alg none", unsigned),
        ("HS256 with the public key", symmetric),
        ("another installation's key", unknown),
        ("expired", expired),
        ("not valid yet", not_yet),
        ("another audience", misaddressed),
        ("garbage", "not.a.token".to_owned()),
    ] {
        assert_eq!(each_service(&system, &token).await, all(Code::Unauthenticated), "{what}");
    }
    system.finish().await;
}

#[tokio::test]
async fn a_services_key_makes_that_services_system_token_and_never_a_person() {
    let system = TestSystem::spawn().await;
    let deadlines_key = system.keys().signing_key("deadlines").expect("the deadlines service's key");
    let now = system.clock.unix_seconds();
    for (what, subject, roles, compartments) in [
        ("a person", "ana@advocacy.example", vec![Role::Staff], vec![]),
        ("an admin", "deadlines", vec![Role::System, Role::Admin], vec![]),
        ("another service", "notifier", vec![Role::System], vec![]),
        ("a compartment", "deadlines", vec![Role::System], vec!["sanctions".to_owned()]),
    ] {
        let token = deadlines_key.issue(subject, roles, compartments, now, 300);
        assert_eq!(each_service(&system, &token).await, all(Code::Unauthenticated), "{what}");
    }
    // Its own system token is a system caller: refused staff reads, by role, not by key.
    let own = deadlines_key.issue("deadlines", vec![Role::System], vec![], now, 300);
    let codes = each_service(&system, &own).await;
    assert!(codes.iter().all(|(_, code)| *code != Code::Unauthenticated), "{codes:?}");
    let mut feed = advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient::new(
        system.channel_with_token(&own).await,
    );
    feed.list_changes(pb::ListChangesRequest::default()).await.expect("a system caller reads the change feed");
    system.finish().await;
}

#[tokio::test]
async fn after_a_rotation_old_tokens_hold_and_the_new_key_is_accepted_without_a_restart() {
    let keys = tempfile::tempdir().expect("a directory");
    let dir = keys.path().to_owned();
    let system = TestSystem::spawn_with_clock_and(advocacy_platform::Clock::system(), |config| {
        config.auth.keys_dir = Some(dir);
    })
    .await;
    let staff = Person::staff();
    let old = system.token_for(&staff);
    let before = system.keys().signing_key("gateway").expect("a key").kid;
    let rotated = system.keys().rotate("gateway", system.clock.unix_seconds()).expect("rotated");
    assert_ne!(rotated.kid, before);
    let new = rotated.issue(staff.email, staff.roles.clone(), vec![], system.clock.unix_seconds(), 900);
    assert_eq!(each_service(&system, &new).await, all(Code::Ok), "the new key id");
    assert_eq!(each_service(&system, &old).await, all(Code::Ok), "a token of the retired key, still valid");
    let retired = system.keys().key_set().expect("the set");
    assert!(retired.find(&before).and_then(|k| k.retired).is_some(), "the old key is marked retired");
    // The running gateway signs people in with the new key at once, and each service's
    // calls carry its key as it is now.
    system
        .gateway_as(&Person::staff().and_admin())
        .await
        .create_person(pb::CreatePersonRequest {
            request_id: "after-rotation".into(),
            email: "new@advocacy.example".into(),
            name: "New Colleague".into(),
            roles: vec!["staff".into()],
            password: "a long enough passphrase".into(),
            ..Default::default()
        })
        .await
        .expect("added");
    let signed = system
        .gateway()
        .await
        .sign_in(pb::SignInRequest {
            email: "new@advocacy.example".into(),
            password: "a long enough passphrase".into(),
        })
        .await
        .expect("signed in")
        .into_inner();
    let header = jsonwebtoken::decode_header(&signed.access_token).expect("a header");
    assert_eq!(header.kid.as_deref(), Some(rotated.kid.as_str()));
    assert_eq!(each_service(&system, &signed.access_token).await, all(Code::Ok));
    system.finish().await;
}
