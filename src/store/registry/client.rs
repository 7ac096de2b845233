//! Sending requests to a registry: authentication with one re-challenge, redirects (followed
//! by hand, so that credentials stay on the registry's origin), bounded retries (429/503 for
//! anything, also 5xx and dropped connections for GET/HEAD), bounded bodies, and errors that
//! name the registry and say what to do.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderMap, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;
use url::Url;

use super::Registry;
use super::auth::Sent;
use super::destination;
use super::tls;
use crate::error::{Error, Result};
use crate::text::sanitize;

/// The longest wait a `Retry-After` header can impose on one retry.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// Error bodies larger than this are cut; they only feed messages.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// Redirects followed for one request.
const MAX_REDIRECTS: u32 = 5;

pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub scopes: Vec<String>,
    /// What this request does, for messages ("GET manifest net-monitor:v1").
    pub action: String,
    pub timeout: Option<Duration>,
    /// Follow redirects to other origins (without credentials): downloads of blobs and
    /// manifests, which registries hand to CDNs and pre-signed storage URLs. Other requests
    /// follow redirects on the registry's origin only and get any other one back as it is.
    pub follow_elsewhere: bool,
}

impl Request {
    pub fn new(method: Method, url: Url, scopes: Vec<String>, action: impl Into<String>) -> Request {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            scopes,
            action: action.into(),
            timeout: None,
            follow_elsewhere: false,
        }
    }

    pub fn follow_elsewhere(mut self) -> Request {
        self.follow_elsewhere = true;
        self
    }

    pub fn header(mut self, name: reqwest::header::HeaderName, value: &str) -> Request {
        if let Ok(v) = reqwest::header::HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    pub fn body(mut self, body: Bytes) -> Request {
        self.body = Some(body);
        self
    }
}

impl Registry {
    /// Whether `url` is on this registry's origin; credentials never go anywhere else.
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        super::link::same_origin(url, &self.base())
    }

    /// The client for `url`: the registry's own, or the one for other origins, which never
    /// carries the registry's credentials or client identity.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        if self.same_origin(url) { &self.http } else { &self.elsewhere }
    }

    /// Sends a replayable request, handling auth challenges, redirects and retries. Any status
    /// other than 401 (after one re-challenge) comes back to the caller, including a redirect
    /// this request may not follow.
    pub(crate) async fn send(&self, req: Request) -> Result<Response> {
        let idempotent = req.method == Method::GET || req.method == Method::HEAD;
        // A DELETE may be replayed after a server error: if the first one did act, the replay
        // meets a 404, which deleting callers count as already gone. Redirects stay GET/HEAD's.
        let replayable = idempotent || req.method == Method::DELETE;
        let mut url = req.url.clone();
        let mut redirects: u32 = 0;
        let mut challenged = false;
        let mut attempt: u32 = 0;
        loop {
            // On an unsettled loopback origin this request settles it, alone (see `origin`).
            let probe = self.origin.probe_turn().await;
            url = self.origin.rebase(&url);
            let home = self.same_origin(&url);
            let (authorization, sent) = if home { self.auth.authorize(&req.scopes).await? } else { (None, Sent::Nothing) };
            let mut rb = self
                .client_for(&url)
                .request(req.method.clone(), url.clone())
                .headers(req.headers.clone());
            if let Some(h) = authorization {
                rb = rb.header(AUTHORIZATION, h);
            }
            if let Some(b) = &req.body {
                rb = rb.body(b.clone());
            }
            if let Some(t) = req.timeout.or(Some(self.opts.request_timeout)) {
                rb = rb.timeout(t);
            }
            let permit = self.permit().await;
            let slot = self.start_request();
            let started = std::time::Instant::now();
            let sent_request = rb.send().await;
            drop((slot, permit));
            if probe.is_some() {
                match &sent_request {
                    Err(e) if home && tls::speaks_no_tls(e) => {
                        tracing::info!("{} speaks no TLS; using plain HTTP", self.host);
                        self.origin.fall_back_to_plain();
                        continue;
                    }
                    Ok(_) => self.origin.settle_tls(),
                    Err(_) => {}
                }
            }
            // A handshake refused for want of TLS is the probe, not a request: logged above.
            log_exchange(&req.method, &url, &sent_request, started);
            drop(probe);
            let resp = match sent_request {
                Ok(r) => r,
                Err(e) if idempotent && attempt < self.opts.max_retries && is_transient(&e) => {
                    tracing::info!("{} {}: {}, retrying", self.host, req.action, e.without_url());
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(self.request_failed(e, &self.action_at(&req.action, &url), home).await),
            };
            let status = resp.status();
            if home {
                self.note_rate_limit(resp.headers());
            }
            if status.is_redirection() && idempotent {
                let Some(next) = self.redirect_target(&req, &url, &resp)? else {
                    return Ok(resp);
                };
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(Error::Protocol {
                        registry: self.host.clone(),
                        action: req.action.clone(),
                        reason: format!("more than {MAX_REDIRECTS} redirects; not followed further"),
                    });
                }
                url = next;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED {
                if !home {
                    return Err(self.unauthorized_elsewhere(&req.action, &url));
                }
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                if !challenged {
                    challenged = true;
                    if self.auth.on_challenge(challenge.as_deref(), &req.scopes, &sent).await? {
                        continue;
                    }
                }
                return Err(self.auth.unauthorized(challenge.as_deref()));
            }
            if retryable(status, replayable) && attempt < self.opts.max_retries {
                let wait = retry_after(resp.headers()).unwrap_or_else(|| backoff(attempt));
                tracing::info!("{} {}: {status}, retrying in {wait:?}", self.host, req.action);
                tokio::time::sleep(wait.min(MAX_RETRY_WAIT)).await;
                attempt += 1;
                continue;
            }
            return Ok(resp);
        }
    }

    /// Where a redirect answer sends this request, when it may follow it: on the registry's
    /// origin always, elsewhere only for downloads; never from https down to http, never to
    /// a URL with credentials in it or to a special address (see `destination`).
    fn redirect_target(&self, req: &Request, from: &Url, resp: &Response) -> Result<Option<Url>> {
        let Some(location) = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()) else {
            return Ok(None);
        };
        let refuse = |reason: String| Error::Protocol {
            registry: self.host.clone(),
            action: req.action.clone(),
            reason,
        };
        let next = from
            .join(location)
            .map_err(|e| refuse(format!("the redirect Location is not a URL ({e})")))?;
        if !self.same_origin(&next) && !req.follow_elsewhere {
            return Ok(None);
        }
        destination::check_hop(from, &next, &self.base()).map_err(|why| {
            refuse(format!("refusing the redirect to {}: {why}", destination::origin(&next)))
        })?;
        Ok(Some(next))
    }

    /// `action`, saying where it went when that is not the registry.
    fn action_at(&self, action: &str, url: &Url) -> String {
        if self.same_origin(url) {
            action.to_string()
        } else {
            format!("{action} (redirected to {})", destination::origin(url))
        }
    }

    /// A 401 from an origin the registry redirected to: not the registry's challenge. Its
    /// realm is not asked and no credentials are sent there.
    fn unauthorized_elsewhere(&self, action: &str, url: &Url) -> Error {
        Error::Status {
            registry: self.host.clone(),
            status: 401,
            action: action.to_string(),
            message: format!(
                "the registry redirected this download to {}, which asked for credentials; the registry's credentials never go to another origin, so the registry's redirect is unusable (ask its operator)",
                destination::origin(url)
            ),
        }
    }

    /// Sends a request with a one-shot streaming body. Auth comes from what earlier requests of
    /// the same scopes learned; there is no replay, and redirects are not followed.
    pub(crate) async fn send_stream(&self, mut req: Request, body: reqwest::Body) -> Result<Response> {
        if self.origin.probing() {
            // A one-shot body cannot be sent twice: settle the origin with a ping first.
            self.send(Request::new(Method::GET, self.url("v2/")?, vec![], "GET /v2/")).await?;
        }
        req.url = self.origin.rebase(&req.url);
        let home = self.same_origin(&req.url);
        let mut rb = self
            .client_for(&req.url)
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone())
            .body(body);
        if home && let (Some(h), _) = self.auth.authorize(&req.scopes).await? {
            rb = rb.header(AUTHORIZATION, h);
        }
        let permit = self.permit().await;
        let slot = self.start_request();
        let started = std::time::Instant::now();
        let sent = rb.send().await;
        drop((slot, permit));
        log_exchange(&req.method, &req.url, &sent, started);
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(self.request_failed(e, &self.action_at(&req.action, &req.url), home).await),
        };
        if home {
            self.note_rate_limit(resp.headers());
        }
        if resp.status() == StatusCode::UNAUTHORIZED {
            if !home {
                return Err(self.unauthorized_elsewhere(&req.action, &req.url));
            }
            let challenge = resp.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok());
            return Err(self.auth.unauthorized(challenge));
        }
        Ok(resp)
    }

    /// The error for a request that got no answer. A TLS 1.3 server that wants a client
    /// certificate refuses its absence after the handshake, often by closing the connection
    /// under the request, which then says nothing about why; a TLS 1.2 handshake with no
    /// credentials and no client identity gets the refusal as an alert, so it is asked.
    async fn request_failed(&self, e: reqwest::Error, action: &str, home: bool) -> Error {
        let unexplained = home
            && self.base().scheme() == "https"
            && self.opts.tls.identity.is_none()
            && !e.is_timeout()
            && !e.is_connect()
            && tls::handshake_hint(&e, &self.host).is_none();
        let hint = if unexplained { self.client_cert_refusal().await } else { None };
        self.transport_error(e, action, hint)
    }

    async fn client_cert_refusal(&self) -> Option<String> {
        let url = self.url("v2/").ok()?;
        let probe = reqwest::Client::builder()
            .tls_version_max(reqwest::tls::Version::TLS_1_2)
            // Only a hint comes of it: nothing is sent but a bare GET /v2/.
            .tls_danger_accept_invalid_certs(true)
            .connect_timeout(self.opts.connect_timeout)
            .timeout(self.opts.connect_timeout)
            .build()
            .ok()?;
        let err = probe.get(url).send().await.err()?;
        tls::handshake_hint(&err, &self.host).filter(|h| h.contains("client certificate"))
    }

    fn transport_error(&self, e: reqwest::Error, action: &str, tls_hint: Option<String>) -> Error {
        if e.is_timeout() {
            return Error::Timeout {
                registry: self.host.clone(),
                action: action.to_string(),
            };
        }
        let is_connect = e.is_connect();
        let e = e.without_url();
        // The innermost cause says what happened ("Connection refused"); the layers above it
        // only repeat that a request failed.
        let mut deepest: &dyn std::error::Error = &e;
        while let Some(next) = deepest.source() {
            deepest = next;
        }
        let mut reason = deepest.to_string();
        if let Some(i) = reason.find(" (os error") {
            reason.truncate(i);
        }
        let handshake = tls::handshake_hint(&e, &self.host).or(tls_hint);
        let hint = if let Some(h) = &handshake {
            format!("; {h}")
        } else if is_connect {
            "; is the registry running and the address right?".to_string()
        } else {
            "; the connection broke off: check the registry and run the command again (finished work is kept)".to_string()
        };
        let reason = if is_connect { reason.to_lowercase() } else { format!("{action}: {reason}") };
        Error::Connect {
            registry: self.host.clone(),
            reason: format!("{}{hint}", sanitize(&reason)),
        }
    }

    /// The error for a non-success answer, with the registry's own error message when it sent one.
    pub(crate) async fn status_error(&self, resp: Response, action: &str, what: &str) -> Error {
        let status = resp.status();
        let at = resp.url().clone();
        let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).and_then(|l| at.join(l).ok());
        let wait = retry_after(resp.headers());
        let body = read_limited(resp, MAX_ERROR_BODY, &self.host, action)
            .await
            .unwrap_or_default();
        // Registry text may echo the request; whatever secret it repeats is blanked first.
        let (codes, message) = parse_error_body(&body, &|text| self.auth.redact(text));
        if status.is_redirection() {
            let to = location.as_ref().map(destination::origin).unwrap_or_else(|| "nowhere (no Location)".into());
            return Error::Status {
                registry: self.host.clone(),
                status: status.as_u16(),
                action: action.to_string(),
                message: format!("redirected to {to}, which refscope follows only for downloads of blobs and manifests"),
            };
        }
        if !self.same_origin(&at) && status != StatusCode::NOT_FOUND {
            // An answer from where the registry redirected to: say so, whatever it was.
            return Error::Status {
                registry: self.host.clone(),
                status: status.as_u16(),
                action: self.action_at(action, &at),
                message: if message.is_empty() {
                    status.canonical_reason().unwrap_or("unexpected status").to_string()
                } else {
                    message
                },
            };
        }
        match status {
            StatusCode::NOT_FOUND => Error::NotFound {
                what: what.to_string(),
                location: self.host.clone(),
            },
            StatusCode::FORBIDDEN => Error::Denied {
                registry: self.host.clone(),
                what: what.to_string(),
            },
            StatusCode::UNAUTHORIZED => self.auth.unauthorized(None),
            StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
                registry: self.host.clone(),
                action: action.to_string(),
                when: match wait {
                    Some(w) => format!("in {}", humantime::format_duration(Duration::from_secs(w.as_secs().max(1)))),
                    None => "later (it did not say when)".to_string(),
                },
                left: self.rate_limit().map(|r| format!(" ({})", r.describe())).unwrap_or_default(),
            },
            StatusCode::METHOD_NOT_ALLOWED if codes.iter().any(|c| c == "UNSUPPORTED") && action.starts_with("DELETE") => {
                Error::DeleteDisabled {
                    registry: self.host.clone(),
                }
            }
            _ => Error::Status {
                registry: self.host.clone(),
                status: status.as_u16(),
                action: action.to_string(),
                message: if message.is_empty() {
                    status.canonical_reason().unwrap_or("unexpected status").to_string()
                } else {
                    message
                },
            },
        }
    }
}

/// One debug line per exchange: method, path and status, never the query (upload state,
/// tokens, signatures of pre-signed URLs) or any header.
fn log_exchange(method: &Method, url: &Url, sent: &std::result::Result<Response, reqwest::Error>, started: std::time::Instant) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let outcome = match sent {
        Ok(r) => r.status().as_u16().to_string(),
        Err(e) if e.is_timeout() => "timed out".to_string(),
        Err(_) => "failed".to_string(),
    };
    tracing::debug!(
        "{} {}{} -> {outcome} in {:.1} ms (headers)",
        method,
        url.host_str().unwrap_or(""),
        sanitize(url.path()),
        started.elapsed().as_secs_f64() * 1000.0
    );
}

#[derive(Deserialize)]
struct ErrorBody {
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    code: Option<String>,
    message: Option<String>,
}

/// The codes and a one-line message from an OCI error envelope, or from a plain-text body,
/// passed through `redact` before it is cut to length (so no cut leaves half a secret).
fn parse_error_body(body: &[u8], redact: &dyn Fn(&str) -> String) -> (Vec<String>, String) {
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        let codes: Vec<String> = parsed.errors.iter().filter_map(|e| e.code.clone()).collect();
        let msg = parsed
            .errors
            .iter()
            .map(|e| match (&e.code, &e.message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.clone(),
                (None, Some(m)) => m.clone(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        return (codes, truncate(&sanitize(&redact(&msg)), 300));
    }
    // Error messages are one line: the body's line breaks and runs of spaces become one space.
    let text = String::from_utf8_lossy(body).split_whitespace().collect::<Vec<_>>().join(" ");
    (Vec::new(), truncate(&sanitize(&redact(&text)), 300))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

fn is_transient(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_request() || e.is_body() || e.is_timeout()
}

fn retryable(status: StatusCode, idempotent: bool) -> bool {
    match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => true,
        StatusCode::INTERNAL_SERVER_ERROR | StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => idempotent,
        _ => false,
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)))
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = humantime::parse_rfc3339_weak(v)
        .ok()
        .or_else(|| httpdate(v))?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// Parses the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(v: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = months.iter().position(|m| *m == parts[2])? + 1;
    let s = format!("{}-{:02}-{:02}T{}Z", parts[3], month, parts[1].parse::<u32>().ok()?, parts[4]);
    humantime::parse_rfc3339(&s).ok()
}

/// Reads a whole body, refusing more than `limit` bytes.
pub(crate) async fn read_limited(resp: Response, limit: u64, registry: &str, what: &str) -> Result<Bytes> {
    if let Some(len) = resp.content_length()
        && len > limit
    {
        return Err(Error::TooLarge {
            what: format!("{what} from {registry}"),
            size: len,
            limit,
        });
    }
    let mut buf = BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::Connect {
            registry: registry.to_string(),
            reason: format!("reading {what}: {}", e.without_url()),
        })?;
        if buf.len() as u64 + chunk.len() as u64 > limit {
            return Err(Error::TooLarge {
                what: format!("{what} from {registry}"),
                size: buf.len() as u64 + chunk.len() as u64,
                limit,
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn error_bodies() {
        let keep = |s: &str| s.to_string();
        let (codes, msg) = parse_error_body(
            br#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported.","detail":{}}]}"#,
            &keep,
        );
        assert_eq!(codes, vec!["UNSUPPORTED"]);
        assert_eq!(msg, "UNSUPPORTED: The operation is unsupported.");
        let (codes, msg) = parse_error_body(b"404 page not found\n\x1b[31m", &keep);
        assert!(codes.is_empty());
        assert_eq!(msg, "404 page not found \\x1b[31m");
        let long = format!("{}hunter22secret", "x".repeat(295));
        let (_, msg) = parse_error_body(long.as_bytes(), &|s: &str| s.replace("hunter22secret", "***"));
        assert!(!msg.contains("hunter"), "redacted before it is cut: {msg}");
    }
}
