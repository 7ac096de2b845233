//! An HTTP front for faults a real registry cannot be made to produce (redirects to other
//! origins, HTML answers, challenges from strangers). It records every request it receives,
//! answers some from a rule, and forwards the rest to an upstream registry, optionally with
//! its own credentials (as a CDN that fetches from storage would).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// One request as the front received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: HeaderMap,
}

impl Seen {
    pub fn authorization(&self) -> Option<&str> {
        self.headers.get("authorization").and_then(|v| v.to_str().ok())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// GET or HEAD of a blob.
    pub fn is_blob_read(&self) -> bool {
        (self.method == "GET" || self.method == "HEAD") && self.path().contains("/blobs/sha256:")
    }
}

/// A `307 Temporary Redirect` to `location`.
pub fn redirect(location: String) -> Response {
    Response::builder().status(307).header("location", location).body(Body::empty()).unwrap()
}

/// An answer with a status, a content type and a body.
pub fn answer(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder().status(status).header("content-type", content_type).body(body.into()).unwrap()
}

/// Answers a request itself (`Some`) or lets it through to the upstream (`None`).
pub type Rule = Arc<dyn Fn(&Seen) -> Option<Response> + Send + Sync>;

struct Shared {
    unfiltered_referrers: bool,
    upstream: Option<String>,
    upstream_basic: Option<String>,
    rule: Rule,
    seen: Mutex<Vec<Seen>>,
    client: reqwest::Client,
}

#[derive(Default)]
pub struct FrontBuilder {
    unfiltered_referrers: bool,
    upstream: Option<String>,
    upstream_basic: Option<(String, String)>,
    rule: Option<Rule>,
}

pub struct Front {
    pub addr: String,
    shared: Arc<Shared>,
    _served: super::serve::Served,
}

impl FrontBuilder {
    /// Forward what the rule does not answer to this registry address.
    pub fn upstream(mut self, addr: &str) -> FrontBuilder {
        self.upstream = Some(addr.to_string());
        self
    }

    /// Forward with these credentials instead of whatever the client sent.
    pub fn upstream_basic(mut self, user: &str, password: &str) -> FrontBuilder {
        self.upstream_basic = Some((user.into(), password.into()));
        self
    }

    /// Passes referrers requests on as a registry that does not filter them would answer:
    /// without their `artifactType` query, and without the `OCI-Filters-Applied` answer.
    pub fn unfiltered_referrers(mut self) -> FrontBuilder {
        self.unfiltered_referrers = true;
        self
    }

    pub fn rule(mut self, rule: impl Fn(&Seen) -> Option<Response> + Send + Sync + 'static) -> FrontBuilder {
        self.rule = Some(Arc::new(rule));
        self
    }

    fn shared(self) -> Arc<Shared> {
        Arc::new(Shared {
            unfiltered_referrers: self.unfiltered_referrers,
            upstream: self.upstream,
            upstream_basic: self.upstream_basic.map(|(u, p)| {
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")))
            }),
            rule: self.rule.unwrap_or_else(|| Arc::new(|_: &Seen| None)),
            seen: Mutex::new(Vec::new()),
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        })
    }

    pub fn start(self) -> Front {
        let shared = self.shared();
        let s = shared.clone();
        let served = super::serve::Served::start(move || app(s));
        Front { addr: served.addr.clone(), shared, _served: served }
    }

    /// The same front over HTTPS, with a self-signed certificate for 127.0.0.1.
    pub fn start_tls(self) -> Front {
        let shared = self.shared();
        let s = shared.clone();
        let served = super::serve::Served::start_tls(move || app(s));
        Front { addr: served.addr.clone(), shared, _served: served }
    }
}

fn app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

impl Front {
    pub fn builder() -> FrontBuilder {
        FrontBuilder::default()
    }

    /// A front that forwards everything to `upstream` and only records.
    pub fn recording(upstream: &str) -> Front {
        Front::builder().upstream(upstream).start()
    }

    /// A front with no upstream: records, answers by rule, else 404.
    pub fn trap() -> Front {
        Front::builder().start()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Requests whose path contains `needle`.
    pub fn seen_matching(&self, needle: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.target.contains(needle)).collect()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let target = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        target: target.clone(),
        headers: parts.headers.clone(),
    };
    shared.seen.lock().unwrap().push(seen.clone());
    if let Some(answer) = (shared.rule)(&seen) {
        return answer;
    }
    let Some(upstream) = &shared.upstream else {
        return (StatusCode::NOT_FOUND, "nothing here").into_response();
    };
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let unfiltered = shared.unfiltered_referrers && seen.path().contains("/referrers/");
    let target = if unfiltered { without_artifact_type(&target) } else { target };
    let mut out = shared.client.request(parts.method.clone(), format!("http://{upstream}{target}"));
    for (name, value) in &parts.headers {
        if name == "authorization" && shared.upstream_basic.is_some() {
            continue;
        }
        if name == "content-length" || name == "transfer-encoding" || name == "connection" {
            continue;
        }
        // The Host header is kept: distribution builds its upload Locations from it, so they
        // point back at the front.
        out = out.header(name, value);
    }
    if let Some(b) = &shared.upstream_basic {
        out = out.header("authorization", b);
    }
    let answer = match out.body(body).send().await {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let mut resp = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if name == "transfer-encoding" || name == "connection" || (unfiltered && name == "oci-filters-applied") {
            continue;
        }
        resp = resp.header(name, value);
    }
    let is_head = parts.method == Method::HEAD;
    let bytes = answer.bytes().await.unwrap_or_default();
    resp.body(if is_head { Body::empty() } else { Body::from(bytes) }).unwrap()
}

/// `target` without its `artifactType` query parameters.
fn without_artifact_type(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else { return target.to_string() };
    let kept: Vec<&str> = query.split('&').filter(|p| !p.starts_with("artifactType=")).collect();
    if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) }
}
