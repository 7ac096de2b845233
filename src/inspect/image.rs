//! Image configs (OCI and Docker): how the image runs, and its layers.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{Contents, FileRef, Unreadable};
use crate::oci::{ImageManifest, media_types};

pub fn is_config(media_type: &str) -> bool {
    media_type == media_types::OCI_CONFIG || media_type == media_types::DOCKER_CONFIG
}

/// What an image config says, as the summary shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ImageConfig {
    pub platform: Option<String>,
    pub os: Option<String>,
    pub architecture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub env: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub history: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSummary {
    #[serde(flatten)]
    pub config: ImageConfig,
    pub layers: Vec<FileRef>,
    /// Config and layers, as the manifest declares them.
    pub total_size: u64,
    /// Why the config could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Deserialize)]
struct RawConfig {
    created: Option<String>,
    author: Option<String>,
    architecture: Option<String>,
    os: Option<String>,
    variant: Option<String>,
    config: Option<RunConfig>,
    history: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    user: Option<String>,
    exposed_ports: Option<BTreeMap<String, IgnoredAny>>,
    env: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    working_dir: Option<String>,
    labels: Option<BTreeMap<String, String>>,
}

/// Reads an image config.
pub fn parse_config(bytes: &[u8]) -> Result<ImageConfig, Unreadable> {
    let raw: RawConfig = super::json::parse(bytes).map_err(|e| Unreadable::new("image config", e))?;
    let run = raw.config;
    let platform = match (&raw.os, &raw.architecture) {
        (Some(os), Some(arch)) => Some(match &raw.variant {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        }),
        _ => None,
    };
    let (user, ports, env, entrypoint, cmd, working_dir, labels) = match run {
        Some(r) => (
            r.user.filter(|u| !u.is_empty()),
            r.exposed_ports.map(|p| p.into_keys().collect()).unwrap_or_default(),
            r.env.unwrap_or_default(),
            r.entrypoint.unwrap_or_default(),
            r.cmd.unwrap_or_default(),
            r.working_dir.filter(|w| !w.is_empty()),
            r.labels.unwrap_or_default(),
        ),
        None => Default::default(),
    };
    Ok(ImageConfig {
        platform,
        os: raw.os,
        architecture: raw.architecture,
        variant: raw.variant,
        created: raw.created,
        author: raw.author,
        entrypoint,
        cmd,
        working_dir,
        user,
        env,
        exposed_ports: ports,
        labels,
        history: raw.history.map(|h| h.len()).unwrap_or(0),
    })
}

pub fn summarize(m: &ImageManifest, contents: &Contents) -> ImageSummary {
    let (config, problem) = match contents.get(&m.config.digest) {
        Some(bytes) => match parse_config(bytes) {
            Ok(c) => (c, None),
            Err(e) => (ImageConfig::default(), Some(e.to_string())),
        },
        None => (ImageConfig::default(), Some(format!("the config ({} bytes) was not fetched", m.config.size))),
    };
    let total_size = m.layers.iter().fold(m.config.size, |acc, l| acc.saturating_add(l.size));
    ImageSummary {
        config,
        layers: m.layers.iter().map(FileRef::of).collect(),
        total_size,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_docker_style_config() {
        let raw = br#"{"architecture":"arm64","os":"linux","variant":"v8","created":"2025-01-01T00:00:00Z","config":{"User":"app","ExposedPorts":{"8080/tcp":{}},"Env":["PATH=/bin"],"Entrypoint":["/app"],"Cmd":null,"WorkingDir":"/srv","Labels":{"a":"b"}},"history":[{},{}],"rootfs":{"type":"layers"},"unknown":1}"#;
        let c = parse_config(raw).unwrap();
        assert_eq!(c.platform.as_deref(), Some("linux/arm64/v8"));
        assert_eq!(c.entrypoint, ["/app"]);
        assert!(c.cmd.is_empty());
        assert_eq!(c.exposed_ports, ["8080/tcp"]);
        assert_eq!(c.history, 2);
        assert_eq!(c.user.as_deref(), Some("app"));
        let e = parse_config(b"[1]").unwrap_err();
        assert!(e.to_string().starts_with("not a valid image config document: "));
    }
}
