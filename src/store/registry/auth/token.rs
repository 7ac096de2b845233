//! Bearer tokens: asked for at the challenge's realm (with the credential, a refresh token or
//! nothing), read from whatever JSON the token server sends, and given a lifetime.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use url::Url;

use super::{Auth, basic_header};
use crate::creds::Credential;
use crate::error::{Error, Result};

/// Token responses larger than this are refused.
const MAX_TOKEN_RESPONSE: usize = 1024 * 1024;
/// Tokens without a usable `expires_in` live this long, the least the distribution token spec
/// allows.
pub(super) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Tokens are kept at most this long whatever the server claims; a registry that still
/// accepts them only costs one token request more.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Tokens are renewed this long before they expire, so one never runs out mid-request.
const EXPIRY_SLACK: Duration = Duration::from_secs(10);

/// A token and when it stops being used.
pub(super) struct Token {
    pub(super) value: String,
    pub(super) serial: u64,
    pub(super) expires: Instant,
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
    pub(super) async fn fetch_token(&self, realm: &Url, service: Option<&str>, scopes: &[String]) -> Result<Token> {
        let http = if super::super::link::same_origin(realm, &self.origin.url()) { &self.http } else { &self.elsewhere };
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
        let body = super::super::client::read_limited(resp, MAX_TOKEN_RESPONSE as u64, &host, "token response").await?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
