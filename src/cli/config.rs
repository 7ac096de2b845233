//! `refscope config`: where the config file is and the settings in force.

use clap::Args;

use super::common::{load_config, outln};
use crate::error::Result;
use crate::store::certs_d;

#[derive(Args, Debug)]
pub struct ConfigArgs {}

pub fn run(_args: ConfigArgs) -> Result<()> {
    let config = load_config()?;
    let path = match &config.path {
        Some(p) if config.exists => format!("{}", p.display()),
        Some(p) => format!("{} (not there; defaults in force)", p.display()),
        None => "none (no home directory; set REFSCOPE_CONFIG)".to_string(),
    };
    outln(&format!("# config file: {path}"))?;
    let roots: Vec<String> = certs_d::roots().iter().map(|r| r.display().to_string()).collect();
    outln(&format!("# certs.d roots: {}", roots.join(", ")))?;
    let settings = config.registries_toml();
    if !settings.trim().is_empty() {
        outln(settings.trim_end())?;
    }
    Ok(())
}
