//! A token server for distribution's `auth.token` mode: it issues RS256 JWTs (signed with the
//! `openssl` command) for Basic credentials (GET) and OAuth2 refresh tokens (POST), granting
//! each user the actions it is allowed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

pub const SERVICE: &str = "refscope-test-registry";
pub const ISSUER: &str = "refscope-test-issuer";

#[derive(Clone)]
pub struct User {
    pub password: String,
    /// Actions granted on every repository (e.g. ["pull"] or ["pull", "push", "delete"]).
    pub actions: Vec<String>,
    pub catalog: bool,
}

struct Inner {
    dir: PathBuf,
    users: HashMap<String, User>,
    refresh_tokens: HashMap<String, String>,
    issued: AtomicUsize,
    /// Every token handed out, so a test can look for them where they must not be.
    tokens: Mutex<Vec<String>>,
    /// Refresh tokens presented to the OAuth2 POST, valid or not.
    refresh_tokens_seen: Mutex<Vec<String>>,
    scopes_seen: Mutex<Vec<String>>,
    /// The scopes of each token request, sorted, in arrival order.
    requests: Mutex<Vec<Vec<String>>>,
    /// The raw JSON the server puts after `"expires_in":` (anything, to try clients'
    /// arithmetic, `1e400` included); empty leaves the field out.
    expires_in: Mutex<String>,
}

/// How long issued JWTs are valid, whatever `expires_in` claims.
const JWT_LIFETIME: u64 = 300;

pub struct TokenServer {
    pub realm: String,
    pub bundle: PathBuf,
    inner: Arc<Inner>,
    _dir: tempfile::TempDir,
    _server: super::serve::Served,
}

fn openssl(args: &[&str], dir: &Path) {
    super::require("openssl");
    let ok = Command::new("openssl").args(args).current_dir(dir).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap().success();
    assert!(ok, "openssl {args:?} failed");
}

impl TokenServer {
    pub fn start(users: HashMap<String, User>, refresh_tokens: HashMap<String, String>) -> TokenServer {
        let dir = tempfile::tempdir().unwrap();
        TokenServer::rotate_key(dir.path());
        let inner = Arc::new(Inner {
            dir: dir.path().to_path_buf(),
            users,
            refresh_tokens,
            issued: AtomicUsize::new(0),
            tokens: Mutex::new(Vec::new()),
            refresh_tokens_seen: Mutex::new(Vec::new()),
            scopes_seen: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            expires_in: Mutex::new(JWT_LIFETIME.to_string()),
        });
        let state = inner.clone();
        let server = super::serve::Served::start(move || Router::new().route("/token", get(get_token).post(post_token)).with_state(state));
        TokenServer {
            realm: format!("http://{}/token", server.addr),
            bundle: dir.path().join("cert.pem"),
            inner,
            _dir: dir,
            _server: server,
        }
    }

    /// A new signing key and certificate: tokens signed before no longer verify once the
    /// registry reloads the bundle.
    pub fn rotate_key(dir: &Path) {
        openssl(
            &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=refscope-test-issuer"],
            dir,
        );
    }

    pub fn rotate(&self) {
        TokenServer::rotate_key(&self.inner.dir);
    }

    pub fn issued(&self) -> usize {
        self.inner.issued.load(Ordering::Relaxed)
    }

    /// The refresh tokens clients exchanged (OAuth2 POST, `grant_type=refresh_token`).
    pub fn refresh_tokens_seen(&self) -> Vec<String> {
        self.inner.refresh_tokens_seen.lock().unwrap().clone()
    }

    /// Every token issued so far.
    pub fn tokens(&self) -> Vec<String> {
        self.inner.tokens.lock().unwrap().clone()
    }

    pub fn scopes_seen(&self) -> Vec<String> {
        self.inner.scopes_seen.lock().unwrap().clone()
    }

    /// The scope set of every token request so far (each sorted), in arrival order.
    pub fn requests(&self) -> Vec<Vec<String>> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// The raw JSON value later token answers give as `expires_in`; empty leaves it out.
    pub fn set_expires_in(&self, raw_json: &str) {
        *self.inner.expires_in.lock().unwrap() = raw_json.to_string();
    }

    /// The distribution config for this server.
    pub fn dist_config(&self) -> super::DistConfig {
        super::DistConfig {
            token: Some((self.realm.clone(), SERVICE.into(), ISSUER.into(), self.bundle.clone())),
            ..Default::default()
        }
    }
}

fn sign(dir: &Path, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", "key.pem"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input).unwrap();
    child.wait_with_output().unwrap().stdout
}

fn jwt(inner: &Inner, subject: &str, access: serde_json::Value) -> String {
    let pem = std::fs::read_to_string(inner.dir.join("cert.pem")).unwrap();
    let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let header = json!({"typ": "JWT", "alg": "RS256", "x5c": [der_b64]});
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let claims = json!({
        "iss": ISSUER, "sub": subject, "aud": SERVICE,
        "exp": now + JWT_LIFETIME, "nbf": now - 10, "iat": now,
        "jti": format!("{}-{}", now, inner.issued.load(Ordering::Relaxed)),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = sign(&inner.dir, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The access a user gets for the requested scopes.
fn grant(user: Option<&User>, scopes: &[String]) -> serde_json::Value {
    let mut access = Vec::new();
    for scope in scopes.iter().flat_map(|s| s.split(' ')) {
        let parts: Vec<&str> = scope.splitn(3, ':').collect();
        let [kind, name, actions] = parts[..] else { continue };
        let Some(u) = user else { continue };
        let allowed: Vec<&str> = actions
            .split(',')
            .filter(|a| match kind {
                "registry" => u.catalog,
                _ => u.actions.iter().any(|x| x == a),
            })
            .collect();
        if !allowed.is_empty() {
            access.push(json!({"type": kind, "name": name, "actions": allowed}));
        }
    }
    serde_json::Value::Array(access)
}

fn issue(inner: &Inner, subject: &str, user: Option<&User>, scopes: Vec<String>) -> Response {
    inner.issued.fetch_add(1, Ordering::Relaxed);
    inner.scopes_seen.lock().unwrap().extend(scopes.iter().cloned());
    let mut sorted: Vec<String> = scopes.iter().flat_map(|s| s.split(' ')).map(str::to_string).collect();
    sorted.sort();
    inner.requests.lock().unwrap().push(sorted);
    let token = jwt(inner, subject, grant(user, &scopes));
    inner.tokens.lock().unwrap().push(token.clone());
    let expires_in = inner.expires_in.lock().unwrap().clone();
    let extra = if expires_in.is_empty() { String::new() } else { format!(r#","expires_in":{expires_in}"#) };
    let body = format!(r#"{{"token":"{token}","access_token":"{token}"{extra}}}"#);
    ([("content-type", "application/json")], body).into_response()
}

async fn get_token(State(inner): State<Arc<Inner>>, headers: HeaderMap, Query(q): Query<Vec<(String, String)>>) -> Response {
    let scopes: Vec<String> = q.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.clone()).collect();
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    match basic {
        None => tokio::task::spawn_blocking(move || issue(&inner, "", None, scopes)).await.unwrap(),
        Some(pair) => {
            let (u, p) = pair.split_once(':').unwrap_or((&pair, ""));
            match inner.users.get(u) {
                Some(user) if user.password == p => {
                    let (u, user) = (u.to_string(), user.clone());
                    tokio::task::spawn_blocking(move || issue(&inner, &u, Some(&user), scopes)).await.unwrap()
                }
                _ => StatusCode::UNAUTHORIZED.into_response(),
            }
        }
    }
}

async fn post_token(State(inner): State<Arc<Inner>>, Form(form): Form<HashMap<String, String>>) -> Response {
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    if let Some(t) = form.get("refresh_token") {
        inner.refresh_tokens_seen.lock().unwrap().push(t.clone());
    }
    let Some(user_name) = form.get("refresh_token").and_then(|t| inner.refresh_tokens.get(t)).cloned() else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let user = inner.users.get(&user_name).cloned();
    let scopes: Vec<String> = form.get("scope").map(|s| s.split(' ').map(str::to_string).collect()).unwrap_or_default();
    tokio::task::spawn_blocking(move || issue(&inner, &user_name, user.as_ref(), scopes)).await.unwrap()
}
