//! `refscope inspect`: what an artifact says (an image's config, an SBOM's packages, what a
//! signature signs…), or with `--layer` the files of one layer, like `tar tzv`.

use clap::Args;
use serde_json::json;

use super::common::{Location, RemoteOptions, out, warn_all};
use super::json::{self, FormatOptions};
use super::progress_view::ProgressView;
use crate::error::{Error, Result};
use crate::graph::inspect::{InspectOptions, inspect, list_layer};
use crate::inspect::render::listing_lines;
use crate::inspect::{DEFAULT_MAX_BLOB, Limits};
use crate::oci::{Descriptor, Manifest};
use crate::text::{human_size, sanitize};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The artifact: REGISTRY/REPO[:TAG|@DIGEST], or PATH[:TAG|@DIGEST] with --oci-layout
    pub reference: String,
    #[command(flatten)]
    pub format: FormatOptions,
    /// Largest blob read for a summary, in MiB (four times this is read at most in all)
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_BLOB / (1024 * 1024))]
    pub max_blob_size: u64,
    /// List the files of one layer instead: its digest, or its position (1 is the first)
    #[arg(long, value_name = "DIGEST|N")]
    pub layer: Option<String>,
    /// Entries of a layer listing shown (the rest are counted)
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    pub max_entries: usize,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(args: InspectArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let reference = loc.reference()?;
    let view = ProgressView::for_stderr();
    let max_blob = args.max_blob_size.saturating_mul(1024 * 1024);
    let opts = InspectOptions {
        limits: Limits {
            max_blob,
            max_total: max_blob.saturating_mul(4),
            max_entries: args.max_entries,
            ..Limits::default()
        },
        progress: view.progress().clone(),
    };
    if let Some(which) = &args.layer {
        return layer(&loc, &reference, which, args.format.json(), &opts, &view).await;
    }
    let mut found = inspect(loc.target.as_ref(), &loc.repo, &reference, loc.tag.as_deref(), &opts).await?;
    // Only the summary is printed: freeing the blobs before the output is built keeps a large
    // SBOM from being held twice (its bytes and its printed summary).
    found.contents.clear();
    view.finish();
    warn_all(&found.warnings);
    let m = &found.manifest;
    let artifact_type = m.parse().ok().and_then(|p| p.artifact_type().map(str::to_string));
    if args.format.json() {
        return json::print(&json!({
            "reference": loc.digest_ref(&m.digest),
            "digest": m.digest.to_string(),
            "mediaType": m.media_type,
            "artifactType": artifact_type,
            "size": m.bytes.len(),
            "summary": found.summary,
        }));
    }
    let mut s = format!(
        "Reference: {}\nDigest: {}\nMedia type: {}\n",
        sanitize(&loc.digest_ref(&m.digest)),
        m.digest,
        sanitize(&m.media_type)
    );
    if let Some(t) = &artifact_type {
        s.push_str(&format!("Artifact type: {}\n", sanitize(t)));
    }
    if let Some(subject) = &found.subject {
        s.push_str(&format!("Subject: {subject}\n"));
    }
    s.push('\n');
    for line in found.summary.lines() {
        s.push_str(&line.to_string());
        s.push('\n');
    }
    out(s.as_bytes())
}

/// `--layer`: the layer named by digest or position, listed as it downloads.
async fn layer(loc: &Location, reference: &str, which: &str, as_json: bool, opts: &InspectOptions, view: &ProgressView) -> Result<()> {
    let manifest = loc.target.fetch_manifest(&loc.repo, reference).await?;
    let Manifest::Image(m) = manifest.parse()? else {
        return Err(Error::usage(format!(
            "{} is an index, which has no layers; inspect one of its manifests by digest",
            sanitize(&loc.given)
        )));
    };
    let desc: Descriptor = match which.parse::<usize>() {
        Ok(n) if n >= 1 => m.layers.get(n - 1).cloned(),
        _ => m.layers.iter().find(|l| l.digest.to_string() == which).cloned(),
    }
    .ok_or_else(|| {
        Error::usage(format!(
            "{} has no layer `{}`; it has {} (give a digest or a position from 1)",
            sanitize(&loc.given),
            sanitize(which),
            m.layers.len()
        ))
    })?;
    let listing = list_layer(loc.target.as_ref(), &loc.repo, &desc, opts, |_| {}).await?;
    view.finish();
    if as_json {
        return json::print(&json!({
            "reference": loc.digest_ref(&manifest.digest),
            "layer": {"mediaType": desc.media_type, "digest": desc.digest.to_string(), "size": desc.size},
            "listing": {"entries": listing.entries, "total": listing.total, "more": listing.more(), "complete": listing.complete, "stopped": listing.stopped},
        }));
    }
    let mut s = format!("Layer {} ({}, {})\n", desc.digest, sanitize(&desc.media_type), human_size(desc.size));
    for line in listing_lines(&listing) {
        s.push_str(&line.to_string());
        s.push('\n');
    }
    out(s.as_bytes())
}
