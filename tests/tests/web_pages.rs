//! The web pages over HTTP, as a browser without JavaScript uses them: signing in, logging
//! a briefing through the form and finding it counted on the dashboard and in its
//! drill-down; CSRF tokens, escaping, confidentiality, field errors beside their field,
//! Korean pages.

use advocacy_tests::web::{PASSWORD, Visitor, add_person, swiss_mission};
use advocacy_tests::{Person, TestSystem, eventually, pb};

async fn briefings_stored(system: &TestSystem) -> i64 {
    system.numbers("briefings", &["SELECT COUNT(*) FROM briefings"]).await[0]
}

/// The form of a briefing with the Swiss mission in Geneva, changed by `with`.
async fn briefing_form(visitor: &Visitor, with: &[(&str, &str)]) -> Vec<(String, String)> {
    let form = visitor.get("/briefings/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields: Vec<(String, String)> = [
        ("csrf", form.hidden("csrf")),
        ("request_id", form.hidden("request_id")),
        ("institution", "Permanent Mission of Switzerland (CH)".to_owned()),
        ("at", "2026-03-10T10:00".to_owned()),
        ("zone", "Europe/Zurich".to_owned()),
        ("city", "Geneva".to_owned()),
        ("format", "in_person".to_owned()),
        ("themes", "Detention, Torture".to_owned()),
        ("summary", "Briefed the mission on political prison camps".to_owned()),
        ("follow_up_action", "Send the UPR report".to_owned()),
        ("follow_up_due", "2026-03-20T17:00".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (key, value) in with {
        fields.retain(|(k, _)| k != key);
        fields.push((key.to_string(), value.to_string()));
    }
    fields
}

async fn post(visitor: &Visitor, path: &str, fields: &[(String, String)]) -> advocacy_tests::web::Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    visitor.post(path, &pairs).await
}

#[tokio::test]
async fn staff_log_a_briefing_through_the_form_and_a_manager_finds_it_counted_and_behind_its_figure() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    add_person(&system, "mina@advocacy.example", &["manager"], &[], pb::Language::En).await;

    let anonymous = Visitor::new(&system);
    let sent_away = anonymous.get("/report").await;
    assert_eq!((sent_away.status, sent_away.location.as_str()), (303, "/sign-in"), "pages need a session");
    let wrong = anonymous.get("/sign-in").await;
    let token = wrong.hidden("form_token");
    let refused = anonymous
        .post("/sign-in", &[("form_token", &token), ("email", "ana@advocacy.example"), ("password", "nope")])
        .await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("the email or the password is wrong"), "{}", refused.body);

    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    assert_eq!(ana.get("/").await.location, "/deadlines", "staff start at their deadlines");
    let fields = briefing_form(&ana, &[]).await;
    let logged = post(&ana, "/briefings/new", &fields).await;
    assert_eq!(logged.status, 303, "{}", logged.body);
    assert!(logged.location.starts_with("/briefings/new?logged="), "{}", logged.location);
    assert!(ana.get(&logged.location).await.body.contains("The briefing is logged."));
    // Sending the same form twice (a double click, a reload) logs it once.
    assert_eq!(post(&ana, "/briefings/new", &fields).await.status, 303);
    assert_eq!(briefings_stored(&system).await, 1);
    // The follow-up becomes a deadline through the briefings outbox, a moment later.
    let follow_up_shown = eventually(10, || async {
        Some(ana.get("/deadlines").await.body).filter(|body| body.contains("Send the UPR report"))
    })
    .await;
    assert!(follow_up_shown.is_some(), "the follow-up is ana's deadline: {}", ana.get("/deadlines").await.body);

    let mina = Visitor::new(&system);
    mina.sign_in("mina@advocacy.example", PASSWORD).await;
    assert_eq!(mina.get("/").await.location, "/report");
    let dashboard = mina.get("/report?period=2026-03").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert!(dashboard.body.contains("Governments briefed"));
    assert!(dashboard.body.contains("<svg class=\"chart\""), "charts are drawn on the server");
    let drill = "/report/records?period=2026-03&amp;figure=briefings.governments_briefed";
    assert!(dashboard.body.contains(drill), "the figure links to its records: {}", dashboard.body);
    let records = mina.get(&drill.replace("&amp;", "&")).await;
    assert_eq!(records.status, 200, "{}", records.body);
    assert!(records.body.contains("CH: Briefed the mission on political prison camps"), "{}", records.body);
    let csv = mina.get("/report/export?period=2026-03&format=csv").await;
    assert!(csv.body.contains("briefings,briefings.governments_briefed,1,"), "{}", csv.body);

    let page = mina.get("/report").await;
    let signed_out = mina.post("/sign-out", &[("csrf", &page.hidden("csrf"))]).await;
    assert_eq!((signed_out.status, signed_out.location.as_str()), (303, "/sign-in"));
    assert_eq!(mina.get("/report").await.location, "/sign-in", "the session ended");
    system.finish().await;
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let mut fields = briefing_form(&ana, &[]).await;
    fields.retain(|(k, _)| k != "csrf");
    assert_eq!(post(&ana, "/briefings/new", &fields).await.status, 403);
    fields.push(("csrf".into(), "0".repeat(32)));
    assert_eq!(post(&ana, "/briefings/new", &fields).await.status, 403, "a token of no session");
    assert_eq!(briefings_stored(&system).await, 0);
    let refused = ana.post("/deadlines", &[("title", "Forged"), ("mechanism", "UPR")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(system.numbers("deadlines", &["SELECT COUNT(*) FROM deadlines"]).await, [0]);
    let signed_out = ana.post("/sign-out", &[]).await;
    assert_eq!(signed_out.status, 403, "not even signing out");
    assert_eq!(ana.get("/deadlines").await.status, 200, "still signed in");

    // The sign-in form has its own token, in a cookie of its own.
    let stranger = Visitor::new(&system);
    let forged = stranger.post("/sign-in", &[("email", "ana@advocacy.example"), ("password", PASSWORD)]).await;
    assert_eq!(forged.status, 403);
    system.finish().await;
}

#[tokio::test]
async fn html_and_script_typed_into_the_form_come_back_as_text() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "ana@advocacy.example", &["staff", "manager"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let fields = briefing_form(&ana, &[("summary", hostile), ("city", hostile), ("follow_up_action", hostile)]).await;
    assert_eq!(post(&ana, "/briefings/new", &fields).await.status, 303);
    // On /deadlines the text is the follow-up's, which the briefings outbox makes a moment later.
    let escaped = |body: &str| body.contains("&lt;script&gt;") || body.contains("&lt;img");
    eventually(10, || async { Some(ana.get("/deadlines").await.body).filter(|body| escaped(body)) }).await;
    for path in ["/report?period=2026", "/report/records?period=2026&figure=briefings.briefings", "/deadlines"] {
        let page = ana.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "{path}: {}", page.body);
        assert!(escaped(&page.body), "{path} shows it as text");
    }
    // A hostile value sent back to the form (an error) is escaped too.
    let bad = briefing_form(&ana, &[("zone", hostile)]).await;
    let page = post(&ana, "/briefings/new", &bad).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    system.finish().await;
}

#[tokio::test]
async fn a_bad_field_shows_the_services_message_beside_that_field_and_writes_nothing() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let fields = briefing_form(&ana, &[("zone", "Mars/Olympus")]).await;
    let page = post(&ana, "/briefings/new", &fields).await;
    assert_eq!(page.status, 200);
    let error = page.body.find("id=\"zone-error\"").expect("an error beside the zone field");
    let beside = &page.body[error..error + 200];
    assert!(beside.contains("is not an IANA time zone"), "the service's message: {beside}");
    assert!(page.body.contains("aria-invalid=\"true\" aria-describedby=\"zone-error\""));
    assert!(page.body.contains("value=\"Geneva\""), "what was typed is kept");
    let unknown = briefing_form(&ana, &[("institution", "Nowhere Ministry")]).await;
    let page = post(&ana, "/briefings/new", &unknown).await;
    assert!(page.body.contains("id=\"institution-error\""), "{}", page.body);
    let dashboard_period = Visitor::new(&system);
    add_person(&system, "mina@advocacy.example", &["manager"], &[], pb::Language::En).await;
    dashboard_period.sign_in("mina@advocacy.example", PASSWORD).await;
    let page = dashboard_period.get("/report?period=2024-13").await;
    assert!(page.body.contains("id=\"period-error\""), "{}", page.body);
    assert_eq!(briefings_stored(&system).await, 0);
    system.finish().await;
}

#[tokio::test]
async fn a_person_without_the_compartment_sees_no_restricted_record_on_any_page_or_export() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "sam@advocacy.example", &["staff"], &["sanctions"], pb::Language::En).await;
    add_person(&system, "mina@advocacy.example", &["manager", "staff"], &[], pb::Language::En).await;
    let sam = Visitor::new(&system);
    sam.sign_in("sam@advocacy.example", PASSWORD).await;
    let secret = "Sanctions designations for the Ministry of State Security";
    let fields = briefing_form(
        &sam,
        &[("summary", secret), ("compartment", "sanctions"), ("follow_up_action", "Send the designation dossier")],
    )
    .await;
    assert_eq!(post(&sam, "/briefings/new", &fields).await.status, 303);
    let form = sam.get("/deadlines").await;
    let deadline = post(
        &sam,
        "/deadlines",
        &[
            ("csrf".into(), form.hidden("csrf")),
            ("request_id".into(), form.hidden("request_id")),
            ("title".into(), "Sanctions package to the Security Council".into()),
            ("mechanism".into(), "UPR".into()),
            ("kind".into(), "other".into()),
            ("due".into(), "2026-04-01T12:00".into()),
            ("zone".into(), "America/New_York".into()),
            ("compartment".into(), "sanctions".into()),
        ],
    )
    .await;
    assert_eq!(deadline.status, 303, "{}", deadline.body);
    assert!(sam.get("/deadlines").await.body.contains("Sanctions package"), "sam sees his own");

    let mina = Visitor::new(&system);
    mina.sign_in("mina@advocacy.example", PASSWORD).await;
    let pages = [
        "/report?period=2026",
        "/report/records?period=2026&figure=briefings.briefings",
        "/report/records?period=2026&figure=briefings.governments_briefed",
        "/report/records?period=2026&figure=deadlines.open",
        "/report/export?period=2026&format=csv",
        "/report/export?period=2026&format=json",
        "/report/export?period=2026&format=csv&figure=briefings.briefings",
        "/deadlines",
        "/briefings/new",
    ];
    for path in pages {
        let page = mina.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        for hidden in [secret, "Sanctions package", "designation dossier"] {
            assert!(!page.body.contains(hidden), "{path} shows {hidden:?}: {}", page.body);
        }
    }
    let report = mina.get("/report?period=2026").await;
    assert!(report.body.contains("Restricted records not shown to you: 1"), "counted, not shown: {}", report.body);
    system.finish().await;
}

#[tokio::test]
async fn pages_speak_the_persons_language_and_switch_on_request() {
    let system = TestSystem::spawn().await;
    add_person(&system, "jiwoo@advocacy.example", &["manager", "staff"], &[], pb::Language::Ko).await;
    let jiwoo = Visitor::new(&system);
    jiwoo.sign_in("jiwoo@advocacy.example", PASSWORD).await;
    let page = jiwoo.get("/report?period=2026").await;
    assert!(page.body.contains("<html lang=\"ko\">") && page.body.contains("성과 보고서"), "{}", page.body);
    assert!(page.body.contains("브리핑한 정부"));
    let switched = jiwoo.get("/report?period=2026&lang=en").await;
    assert_eq!((switched.status, switched.location.as_str()), (303, "/report?period=2026"));
    let page = jiwoo.get("/report?period=2026").await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Governments briefed"), "{}", page.body);
    // The page's own link to the other language leads back to the same page.
    assert!(page.body.contains("href=\"&#x2f;report?period=2026&amp;lang=ko\""), "{}", page.body);
    // The switch never sends anyone to another site.
    for path in
        ["//elsewhere.example/sign-in?lang=ko", "/%2F%2Felsewhere.example?lang=ko", "/\\elsewhere.example?lang=ko"]
    {
        let answer = jiwoo.get(path).await;
        assert!(!answer.location.contains("elsewhere"), "{path} sent to {}", answer.location);
    }
    let deadlines = jiwoo.get("/deadlines?lang=ko").await;
    assert_eq!(deadlines.location, "/deadlines");
    assert!(jiwoo.get("/deadlines").await.body.contains("다가오는 마감일"));
    system.finish().await;
}

#[tokio::test]
async fn a_section_whose_service_is_down_shows_as_unavailable_and_the_page_still_loads() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let closed_url = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let system = TestSystem::spawn_with(&["gateway", "briefings", "submissions"], "127.0.0.1:0", |config| {
        let down = advocacy_platform::config::ServiceConfig { url: Some(closed_url), ..Default::default() };
        config.services.insert("deadlines".into(), down);
        config.reports.section_timeout_ms = 500;
    })
    .await;
    add_person(&system, "mina@advocacy.example", &["manager"], &[], pb::Language::En).await;
    let mina = Visitor::new(&system);
    mina.sign_in("mina@advocacy.example", PASSWORD).await;
    let page = mina.get("/report?period=2026").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let deadlines = page.body.find("id=\"deadlines\"").expect("the deadlines section");
    assert!(page.body[deadlines..].contains("This section is unavailable right now"), "{}", &page.body[deadlines..]);
    assert!(
        page.body.contains("Governments briefed") && page.body.contains("Amendments proposed"),
        "the rest is there"
    );
    system.finish().await;
}

#[tokio::test]
async fn a_calendar_subscription_shows_what_its_person_may_see_and_stops_when_revoked() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let mut deadlines = system.deadlines_as(&Person::sanctions_staff()).await;
    deadlines
        .create_deadline(advocacy_tests::new_deadline("c-1", "UPR report", "2027-03-01T12:00"))
        .await
        .expect("made");
    let mut secret = advocacy_tests::new_deadline("c-2", "Sanctions package", "2027-03-02T12:00");
    secret.classification = Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        compartments: vec![],
    });
    deadlines.create_deadline(secret).await.expect("made");

    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let page = ana.get("/calendar").await;
    assert!(page.body.contains("You have no subscription address."), "{}", page.body);
    let made = ana.post("/calendar", &[("csrf", &page.hidden("csrf"))]).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let address = &made.calendar_address();
    assert!(address.ends_with(".ics") && address.len() > 50, "{address}");

    // A calendar program fetches it with no session at all.
    let program = Visitor::new(&system);
    let feed = program.get(address).await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(feed.body.starts_with("BEGIN:VCALENDAR") && feed.body.contains("UPR report"), "{}", feed.body);
    assert!(!feed.body.contains("Sanctions package"), "only what ana may see");
    assert!(ana.get("/calendar").await.body.contains("Your subscription address works"));
    assert_eq!(program.get("/calendar/feed/not-a-secret.ics").await.status, 404);

    // Even the compartment's own people get no restricted record in a feed: its address
    // leaves the organisation, to the calendar provider.
    add_person(&system, "sam@advocacy.example", &["staff"], &["sanctions"], pb::Language::En).await;
    let sam = Visitor::new(&system);
    sam.sign_in("sam@advocacy.example", PASSWORD).await;
    assert!(sam.get("/deadlines").await.body.contains("Sanctions package"), "sam sees it on the page");
    let page = sam.get("/calendar").await;
    let made = sam.post("/calendar", &[("csrf", &page.hidden("csrf"))]).await;
    let sams = &made.calendar_address();
    let feed = program.get(sams).await;
    assert!(feed.body.contains("UPR report") && !feed.body.contains("Sanctions package"), "{}", feed.body);

    let page = ana.get("/calendar").await;
    assert_eq!(ana.post("/calendar/revoke", &[]).await.status, 403, "revoking needs the form's token");
    assert_eq!(program.get(address).await.status, 200, "still works");
    let revoked = ana.post("/calendar/revoke", &[("csrf", &page.hidden("csrf"))]).await;
    assert_eq!(revoked.status, 200);
    assert_eq!(program.get(address).await.status, 404, "a revoked address shows nothing");

    // A new address replaces the old; disabling the person stops it.
    let page = ana.get("/calendar").await;
    let made = ana.post("/calendar", &[("csrf", &page.hidden("csrf"))]).await;
    let second = made.calendar_address();
    assert_eq!(program.get(&second).await.status, 200);
    let admin = Person::staff().and_admin();
    let mut gateway = system.gateway_as(&admin).await;
    let person = gateway
        .list_accounts(pb::ListPeopleRequest::default())
        .await
        .expect("accounts")
        .into_inner()
        .people
        .into_iter()
        .find(|p| p.email == "ana@advocacy.example")
        .expect("ana");
    gateway
        .update_person(pb::UpdatePersonRequest {
            request_id: "disable-ana".into(),
            email: person.email.clone(),
            expected_version: person.version,
            disabled_change: Some(pb::update_person_request::DisabledChange::Disabled(true)),
            ..Default::default()
        })
        .await
        .expect("disabled");
    assert_eq!(program.get(&second).await.status, 404, "a disabled person's calendar shows nothing");
    assert_eq!(ana.get("/calendar").await.location, "/sign-in", "and their session ends");
    system.finish().await;
}

#[tokio::test]
async fn a_pages_cookie_is_no_api_refresh_token_and_an_api_refresh_token_is_no_cookie() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let cookie = ana.cookie_header();
    let secret =
        cookie.split("; ").find_map(|c| c.strip_prefix("advocacy_session=")).expect("the session cookie").to_owned();
    let refused = system
        .gateway()
        .await
        .refresh(pb::RefreshRequest { refresh_token: secret })
        .await
        .expect_err("a stolen cookie mints no tokens");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert_eq!(ana.get("/deadlines").await.status, 200, "and the page's session lives on");

    let api = system
        .gateway()
        .await
        .sign_in(pb::SignInRequest { email: "ana@advocacy.example".into(), password: PASSWORD.into() })
        .await
        .expect("signed in")
        .into_inner();
    let planted = Visitor::new(&system);
    let page = planted.get_with_cookie("/deadlines", &format!("advocacy_session={}", api.refresh_token)).await;
    assert_eq!(page.location, "/sign-in", "an API refresh token opens no page");
    // Two session cookies (one planted by a sibling site): neither is believed.
    let page = planted.get_with_cookie("/deadlines", &format!("{cookie}; advocacy_session=planted")).await;
    assert_eq!(page.location, "/sign-in");
    // A form posted from another site is refused even with the right token.
    let form = ana.get("/calendar").await;
    let forged = ana.post_from("https://elsewhere.example", "/calendar", &[("csrf", &form.hidden("csrf"))]).await;
    assert_eq!(forged.status, 403);
    system.finish().await;
}

#[tokio::test]
async fn staff_add_move_and_complete_a_deadline_in_the_bodys_zone_with_theirs_beside_it() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let page = ana.get("/deadlines").await;
    let added = ana
        .post(
            "/deadlines",
            &[
                ("csrf", &page.hidden("csrf")),
                ("request_id", &page.hidden("request_id")),
                ("title", "UPR stakeholder report"),
                ("mechanism", "UPR"),
                ("kind", "upr_stakeholder_submission"),
                ("due", "2027-03-29T12:00"),
                ("zone", "America/New_York"),
            ],
        )
        .await;
    assert_eq!((added.status, added.location.as_str()), (303, "/deadlines"), "{}", added.body);
    let page = ana.get("/deadlines").await;
    // Ana's zone is Zurich: both are on summer time by 29 March, so noon in New York is
    // 18:00 there.
    let (body, mine) =
        ("Monday 29 March 2027, 12:00 (America&#x2f;New_York)", "Monday 29 March 2027, 18:00 (Europe&#x2f;Zurich)");
    assert!(page.body.contains(body) && page.body.contains(mine), "{}", page.body);
    let mut deadlines = system.deadlines_as(&Person::staff()).await;
    let listed = deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("listed").into_inner();
    let d = &listed.deadlines[0];
    let csrf = page.hidden("csrf");
    let moved = ana
        .post(
            &format!("/deadlines/{}/move", d.id),
            &[
                ("csrf", &csrf),
                ("request_id", "move-1"),
                ("version", &d.version.to_string()),
                ("zone", "America/New_York"),
                ("due", "2027-04-02T12:00"),
                ("reason", "cut-off extended"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let d = deadlines.get_deadline(pb::GetDeadlineRequest { id: d.id.clone() }).await.expect("got").into_inner();
    assert_eq!(d.due_local, "2027-04-02T12:00:00-04:00", "moved in the body's zone");
    let done = ana
        .post(
            &format!("/deadlines/{}/complete", d.id),
            &[("csrf", &csrf), ("request_id", "complete-1"), ("version", &d.version.to_string())],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let d = deadlines.get_deadline(pb::GetDeadlineRequest { id: d.id.clone() }).await.expect("got").into_inner();
    assert_eq!(d.status(), pb::DeadlineStatus::Completed);
    assert!(ana.get("/deadlines").await.body.contains("No open deadlines."));
    system.finish().await;
}

#[tokio::test]
async fn a_manager_freezes_the_report_and_later_sees_what_moved_since() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    add_person(&system, "mina@advocacy.example", &["manager"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    assert_eq!(post(&ana, "/briefings/new", &briefing_form(&ana, &[]).await).await.status, 303);

    let mina = Visitor::new(&system);
    mina.sign_in("mina@advocacy.example", PASSWORD).await;
    let dashboard = mina.get("/report?period=2026").await;
    let frozen = mina
        .post(
            "/report/frozen",
            &[
                ("csrf", &dashboard.hidden("csrf")),
                ("request_id", &dashboard.hidden("request_id")),
                ("period", "2026"),
                ("reason", "2026 report to the board"),
            ],
        )
        .await;
    assert_eq!(frozen.status, 303, "{}", frozen.body);
    let compared = mina.get(&frozen.location).await;
    assert!(compared.body.contains("No figure has moved since it was frozen."), "{}", compared.body);

    let later =
        briefing_form(&ana, &[("at", "2026-05-04T10:00"), ("follow_up_action", ""), ("follow_up_due", "")]).await;
    assert_eq!(post(&ana, "/briefings/new", &later).await.status, 303);
    let compared = mina.get(&frozen.location).await;
    let table = &compared.body[compared.body.find("id=\"changes\"").expect("what moved")..];
    assert!(table.contains("<td>Briefings</td><td>1</td><td>2</td><td>1</td><td>0</td>"), "{table}");
    let listed = mina.get("/report/frozen").await;
    assert!(listed.body.contains("2026 report to the board"), "{}", listed.body);
    // Staff may read frozen reports, not freeze them.
    let refused =
        ana.post("/report/frozen", &[("csrf", &ana.get("/deadlines").await.hidden("csrf")), ("period", "2026")]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    system.finish().await;
}

#[tokio::test]
async fn staff_record_a_submission_and_its_status_changes_through_the_pages() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let page = ana.get("/submissions").await;
    assert!(page.body.contains("No submissions yet."), "{}", page.body);
    let fields = |country: &'static str, words: &'static str| {
        vec![
            ("csrf", page.hidden("csrf")),
            ("request_id", page.hidden("request_id")),
            ("title", "UPR stakeholder report: the penal system".to_owned()),
            ("mechanism", "UPR".to_owned()),
            ("kind", "upr_stakeholder_report".to_owned()),
            ("country", country.to_owned()),
            ("word_count", words.to_owned()),
            ("themes", "Penal system".to_owned()),
        ]
    };
    let as_pairs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>();
    let bad = post(&ana, "/submissions", &as_pairs(&fields("ZZ", "2500"))).await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("id=\"new-country-error\""), "{}", bad.body);
    let words = post(&ana, "/submissions", &as_pairs(&fields("KP", "many"))).await;
    assert!(words.body.contains("id=\"new-word_count-error\""), "{}", words.body);
    assert_eq!(system.numbers("submissions", &["SELECT COUNT(*) FROM submissions"]).await, [0]);

    let made = post(&ana, "/submissions", &as_pairs(&fields("KP", "2500"))).await;
    assert_eq!((made.status, made.location.as_str()), (303, "/submissions"), "{}", made.body);
    let mut submissions = system.submissions_as(&Person::staff()).await;
    let listed =
        submissions.list_submissions(pb::ListSubmissionsRequest::default()).await.expect("listed").into_inner();
    let s = &listed.submissions[0];
    assert_eq!(s.status(), pb::SubmissionStatus::Draft);
    let page = ana.get("/submissions").await;
    let sent = ana
        .post(
            &format!("/submissions/{}/status", s.id),
            &[
                ("csrf", &page.hidden("csrf")),
                ("request_id", "status-1"),
                ("version", &s.version.to_string()),
                ("status", "submitted"),
                ("note", "sent to the OHCHR portal"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = ana.get("/submissions").await;
    assert!(page.body.contains("<td>Submitted<details>"), "{}", page.body);
    assert!(page.body.contains("Draft, ") && page.body.contains("Submitted, "), "the history: {}", page.body);
    system.finish().await;
}

#[tokio::test]
async fn staff_propose_an_amendment_record_its_outcome_and_see_which_words_were_kept() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let resolution = system
        .submissions_as(&Person::staff())
        .await
        .create_resolution(pb::CreateResolutionRequest {
            request_id: "r-1".into(),
            body: "UN-HRC".into(),
            session: "HRC 58".into(),
            title: "Situation of human rights in the Democratic People's Republic of Korea".into(),
            symbol: "A/HRC/58/L.21".into(),
        })
        .await
        .expect("a resolution")
        .into_inner();
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let page = ana.get("/amendments").await;
    assert!(page.body.contains("A&#x2f;HRC&#x2f;58&#x2f;L.21"), "the resolution is offered: {}", page.body);
    let propose = |number: &'static str| {
        vec![
            ("csrf".to_owned(), page.hidden("csrf")),
            ("request_id".to_owned(), page.hidden("request_id")),
            ("resolution_id".to_owned(), resolution.id.clone()),
            ("paragraph_kind".to_owned(), "operative".to_owned()),
            ("paragraph_number".to_owned(), number.to_owned()),
            ("proposed_text".to_owned(), "Calls for the immediate release of all political prisoners".to_owned()),
            ("lobbied".to_owned(), "CH, KR".to_owned()),
        ]
    };
    let bad = post(&ana, "/amendments", &propose("first")).await;
    assert!(bad.body.contains("id=\"new-paragraph_number-error\""), "{}", bad.body);
    let made = post(&ana, "/amendments", &propose("4")).await;
    assert_eq!((made.status, made.location.as_str()), (303, "/amendments"), "{}", made.body);
    let listed = system
        .submissions_as(&Person::staff())
        .await
        .list_amendments(pb::ListAmendmentsRequest::default())
        .await
        .expect("listed")
        .into_inner();
    let a = &listed.amendments[0];
    let page = ana.get("/amendments").await;
    let recorded = ana
        .post(
            &format!("/amendments/{}/outcome", a.id),
            &[
                ("csrf", &page.hidden("csrf")),
                ("request_id", "outcome-1"),
                ("version", &a.version.to_string()),
                ("status", "adopted_in_part"),
                ("adopted_text", "Calls for the release of political prisoners"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let page = ana.get("/amendments").await;
    assert!(page.body.contains("<del title=\"ours, not adopted\">"), "{}", page.body);
    assert!(page.body.contains("immediate"), "the dropped words are shown");
    assert!(page.body.contains("of our 9 words kept"), "{}", page.body);
    system.finish().await;
}

#[tokio::test]
async fn the_mailbox_page_shows_the_reminders_written_to_the_visitor_and_no_one_elses() {
    let system = TestSystem::spawn_embedded().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    add_person(&system, "omar@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let mut deadlines = system.deadlines().await;
    // Due within the hour: each 2-hour reminder goes to the mailbox at once.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(50)).format("%Y-%m-%dT%H:%M").to_string();
    for (n, (owner, title)) in
        [("ana@advocacy.example", "Urgent appeal on detention"), ("omar@advocacy.example", "Omar's treaty body list")]
            .into_iter()
            .enumerate()
    {
        let mut request = advocacy_tests::new_deadline(&format!("m-{n}"), title, &soon);
        request.due = Some(advocacy_tests::local_time(&soon, "UTC"));
        request.owners = vec![owner.into()];
        deadlines.create_deadline(request).await.expect("a deadline");
    }
    let mailbox = system.config.data_dir.join("mailbox");
    let written = advocacy_tests::eventually(10, || {
        let mailbox = mailbox.clone();
        async move { (advocacy_platform::mailbox::messages(&mailbox).ok()?.len() == 2).then_some(()) }
    })
    .await;
    assert!(written.is_some(), "both reminders are in the mailbox");
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let page = ana.get("/mailbox").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Urgent appeal on detention"), "{}", page.body);
    assert!(!page.body.contains("treaty body list"), "omar's reminder is his: {}", page.body);
    // An admin's roles open no one else's mail.
    add_person(&system, "root@advocacy.example", &["admin", "staff"], &[], pb::Language::En).await;
    let root = Visitor::new(&system);
    root.sign_in("root@advocacy.example", PASSWORD).await;
    let page = root.get("/mailbox").await;
    assert!(page.body.contains("No reminder has been written to you yet."), "{}", page.body);
    system.finish().await;
}

#[tokio::test]
async fn contacts_are_offered_in_the_briefing_form_only_to_those_holding_the_contacts_compartment() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    let keeper = Person {
        email: "keeper@advocacy.example",
        roles: vec![advocacy_platform::Role::Staff],
        compartments: vec!["contacts".into()],
    };
    let mut briefings = system.briefings_as(&keeper).await;
    let institutions =
        briefings.list_institutions(pb::ListInstitutionsRequest::default()).await.expect("listed").into_inner();
    let contact = briefings
        .create_contact(pb::CreateContactRequest {
            request_id: "c-1".into(),
            institution_id: institutions.institutions[0].id.clone(),
            name: "Anna Keller".into(),
            role: "Human rights counsellor".into(),
            email: "a.keller@example.ch".into(),
            ..Default::default()
        })
        .await
        .expect("a contact")
        .into_inner();
    add_person(&system, "ana@advocacy.example", &["staff"], &["contacts"], pb::Language::En).await;
    add_person(&system, "omar@advocacy.example", &["staff"], &[], pb::Language::En).await;

    let omar = Visitor::new(&system);
    omar.sign_in("omar@advocacy.example", PASSWORD).await;
    let mut asked = briefing_form(&omar, &[]).await;
    asked.push(("show_contacts".into(), "1".into()));
    let page = post(&omar, "/briefings/new", &asked).await;
    assert!(page.body.contains("id=\"contacts-error\"") && !page.body.contains("Anna Keller"), "{}", page.body);

    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let mut asked = briefing_form(&ana, &[]).await;
    asked.push(("show_contacts".into(), "1".into()));
    let page = post(&ana, "/briefings/new", &asked).await;
    assert!(page.body.contains("Anna Keller, Human rights counsellor"), "{}", page.body);
    assert_eq!(briefings_stored(&system).await, 0, "showing contacts logs nothing");
    let mut logged = asked.clone();
    logged.retain(|(k, _)| k != "show_contacts");
    logged.push(("contact_ids".into(), contact.id.clone()));
    assert_eq!(post(&ana, "/briefings/new", &logged).await.status, 303);
    let listed = system
        .briefings_as(&keeper)
        .await
        .list_briefings(pb::ListBriefingsRequest::default())
        .await
        .expect("listed")
        .into_inner();
    let present: Vec<&str> = listed.briefings[0].contacts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(present, [contact.id.as_str()], "the ticked contact was present");
    system.finish().await;
}

#[tokio::test]
async fn the_deadlines_page_lists_the_visitors_own_first_and_everyone_elses_a_page_at_a_time() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let mut deadlines = system.deadlines_as(&Person::staff()).await;
    for n in 0..60 {
        let mut request =
            advocacy_tests::new_deadline(&format!("o-{n}"), &format!("Others' deadline {n:02}"), "2027-01-10T12:00");
        request.owners = vec!["omar@advocacy.example".into()];
        deadlines.create_deadline(request).await.expect("made");
    }
    let mut mine = advocacy_tests::new_deadline("mine", "Ana's own deadline", "2027-06-01T12:00");
    mine.owners = vec!["ana@advocacy.example".into()];
    deadlines.create_deadline(mine).await.expect("made");

    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let first = ana.get("/deadlines").await;
    let own =
        first.body.find("Ana&#x27;s own deadline").or_else(|| first.body.find("Ana's own deadline")).expect("hers");
    let others =
        first.body.find("Others&#x27; deadline").or_else(|| first.body.find("Others' deadline")).expect("theirs");
    assert!(own < others, "hers comes first though it is due last");
    let shown = first.body.matches("deadline 0").count()
        + first.body.matches("deadline 1").count()
        + first.body.matches("deadline 2").count()
        + first.body.matches("deadline 3").count()
        + first.body.matches("deadline 4").count();
    assert_eq!(shown, 50, "one page of others");
    let start =
        first.body.find("rel=\"next\"").map(|_| first.body.find("href=\"&#x2f;deadlines?page=").expect("a next link"));
    let start = start.expect("a next page");
    let href = &first.body[start + 6..];
    let href = href[..href.find('"').expect("closed")].replace("&#x2f;", "/").replace("&amp;", "&");
    let second = ana.get(&href).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.body.contains("deadline 5"), "the rest");
    assert!(!second.body.contains("Ana"), "hers only on the first page");
    system.finish().await;
}

#[tokio::test]
async fn the_sign_in_form_is_held_to_the_gateways_limit_on_guessing() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let guesser = Visitor::new(&system);
    let mut codes = Vec::new();
    for n in 0..7 {
        let form = guesser.get("/sign-in").await;
        let token = form.hidden("form_token");
        let wrong = format!("guess number {n}");
        let answer = guesser
            .post("/sign-in", &[("form_token", &token), ("email", "ana@advocacy.example"), ("password", &wrong)])
            .await;
        codes.push(answer.status);
    }
    assert_eq!(codes, [401, 401, 401, 401, 401, 429, 429], "five failures per account, then refused");
    let form = guesser.get("/sign-in").await;
    let token = form.hidden("form_token");
    let right = guesser
        .post("/sign-in", &[("form_token", &token), ("email", "ana@advocacy.example"), ("password", PASSWORD)])
        .await;
    assert_eq!(right.status, 429, "even the right password waits for the window to move on");
    assert!(right.body.contains("too many failed sign-ins"), "{}", right.body);
    system.finish().await;
}

/// `rows` past briefings with two institutions; the row on `bad_line` has no such zone.
fn briefings_csv(rows: usize, bad_line: Option<usize>) -> String {
    let mut csv = String::from("date,zone,format,actor,institution,institution_kind,summary\n");
    for i in 0..rows {
        let line = i + 2;
        let zone = if Some(line) == bad_line { "Europe/Atlantis" } else { "Europe/Zurich" };
        let (actor, name, kind) =
            if i % 2 == 0 { ("CH", "Mission of Switzerland", "mission") } else { ("KR", "Ministry", "ministry") };
        csv.push_str(&format!(
            "2019-{:02}-{:02} 10:00,{zone},in-person,{actor},{name},{kind},Briefing {i}\n",
            1 + i % 12,
            1 + i % 28
        ));
    }
    csv
}

/// The import's page once the import is done (the page reloads itself until then).
async fn import_finished(visitor: &Visitor, page: &str) -> advocacy_tests::web::Page {
    for _ in 0..600 {
        let shown = visitor.get(page).await;
        assert_eq!(shown.status, 200, "{}", shown.body);
        if !shown.body.contains("http-equiv=\"refresh\"") {
            return shown;
        }
        assert!(shown.body.contains("<progress"), "a running import shows its progress: {}", shown.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import at {page} did not finish");
}

#[tokio::test]
async fn staff_import_a_spreadsheet_through_the_pages_whole_or_not_at_all_and_follow_it_to_the_end() {
    let system = TestSystem::spawn().await;
    add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    add_person(&system, "ben@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let ana = Visitor::new(&system);
    ana.sign_in("ana@advocacy.example", PASSWORD).await;
    let form = ana.get("/imports").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("institution_kind"), "each kind's columns are shown: {}", form.body);
    let csrf = form.hidden("csrf");
    let fields = [("csrf", csrf.as_str()), ("kind", "briefings")];

    // One bad row: every problem by line and column, and nothing written.
    let started =
        ana.post_file("/imports", &fields, "briefings 2019.csv", briefings_csv(2_000, Some(1_201)).as_bytes()).await;
    assert_eq!(started.status, 303, "{}", started.body);
    assert!(started.location.starts_with("/imports/"), "{}", started.location);
    let refused = import_finished(&ana, &started.location).await;
    assert!(refused.body.contains("1 problems; nothing was imported."), "{}", refused.body);
    let listed = refused.body.replace("&#x2f;", "/");
    assert!(listed.contains("line 1201, column zone: Europe/Atlantis is not an IANA time zone"), "{listed}");
    assert_eq!(briefings_stored(&system).await, 0);

    let good = briefings_csv(2_000, None);
    let started = ana.post_file("/imports", &fields, "briefings 2019.csv", good.as_bytes()).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let done = import_finished(&ana, &started.location).await;
    assert!(
        done.body
            .contains("Imported 2,000 records from 2,000 rows (0 imported before); institutions: 0 matched, 2 created"),
        "{}",
        done.body
    );
    assert!(done.body.contains("was read as permanent-mission"), "a word read as another is said: {}", done.body);
    assert_eq!(briefings_stored(&system).await, 2_000);

    let again = ana.post_file("/imports", &fields, "briefings 2019.csv", good.as_bytes()).await;
    let again = import_finished(&ana, &again.location).await;
    assert!(again.body.contains("Imported 0 records from 2,000 rows (2,000 imported before)"), "{}", again.body);
    assert_eq!(briefings_stored(&system).await, 2_000, "the same file adds nothing");

    let listed = ana.get("/imports").await;
    assert_eq!(listed.body.matches("briefings 2019.csv").count(), 3, "Ana's imports are listed: {}", listed.body);

    // Another person finds neither the import nor its list.
    let ben = Visitor::new(&system);
    ben.sign_in("ben@advocacy.example", PASSWORD).await;
    assert_eq!(ben.get(&started.location).await.status, 404);
    assert!(!ben.get("/imports").await.body.contains("briefings 2019.csv"));

    // A wrong header row is said beside the file field; a post without the page's CSRF
    // token, or without a file, changes nothing.
    let header = ana.post_file("/imports", &fields, "x.csv", b"date,zone\n2019-01-01 10:00,UTC\n").await;
    assert_eq!(header.status, 400);
    assert!(header.body.contains("id=\"file-error\""), "{}", header.body);
    assert!(header.body.contains("the header row needs the columns format, actor"), "{}", header.body);
    let forged = ana.post_file("/imports", &[("kind", "briefings")], "x.csv", briefings_csv(5, None).as_bytes()).await;
    assert_eq!(forged.status, 403);
    let empty = ana.post_file("/imports", &fields, "", b"").await;
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("Choose a CSV file."), "{}", empty.body);
    let unknown = ana.post_file("/imports", &[("csrf", &csrf), ("kind", "spells")], "x.csv", b"a\n").await;
    assert!(unknown.status == 400 && unknown.body.contains("id=\"kind-error\""), "{}", unknown.body);
    assert_eq!(briefings_stored(&system).await, 2_000);
    system.finish().await;
}
