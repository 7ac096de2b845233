//! `refscope manifest fetch` (and, with the write side, `manifest delete`).

use clap::{Args, Subcommand};

use super::common::{RemoteOptions, Session, out};
use crate::error::{Error, Result};

#[derive(Subcommand, Debug)]
pub enum ManifestCommand {
    /// Print a manifest: the exact bytes, or pretty-printed
    #[command(visible_alias = "get")]
    Fetch(FetchArgs),
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub reference: String,
    /// Indent the JSON
    #[arg(long)]
    pub pretty: bool,
    /// Print the manifest's descriptor instead of the manifest
    #[arg(long)]
    pub descriptor: bool,
    /// Write the manifest to this file instead of stdout
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(cmd: ManifestCommand) -> Result<()> {
    match cmd {
        ManifestCommand::Fetch(a) => fetch(a).await,
    }
}

async fn fetch(args: FetchArgs) -> Result<()> {
    let session = Session::new(&args.remote)?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let reference = loc.reference()?;
    if args.descriptor {
        let desc = loc.target.resolve(&loc.repo, &reference).await?;
        let mut line = serde_json::to_vec(&desc).unwrap_or_default();
        line.push(b'\n');
        return out(&line);
    }
    let blob = loc.target.fetch_manifest(&loc.repo, &reference).await?;
    let bytes = if args.pretty {
        let value: serde_json::Value = serde_json::from_slice(&blob.bytes)
            .map_err(|e| Error::usage(format!("the manifest is not JSON: {e}")))?;
        let mut s = serde_json::to_vec_pretty(&value).unwrap_or_default();
        s.push(b'\n');
        s
    } else {
        blob.bytes.to_vec()
    };
    match &args.output {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| Error::io(path, e)),
        None => out(&bytes),
    }
}
