//! `refscope login`.

use std::io::IsTerminal;

use clap::Args;

use super::common::{Session, TlsOptions, load_config, outln, read_password_stdin};
use crate::creds::{Chain, Credential, docker_config_path, keyring_allowed, save_login};
use crate::error::{Error, Result};
use crate::oci::parse_registry_and_namespace;

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The registry, e.g. localhost:5000
    pub registry: String,
    /// Username (asked for when missing)
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Password (asked for when missing)
    #[arg(short = 'p', long)]
    pub password: Option<String>,
    /// Read the password from stdin
    #[arg(long)]
    pub password_stdin: bool,
    /// Docker-compatible config file to store into (default: ~/.docker/config.json)
    #[arg(long, value_name = "PATH")]
    pub registry_config: Option<std::path::PathBuf>,
    /// Use HTTP instead of HTTPS
    #[arg(long)]
    pub plain_http: bool,
    /// Accept any TLS certificate
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub tls: TlsOptions,
}

fn prompt_line(label: &str) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(format!("no terminal to ask for the {label}; pass it with a flag")));
    }
    eprint!("{label}: ");
    let mut s = String::new();
    std::io::stdin().read_line(&mut s).map_err(|e| Error::io("stdin", e))?;
    Ok(s.trim().to_string())
}

pub async fn run(args: LoginArgs) -> Result<()> {
    let config = load_config()?;
    let (host, _) = parse_registry_and_namespace(&config.expand(&args.registry))?;
    let username = match args.username {
        Some(u) => u,
        None => prompt_line("Username")?,
    };
    let password = match (args.password, args.password_stdin) {
        (Some(_), true) => return Err(Error::usage("use either --password or --password-stdin, not both")),
        (Some(p), false) => p,
        (None, true) => read_password_stdin()?,
        (None, false) => {
            if !std::io::stdin().is_terminal() {
                return Err(Error::usage("no terminal to ask for the password; pass -p or --password-stdin"));
            }
            rpassword::prompt_password("Password: ").map_err(|e| Error::io("terminal", e))?
        }
    };
    let chain = Chain {
        explicit: Some(Credential::Basic {
            username: username.clone(),
            password: password.clone(),
        }),
        no_keyring: true,
        ..Chain::default()
    };
    let session = Session::new(chain, args.tls.flags(args.plain_http, args.insecure)).with_config(config);
    let registry = session.registry(&host)?;
    registry.ping().await.map_err(|e| match e {
        Error::Unauthorized { registry, .. } => Error::Unauthorized {
            registry,
            hint: "login failed: the registry rejected this username and password".into(),
        },
        other => other,
    })?;

    let path = args
        .registry_config
        .or_else(docker_config_path)
        .ok_or_else(|| Error::usage("no home directory for the Docker config; pass --registry-config"))?;
    let (h, u, p, cfg) = (host.clone(), username, password, path.clone());
    let (where_, in_file) = tokio::task::spawn_blocking(move || save_login(&cfg, &h, &u, &p, keyring_allowed()))
        .await
        .map_err(|e| Error::usage(e.to_string()))??;
    if in_file {
        eprintln!(
            "Warning: no keyring or credential helper here; the password is stored unencrypted in {} (readable only by you)",
            path.display()
        );
    }
    outln(&format!("Login Succeeded: credentials for {host} stored in {where_}"))
}
