//! The non-interactive command line: ORAS-compatible verbs over [`crate::graph`].

pub mod blob;
pub mod common;
pub mod copy;
pub mod discover;
pub mod login;
pub mod manifest;
mod progress_view;
pub mod pull;
pub mod push;
pub mod repo;
pub mod resolve;
pub mod tag;

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
    /// Push files and directories as an artifact
    Push(push::PushArgs),
    /// Attach files to an artifact as a referrer (signature, SBOM, …)
    Attach(push::AttachArgs),
    /// Copy an artifact, and with -r its referrers graph, to another repository or registry
    #[command(visible_alias = "cp")]
    Copy(copy::CopyArgs),
    /// Add tags to a manifest
    Tag(tag::TagArgs),
    /// Check credentials against a registry and store them
    Login(login::LoginArgs),
    /// Forget stored credentials for a registry
    Logout(login::LogoutArgs),
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Discover(a) => discover::run(a).await,
        Command::Pull(a) => pull::run(a).await,
        Command::Manifest(c) => manifest::run(c).await,
        Command::Blob(c) => blob::run(c).await,
        Command::Repo(c) => repo::run(c).await,
        Command::Resolve(a) => resolve::run(a).await,
        Command::Push(a) => push::push(a).await,
        Command::Attach(a) => push::attach_cmd(a).await,
        Command::Copy(a) => copy::run(a).await,
        Command::Tag(a) => tag::run(a).await,
        Command::Login(a) => login::login(a).await,
        Command::Logout(a) => login::logout(a).await,
    }
}
