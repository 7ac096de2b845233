//! `refscope manifest fetch-config`: the config blob of an image, as ORAS prints it; from an
//! index, the config of the platform `--platform` picks. On a single image `--platform` is a
//! check: the image's config must name that platform.

use bytes::Bytes;
use clap::Args;

use super::common::{RemoteOptions, out};
use crate::error::{Error, Result};
use crate::graph::inspect::fetch_bytes;
use crate::graph::progress::Progress;
use crate::inspect::DEFAULT_MAX_BLOB;
use crate::oci::media_types::{DOCKER_CONFIG, OCI_CONFIG};
use crate::oci::{Descriptor, Manifest, Platform};
use crate::store::Target;
use crate::text::sanitize;

#[derive(Args, Debug)]
pub struct FetchConfigArgs {
    /// REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub reference: String,
    /// From an index, the platform whose config to fetch; on a single image, the platform it
    /// must be for: OS/ARCH[/VARIANT]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Print the config's descriptor instead of the config
    #[arg(long)]
    pub descriptor: bool,
    /// Write the config to this file instead of stdout
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<std::path::PathBuf>,
    /// Refuse a config larger than this, in MiB
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_BLOB / (1024 * 1024))]
    pub max_blob_size: u64,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

/// A `--platform` value: each part given must match; a variant left out matches any.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wanted {
    os: String,
    architecture: String,
    variant: Option<String>,
}

fn parse_platform(s: &str) -> Result<Wanted> {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [os, arch] | [os, arch, _] if !os.is_empty() && !arch.is_empty() => Ok(Wanted {
            os: os.to_string(),
            architecture: arch.to_string(),
            variant: parts.get(2).filter(|v| !v.is_empty()).map(|v| v.to_string()),
        }),
        _ => Err(Error::usage(format!("--platform {s:?} is not OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8"))),
    }
}

impl Wanted {
    fn matches(&self, p: &Platform) -> bool {
        p.os == self.os && p.architecture == self.architecture && self.variant.as_ref().is_none_or(|v| p.variant.as_ref() == Some(v))
    }
}

impl std::fmt::Display for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

/// `--platform` on a single image: what its config says it runs on must match, as when an
/// index is asked; a config that names no platform cannot be checked, so it is refused too.
fn check_platform(given: &str, config: &Descriptor, bytes: &[u8], wanted: &Wanted) -> Result<()> {
    let leave_out = "leave --platform out to fetch it anyway";
    if config.media_type != OCI_CONFIG && config.media_type != DOCKER_CONFIG {
        return Err(Error::usage(format!(
            "{given} is a single artifact whose config ({}) names no platform, so it cannot be checked against --platform {wanted}; {leave_out}",
            sanitize(&config.media_type)
        )));
    }
    let platform: Platform = serde_json::from_slice(bytes)
        .map_err(|e| Error::usage(format!("the config of {given} names no platform ({}), so it cannot be checked against --platform {wanted}; {leave_out}", sanitize(&e.to_string()))))?;
    if wanted.matches(&platform) {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{given} is a single image for {}, not {wanted}; {leave_out}, or name an index or image that has {wanted}",
        sanitize(&platform.to_string())
    )))
}

async fn fetch_config(target: &dyn Target, repo: &str, config: &Descriptor, max_mib: u64) -> Result<Bytes> {
    fetch_bytes(target, repo, config, max_mib.saturating_mul(1024 * 1024), &Progress::default()).await.map_err(|e| match e {
        Error::TooLarge { .. } => Error::usage(format!("the config: {e}; raise --max-blob-size (in MiB) to fetch it")),
        e => e,
    })
}

pub async fn run(args: FetchConfigArgs) -> Result<()> {
    let wanted = args.platform.as_deref().map(parse_platform).transpose()?;
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let target = loc.target.as_ref();
    let given = sanitize(&loc.given);
    let mut manifest = target.fetch_manifest(&loc.repo, &loc.reference()?).await?;
    let mut picked_from_index = false;
    if let Manifest::Index(index) = manifest.parse()? {
        let platforms = || index.manifests.iter().filter_map(|m| m.platform.as_ref().map(|p| sanitize(&p.to_string()))).collect::<Vec<_>>().join(", ");
        let Some(wanted) = &wanted else {
            return Err(Error::usage(format!("{given} is an index, which has no config of its own: pick a platform with --platform (it lists {})", platforms())));
        };
        let child = index
            .manifests
            .iter()
            .find(|m| m.platform.as_ref().is_some_and(|p| wanted.matches(p)))
            .ok_or_else(|| Error::usage(format!("{given} lists no platform {wanted}: it lists {}", platforms())))?;
        manifest = target.fetch_manifest(&loc.repo, &child.digest.to_string()).await?;
        picked_from_index = true;
    }
    let config: Descriptor = match manifest.parse()? {
        Manifest::Image(m) => m.config,
        Manifest::Index(_) => return Err(Error::usage(format!("the platform {} of {given} is itself an index", args.platform.as_deref().unwrap_or_default()))),
    };
    let mut fetched = None;
    if let Some(wanted) = wanted.as_ref().filter(|_| !picked_from_index) {
        let bytes = fetch_config(target, &loc.repo, &config, args.max_blob_size).await?;
        check_platform(&given, &config, &bytes, wanted)?;
        fetched = Some(bytes);
    }
    if args.descriptor {
        let mut line = serde_json::to_vec(&config).unwrap_or_default();
        line.push(b'\n');
        return out(&line);
    }
    let bytes = match fetched {
        Some(b) => b,
        None => fetch_config(target, &loc.repo, &config, args.max_blob_size).await?,
    };
    match &args.output {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| Error::io(path, e)),
        None => out(&bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        Platform { os: os.into(), architecture: arch.into(), variant: variant.map(str::to_string), os_version: None, os_features: None }
    }

    #[test]
    fn platforms_parse_and_a_missing_variant_matches_any() {
        let w = parse_platform("linux/arm64").unwrap();
        assert!(w.matches(&platform("linux", "arm64", Some("v8"))));
        assert!(w.matches(&platform("linux", "arm64", None)));
        assert!(!w.matches(&platform("linux", "amd64", None)));
        let v7 = parse_platform("linux/arm/v7").unwrap();
        assert!(v7.matches(&platform("linux", "arm", Some("v7"))));
        assert!(!v7.matches(&platform("linux", "arm", Some("v6"))));
        assert!(!v7.matches(&platform("linux", "arm", None)));
        for bad in ["linux", "/amd64", "linux/", "a/b/c/d", ""] {
            assert!(parse_platform(bad).is_err(), "{bad}");
        }
    }
}
