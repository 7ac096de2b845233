//! A client for the OCI distribution API, on reqwest.

mod auth;
mod blobs;
pub(crate) mod client;
pub mod destination;
pub mod link;
mod listing;
mod manifests;
mod origin;
pub mod ratelimit;
mod referrers;
pub mod tls;
mod upload;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use url::Url;

use self::client::Request;
use super::{BlobSource, ByteProgress, ByteStream, Mount, Page, PageRequest, PushedManifest, ReferrersMode, Referrers, Target};
use crate::creds::{Chain, Found};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest, ManifestBlob, api_host, is_loopback_host};

pub use auth::{Challenge, parse_challenge};
pub use listing::{parse_catalog, parse_tag_list};

#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Talk HTTP instead of HTTPS. Loopback hosts get it when they speak no TLS.
    pub plain_http: bool,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Extra CAs and a client certificate.
    pub tls: tls::TlsFiles,
    /// Use this way of listing referrers instead of finding out.
    pub referrers: Option<ReferrersMode>,
    /// Requests waiting for an answer at once, at most (`None`: no limit).
    pub max_in_flight: Option<usize>,
    /// Time limit for requests with small bodies (blob streams use a read timeout instead).
    pub request_timeout: Duration,
    /// Idle time after which a streaming transfer is considered stalled.
    pub read_timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    /// Blobs larger than this are uploaded in PATCH chunks of this size.
    pub chunk_size: u64,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            plain_http: false,
            insecure: false,
            tls: tls::TlsFiles::default(),
            referrers: None,
            max_in_flight: None,
            request_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            chunk_size: 64 * 1024 * 1024,
        }
    }
}

/// One registry host. Cheap to share: clone the `Arc`.
pub struct Registry {
    host: String,
    origin: Arc<origin::Origin>,
    /// For the registry's own origin. Redirects are followed by hand (see `client`).
    http: reqwest::Client,
    /// For every other origin (redirect targets, upload Locations elsewhere, token realms on
    /// other hosts): never the registry's credentials or client identity.
    elsewhere: reqwest::Client,
    auth: auth::Auth,
    opts: RegistryOptions,
    modes: Mutex<HashMap<String, ReferrersMode>>,
    /// Upload sessions a declined mount opened, reused by the next push of that blob.
    open_sessions: Mutex<HashMap<(String, Digest), Url>>,
    requests: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    /// Permits for requests in flight, when they are limited.
    permits: Option<tokio::sync::Semaphore>,
    /// What the registry's rate-limit headers said last.
    rate_limit: Mutex<Option<ratelimit::RateLimit>>,
}

impl Registry {
    pub fn new(host: &str, opts: RegistryOptions, chain: Arc<Chain>) -> Result<Registry> {
        // A loopback registry gets TLS when it speaks it; `origin` falls back to http if not.
        let probing = !opts.plain_http && is_loopback_host(host);
        let scheme = if opts.plain_http { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{}/", api_host(host))).map_err(|e| Error::Usage(format!(
            "`{host}` is not a usable registry address: {e}"
        )))?;
        let material = opts.tls.load()?;
        let client = |identity: Option<reqwest::Identity>| {
            let mut b = reqwest::Client::builder()
                .user_agent(concat!("refscope/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(opts.connect_timeout)
                .read_timeout(opts.read_timeout)
                .pool_max_idle_per_host(32)
                .tls_danger_accept_invalid_certs(opts.insecure)
                .tls_certs_merge(material.roots.iter().cloned())
                .redirect(reqwest::redirect::Policy::none());
            if let Some(id) = identity {
                b = b.identity(id);
            }
            b.build()
        };
        let setup = |e: reqwest::Error| Error::Usage(format!("cannot set up HTTP for {host}: {e}"));
        let http = match (client(material.identity.clone()), &opts.tls.identity) {
            (Ok(c), _) => c,
            (Err(e), Some(id)) => return Err(tls::identity_error(id, &e)),
            (Err(e), None) => return Err(setup(e)),
        };
        // CAs are only trust; the client identity never leaves the registry's origin.
        let elsewhere = client(None).map_err(setup)?;
        let origin = Arc::new(origin::Origin::new(base, probing));
        Ok(Registry {
            host: host.to_string(),
            auth: auth::Auth::new(host.to_string(), origin.clone(), chain, http.clone(), elsewhere.clone()),
            origin,
            http,
            elsewhere,
            modes: Mutex::new(HashMap::new()),
            open_sessions: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            permits: opts.max_in_flight.map(|n| tokio::sync::Semaphore::new(n.max(1))),
            rate_limit: Mutex::new(None),
            opts,
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// HTTP requests sent so far (for benchmarks and tests that count round trips).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The most requests that were waiting for an answer at the same time.
    pub fn peak_in_flight(&self) -> u64 {
        self.peak_in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request and holds its in-flight slot until the guard drops.
    fn start_request(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// What the registry's last rate-limit headers said (Docker Hub sends them), if any.
    pub fn rate_limit(&self) -> Option<ratelimit::RateLimit> {
        *self.rate_limit.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn note_rate_limit(&self, headers: &HeaderMap) {
        if let Some(r) = ratelimit::RateLimit::from_headers(headers) {
            *self.rate_limit.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        }
    }

    /// Uses this credential from now on (e.g. typed into a login dialog).
    pub fn set_credential(&self, found: Option<Found>) {
        self.auth.set_credential(found);
    }

    /// `GET /v2/`: checks the registry answers and that the credentials (if any) are accepted.
    pub async fn ping(&self) -> Result<()> {
        let url = self.url("v2/")?;
        let resp = self.send(Request::new(Method::GET, url, vec![], "GET /v2/")).await?;
        if resp.status().is_success() {
            return Ok(());
        }
        Err(self.status_error(resp, "GET /v2/", "the registry API").await)
    }

    /// Who requests go out as, for a status bar; `None` until a challenge made it matter.
    pub fn auth_summary(&self) -> Option<String> {
        self.auth.summary()
    }

    /// The registry's origin as settled so far (see `origin`).
    fn base(&self) -> Url {
        self.origin.url()
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base().join(path).map_err(|e| Error::Usage(format!("bad URL path {path}: {e}")))
    }

    fn repo_url(&self, repo: &str, rest: &str) -> Result<Url> {
        crate::oci::validate_repository(repo)
            .map_err(|why| Error::Usage(format!("invalid repository `{repo}`: {why}")))?;
        self.url(&format!("v2/{repo}/{rest}"))
    }

    fn pull_scope(repo: &str) -> Vec<String> {
        vec![format!("repository:{repo}:pull")]
    }

    fn push_scope(repo: &str) -> Vec<String> {
        vec![format!("repository:{repo}:pull,push")]
    }

    /// Waits for a free request slot when requests in flight are limited.
    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        match &self.permits {
            Some(s) => s.acquire().await.ok(),
            None => None,
        }
    }

    /// The referrers mode the settings impose, if any.
    pub fn forced_mode(&self) -> Option<ReferrersMode> {
        self.opts.referrers
    }

    fn set_mode(&self, repo: &str, mode: ReferrersMode) {
        self.modes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(repo.to_string(), mode);
    }

    fn mode(&self, repo: &str) -> Option<ReferrersMode> {
        if let Some(forced) = self.forced_mode() {
            return Some(forced);
        }
        self.modes.lock().unwrap_or_else(|p| p.into_inner()).get(repo).copied()
    }



}

struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
}

/// The `Content-Length` header itself: reqwest reports 0 for the empty body of a HEAD answer.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn header_digest(headers: &HeaderMap) -> Option<Digest> {
    headers
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

#[async_trait]
impl Target for Registry {
    fn name(&self) -> String {
        self.host.clone()
    }

    async fn resolve(&self, repo: &str, reference: &str) -> Result<Descriptor> {
        self.manifest_descriptor(repo, reference).await
    }

    async fn fetch_manifest(&self, repo: &str, reference: &str) -> Result<ManifestBlob> {
        self.get_manifest(repo, reference).await
    }

    async fn fetch_blob(&self, repo: &str, desc: &Descriptor) -> Result<ByteStream> {
        self.get_blob(repo, desc).await
    }

    async fn stat_blob(&self, repo: &str, digest: &Digest) -> Result<Option<u64>> {
        self.head_blob(repo, digest).await
    }

    async fn manifest_exists(&self, repo: &str, digest: &Digest) -> Result<bool> {
        self.has_manifest(repo, digest).await
    }

    async fn tags_page(&self, repo: &str, page: &PageRequest) -> Result<Page> {
        self.list_tags_page(repo, page).await
    }

    async fn catalog_page(&self, page: &PageRequest) -> Result<Page> {
        self.list_catalog_page(page).await
    }








    async fn referrers(&self, repo: &str, subject: &Digest, artifact_type: Option<&str>) -> Result<Referrers> {
        referrers::list(self, repo, subject, artifact_type).await
    }

    fn referrers_mode(&self, repo: &str) -> Option<ReferrersMode> {
        self.mode(repo)
    }

    async fn push_blob(
        &self,
        repo: &str,
        desc: &Descriptor,
        source: BlobSource,
        progress: ByteProgress,
    ) -> Result<()> {
        upload::push_blob(self, repo, desc, source, progress).await
    }

    async fn prepare_upload(&self, repo: &str, desc: &Descriptor) -> Result<()> {
        upload::prepare_upload(self, repo, desc).await
    }

    async fn mount_blob(&self, repo: &str, desc: &Descriptor, from_repo: &str) -> Result<Mount> {
        upload::mount_blob(self, repo, desc, from_repo).await
    }

    async fn push_manifest(&self, repo: &str, reference: &str, manifest: &ManifestBlob) -> Result<PushedManifest> {
        self.put_manifest(repo, reference, manifest).await
    }

    async fn delete_manifest(&self, repo: &str, digest: &Digest) -> Result<()> {
        self.remove_manifest(repo, digest).await
    }

    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<()> {
        self.remove_tag(repo, tag).await
    }



}

#[cfg(test)]
mod tests {
    use super::{Registry, RegistryOptions};

    /// Off loopback a registry is spoken to over HTTPS and nothing else; only loopback
    /// addresses may settle on plain HTTP, and only --plain-http starts there.
    #[test]
    fn only_loopback_registries_may_fall_back_to_plain_http() {
        let chain = std::sync::Arc::new(crate::creds::Chain { no_keyring: true, ..Default::default() });
        let hosts = [
            ("registry.example.com", false),
            ("127.example.com:5000", false),
            ("10.0.0.5:5000", false),
            ("[fe80::1]:5000", false),
            ("localhost:5000", true),
            ("127.0.0.1:5000", true),
            ("[::1]:5000", true),
        ];
        for (host, may_fall_back) in hosts {
            let r = Registry::new(host, RegistryOptions::default(), chain.clone()).unwrap();
            assert_eq!(r.origin.url().scheme(), "https", "{host}");
            assert_eq!(r.origin.probing(), may_fall_back, "{host}");
            let plain = Registry::new(host, RegistryOptions { plain_http: true, ..RegistryOptions::default() }, chain.clone()).unwrap();
            assert_eq!((plain.origin.url().scheme(), plain.origin.probing()), ("http", false), "{host} with --plain-http");
        }
    }


}
