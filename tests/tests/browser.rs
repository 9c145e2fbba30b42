//! The web pages in a real browser: headless Chromium driven through chromedriver. These
//! need `chromium` and `chromium-driver` (Debian's packages), so they are run by `.ci/run`
//! (`cargo test -p advocacy-tests --test browser -- --ignored`) rather than by a plain
//! `cargo test`. Screenshots of the dashboard and the briefing form are written to
//! `$ADVOCACY_SCREENSHOTS` (a temporary folder otherwise), and the path is printed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use advocacy_tests::web::{PASSWORD, add_person, swiss_mission};
use advocacy_tests::{TestSystem, pb};

/// chromedriver on a port of its own, stopped with the test.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let child = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts (apt-get install chromium chromium-driver)");
    // Held from here, so a failure below still stops it.
    let driver = Driver { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    // CI runs as root in a container, where Chromium's sandbox cannot start; the browser
    // only ever loads this test's own pages.
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1600",
        "--lang=en-GB",
    ];
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    caps.insert("goog:chromeOptions".into(), json!({ "args": args, "binary": binary }));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

fn screenshots() -> PathBuf {
    let dir = std::env::var("ADVOCACY_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("advocacy-screenshots"));
    std::fs::create_dir_all(&dir).expect("a screenshots folder");
    dir
}

async fn keep_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    let path = screenshots().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("the screenshot is written");
    println!("screenshot: {}", path.display());
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect(css)
}

async fn fill(client: &Client, id: &str, value: &str) {
    let input = client.find(Locator::Id(id)).await.unwrap_or_else(|_| panic!("#{id}"));
    input.clear().await.expect("cleared");
    input.send_keys(value).await.expect("typed");
}

/// Sets a date-and-time input (its picker takes keys in the browser's locale order).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute("document.getElementById(arguments[0]).value = arguments[1];", vec![json!(id), json!(value)])
        .await
        .expect("value set");
}

async fn sign_in(client: &Client, system: &TestSystem, email: &str) {
    client.goto(&format!("{}/sign-in", system.http_url())).await.expect("the sign-in page");
    fill(client, "email", email).await;
    fill(client, "password", PASSWORD).await;
    client.find(Locator::Css("form button[type=submit]")).await.expect("the button").click().await.expect("clicked");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("form[action='/sign-out']"))
        .await
        .expect("signed in");
}

async fn sign_out(client: &Client) {
    let button = client.find(Locator::Css("form[action='/sign-out'] button")).await.expect("sign out");
    button.click().await.expect("clicked");
}

async fn fill_briefing(client: &Client, summary: &str) {
    fill(client, "institution", "Permanent Mission of Switzerland (CH)").await;
    set_value(client, "at", "2026-03-10T10:00").await;
    fill(client, "city", "Geneva").await;
    fill(client, "summary", summary).await;
    fill(client, "follow_up_action", "Send the UPR report").await;
    set_value(client, "follow_up_due", "2026-03-20T17:00").await;
}

async fn submit(client: &Client) {
    client.find(Locator::Css("form.card button.primary")).await.expect("the button").click().await.expect("clicked");
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs these"]
async fn a_person_signs_in_logs_a_briefing_sees_it_counted_opens_the_drill_down_and_signs_out() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "ana@advocacy.example", &["staff", "manager"], &[], pb::Language::En).await;
    let driver = driver().await;
    let client = browser(&driver).await;

    sign_in(&client, &system, "ana@advocacy.example").await;
    client.goto(&format!("{}/briefings/new", system.http_url())).await.expect("the form");
    // A bad field first: its message appears beside it.
    fill_briefing(&client, "Briefed the mission on political prison camps").await;
    fill(&client, "zone", "Mars/Olympus").await;
    submit(&client).await;
    let error = text_of(&client, "#zone-error").await;
    assert!(error.contains("Mars/Olympus is not an IANA time zone"), "{error}");
    assert_eq!(
        client.find(Locator::Id("city")).await.expect("city").prop("value").await.expect("v").as_deref(),
        Some("Geneva")
    );
    fill(&client, "zone", "Europe/Zurich").await;
    set_value(&client, "at", "2026-03-10T10:00").await;
    set_value(&client, "follow_up_due", "2026-03-20T17:00").await;
    keep_screenshot(&client, "briefing-form").await;
    submit(&client).await;
    assert_eq!(text_of(&client, "#logged").await, "The briefing is logged.");

    client.goto(&format!("{}/report?period=2026-03", system.http_url())).await.expect("the dashboard");
    let tile = client
        .find(Locator::XPath("//ul[@class='tiles']//a[contains(., 'Governments briefed')]"))
        .await
        .expect("the figure's tile");
    assert!(tile.text().await.expect("text").starts_with('1'), "counted once");
    keep_screenshot(&client, "dashboard").await;
    tile.click().await.expect("opened");
    let record = text_of(&client, "table tbody tr").await;
    assert!(record.contains("CH: Briefed the mission on political prison camps"), "{record}");

    // On a phone's width nothing runs off the side of the page.
    client.set_window_size(390, 844).await.expect("a phone's width");
    for (page, name) in [("/report?period=2026-03", "dashboard-phone"), ("/briefings/new", "briefing-form-phone")] {
        client.goto(&format!("{}{page}", system.http_url())).await.expect("the page");
        let fits = client
            .execute("return document.documentElement.scrollWidth <= window.innerWidth + 1;", vec![])
            .await
            .expect("measured");
        assert_eq!(fits, json!(true), "{page} fits a phone's width");
        keep_screenshot(&client, name).await;
    }
    client.set_window_size(1280, 1600).await.expect("back to a desktop's");
    client.goto(&format!("{}/report?period=2026-03", system.http_url())).await.expect("the dashboard");
    client
        .find(Locator::XPath("//ul[@class='tiles']//a[contains(., 'Governments briefed')]"))
        .await
        .expect("the figure's tile")
        .click()
        .await
        .expect("opened");
    let record = text_of(&client, "table tbody tr").await;
    assert!(record.contains("CH: Briefed the mission on political prison camps"), "{record}");

    // A spreadsheet of past briefings, chosen with the file input, imported on a page
    // that follows it to the end.
    let file = std::env::temp_dir().join(format!("briefings-{}.csv", std::process::id()));
    let mut csv = String::from("date,zone,format,actor,institution,institution_kind\n");
    for day in 1..=28 {
        csv.push_str(&format!("2019-02-{day:02} 10:00,Europe/Zurich,in-person,CH,Mission of Switzerland,mission\n"));
    }
    std::fs::write(&file, csv).expect("the file is written");
    client.goto(&format!("{}/imports", system.http_url())).await.expect("the imports page");
    client
        .find(Locator::Id("file"))
        .await
        .expect("the file input")
        .send_keys(&file.display().to_string())
        .await
        .expect("chosen");
    client.find(Locator::Css("form.card button.primary")).await.expect("the button").click().await.expect("clicked");
    let imported = text_of(&client, "#imported").await;
    assert!(imported.starts_with("Imported 28 records from 28 rows"), "{imported}");
    keep_screenshot(&client, "import").await;
    std::fs::remove_file(&file).ok();

    sign_out(&client).await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("password"))
        .await
        .expect("the sign-in form");
    client.goto(&format!("{}/report", system.http_url())).await.expect("back");
    assert!(client.current_url().await.expect("url").path().ends_with("/sign-in"), "signed out");
    client.close().await.expect("closed");
    system.finish().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs these"]
async fn script_is_shown_as_text_forms_without_their_token_are_refused_and_korean_pages_read_in_korean() {
    let system = TestSystem::spawn().await;
    swiss_mission(&system).await;
    add_person(&system, "sam@advocacy.example", &["staff"], &["sanctions"], pb::Language::En).await;
    add_person(&system, "jiwoo@advocacy.example", &["staff", "manager"], &[], pb::Language::Ko).await;
    let driver = driver().await;
    let client = browser(&driver).await;

    sign_in(&client, &system, "sam@advocacy.example").await;
    client.goto(&format!("{}/briefings/new", system.http_url())).await.expect("the form");
    let hostile = "<img src=x onerror=\"document.title='owned'\"><script>document.title='owned'</script>";
    fill_briefing(&client, hostile).await;
    client
        .find(Locator::Css("#compartment option[value='sanctions']"))
        .await
        .expect("sam's compartment")
        .click()
        .await
        .expect("chosen");
    submit(&client).await;
    text_of(&client, "#logged").await;
    client.goto(&format!("{}/deadlines", system.http_url())).await.expect("deadlines");
    let csrf_gone = client.find(Locator::Css("form[action='/deadlines']")).await.expect("the add form");
    client
        .execute("document.querySelector(\"form[action='/deadlines'] input[name=csrf]\").remove();", vec![])
        .await
        .expect("removed");
    csrf_gone.find(Locator::Id("new-title")).await.expect("title").send_keys("Forged").await.expect("typed");
    csrf_gone.find(Locator::Css("button.primary")).await.expect("button").click().await.expect("clicked");
    let refused = text_of(&client, "main .error").await;
    assert!(refused.contains("expired"), "{refused}");
    assert_eq!(system.numbers("deadlines", &["SELECT COUNT(*) FROM deadlines WHERE title = 'Forged'"]).await, [0]);
    sign_out(&client).await;

    // Jiwoo reads Korean, and holds no sanctions compartment: sam's briefing is counted as
    // restricted, never shown, and nothing of it runs in the page.
    sign_in(&client, &system, "jiwoo@advocacy.example").await;
    client.goto(&format!("{}/report?period=2026", system.http_url())).await.expect("the dashboard");
    assert_eq!(text_of(&client, "h1").await, "성과 보고서: 2026");
    assert!(text_of(&client, "#briefings").await.contains("표시되지 않은 제한 기록: 1"));
    keep_screenshot(&client, "dashboard-ko").await;
    client.goto(&format!("{}/deadlines", system.http_url())).await.expect("deadlines");
    assert!(!client.source().await.expect("source").contains("Send the UPR report"), "sam's restricted follow-up");
    assert_ne!(client.title().await.expect("title"), "owned");
    client.close().await.expect("closed");

    // Sam sees his own briefing's summary as text, and it ran nothing.
    let client = browser(&driver).await;
    sign_in(&client, &system, "sam@advocacy.example").await;
    add_person(&system, "mina@advocacy.example", &["manager"], &["sanctions"], pb::Language::En).await;
    sign_out(&client).await;
    sign_in(&client, &system, "mina@advocacy.example").await;
    client
        .goto(&format!("{}/report/records?period=2026&figure=briefings.briefings", system.http_url()))
        .await
        .expect("drill-down");
    let row = text_of(&client, "table tbody tr").await;
    assert!(row.contains("<img src=x"), "the markup is shown as text: {row}");
    assert_ne!(client.title().await.expect("title"), "owned", "and did not run");
    client.close().await.expect("closed");
    system.finish().await;
}
