//! A registry with the Referrers API: `ferro-oci-server` in-process, on its own thread and
//! runtime so any test can use it. Optionally it pages referrers answers with `Link` headers
//! (ferro itself answers in one page), to exercise pagination against real data.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use ferro_blob_store::InMemoryBlobStore;

pub struct ApiRegistry {
    pub addr: String,
    /// Referrers requests answered (pages included).
    pub referrers_requests: Arc<AtomicUsize>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiRegistry {
    pub fn start() -> ApiRegistry {
        ApiRegistry::start_paged(None)
    }

    /// With `Some(n)`, referrers answers are cut into pages of `n` entries.
    pub fn start_paged(page: Option<usize>) -> ApiRegistry {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let app = ferro_oci_server::build_app(Arc::new(InMemoryBlobStore::new()));
                let c2 = c.clone();
                let app = app.layer(middleware::from_fn(move |req: Request, next: Next| {
                    let c = c2.clone();
                    async move { page_referrers(req, next, page, c).await }
                }));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap().to_string()).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        ApiRegistry {
            addr,
            referrers_requests: counter,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn seeder(&self) -> super::Seeder {
        super::Seeder::new(&self.addr)
    }
}

impl Drop for ApiRegistry {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves one page of the referrers index per request: `?page=K` (default 0).
async fn page_referrers(req: Request, next: Next, page: Option<usize>, counter: Arc<AtomicUsize>) -> Response {
    let is_referrers = req.uri().path().contains("/referrers/");
    if is_referrers {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    let Some(size) = page.filter(|_| is_referrers) else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let mut k = 0usize;
    let mut rest: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("page", v)) => k = v.parse().unwrap_or(0),
            _ => rest.push(pair.to_string()),
        }
    }
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap();
    let mut index: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let all = index["manifests"].as_array().cloned().unwrap_or_default();
    let chunk: Vec<_> = all.iter().skip(k * size).take(size).cloned().collect();
    index["manifests"] = serde_json::Value::Array(chunk);
    if (k + 1) * size < all.len() {
        let mut q = rest.clone();
        q.push(format!("page={}", k + 1));
        let link = format!("<{path}?{}>; rel=\"next\"", q.join("&"));
        parts.headers.insert("link", HeaderValue::from_str(&link).unwrap());
    }
    let body = serde_json::to_vec(&index).unwrap();
    parts.headers.remove("content-length");
    Response::from_parts(parts, Body::from(body))
}
