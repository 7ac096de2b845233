//! `refscope pull`: an artifact's files into a directory.

use std::path::PathBuf;

use clap::Args;

use serde_json::{Value, json};

use super::common::{Location, RemoteOptions, outln};
use super::json::{self, FormatOptions};
use super::progress_view::ProgressView;
use crate::error::{Error, Result};
use crate::graph::pull::{PullOptions, PullReport, UnpackLimits, pull_with_limits};
use crate::text::sanitize;

#[derive(Args, Debug)]
pub struct PullArgs {
    /// REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub reference: String,
    /// Directory to write the files into
    #[arg(long, short = 'o', default_value = ".")]
    pub output: PathBuf,
    /// Blobs downloaded at once
    #[arg(long, default_value_t = 3)]
    pub concurrency: usize,
    /// Pull layers of every media type (ORAS 0.x). Accepted for old scripts and changes
    /// nothing: refscope always pulls every titled layer, whatever its media type
    #[arg(short = 'a', long)]
    pub allow_all: bool,
    #[command(flatten)]
    pub format: FormatOptions,
    /// Most bytes the directory layers may unpack to, all together (e.g. 20GiB, 500MiB)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = DEFAULT_MAX_UNPACKED)]
    pub max_unpacked_bytes: u64,
    /// Most tar entries the directory layers may hold, all together
    #[arg(long, value_name = "N", default_value_t = UnpackLimits::default().max_entries)]
    pub max_unpacked_entries: u64,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

/// `UnpackLimits::default().max_bytes`, as the help shows it.
const DEFAULT_MAX_UNPACKED: &str = "8GiB";

/// Bytes from `N`, `NKiB`, `NMiB`, `NGiB` or `NTiB` (also `K`, `M`, `G`, `T`).
fn size_in_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(digits);
    let n: u64 = n.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "t" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

fn parse_size(s: &str) -> std::result::Result<u64, String> {
    size_in_bytes(s).ok_or_else(|| format!("`{s}` is not a size; write bytes, or a number with KiB, MiB, GiB or TiB"))
}

pub async fn run(args: PullArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let view = ProgressView::for_stderr();
    let opts = PullOptions {
        output: args.output.clone(),
        concurrency: args.concurrency,
        progress: view.progress().clone(),
    };
    let limits = UnpackLimits {
        max_bytes: args.max_unpacked_bytes,
        max_entries: args.max_unpacked_entries,
    };
    let report = pull_with_limits(loc.target.as_ref(), &loc.repo, &loc.reference()?, &opts, limits).await?;
    view.finish();
    if args.format.json() {
        return print_json(&loc, &args.output, &report);
    }
    for f in &report.files {
        let note = if f.unpacked { " (directory, unpacked)" } else { "" };
        outln(&format!("Downloaded  {} {}{note}", f.descriptor.digest.short(), sanitize(&f.path.display().to_string())))?;
    }
    for s in &report.skipped {
        outln(&format!("Skipped     {} (no org.opencontainers.image.title)", s.digest.short()))?;
    }
    outln(&format!("Pulled [{}] {}", loc.kind_label(), sanitize(&loc.given)))?;
    outln(&format!("Digest: {}", report.manifest.digest))
}

/// ORAS 1.2's pull JSON: the manifest's digest reference and every file written, by absolute
/// path (a directory's ends with `/`).
fn print_json(loc: &Location, output: &std::path::Path, report: &PullReport) -> Result<()> {
    let dir = std::path::absolute(output).map_err(|e| Error::io(output, e))?;
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| {
            let mut path = dir.join(&f.path).display().to_string();
            if f.unpacked {
                path.push('/');
            }
            let mut v = serde_json::Map::new();
            v.insert("path".into(), json!(path));
            v.extend(json::descriptor(loc.digest_ref(&f.descriptor.digest), &f.descriptor));
            Value::Object(v)
        })
        .collect();
    json::print(&json!({
        "reference": loc.digest_ref(&report.manifest.digest),
        "files": files,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_in_bytes("8GiB"), Some(8 << 30));
        assert_eq!(size_in_bytes("500 MiB"), Some(500 << 20));
        assert_eq!(size_in_bytes("1k"), Some(1024));
        assert_eq!(size_in_bytes("4096"), Some(4096));
        assert_eq!(size_in_bytes("lots"), None);
        assert_eq!(size_in_bytes("99999999999T"), None, "overflow is refused, not wrapped");
        assert_eq!(size_in_bytes("-1"), None);
        assert_eq!(size_in_bytes(DEFAULT_MAX_UNPACKED), Some(UnpackLimits::default().max_bytes));
    }
}
