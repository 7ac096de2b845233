//! Sending requests to a registry: authentication with one re-challenge, bounded retries
//! (429/503 for anything, also 5xx and dropped connections for GET/HEAD), bounded bodies,
//! and errors that name the registry and say what to do.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;
use url::Url;

use super::Registry;
use crate::error::{Error, Result};
use crate::text::sanitize;

/// The longest wait a `Retry-After` header can impose on one retry.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// Error bodies larger than this are cut; they only feed messages.
const MAX_ERROR_BODY: u64 = 64 * 1024;

pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub scopes: Vec<String>,
    /// What this request does, for messages ("GET manifest net-monitor:v1").
    pub action: String,
    pub timeout: Option<Duration>,
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
        }
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
        super::link::same_origin(url, &self.base)
    }

    /// Sends a replayable request, handling auth challenges and retries. Any status other than
    /// 401 (after one re-challenge) comes back to the caller.
    pub(crate) async fn send(&self, req: Request) -> Result<Response> {
        let idempotent = req.method == Method::GET || req.method == Method::HEAD;
        let with_auth = self.same_origin(&req.url);
        let mut challenged = false;
        let mut attempt: u32 = 0;
        loop {
            let mut rb = self
                .http
                .request(req.method.clone(), req.url.clone())
                .headers(req.headers.clone());
            if with_auth && let Some(h) = self.auth.header(&self.http, &req.scopes).await? {
                rb = rb.header(AUTHORIZATION, h);
            }
            if let Some(b) = &req.body {
                rb = rb.body(b.clone());
            }
            if let Some(t) = req.timeout.or(Some(self.opts.request_timeout)) {
                rb = rb.timeout(t);
            }
            let slot = self.start_request();
            let started = std::time::Instant::now();
            let sent = rb.send().await;
            drop(slot);
            log_exchange(&req, &sent, started);
            let resp = match sent {
                Ok(r) => r,
                Err(e) if idempotent && attempt < self.opts.max_retries && is_transient(&e) => {
                    tracing::info!("{} {}: {}, retrying", self.host, req.action, e.without_url());
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(self.transport_error(e, &req.action)),
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && with_auth {
                self.auth.forget(&req.scopes);
                if challenged {
                    return Err(self.auth.unauthorized());
                }
                challenged = true;
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                if self.auth.on_challenge(&self.http, challenge.as_deref(), &req.scopes).await? {
                    continue;
                }
                return Err(self.auth.unauthorized());
            }
            if retryable(status, idempotent) && attempt < self.opts.max_retries {
                let wait = retry_after(resp.headers()).unwrap_or_else(|| backoff(attempt));
                tracing::info!("{} {}: {status}, retrying in {wait:?}", self.host, req.action);
                tokio::time::sleep(wait.min(MAX_RETRY_WAIT)).await;
                attempt += 1;
                continue;
            }
            return Ok(resp);
        }
    }

    /// Sends a request with a one-shot streaming body. Auth comes from what earlier requests of
    /// the same scopes learned; there is no replay.
    pub(crate) async fn send_stream(&self, req: Request, body: reqwest::Body) -> Result<Response> {
        let mut rb = self
            .http
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone())
            .body(body);
        if self.same_origin(&req.url)
            && let Some(h) = self.auth.header(&self.http, &req.scopes).await?
        {
            rb = rb.header(AUTHORIZATION, h);
        }
        let slot = self.start_request();
        let started = std::time::Instant::now();
        let sent = rb.send().await;
        drop(slot);
        log_exchange(&req, &sent, started);
        let resp = sent.map_err(|e| self.transport_error(e, &req.action))?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            self.auth.forget(&req.scopes);
            return Err(self.auth.unauthorized());
        }
        Ok(resp)
    }

    pub(crate) fn transport_error(&self, e: reqwest::Error, action: &str) -> Error {
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
        let lower = reason.to_ascii_lowercase();
        let hint = if self.base.scheme() == "https"
            && (lower.contains("certificate") || lower.contains("unknownissuer"))
        {
            "; for a self-signed certificate pass --insecure"
        } else if self.base.scheme() == "https"
            && (lower.contains("corrupt") || lower.contains("invalidcontenttype") || lower.contains("http/1"))
        {
            "; if the registry serves plain HTTP, pass --plain-http"
        } else if is_connect {
            "; is the registry running and the address right?"
        } else {
            "; the connection broke off: check the registry and run the command again (finished work is kept)"
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
        let body = read_limited(resp, MAX_ERROR_BODY, &self.host, action)
            .await
            .unwrap_or_default();
        let (codes, message) = parse_error_body(&body);
        match status {
            StatusCode::NOT_FOUND => Error::NotFound {
                what: what.to_string(),
                location: self.host.clone(),
            },
            StatusCode::FORBIDDEN => Error::Denied {
                registry: self.host.clone(),
                what: what.to_string(),
            },
            StatusCode::UNAUTHORIZED => self.auth.unauthorized(),
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
/// tokens) or any header.
fn log_exchange(req: &Request, sent: &std::result::Result<Response, reqwest::Error>, started: std::time::Instant) {
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
        req.method,
        req.url.host_str().unwrap_or(""),
        sanitize(req.url.path()),
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

/// The codes and a one-line message from an OCI error envelope, or from a plain-text body.
fn parse_error_body(body: &[u8]) -> (Vec<String>, String) {
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
        return (codes, truncate(&sanitize(&msg), 300));
    }
    // Error messages are one line: the body's line breaks and runs of spaces become one space.
    let text = String::from_utf8_lossy(body).split_whitespace().collect::<Vec<_>>().join(" ");
    (Vec::new(), truncate(&sanitize(&text), 300))
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
        let (codes, msg) = parse_error_body(
            br#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported.","detail":{}}]}"#,
        );
        assert_eq!(codes, vec!["UNSUPPORTED"]);
        assert_eq!(msg, "UNSUPPORTED: The operation is unsupported.");
        let (codes, msg) = parse_error_body(b"404 page not found\n\x1b[31m");
        assert!(codes.is_empty());
        assert_eq!(msg, "404 page not found \\x1b[31m");
    }
}
