//! A TCP proxy in front of a real registry, for faults a registry cannot be made to produce:
//! added latency, connections cut after some bytes, stalls. Runs on its own thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to traffic.
#[derive(Clone, Default)]
pub struct Faults {
    /// Delay before each chunk sent towards the registry (adds about one RTT per request).
    pub latency: Duration,
    /// Cut the connection after this many bytes sent back to the client, once (then pass).
    pub cut_after: Option<u64>,
    /// Stop forwarding to the client after this many bytes, keeping the connection open.
    pub stall_after: Option<u64>,
    /// Like `stall_after`, on the first connection that gets that far only (then pass).
    pub stall_once_after: Option<u64>,
    /// With `cut_after`: end with a TCP reset instead of a clean close.
    pub reset: bool,
    /// Cut every connection after this many bytes sent towards the registry (uploads never land).
    pub cut_upload_after: Option<u64>,
    /// Cut the connection after this many bytes sent towards the registry, once (then pass).
    pub cut_upload_once_after: Option<u64>,
    /// Stop forwarding towards the registry once this many bytes have gone to it over all
    /// connections, while still passing its answers back: an upload that hangs until the
    /// registry goes away.
    pub hold_uploads_after: Option<u64>,
    /// Delay before forwarding each request that starts with `PUT ` (slow writes, fast reads).
    pub put_latency: Duration,
}

pub struct Proxy {
    pub addr: String,
    pub connections: Arc<AtomicUsize>,
    cut_done: Arc<AtomicU64>,
    uploaded: Arc<AtomicU64>,
    held: Arc<AtomicUsize>,
    gate: tokio::sync::watch::Sender<bool>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    pub fn start(upstream: &str, faults: Faults) -> Proxy {
        let upstream = upstream.to_string();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let connections = Arc::new(AtomicUsize::new(0));
        let cut_done = Arc::new(AtomicU64::new(0));
        let uploaded = Arc::new(AtomicU64::new(0));
        let held = Arc::new(AtomicUsize::new(0));
        let (c, cd) = (connections.clone(), cut_done.clone());
        let (gate, closed) = tokio::sync::watch::channel(false);
        let shared = Shared { uploaded: uploaded.clone(), held: held.clone(), closed };
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap().to_string()).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut stop_rx => break,
                        accepted = listener.accept() => {
                            let Ok((client, _)) = accepted else { continue };
                            c.fetch_add(1, Ordering::Relaxed);
                            let (up, f, cd, sh) = (upstream.clone(), faults.clone(), cd.clone(), shared.clone());
                            tokio::spawn(async move { let _ = relay(client, &up, f, cd, sh).await; });
                        }
                    }
                }
            });
        });
        Proxy {
            addr: addr_rx.recv().unwrap(),
            connections,
            cut_done,
            uploaded,
            held,
            gate,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Whether the one-time cut (either way) or stall has happened.
    pub fn cut_happened(&self) -> bool {
        self.cut_done.load(Ordering::Relaxed) > 0
    }

    /// From now on, connections are accepted and their requests read, but nothing is
    /// forwarded or answered: a registry that hangs, as opposed to one that refuses.
    pub fn hang(&self) {
        self.gate.send_replace(true);
    }

    /// Lets held connections, and new ones, through again.
    pub fn recover(&self) {
        self.gate.send_replace(false);
    }

    /// Bytes forwarded towards the registry so far, over all connections.
    pub fn uploaded(&self) -> u64 {
        self.uploaded.load(Ordering::Relaxed)
    }

    /// Whether `hold_uploads_after` holds an upload back now.
    pub fn holding(&self) -> bool {
        self.held.load(Ordering::Relaxed) > 0
    }

    /// Waits until `hold_uploads_after` holds an upload back; fails if that never happens.
    pub fn wait_until_held(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while self.held.load(Ordering::Relaxed) == 0 {
            assert!(std::time::Instant::now() < deadline, "no upload reached the hold ({} bytes went up)", self.uploaded());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Counters every connection of one proxy adds to.
#[derive(Clone)]
struct Shared {
    uploaded: Arc<AtomicU64>,
    held: Arc<AtomicUsize>,
    /// True while the proxy hangs.
    closed: tokio::sync::watch::Receiver<bool>,
}

async fn relay(client: TcpStream, upstream: &str, faults: Faults, cut_done: Arc<AtomicU64>, mut shared: Shared) -> std::io::Result<()> {
    if shared.closed.wait_for(|closed| !closed).await.is_err() {
        return Ok(());
    }
    let server = TcpStream::connect(upstream).await?;
    if faults.reset {
        // Closing with linger 0 sends RST: the client sees "connection reset by peer".
        socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO))?;
    }
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let latency = faults.latency;
    let put_latency = faults.put_latency;
    let upload_limit = faults.cut_upload_after;
    let upload_cut_once = faults.cut_upload_once_after;
    let upload_cut_done = cut_done.clone();
    let hold = faults.hold_uploads_after;
    let to_server = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            if !put_latency.is_zero() && buf[..n].starts_with(b"PUT ") {
                tokio::time::sleep(put_latency).await;
            }
            if let Some(limit) = upload_limit
                && sent + n as u64 > limit
            {
                return Ok(());
            }
            if let Some(limit) = upload_cut_once
                && sent + n as u64 > limit
                && upload_cut_done.fetch_add(1, Ordering::Relaxed) == 0
            {
                sw.write_all(&buf[..(limit - sent) as usize]).await?;
                return Ok(());
            }
            if let Some(limit) = hold {
                let before = shared.uploaded.fetch_add(n as u64, Ordering::Relaxed);
                if before + n as u64 > limit {
                    shared.held.fetch_add(1, Ordering::Relaxed);
                    std::future::pending::<()>().await;
                }
            } else {
                shared.uploaded.fetch_add(n as u64, Ordering::Relaxed);
            }
            sw.write_all(&buf[..n]).await?;
            sent += n as u64;
        }
        sw.shutdown().await
    };
    let to_client = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        loop {
            let n = sr.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            if let Some(limit) = faults.cut_after
                && sent + n as u64 > limit
                && cut_done.fetch_add(1, Ordering::Relaxed) == 0
            {
                let keep = (limit - sent) as usize;
                cw.write_all(&buf[..keep]).await?;
                return Ok(());
            }
            if let Some(limit) = faults.stall_after
                && sent + n as u64 > limit
            {
                let keep = (limit.saturating_sub(sent)) as usize;
                cw.write_all(&buf[..keep]).await?;
                std::future::pending::<()>().await;
            }
            if let Some(limit) = faults.stall_once_after
                && sent + n as u64 > limit
                && cut_done.fetch_add(1, Ordering::Relaxed) == 0
            {
                cw.write_all(&buf[..(limit - sent) as usize]).await?;
                std::future::pending::<()>().await;
            }
            cw.write_all(&buf[..n]).await?;
            sent += n as u64;
        }
        cw.shutdown().await
    };
    tokio::select! {
        r = to_server => r,
        r = to_client => r,
    }
}
