//! Who may call what: every RPC of every hosted service, called with a token of each role
//! and of none, is refused with PERMISSION_DENIED exactly when its service's table says so.
//! The tables cover exactly the RPCs the protos declare, and the README shows the same
//! tables.

use std::time::Duration;

use advocacy::serve::SERVICES;
use advocacy_platform::Role;
use advocacy_platform::access::{allowed, is_open};
use advocacy_tests::{Person, TestSystem};
use prost::Message;
use tonic::Code;

/// One RPC as the protos declare it.
#[derive(Debug)]
struct Rpc {
    /// The hosted service's name (`deadlines`).
    service: &'static str,
    /// `/advocacy.v1.DeadlinesService/GetDeadline`
    path: String,
    method: String,
}

/// Every RPC of every hosted service, from the descriptors the server is built from.
fn rpcs() -> Vec<Rpc> {
    let set = prost_types::FileDescriptorSet::decode(advocacy_proto::FILE_DESCRIPTOR_SET).expect("descriptors");
    let mut rpcs = Vec::new();
    for file in &set.file {
        for service in &file.service {
            let name = service.name().trim_end_matches("Service").to_lowercase();
            let Some(spec) = SERVICES.iter().find(|s| s.name == name) else { continue };
            for method in &service.method {
                rpcs.push(Rpc {
                    service: spec.name,
                    path: format!("/{}.{}/{}", file.package(), service.name(), method.name()),
                    method: method.name().to_owned(),
                });
            }
        }
    }
    rpcs
}

fn rules_of(service: &str) -> &'static [advocacy_platform::access::Rule] {
    SERVICES.iter().find(|s| s.name == service).expect("a hosted service").access
}

fn role_name(role: Role) -> String {
    format!("{role:?}").to_lowercase()
}

#[test]
fn every_rpc_has_a_rule_and_every_rule_an_rpc() {
    let rpcs = rpcs();
    assert!(rpcs.len() >= 40, "the descriptors name the hosted services' RPCs: {}", rpcs.len());
    for rpc in &rpcs {
        let listed = rules_of(rpc.service).iter().filter(|r| r.method == rpc.method).count();
        assert_eq!(listed, 1, "{}: one rule in the {} table", rpc.method, rpc.service);
    }
    for spec in SERVICES {
        for rule in spec.access {
            assert!(
                rpcs.iter().any(|r| r.service == spec.name && r.method == rule.method),
                "{}: the {} table names an RPC the proto does not have",
                rule.method,
                spec.name
            );
        }
    }
}

#[test]
fn the_readme_shows_the_tables_the_services_enforce() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let rows: Vec<String> = rpcs()
        .iter()
        .map(|rpc| {
            let roles: Vec<String> =
                allowed(rules_of(rpc.service), &rpc.method).iter().map(|r| role_name(*r)).collect();
            let roles =
                if is_open(rules_of(rpc.service), &rpc.method) { "anyone".to_owned() } else { roles.join(", ") };
            format!("| {} | `{}` | {} |", rpc.service, rpc.method, roles)
        })
        .collect();
    let missing: Vec<&String> = rows.iter().filter(|row| !readme.contains(row.as_str())).collect();
    assert!(missing.is_empty(), "README rows differ; the table should read:\n{}", rows.join("\n"));
    let section = readme.split("## Who may call what").nth(1).expect("the section").split("\n## ").next();
    let listed = section.expect("its text").lines().filter(|l| l.starts_with("| ") && l.contains(" | `")).count();
    assert_eq!(listed, rows.len(), "the README lists no other RPCs");
}

/// Calls `rpc` with an empty message (every field unset) as `person`: the status the
/// guard or the service answered with, or OK for a call that was let through and is still
/// answering (a watch) or succeeded.
async fn call(system: &TestSystem, person: &Person, rpc: &Rpc) -> Code {
    let mut grpc = tonic::client::Grpc::new(system.channel_as(person).await);
    grpc.ready().await.expect("ready");
    let path: http::uri::PathAndQuery = rpc.path.parse().expect("a path");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let request = tonic::Request::new(tokio_stream::once(()));
    let answered = tokio::time::timeout(Duration::from_secs(2), grpc.streaming(request, path, codec)).await;
    match answered {
        Ok(Ok(_)) | Err(_) => Code::Ok,
        Ok(Err(status)) => status.code(),
    }
}

#[tokio::test]
async fn each_role_may_call_exactly_what_its_table_allows() {
    let system = TestSystem::spawn().await;
    let roles = [None, Some(Role::Staff), Some(Role::Manager), Some(Role::Admin), Some(Role::System)];
    for rpc in rpcs() {
        let table = allowed(rules_of(rpc.service), &rpc.method);
        for role in roles {
            let person =
                Person { email: "probe@advocacy.example", roles: role.into_iter().collect(), compartments: vec![] };
            let code = call(&system, &person, &rpc).await;
            let who = role.map_or("no role".to_owned(), role_name);
            if role.is_some_and(|r| table.contains(&r)) || is_open(rules_of(rpc.service), &rpc.method) {
                assert!(
                    !matches!(code, Code::PermissionDenied | Code::Unauthenticated),
                    "{} as {who}: let through, yet {code:?}",
                    rpc.method
                );
            } else {
                assert_eq!(code, Code::PermissionDenied, "{} as {who}: refused", rpc.method);
            }
        }
    }
    let written = system.numbers("deadlines", &["SELECT COUNT(*) FROM deadlines"]).await;
    assert_eq!(written, [0], "empty requests wrote nothing");
    system.finish().await;
}
