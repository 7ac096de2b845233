//! Listings that never end: a fault server (a real registry cannot be made to do this) that
//! hands out a fresh cursor with every page, or pages as large as a body may be. Every
//! listing stops at its cap with an error that names the flag to raise it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::refscope;
use common::serve::Served;

/// A manifest for `app:v1`, so that discover has a subject to list referrers of.
const SUBJECT: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
/// One tag this long fills most of a listing body (refscope takes at most 16 MiB per page).
const HUGE_TAG: usize = 15 << 20;

#[derive(Clone, Default)]
struct Cursors(Arc<AtomicU64>);

impl Cursors {
    fn fresh(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }

    fn pages(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn with_next(body: String, content_type: &str, next: String) -> Response {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
    h.insert(header::LINK, HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).unwrap());
    (StatusCode::OK, h, body).into_response()
}

async fn catalog(State(c): State<Cursors>) -> Response {
    let n = c.fresh();
    let names: Vec<String> = (0..1000).map(|i| format!("r{n}-{i:03}")).collect();
    let body = serde_json::json!({ "repositories": names }).to_string();
    with_next(body, "application/json", format!("/v2/_catalog?last=r{n}-999&n=1000"))
}

async fn tags(State(c): State<Cursors>, Path(repo): Path<String>) -> Response {
    if repo == "app" {
        return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"name":"app","tags":["v1"]}"#).into_response();
    }
    let n = c.fresh();
    let tags: Vec<String> = match repo.as_str() {
        "huge" => vec![format!("{n}{}", "x".repeat(HUGE_TAG))],
        _ => (0..1000).map(|i| format!("t{n}-{i:03}")).collect(),
    };
    let body = serde_json::json!({ "name": repo, "tags": tags }).to_string();
    with_next(body, "application/json", format!("/v2/{repo}/tags/list?last=c{n}&n=1000"))
}

async fn manifest(method: Method) -> Response {
    let digest = refscope::oci::Digest::sha256_of(SUBJECT).to_string();
    let headers = [
        (header::CONTENT_TYPE, "application/vnd.oci.image.manifest.v1+json".to_string()),
        (header::HeaderName::from_static("docker-content-digest"), digest),
        (header::CONTENT_LENGTH, SUBJECT.len().to_string()),
    ];
    let body = if method == Method::HEAD { Vec::new() } else { SUBJECT.to_vec() };
    (StatusCode::OK, headers, body).into_response()
}

async fn referrers(State(c): State<Cursors>, Path((repo, subject)): Path<(String, String)>) -> Response {
    let n = c.fresh();
    let entries: Vec<serde_json::Value> = (0..1000u64)
        .map(|i| {
            let d = refscope::oci::Digest::sha256_of(format!("{n}/{i}").as_bytes());
            serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d.to_string(), "size": 100, "artifactType": "signature/example"})
        })
        .collect();
    let body = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}).to_string();
    with_next(body, "application/vnd.oci.image.index.v1+json", format!("/v2/{repo}/referrers/{subject}?page={n}"))
}

fn endless() -> (Served, Cursors) {
    let cursors = Cursors::default();
    let state = cursors.clone();
    let served = Served::start(move || {
        axum::Router::new()
            .route("/v2/", get(|| async { "{}" }))
            .route("/v2/_catalog", get(catalog))
            .route("/v2/{repo}/tags/list", get(tags))
            .route("/v2/{repo}/manifests/{reference}", get(manifest).head(manifest))
            .route("/v2/{repo}/referrers/{subject}", get(referrers))
            .with_state(state)
    });
    (served, cursors)
}

#[test]
fn endless_tag_pages_stop_at_the_default_cap() {
    let (server, cursors) = endless();
    let err = refscope(["repo", "tags", &format!("{}/endless", server.addr)]).fails();
    assert!(err.contains("the tag list of endless runs past 1000000 entries"), "{err}");
    assert!(err.contains("--max-list-items"), "the error names the flag: {err}");
    assert_eq!(cursors.pages(), 1001, "stopped at the first page past the cap");
}

#[test]
fn endless_catalog_pages_stop_at_the_cap_the_flag_sets() {
    let (server, cursors) = endless();
    let out = refscope(["repo", "ls", "--max-list-items", "20000", &server.addr]).output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an endless catalog cannot succeed");
    assert!(stderr.contains("runs past 20000 entries") && stderr.contains("--max-list-items"), "{stderr}");
    assert_eq!(cursors.pages(), 21);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 20000, "the names within the cap were printed");
}

#[test]
fn endless_referrers_pages_stop_discover() {
    let (server, cursors) = endless();
    let err = refscope(["discover", "--max-list-items", "5000", &format!("{}/app:v1", server.addr)]).fails();
    assert!(err.contains("the referrers of sha256:") && err.contains("runs past 5000 entries"), "{err}");
    assert_eq!(cursors.pages(), 6);
}

#[test]
fn endless_referrers_pages_stop_a_recursive_copy_at_the_cap_the_flag_sets() {
    let (server, cursors) = endless();
    let dst = tempfile::tempdir().unwrap();
    let to = dst.path().join("out");
    let err = refscope(["copy", "-r", "--max-list-items", "3000", &format!("{}/app:v1", server.addr), "--to-oci-layout", &format!("{}:v1", to.display())]).fails();
    assert!(err.contains("the referrers of sha256:") && err.contains("runs past 3000 entries"), "{err}");
    assert_eq!(cursors.pages(), 4);
}

#[test]
fn huge_pages_stop_at_the_byte_cap() {
    let (server, cursors) = endless();
    let err = refscope(["repo", "tags", "--max-list-mib", "64", &format!("{}/huge", server.addr)]).fails();
    assert!(err.contains("the tag list of huge runs past 64 MiB") && err.contains("--max-list-mib"), "{err}");
    assert_eq!(cursors.pages(), 5, "five pages of 15 MiB are past 64 MiB");
}
