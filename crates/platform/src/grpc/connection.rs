//! An accepted connection: Nagle's algorithm off, and the answers of calls that finish in
//! the same turn of the scheduler sent in one write.
//!
//! HTTP/2 writes a connection's frames as soon as any stream has some, and calls sent
//! together finish one after another in their own tasks, so each answer cost a system
//! call and a wake-up of the client. Here a flush is answered at once and the connection's
//! task asked to run again; the next read of the socket marks its next turn (h2 reads
//! before it writes on every poll), and the flush after it writes the frames gathered
//! since in one write. When hyper polls the connection twice in one turn (after it took
//! a new call), the second look counts as the next turn and writes sooner: less
//! gathered, never less sent.
//!
//! This answers a flush before the bytes are written, which holds only because h2 (0.4)
//! flushes on every poll after reading, and closes through `poll_shutdown`, which writes
//! everything held. An h2 upgrade must be read against that: if it stopped holding, the
//! gRPC tests' calls and streams would wait for answers that never leave.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Bytes held before they are written, whatever the turn: one HTTP/2 write buffer and a
/// full frame fit several times over.
const HELD_AT_MOST: usize = 64 * 1024;
/// The buffer a connection starts with.
const FIRST_CAPACITY: usize = 16 * 1024;
/// The buffer kept between writes: room for the bound and one more write, so a
/// connection answering pages of 10 KB or more does not grow a buffer again for every
/// batch (measured: 2-3% of a ListDeadlines page). A larger one is given back.
const KEPT_CAPACITY: usize = 128 * 1024;

pub(super) struct Connection {
    stream: TcpStream,
    held: Vec<u8>,
    /// Of `held`, what is written already.
    sent: usize,
    /// A flush was answered without writing, and the task woken to write on its next turn.
    deferred: bool,
    /// The socket was read since: the connection's next turn has begun.
    read_since: bool,
}

impl Connection {
    pub(super) fn accepted(stream: TcpStream) -> io::Result<Connection> {
        // Without this, every answer that spans several packets waits for the client's
        // delayed ACK (about 40 ms). tonic ignores its own `tcp_nodelay` for a listener
        // handed to it.
        stream.set_nodelay(true)?;
        Ok(Connection { stream, held: Vec::with_capacity(FIRST_CAPACITY), sent: 0, deferred: false, read_since: false })
    }

    /// Writes everything held.
    fn poll_send_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.held.len() {
            let written = ready!(Pin::new(&mut self.stream).poll_write(cx, &self.held[self.sent..]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += written;
        }
        self.held.clear();
        self.sent = 0;
        if self.held.capacity() > KEPT_CAPACITY {
            self.held = Vec::with_capacity(FIRST_CAPACITY);
        }
        self.deferred = false;
        Poll::Ready(Ok(()))
    }

    /// Makes room before holding more: past the bound, what is held is written first.
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.held.len() >= HELD_AT_MOST { self.poll_send_held(cx) } else { Poll::Ready(Ok(())) }
    }
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.read_since = true;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_room(cx))?;
        self.held.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_room(cx))?;
        let mut taken = 0;
        for buf in bufs {
            self.held.extend_from_slice(buf);
            taken += buf.len();
        }
        Poll::Ready(Ok(taken))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.held.is_empty() {
            return Poll::Ready(Ok(()));
        }
        if !self.deferred {
            self.deferred = true;
            self.read_since = false;
        }
        if !self.read_since {
            // Still this turn: what other calls finish before the next one goes out with
            // it. Every answer without writing wakes the task, so a next turn is certain.
            cx.waker().wake_by_ref();
            return Poll::Ready(Ok(()));
        }
        self.poll_send_held(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send_held(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    use super::*;

    struct Wakes(AtomicUsize);

    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    async fn pair() -> (Connection, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a local port");
        let client = TcpStream::connect(listener.local_addr().expect("its address")).await.expect("connected");
        let (accepted, _) = listener.accept().await.expect("accepted");
        (Connection::accepted(accepted).expect("no delay set"), client)
    }

    /// What the client has received so far, waiting briefly for bytes in flight.
    async fn received(client: &mut TcpStream) -> Vec<u8> {
        let mut got = vec![0; 256 * 1024];
        match tokio::time::timeout(std::time::Duration::from_millis(200), client.read(&mut got)).await {
            Ok(read) => got.truncate(read.expect("read")),
            Err(_) => got.clear(),
        }
        got
    }

    #[tokio::test]
    async fn a_flush_sends_on_the_next_turn_with_what_was_written_since() {
        let (mut connection, mut client) = pair().await;
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut connection = Pin::new(&mut connection);
        let mut space = [0; 16];
        let mut read = ReadBuf::new(&mut space);

        // A turn as h2 takes it: the socket read, then the answers written and flushed.
        assert!(connection.as_mut().poll_read(&mut cx, &mut read).is_pending());
        assert!(matches!(connection.as_mut().poll_write(&mut cx, b"first "), Poll::Ready(Ok(6))));
        assert!(matches!(connection.as_mut().poll_flush(&mut cx), Poll::Ready(Ok(()))));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "the task is asked to run again");
        // Later in the same turn: more frames and another flush, still held.
        assert!(matches!(connection.as_mut().poll_write(&mut cx, b"second"), Poll::Ready(Ok(6))));
        assert!(matches!(connection.as_mut().poll_flush(&mut cx), Poll::Ready(Ok(()))));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 2, "every flush answered unwritten wakes the task");
        assert!(received(&mut client).await.is_empty(), "nothing goes out within the turn");

        // The next turn reads the socket first, then flushes: everything goes out at once.
        assert!(connection.as_mut().poll_read(&mut cx, &mut read).is_pending());
        assert!(matches!(connection.as_mut().poll_flush(&mut cx), Poll::Ready(Ok(()))));
        assert_eq!(received(&mut client).await, b"first second");
        assert_eq!(wakes.0.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_shutdown_sends_everything_held() {
        let (mut connection, mut client) = pair().await;
        let waker = Waker::from(Arc::new(Wakes(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        let mut connection = Pin::new(&mut connection);
        assert!(matches!(connection.as_mut().poll_write(&mut cx, b"last words"), Poll::Ready(Ok(10))));
        assert!(matches!(connection.as_mut().poll_flush(&mut cx), Poll::Ready(Ok(()))));
        std::future::poll_fn(|cx| connection.as_mut().poll_shutdown(cx)).await.expect("shut down");
        let mut all = Vec::new();
        client.read_to_end(&mut all).await.expect("read to the end");
        assert_eq!(all, b"last words");
    }

    #[tokio::test]
    async fn no_more_than_the_bound_is_held_and_every_byte_arrives() {
        let (mut connection, mut client) = pair().await;
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            client.read_to_end(&mut all).await.expect("read to the end");
            all
        });
        let mut connection = Pin::new(&mut connection);
        let frame: Vec<u8> = (0..16 * 1024).map(|i| (i % 251) as u8).collect();
        for _ in 0..8 {
            let mut written = 0;
            while written < frame.len() {
                written += std::future::poll_fn(|cx| connection.as_mut().poll_write(cx, &frame[written..]))
                    .await
                    .expect("written");
            }
            assert!(connection.held.len() <= HELD_AT_MOST + frame.len(), "held {}", connection.held.len());
        }
        std::future::poll_fn(|cx| connection.as_mut().poll_shutdown(cx)).await.expect("shut down");
        assert_eq!(reader.await.expect("the reader"), frame.repeat(8));
    }
}
