//! A real SMTP server inside the test process, on a local port: it speaks enough of RFC
//! 5321 for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message it
//! accepts, and can be told to refuse for a while (4xx), refuse for good (5xx), answer
//! slowly, or go down and come back on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How the server answers the end of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// 451: try again later.
    TryLater,
    /// 550: never.
    Refuse,
}

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, with CRLF line ends.
    pub raw: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(&self.raw).expect("a message that parses")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

#[derive(Debug)]
struct Shared {
    answer: Answer,
    delay: Duration,
    accepted: Vec<Received>,
    /// Messages answered with something other than 250.
    refused: usize,
    /// Connections open now, the most that were open at once, and all ever accepted.
    open: usize,
    most_open: usize,
    connections: usize,
    /// Who waits for how many messages: told the moment that many are in, so a
    /// benchmark's clock stops when the last message arrives, not at its next look.
    waiting: Vec<(usize, oneshot::Sender<()>)>,
}

/// Counts a connection as open while it lives.
struct OpenConnection(Arc<Mutex<Shared>>);

impl OpenConnection {
    fn new(shared: &Arc<Mutex<Shared>>) -> OpenConnection {
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        s.open += 1;
        s.connections += 1;
        s.most_open = s.most_open.max(s.open);
        OpenConnection(shared.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
    }
}

#[derive(Debug)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    running: Option<JoinHandle<()>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("an address");
        let shared = Arc::new(Mutex::new(Shared {
            answer: Answer::Accept,
            delay: Duration::ZERO,
            accepted: vec![],
            refused: 0,
            open: 0,
            most_open: 0,
            connections: 0,
            waiting: Vec::new(),
        }));
        let running = Some(tokio::spawn(serve(listener, shared.clone())));
        SmtpServer { addr, shared, running }
    }

    /// The notifier's `[mail.smtp]` for this server.
    pub fn config(&self) -> advocacy_platform::config::SmtpConfig {
        advocacy_platform::config::SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.addr.port(),
            security: advocacy_platform::config::SmtpSecurity::None,
            timeout_secs: 30,
            ..Default::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn answer(&self, answer: Answer) {
        self.lock().answer = answer;
    }

    /// Waits this long before answering each message, so a test can stop a sender mid-batch.
    pub fn delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// Closes the port and every open connection: the server is down.
    pub fn stop(&mut self) {
        if let Some(task) = self.running.take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&mut self) {
        self.stop();
        let listener = TcpListener::bind(self.addr).await.expect("the same port again");
        self.running = Some(tokio::spawn(serve(listener, self.shared.clone())));
    }

    pub fn received(&self) -> Vec<Received> {
        self.lock().accepted.clone()
    }

    /// Every message accepted so far, leaving none behind.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut self.lock().accepted)
    }

    pub fn count(&self) -> usize {
        self.lock().accepted.len()
    }

    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    /// The most connections that were open at once.
    pub fn most_connections(&self) -> usize {
        self.lock().most_open
    }

    /// Every connection accepted so far.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// Waits (up to `seconds`) until at least `count` messages were accepted; all of them.
    pub async fn wait_for(&self, count: usize, seconds: u64) -> Vec<Received> {
        self.wait_for_count(count, seconds).await;
        self.received()
    }

    /// Waits (up to `seconds`) until at least `count` messages were accepted; how many
    /// were, without copying them (a benchmark's clock is running).
    pub async fn wait_for_count(&self, count: usize, seconds: u64) -> usize {
        let arrived = {
            let mut s = self.lock();
            if s.accepted.len() >= count {
                return s.accepted.len();
            }
            let (tell, arrived) = oneshot::channel();
            s.waiting.push((count, tell));
            arrived
        };
        let _ = tokio::time::timeout(Duration::from_secs(seconds), arrived).await;
        self.count()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        connections.spawn(converse(stream, shared.clone()));
        // Finished conversations are reaped as new ones come; aborting `serve` ends the rest.
        while connections.try_join_next().is_some() {}
    }
}

async fn converse(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let _open = OpenConnection::new(&shared);
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    // Linux turns quick acknowledgements off again as it sees fit: ask after every read.
    let quick = |read: &tokio::net::tcp::OwnedReadHalf| {
        let _ = socket2::SockRef::from(read.as_ref()).set_tcp_quickack(true);
    };
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 test.smtp ESMTP ready\r\n").await.is_err() {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => quick(lines.get_ref()),
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-test.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_owned();
            to.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().to_owned());
            "250 OK\r\n".into()
        } else if upper == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut raw = Vec::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => quick(lines.get_ref()),
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                raw.extend_from_slice(unstuffed.as_bytes());
            }
            let delay = shared.lock().unwrap_or_else(|p| p.into_inner()).delay;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
            match s.answer {
                Answer::Accept => {
                    s.accepted.push(Received { from: from.clone(), to: to.clone(), raw });
                    let count = s.accepted.len();
                    for (_, tell) in s.waiting.extract_if(.., |(wanted, _)| *wanted <= count) {
                        let _ = tell.send(());
                    }
                    "250 2.0.0 queued\r\n".into()
                }
                Answer::TryLater => {
                    s.refused += 1;
                    "451 4.3.0 mailbox busy, try again later\r\n".into()
                }
                Answer::Refuse => {
                    s.refused += 1;
                    "550 5.1.1 no such mailbox here\r\n".into()
                }
            }
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            "250 OK\r\n".into()
        } else {
            "502 command not implemented\r\n".into()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// How often each message arrived, by its Message-ID (a reminder sent twice counts 2).
pub fn by_message_id(received: &[Received]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for m in received {
        let id = m.parsed().message_id().expect("a Message-ID").to_owned();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}
