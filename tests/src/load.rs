//! A local load generator for the benchmarks: keep-alive HTTP/1.1 clients on threads of
//! their own, and the rate and latency percentiles of what they measured.

use std::time::{Duration, Instant};

/// Requests per second and latency percentiles of one load run.
#[derive(Debug)]
pub struct Load {
    pub rate: f64,
    clients: usize,
    latencies: Vec<Duration>,
}

impl Load {
    pub fn new(mut latencies: Vec<Duration>, elapsed: Duration, clients: usize) -> Load {
        latencies.sort();
        Load { rate: latencies.len() as f64 / elapsed.as_secs_f64(), clients, latencies }
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i]
    }

    pub fn print(&self, what: &str) {
        println!(
            "{what}: {} clients, {} requests, {:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
            self.clients,
            self.latencies.len(),
            self.rate,
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
        );
    }
}

/// `clients` threads, each a keep-alive HTTP client asking `url` with `headers` for `how_long`;
/// every answer must be 200 and contain `expect`.
pub fn http_load(url: &str, headers: &[(String, String)], expect: &str, clients: usize, how_long: Duration) -> Load {
    let until = Instant::now() + how_long;
    let start = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
                    let mut latencies = Vec::new();
                    while Instant::now() < until {
                        let sent = Instant::now();
                        let mut request = agent.get(url);
                        for (name, value) in headers {
                            request = request.header(name, value);
                        }
                        let mut answer = request.call().expect("an answer");
                        let body = answer.body_mut().read_to_string().expect("a body");
                        assert!(body.contains(expect), "{url} answered {body}");
                        latencies.push(sent.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().expect("client")).collect::<Vec<_>>()
    });
    Load::new(latencies, start.elapsed(), clients)
}
