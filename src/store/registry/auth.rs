//! Registry authentication: `WWW-Authenticate` challenges (Basic and Bearer), a token cache per
//! scope set, and the credential looked up lazily from the chain on the first challenge.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use url::Url;

use crate::creds::{Chain, Credential, Found, Source};
use crate::error::{Error, Result};

/// Token responses larger than this are refused.
const MAX_TOKEN_RESPONSE: usize = 1024 * 1024;
/// Tokens without `expires_in` live this long, as the distribution token spec says.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Tokens are renewed this long before they expire, so one never runs out mid-request.
const EXPIRY_SLACK: Duration = Duration::from_secs(10);

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
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

struct Token {
    value: String,
    expires: Instant,
}

/// Authentication state of one registry.
pub struct Auth {
    registry: String,
    chain: Arc<Chain>,
    credential: Mutex<Option<Option<Found>>>,
    scheme: Mutex<Scheme>,
    tokens: Mutex<HashMap<String, Token>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

fn scope_key(scopes: &[String]) -> String {
    scopes.iter().collect::<BTreeSet<_>>().into_iter().cloned().collect::<Vec<_>>().join(" ")
}

impl Auth {
    pub fn new(registry: String, chain: Arc<Chain>) -> Auth {
        Auth {
            registry,
            chain,
            credential: Mutex::new(None),
            scheme: Mutex::new(Scheme::Unknown),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces the credential (e.g. from the TUI's login dialog) and forgets cached tokens.
    pub fn set_credential(&self, found: Option<Found>) {
        *lock(&self.credential) = Some(found);
        lock(&self.tokens).clear();
    }

    /// The credential for this registry, looked up once.
    pub async fn credential(&self) -> Option<Found> {
        if let Some(c) = lock(&self.credential).clone() {
            return c;
        }
        let chain = self.chain.clone();
        let registry = self.registry.clone();
        let found = tokio::task::spawn_blocking(move || chain.lookup(&registry))
            .await
            .ok()
            .flatten();
        *lock(&self.credential) = Some(found.clone());
        found
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

    pub fn credential_source(&self) -> Option<Source> {
        lock(&self.credential).clone().flatten().map(|f| f.source)
    }

    /// The message for a 401 that survived a re-challenge.
    pub fn unauthorized(&self) -> Error {
        let reg = &self.registry;
        let hint = match self.credential_source() {
            Some(src) => format!(
                "the credentials from {src} were rejected; run `refscope login {reg}` with valid ones or pass -u/-p"
            ),
            None => format!("run `refscope login {reg}` or pass -u/-p"),
        };
        Error::Unauthorized {
            registry: reg.clone(),
            hint,
        }
    }

    /// The `Authorization` header for a request needing `scopes`, fetching a token if the
    /// registry is known to use bearer tokens and none is cached.
    pub async fn header(&self, http: &reqwest::Client, scopes: &[String]) -> Result<Option<HeaderValue>> {
        let scheme = lock(&self.scheme).clone();
        match scheme {
            Scheme::Unknown => Ok(None),
            Scheme::Basic => match self.credential().await {
                Some(Found {
                    credential: Credential::Basic { username, password },
                    ..
                }) => Ok(Some(basic_header(&username, &password))),
                _ => Ok(None),
            },
            Scheme::Bearer { realm, service } => {
                let key = scope_key(scopes);
                if let Some(t) = lock(&self.tokens).get(&key)
                    && t.expires > Instant::now()
                {
                    return Ok(Some(bearer_header(&t.value)?));
                }
                let token = self.fetch_token(http, &realm, service.as_deref(), scopes).await?;
                let header = bearer_header(&token.value)?;
                lock(&self.tokens).insert(key, token);
                Ok(Some(header))
            }
        }
    }

    /// Handles a 401 answer: learns the scheme and fetches what it asks for. Returns `false`
    /// when retrying cannot help (no credential for Basic, no usable challenge).
    pub async fn on_challenge(&self, http: &reqwest::Client, header: Option<&str>, scopes: &[String]) -> Result<bool> {
        let Some(challenge) = header.and_then(parse_challenge) else {
            return Ok(false);
        };
        match challenge {
            Challenge::Basic => {
                let was_basic = matches!(*lock(&self.scheme), Scheme::Basic);
                *lock(&self.scheme) = Scheme::Basic;
                Ok(!was_basic && self.credential().await.is_some())
            }
            Challenge::Bearer { realm, service, scope } => {
                let realm = Url::parse(&realm).map_err(|e| Error::Protocol {
                    registry: self.registry.clone(),
                    action: "authentication".into(),
                    reason: format!("token realm `{realm}` is not a URL ({e})"),
                })?;
                if !matches!(realm.scheme(), "http" | "https") {
                    return Ok(false);
                }
                *lock(&self.scheme) = Scheme::Bearer {
                    realm: realm.clone(),
                    service: service.clone(),
                };
                let mut wanted: Vec<String> = scopes.to_vec();
                if let Some(s) = scope {
                    wanted.extend(s.split(' ').filter(|s| !s.is_empty()).map(str::to_string));
                }
                let token = self.fetch_token(http, &realm, service.as_deref(), &wanted).await?;
                lock(&self.tokens).insert(scope_key(scopes), token);
                Ok(true)
            }
        }
    }

    /// Forgets the token for `scopes` (after a 401 that used it).
    pub fn forget(&self, scopes: &[String]) {
        lock(&self.tokens).remove(&scope_key(scopes));
    }

    async fn fetch_token(
        &self,
        http: &reqwest::Client,
        realm: &Url,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<Token> {
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
            return Err(self.unauthorized());
        }
        if !status.is_success() {
            return Err(Error::Status {
                registry: host,
                status: status.as_u16(),
                action: "token request".into(),
                message: "the token server refused to issue a token".into(),
            });
        }
        let body = super::client::read_limited(resp, MAX_TOKEN_RESPONSE as u64, &host, "token response").await?;
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| Error::Protocol {
            registry: host.clone(),
            action: "token request".into(),
            reason: format!("malformed token response ({e})"),
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
        let lifetime = parsed
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME)
            .max(DEFAULT_TOKEN_LIFETIME);
        Ok(Token {
            value,
            expires: Instant::now() + lifetime.saturating_sub(EXPIRY_SLACK),
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
            })
        );
        assert_eq!(
            parse_challenge(r#"bearer realm=https://t/x, service="a\"b""#),
            Some(Challenge::Bearer {
                realm: "https://t/x".into(),
                service: Some("a\"b".into()),
                scope: None
            })
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }

    #[test]
    fn scope_keys_ignore_order() {
        let a = vec!["repository:a:pull".to_string(), "repository:b:pull,push".to_string()];
        let b = vec!["repository:b:pull,push".to_string(), "repository:a:pull".to_string()];
        assert_eq!(scope_key(&a), scope_key(&b));
    }
}
