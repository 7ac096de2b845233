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
    _server: super::serve::Served,
}

impl ApiRegistry {
    pub fn start() -> ApiRegistry {
        ApiRegistry::start_paged(None)
    }

    /// With `Some(n)`, referrers answers are cut into pages of `n` entries.
    pub fn start_paged(page: Option<usize>) -> ApiRegistry {
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        let server = super::serve::Served::start(move || {
            ferro_oci_server::build_app(Arc::new(InMemoryBlobStore::new())).layer(middleware::from_fn(move |req: Request, next: Next| {
                let c = c.clone();
                async move { page_referrers(req, next, page, c).await }
            }))
        });
        ApiRegistry {
            addr: server.addr.clone(),
            referrers_requests: counter,
            _server: server,
        }
    }

    pub fn seeder(&self) -> super::Seeder {
        super::Seeder::new(&self.addr)
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
