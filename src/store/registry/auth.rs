//! Registry authentication: `WWW-Authenticate` challenges (Basic and Bearer), the credential
//! looked up from the chain on the first challenge, and a token cache per scope set.
//!
//! Every decision is made for one request from what that request sent: an anonymous request
//! that meets a challenge retries with credentials; one whose credentials (or token) were
//! refused gets one fresh token at most, never a second try with the same thing. What other
//! requests learned meanwhile (the scheme, cached tokens) only decides what a request sends
//! first. Challenges that arrive together are answered once: one credential lookup, one token
//! request per scope set; requests that need the same thing wait for it.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::destination;
use crate::creds::{Chain, Credential, Found};
use crate::error::{Error, Result};

/// Token responses larger than this are refused.
const MAX_TOKEN_RESPONSE: usize = 1024 * 1024;
/// Tokens without a usable `expires_in` live this long, the least the distribution token spec
/// allows.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Tokens are kept at most this long whatever the server claims; a registry that still
/// accepts them only costs one token request more.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Tokens are renewed this long before they expire, so one never runs out mid-request.
const EXPIRY_SLACK: Duration = Duration::from_secs(10);
/// Secrets shorter than this are not searched for in error text (every "a" would go).
const MIN_REDACTED_LEN: usize = 4;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
        /// `insufficient_scope`, `invalid_token`…
        error: Option<String>,
    },
}

/// Parses the first Basic or Bearer challenge of a `WWW-Authenticate` header.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(char::is_whitespace).unwrap_or((header, ""));
    let params = parse_params(rest);
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => Some(Challenge::Bearer {
            realm: params.get("realm")?.clone(),
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
            error: params.get("error").cloned(),
        }),
        _ => None,
    }
}

/// `key="quoted \"value\"", key2=token` into a map with lowercase keys.
fn parse_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        out.insert(key, value);
    }
    out
}

#[derive(Debug, Clone)]
enum Scheme {
    /// No challenge seen yet: requests go out without credentials.
    Unknown,
    Basic,
    Bearer { realm: Url, service: Option<String> },
}

/// What one request carried, so that its 401 is judged on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sent {
    Nothing,
    Basic,
    /// The token with this serial number.
    Bearer(u64),
}

struct Token {
    value: String,
    serial: u64,
    expires: Instant,
}

/// The token state of one scope set. Its async lock is what makes concurrent requests for the
/// same scopes wait for one token request instead of each sending their own.
#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    Ready(Token),
    /// The token server refused the credential for these scopes; asking again with the same
    /// credential would only count as another failed login.
    Refused,
}

/// Authentication state of one registry.
pub struct Auth {
    registry: String,
    origin: Arc<super::origin::Origin>,
    chain: Arc<Chain>,
    /// The registry's own client and the one for everywhere else (no client identity).
    http: reqwest::Client,
    elsewhere: reqwest::Client,
    /// `None` until looked up; `Some(None)` means anonymous.
    credential: Mutex<Option<Option<Found>>>,
    /// Held while the chain is asked, so that it is asked once.
    lookup: tokio::sync::Mutex<()>,
    scheme: Mutex<Scheme>,
    tokens: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    serials: AtomicU64,
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// `expires_in` read on its own: a number serde_json cannot hold (`1e400`) makes only this
/// part unreadable, not the token.
#[derive(Deserialize)]
struct TokenLifetime {
    expires_in: Option<serde_json::Value>,
}

fn scope_key(scopes: &[String]) -> String {
    scopes.iter().collect::<BTreeSet<_>>().into_iter().cloned().collect::<Vec<_>>().join(" ")
}

/// How long a token may be used, from the server's `expires_in` (any JSON at all): at least
/// the spec's 60 seconds, at most [`MAX_TOKEN_LIFETIME`]; absent, negative, zero, fractional
/// nonsense or unreadable all mean the default.
fn token_lifetime(expires_in: Option<&serde_json::Value>) -> Duration {
    let secs = match expires_in {
        Some(serde_json::Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 1.0)
                .map(|f| f.min(MAX_TOKEN_LIFETIME.as_secs() as f64) as u64)
        }),
        _ => None,
    };
    secs.map(Duration::from_secs)
        .unwrap_or(DEFAULT_TOKEN_LIFETIME)
        .clamp(DEFAULT_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME)
}

impl Auth {
    pub(crate) fn new(registry: String, origin: Arc<super::origin::Origin>, chain: Arc<Chain>, http: reqwest::Client, elsewhere: reqwest::Client) -> Auth {
        Auth {
            registry,
            origin,
            chain,
            http,
            elsewhere,
            credential: Mutex::new(None),
            lookup: tokio::sync::Mutex::new(()),
            scheme: Mutex::new(Scheme::Unknown),
            tokens: Mutex::new(HashMap::new()),
            serials: AtomicU64::new(0),
        }
    }

    /// Replaces the credential (e.g. from the TUI's login dialog) and forgets cached tokens.
    pub fn set_credential(&self, found: Option<Found>) {
        *lock(&self.credential) = Some(found);
        lock(&self.tokens).clear();
    }

    /// The credential for this registry, looked up once however many ask at the same time.
    pub async fn credential(&self) -> Option<Found> {
        if let Some(c) = lock(&self.credential).clone() {
            return c;
        }
        let _only_one = self.lookup.lock().await;
        if let Some(c) = lock(&self.credential).clone() {
            return c;
        }
        let chain = self.chain.clone();
        let registry = self.registry.clone();
        let found = tokio::task::spawn_blocking(move || chain.lookup(&registry))
            .await
            .ok()
            .flatten();
        // A credential set meanwhile (the login dialog) wins over the lookup.
        lock(&self.credential).get_or_insert(found).clone()
    }

    /// Who requests go out as, once a challenge made it matter: "anonymous", or the user and
    /// where the credential came from.
    pub fn summary(&self) -> Option<String> {
        let looked_up = lock(&self.credential).clone()?;
        Some(match looked_up {
            None => "anonymous".into(),
            Some(Found { credential: Credential::Basic { username, .. }, source }) => format!("{username} (from {source})"),
            Some(Found { credential: Credential::IdentityToken(_), source }) => format!("identity token (from {source})"),
        })
    }

    /// The message for a 401 that a retry could not or did not clear; `challenge` is the
    /// `WWW-Authenticate` header of that answer, when it had one.
    pub fn unauthorized(&self, challenge: Option<&str>) -> Error {
        let reg = &self.registry;
        let insufficient_scope = matches!(
            challenge.and_then(parse_challenge),
            Some(Challenge::Bearer { error: Some(e), .. }) if e == "insufficient_scope"
        );
        let basic = matches!(challenge.and_then(parse_challenge), Some(Challenge::Basic));
        let hint = match lock(&self.credential).clone().flatten() {
            None => format!("run `refscope login {reg}` or pass -u/-p"),
            Some(Found { source, .. }) if insufficient_scope => format!(
                "the credentials from {source} were rejected or do not grant this (insufficient scope); use an account with access: `refscope login {reg}` or -u/-p"
            ),
            Some(Found { credential: Credential::IdentityToken(_), source }) if basic => format!(
                "the registry asks for a username and password, and {source} holds an identity token; run `refscope login {reg}` or pass -u/-p"
            ),
            Some(Found { source, .. }) => format!(
                "the credentials from {source} were rejected; run `refscope login {reg}` with valid ones or pass -u/-p"
            ),
        };
        Error::Unauthorized {
            registry: reg.clone(),
            hint,
        }
    }

    /// The `Authorization` header a request needing `scopes` starts with, from what earlier
    /// challenges taught (nothing before the first), and what it is.
    pub async fn authorize(&self, scopes: &[String]) -> Result<(Option<HeaderValue>, Sent)> {
        let scheme = lock(&self.scheme).clone();
        match scheme {
            Scheme::Unknown => Ok((None, Sent::Nothing)),
            Scheme::Basic => Ok(match self.credential().await {
                Some(Found {
                    credential: Credential::Basic { username, password },
                    ..
                }) => (Some(basic_header(&username, &password)), Sent::Basic),
                _ => (None, Sent::Nothing),
            }),
            Scheme::Bearer { realm, service } => {
                let (value, serial) = self.token(&realm, service.as_deref(), scopes, &[], None).await?;
                Ok((Some(bearer_header(&value)?), Sent::Bearer(serial)))
            }
        }
    }

    /// Answers a 401 to a request that sent `sent`: returns whether sending it again can help
    /// (and has prepared what it needs). A Basic challenge helps only a request that sent no
    /// credentials, and only when there is a username and password; a Bearer challenge gets a
    /// token, a fresh one when the request's own token was refused.
    pub async fn on_challenge(&self, header: Option<&str>, scopes: &[String], sent: &Sent) -> Result<bool> {
        let Some(challenge) = header.and_then(parse_challenge) else {
            return Ok(false);
        };
        match challenge {
            Challenge::Basic => {
                if *sent == Sent::Basic {
                    return Ok(false);
                }
                let usable = matches!(
                    self.credential().await,
                    Some(Found {
                        credential: Credential::Basic { .. },
                        ..
                    })
                );
                if usable {
                    *lock(&self.scheme) = Scheme::Basic;
                }
                Ok(usable)
            }
            Challenge::Bearer { realm, service, scope, .. } => {
                let realm = self.checked_realm(&realm)?;
                *lock(&self.scheme) = Scheme::Bearer {
                    realm: realm.clone(),
                    service: service.clone(),
                };
                let refused = match sent {
                    Sent::Bearer(serial) => Some(*serial),
                    _ => None,
                };
                let extra: Vec<String> = scope
                    .iter()
                    .flat_map(|s| s.split(' '))
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                self.token(&realm, service.as_deref(), scopes, &extra, refused).await?;
                Ok(true)
            }
        }
    }

    /// The realm of a Bearer challenge, if it is a place credentials may go.
    fn checked_realm(&self, realm: &str) -> Result<Url> {
        let refuse = |reason: String| Error::Protocol {
            registry: self.registry.clone(),
            action: "authentication".into(),
            reason,
        };
        let url = Url::parse(realm).map_err(|e| refuse(format!("the token realm `{realm}` is not a URL ({e})")))?;
        destination::check_realm(&url, &self.origin.url()).map_err(|why| {
            refuse(format!(
                "refusing the token realm {url}: {why}; no credentials were sent there. If this registry is yours, fix its token service address"
            ))
        })?;
        Ok(url)
    }

    /// A token for `scopes`: the cached one unless it is the one that was just `refused`,
    /// else a new one from the realm (asking for `extra` scopes too). Concurrent callers for the
    /// same scopes share one request.
    async fn token(
        &self,
        realm: &Url,
        service: Option<&str>,
        scopes: &[String],
        extra: &[String],
        refused: Option<u64>,
    ) -> Result<(String, u64)> {
        let slot = lock(&self.tokens).entry(scope_key(scopes)).or_default().clone();
        let mut slot = slot.lock().await;
        match &*slot {
            Slot::Ready(t) if Some(t.serial) != refused && t.expires > Instant::now() => {
                return Ok((t.value.clone(), t.serial));
            }
            Slot::Refused => return Err(self.unauthorized(None)),
            _ => {}
        }
        let mut wanted: Vec<String> = scopes.to_vec();
        for s in extra {
            if !wanted.contains(s) {
                wanted.push(s.clone());
            }
        }
        match self.fetch_token(realm, service, &wanted).await {
            Ok(t) => {
                let got = (t.value.clone(), t.serial);
                *slot = Slot::Ready(t);
                Ok(got)
            }
            Err(e @ Error::Unauthorized { .. }) => {
                *slot = Slot::Refused;
                Err(e)
            }
            Err(e) => {
                *slot = Slot::Empty;
                Err(e)
            }
        }
    }

    /// `text` with every secret this session holds (password, its Basic encoding, identity
    /// token, cached tokens) replaced by `***`: for registry text that may echo a request.
    pub fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<String> = Vec::new();
        match lock(&self.credential).clone().flatten().map(|f| f.credential) {
            Some(Credential::Basic { username, password }) => {
                secrets.push(STANDARD.encode(format!("{username}:{password}")));
                secrets.push(password);
            }
            Some(Credential::IdentityToken(t)) => secrets.push(t),
            None => {}
        }
        for slot in lock(&self.tokens).values() {
            if let Ok(s) = slot.try_lock()
                && let Slot::Ready(t) = &*s
            {
                secrets.push(t.value.clone());
            }
        }
        let mut out = text.to_string();
        for s in secrets.iter().filter(|s| s.len() >= MIN_REDACTED_LEN) {
            out = out.replace(s.as_str(), "***");
        }
        out
    }

    async fn fetch_token(&self, realm: &Url, service: Option<&str>, scopes: &[String]) -> Result<Token> {
        let http = if super::link::same_origin(realm, &self.origin.url()) { &self.http } else { &self.elsewhere };
        let cred = self.credential().await.map(|f| f.credential);
        let req = match &cred {
            Some(Credential::IdentityToken(refresh)) => {
                let mut form: Vec<(&str, String)> = vec![
                    ("grant_type", "refresh_token".into()),
                    ("refresh_token", refresh.clone()),
                    ("client_id", "refscope".into()),
                    ("scope", scopes.join(" ")),
                ];
                if let Some(s) = service {
                    form.push(("service", s.to_string()));
                }
                http.post(realm.clone()).form(&form)
            }
            _ => {
                let mut url = realm.clone();
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    for s in scopes {
                        q.append_pair("scope", s);
                    }
                    if let Some(Credential::Basic { username, .. }) = &cred {
                        q.append_pair("account", username);
                    }
                }
                let req = http.get(url);
                match &cred {
                    Some(Credential::Basic { username, password }) => {
                        req.header(AUTHORIZATION, basic_header(username, password))
                    }
                    _ => req,
                }
            }
        };
        let host = realm.host_str().unwrap_or("token server").to_string();
        let resp = req.send().await.map_err(|e| Error::Connect {
            registry: host.clone(),
            reason: e.without_url().to_string(),
        })?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(self.unauthorized(None));
        }
        if !status.is_success() {
            let message = if status.is_redirection() {
                "the token server redirected the request; token requests are not redirected (they carry credentials)"
            } else {
                "the token server refused to issue a token"
            };
            return Err(Error::Status {
                registry: host,
                status: status.as_u16(),
                action: "token request".into(),
                message: message.into(),
            });
        }
        let body = super::client::read_limited(resp, MAX_TOKEN_RESPONSE as u64, &host, "token response").await?;
        // serde's messages quote the values they choke on: only where it choked is reported.
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| Error::Protocol {
            registry: host.clone(),
            action: "token request".into(),
            reason: format!(
                "malformed token response (not a JSON object with a string `token`; line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
        let value = parsed
            .access_token
            .or(parsed.token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Protocol {
                registry: host,
                action: "token request".into(),
                reason: "the token response has no token".into(),
            })?;
        let claimed = serde_json::from_slice::<TokenLifetime>(&body).ok().and_then(|l| l.expires_in);
        let lifetime = token_lifetime(claimed.as_ref()).saturating_sub(EXPIRY_SLACK);
        let now = Instant::now();
        Ok(Token {
            value,
            serial: self.serials.fetch_add(1, Ordering::Relaxed),
            expires: now.checked_add(lifetime).unwrap_or(now),
        })
    }
}

fn basic_header(username: &str, password: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(format!("{username}:{password}"))))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    v.set_sensitive(true);
    v
}

fn bearer_header(token: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Error::Protocol {
        registry: "token server".into(),
        action: "token request".into(),
        reason: "the token contains characters not allowed in a header".into(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_challenges() {
        assert_eq!(parse_challenge(r#"Basic realm="test-realm""#), Some(Challenge::Basic));
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push",error="insufficient_scope""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example.com/token".into(),
                service: Some("registry.example.com".into()),
                scope: Some("repository:a/b:pull,push".into()),
                error: Some("insufficient_scope".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"bearer realm=https://t/x, service="a\"b""#),
            Some(Challenge::Bearer {
                realm: "https://t/x".into(),
                service: Some("a\"b".into()),
                scope: None,
                error: None,
            })
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }

    #[test]
    fn token_lifetimes_from_any_json() {
        use serde_json::json;
        let life = |v: serde_json::Value| token_lifetime(Some(&v));
        assert_eq!(life(json!(300)), Duration::from_secs(300));
        assert_eq!(life(json!(300.9)), Duration::from_secs(300));
        for short in [json!(0), json!(-5), json!(0.5), json!(-1e300), json!("600"), json!(null), json!({})] {
            assert_eq!(life(short.clone()), DEFAULT_TOKEN_LIFETIME, "{short}");
        }
        for long in [json!(u64::MAX), json!(1e300), json!(f64::MAX)] {
            assert_eq!(life(long.clone()), MAX_TOKEN_LIFETIME, "{long}");
        }
        assert_eq!(token_lifetime(None), DEFAULT_TOKEN_LIFETIME);
        // A number serde_json cannot hold spoils only the lifetime, not the token.
        let body = br#"{"token":"t","expires_in":1e400}"#;
        assert!(serde_json::from_slice::<TokenResponse>(body).is_ok());
        assert!(serde_json::from_slice::<TokenLifetime>(body).is_err());
    }

    #[test]
    fn scope_keys_ignore_order() {
        let a = vec!["repository:a:pull".to_string(), "repository:b:pull,push".to_string()];
        let b = vec!["repository:b:pull,push".to_string(), "repository:a:pull".to_string()];
        assert_eq!(scope_key(&a), scope_key(&b));
    }
}
