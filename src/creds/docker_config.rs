//! Docker's `config.json`, as `docker login`, `oras login` and `az acr login` write it.
//! Reading goes through the `docker_credential` crate (auths, identity tokens, credHelpers,
//! credsStore); writing (for `refscope login`) is done here, keeping every other key intact.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use docker_credential::{CredentialRetrievalError, DockerCredential};

use super::{Credential, Found, Source};
use crate::error::{Error, Result};

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    directories::BaseDirs::new().map(|b| b.home_dir().join(".docker").join("config.json"))
}

/// The key Docker uses for a registry in `auths` and `credHelpers`.
fn config_key(registry: &str) -> String {
    if registry == crate::oci::DOCKER_HUB || registry == "index.docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    }
}

pub struct DockerConfig {
    path: PathBuf,
    raw: Vec<u8>,
    json: serde_json::Map<String, serde_json::Value>,
}

impl DockerConfig {
    /// Reads the file; `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<DockerConfig>> {
        let raw = match std::fs::read(path) {
            Ok(raw) => raw,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let json = if raw.iter().all(u8::is_ascii_whitespace) {
            serde_json::Map::new()
        } else {
            serde_json::from_slice(&raw).map_err(|e| Error::Credentials {
                registry: "any registry".into(),
                reason: format!("{} is not valid JSON ({e}); fix or remove it", path.display()),
            })?
        };
        Ok(Some(DockerConfig {
            path: path.to_path_buf(),
            raw,
            json,
        }))
    }

    /// The credential this config holds for `registry`, asking a helper when one is set.
    pub fn lookup(&self, registry: &str) -> Result<Option<Found>> {
        let key = config_key(registry);
        let helper = self.helper_for(registry);
        let lookup_name = if key.starts_with("https://") { "index.docker.io" } else { registry };
        let found = docker_credential::get_credential_from_reader(self.raw.as_slice(), lookup_name)
            .or_else(|e| match e {
                // docker_credential matches `auths` by normalized host; an entry keyed by the
                // Docker Hub URL needs the URL itself for helpers.
                CredentialRetrievalError::NoCredentialConfigured if key != lookup_name => {
                    docker_credential::get_credential_from_reader(self.raw.as_slice(), &key)
                }
                other => Err(other),
            });
        let source = match &helper {
            Some(h) => Source::Helper(h.clone()),
            None => Source::DockerConfig(self.path.clone()),
        };
        match found {
            Ok(DockerCredential::UsernamePassword(username, password)) => Ok(Some(Found {
                credential: Credential::Basic { username, password },
                source,
            })),
            Ok(DockerCredential::IdentityToken(t)) => Ok(Some(Found {
                credential: Credential::IdentityToken(t),
                source,
            })),
            Err(CredentialRetrievalError::NoCredentialConfigured) => Ok(None),
            Err(CredentialRetrievalError::HelperFailure { helper, .. }) => {
                // Helpers answer non-zero for "no credentials for this server"; that is not
                // an error for the chain, and their output is not shown (it may echo input).
                tracing::info!("{helper} has no credentials for {registry}");
                Ok(None)
            }
            Err(e) => Err(Error::Credentials {
                registry: registry.to_string(),
                reason: format!("{} ({})", describe(&e), self.path.display()),
            }),
        }
    }

    /// The credential helper that owns `registry`: its `credHelpers` entry, else `credsStore`.
    pub fn helper_for(&self, registry: &str) -> Option<String> {
        let key = config_key(registry);
        self.json
            .get("credHelpers")
            .and_then(|h| h.get(&key).or_else(|| h.get(registry)))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .or_else(|| {
                self.json
                    .get("credsStore")
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
            })
            .map(str::to_string)
    }

    /// Stores a credential in the `auths` section and writes the file with mode 0600.
    pub fn store_in_file(&mut self, registry: &str, username: &str, password: &str) -> Result<()> {
        let key = config_key(registry);
        let auths = self
            .json
            .entry("auths")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if !auths.is_object() {
            *auths = serde_json::Value::Object(Default::default());
        }
        let entry = serde_json::json!({ "auth": STANDARD.encode(format!("{username}:{password}")) });
        if let Some(map) = auths.as_object_mut() {
            map.insert(key, entry);
        }
        self.write()
    }

    /// Removes a registry from `auths`. Returns whether anything was there.
    pub fn remove_from_file(&mut self, registry: &str) -> Result<bool> {
        let key = config_key(registry);
        let removed = self
            .json
            .get_mut("auths")
            .and_then(|a| a.as_object_mut())
            .map(|a| a.remove(&key).is_some() | a.remove(registry).is_some())
            .unwrap_or(false);
        if removed {
            self.write()?;
        }
        Ok(removed)
    }

    fn write(&mut self) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(&self.json).map_err(|e| Error::Credentials {
            registry: "any registry".into(),
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
        write_private(&self.path, &bytes)?;
        self.raw = bytes;
        Ok(())
    }

    /// A new, empty config at `path` (written on first store).
    pub fn empty(path: &Path) -> DockerConfig {
        DockerConfig {
            path: path.to_path_buf(),
            raw: b"{}".to_vec(),
            json: serde_json::Map::new(),
        }
    }
}

/// Writes a file readable only by its owner, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

fn describe(e: &CredentialRetrievalError) -> &'static str {
    match e {
        CredentialRetrievalError::HelperCommunicationError => {
            "the configured credential helper could not be run; install it or remove it from the config"
        }
        CredentialRetrievalError::MalformedHelperResponse => "the credential helper answered malformed JSON",
        CredentialRetrievalError::CredentialDecodingError => "an `auth` entry is not valid base64 of user:password",
        CredentialRetrievalError::CredentialMismatchError => "an `auth` entry disagrees with its username/password",
        CredentialRetrievalError::ConfigNotFound | CredentialRetrievalError::ConfigReadError => {
            "the config file could not be read"
        }
        _ => "the credential could not be read",
    }
}

/// Hands a credential to a Docker credential helper (`docker-credential-<name> store`).
pub fn helper_store(helper: &str, registry: &str, username: &str, password: &str) -> Result<()> {
    let payload = serde_json::json!({
        "ServerURL": config_key(registry),
        "Username": username,
        "Secret": password,
    });
    run_helper(helper, "store", &payload.to_string(), registry)
}

/// Asks a helper to forget a registry.
pub fn helper_erase(helper: &str, registry: &str) -> Result<()> {
    run_helper(helper, "erase", &config_key(registry), registry)
}

fn run_helper(helper: &str, verb: &str, input: &str, registry: &str) -> Result<()> {
    let program = format!("docker-credential-{helper}");
    let fail = |reason: String| Error::Credentials {
        registry: registry.to_string(),
        reason,
    };
    let mut child = Command::new(&program)
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| fail(format!("{program} {verb}: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("{program} {verb}: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!("{program} {verb} failed (exit {})", out.status)));
    }
    Ok(())
}
