//! The credential chain: explicit flags and environment, the Docker-compatible config file
//! (with its credential helpers), the OS keyring, then anonymous.

mod docker_config;
mod keyring_store;

use std::fmt;
use std::path::PathBuf;

pub use docker_config::{DockerConfig, config_path as docker_config_path, helper_erase, helper_store};
pub use keyring_store::Keyring;

/// A secret for one registry. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (Docker's `identitytoken`), exchanged at the token realm.
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credential::IdentityToken(_) => write!(f, "IdentityToken(***)"),
        }
    }
}

/// Where a credential came from, for messages like "the credentials from X were rejected".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flags,
    DockerConfig(PathBuf),
    Helper(String),
    Keyring,
    Interactive,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flags => write!(f, "-u/-p"),
            Source::DockerConfig(p) => write!(f, "{}", p.display()),
            Source::Helper(h) => write!(f, "credential helper docker-credential-{h}"),
            Source::Keyring => write!(f, "the OS keyring"),
            Source::Interactive => write!(f, "the login dialog"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub credential: Credential,
    pub source: Source,
}

/// The lookup chain for one invocation. Looking up is blocking (helpers are processes, the
/// keyring is D-Bus): call it off the async runtime.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// From `-u/-p`, `--password-stdin` or `REFSCOPE_USERNAME`/`REFSCOPE_PASSWORD`.
    pub explicit: Option<Credential>,
    /// `--registry-config`; otherwise the Docker default location.
    pub config_path: Option<PathBuf>,
    /// Skip the keyring (tests, or users who do not want it probed).
    pub no_keyring: bool,
}

impl Chain {
    pub fn lookup(&self, registry: &str) -> Option<Found> {
        if let Some(c) = &self.explicit {
            return Some(Found {
                credential: c.clone(),
                source: Source::Flags,
            });
        }
        let path = self.config_path.clone().or_else(docker_config_path);
        if let Some(path) = path {
            match DockerConfig::load(&path) {
                Ok(Some(cfg)) => match cfg.lookup(registry) {
                    Ok(Some(found)) => return Some(found),
                    Ok(None) => {}
                    Err(e) => tracing::warn!("docker config lookup for {registry}: {e}"),
                },
                Ok(None) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        }
        if !self.no_keyring && keyring_allowed() {
            match Keyring::get(registry) {
                Ok(Some(credential)) => {
                    return Some(Found {
                        credential,
                        source: Source::Keyring,
                    });
                }
                Ok(None) => {}
                Err(e) => keyring_store::log_unavailable_once(&e),
            }
        }
        None
    }
}

/// Stores a verified login the way DESIGN.md §5 says: into the credential helper the Docker
/// config names for this registry, else the OS keyring, else the config file itself (mode 0600).
/// Returns where it went, and whether that is the unencrypted file.
/// Whether the OS keyring may be used at all (`REFSCOPE_NO_KEYRING` turns it off).
pub fn keyring_allowed() -> bool {
    std::env::var_os("REFSCOPE_NO_KEYRING").is_none()
}

pub fn save_login(config_path: &std::path::Path, registry: &str, username: &str, password: &str, keyring: bool) -> crate::error::Result<(String, bool)> {
    let mut cfg = DockerConfig::load(config_path)?.unwrap_or_else(|| DockerConfig::empty(config_path));
    if let Some(helper) = cfg.helper_for(registry) {
        helper_store(&helper, registry, username, password)?;
        return Ok((format!("credential helper docker-credential-{helper}"), false));
    }
    if keyring {
        match Keyring::set(registry, username, password) {
            Ok(()) => return Ok(("the OS keyring".into(), false)),
            Err(e) => tracing::info!("keyring unavailable for login: {e}"),
        }
    }
    cfg.store_in_file(registry, username, password)?;
    Ok((config_path.display().to_string(), true))
}
