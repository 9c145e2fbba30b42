//! Start-up benchmark of the real `advocacy serve` process on SQLite: time from spawn to
//! healthy (against spawning `advocacy --version`, the cost of starting any process, in
//! the same run), idle memory, and time to stop on SIGTERM.
//!   cargo bench -p advocacy --bench startup

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const BIN: &str = env!("CARGO_BIN_EXE_advocacy");
const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let mut baseline = Duration::ZERO;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let status = Command::new(BIN).arg("--version").stdout(Stdio::null()).status().expect("run");
        assert!(status.success());
        baseline += start.elapsed();
    }
    let baseline = baseline / ROUNDS as u32;

    let data = tempfile::tempdir().expect("tempdir");
    let (mut first, mut warm, mut stop) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut rss_kib = 0;
    for round in 0..ROUNDS {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let start = Instant::now();
        let mut child = Command::new(BIN)
            .arg("serve")
            .env("ADVOCACY_DATA_DIR", data.path())
            .env("ADVOCACY_GRPC_LISTEN", format!("127.0.0.1:{port}"))
            .env("ADVOCACY_LOG", "warn")
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn advocacy serve");
        wait_healthy(port).await;
        let took = start.elapsed();
        if round == 0 {
            first = took
        } else {
            warm += took
        }
        if round == ROUNDS - 1 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            rss_kib = resident_kib(child.id());
        }
        let start = Instant::now();
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
        child.wait().expect("exit");
        stop += start.elapsed();
    }
    let warm = warm / (ROUNDS as u32 - 1);
    let stop = stop / ROUNDS as u32;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("process start baseline (advocacy --version): {:.1} ms", ms(baseline));
    println!(
        "start to healthy, new data dir (migrations): {:.1} ms ({:.1}x baseline) {}",
        ms(first),
        ms(first) / ms(baseline),
        if first < Duration::from_millis(500) { "met: < 500 ms" } else { "MISSED: target < 500 ms" }
    );
    println!(
        "start to healthy, existing data: {:.1} ms ({:.1}x baseline) {}",
        ms(warm),
        ms(warm) / ms(baseline),
        if warm < Duration::from_millis(500) { "met: < 500 ms" } else { "MISSED: target < 500 ms" }
    );
    println!(
        "idle resident memory: {:.1} MiB {}",
        rss_kib as f64 / 1024.0,
        if rss_kib <= 30 * 1024 { "met: <= 30 MB" } else { "MISSED: target <= 30 MB" }
    );
    println!("SIGTERM to exit (idle): {:.1} ms", ms(stop));
}

async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "advocacy serve did not become healthy in 20 s");
        if let Ok(channel) =
            tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}")).expect("url").connect().await
        {
            let check = HealthClient::new(channel)
                .check(HealthCheckRequest { service: "advocacy.v1.DeadlinesService".into() })
                .await;
            if check.is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
