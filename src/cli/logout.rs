//! `refscope logout`: forget a registry's credentials wherever refscope keeps them.

use clap::Args;

use super::common::{load_config, outln};
use crate::creds::{DockerConfig, Keyring, docker_config_path, helper_erase, keyring_allowed};
use crate::error::{Error, Result};
use crate::oci::parse_registry_and_namespace;

#[derive(Args, Debug)]
pub struct LogoutArgs {
    /// The registry, e.g. localhost:5000
    pub registry: String,
    /// Docker-compatible config file (default: ~/.docker/config.json)
    #[arg(long, value_name = "PATH")]
    pub registry_config: Option<std::path::PathBuf>,
}

pub async fn run(args: LogoutArgs) -> Result<()> {
    let (host, _) = parse_registry_and_namespace(&load_config()?.expand(&args.registry))?;
    let path = args.registry_config.or_else(docker_config_path);
    let mut removed = Vec::new();
    if let Some(path) = &path
        && let Some(mut cfg) = DockerConfig::load(path)?
    {
        if let Some(helper) = cfg.helper_for(&host) {
            let (h, hh) = (helper.clone(), host.clone());
            if tokio::task::spawn_blocking(move || helper_erase(&h, &hh)).await.map_err(|e| Error::usage(e.to_string()))?.is_ok() {
                removed.push(format!("credential helper docker-credential-{helper}"));
            }
        }
        if cfg.remove_from_file(&host)? {
            removed.push(path.display().to_string());
        }
    }
    if keyring_allowed() {
        let h = host.clone();
        if let Ok(Ok(true)) = tokio::task::spawn_blocking(move || Keyring::delete(&h)).await {
            removed.push("the OS keyring".into());
        }
    }
    if removed.is_empty() {
        outln(&format!("Not logged in to {host}"))
    } else {
        outln(&format!("Removed credentials for {host} from {}", removed.join(", ")))
    }
}
