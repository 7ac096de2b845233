//! Opening what a reference string names: a repository on a registry (one shared client per
//! host) or an OCI layout directory. Both fronts, CLI and TUI, open targets this way.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config::{Config, ReferrersSetting, RegistryConfig};
use crate::creds::Chain;
use crate::error::{Error, Result};
use crate::oci::{Digest, Reference};
use crate::store::{ReferrersMode, Target};
use crate::store::layout::Layout;
use crate::store::layouts::LayoutDir;
use crate::store::certs_d;
use crate::store::registry::tls::{ClientIdentity, TlsFiles};
use crate::store::registry::{Registry, RegistryOptions};

/// How to reach registries, from the command line: holds for every registry a command opens.
#[derive(Debug, Clone, Default)]
pub struct ConnectFlags {
    pub plain_http: bool,
    pub insecure: bool,
    /// Trusted besides the system's roots and the registry's certs.d CAs.
    pub ca_files: Vec<PathBuf>,
    /// Replaces a client certificate from certs.d.
    pub identity: Option<ClientIdentity>,
}

/// The way of listing referrers that a config file's `referrers = …` forces. Turned into the
/// store's terms here, so the config file stays plain data that knows nothing of the store.
fn referrers_mode(setting: ReferrersSetting) -> ReferrersMode {
    match setting {
        ReferrersSetting::Api => ReferrersMode::Api,
        ReferrersSetting::TagSchema => ReferrersMode::TagSchema,
    }
}

/// The client certificate a registry's config table names, when it has both files.
fn configured_identity(configured: &RegistryConfig) -> Option<ClientIdentity> {
    match (&configured.cert_file, &configured.key_file) {
        (Some(cert), Some(key)) => Some(ClientIdentity {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    }
}

/// Opens targets for one command, sharing a client per registry host.
pub struct Session {
    chain: Arc<Chain>,
    flags: ConnectFlags,
    config: Arc<Config>,
    certs_d: Vec<PathBuf>,
    registries: Mutex<HashMap<String, Arc<Registry>>>,
}

impl Session {
    pub fn with_chain(chain: Chain, plain_http: bool, insecure: bool) -> Session {
        Session::new(chain, ConnectFlags { plain_http, insecure, ..ConnectFlags::default() })
    }

    /// A session with no config file settings, reading certs.d from the usual places.
    pub fn new(chain: Chain, flags: ConnectFlags) -> Session {
        Session {
            chain: Arc::new(chain),
            flags,
            config: Arc::new(Config::default()),
            certs_d: certs_d::roots(),
            registries: Mutex::new(HashMap::new()),
        }
    }

    /// With the per-registry settings (and aliases) of a config file.
    pub fn with_config(mut self, config: Arc<Config>) -> Session {
        self.config = config;
        self
    }

    /// Reads certs.d from `roots` instead of the usual places.
    pub fn with_certs_d(mut self, roots: Vec<PathBuf>) -> Session {
        self.certs_d = roots;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The client options for `host`: the flags, over the config file's settings for it, over
    /// what certs.d has for it. CA files add up; the first client certificate found wins.
    pub fn options_for(&self, host: &str) -> Result<RegistryOptions> {
        let found = certs_d::lookup(&self.certs_d, host)?;
        let configured = self.config.registry(host).cloned().unwrap_or_default();
        let mut ca_files = self.flags.ca_files.clone();
        ca_files.extend(configured.ca_file.clone());
        ca_files.extend(found.ca_files);
        Ok(RegistryOptions {
            plain_http: self.flags.plain_http || configured.plain_http,
            insecure: self.flags.insecure || configured.insecure,
            tls: TlsFiles {
                ca_files,
                identity: self.flags.identity.clone().or(configured_identity(&configured)).or(found.identity),
            },
            referrers: configured.referrers.map(referrers_mode),
            max_in_flight: configured.concurrency,
            ..RegistryOptions::default()
        })
    }

    pub fn registry(&self, host: &str) -> Result<Arc<Registry>> {
        let mut map = self.registries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = map.get(host) {
            return Ok(r.clone());
        }
        let r = Arc::new(Registry::new(host, self.options_for(host)?, self.chain.clone())?);
        map.insert(host.to_string(), r.clone());
        Ok(r)
    }

    /// Opens what `input` names: a registry reference, or with `layout` a layout path.
    pub fn locate(&self, input: &str, layout: bool) -> Result<Location> {
        self.open(input, layout, false)
    }

    /// Like [`Session::locate`], but creates a missing layout (for pushes and copies into one).
    pub fn locate_for_write(&self, input: &str, layout: bool) -> Result<Location> {
        self.open(input, layout, true)
    }

    fn open(&self, input: &str, layout: bool, create: bool) -> Result<Location> {
        if layout {
            return Location::layout(input, create);
        }
        let reference = Reference::parse(&self.config.expand(input))?;
        let registry = self.registry(&reference.registry)?;
        Ok(Location {
            target: registry,
            repo: reference.repository.clone(),
            tag: reference.tag.clone(),
            digest: reference.digest.clone(),
            given: input.to_string(),
            kind: Kind::Registry(reference),
        })
    }
}

#[derive(Debug, Clone)]
pub enum Kind {
    Registry(Reference),
    Layout(PathBuf),
}

/// A repository on a target, with the tag or digest the user named.
#[derive(Clone)]
pub struct Location {
    pub target: Arc<dyn Target>,
    pub repo: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
    /// The reference exactly as typed.
    pub given: String,
    pub kind: Kind,
}

impl Location {
    /// Opens `PATH[:TAG|@DIGEST]` as a layout; `create` makes an empty one if missing.
    pub fn layout(input: &str, create: bool) -> Result<Location> {
        let (path, tag, digest) = split_layout_ref(input)?;
        if LayoutDir::holds_layouts(&path) {
            return Err(one_layout_needed(&path));
        }
        let layout = if create {
            Layout::open_or_create(&path)?
        } else {
            Layout::open(&path)?
        };
        Ok(Location {
            repo: layout.repo_name(),
            target: Arc::new(layout),
            tag,
            digest,
            given: input.to_string(),
            kind: Kind::Layout(path),
        })
    }

    /// The tag or digest to fetch (the digest wins), or an error naming what is missing.
    pub fn reference(&self) -> Result<String> {
        match (&self.digest, &self.tag) {
            (Some(d), _) => Ok(d.to_string()),
            (None, Some(t)) => Ok(t.clone()),
            (None, None) => Err(Error::usage(format!(
                "`{}` names no tag or digest; add one, e.g. `{}:latest`",
                self.given, self.given
            ))),
        }
    }

    /// The full name of one digest in this repository (`host/repo@sha256:…` or `path@sha256:…`).
    pub fn digest_ref(&self, digest: &Digest) -> String {
        match &self.kind {
            Kind::Registry(r) => format!("{}/{}@{digest}", r.registry, r.repository),
            Kind::Layout(p) => format!("{}@{digest}", p.display()),
        }
    }

    /// `[registry]` or `[oci-layout]`, as ORAS labels the target kind in its output.
    pub fn kind_label(&self) -> &'static str {
        match self.kind {
            Kind::Registry(_) => "registry",
            Kind::Layout(_) => "oci-layout",
        }
    }
}

/// A directory of layouts was given where one repository is needed: name its repositories.
fn one_layout_needed(path: &std::path::Path) -> Error {
    let repos = LayoutDir::open(path).and_then(|d| d.repositories()).unwrap_or_default();
    let example = repos.first().map(String::as_str).unwrap_or("REPO");
    Error::Layout {
        path: path.to_path_buf(),
        reason: format!(
            "a directory of layouts ({}), not one layout; name the repository, e.g. `{}/{example}:TAG`",
            repos.join(", "),
            path.display()
        ),
    }
}

/// Splits `PATH[:TAG|@DIGEST]`. A `:` is a tag separator only after the last `/`.
pub fn split_layout_ref(input: &str) -> Result<(PathBuf, Option<String>, Option<Digest>)> {
    if input.is_empty() {
        return Err(Error::usage("an OCI layout path is needed"));
    }
    if let Some((path, digest)) = input.rsplit_once('@') {
        return Ok((PathBuf::from(path), None, Some(digest.parse()?)));
    }
    let last_slash = input.rfind('/').map(|i| i + 1).unwrap_or(0);
    match input[last_slash..].rfind(':') {
        Some(i) if i > 0 || last_slash > 0 => {
            let at = last_slash + i;
            let tag = &input[at + 1..];
            if tag.is_empty() {
                return Err(Error::usage(format!("`{input}` ends with `:` but names no tag")));
            }
            Ok((PathBuf::from(&input[..at]), Some(tag.to_string()), None))
        }
        _ => Ok((PathBuf::from(input), None, None)),
    }
}

/// Splits `REF:t1,t2` into the reference without tags and the tags, as `oras push` takes them.
pub fn split_tag_list(input: &str) -> (String, Vec<String>) {
    if input.contains('@') {
        return (input.to_string(), Vec::new());
    }
    let name_start = input.rfind('/').map(|i| i + 1).unwrap_or(0);
    match input[name_start..].rfind(':') {
        Some(i) => {
            let at = name_start + i;
            let tags = input[at + 1..].split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
            (input[..at].to_string(), tags)
        }
        None => (input.to_string(), Vec::new()),
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists() {
        assert_eq!(split_tag_list("localhost:5000/a/b:t1,t2"), ("localhost:5000/a/b".into(), vec!["t1".into(), "t2".into()]));
        assert_eq!(split_tag_list("localhost:5000/a"), ("localhost:5000/a".into(), vec![]));
        assert_eq!(split_tag_list("layout:v1"), ("layout".into(), vec!["v1".into()]));
    }

    #[test]
    fn layout_refs() {
        let d = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        assert_eq!(split_layout_ref("assets/net-monitor:v1").unwrap(), ("assets/net-monitor".into(), Some("v1".into()), None));
        assert_eq!(split_layout_ref("layout").unwrap(), ("layout".into(), None, None));
        assert_eq!(split_layout_ref("./a:b/layout").unwrap(), ("./a:b/layout".into(), None, None));
        let (p, t, dg) = split_layout_ref(&format!("/tmp/l@{d}")).unwrap();
        assert_eq!((p, t, dg.unwrap().to_string()), ("/tmp/l".into(), None, d.to_string()));
        assert!(split_layout_ref("l:").is_err());
        assert!(split_layout_ref("l@sha256:1").is_err());
    }
}
