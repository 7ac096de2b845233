//! Registry authentication: `WWW-Authenticate` challenges (Basic and Bearer), the credential
//! looked up from the chain on the first challenge, and a token cache per scope set.
//!
//! Every decision is made for one request from what that request sent: an anonymous request
//! that meets a challenge retries with credentials; one whose credentials (or token) were
//! refused gets one fresh token at most, never a second try with the same thing. What other
//! requests learned meanwhile (the scheme, cached tokens) only decides what a request sends
//! first. Challenges that arrive together are answered once: one credential lookup, one token
//! request per scope set; requests that need the same thing wait for it.

mod challenge;
mod token;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderValue;
use url::Url;

use self::token::Token;
use super::destination;
use crate::creds::{Chain, Credential, Found};
use crate::error::{Error, Result};

pub use challenge::{Challenge, parse_challenge};

/// Secrets shorter than this are not searched for in error text (every "a" would go).
const MIN_REDACTED_LEN: usize = 4;

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

fn scope_key(scopes: &[String]) -> String {
    scopes.iter().collect::<BTreeSet<_>>().into_iter().cloned().collect::<Vec<_>>().join(" ")
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
    fn scope_keys_ignore_order() {
        let a = vec!["repository:a:pull".to_string(), "repository:b:pull,push".to_string()];
        let b = vec!["repository:b:pull,push".to_string(), "repository:a:pull".to_string()];
        assert_eq!(scope_key(&a), scope_key(&b));
    }
}
