//! `refscope pull`: an artifact's files into a directory.

use std::path::PathBuf;

use clap::Args;

use super::common::{RemoteOptions, outln};
use super::progress_view::ProgressView;
use crate::error::Result;
use crate::graph::pull::{PullOptions, pull};
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
