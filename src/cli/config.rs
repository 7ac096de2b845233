//! `refscope config`: where the config file is and the settings in force. The `[keys]` and
//! `[theme]` tables are checked here as the TUI checks them, so a mistake in them shows
//! without starting the TUI.

use std::collections::BTreeMap;

use clap::Args;

use super::common::{load_config, outln};
use crate::error::Result;
use crate::store::certs_d;
use crate::tui::keymap::Keymap;
use crate::tui::ui::palette::Palette;

#[derive(Args, Debug)]
pub struct ConfigArgs {}

pub fn run(_args: ConfigArgs) -> Result<()> {
    let config = load_config()?;
    Keymap::from_config(&config)?;
    Palette::from_config(&config)?;
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
    if !config.keys.is_empty() {
        let keys: BTreeMap<&str, &Vec<String>> = config.keys.iter().map(|e| (e.name.as_str(), &e.value)).collect();
        outln(&table("keys", &keys))?;
    }
    if !config.theme.is_empty() {
        let theme: BTreeMap<&str, &String> = config.theme.iter().map(|e| (e.name.as_str(), &e.value)).collect();
        outln(&table("theme", &theme))?;
    }
    Ok(())
}

/// `[name]` and its lines, as TOML.
fn table<T: serde::Serialize>(name: &str, lines: &T) -> String {
    let body = toml::to_string(lines).unwrap_or_default();
    format!("\n[{name}]\n{}", body.trim_end())
}
