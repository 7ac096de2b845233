//! An axum app served on 127.0.0.1 from a thread with its own runtime, so any test (whatever
//! its runtime) can use it; stopped when dropped. Plain HTTP, or HTTPS with a self-signed
//! certificate made by `openssl`.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub struct Served {
    pub addr: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    /// `make` builds the app on the server's own runtime.
    pub fn start(make: impl FnOnce() -> axum::Router + Send + 'static) -> Served {
        Served::run(make, None)
    }

    /// The same over HTTPS (certificate for 127.0.0.1, trusted by nobody: clients need
    /// `--insecure`).
    pub fn start_tls(make: impl FnOnce() -> axum::Router + Send + 'static) -> Served {
        Served::run(make, Some(self_signed()))
    }

    /// HTTPS with the server certificate of `pki`, asking every client for a certificate of
    /// its CA without requiring one; whether each connection presented one is recorded.
    pub fn start_tls_noting_client_certs(
        make: impl FnOnce() -> axum::Router + Send + 'static,
        pki: &super::pki::Pki,
    ) -> (Served, Arc<std::sync::Mutex<Vec<bool>>>) {
        use tokio_rustls::rustls::RootCertStore;
        use tokio_rustls::rustls::server::WebPkiClientVerifier;
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(pki.path("ca.crt")).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let verifier = WebPkiClientVerifier::builder(Arc::new(roots)).allow_unauthenticated().build().unwrap();
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(pki.path("server.crt")).unwrap().map(|c| c.unwrap()).collect();
        let key = PrivateKeyDer::from_pem_file(pki.path("server.key")).unwrap();
        let config = ServerConfig::builder().with_client_cert_verifier(verifier).with_single_cert(certs, key).unwrap();
        let noted = Arc::new(std::sync::Mutex::new(Vec::new()));
        let served = Served::run_noting(make, Some(TlsAcceptor::from(Arc::new(config))), Some(noted.clone()));
        (served, noted)
    }

    fn run(make: impl FnOnce() -> axum::Router + Send + 'static, tls: Option<TlsAcceptor>) -> Served {
        Served::run_noting(make, tls, None)
    }

    fn run_noting(
        make: impl FnOnce() -> axum::Router + Send + 'static,
        tls: Option<TlsAcceptor>,
        noted: Option<Arc<std::sync::Mutex<Vec<bool>>>>,
    ) -> Served {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let app = make();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap().to_string()).unwrap();
                let stop = async {
                    let _ = stop_rx.await;
                };
                match tls {
                    None => axum::serve(listener, app).with_graceful_shutdown(stop).await.unwrap(),
                    Some(acceptor) => axum::serve(TlsListener { inner: listener, acceptor, noted }, app)
                        .with_graceful_shutdown(stop)
                        .await
                        .unwrap(),
                }
            });
        });
        Served {
            addr: addr_rx.recv().unwrap(),
            shutdown: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A key and a self-signed certificate for 127.0.0.1, made with `openssl`.
fn self_signed() -> TlsAcceptor {
    super::require("openssl");
    let dir = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl could not make a certificate");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.path().join("cert.pem")).unwrap().map(|c| c.unwrap()).collect();
    let key = PrivateKeyDer::from_pem_file(dir.path().join("key.pem")).unwrap();
    let config = ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// Accepts TCP connections and completes the TLS handshake before handing them to axum;
/// a failed handshake is dropped and the next connection accepted.
struct TlsListener {
    inner: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    /// Whether each accepted connection presented a client certificate.
    noted: Option<Arc<std::sync::Mutex<Vec<bool>>>>,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.inner.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                if let Some(noted) = &self.noted {
                    noted.lock().unwrap().push(tls.get_ref().1.peer_certificates().is_some());
                }
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}
