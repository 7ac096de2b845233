//! The non-interactive command line: ORAS-compatible verbs over [`crate::graph`].

pub mod blob;
pub mod common;
pub mod discover;
pub mod manifest;
mod progress_view;
pub mod pull;
pub mod repo;
pub mod resolve;

use clap::{Parser, Subcommand};

use crate::error::Result;

#[derive(Parser, Debug)]
#[command(
    name = "refscope",
    version,
    about = "Browse and act on the artifact graph of OCI registries",
    long_about = "refscope shows an OCI registry as the graph it has become: images, charts and files at the \
roots, with signatures, SBOMs and other artifacts attached through the OCI 1.1 `subject` field.\n\n\
The verbs below take ORAS-style references (REGISTRY/REPO[:TAG][@DIGEST]) and flags."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show the referrers graph of an artifact (tree, JSON or table)
    Discover(discover::DiscoverArgs),
    /// Download an artifact's files into a directory
    Pull(pull::PullArgs),
    /// Manifest operations
    #[command(subcommand)]
    Manifest(manifest::ManifestCommand),
    /// Blob operations
    #[command(subcommand)]
    Blob(blob::BlobCommand),
    /// Repository operations: list repositories, list tags
    #[command(subcommand)]
    Repo(repo::RepoCommand),
    /// Print the digest a tag points at
    Resolve(resolve::ResolveArgs),
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Discover(a) => discover::run(a).await,
        Command::Pull(a) => pull::run(a).await,
        Command::Manifest(c) => manifest::run(c).await,
        Command::Blob(c) => blob::run(c).await,
        Command::Repo(c) => repo::run(c).await,
        Command::Resolve(a) => resolve::run(a).await,
    }
}
