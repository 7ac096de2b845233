//! `refscope blob fetch`: one blob, verified, to a file or stdout.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::common::{RemoteOptions, out};
use super::progress_view::ProgressView;
use crate::error::{Error, Result};
use crate::graph::progress::Outcome;
use crate::oci::Descriptor;

#[derive(Subcommand, Debug)]
pub enum BlobCommand {
    /// Download a blob; its digest and size are checked
    Fetch(FetchArgs),
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// REGISTRY/REPO@DIGEST
    pub reference: String,
    /// Where to write it: a file, or - for stdout
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<String>,
    /// Print the blob's descriptor instead of downloading it
    #[arg(long)]
    pub descriptor: bool,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(cmd: BlobCommand) -> Result<()> {
    match cmd {
        BlobCommand::Fetch(a) => fetch(a).await,
    }
}

async fn fetch(args: FetchArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let digest = loc
        .digest
        .clone()
        .ok_or_else(|| Error::usage(format!("`{}` names no digest; blobs are fetched as REPO@sha256:…", loc.given)))?;
    let size = loc.target.stat_blob(&loc.repo, &digest).await?.ok_or_else(|| Error::NotFound {
        what: format!("blob {digest}"),
        location: loc.target.name(),
    })?;
    let desc = Descriptor::new("application/octet-stream", digest.clone(), size);
    if args.descriptor {
        let mut line = serde_json::to_vec(&desc).unwrap_or_default();
        line.push(b'\n');
        return out(&line);
    }
    let output = args
        .output
        .ok_or_else(|| Error::usage("say where the blob goes: -o FILE, or -o - for stdout"))?;
    let mut stream = loc.target.fetch_blob(&loc.repo, &desc).await?;
    if output == "-" {
        while let Some(chunk) = stream.next().await {
            out(&chunk?)?;
        }
        return Ok(());
    }
    let path = PathBuf::from(&output);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let view = ProgressView::for_stderr();
    let task = view.progress().start(digest.short().to_string(), size);
    // Written under a temporary name and renamed once verified: a failed fetch leaves nothing.
    let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&dir, e))?;
    let (file, tmp_path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut done = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                task.finish(Outcome::Failed(e.to_string()));
                return Err(e);
            }
        };
        file.write_all(&chunk).await.map_err(|e| Error::io(&path, e))?;
        done += chunk.len() as u64;
        task.advance(done);
    }
    file.flush().await.map_err(|e| Error::io(&path, e))?;
    tmp_path.persist(&path).map_err(|e| Error::io(&path, e.error))?;
    task.finish(Outcome::Done);
    view.finish();
    Ok(())
}
