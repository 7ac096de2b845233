//! What every verb shares: connection flags, opening a registry or a layout from a reference
//! string, and writing to stdout without panicking on a closed pipe.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use std::sync::Arc;

use clap::Args;

pub use crate::store::open::{ConnectFlags, Kind, Location, Session, split_layout_ref, split_tag_list};
use crate::store::registry::tls::ClientIdentity;
use crate::config::Config;
use crate::creds::{Chain, Credential};
use crate::error::{Error, Result};
use crate::store::ListingLimits;

/// Connection and credential flags, the same on every verb (ORAS names).
#[derive(Args, Debug, Clone, Default)]
pub struct RemoteOptions {
    /// Address an OCI image layout directory instead of a registry: PATH[:TAG|@DIGEST]
    #[arg(long)]
    pub oci_layout: bool,
    /// Use HTTP instead of HTTPS (automatic for a localhost or 127.0.0.1 registry that speaks no TLS)
    #[arg(long)]
    pub plain_http: bool,
    /// Accept any TLS certificate
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub tls: TlsOptions,
    #[command(flatten)]
    pub listing: ListingOptions,
    #[command(flatten)]
    pub creds: CredentialOptions,
}

/// TLS files, besides what `certs.d/HOST[:PORT]/` holds (under /etc/docker, /etc/containers
/// and ~/.config/containers, or the directories REFSCOPE_CERTS_D lists).
#[derive(Args, Debug, Clone, Default)]
pub struct TlsOptions {
    /// Trust this CA certificate (PEM) besides the system's
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Present this client certificate (PEM) to the registry (never to a redirect target)
    #[arg(long, value_name = "PATH", requires = "key_file")]
    pub cert_file: Option<PathBuf>,
    /// The private key (PEM) of --cert-file
    #[arg(long, value_name = "PATH", requires = "cert_file")]
    pub key_file: Option<PathBuf>,
}

impl TlsOptions {
    pub fn flags(&self, plain_http: bool, insecure: bool) -> ConnectFlags {
        ConnectFlags {
            plain_http,
            insecure,
            ca_files: self.ca_file.iter().cloned().collect(),
            identity: match (&self.cert_file, &self.key_file) {
                (Some(cert), Some(key)) => Some(ClientIdentity { cert: cert.clone(), key: key.clone() }),
                _ => None,
            },
        }
    }
}

/// Bounds on listings (tags, repositories, referrers), which a registry could otherwise page
/// through forever.
#[derive(Args, Debug, Clone, Default)]
pub struct ListingOptions {
    /// Stop a listing (tags, repositories, referrers) that runs past N entries over all its
    /// pages [default: 1000000]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_list_items: Option<u64>,
    /// Stop a listing whose pages add up to more than MIB mebibytes [default: 256]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_list_mib: Option<u64>,
}

impl ListingOptions {
    /// Makes these the limits of every listing in this process.
    pub fn apply(&self) {
        let d = ListingLimits::DEFAULT;
        crate::store::set_listing_limits(ListingLimits {
            max_items: self.max_list_items.unwrap_or(d.max_items),
            max_bytes: self.max_list_mib.map_or(d.max_bytes, |mib| mib.saturating_mul(1 << 20)),
        });
    }
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

impl RemoteOptions {
    /// A session with these flags; reads stdin for `--password-stdin`. Also sets the
    /// listing limits, which hold for the whole process.
    pub fn session(&self) -> Result<Session> {
        Ok(self.bare_session()?.with_config(load_config()?))
    }

    /// Like [`RemoteOptions::session`], without the config file.
    pub fn bare_session(&self) -> Result<Session> {
        self.listing.apply();
        Ok(Session::new(self.creds.chain()?, self.tls.flags(self.plain_http, self.insecure)))
    }
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

/// The config file's settings, its unknown keys warned about on stderr.
pub fn load_config() -> Result<Arc<Config>> {
    let config = Config::load()?;
    if let Some(path) = &config.path {
        for key in &config.warnings {
            eprintln!("Warning: config {}: unknown key `{key}` (ignored)", path.display());
        }
    }
    Ok(Arc::new(config))
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

pub use crate::graph::push::parse_annotations;

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

/// Warnings go to stderr whatever the output format, so JSON on stdout stays parseable.
pub fn warn_all(warnings: &[String]) {
    for w in warnings {
        eprintln!("Warning: {}", crate::text::sanitize(w));
    }
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

