//! `refscope pull`: an artifact's files into a directory.

use std::path::PathBuf;

use clap::Args;

use serde_json::{Value, json};

use super::common::{Location, RemoteOptions, outln};
use super::json::{self, FormatOptions};
use super::progress_view::ProgressView;
use crate::error::{Error, Result};
use crate::graph::pull::{PullOptions, PullReport, pull};
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
    #[command(flatten)]
    pub remote: RemoteOptions,
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
    let report = pull(loc.target.as_ref(), &loc.repo, &loc.reference()?, &opts).await?;
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
