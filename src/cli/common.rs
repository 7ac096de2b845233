//! What every verb shares: connection flags, opening a registry or a layout from a reference
//! string, and writing to stdout without panicking on a closed pipe.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;

use crate::creds::{Chain, Credential};
use crate::error::{Error, Result};
use crate::oci::{Digest, Reference};
use crate::target::Target;
use crate::target::layout::Layout;
use crate::target::registry::{Registry, RegistryOptions};

/// Connection and credential flags, the same on every verb (ORAS names).
#[derive(Args, Debug, Clone, Default)]
pub struct RemoteOptions {
    /// Address an OCI image layout directory instead of a registry: PATH[:TAG|@DIGEST]
    #[arg(long)]
    pub oci_layout: bool,
    /// Use HTTP instead of HTTPS (automatic for localhost and 127.0.0.1)
    #[arg(long)]
    pub plain_http: bool,
    /// Accept any TLS certificate
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub creds: CredentialOptions,
}

#[derive(Args, Debug, Clone, Default)]
pub struct CredentialOptions {
    /// Registry username
    #[arg(short = 'u', long, env = "REFSCOPE_USERNAME")]
    pub username: Option<String>,
    /// Registry password or identity token
    #[arg(short = 'p', long, env = "REFSCOPE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Read the password from stdin
    #[arg(long)]
    pub password_stdin: bool,
    /// Docker-compatible config file with credentials (default: ~/.docker/config.json)
    #[arg(long, value_name = "PATH")]
    pub registry_config: Option<PathBuf>,
}

impl CredentialOptions {
    /// The credential chain these flags describe. Reads stdin for `--password-stdin`.
    pub fn chain(&self) -> Result<Chain> {
        let mut password = self.password.clone();
        if self.password_stdin {
            if password.is_some() {
                return Err(Error::usage("use either --password or --password-stdin, not both"));
            }
            password = Some(read_password_stdin()?);
        }
        let explicit = match (&self.username, password) {
            (Some(u), Some(p)) => Some(Credential::Basic {
                username: u.clone(),
                password: p,
            }),
            (None, Some(p)) => Some(Credential::IdentityToken(p)),
            (Some(u), None) => {
                return Err(Error::usage(format!(
                    "a username ({u}) needs a password: add -p, --password-stdin or REFSCOPE_PASSWORD"
                )));
            }
            (None, None) => None,
        };
        Ok(Chain {
            explicit,
            config_path: self.registry_config.clone(),
            no_keyring: false,
        })
    }
}

pub fn read_password_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Error::usage(format!("cannot read the password from stdin: {e}")))?;
    let s = s.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        return Err(Error::usage("--password-stdin got an empty password"));
    }
    Ok(s)
}

/// Opens targets for one command, sharing a client per registry host.
pub struct Session {
    chain: Arc<Chain>,
    plain_http: bool,
    insecure: bool,
    registries: Mutex<HashMap<String, Arc<Registry>>>,
}

impl Session {
    pub fn new(opts: &RemoteOptions) -> Result<Session> {
        Ok(Session {
            chain: Arc::new(opts.creds.chain()?),
            plain_http: opts.plain_http,
            insecure: opts.insecure,
            registries: Mutex::new(HashMap::new()),
        })
    }

    pub fn with_chain(chain: Chain, plain_http: bool, insecure: bool) -> Session {
        Session {
            chain: Arc::new(chain),
            plain_http,
            insecure,
            registries: Mutex::new(HashMap::new()),
        }
    }

    pub fn registry(&self, host: &str) -> Result<Arc<Registry>> {
        let mut map = self.registries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = map.get(host) {
            return Ok(r.clone());
        }
        let opts = RegistryOptions {
            plain_http: self.plain_http,
            insecure: self.insecure,
            ..RegistryOptions::default()
        };
        let r = Arc::new(Registry::new(host, opts, self.chain.clone())?);
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
        let reference = Reference::parse(input)?;
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

/// Parses `-a KEY=VALUE` flags.
pub fn parse_annotations(pairs: &[String]) -> Result<crate::oci::Annotations> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| Error::usage(format!("annotation `{p}` is not KEY=VALUE")))
        })
        .collect()
}

/// Asks a yes/no question on the terminal; `None` when stdin is not one.
pub fn confirm(question: &str) -> Option<bool> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).ok()?;
    Some(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Writes to stdout; a closed pipe (`| head`) ends the program quietly instead of panicking.
pub fn out(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::io("stdout", e)),
    }
}

pub fn outln(line: &str) -> Result<()> {
    out(format!("{line}\n").as_bytes())
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists() {
        assert_eq!(split_tag_list("localhost:5000/a/b:t1,t2"), ("localhost:5000/a/b".into(), vec!["t1".into(), "t2".into()]));
        assert_eq!(split_tag_list("localhost:5000/a"), ("localhost:5000/a".into(), vec![]));
        assert_eq!(split_tag_list("layout:v1"), ("layout".into(), vec!["v1".into()]));
        assert!(parse_annotations(&["a=b=c".into()]).unwrap()["a"] == "b=c");
        assert!(parse_annotations(&["novalue".into()]).is_err());
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
